"""render: chromium on page and watch sources, through `run` and `feeds check` against a local server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from testkit import run_cli, write_config

from watch.http.render import chromium_path

pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="Debian's chromium is not installed here: render: chromium is not tested")

SHELL = """<!doctype html><html lang="en"><head><title>Lab news</title></head><body>
<div id="root"></div>
<script>
fetch("/api/posts.json").then(r => r.json()).then(posts => {
  document.getElementById("root").innerHTML = "<main><h1>News</h1>" + posts.map(p =>
    `<article class="card"><h2><a href="/news/${p.slug}">${p.title}</a></h2><time datetime="${p.date}">${p.date}</time>
     </article>`).join("") + "</main>";
});
</script></body></html>"""
POSTS = [{"slug": f"post-{n}", "title": f"Lab announcement number {n} about models", "date": f"2026-11-0{n}"}
         for n in range(1, 6)]


def article(title: str) -> str:
    """An article page with enough text to be extracted."""
    body = "".join(f"<p>{title}: paragraph {n} of the article, with enough words to be read as its text.</p>"
                   for n in range(10))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


def _titles(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "watch.db") as db:
        return {row[0] for row in db.execute("SELECT title FROM items")}


def test_a_javascript_listing_is_read_once_rendered(tmp_path: Path, server) -> None:
    server.add("/news", SHELL, content_type="text/html", etag=True)
    server.add("/api/posts.json", json.dumps(POSTS[1:]), content_type="application/json")
    for post in POSTS:
        server.add(f"/news/{post['slug']}", article(post["title"]), content_type="text/html")
    plain = write_config(tmp_path, [{"name": "Lab", "url": server.url("/news"), "kind": "page"}])
    check = run_cli("feeds", "check", "--config", str(plain), cwd=tmp_path)
    assert ('FAILED     Lab: no article links in the HTML; the page is rendered by JavaScript (an empty '
            '<div id="root">, 1 script, 0 characters of text): set render: chromium on the source') in check.stdout, \
        check.stdout

    rendered = write_config(tmp_path, [{"name": "Lab", "url": server.url("/news"), "kind": "page",
                                        "render": "chromium"}])
    check = run_cli("feeds", "check", "--config", str(rendered), cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "found by: repeated structure (the page's repeated article links), 4 entries" in check.stdout, check.stdout
    assert "2026-11-02  Lab announcement number 2 about models" in check.stdout

    first = run_cli("run", "--config", str(rendered), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _titles(tmp_path) == {p["title"] for p in POSTS[1:]}

    # The shell's HTML (and its ETag) stays the same; what the script shows changes: one new item.
    server.add("/api/posts.json", json.dumps(POSTS), content_type="application/json")
    again = run_cli("run", "--all", "--config", str(rendered), cwd=tmp_path)
    assert "new        Lab: 1 new, 0 updated" in again.stdout, again.stdout
    assert _titles(tmp_path) == {p["title"] for p in POSTS}

    unchanged = run_cli("run", "--all", "--config", str(rendered), cwd=tmp_path)
    assert "unchanged  Lab" in unchanged.stdout and len(_titles(tmp_path)) == 5, unchanged.stdout


def test_a_javascript_page_is_watched_once_rendered(tmp_path: Path, server) -> None:
    text = ("Acme Large costs three dollars per million input tokens and fifteen dollars per million output "
            "tokens, with a context of two hundred thousand tokens.")
    server.add("/pricing", "<html><body><div id='app'></div><script>document.getElementById('app').innerHTML = "
                           f"'<main><h1>Pricing</h1><p>{text}</p></main>'</script></body></html>",
               content_type="text/html")
    path = write_config(tmp_path, [{"name": "Acme pricing", "url": server.url("/pricing"), "kind": "watch",
                                    "render": "chromium"}])
    check = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    assert "watching the main text:" in check.stdout and "no baseline yet: the first run records it" in check.stdout, \
        check.stdout
    assert "text: Pricing Acme Large costs three dollars per million input tokens" in check.stdout
    assert "validators: not used: the page is rendered by chromium on every poll" in check.stdout
    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert "first poll: baseline recorded" in first.stdout, first.stdout
    again = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    assert "watching the main text: 157 characters, baseline recorded 20" in again.stdout, again.stdout
