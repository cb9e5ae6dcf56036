"""Structured data on a listing page: schema.org microdata, h-entry microformats, the Nuxt state (small fixtures)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from watch.sources.listing import METHOD_NAMES, detect_listing
from watch.sources.structured import unflatten

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    """A hand-written listing page of tests/sources/fixtures."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_microdata_items_of_an_article_type_and_not_the_breadcrumb() -> None:
    listing = detect_listing(fixture("microdata_listing.html"), "https://eng.example.org/blog/")
    assert listing.method == "microdata" and listing.method in METHOD_NAMES
    assert [(a.url, a.title, a.published) for a in listing.articles] == [
        ("https://eng.example.org/blog/faster-builds", "Faster builds with a shared cache", date(2024, 5, 2)),
        ("https://partner.example.net/guest-post", "A guest post on a partner site", date(2024, 4, 14)),
        ("https://eng.example.org/blog/tracing", "Tracing requests across services", date(2024, 3, 30))]


def test_h_entry_posts_take_their_permalink_not_the_link_they_quote() -> None:
    listing = detect_listing(fixture("h_entry_listing.html"), "https://links.example.org/links")
    assert listing.method == "h-entry" and listing.method in METHOD_NAMES
    assert [(a.url, a.title, a.published) for a in listing.articles] == [
        ("https://links.example.org/links/101", "An essay worth reading today", date(2024, 2, 1)),
        ("https://links.example.org/links/100", "A talk on small websites", date(2024, 1, 31)),
        ("https://links.example.org/notes/99", "An entry named by its heading only", date(2024, 1, 30))]


def test_nuxt_data_is_unflattened_and_its_longest_post_list_read() -> None:
    listing = detect_listing(fixture("nuxt_listing.html"), "https://lab.example.org/news")
    assert listing.method == "nuxt-data" and listing.method in METHOD_NAMES
    assert [(a.url, a.title, a.published) for a in listing.articles] == [
        ("https://lab.example.org/news/model-family", "Our new model family", date(2024, 6, 1)),
        ("https://lab.example.org/news/safety-update", "A safety update for the year", date(2024, 5, 20)),
        ("https://lab.example.org/news/offsite-notes", "Notes from the research offsite", None)]


def test_unflatten_resolves_references_and_survives_cycles_and_bad_indexes() -> None:
    assert unflatten([{"a": 1, "b": 2}, "x", [3, -1, 99]]) == {"a": "x", "b": [None, None, None]}
    cyclic = unflatten([["Reactive", 1], {"self": 0, "name": 2}, "loop"])
    assert cyclic == {"self": None, "name": "loop"}
    assert unflatten([]) is None


def test_a_json_window_nuxt_is_read_and_a_script_one_never_run() -> None:
    posts = [{"title": f"Changelog entry {n} of the app", "path": f"/changelog/{n}", "date": f"2024-03-0{n}"}
             for n in (1, 2, 3)]
    state = json.dumps({"data": [{"items": posts}], "state": {}})
    listing = detect_listing(f"<html><body><script>window.__NUXT__={state};</script></body></html>",
                             "https://app.example.org/changelog")
    assert listing.method == "nuxt-data"
    assert [a.url for a in listing.articles] == [f"https://app.example.org/changelog/{n}" for n in (1, 2, 3)]
    assert listing.articles[2].published == date(2024, 3, 3)
    script = ("<html><body><script>window.__NUXT__=(function(a){return {data:[{items:[{title:a,path:'/x'}]}]}}"
              "('A title that only a script would give'))</script><ul>"
              + "".join(f"<li><a href='/posts/{n}'>A plain post number {n} here</a> 2024-01-0{n}</li>"
                        for n in (1, 2, 3))
              + "</ul></body></html>")
    assert detect_listing(script, "https://app.example.org/").method == "structure"


def test_hostile_state_nested_too_deep_or_chained_is_skipped_not_a_crash() -> None:
    deep = "[" * 50000 + "]" * 50000
    chain = "[" + ",".join(f"[{n + 1}]" for n in range(5000)) + ",1]"
    links = "".join(f"<li><a href='/posts/{n}'>A plain post number {n} here</a> 2024-01-0{n}</li>" for n in (1, 2, 3))
    html = (f"<html><body><script type='application/ld+json'>{deep}</script>"
            f"<script id='__NEXT_DATA__'>{deep}</script><script id='__NUXT_DATA__'>{chain}</script>"
            f"<ul>{links}</ul></body></html>")
    listing = detect_listing(html, "https://app.example.org/")
    assert listing.method == "structure" and len(listing.articles) == 3
