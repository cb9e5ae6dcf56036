"""strip_controls / one_line / to_json: escape sequences and controls go, every script's letters stay."""

from __future__ import annotations

import json
import re

import pytest

from watch.text.textsafe import one_line, strip_controls, to_json

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(("raw", "clean"), [
    ("a\x1b[2Jb", "ab"),  # CSI: the whole sequence, no "[2J" left
    ("\x1b[2J\x1b[Hscreen", "screen"),
    ("\x1b[1;31mred\x1b[0m", "red"),
    ("\x1b[?25lhidden cursor", "hidden cursor"),  # private parameters
    ("\x1b[38;2;255;0;0mtrue colour", "true colour"),
    ("\x9b31mC1 CSI", "C1 CSI"),  # the 8-bit CSI
    ("\x1b]0;pwned\x07title", "title"),  # OSC ended by BEL
    ("\x1b]0;pwned\x1b\\title", "title"),  # OSC ended by ST
    ("\x9d0;pwned\x9ctitle", "title"),  # 8-bit OSC and ST
    ("\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\", "click me"),  # OSC 8: the visible text stays
    ("\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07", "click"),
    ("\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel"),  # DCS
    ("\x1b_apc\x1b\\x", "x"),  # APC
    ("\x1bcreset", "reset"),  # RIS: ESC c
    ("\x1b(Bcharset", "charset"),  # ESC ( B
    ("\x1b7saved\x1b8", "saved"),
    ("unterminated \x1b]0;rest of the line\nnext", "unterminated \nnext"),  # eats the line, not the text
    ("truncated \x1b[12", "truncated "),
    ("lone ESC \x1b", "lone ESC "),
    ("bell\x07 nul\x00 del\x7f bs\x08", "bell nul del bs"),
    ("C1 \x85\x90\x9f", "C1 "),
    ("\u202eevil\u202c \u2066iso\u2069 \u202a\u202b\u202d", "evil iso "),  # bidi overrides, embeddings, isolates
    ("bom\ufeff nonchar\ufffe\uffff", "bom nonchar"),
])
def test_sequences_and_controls_are_removed(raw: str, clean: str) -> None:
    assert strip_controls(raw) == clean
    assert not UNSAFE.search(strip_controls(raw))


def test_newlines_and_tabs_are_kept_in_text_bodies() -> None:
    assert strip_controls("one\ttwo\nthree\r\nfour\rfive") == "one\ttwo\nthree\nfour\nfive"
    assert strip_controls("one\ttwo\nthree\r\nfour", keep_newlines=False) == "one two three four"
    assert strip_controls("plain\ttext", keep_newlines=False) == "plain text"  # the fast path too


def test_one_line_fields() -> None:
    assert one_line("  Big\x1b[2J\n news\t\u202e today  ") == "Big news today"
    assert one_line(None) == "" and one_line("") == "" and one_line("\x1b[2J\x07") == ""
    assert one_line("a\u00a0\u00a0b") == "a b"


@pytest.mark.parametrize("text", [
    "Éthique et IA générative — « ça marche » ",
    "Emoji 😀👩🏽‍💻 (with ZWJ) ✓",
    "中文 日本語 한국어",
    "עברית ومرحبا بالعالم",  # right-to-left letters are text, not overrides
    "\u200f\u200e marks and \u061c ALM",  # bidi marks stay (only overrides and isolates go)
    "math ≤ ≥ ∑ and dashes – —",
])
def test_normal_unicode_is_kept(text: str) -> None:
    assert strip_controls(text) == text
    assert one_line(text) == " ".join(text.split())


def test_none_and_empty() -> None:
    assert strip_controls("") == ""


def test_to_json_escapes_every_control_and_round_trips() -> None:
    value = {"title": "a\x1b[2Jb \x9b31m \u202eevil\u202c \x07\x00 \x7f \u2028 é 😀 中文", "n": 1}
    text = to_json(value, indent=2)
    assert "\\u001b" in text and "\\u009b" in text and "\\u202e" in text and "\\u2028" in text and "\\u007f" in text
    assert not UNSAFE.search(text.replace("\n", "")) and "\u2028" not in text
    assert "é 😀 中文" in text  # readable, not \\u-escaped
    assert json.loads(text) == value


# -- where text comes in ---------------------------------------------------------------------------

HOSTILE = "\x1b[2J\x1b]8;;http://evil.example/\x1b\\shown\x1b]8;;\x1b\\ \x9b31m\u202e\x07"


def test_json_feed_fields_are_cleaned_at_parse_time() -> None:
    from watch.sources.parse import parse_feed

    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": f"Feed{HOSTILE}\nname",
                      "items": [{"id": "1", "url": f"https://x.example/1{HOSTILE}", "title": f"T{HOSTILE}itle",
                                 "authors": [{"name": f"A{HOSTILE}"}],
                                 "content_html": f"<p>one{HOSTILE}</p>\n<p>two\ttab</p>"}]}).encode()
    feed = parse_feed(doc, source_name="s", base_url="https://x.example/")
    (entry,) = feed.entries
    assert feed.title == "Feedshown name" and entry.title == "Tshown itle" and entry.author == "Ashown"
    assert entry.url == "https://x.example/1shown"
    assert entry.feed_html == "<p>oneshown </p>\n<p>two\ttab</p>"  # content keeps its line breaks and tabs
    raw = parse_feed(doc.replace(b"T\\u001b", b"T"), source_name="s", base_url="https://x.example/")
    assert raw.entries[0].id == entry.id  # ids come from the raw values: the same as older versions stored


