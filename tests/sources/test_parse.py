"""parse.py: feed bytes -> entries with stable ids, encodings, dates, JSON Feed, non-feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from testkit import corpus_path, fixture_bytes

from watch.errors import ParseError
from watch.sources.parse import parse_feed

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_rss_entries_fields_and_tracking_free_canonical_url():
    feed = parse_feed(fixture_bytes("ai_lab.rss.xml"), source_name="Lab", base_url="https://lab.example.org/rss",
                      now=NOW)
    assert feed.title == "Example AI Lab News"
    assert feed.language == "en"
    assert len(feed.entries) == 4
    first = feed.entries[0]
    assert first.title.startswith("Open-weights model Nimbus-7B")
    assert first.guid == "lab-2026-001"
    assert first.author == "Ada Example"
    assert first.published == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert "seven billion parameters" in first.feed_html
    assert first.canonical_url == "https://lab.example.org/news/nimbus-7b"
    assert len({e.id for e in feed.entries}) == 4


def test_ids_are_stable_across_parses_and_depend_on_source():
    a = parse_feed(fixture_bytes("ai_lab.rss.xml"), source_name="Lab", base_url="x", now=NOW)
    b = parse_feed(fixture_bytes("ai_lab.rss.xml"), source_name="Lab", base_url="x", now=NOW)
    c = parse_feed(fixture_bytes("ai_lab.rss.xml"), source_name="Other", base_url="x", now=NOW)
    assert [e.id for e in a.entries] == [e.id for e in b.entries]
    assert not {e.id for e in a.entries} & {e.id for e in c.entries}


def test_atom_french_language_from_xml_lang():
    feed = parse_feed(fixture_bytes("regulation_fr.atom"), source_name="Veille", base_url="x", now=NOW)
    assert len(feed.entries) == 3
    assert {e.language for e in feed.entries} == {"fr"}
    assert feed.entries[0].title.startswith("AI Act")
    assert "règlement européen" in feed.entries[0].feed_html


def test_latin1_without_declaration_is_sniffed():
    feed = parse_feed(fixture_bytes("latin1_no_decl.rss.xml"), source_name="L", base_url="x", now=NOW)
    assert feed.entries[0].title == "Éthique et IA générative : débat à l'Assemblée"
    assert "débattu" in feed.entries[0].feed_html


def test_html_page_is_not_a_feed():
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(fixture_bytes("not_a_feed.html"), source_name="P", base_url="x", now=NOW)


@pytest.mark.parametrize("body", [b"", b"garbage \x00\x01", b"<html><body>hello</body></html>", b"{not json"])
def test_garbage_raises_parse_error(body):
    with pytest.raises(ParseError):
        parse_feed(body, source_name="G", base_url="x", now=NOW)


def test_future_dates_are_dropped_not_trusted():
    rss = b"""<rss version="2.0"><channel><title>t</title><item><title>From the future</title>
    <link>https://e.org/a</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item></channel></rss>"""
    feed = parse_feed(rss, source_name="F", base_url="x", now=NOW)
    assert feed.entries[0].published is None


def test_entry_without_guid_or_link_gets_id_from_title_and_date():
    rss = b"""<rss version="2.0"><channel><title>t</title>
    <item><title>One</title><pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate></item>
    <item><title>Two</title><pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>"""
    feed = parse_feed(rss, source_name="F", base_url="x", now=NOW)
    assert len({e.id for e in feed.entries}) == 2


def test_repeated_item_in_one_document_is_kept_once():
    item = b"<item><title>Same</title><guid>g1</guid></item>"
    rss = b"<rss version='2.0'><channel><title>t</title>" + item + item + b"</channel></rss>"
    assert len(parse_feed(rss, source_name="F", base_url="x", now=NOW).entries) == 1


def test_json_feed():
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "JF", "language": "en",
           "items": [{"id": "1", "url": "https://e.org/1?utm_campaign=x", "title": "Hello",
                      "content_html": "<p>Body text.</p>", "date_published": "2026-11-20T10:00:00Z",
                      "authors": [{"name": "Bob"}]},
                     {"id": "2", "content_text": "No title here, just some text."}]}
    feed = parse_feed(json.dumps(doc).encode(), source_name="J", base_url="x", now=NOW)
    assert feed.format == "json1"
    first, second = feed.entries
    assert (first.title, first.author, first.canonical_url) == ("Hello", "Bob", "https://e.org/1")
    assert first.published == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert second.title.startswith("No title here")


def test_corpus_feeds_all_parse_with_entries():
    feeds = corpus_path("feeds")
    files = sorted(p for p in feeds.iterdir() if p.is_file() and p.suffix in {".xml", ".atom", ".rdf", ".json"})
    assert len(files) >= 40
    empty = []
    for path in files:
        parsed = parse_feed(path.read_bytes(), source_name=path.name, base_url="http://127.0.0.1/", now=NOW)
        if not parsed.entries or not all(e.title for e in parsed.entries):
            empty.append(path.name)
    assert empty == []


@pytest.mark.parametrize(("name", "expected"), [
    ("odd_windows-1251.rss.xml", "ru"),
    ("odd_gb2312_nonrfc_dates.rss.xml", "zh"),
    ("fr_universfreebox_rss092_latin1.xml", None),
])
def test_corpus_odd_encodings_decode_to_real_text(name, expected):
    feed = parse_feed(corpus_path("feeds", name).read_bytes(), source_name=name, base_url="x", now=NOW)
    titles = " ".join(e.title for e in feed.entries)
    assert "\ufffd" not in titles
    if expected == "ru":
        assert any("\u0400" <= ch <= "\u04ff" for ch in titles)
    elif expected == "zh":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in titles)
    else:
        assert any(ch in titles for ch in "éèàçù")
