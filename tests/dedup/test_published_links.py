"""The link a reader clicks is the link the feed published, minus tracking parameters only: in every digest
format, search, show, export and the views Datasette reads. canonical_url stays identity, never shown."""

from __future__ import annotations

import html
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from testkit import EVERY_STORY_DIGEST, run_cli, write_config

from watch.dedup import canonical_url, clean_link

# (as the feed publishes it, as a reader must be shown it): each a class of today's rewriting.
LINKS = [
    ("http://plain-http.example.org/post/1", "http://plain-http.example.org/post/1"),  # no https
    ("https://www.lab.example.org/news/", "https://www.lab.example.org/news/"),  # www. and trailing slash
    ("https://lab.example.org/paper#results", "https://lab.example.org/paper#results"),  # fragment
    ("https://lab.example.org/read?id=42&amp;lang=fr", "https://lab.example.org/read?id=42&lang=fr"),  # query order
    ("https://lab.example.org/launch?utm_source=rss&amp;ref=feed&amp;fbclid=x1",
     "https://lab.example.org/launch?ref=feed"),  # trackers only removed; ref kept
    ("https://Lab.Example.org:443/Case/Path?b=2&amp;a=1&amp;gclid=9#Top", "https://Lab.Example.org:443/Case/Path?b=2&a=1#Top"),
]
BODIES = [
    "Researchers released an open-weights language model with seven billion parameters under an open licence.",
    "A French cloud provider cuts the price of its GPU servers for companies with a monthly commitment.",
    "A paper on comparison operators, undefined behaviour and integer overflow in systems languages.",
    "The regulator published guidance on general-purpose AI models and the transparency code of practice.",
    "A database release adds vector indexes, faster joins and a new storage engine for time series.",
    "An essay on hiring platform engineers, on-call rotations and the cost of incident reviews at scale.",
]


@pytest.mark.parametrize(("published", "shown"), [
    ("http://www.x.org/a/?utm_source=rss&id=3#frag", "http://www.x.org/a/?id=3#frag"),
    ("https://x.org/p?a=1&utm_medium=x&b=2", "https://x.org/p?a=1&b=2"),
    ("https://x.org/p?UTM_Campaign=y", "https://x.org/p"),
    ("https://x.org/?utmost=1&sourcery=2", "https://x.org/?utmost=1&sourcery=2"),  # only look like trackers
    ("https://x.org/p?q=a%20b&mc_cid=9&mc_eid=8&ref=hn", "https://x.org/p?q=a%20b&ref=hn"),
    ("https://x.org/p?xtor=RSS-1&spm=a.b", "https://x.org/p?spm=a.b"),
    ("https://x.org/p?fbclid=1#c", "https://x.org/p#c"),
    ("http://www.heise.de/meldung/x.html?wt_mc=rss.ho.beitrag.rdf", "http://www.heise.de/meldung/x.html"),
    ("http://x.org/a/", "http://x.org/a/"),
    ("https://x.org/p?a=1&&b", "https://x.org/p?a=1&&b"),  # nothing removed: left exactly as written
    ("http://[::1/broken?utm_source=x", "http://[::1/broken?utm_source=x"),  # unparsable: as published
    ("", ""),
])
def test_clean_link_removes_trackers_only(published: str, shown: str) -> None:
    assert clean_link(published) == shown


def test_identity_still_ignores_what_the_shown_link_keeps() -> None:
    assert canonical_url("http://www.x.org/a/?ref=hn#top") == canonical_url("https://x.org/a") == "https://x.org/a"
    assert canonical_url(clean_link("https://x.org/a?utm_source=rss")) == canonical_url("https://x.org/a")


def _rss(when: datetime, links: list[str]) -> str:
    items = "".join(
        f"<item><title>Story {n} about {BODIES[n].split()[1]}</title><link>{link}</link>"
        f"<pubDate>{format_datetime(when - timedelta(hours=n))}</pubDate>"
        f"<description>{(BODIES[n] + ' ') * 3}</description></item>"
        for n, link in enumerate(links))
    return f"<rss version='2.0'><channel><title>Links</title>{items}</channel></rss>"


