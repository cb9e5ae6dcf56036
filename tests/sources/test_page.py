"""kind: page — article-list detection on small hand-written listing pages, and the whole path through `run`."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from testkit import run_cli, write_config

from watch.config import load_config
from watch.errors import ConfigError, ParseError
from watch.records import PageRules, Source
from watch.sources.kinds import KINDS
from watch.sources.listing import detect_listing, parse_date, url_date

BASE = "https://lab.example.org/news"

NAVIGATION = """
<header class="site-header"><nav><ul>
  <li><a href="/about">About the lab and its people</a></li><li><a href="/careers">Careers at the lab today</a></li>
  <li><a href="/research">Research areas we work on</a></li></ul></nav></header>
<aside class="sidebar"><h3>Topics</h3><ul>
  <li><a href="/tag/llm">Large language model posts</a></li><li><a href="/tag/policy">AI policy and regulation</a></li>
  <li><a href="/tag/safety">Safety research and evaluations</a></li></ul></aside>
<footer><a href="/privacy">Our privacy policy in full</a><a href="/terms">Terms of service for users</a>
  <a href="/page/2">Older posts on page two</a></footer>
"""


def listing_page(articles: list[tuple[str, str, str]], head: str = "", lang: str = "en") -> str:
    """A blog index: the site's furniture around cards of (slug, title, shown date)."""
    cards = "".join(f"""
      <article class="card"><a class="thumb" href="/news/{slug}"><img src="/i/{slug}.png" alt=""></a>
        <h2 class="card-title"><a href="/news/{slug}">{title}</a></h2>
        <p class="meta">{shown} · <a href="/author/jane">Jane Doe the author</a></p>
        <p>An excerpt with <a href="https://elsewhere.example.com/paper">a link to a paper somewhere</a>.</p>
      </article>""" for slug, title, shown in articles)
    return (f"<!doctype html><html lang='{lang}'><head><title>News</title>{head}</head><body>{NAVIGATION}"
            f"<main><h1>News</h1>{cards}</main></body></html>")


ARTICLES = [("open-weights-model", "We release an open-weights model", "May 2, 2024"),
            ("eu-ai-act-notes", "Notes on the EU AI Act obligations", "14 April 2024"),
            ("gpu-costs", "What GPU hours really cost us", "March 30th, 2024"),
            ("agents-framework", "A small framework for tool-using agents", "2024-03-01")]


def test_repeated_structure_finds_the_articles_and_rejects_navigation() -> None:
    listing = detect_listing(listing_page(ARTICLES), BASE)
    assert listing.method == "structure" and listing.feed_url is None
    assert [a.url for a in listing.articles] == [f"https://lab.example.org/news/{slug}" for slug, _, _ in ARTICLES]
    assert [a.title for a in listing.articles] == [title for _, title, _ in ARTICLES]
    assert [a.published for a in listing.articles] == [date(2024, 5, 2), date(2024, 4, 14), date(2024, 3, 30),
                                                       date(2024, 3, 1)]


def test_french_month_names_and_a_title_outside_the_link() -> None:
    cards = "".join(f"""<li class="post"><a class="overlay" href="/blog/{n}/"></a><h3>{title}</h3>
                        <span class="date">{shown}</span></li>"""
                    for n, title, shown in [(1, "Le règlement européen sur l'IA expliqué", "1er février 2024"),
                                            (2, "Nos modèles ouverts en production", "12 mars 2024"),
                                            (3, "Coûts des GPU : ce que nous avons appris", "3 août 2023")])
    html = f"<html lang='fr'><body>{NAVIGATION}<ul class='posts'>{cards}</ul></body></html>"
    listing = detect_listing(html, "https://labo.example.fr/blog/")
    assert [a.title for a in listing.articles] == ["Le règlement européen sur l'IA expliqué",
                                                   "Nos modèles ouverts en production",
                                                   "Coûts des GPU : ce que nous avons appris"]
    assert [a.published for a in listing.articles] == [date(2024, 2, 1), date(2024, 3, 12), date(2023, 8, 3)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Posted on May 2, 2024 by Jane", date(2024, 5, 2)), ("14 April 2024", date(2024, 4, 14)),
    ("Sept. 3, 2023", date(2023, 9, 3)), ("1er janvier 2025", date(2025, 1, 1)),
    ("le 15 décembre 2023", date(2023, 12, 15)),
    ("3. März 2024", date(2024, 3, 3)), ("2021 Sep 03", date(2021, 9, 3)), ("2021-09-03T00:00:00Z", date(2021, 9, 3)),
    ("28/11/2023 au 15/01/2024", date(2023, 11, 28)), ("6 hours ago", None), ("version 2.10.1", None)])
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_dates_in_the_url() -> None:
    assert url_date("https://x.org/2019/09/05/title.html") == date(2019, 9, 5)
    assert url_date("https://x.org/2021-11-2-getting-off-social-media") == date(2021, 11, 2)
    assert url_date("https://x.org/posts/2019/09/") is None


