"""The page's repeated structure on small hand-written listings: items split over elements, per-item headers,
a featured post apart from the list, release tags and archive addresses, XHTML with an XML declaration."""

from __future__ import annotations

from datetime import date

from watch.sources.listing import detect_listing

SITE_NAV = """<div class="site-nav"><ul><li><a href="/">Home page of the site</a></li>
  <li><a href="/about">About the people who run it</a></li><li><a href="/help">Help and contact pages</a></li>
  </ul></div>"""


def test_an_identifier_link_takes_the_title_next_to_it_and_the_day_heading_above() -> None:
    days = [("Wed, 10 Nov 2021", [("2111.05049", "Ideal approach to convergence"), ("2111.04832", "Universal spaces")]),
            ("Tue, 9 Nov 2021", [("2111.03783", "On the weak pseudoradiality of spaces")])]
    body = "".join(f"<h3>{day}</h3><dl>" + "".join(
        f"""<dt><a name="i{n}">[{n}]</a> <span class="list-identifier"><a href="/abs/{n}" title="Abstract">arXiv:{n}</a>
            [<a href="/pdf/{n}" title="Download PDF">pdf</a>, <a href="/format/{n}">other</a>]</span></dt>
            <dd><div class="meta"><div class="list-title"><span class="descriptor">Title:</span> {title}</div>
            <div class="list-authors"><a href="/search?author=a{n}">Some Author</a></div></div></dd>"""
        for n, title in papers) + "</dl>" for day, papers in days)
    html = f"""<?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1.dtd">
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><body>{SITE_NAV}<div id="dlpage">{body}</div>
        </body></html>"""
    listing = detect_listing(html, "https://papers.example.org/list/recent")
    assert [(a.url, a.title, a.published) for a in listing.articles] == [
        ("https://papers.example.org/abs/2111.05049", "Ideal approach to convergence", date(2021, 11, 10)),
        ("https://papers.example.org/abs/2111.04832", "Universal spaces", date(2021, 11, 10)),
        ("https://papers.example.org/abs/2111.03783", "On the weak pseudoradiality of spaces", date(2021, 11, 9))]


def test_a_header_in_every_item_is_the_items_own_and_a_version_tag_a_release() -> None:
    releases = "".join(f"""<div class="release-entry"><div class="release-header">
          <div class="title-line"><a href="/acme/tool/releases/tag/v{v}">v{v}</a></div>
          <ul><li><a href="/acme/tool/tree/v{v}">v{v}</a></li><li><a href="/acme/tool/commit/{sha}">{sha}</a></li></ul>
          <p>released this <relative-time datetime="{day}T10:00:00Z">{day}</relative-time></p></div>
          <div class="markdown-body"><h2>Bug fixes</h2><ul>
          <li><a href="/acme/tool/pull/{sha}1">#{sha}1</a> fix the parser</li>
          <li><a href="/acme/tool/pull/{sha}2">#{sha}2</a> fix the cache</li></ul></div></div>"""
                       for v, sha, day in [("2.10.2", "f6aa45d", "2019-10-21"), ("2.10.1", "624c4c0", "2019-10-11"),
                                           ("2.10.0", "a1b2c3d", "2019-10-02")])
    html = f"""<html><body><header class="site-header"><a href="/features">Features of the forge</a>
        <a href="/pricing">Pricing of the forge</a></header>
        <main><div class="container repo-nav-layout">{releases}</div></main></body></html>"""
    listing = detect_listing(html, "https://forge.example.com/acme/tool/releases")
    assert [(a.url, a.title, a.published) for a in listing.articles] == [
        (f"https://forge.example.com/acme/tool/releases/tag/v{v}", f"v{v}", day)
        for v, day in [("2.10.2", date(2019, 10, 21)), ("2.10.1", date(2019, 10, 11)), ("2.10.0", date(2019, 10, 2))]]


