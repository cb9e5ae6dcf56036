"""Feed autodiscovery against a real HTTP server on 127.0.0.1: links, base URLs, fallbacks, errors."""

from __future__ import annotations

import json

import httpx
import pytest
from testkit import LOOPBACK, corpus_path, fixture_bytes

from watch.errors import DiscoveryError
from watch.feeds.discover import (
    CONVENTIONAL_PATHS,
    DiscoveredFeed,
    DiscoveredPage,
    FeedLink,
    discover_feed,
    discover_source,
    feed_links,
)
from watch.http.client import make_client
from watch.records import FetchSettings

SETTINGS = FetchSettings(timeout_seconds=5, connect_timeout_seconds=5, allow_networks=LOOPBACK)
LAB_FEED = fixture_bytes("ai_lab.rss.xml")  # "Example AI Lab News", 4 items
FR_FEED = fixture_bytes("regulation_fr.atom")  # "Veille réglementaire (exemple)", 3 entries
EMPTY_RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Brand new blog</title>'
             b"<link>https://new.example/</link><description>nothing yet</description></channel></rss>")
HTML = "text/html; charset=utf-8"


def page(*links: str, base: str | None = None, body: str = "<p>Hello</p>") -> str:
    head = (f'<base href="{base}">' if base else "") + "".join(links)
    return f"<!DOCTYPE html><html><head><title>A site</title>{head}</head><body>{body}</body></html>"


def rss_link(href: str, title: str = "", kind: str = "application/rss+xml", rel: str = "alternate") -> str:
    return f'<link rel="{rel}" type="{kind}" title="{title}" href="{href}">'



@pytest.fixture
def client():
    with make_client(SETTINGS) as http:
        yield http


# --------------------------------------------------------------------------------------------------
# feed_links


def test_feed_links_reads_types_rel_tokens_and_titles_in_document_order():
    html = page(
        rss_link("/rss.xml", "RSS"),
        rss_link("/atom.xml", "Atom", kind="application/atom+xml", rel="alternate home"),
        rss_link("/feed.json", "JSON", kind="application/feed+json; charset=utf-8", rel="Alternate"),
        rss_link("/other.json", kind="application/json"),
        '<link rel="alternate" hreflang="fr" href="/fr/">',  # a translation, not a feed
        '<link rel="alternate" type="application/x-wiki" href="/edit">',
        '<link rel="stylesheet" type="application/rss+xml" href="/not-alternate.xml">',
        rss_link("/rss.xml", "RSS again"),  # duplicate
        rss_link("javascript:alert(1)"),
        rss_link("android-app://com.example/feed"),
        rss_link(""),
    )
    links = feed_links(html, "https://site.example/blog/")
    assert links == [
        FeedLink("https://site.example/rss.xml", "RSS", "application/rss+xml"),
        FeedLink("https://site.example/atom.xml", "Atom", "application/atom+xml"),
        FeedLink("https://site.example/feed.json", "JSON", "application/feed+json"),
        FeedLink("https://site.example/other.json", "", "application/json"),
    ]


def test_feed_links_resolves_relative_hrefs_against_page_and_base():
    assert feed_links(page(rss_link("feed.xml")), "https://site.example/blog/post")[0].url == \
        "https://site.example/blog/feed.xml"
    assert feed_links(page(rss_link("//cdn.example/f.xml")), "https://site.example/")[0].url == \
        "https://cdn.example/f.xml"
    # <base href> may itself be relative to the page; only the first one counts.
    html = page(rss_link("main.xml"), base="/feeds/").replace("</head>", '<base href="/ignored/"></head>')
    assert feed_links(html, "https://site.example/blog/post")[0].url == "https://site.example/feeds/main.xml"
    assert feed_links(page(rss_link("main.xml"), base="https://other.example/x/"),
                      "https://site.example/")[0].url == "https://other.example/x/main.xml"


def test_feed_links_accepts_str_and_bytes_and_tolerates_junk():
    html = page(rss_link("/f.xml", "Café"))
    assert feed_links(html, "https://s.example/")[0].title == "Café"
    assert feed_links(html.encode("utf-8"), "https://s.example/")[0].url == "https://s.example/f.xml"
    # A str is already decoded: a contradicting <meta charset> must not garble it.
    meta = html.replace("<head>", '<head><meta charset="iso-8859-1">')
    assert feed_links(meta, "https://s.example/")[0].title == "Café"
    assert feed_links(b"", "https://s.example/") == []
    assert feed_links("   ", "https://s.example/") == []
    assert feed_links(b"\x00\x01binary\xff", "https://s.example/") == []
    assert feed_links(page(), "https://s.example/") == []


# --------------------------------------------------------------------------------------------------
# discover_feed


