"""render.py: Markdown, email HTML, plain text and Atom renderings of a digest; untrusted feed content."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import feedparser
import lxml.html
import pytest
from digest_samples import at as _at
from digest_samples import item as _item
from digest_samples import sample_digest

from watch.digest.render import FORMATS, md_escape, render, render_atom, safe_url, trend
from watch.records import Digest, DigestRecord, DigestSection, HealthLine, ReleaseLine, TagTrend

HOSTILE_TITLES = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><iframe src=javascript:alert(1)>',
)
HOSTILE_SUMMARY = ('Read <a href="javascript:alert(1)">this</a> [now](javascript:alert(2)) '
                   "<style>body{display:none}</style> <object data=x></object> <embed src=x> <svg onload=alert(3)>")
HOSTILE_URLS = ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " JaVaScRiPt:alert(1)",
                "vbscript:msgbox(1)", "https://e.org/a b", "//e.org/no-scheme", "java\tscript:alert(1)")
# a legitimate URL carrying characters that must not break out of an attribute or a Markdown link
TRICKY_URL = 'https://e.org/?q="><script>alert(1)</script>&x=(y)'

HOSTILE_SOURCE = '**Evil** [src](javascript:alert(1)) <b onmouseover="alert(1)">x</b>'


def hostile_digest() -> Digest:
    """Every field a feed controls, filled with something that must not become markup or a link."""
    urls = (*HOSTILE_URLS, TRICKY_URL)
    items = tuple(_item(n, HOSTILE_TITLES[n % len(HOSTILE_TITLES)], url=url, source=HOSTILE_SOURCE,
                        tags=("llm", "<b>x</b>", "`code`"), summary=HOSTILE_SUMMARY) for n, url in enumerate(urls))
    return dataclasses.replace(
        sample_digest(),
        sections=(DigestSection("<script>alert('tag')</script>", '<img src=x onerror="alert(1)">', items),),
        also=tuple(dataclasses.replace(i, id=f"a{i.id}") for i in items),
        releases=(ReleaseLine("<script>alert(1)</script>", '"><svg onload=alert(1)>', _at(25), "javascript:alert(1)",
                              HOSTILE_SOURCE),),
        health=(HealthLine(HOSTILE_SOURCE, "<i>failing</i>", '<a href="javascript:alert(1)">cause</a>', _at(20)),),
        trends=(TagTrend("<script>alert(1)</script>", 2, 1),),
    )


# -- content ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_part_of_the_digest_is_shown(fmt):
    digest = sample_digest()
    out = render(digest, fmt)
    text = _one_line(_visible(out, fmt))  # plain text wraps lines
    assert "Tech watch — 2026-W48" in text
    assert "2026-11-23 → 2026-11-29" in text  # `end` is exclusive
    assert "42 items from 17 sources, 31 stories" in text
    for shown in ("agents 14 (+40%)", "llm 9 (-25%)", "regulation 4 (new)", "mlops 3 (±0%)") if fmt != "html" else (
            "agents 14 +40%", "llm 9 -25%", "regulation 4 new", "mlops 3 ±0%"):
        assert shown in text
    positions = [text.index(s.description) for s in digest.sections]
    assert positions == sorted(positions)  # sections in order
    for section in digest.sections:
        assert section.description in text
        for item in section.items:
            assert item.title in text
            for source in item.sources or (item.source,):
                assert source in text
            assert item.published.strftime("%Y-%m-%d") in text
            assert item.summary in text
    for item in digest.also:
        assert item.title in text
        for source in item.sources or (item.source,):
            assert source in text
    assert "Also this week" in text and "Releases" in text and "Sources health" in text
    for release in digest.releases:
        assert release.project in text and release.version in text and "2026-11-25" in text
    for line in digest.health:
        assert line.source in text and line.state in text and line.cause in text
    assert "since 2026-11-21" in text
    assert "Nothing new" not in text
    # links: every http(s) URL is there; the javascript: one is not, its title is shown unlinked
    links = _links(out, fmt)
    for item in (*[i for s in digest.sections for i in s.items], *digest.also):
        assert (item.url in links) == item.url.startswith("https://")
    for release in digest.releases:
        assert release.url in links
    assert all(link.startswith("https://") for link in links)


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_digest_says_nothing_new(fmt):
    empty = dataclasses.replace(sample_digest(), sections=(), also=(), releases=(), health=(), trends=(),
                                item_count=0, source_count=0, story_count=0, lead=(), collapsed=(), off_topic=0,
                                reading_minutes=0)
    text = _visible(render(empty, fmt), fmt)
    assert "Nothing new in this period" in text
    assert "0 items from 0 sources" in text
    assert "Releases" not in text and "Sources health" not in text and "Also this week" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_health_alone_still_shows_with_no_items(fmt):
    quiet = dataclasses.replace(sample_digest(), sections=(), also=(), releases=())
    text = _visible(render(quiet, fmt), fmt)
    assert "Nothing new in this period" in text and "Anthropic news" in text


def test_singular_counts():
    one = dataclasses.replace(sample_digest(), item_count=1, source_count=1, story_count=1)
    for fmt in FORMATS:
        assert "1 item from 1 source, 1 story" in _visible(render(one, fmt), fmt)


@pytest.mark.parametrize(("count", "previous", "shown"),
                         [(14, 10, "+40%"), (3, 4, "-25%"), (5, 0, "new"), (3, 3, "±0%"), (0, 2, "-100%"),
                          (2, 3, "-33%"), (7, 3, "+133%")])
def test_trend_formatting(count, previous, shown):
    assert trend(TagTrend("t", count, previous)) == shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_french_accents_and_emoji_survive(fmt):
    text = render(sample_digest(), fmt)
    for word in ("publie", "modèle", "à une fraction", "🚀", "précise", "d'entraînement"):
        assert word in text.replace("&#39;", "'").replace("\\", "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(fmt):
    assert render(sample_digest(), fmt).encode() == render(sample_digest(), fmt).encode()


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown digest format"):
        render(sample_digest(), "pdf")


# -- untrusted content -----------------------------------------------------------------------------------------


def test_html_is_a_complete_email_safe_document():
    out = render(sample_digest(), "html")
    assert out.startswith("<!DOCTYPE html>")
    doc = lxml.html.document_fromstring(out)
    assert doc.get("lang") == "en"
    metas = {m.get("name"): m.get("content") for m in doc.iter("meta") if m.get("name")}
    assert metas["color-scheme"] == "light dark"
    assert "width=device-width" in metas["viewport"]
    styles = doc.findall(".//style")
    assert len(styles) == 1 and "prefers-color-scheme: dark" in styles[0].text and "max-width" in styles[0].text
    assert "max-width:640px" in out
    # no external assets of any kind
    assert not doc.xpath("//img|//script|//link|//iframe|//video|//audio|//source|//object|//embed")
    assert "url(" not in out and "@import" not in out and "@font-face" not in out
    # the style block only holds what inline styles cannot say: everything else is inline
    assert len(styles[0].text) < 1000
    assert len(doc.xpath("//*[@style]")) > 50


def test_hostile_content_never_becomes_html():
    out = render(hostile_digest(), "html")
    doc = lxml.html.document_fromstring(out)
    assert not doc.xpath("//script|//iframe|//object|//embed|//svg|//img|//frame|//form|//input|//base|//meta"
                         "[@http-equiv]")
    assert len(doc.xpath("//style")) == 1
    assert "display:none" not in doc.xpath("//style")[0].text
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name, value)
            if name.lower() in ("href", "src", "action", "formaction", "background", "poster", "xlink:href"):
                assert value.startswith(("https://", "http://", "#")), (element.tag, name, value)
    # the text is still there, shown literally
    assert "<script>alert(1)</script>" in doc.text_content()
    assert "<style>body{display:none}</style>" in doc.text_content()


def test_hostile_content_never_becomes_markdown_markup():
    out = render(hostile_digest(), "md")
    assert "`<b>x</b>`" in out  # inside a code span, where Markdown shows it literally
    assert "`'code'`" in out  # a backtick in a tag cannot close its code span
    out = re.sub(r"`[^`\n]*`", "", out)
    assert not re.search(r"(?<!\\)<(script|img|iframe|style|object|embed|svg|a|b|i)\b", out, re.IGNORECASE)
    assert not re.search(r"(?<!\\)\]\(\s*(javascript|data|vbscript):", out, re.IGNORECASE)
    for target in re.findall(r"(?<!\\)\]\(([^)]*)\)", out):
        assert target.startswith("https://"), target
    assert "\\<script\\>alert(1)\\</script\\>" in out


def test_hostile_content_in_plain_text_prints_no_bad_link():
    out = render(hostile_digest(), "text")
    # URLs are printed alone on their line, after the title: only the http(s) one is there
    url_lines = [line.strip() for line in out.splitlines() if re.match(r"^\s*[a-z]+:", line, re.IGNORECASE)]
    assert set(url_lines) == {safe_url(TRICKY_URL)}, url_lines
    assert not re.search(r"^\s*(javascript|data|vbscript):", out, re.IGNORECASE | re.MULTILINE)
    assert "<script>alert(1)</script>" in out  # plain text: shown as it is, nothing interprets it
    assert all(len(line) <= 78 for line in out.splitlines() if " " in line.strip())


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_and_bidi_overrides_are_stripped(fmt):
    item = _item(1, "Bell\x07 and\x1b[31m escape \u202eevil\u202c \x00 done", summary="a\x0bb\x85c")
    digest = dataclasses.replace(sample_digest(), sections=(DigestSection("llm", "", (item,)),))
    out = render(digest, fmt)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out)
    assert "Bell and escape evil" in out.replace("\\", "")  # the whole escape sequence went, not just ESC
    assert "[31m" not in out


def test_text_lines_are_wrapped():
    out = render(sample_digest(), "text")
    long_lines = [line for line in out.splitlines() if len(line) > 78]
    assert all(" " not in line.strip() for line in long_lines), long_lines  # only URLs and words too long to break
    assert "  Le modèle est publié sous licence Apache 2.0" in out  # summaries indented under their title
    assert "<" not in out and "](" not in out and "**" not in out  # no markup


def test_md_escape_and_safe_url():
    assert md_escape("a *b* _c_\n# d") == "a \\*b\\* \\_c\\_ \\# d"
    assert safe_url("https://e.org/a_(b)") == "https://e.org/a_%28b%29"
    assert safe_url(" HTTP://e.org/x ") == "HTTP://e.org/x"
    for bad in (*HOSTILE_URLS, "https://e.org/\x00x", "ftp://e.org/", "", "https://"):
        assert safe_url(bad) == "", bad


# -- user templates ----------------------------------------------------------------------------------------------


def test_a_user_template_replaces_the_built_in_one(tmp_path):
    (tmp_path / "digest.md.j2").write_text("CUSTOM {{ digest.title | md }} {{ digest.trends[0] | trend }}\n")
    assert render(sample_digest(), "md", templates=tmp_path) == "CUSTOM Tech watch — 2026-W48 +40%\n"
    # formats without a user template fall back to the built-in one
    assert render(sample_digest(), "html", templates=tmp_path) == render(sample_digest(), "html")
    assert render(sample_digest(), "text", templates=tmp_path) == render(sample_digest(), "text")
    # a folder that does not exist changes nothing
    assert render(sample_digest(), "md", templates=tmp_path / "nope") == render(sample_digest(), "md")


def test_user_html_template_is_autoescaped_and_text_template_has_two_names(tmp_path):
    (tmp_path / "digest.html.j2").write_text("<p>{{ digest.sections[0].items[0].title }}</p>")
    out = render(hostile_digest(), "html", templates=tmp_path)
    assert out == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    (tmp_path / "digest.txt.j2").write_text("txt {{ digest.label }}")
    assert render(sample_digest(), "text", templates=tmp_path) == "txt 2026-W48\n"
    (tmp_path / "digest.text.j2").write_text("text {{ digest.label }}")
    assert render(sample_digest(), "text", templates=tmp_path) == "text 2026-W48\n"


# -- Atom --------------------------------------------------------------------------------------------------------


def _records() -> list[DigestRecord]:
    digest = sample_digest()
    older = dataclasses.replace(digest, title="Tech watch — 2026-W47 <Q&A> \"quotes\" & 'more'", label="2026-W47")
    return [
        DigestRecord(label="2026-W47", start=datetime(2026, 11, 16, tzinfo=UTC), end=datetime(2026, 11, 23, tzinfo=UTC),
                     written_at=datetime(2026, 11, 23, 7, 0, tzinfo=UTC), title=older.title,
                     html=render(older, "html"), text=render(older, "text")),
        DigestRecord(label="2026-W48", start=digest.start, end=digest.end,
                     written_at=datetime(2026, 11, 30, 7, 0, tzinfo=UTC), title=digest.title,
                     html=render(digest, "html"), text=render(digest, "text")),
    ]


def test_atom_feed_of_past_digests():
    records = _records()
    xml = render_atom(records, feed_id="urn:techwatch:digests", self_url="https://watch.example.org/digests.atom")
    feed = feedparser.parse(xml)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "techwatch digests"
    assert feed.feed.id == "urn:techwatch:digests"
    assert feed.feed.updated == "2026-11-30T07:00:00Z"
    assert any(link.rel == "self" and link.href == "https://watch.example.org/digests.atom" for link in feed.feed.links)
    assert [e.id for e in feed.entries] == ["urn:techwatch:digests:2026-W48", "urn:techwatch:digests:2026-W47"]
    newest, older = feed.entries
    assert newest.title == "Tech watch — 2026-W48" and newest.updated == "2026-11-30T07:00:00Z"
    assert older.title == "Tech watch — 2026-W47 <Q&A> \"quotes\" & 'more'"  # escaped in XML, intact once parsed
    assert "&lt;Q&amp;A&gt;" in xml
    content = newest.content[0]
    assert content.type == "text/html"
    assert "Mistral AI publie Mistral Medium 3" in content.value and "Sources health" in content.value
    assert "<style" not in xml.split("<entry>")[1]  # the email's <head> stays out of the feed
    assert newest.summary.startswith("Tech watch — 2026-W48\n2026-11-23 → 2026-11-29")
    # stable: same records, same bytes; entry ids do not depend on order or on the other records
    assert render_atom(list(reversed(records)), feed_id="urn:techwatch:digests",
                       self_url="https://watch.example.org/digests.atom") == xml
    alone = feedparser.parse(render_atom(records[:1], feed_id="urn:techwatch:digests"))
    assert [e.id for e in alone.entries] == ["urn:techwatch:digests:2026-W47"]


def test_atom_feed_escapes_hostile_digests_and_empty_feed_is_valid():
    record = DigestRecord(label="x", start=_at(1), end=_at(8), written_at=_at(8),
                          title="</title><script>x</script>\x00", html=render(hostile_digest(), "html"),
                          text="a & b < c\x07")
    feed = feedparser.parse(render_atom([record], feed_id="urn:t"))
    assert feed.bozo == 0 and feed.entries[0].title == "</title><script>x</script>"
    empty = feedparser.parse(render_atom([], feed_id="urn:t", self_url="javascript:alert(1)"))
    assert empty.bozo == 0 and empty.entries == [] and not empty.feed.get("links")


# -- helpers -----------------------------------------------------------------------------------------------------


def _visible(out: str, fmt: str) -> str:
    """What a reader sees: the HTML's text, Markdown without its escapes, plain text as is."""
    if fmt == "html":
        text = lxml.html.document_fromstring(out).text_content()
        return re.sub(r"[ \t\r\n\xa0]+", " ", text)
    if fmt == "md":
        return re.sub(r"\\(.)", r"\1", out)
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _links(out: str, fmt: str) -> set[str]:
    if fmt == "html":
        return {a.get("href") for a in lxml.html.document_fromstring(out).iter("a")}
    if fmt == "md":
        return set(re.findall(r"(?<!\\)\]\(([^)\s]+)\)", out))
    return set(re.findall(r"^\s*(\S+://\S+)$", out, re.MULTILINE))


def test_a_full_week_stays_under_gmails_clipping_size():
    # Gmail clips messages past 102 KB: inline styles are repeated on every card, so keep an eye on them.
    long_summary = "Une phrase assez longue pour ressembler à un vrai résumé d'article, avec des accents. " * 5
    items = tuple(_item(n, f"Story {n}: " + "a fairly long headline about models " * 3, summary=long_summary,
                        sources=("Source A", "Source B", "Source C"), tags=("llm", "agents", "mlops"))
                  for n in range(25))
    also = tuple(_item(100 + n, f"Also {n}: a one-line story with a long enough title") for n in range(40))
    week = dataclasses.replace(sample_digest(), sections=(DigestSection("llm", "Large language models", items),),
                               also=also)
    assert len(render(week, "html").encode()) < 100_000