def test_posts_below_an_archive_path_and_a_topic_are_articles() -> None:
    posts = "".join(f"""<div class="article">
        <h2 class="entry"><a href="/blog/archives/2019/08/{slug}.html">{title}</a></h2>
        <p>Text of the post with <a href="https://news.example.com/story/{slug}">a story elsewhere</a>.</p>
        <p class="posted"><a href="/blog/archives/2019/08/{slug}.html">Posted on August {d}, 2019</a></p></div>"""
                    for slug, title, d in [("squid", "Friday squid blogging at length", 30),
                                           ("enclave", "Attacking the secure enclave", 29),
                                           ("myth", "The myth of consumer-grade security", 28)])
    html = f"""<html><body>{SITE_NAV}<div id="content">{posts}</div><div class="sidebar"><ul>
        <li><a href="/blog/archives/2019/08/">August 2019 archive</a></li>
        <li><a href="/blog/archives/2019/07/">July 2019 archive</a></li></ul></div></body></html>"""
    listing = detect_listing(html, "https://blog.example.org/")
    assert [(a.title, a.published) for a in listing.articles] == [
        ("Friday squid blogging at length", date(2019, 8, 30)), ("Attacking the secure enclave", date(2019, 8, 29)),
        ("The myth of consumer-grade security", date(2019, 8, 28))]
    assert listing.articles[0].url == "https://blog.example.org/blog/archives/2019/08/squid.html"


def test_a_featured_post_above_the_list_joins_it_but_the_furniture_does_not() -> None:
    cards = "".join(f"""<a class="card" href="/blog/topics/{topic}/{slug}"><span class="eyebrow">{topic}</span>
        <h4>{title}</h4></a>""" for topic, slug, title in [
        ("retail", "survey", "Retailers see an urgent need for change"),
        ("databases", "spanner-ga", "A PostgreSQL interface for the database"),
        ("security", "sbom", "How software bills of materials help hospitals")])
    html = f"""<html><body>{SITE_NAV}<main>
        <section class="hero"><a class="featured" href="/blog/topics/energy/five-years">
          <h2>Five years of renewable energy and a look ahead</h2><p>A summary of the post.</p></a>
          <a class="featured" href="/initiative"><h2>An initiative with our partners</h2><p>Its summary.</p></a>
          </section>
        <section class="grid"><div class="columns">{cards}</div></section>
        <p class="cta"><a href="/blog/topics/energy/">All the posts about energy</a></p>
        </main><footer><a href="/blog/topics/legal/terms-of-use">Terms of use of the blog</a></footer></body></html>"""
    listing = detect_listing(html, "https://cloud.example.com/blog/")
    # The second featured post has another address shape, but the layout of the first.
    assert [a.url.rsplit("/", 1)[-1] for a in listing.articles] == ["five-years", "initiative", "survey", "spanner-ga",
                                                                    "sbom"]
    assert listing.articles[0].title == "Five years of renewable energy and a look ahead"


def test_cards_that_are_links_take_the_date_written_inside_them() -> None:
    posts = [("introducing-model-7", "Product", "Introducing Model 7, our most capable model", "Dec 2, 2026"),
             ("safety-report-q4", "Policy", "Our Q4 safety report and evaluations", "Nov 27, 2026"),
             ("partnership", "Announcements", "A partnership to bring AI to hospitals", "Nov 19, 2026"),
             ("interpretability", "Research", "New interpretability results on large models", "Nov 10, 2026")]
    card = ("""<a class="card{extra}" href="/news/{0}"><span class="eyebrow">{1}</span><h3>{2}</h3>"""
            """<span>{3}</span></a>""")
    featured, *rest = posts
    html = f"""<html lang="en"><body>{SITE_NAV}<main>
        <section class="hero">{card.format(*featured, extra=" featured")}</section>
        <div class="grid">{"".join(card.format(*post, extra="") for post in rest)}</div></main>
        <footer><a href="/legal/privacy">Privacy policy of the lab</a><a href="/news/press-kit">Press kit and brand
        assets</a></footer></body></html>"""
    listing = detect_listing(html, "https://lab.example.org/news")
    assert [(a.url.rsplit("/", 1)[1], a.title, a.published) for a in listing.articles] == [
        ("introducing-model-7", "Introducing Model 7, our most capable model", date(2026, 12, 2)),
        ("safety-report-q4", "Our Q4 safety report and evaluations", date(2026, 11, 27)),
        ("partnership", "A partnership to bring AI to hospitals", date(2026, 11, 19)),
        ("interpretability", "New interpretability results on large models", date(2026, 11, 10))]
