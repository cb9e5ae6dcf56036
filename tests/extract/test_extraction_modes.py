"""Full text: per-source extract mode (auto/always/never), learned decisions and the page cache."""

from __future__ import annotations

from fakes import fake_models
from testkit import rss, write_config

from watch.config import load_config
from watch.http.client import make_client
from watch.pipeline import run_cycle
from watch.store import open_archive


def _page(i: int) -> str:
    paragraphs = "".join(f"<p>Paragraph {p} of article {i}: the full story, with enough words to count as "
                         f"real article text for the extractor to keep.</p>" for p in range(15))
    return f"<html><head><title>Article {i}</title></head><body><article>{paragraphs}</article></body></html>"


def _feed(server, path: str, n: int, full: bool) -> None:
    items = []
    for i in range(n):
        text = ("<p>" + "A complete article body sentence. " * 80 + "</p>") if full else f"Teaser {i}."
        items.append({"title": f"Story {i}", "link": server.url(f"{path}/a{i}.html"), "guid": f"{path}-{i}",
                      "description": text})
        server.add(f"{path}/a{i}.html", _page(i), content_type="text/html")
    server.add(f"{path}.xml", rss(path, items))


def _setup(tmp_path, server, sources):
    config = load_config(write_config(tmp_path, sources))
    return config, open_archive(config.settings.database)


def _page_hits(server, prefix: str) -> int:
    return sum(1 for p, _ in server.requests if p.startswith(prefix) and p.endswith(".html"))


def test_auto_learns_excerpt_feed_and_fetches_pages(tmp_path, server):
    _feed(server, "/teasers", 5, full=False)
    config, archive = _setup(tmp_path, server, [{"name": "Teasers", "url": server.url("/teasers.xml")}])
    with make_client(config.settings.fetch) as client:
        report = run_cycle(config, archive, client, fake_models)
    assert report.processed.processed == 5
    assert archive.extract_decision("Teasers") == "excerpt"
    rows = archive.db.execute("SELECT from_page, content FROM items ORDER BY guid").fetchall()
    assert all(from_page == 1 and "Paragraph 14 of article" in content for from_page, content in rows)


def test_auto_learns_full_text_feed_without_fetching_pages(tmp_path, server):
    _feed(server, "/full", 5, full=True)
    config, archive = _setup(tmp_path, server, [{"name": "Full", "url": server.url("/full.xml")}])
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, fake_models)
    assert archive.extract_decision("Full") == "full"
    assert _page_hits(server, "/full/") == 0
    assert archive.db.execute("SELECT SUM(from_page) FROM items").fetchone()[0] == 0


def test_never_and_always_override_the_detection(tmp_path, server):
    _feed(server, "/teasers", 2, full=False)
    _feed(server, "/full", 2, full=True)
    config, archive = _setup(tmp_path, server, [
        {"name": "Never", "url": server.url("/teasers.xml"), "extract": "never"},
        {"name": "Always", "url": server.url("/full.xml"), "extract": "always"},
    ])
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, fake_models)
    assert _page_hits(server, "/teasers/") == 0
    assert _page_hits(server, "/full/") == 2
    never = archive.db.execute("SELECT content FROM items WHERE source = 'Never'").fetchall()
    assert {c for (c,) in never} == {"Teaser 0.", "Teaser 1."}
    assert archive.extract_decision("Never") is None and archive.extract_decision("Always") is None


def test_pages_are_cached_so_a_rerun_fetches_nothing_again(tmp_path, server):
    _feed(server, "/teasers", 3, full=False)
    config, archive = _setup(tmp_path, server, [{"name": "T", "url": server.url("/teasers.xml"),
                                                 "extract": "always"}])
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, fake_models)
        assert _page_hits(server, "/teasers/") == 3
        # the feed changes every teaser: all items are processed again, from cached pages
        body = server.routes["/teasers.xml"].body.replace(b"Teaser", b"New teaser")
        server.add("/teasers.xml", body)
        report = run_cycle(config, archive, client, fake_models, force=True)
    assert report.processed.processed == 3
    assert _page_hits(server, "/teasers/") == 3
    assert archive.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 3


def test_missing_page_is_remembered_and_feed_text_kept(tmp_path, server):
    server.add("/f.xml", rss("f", [{"title": "x", "link": server.url("/nope.html"), "guid": "x",
                                     "description": "Short."}]))
    config, archive = _setup(tmp_path, server, [{"name": "F", "url": server.url("/f.xml"), "extract": "always"}])
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, fake_models)
    assert archive.db.execute("SELECT content, from_page FROM items").fetchone() == ("Short.", 0)
    assert archive.db.execute("SELECT status, error FROM pages").fetchone()[0] == 404


def test_bad_extract_value_is_a_config_error(tmp_path):
    import pytest

    from watch.errors import ConfigError

    path = write_config(tmp_path, [{"name": "A", "url": "https://a.example/feed", "extract": "sometimes"}])
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "extract 'sometimes' is not one of: auto, always, never" in str(info.value)
    assert info.value.line and "feeds.yaml" in str(info.value)


def test_page_canonical_link_becomes_the_item_canonical_url(tmp_path, server):
    page = _page(1).replace("<head>", '<head><link rel="canonical" href="https://news.example.org/story-1/">')
    server.add("/p.html", page, content_type="text/html")
    server.add("/c.xml", rss("c", [{"title": "Story 1", "link": server.url("/p.html") + "?utm_source=rss",
                                     "guid": "c1", "description": "Teaser."}]))
    config, archive = _setup(tmp_path, server, [{"name": "C", "url": server.url("/c.xml"), "extract": "always"}])
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, fake_models)
    url, canonical = archive.db.execute("SELECT url, canonical_url FROM items").fetchone()
    assert url.endswith("/p.html")  # the published link minus its tracking parameter
    assert canonical == "https://news.example.org/story-1"
