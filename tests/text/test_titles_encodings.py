"""Titles given as HTML become text; undeclared legacy encodings are detected; empty feeds parse."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from feed_samples import EMPTY_FEEDS

from watch.extract.encoding import declared_encoding, for_feedparser
from watch.sources.parse import parse_feed
from watch.text.htmltext import html_to_text
from watch.text.titles import title_text

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _parse(body: bytes | str, content_type: str = "application/xml"):
    data = body.encode("utf-8") if isinstance(body, str) else body
    return parse_feed(data, source_name="S", base_url="https://feed.example.org/", content_type=content_type, now=NOW)


# --------------------------------------------------------------------------------------------------
# Titles

ATOM_TITLES = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">&lt;b&gt;Lab&lt;/b&gt; news</title><id>f</id>
<entry><id>1</id><title type="html">&lt;b&gt;&amp;amp;&lt;/b&gt;</title></entry>
<entry><id>2</id><title type="html">A &amp;#38; B</title></entry>
<entry><id>3</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><b>Llama</b>   &amp;
  <i>Mistral</i></div></title></entry>
<entry><id>4</id><title type="text">Why a &lt; b matters</title></entry>
<entry><id>5</id><title type="html">safe&lt;embed src="x"&gt; description</title></entry>
</feed>"""

RSS_TITLES = """<rss version="2.0"><channel><title>Lab</title>
<item><guid>1</guid><title>&lt;b&gt;Bold&lt;/b&gt; move &amp;amp; more</title></item>
<item><guid>2</guid><title>Why a &lt; b matters</title></item>
<item><guid>3</guid><title>C++ &amp; Rust</title></item>
<item><guid>4</guid><title>Prix : 5 &amp;#8364; par mois</title></item>
<item><guid>5</guid><title><![CDATA[It&#8217;s <em>here</em>]]></title></item>
<item><guid>6</guid><title>Using &lt;video&gt; in pages</title></item>
</channel></rss>"""


def test_atom_html_and_xhtml_titles_are_text_and_keep_their_markup():
    feed = _parse(ATOM_TITLES)
    titles = {str(n): (e.title, e.title_html) for n, e in enumerate(feed.entries, 1)}
    assert feed.title == "Lab news"
    assert titles["1"] == ("&", "<b>&amp;</b>")
    assert titles["2"] == ("A & B", "A &#38; B")
    assert titles["3"][0] == "Llama & Mistral" and "<b>" in titles["3"][1]
    assert titles["4"] == ("Why a < b matters", None)  # type="text": the "<" is text
    assert titles["5"][0] == "safe description"


def test_rss_titles_with_escaped_markup_are_text_and_plain_ones_survive():
    titles = {str(n): (e.title, e.title_html) for n, e in enumerate(_parse(RSS_TITLES).entries, 1)}
    assert titles["1"] == ("Bold move & more", "<b>Bold</b> move &amp; more")
    assert titles["2"] == ("Why a < b matters", None)
    assert titles["3"] == ("C++ & Rust", None)
    assert titles["4"] == ("Prix : 5 € par mois", "Prix : 5 &#8364; par mois")
    assert titles["5"][0] == "It’s here"
    assert titles["6"] == ("Using <video> in pages", None)  # not HTML by feedparser's guess: left as written


def test_json_feed_titles_with_entities_are_text():
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Lab &amp; Co",
           "items": [{"id": "1", "title": "Q&amp;A: <b>agents</b>", "content_text": "x"},
                     {"id": "2", "title": "C++ & Rust", "content_text": "y"}]}
    feed = _parse(json.dumps(doc), "application/feed+json")
    assert feed.title == "Lab & Co"
    assert [(e.title, e.title_html) for e in feed.entries] == [("Q&A: agents", "Q&amp;A: <b>agents</b>"),
                                                              ("C++ & Rust", None)]


def test_ids_and_hashes_of_html_titles_stay_what_they_were():
    # An entry without guid or link is keyed by its raw title (with date and content), as stored before.
    rss = "<rss version='2.0'><channel><title>t</title><item><title>&lt;b&gt;X&lt;/b&gt;</title></item></channel></rss>"
    from watch.dedup import content_hash, entry_id
    from watch.store import entry_hash

    entry = _parse(rss).entries[0]
    # Without guid and link the key is title, date and content now; the title|date key older versions
    # stored is kept as previous_id, which adopts their row.
    assert entry.title == "X" and entry.previous_id == entry_id("S", "<b>X</b>|")
    assert entry.id == entry_id("S", f"<b>X</b>||{content_hash('')}")

    assert entry_hash(entry) == content_hash("<b>X</b>", entry.url, entry.feed_html)