def test_json_ld_item_list() -> None:
    data = {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "position": n, "item": {"@type": "BlogPosting", "url": f"/posts/{n}",
                                                      "headline": f"Post number {n} of the blog",
                                                      "datePublished": f"2024-06-0{n}T10:00:00Z"}}
        for n in (1, 2, 3)]}
    html = f"<html><head><script type='application/ld+json'>{json.dumps(data)}</script></head><body></body></html>"
    listing = detect_listing(html, "https://blog.example.org/")
    assert listing.method == "json-ld"
    assert [(a.url, a.title, a.published) for a in listing.articles] == [
        (f"https://blog.example.org/posts/{n}", f"Post number {n} of the blog", date(2024, 6, n)) for n in (1, 2, 3)]


def test_next_data_app_state() -> None:
    posts = [{"slug": f"post-{n}", "title": f"Release notes for month {n}", "publishedAt": f"2024-0{n}-15"}
             for n in (1, 2, 3)]
    state = {"props": {"pageProps": {"posts": posts, "menu": [{"title": "Home", "x": 1}]}}}
    html = (f"<html><body><div id='__next'></div><script id='__NEXT_DATA__' type='application/json'>"
            f"{json.dumps(state)}</script></body></html>")
    listing = detect_listing(html, "https://app.example.org/blog")
    assert listing.method == "next-data"
    assert [a.url for a in listing.articles] == [f"https://app.example.org/blog/post-{n}" for n in (1, 2, 3)]
    assert listing.articles[0].published == date(2024, 1, 15)


def test_an_advertised_feed_is_named() -> None:
    head = '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
    listing = detect_listing(listing_page(ARTICLES, head=head), BASE)
    assert listing.feed_url == "https://lab.example.org/feed.xml" and len(listing.articles) == 4
    feed = KINDS["page"].parse(Source(name="Lab", url=BASE, kind="page"), listing_page(ARTICLES, head=head).encode(),
                               base_url=BASE)
    assert "this page has a feed: use kind: feed" in feed.format


def test_a_javascript_shell_is_a_clear_error() -> None:
    shell = "<html><body><div id='root'></div><script src='/app.js'></script>" + NAVIGATION + "</body></html>"
    with pytest.raises(ParseError, match="no article links found in the HTML"):
        detect_listing(shell, BASE)
    with pytest.raises(ParseError):
        detect_listing("", BASE)


def test_entries_are_keyed_by_url_and_leave_the_text_to_the_article_page() -> None:
    source = Source(name="Lab", url=BASE, kind="page")
    first = KINDS["page"].parse(source, listing_page(ARTICLES).encode(), base_url=BASE)
    again = KINDS["page"].parse(source, listing_page(list(reversed(ARTICLES))).encode(), base_url=BASE)
    assert {e.id for e in first.entries} == {e.id for e in again.entries}
    assert all(e.feed_html == "" and e.canonical_url == e.url for e in first.entries)
    assert KINDS["page"].default_extract == "always" and not KINDS["page"].releases


def _article(title: str) -> str:
    body = "".join(f"<p>{title}: paragraph {n} of the article, with enough words to be read as its text.</p>"
                   for n in range(12))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


def _items(tmp_path: Path) -> dict[str, str]:
    with sqlite3.connect(tmp_path / "watch.db") as db:
        return dict(db.execute("SELECT title, content FROM items").fetchall())


def test_run_polls_a_listing_page(tmp_path: Path, server) -> None:
    for slug, title, _ in ARTICLES:
        server.add(f"/news/{slug}", _article(title), content_type="text/html")
    server.add("/news", listing_page(ARTICLES[1:]), content_type="text/html", etag=True)
    server.add("/app", "<html><body><div id='app'></div><script src='/app.js'></script></body></html>",
               content_type="text/html")
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/news"), "kind": "page"},
                                   {"name": "Shell", "url": server.url("/app"), "kind": "page"}])
    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert ('Shell: no article links in the HTML; the page is rendered by JavaScript (an empty <div id="app">, '
            "1 script, 0 characters of text): set render: chromium on the source") in first.stdout, first.stdout
    items = _items(tmp_path)
    assert set(items) == {title for _, title, _ in ARTICLES[1:]}
    assert "paragraph 3 of the article" in items["What GPU hours really cost us"]  # the article page's text
    assert server.hits("/news/gpu-costs") == 1

    again = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert len(_items(tmp_path)) == 3 and server.hits("/news/gpu-costs") == 1, again.stdout

    server.add("/news", listing_page(ARTICLES), content_type="text/html", etag=True)
    third = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    items = _items(tmp_path)
    assert len(items) == 4 and "We release an open-weights model" in items, third.stdout
    assert server.hits("/news/gpu-costs") == 1 and server.hits("/news/open-weights-model") == 1