def test_home_page_with_one_feed_link(server, client):
    server.add("/", page(rss_link("/feed.xml", "Lab RSS")), content_type=HTML)
    server.add("/feed.xml", LAB_FEED)
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert found.url == server.url("/feed.xml")
    assert (found.title, found.format, found.entries) == ("Example AI Lab News", "rss20", 4)
    assert (found.via, found.page_url) == ("link", server.url("/"))


def test_first_of_two_links_wins_and_the_second_is_not_fetched(server, client):
    server.add("/", page(rss_link("/fr.atom", kind="application/atom+xml"), rss_link("/lab.xml")), content_type=HTML)
    server.add("/fr.atom", FR_FEED, content_type="application/atom+xml")
    server.add("/lab.xml", LAB_FEED)
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert found.url == server.url("/fr.atom") and found.entries == 3
    assert found.title == "Veille réglementaire (exemple)"
    assert server.hits("/lab.xml") == 0


@pytest.mark.parametrize("broken", [
    {"body": "gone", "status": 404, "content_type": "text/plain"},
    {"body": "<html><body>Our feed moved</body></html>", "content_type": HTML},  # 200 but not a feed
])
def test_broken_first_link_falls_through_to_the_second(server, client, broken):
    server.add("/", page(rss_link("/broken.xml"), rss_link("/lab.xml")), content_type=HTML)
    server.add("/broken.xml", **broken)
    server.add("/lab.xml", LAB_FEED)
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert found.url == server.url("/lab.xml")
    assert any(t.startswith(server.url("/broken.xml") + ": ") for t in found.tried)
    assert server.hits("/feed") == 0  # an advertised feed worked: no guessing


def test_relative_href_with_base_on_a_page_reached_through_a_redirect(server, client):
    # The page URL that relative links resolve against is where the redirect ended, then <base>.
    server.add("/", b"", status=301, headers={"Location": "/blog/index.html"})
    server.add("/blog/index.html", page(rss_link("main.xml"), base="/feeds/"), content_type=HTML)
    server.add("/feeds/main.xml", LAB_FEED)
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert found.url == server.url("/feeds/main.xml")
    assert found.page_url == server.url("/blog/index.html")


def test_url_that_is_already_a_feed_is_returned_as_is(server, client):
    url = server.add("/atom", FR_FEED, content_type="application/atom+xml")
    found = discover_feed(client, url, SETTINGS)
    assert (found.url, found.via, found.page_url, found.entries) == (url, "direct", None, 3)
    assert [path for path, _ in server.requests] == ["/atom"]


def test_json_feed_link_is_followed(server, client):
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "JSON news",
            "items": [{"id": "1", "url": "https://j.example/1", "title": "One", "content_text": "Hi"}]}
    server.add("/", page(rss_link("/feed.json", kind="application/feed+json")), content_type=HTML)
    server.add("/feed.json", json.dumps(feed), content_type="application/feed+json")
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert (found.title, found.format, found.entries) == ("JSON news", "json1", 1)


def test_no_link_but_a_conventional_path_exists(server, client):
    server.add("/", page(), content_type=HTML)
    server.add("/feed.xml", LAB_FEED)
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert found.url == server.url("/feed.xml") and found.via == "guess"
    assert server.hits("/feed") == 1  # tried in order: /feed first, then /feed.xml
    assert server.hits("/rss.xml") == 0
    assert f"{server.url('/feed')}: HTTP 404 Not Found" in found.tried


def test_guessing_uses_the_site_root_even_for_a_deep_page(server, client):
    server.add("/blog/2026/post.html", page(), content_type=HTML)
    server.add("/atom.xml", FR_FEED)
    found = discover_feed(client, server.url("/blog/2026/post.html"), SETTINGS)
    assert found.url == server.url("/atom.xml")


def test_nothing_found_lists_every_url_tried(server, client):
    url = server.add("/", page(rss_link("/dead.xml")), content_type=HTML)
    server.add("/feed", "<html>Soft 404 page</html>", content_type=HTML)
    with pytest.raises(DiscoveryError) as caught:
        discover_feed(client, url, SETTINGS)
    message = str(caught.value)
    assert message.startswith(f"no feed found at {url}; tried:")
    expected = [url, server.url("/dead.xml"), *(server.url(p) for p in CONVENTIONAL_PATHS)]
    assert [t.split(": ", 1)[0] for t in caught.value.tried] == expected
    for tried in expected:
        assert f"\n  {tried}: " in message
    assert f"{server.url('/dead.xml')}: HTTP 404" in message
    assert f"{server.url('/feed')}: not a feed" in message


CARDS = "".join(f'<article class="post"><h2><a href="/blog/{n}-post">{title}</a></h2>'
                f'<p class="meta">2024-0{n}-01</p></article>'
                for n, title in [(1, "First post of the lab blog"), (2, "Second post of the lab blog"),
                                 (3, "Third post of the lab blog")])


