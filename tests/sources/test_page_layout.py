"""kind: page through `run` against a local server: first poll, unchanged re-poll, one new article, a layout
change (a link farm, an emptied page) reported as "layout changed?" in `run` and the digest's Sources health."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from testkit import run_cli, write_config

from watch.records import PageRules, Source
from watch.sources.layout import flood, remembered, usual_count, vanished

NAV = """<header><nav><a href="/about">About the lab and its people</a><a href="/careers">Careers at the lab
today</a></nav></header><footer><a href="/privacy">Our privacy policy in full</a></footer>"""


def listing(articles: list[tuple[str, str]]) -> str:
    """A listing page: a card per (slug, title), dated."""
    cards = "".join(f"""<article class="card"><h2><a href="/news/{slug}">{title}</a></h2>
                        <p class="meta">May {n % 28 + 1}, 2024</p></article>"""
                    for n, (slug, title) in enumerate(articles))
    return f"<!doctype html><html lang='en'><body>{NAV}<main><h1>News</h1>{cards}</main></body></html>"


def article(title: str) -> str:
    """An article page with enough text to be extracted."""
    body = "".join(f"<p>{title}: paragraph {n} of the article, with enough words to be read as its text.</p>"
                   for n in range(10))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


POSTS = [(f"post-{n}", f"Lab announcement number {n} about models") for n in range(1, 7)]
FARM = [(f"archive-{n}", f"Archived page number {n} of the old site") for n in range(1, 81)]


def _items(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "watch.db") as db:
        return {row[0] for row in db.execute("SELECT url FROM items")}


def _counts(tmp_path: Path) -> str | None:
    with sqlite3.connect(tmp_path / "watch.db") as db:
        return db.execute("SELECT listing_counts FROM sources WHERE name = 'Lab'").fetchone()[0]


def test_usual_count_and_thresholds() -> None:
    source = Source(name="Lab", url="https://lab.example.org/news", kind="page")
    assert usual_count(()) is None and usual_count((12, 12, 30)) == 12 and usual_count((4, 5)) == 4
    assert remembered((1, 2, 3, 4, 5), 6) == (2, 3, 4, 5, 6)
    assert flood(source, 500, ()) is None  # a first poll has nothing to compare with
    assert flood(source, 36, (12, 12)) is None  # 3x exactly is not a flood
    assert flood(source, 24, (5,)) is None  # more than 3x but not 20 more
    message = flood(source, 240, (12, 11, 13))
    assert message == ("layout changed? the listing gave 240 links, usually 12: nothing added; check the page, "
                       "or set item: (a CSS selector or XPath of the articles) on the source")
    named = Source(name="Lab", url=source.url, kind="page", page=PageRules(item="//article"))
    assert flood(named, 240, (12,)) is None  # the user said what the articles are
    assert vanished((), "no links") is None
    assert vanished((12,), "no links") == "layout changed? the listing gave no articles (usually 12): no links"


def test_run_keeps_a_changed_layout_out_of_the_archive(tmp_path: Path, server) -> None:
    for slug, title in POSTS + FARM:
        server.add(f"/news/{slug}", article(title), content_type="text/html")
    server.add("/news", listing(POSTS[1:5]), content_type="text/html", etag=True)
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/news"), "kind": "page"}])
    url = server.url

    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _items(tmp_path) == {url(f"/news/{slug}") for slug, _ in POSTS[1:5]}
    assert _counts(tmp_path) == "[4]"

    # Unchanged: the server answers 304 to the conditional GET; nothing added, no article fetched again.
    hits = server.hits("/news/post-2")
    again = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert "unchanged  Lab" in again.stdout, again.stdout
    assert len(_items(tmp_path)) == 4 and server.hits("/news/post-2") == hits

    # One new article at the top: exactly one item more.
    server.add("/news", listing(POSTS[0:5]), content_type="text/html", etag=True)
    one = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert "new        Lab: 1 new, 0 updated" in one.stdout, one.stdout
    assert _items(tmp_path) == {url(f"/news/{slug}") for slug, _ in POSTS[0:5]}
    assert _counts(tmp_path) == "[4, 5]"

    # A redesign turns the listing into a link farm: a warning with the counts, nothing added.
    server.add("/news", listing(POSTS[0:5] + FARM), content_type="text/html", etag=True)
    farm = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert ("WARNING    Lab: layout changed? the listing gave 85 links, usually 4: nothing added; check the page, "
            "or set item: (a CSS selector or XPath of the articles) on the source") in farm.stdout, farm.stdout
    assert len(_items(tmp_path)) == 5 and server.hits("/news/archive-1") == 0
    assert _counts(tmp_path) == "[4, 5]"  # the flood does not become the usual count

    # The page emptied: a warning, not a generic parse error.
    server.add("/news", f"<html><body>{NAV}<main><h1>News</h1><p>Coming soon.</p></main></body></html>",
               content_type="text/html", etag=True)
    empty = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert ("WARNING    Lab: layout changed? the listing gave no articles (usually 4): no article links"
            in empty.stdout), empty.stdout
    assert len(_items(tmp_path)) == 5

    out = tmp_path / "digest.md"
    digest = run_cli("digest", "--since", "7d", "--format", "md", "--out", str(out), "--config", str(path),
                     cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    text = out.read_text(encoding="utf-8")
    health = text[text.index("## Sources health"):]
    assert "**Lab** — layout changed?" in health and "the listing gave no articles (usually 4)" in health, health
    assert "(2 polls in a row)" in health

    # Back to a usual listing: accepted again, one new article added, the warning gone.
    server.add("/news", listing(POSTS), content_type="text/html", etag=True)
    back = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert "new        Lab: 1 new, 0 updated" in back.stdout, back.stdout
    assert len(_items(tmp_path)) == 6 and _counts(tmp_path) == "[4, 5, 6]"


def test_a_javascript_shell_is_named_in_run_and_check(tmp_path: Path, server) -> None:
    shell = ("<!doctype html><html><head><script src='/static/app.js'></script></head><body>"
             "<div id='__next'></div><noscript>You need to enable JavaScript to run this app.</noscript>"
             "<script>window.start()</script></body></html>")
    server.add("/blog", shell, content_type="text/html")
    path = write_config(tmp_path, [{"name": "Shell", "url": server.url("/blog"), "kind": "page"}])
    expected = ('no article links in the HTML; the page is rendered by JavaScript (an empty <div id="__next">, '
                "2 scripts, 0 characters of text, a <noscript> notice asking for JavaScript): set render: chromium "
                "on the source to render it first")
    run = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert f"FAILED     Shell: {expected}" in run.stdout, run.stdout
    check = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    assert f"FAILED     Shell: {expected}" in check.stdout, check.stdout