def test_a_title_of_nothing_but_controls_becomes_untitled() -> None:
    from watch.sources.parse import parse_feed

    doc = (b"<rss version='2.0'><channel><title>x</title>"
           b"<item><title>&#27;[2J</title><guid>g</guid></item></channel></rss>")
    assert parse_feed(doc, source_name="s", base_url="https://x.example/").entries[0].title == "(untitled)"


def test_html_with_character_references_to_controls_turns_into_text() -> None:
    from watch.extract.article import html_to_text

    # lxml parses "&#27;" into an ESC and then refuses it in text it is given: this used to fail the item.
    assert html_to_text("<p>a &#27;[2J b &#27;]0;title&#7; c</p><p>next</p>") == "a b c\n\nnext"
    assert html_to_text("no markup &#27;[31m red &#x1B;]0;x&#x07; end") == "no markup red end"
    assert html_to_text("<p>double-escaped &amp;#27;[2J text</p>") == "double-escaped text"
    assert html_to_text("<p>kept: &#233; &#x2014; &#169; &amp;</p>") == "kept: é — © &"


def test_article_pages_with_escape_sequences_are_extracted_clean() -> None:
    from watch.extract.article import extract_article

    para = "<p>" + "Plenty of words about GPU inference &#27;[2J costs in Europe this year. " * 8 + "</p>"
    page = (f"<html><head><title>T &#27;]0;x&#7;</title></head><body><article><h1>Head&#27;[2Jline</h1>"
            f"{para * 4}</article></body></html>").encode()
    article = extract_article(page, "https://x.example/a")
    assert article is not None and "GPU inference costs in Europe" in article.text
    assert not UNSAFE.search(article.text + (article.title or ""))
    assert "[2J" not in article.text


def test_release_notes_text_is_cleaned() -> None:
    from watch.sources.releases import notes_html, notes_text

    assert notes_text(notes_html("- fix\x1b[2J crash\n- add \u202eflag")) == "- fix crash\n- add flag"
    assert " ".join(notes_text("<ul><li>fix &#27;[2J crash</li></ul>").split()) == "- fix crash"


def test_feeds_yaml_never_gets_a_control_character(tmp_path) -> None:
    from testkit import write_config

    from watch.errors import ConfigError
    from watch.feeds.feedsfile import NewSource, append_sources

    path = write_config(tmp_path, [{"name": "A", "url": "https://a.example/feed"}])
    before = path.read_bytes()
    for source in (NewSource("Bad\x1b[2J", "https://b.example/"), NewSource("Two\nlines", "https://b.example/"),
                   NewSource("Ok", "https://b.example/\x07")):
        with pytest.raises(ConfigError, match="control character"):
            append_sources(path, [source])
    assert path.read_bytes() == before