@pytest.mark.parametrize(("value", "kind", "text"), [
    ("<b>&amp;</b>", "text/html", "&"),
    ("a <script>alert(1)</script>b", "text/html", "a b"),
    ("<p>one</p>\n\n<p>two</p>", "text/html", "one two"),
    ("Why a < b matters", "guess", "Why a < b matters"),
    ("C++ & Rust", "guess", "C++ & Rust"),
    ("x\x1b[2J <i>y</i>", "text/html", "x y"),
])
def test_title_text(value, kind, text):
    assert title_text(value, kind).text == text


def test_feed_html_keeps_text_after_an_unclosed_embed_or_object():
    assert html_to_text('safe<embed src="https://x/a.swf"> description') == "safe description"
    assert html_to_text('safe<object data="x"> description') == "safe description"
    assert html_to_text('a<object data="x"><param name="m" value="v"><embed src="y"></object> after') == "a after"
    assert html_to_text("a<script>alert(1)</script> b") == "a b"


# --------------------------------------------------------------------------------------------------
# Encodings

TEXTS = {
    "koi8-r": ("Новая версия компилятора вышла сегодня",
               "Разработчики выпустили новую версию компилятора с поддержкой нескольких архитектур."),
    "windows-1251": ("Новая версия компилятора вышла сегодня",
                     "Разработчики выпустили новую версию компилятора с поддержкой нескольких архитектур."),
    "windows-1255": ("גרסה חדשה של המהדר שוחררה היום",
                     "המפתחים שחררו גרסה חדשה של המהדר עם תמיכה בארכיטקטורות נוספות ואופטימיזציה משופרת."),
    "shift_jis": ("新しいコンパイラがリリースされました",
                  "開発者は複数のアーキテクチャに対応し、コードの最適化を改善した新しいバージョンを公開しました。"),
    "euc-jp": ("新しいコンパイラがリリースされました",
               "開発者は複数のアーキテクチャに対応し、コードの最適化を改善した新しいバージョンを公開しました。"),
    "euc-kr": ("새로운 컴파일러 버전이 오늘 출시되었습니다",
               "개발자들은 여러 아키텍처를 지원하고 코드 최적화를 개선한 새로운 버전을 공개했습니다."),
    "big5": ("新版編譯器今天發布", "開發人員發布了新版本的編譯器，支援多種架構並改進了程式碼最佳化。"),
    "gb2312": ("新版编译器今天发布", "开发人员发布了新版本的编译器，支持多种架构并改进了代码优化。"),
    "tis-620": ("คอมไพเลอร์รุ่นใหม่เปิดตัวแล้ววันนี้",
                "นักพัฒนาได้เปิดตัวคอมไพเลอร์รุ่นใหม่ที่รองรับสถาปัตยกรรมหลายแบบและปรับปรุงประสิทธิภาพของโค้ด"),
    "latin-1": ("Une nouvelle version du compilateur est sortie à Besançon",
                "Les développeurs ont publié une version améliorée, très attendue, à côté de la bêta."),
}


def legacy_rss(encoding: str, declaration: str = "") -> bytes:
    """A one-item RSS document in `encoding`, declaring it only if `declaration` says so."""
    title, text = TEXTS[encoding]
    doc = (f"{declaration}<rss version='2.0'><channel><title>Flux</title><item><guid>1</guid>"
           f"<title>{title}</title><description>{text}</description></item></channel></rss>")
    return doc.encode(encoding)


@pytest.mark.parametrize("encoding", sorted(TEXTS))
@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", ""])
def test_undeclared_legacy_encodings_are_detected(encoding, content_type):
    data = legacy_rss(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    entry = _parse(data, content_type).entries[0]
    assert (entry.title, entry.feed_html) == TEXTS[encoding]


def test_an_xml_declaration_stays_authoritative():
    # cp1251 bytes read as KOI8-R, because the document says so (detection would say windows-1251).
    data = legacy_rss("windows-1251", "<?xml version='1.0' encoding='koi8-r'?>")
    entry = _parse(data).entries[0]
    assert entry.title == TEXTS["windows-1251"][0].encode("windows-1251").decode("koi8-r")


def test_an_http_charset_stays_authoritative():
    data = legacy_rss("windows-1251")
    entry = _parse(data, "application/rss+xml; charset=koi8-r").entries[0]
    assert entry.title == TEXTS["windows-1251"][0].encode("windows-1251").decode("koi8-r")


def test_a_byte_order_mark_stays_authoritative():
    title = TEXTS["latin-1"][0]
    doc = f"<rss version='2.0'><channel><title>t</title><item><guid>1</guid><title>{title}</title></item></channel>"
    doc += "</rss>"
    for data in (doc.encode("utf-16"), b"\xef\xbb\xbf" + doc.encode("utf-8")):
        assert declared_encoding(data) in ("utf-16", "utf-8")
        assert _parse(data).entries[0].title == title


def test_valid_utf8_without_declaration_is_read_as_utf8_even_without_content_type():
    title = "Éthique et IA générative — débat"
    data = f"<rss version='2.0'><channel><title>t</title><item><guid>1</guid><title>{title}</title></item></channel>"
    data += "</rss>"
    assert _parse(data.encode("utf-8"), "").entries[0].title == title
    assert for_feedparser(data.encode("utf-8"), "application/xml").startswith(b'<?xml version="1.0" encoding="utf-8"')


def test_json_feed_in_an_undeclared_legacy_encoding_is_detected():
    title, text = TEXTS["windows-1251"]
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Лента",
                      "items": [{"id": "1", "title": title, "content_text": text}]}, ensure_ascii=False)
    entry = _parse(doc.encode("windows-1251"), "application/feed+json").entries[0]
    assert (entry.title, entry.feed_html) == (title, text)