def _shown_links(text: str, fmt: str) -> set[str]:
    """The fixture links that appear in a rendered digest (a browser or feed reader unescapes HTML)."""
    for _ in range({"html": 1, "atom": 2}.get(fmt, 0)):
        text = html.unescape(text)
    return {shown for _, shown in LINKS if shown in text}


@pytest.mark.model
def test_every_output_shows_the_published_link(tmp_path, server):
    now = datetime.now(UTC)
    server.add("/links.xml", _rss(now, [published for published, _ in LINKS]))
    # Every item in the digest, so that every published link can be checked there.
    path = write_config(tmp_path, [{"name": "Links", "url": server.url("/links.xml"), "extract": "never"}],
                        digest=EVERY_STORY_DIGEST)
    run = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    shown = {link for _, link in LINKS}

    db = sqlite3.connect(tmp_path / "watch.db")
    assert {r[0] for r in db.execute("SELECT url FROM items")} == shown
    # What Datasette shows: the views, as a user queries them.
    assert {r[0] for r in db.execute("SELECT url FROM items_with_tags")} == shown
    assert {r[0] for r in db.execute("SELECT url FROM stories")} <= shown
    # Identity is unchanged: canonical_url still normalises (https, no www., no fragment).
    assert "https://plain-http.example.org/post/1" in {r[0] for r in db.execute("SELECT canonical_url FROM items")}
    db.close()

    for fmt in ("md", "html", "text", "atom"):
        out = tmp_path / f"digest.{fmt}"
        written = run_cli("digest", "--since", "7d", "--format", fmt, "--out", str(out), "--config", str(path),
                          cwd=tmp_path)
        assert written.returncode == 0, written.stderr
        text = out.read_text(encoding="utf-8")
        assert _shown_links(text, fmt) == shown, fmt
        assert "https://plain-http.example.org" not in text and "utm_source" not in text, fmt

    search = run_cli("search", "--since", "7d", "--format", "json", "--config", str(path), cwd=tmp_path)
    assert search.returncode == 0, search.stderr
    assert {hit["url"] for hit in json.loads(search.stdout)} == shown
    exported = run_cli("export", "--format", "jsonl", "--no-content", "--config", str(path), cwd=tmp_path)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert {r["url"] for r in rows} == shown
    item = next(r for r in rows if r["url"].startswith("http://plain-http"))
    show = run_cli("show", item["id"], "--config", str(path), cwd=tmp_path)
    assert show.returncode == 0 and "http://plain-http.example.org/post/1" in show.stdout, show.stdout


@pytest.mark.model
def test_a_link_that_gains_trackers_is_the_same_item(tmp_path, server):
    """A feed that starts adding utm_* to its links (no guid) updates nothing and duplicates nothing."""
    now = datetime.now(UTC)
    server.add("/f.xml", _rss(now, ["http://plain-http.example.org/post/1"]))
    path = write_config(tmp_path, [{"name": "F", "url": server.url("/f.xml"), "extract": "never"}])
    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    server.add("/f.xml", _rss(now, ["http://plain-http.example.org/post/1?utm_source=rss&amp;utm_medium=feed"]))
    second = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    db = sqlite3.connect(tmp_path / "watch.db")
    assert db.execute("SELECT url FROM items").fetchall() == [("http://plain-http.example.org/post/1",)]
    db.close()


def test_ids_and_hashes_come_from_the_link_as_published() -> None:
    """Archives written before trackers were removed keep their ids and hashes: nothing is processed again."""
    from watch.dedup import content_hash, entry_id
    from watch.sources.parse import parse_feed
    from watch.store import entry_hash

    link = "http://x.example.org/a?utm_source=rss&amp;id=1"
    feed = parse_feed(f"<rss version='2.0'><channel><title>t</title><item><title>A</title><link>{link}</link>"
                      "<description>Body.</description></item></channel></rss>".encode(), source_name="S",
                      base_url="http://x.example.org/feed")
    entry = feed.entries[0]
    published = "http://x.example.org/a?utm_source=rss&id=1"
    assert entry.url == "http://x.example.org/a?id=1"
    assert entry.id == entry_id("S", published)
    assert entry_hash(entry) == content_hash("A", published, entry.feed_html)