def test_discover_source_reads_a_page_without_a_feed_as_kind_page(server, client):
    url = server.add("/blog", page(body=f"<main>{CARDS}</main>"), content_type=HTML)
    found = discover_source(client, url, SETTINGS)
    assert isinstance(found, DiscoveredPage)
    assert (found.url, found.title, found.method) == (url, "A site", "structure")
    assert [e.url for e in found.entries] == [server.url(f"/blog/{n}-post") for n in (1, 2, 3)]
    assert [f"{e.published:%Y-%m-%d}" for e in found.entries] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert found.tried[0] == f"{url}: a page, not a feed, and it links to no feed"
    with pytest.raises(DiscoveryError):
        discover_feed(client, url, SETTINGS)  # the feed-only search is unchanged


def test_discover_source_prefers_a_feed_and_explains_a_page_without_articles(server, client):
    server.add("/feed.xml", LAB_FEED)
    assert isinstance(discover_source(client, server.add("/blog", page(body=CARDS), content_type=HTML), SETTINGS),
                      DiscoveredFeed)
    del server.routes["/feed.xml"]
    url = server.add("/plain", page(), content_type=HTML)
    with pytest.raises(DiscoveryError) as caught:
        discover_source(client, url, SETTINGS)
    assert str(caught.value).startswith(f"no feed found at {url}; tried:")
    assert caught.value.tried[-1] == f"{url}: as a page (kind: page): no article links found in the HTML " \
                                     "(the page may be rendered by JavaScript)"


def test_page_that_cannot_be_fetched_is_a_discovery_error(server, client, closed_port_url):
    with pytest.raises(DiscoveryError, match=r"cannot fetch .*: HTTP 500"):
        discover_feed(client, server.add("/", "boom", status=500, content_type="text/plain"), SETTINGS)
    with pytest.raises(DiscoveryError, match="ConnectError"):
        discover_feed(client, closed_port_url, SETTINGS)


def test_an_advertised_empty_feed_is_used_when_no_feed_has_entries(server, client):
    server.add("/", page(rss_link("/new.xml", "New blog")), content_type=HTML)
    server.add("/new.xml", EMPTY_RSS)
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert (found.url, found.entries, found.title) == (server.url("/new.xml"), 0, "Brand new blog")
    assert server.hits("/feed") == 0


def test_an_empty_feed_loses_to_a_later_one_with_entries(server, client):
    server.add("/", page(rss_link("/new.xml"), rss_link("/lab.xml")), content_type=HTML)
    server.add("/new.xml", EMPTY_RSS)
    server.add("/lab.xml", LAB_FEED)
    assert discover_feed(client, server.url("/"), SETTINGS).url == server.url("/lab.xml")


# --------------------------------------------------------------------------------------------------
# Real home pages from the corpus, served over HTTP


CORPUS_PAGES = [
    ("daringfireball_home.html", 1),
    ("sixcolors_home.html", 1),
    ("coco_home.html", 2),
    ("furbo_home.html", 1),
    ("inessential_home.html", 1),
    ("wikipedia_miniflux.html", 1),
    ("github_repo_page_miniflux.html", 0),  # only rel="alternate icon" (a favicon)
    ("mozilla_firefox_developer_product.html", 0),  # only hreflang alternates
]


def _served_links(server, name: str) -> list[FeedLink]:
    path = corpus_path("pages", "html", name)
    url = server.add("/site/", path.read_bytes(), content_type="text/html")
    response = httpx.get(url, timeout=5)
    return feed_links(response.content, str(response.url))


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), CORPUS_PAGES)
def test_corpus_home_pages_feed_link_count(server, name, expected):
    links = _served_links(server, name)
    assert len(links) == expected, links
    assert all(link.url.startswith(("http://", "https://")) for link in links)


@pytest.mark.corpus
def test_corpus_relative_links_resolve_against_the_served_page(server):
    coco = _served_links(server, "coco_home.html")
    assert [(link.url, link.title) for link in coco] == [
        (server.url("/feed/all/"), "The Atlantic"), (server.url("/feed/best-of/"), "Best of The Atlantic")]
    wikipedia = _served_links(server, "wikipedia_miniflux.html")
    assert wikipedia[0].url == server.url("/w/index.php?title=Sp%C3%A9cial:Modifications_r%C3%A9centes&feed=atom")
    assert wikipedia[0].type == "application/atom+xml"
    assert _served_links(server, "inessential_home.html")[0].url == "http://inessential.com/xml/rss.xml"


@pytest.mark.corpus
def test_corpus_discovery_end_to_end(server, client):
    server.add("/", corpus_path("pages", "html", "daringfireball_home.html").read_bytes(), content_type=HTML)
    server.add("/feeds/main", corpus_path("feeds", "daringfireball.atom").read_bytes(),
               content_type="application/atom+xml")
    found = discover_feed(client, server.url("/"), SETTINGS)
    assert found.url == server.url("/feeds/main") and found.via == "link"
    assert found.title == "Daring Fireball" and found.format.startswith("atom") and found.entries > 0