def test_unchanged_listing_body_is_not_parsed_again(tmp_path: Path, server) -> None:
    """A server without validators: the body hash alone says the listing is unchanged."""
    for slug, title, _ in ARTICLES:
        server.add(f"/news/{slug}", _article(title), content_type="text/html")
    server.add("/news", listing_page(ARTICLES), content_type="text/html")
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/news"), "kind": "page"}])
    assert run_cli("run", "--config", str(path), cwd=tmp_path).returncode == 0
    again = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert again.returncode == 0 and len(_items(tmp_path)) == 4
    assert "unchanged" in again.stdout.lower(), again.stdout


def test_xpath_overrides_and_url_patterns() -> None:
    html = """<html><body><div class="row"><span class="when">3 mai 2024</span>
        <b class="name">Premier article du site</b><a href="/a/1">lire</a></div>
        <div class="row"><span class="when">4 mai 2024</span>
        <b class="name">Second article du site</b><a href="/a/2">lire</a></div>
        <div class="row"><span class="when">5 mai 2024</span><b class="name">Une offre d'emploi ouverte</b>
        <a href="/jobs/3">lire</a></div></body></html>"""
    rules = PageRules(item="//div[@class='row']", title=".//b", link=".//a/@href", date="./span[@class='when']",
                      exclude=(r"/jobs/",))
    listing = detect_listing(html, "https://site.example.fr/", rules)
    assert listing.method == "rules"
    assert [(a.url, a.title, a.published) for a in listing.articles] == [
        ("https://site.example.fr/a/1", "Premier article du site", date(2024, 5, 3)),
        ("https://site.example.fr/a/2", "Second article du site", date(2024, 5, 4))]
    only = detect_listing(listing_page(ARTICLES), BASE, PageRules(include=(r"/news/(gpu|eu)",)))
    assert [a.title for a in only.articles] == ["Notes on the EU AI Act obligations", "What GPU hours really cost us"]
    with pytest.raises(ParseError, match="found no article links"):
        detect_listing(html, "https://site.example.fr/", PageRules(item="//section"))


def test_config_reads_and_checks_the_overrides(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example.org/news", "kind": "page",
                                    "item": "//article", "title": ".//h2", "exclude": "['/jobs/', '/events/']"}])
    (source,) = load_config(path).sources
    assert source.extract == "always"
    assert source.page == PageRules(item="//article", title=".//h2", exclude=("/jobs/", "/events/"))
    bad = write_config(tmp_path, [
        {"name": "Lab", "url": "https://lab.example.org/news", "kind": "page", "item": "article.post",
         "date": ".//time[", "include": "'(unclosed'"},
        {"name": "Feed", "url": "https://lab.example.org/feed.xml", "item": "//item"}])
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    text = str(info.value)
    assert "feeds.yaml:" in text and "not a valid XPath expression" in text and "'article.post'" not in text
    assert "not a valid regular expression" in text and "'item' is only for web page sources (kind: page)" in text


def test_config_reports_a_bad_css_selector_at_its_line(tmp_path: Path) -> None:
    good = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example.org/news", "kind": "page",
                                    "item": "'div.row'", "title": "'b.name'", "date": "'span.when'"}])
    (source,) = load_config(good).sources
    assert source.page == PageRules(item="div.row", title="b.name", date="span.when")
    bad = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example.org/news", "kind": "page",
                                   "item": "'article['", "title": "'h2 > > a'"}])
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    lines = bad.read_text(encoding="utf-8").splitlines()
    item_line = 1 + next(n for n, line in enumerate(lines) if line.strip().startswith("item:"))
    reported = str(info.value).splitlines()
    assert any(line.startswith(f"{bad}:{item_line}: ") and "item: 'article[' is not a valid CSS selector" in line
               for line in reported), info.value
    assert any(line.startswith(f"{bad}:{item_line + 1}: ") and "title: 'h2 > > a' is not a valid CSS selector"
               in line for line in reported), info.value


