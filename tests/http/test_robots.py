"""robots.txt: honoured for article pages, ignored for feeds."""

from __future__ import annotations

import pytest
from fakes import fake_models
from testkit import LOOPBACK, rss, write_config

from watch.config import load_config
from watch.http.client import make_client
from watch.http.robots import RobotsPolicy
from watch.pipeline import PageFetcher, run_cycle
from watch.records import FetchSettings
from watch.store import open_archive

UA = FetchSettings().user_agent


@pytest.mark.parametrize(("robots", "status", "allowed"), [
    ("User-agent: *\nDisallow: /private/\n", 200, {"/public/a": True, "/private/a": False}),
    ("User-agent: techwatch\nDisallow: /\n\nUser-agent: *\nAllow: /\n", 200, {"/a": False}),
    ("", 404, {"/anything": True}),
    ("oops", 500, {"/anything": False}),
])
def test_robots_policy(server, robots, status, allowed):
    server.add("/robots.txt", robots, status=status, content_type="text/plain")
    with make_client(FetchSettings(timeout_seconds=2, allow_networks=LOOPBACK)) as client:
        policy = RobotsPolicy(client, FetchSettings(timeout_seconds=2, allow_networks=LOOPBACK))
        for path, expected in allowed.items():
            assert policy.allowed(server.url(path)) is expected
    assert server.hits("/robots.txt") == 1  # read once per origin


def test_pages_disallowed_by_robots_are_not_fetched_but_feeds_are(tmp_path, server):
    server.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    server.add("/feed.xml", rss("E", [{"title": "Short", "link": server.url("/article.html"), "guid": "e1",
                                       "description": "Only a short excerpt of the article."}]))
    server.add("/article.html", "<html><body><article><p>" + "Long text. " * 200 + "</p></article></body></html>",
               content_type="text/html")
    config = load_config(write_config(tmp_path, [{"name": "E", "url": server.url("/feed.xml")}]))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        report = run_cycle(config, archive, client, fake_models)
    assert report.new_items == 1 and report.processed.processed == 1
    assert server.hits("/feed.xml") == 1  # the feed itself ignores robots.txt, like every feed reader
    assert server.hits("/article.html") == 0
    content = archive.db.execute("SELECT content, from_page FROM items").fetchone()
    assert content == ("Only a short excerpt of the article.", 0)


def test_allowed_page_is_fetched_and_extracted(tmp_path, server):
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    body = "<html><head><title>Full</title></head><body><article>" + "".join(
        f"<p>Paragraph {i} of the full article text, long enough to be kept by the extractor.</p>"
        for i in range(20)) + "</article></body></html>"
    server.add("/article.html", body, content_type="text/html")
    server.add("/feed.xml", rss("E", [{"title": "Short", "link": server.url("/article.html"), "guid": "e1",
                                       "description": "Only a short excerpt."}]))
    config = load_config(write_config(tmp_path, [{"name": "E", "url": server.url("/feed.xml")}]))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        assert PageFetcher(client, config, archive).get(server.url("/article.html")).status == 200
        run_cycle(config, archive, client, fake_models)
    content, from_page = archive.db.execute("SELECT content, from_page FROM items").fetchone()
    assert from_page == 1 and "Paragraph 19 of the full article text" in content