# --------------------------------------------------------------------------------------------------
# Empty feeds parse (they are not "not a feed")


@pytest.mark.parametrize("kind", sorted(EMPTY_FEEDS))
def test_a_well_formed_feed_without_entries_parses(kind):
    feed = _parse(EMPTY_FEEDS[kind])
    assert feed.entries == () and feed.title == "Empty"
    assert feed.format != "unknown"


def test_cdf_with_items_is_read_as_cdf():
    doc = ("<?xml version='1.0'?><CHANNEL HREF='https://e.org/'><TITLE>C</TITLE>"
           "<ITEM HREF='https://e.org/a'><TITLE>A</TITLE><ABSTRACT>aa</ABSTRACT></ITEM></CHANNEL>")
    feed = _parse(doc)
    assert feed.format == "cdf" and [e.title for e in feed.entries] == ["A"]


# --------------------------------------------------------------------------------------------------
# m017: titles stored before are made text, and the full-text index follows

def test_m017_makes_stored_titles_text_and_reindexes_them(tmp_path):
    import sqlite_utils

    from watch.store import open_archive
    from watch.store.migrations import MIGRATIONS

    path = tmp_path / "watch.db"
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for step in MIGRATIONS:
        if step.__name__ == "m017_title_text":
            break
        step(db)
        db.execute("INSERT INTO _migrations VALUES (?, '2026-11-30T00:00:00+00:00')", [step.__name__])
    db.execute("INSERT INTO sources (name, url, kind, enabled, error_count, title) "
               "VALUES ('S', 'https://e.org/feed', 'feed', 1, 0, 'Lab &amp; Co')")
    titles = {"a": "<b>Bold</b> move &amp; more", "b": "C++ & Rust", "c": "Prix : 5 &#8364;", "d": "Why a < b"}
    for item_id, title in titles.items():
        db.execute("INSERT INTO items (id, source, title, fetched_at, status, attempts, cluster_id) "
                   "VALUES (?, 'S', ?, '2026-11-30T00:00:00+00:00', 'done', 0, ?)", [item_id, title, item_id])
        db.execute("INSERT INTO items_fts (rowid, title, summary, content) "
                   "SELECT rowid, title, 'summary', 'text' FROM items WHERE id = ?", [item_id])
        db.execute("INSERT INTO clusters (id, title, item_count, source_count) VALUES (?, ?, 1, 1)", [item_id, title])
    db.conn.commit()
    db.close()

    archive = open_archive(path)
    try:
        rows = dict((r[0], (r[1], r[2])) for r in archive.db.execute("SELECT id, title, title_html FROM items"))
        assert rows == {"a": ("Bold move & more", titles["a"]), "b": ("C++ & Rust", None),
                        "c": ("Prix : 5 €", titles["c"]), "d": ("Why a < b", None)}
        indexed = dict(archive.db.execute(
            "SELECT i.id, f.title FROM items_fts f JOIN items i ON i.rowid = f.rowid").fetchall())
        assert indexed == {k: v[0] for k, v in rows.items()}
        def matches(query: str) -> int:
            return archive.db.execute("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH ?", [query]).fetchone()[0]

        assert matches("title:bold") == 1 and matches("title:amp") == 0 and matches("title:8364") == 0
        assert archive.db.execute("SELECT title FROM clusters WHERE id = 'a'").fetchone()[0] == "Bold move & more"
        assert archive.db.execute("SELECT title FROM sources").fetchone()[0] == "Lab & Co"
    finally:
        archive.close()