def test_css_selectors_as_overrides_read_inside_each_item() -> None:
    html = """<html><body><div class="row"><span class="when">3 mai 2024</span>
        <b class="name">Premier article du site</b><a class="go" href="/a/1">lire</a></div>
        <div class="row"><span class="when">4 mai 2024</span>
        <b class="name">Second article du site</b><a class="go" href="/a/2">lire</a></div>
        <div class="row"><span class="when">5 mai 2024</span><b class="name">Une offre d'emploi ouverte</b>
        <a class="go" href="/jobs/3">lire</a></div><b class="name">Hors des articles</b></body></html>"""
    css = PageRules(item="div.row", title="b.name", link="a.go", date="span.when", exclude=(r"/jobs/",))
    mixed = PageRules(item="//div[@class='row']", title="b.name", link=".//a/@href", date="span.when",
                      exclude=(r"/jobs/",))
    expected = [("https://site.example.fr/a/1", "Premier article du site", date(2024, 5, 3)),
                ("https://site.example.fr/a/2", "Second article du site", date(2024, 5, 4))]
    classes = PageRules(item=".row", title=".name", link="a", date=".when", exclude=(r"/jobs/",))  # "." is CSS here
    for rules in (css, mixed, classes):
        listing = detect_listing(html, "https://site.example.fr/", rules)
        assert listing.method == "rules"
        assert [(a.url, a.title, a.published) for a in listing.articles] == expected
    with pytest.raises(ParseError, match=r"the item selector 'section\.posts' found no article links"):
        detect_listing(html, "https://site.example.fr/", PageRules(item="section.posts"))


def test_a_card_link_titled_by_its_label() -> None:
    cards = "".join(f"""<a class="post-preview" href="/blog/{n}" aria-label="{title}"><div>{title}</div>
                        <div>Jane Doe · {n} minute read</div><time datetime="2024-01-0{n}">Jan {n}</time></a>"""
                    for n, title in [(1, "Write code, mostly functions"), (2, "My favourite function signature"),
                                     (3, "Beware of async and await")])
    listing = detect_listing(f"<html><body>{NAVIGATION}<section>{cards}</section></body></html>",
                             "https://blog.example.org/blog")
    assert [a.title for a in listing.articles] == ["Write code, mostly functions", "My favourite function signature",
                                                   "Beware of async and await"]
    assert [a.published for a in listing.articles] == [date(2024, 1, n) for n in (1, 2, 3)]


def test_feeds_check_shows_how_a_listing_page_was_read(tmp_path: Path, server) -> None:
    many = [*ARTICLES, ("hiring-update", "An update on hiring for the lab", ""),
            ("notes-two", "Second notes on evaluation methods", "2024-02-20")]
    server.add("/news", listing_page(many), content_type="text/html")
    server.add("/app", "<html><body><div id='app'></div><script src='/app.js'></script></body></html>",
               content_type="text/html")
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/news"), "kind": "page"},
                                   {"name": "Shell", "url": server.url("/app"), "kind": "page"}])
    result = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    out = result.stdout
    assert "found by: repeated structure (the page's repeated article links), 6 entries" in out, out
    lines = out.splitlines()
    first = lines.index(next(line for line in lines if "found by:" in line)) + 1
    shown = [line.split() for line in lines[first:first + 5]]
    assert [words[0] for words in shown] == ["2024-05-02", "2024-04-14", "2024-03-30", "2024-03-01", "undated"]
    assert "We release an open-weights model" in lines[first] and server.url("/news/open-weights-model") in lines[first]
    assert "An update on hiring for the lab" in lines[first + 4]
    assert "Second notes" not in out  # only the first five entries are shown
    assert ("FAILED     Shell: no article links in the HTML; the page is rendered by JavaScript (an empty "
            '<div id="app">' in out), out
    assert result.returncode != 0


def test_feeds_check_reads_a_page_with_css_overrides(tmp_path: Path, server) -> None:
    rows = "".join(f"""<div class="row"><span class="when">{n} May 2024</span><b class="name">Notice {n} of the
                       registry</b><a class="go" href="/notices/{n}">open</a></div>""" for n in (3, 4, 5))
    server.add("/notices", f"<html><body><ul><li><a href='/'>Home</a></li></ul>{rows}</body></html>",
               content_type="text/html")
    path = write_config(tmp_path, [{"name": "Registry", "url": server.url("/notices"), "kind": "page",
                                    "item": "'div.row'", "title": "'b.name'", "link": "'a.go'",
                                    "date": "'span.when'"}])
    result = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    out = result.stdout
    assert "found by: the source's selector overrides (CSS or XPath), 3 entries" in out, out
    assert "2024-05-03" in out and "Notice 3 of the registry" in out and server.url("/notices/3") in out, out
    assert result.returncode == 0, out + result.stderr

