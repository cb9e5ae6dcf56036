"""Querying the archive: search (stories, filters, hostile input), show, stats, export, read-only opening."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sqlite3
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from digest_archive import MONDAY, build
from rich.console import Console
from testkit import corpus_path, run_cli

from watch.errors import SearchSyntaxError
from watch.extract.lang import detect_language
from watch.query import search as query_mod
from watch.query.output import write_stats
from watch.query.search import QueryError, fts_match, literal_match, parse_when
from watch.records import Article, FetchResult, ModelOutput, SearchQuery, Summary
from watch.sources.parse import parse_feed
from watch.store import open_archive, open_reader
from watch.store.lock import archive_lock


@pytest.fixture
def archive_db(tmp_path: Path) -> Path:
    config, archive = build(tmp_path)
    archive.close()
    return config.settings.database


@pytest.fixture
def reader(archive_db: Path):
    reader = open_reader(archive_db)
    yield reader
    reader.close()


# -- query text ----------------------------------------------------------------------------------

ALL_TERMS = "{title_terms summary_terms content_terms} : "


@pytest.mark.parametrize(("text", "expected"), [
    ("mistral", '"mistral"'),
    ("AI Act", '("AI" AND "Act")'),
    ('"open weights" OR llama*', '("open weights" OR "llama"*)'),
    ("GPT-4o", '"GPT-4o"'),  # the phrase of its parts: gpt 4o (never gpt 4)
    ("C++ NOT java", f'(({ALL_TERMS}"cplusplus") NOT "java")'),
    (".NET", f'({ALL_TERMS}"dotnet")'),
    ("title:C#", '(title_terms : "csharp")'),
    ("title:nimbus", 'title : "nimbus"'),
    ("{title summary}: grok", '{title summary} : "grok"'),
    ("-content:grok", '{title summary} : "grok"'),
    ("foo:bar", '"foo:bar"'),  # not one of our columns: searched as words
    ("'; DROP TABLE items; --", '("DROP" AND "TABLE" AND "items;")'),
    ("(a OR b) c", '(("a" OR "b") AND "c")'),
    ("a OR b c NOT d", '("a" OR (("b" AND "c") NOT "d"))'),  # side by side, then NOT, AND, OR
    ("a NOT b AND c", '(("a" NOT "b") AND "c")'),
    ("^ nimbus x* + y", '(^"nimbus" AND "x"* + "y")'),
    ("NEAR(gpu cost, 5)", 'NEAR("gpu" "cost", 5)'),
])
def test_fts_match_keeps_syntax_and_quotes_the_rest(text: str, expected: str) -> None:
    assert fts_match(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("NOT mistral", "NOT needs something before it"),
    ("()", "empty parentheses"),
    ("llm ( )", "empty parentheses"),
    ("-mistral", "does not exclude 'mistral'"),
    ("llm - mistral", "does not exclude"),
    ("llama | mistral", "write OR"),
    ("a OR", "OR at the end"),
    ("a AND OR b", "OR right after AND"),
    ("(a OR b", "unclosed ("),
    ("a)", "unmatched )"),
    ('"open ai', "unclosed quote"),
    ('""', "empty quotes"),
    ("title:", "title: needs a word"),
    ("{title foo}: x", "no column 'foo'"),
    ("title:(summary:x)", "no column to search in"),
    ("NEAR(gpu)", "at least two"),
])
def test_a_query_that_cannot_be_honoured_says_why(text: str, why: str) -> None:
    with pytest.raises(QueryError) as caught:
        fts_match(text)
    assert why in str(caught.value) and "--literal" in str(caught.value)


def test_valid_fts5_queries_find_what_fts5_finds() -> None:
    """Random queries over FTS5's syntax: each one SQLite accepts is accepted and finds the same rows."""
    rng = random.Random(5)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, content, title_terms, summary_terms, "
               "content_terms)")
    words = ["a", "b", "c", "x", "y"]
    db.executemany("INSERT INTO items_fts (title, summary, content) VALUES (?, ?, ?)",
                   [tuple(" ".join(rng.choice(words) for _ in range(rng.randint(0, 4))) for _ in range(3))
                    for _ in range(60)])
    pieces = ["a", "b", "c", '"x y"', "(", ")", "{title summary}:", "title:", "-content:", "*", "^", "+", "NOT",
              "AND", "OR", "NEAR(a b, 3)", "NEAR(x a c)", "x*"]

    def rows(match: str) -> list[int]:
        return [r[0] for r in db.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH ?", [match])]

    checked = 0
    for _ in range(6000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        try:
            expected = rows(text)
        except sqlite3.OperationalError:
            continue  # not FTS5 syntax: the other tests say how it is refused
        assert rows(fts_match(text)) == expected, text
        checked += 1
    assert checked > 500


def test_literal_match_takes_every_word_as_a_plain_word() -> None:
    assert literal_match('say "hi" -- now') == '("say" AND """hi""" AND "now")'
    assert literal_match("NOT mistral") == '("NOT" AND "mistral")'
    assert literal_match("C++") == f'({ALL_TERMS}"cplusplus")'
    assert literal_match("-- ;; !!") is None


def test_parse_when_forms() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert parse_when("30d", now) == now - timedelta(days=30)
    assert parse_when("12h", now) == now - timedelta(hours=12)
    assert parse_when("2w", now) == now - timedelta(weeks=2)
    assert parse_when("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_when("2026-W47", now) == datetime(2026, 11, 16, tzinfo=UTC)
    with pytest.raises(QueryError, match="bad date"):
        parse_when("last tuesday", now)
    with pytest.raises(QueryError, match="bad date"):
        parse_when("2026-W60", now)


# -- search on the fixed archive -----------------------------------------------------------------

def test_search_collapses_a_story_to_one_line_with_all_its_sources(reader) -> None:
    result = query_mod.search(reader, SearchQuery(text="Nimbus"))
    stories = [h.story_id for h in result.hits]
    assert len(stories) == len(set(stories))
    nimbus = [h for h in result.hits if "Nimbus 3" in h.title]
    assert len(nimbus) == 1, [h.title for h in result.hits]
    assert set(nimbus[0].sources) == {"Lab Blog", "Wire", "Veille FR"}


def test_search_ranks_by_bm25_with_title_weighted(reader) -> None:
    result = query_mod.search(reader, SearchQuery(text="agents"))
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s is not None and s > 0 for s in scores)
    assert all("agents" in (h.title + h.summary).lower() for h in result.hits)


def test_snippet_marks_the_match(reader) -> None:
    hit = query_mod.search(reader, SearchQuery(text="CNIL")).hits[0]
    assert "\x02CNIL\x03" in hit.snippet


def test_sort_recent_orders_by_date(reader) -> None:
    hits = query_mod.search(reader, SearchQuery(text="news OR agents OR model", sort="recent", limit=50)).hits
    dates = [h.published for h in hits]
    assert len(dates) > 3 and dates == sorted(dates, reverse=True)


def test_filters_tag_source_language_and_period(reader) -> None:
    def ids(**kw) -> set[str]:
        return {h.item_id for h in query_mod.search(reader, SearchQuery(limit=100, **kw)).hits}

    everything = ids()
    regulation = ids(tags=("regulation",))
    assert regulation and regulation < everything
    assert all("regulation" in h.tags for h in query_mod.search(reader, SearchQuery(tags=("regulation",))).hits)
    assert {h.source for h in query_mod.search(reader, SearchQuery(sources=("wire",), limit=100)).hits} == {"Wire"}
    week = ids(since=MONDAY, until=MONDAY + timedelta(days=7))
    before = ids(until=MONDAY)
    assert week and before and not (week & before) and week | before == everything


def test_limit_counts_stories_not_items(reader) -> None:
    hits = query_mod.search(reader, SearchQuery(limit=3)).hits
    assert len(hits) == 3 and len({h.story_id for h in hits}) == 3


def test_unknown_tag_or_source_is_a_clear_error(reader) -> None:
    with pytest.raises(QueryError, match=r"no tag named 'nope'.*known: agents, llm, regulation"):
        query_mod.search(reader, SearchQuery(tags=("nope",)))
    with pytest.raises(QueryError, match="no source named 'Nowhere'"):
        query_mod.search(reader, SearchQuery(sources=("Nowhere",)))


def test_a_syntax_error_is_refused_never_searched_otherwise(reader) -> None:
    with pytest.raises(QueryError, match="OR at the end needs something after it"):
        query_mod.search(reader, SearchQuery(text="Nimbus OR"))
    with pytest.raises(QueryError, match="unclosed"):
        query_mod.search(reader, SearchQuery(text="Nimbus (3"))
    assert query_mod.search(reader, SearchQuery(text="Nimbus (3", literal=True)).hits  # the words, as asked
    with pytest.raises(SearchSyntaxError):
        reader.search_rows(SearchQuery(), "Nimbus OR", 10)


def test_too_long_and_empty_queries_are_refused(reader) -> None:
    with pytest.raises(QueryError, match="too long"):
        query_mod.search(reader, SearchQuery(text="a " * 600))
    with pytest.raises(QueryError, match="nothing to search for"):
        query_mod.search(reader, SearchQuery(text="-- ;"))


# -- the CLI, hostile input ------------------------------------------------------------------------

HOSTILE = ['"open ai', "'; DROP TABLE items; --", "Robert'); DELETE FROM items;--", "AND", "*", "a OR",
           "NEAR(", "title:", "\x01\x02 zero", "é" * 900, "((((((((((x", "x" + " OR x" * 300]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_traceback_and_never_change_the_archive(archive_db: Path, tmp_path: Path,
                                                                      text: str) -> None:
    before = archive_db.read_bytes()
    done = run_cli("search", text, "--db", str(archive_db), "--format", "json", cwd=tmp_path, timeout=60)
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 2), done.stderr
    if done.returncode == 0:
        assert isinstance(json.loads(done.stdout), list)
    else:
        assert done.stderr.startswith("error: ")
    assert archive_db.read_bytes() == before
    with sqlite3.connect(archive_db) as db:
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] > 10


def test_cli_search_formats(archive_db: Path, tmp_path: Path) -> None:
    as_json = json.loads(run_cli("search", "Nimbus", "--db", str(archive_db), "--format", "json",
                                 cwd=tmp_path).stdout)
    assert as_json[0]["title"] and "**Nimbus**" in json.dumps(as_json, ensure_ascii=False)
    rows = list(csv.DictReader(io.StringIO(run_cli("search", "Nimbus", "--db", str(archive_db), "--format", "csv",
                                                   cwd=tmp_path).stdout)))
    assert [r["id"] for r in rows] == [h["id"] for h in as_json]
    md = run_cli("search", "Nimbus", "--db", str(archive_db), "--format", "md", cwd=tmp_path).stdout
    assert md.count("\n- **[") + md.startswith("- **[") == len(as_json)
    table = run_cli("search", "Nimbus", "--db", str(archive_db), cwd=tmp_path)
    assert table.returncode == 0 and "Nimbus" in table.stdout
    none = run_cli("search", "zzzunfindable", "--db", str(archive_db), cwd=tmp_path)
    assert none.returncode == 0 and "No matching stories" in none.stderr


def test_cli_bad_date_and_missing_archive(archive_db: Path, tmp_path: Path) -> None:
    bad = run_cli("search", "x", "--db", str(archive_db), "--since", "yesterdayish", cwd=tmp_path)
    assert bad.returncode == 2 and "bad date 'yesterdayish'" in bad.stderr
    missing = run_cli("search", "x", "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert missing.returncode == 1 and "no archive at" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "none.db").exists()


def test_not_an_archive_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    done = run_cli("search", "x", "--db", str(other), cwd=tmp_path)
    assert done.returncode == 1 and "not a techwatch archive" in done.stderr


# -- read-only -------------------------------------------------------------------------------------

def test_queries_run_while_a_writer_holds_the_archive(archive_db: Path, tmp_path: Path) -> None:
    writer = sqlite3.connect(archive_db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE items SET title = 'changed' WHERE id = 'lab-1'")
    try:
        with archive_lock(archive_db, "techwatch run", 0):
            done = run_cli("search", "Nimbus", "--db", str(archive_db), "--format", "json", cwd=tmp_path, timeout=30)
            assert done.returncode == 0, done.stderr
            titles = [h["title"] for h in json.loads(done.stdout)]
            assert "changed" not in titles  # the uncommitted write is not seen
            assert run_cli("stats", "--db", str(archive_db), "--since", "all", cwd=tmp_path).returncode == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_reader_cannot_write(reader) -> None:
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
        reader.db.execute("DELETE FROM items")


def test_reader_migrates_an_archive_left_behind(archive_db: Path) -> None:
    with sqlite3.connect(archive_db) as db:  # undo m011, as if an older techwatch had written the archive
        db.execute("DROP INDEX items_day_status_source")
        db.execute("ALTER TABLE items DROP COLUMN day")
        db.execute("DELETE FROM _migrations WHERE name = 'm011_item_day'")
    reader = open_reader(archive_db)
    try:
        assert query_mod.search(reader, SearchQuery(text="Nimbus", since=MONDAY)).hits
        assert reader.db.execute("SELECT count(*) FROM _migrations WHERE name = 'm011_item_day'").fetchone()[0] == 1
    finally:
        reader.close()


# -- show ------------------------------------------------------------------------------------------

def test_show_by_id_and_prefix(reader) -> None:
    item = query_mod.show(reader, "lab-1")
    assert item.title.startswith("Nimbus 3") and item.summary and item.tags[0][0] == "llm"
    assert {m.source for m in item.members} == {"Wire", "Veille FR"}
    assert query_mod.show(reader, "tiny-").id.startswith("tiny-") if len(reader.resolve_id("tiny-")) == 1 else True
    with pytest.raises(QueryError, match="ambiguous"):
        query_mod.show(reader, "wire")
    with pytest.raises(QueryError, match="no item with id"):
        query_mod.show(reader, "zzzz")
    with pytest.raises(QueryError, match="too short"):
        query_mod.show(reader, "w")


def test_cli_show_text_and_json(archive_db: Path, tmp_path: Path) -> None:
    text = run_cli("show", "lab-1", "--db", str(archive_db), cwd=tmp_path)
    assert text.returncode == 0 and "Also reported by" in text.stdout and "Veille FR" in text.stdout
    data = json.loads(run_cli("show", "lab-1", "--db", str(archive_db), "--format", "json", cwd=tmp_path).stdout)
    assert data["id"] == "lab-1" and len(data["story"]) == 2 and data["content"]


# -- stats -----------------------------------------------------------------------------------------

def test_stats_counts_weeks_tags_sources_and_failing(reader) -> None:
    stats = query_mod.archive_stats(reader, MONDAY - timedelta(days=14), MONDAY + timedelta(days=7))
    assert [w.label for w in stats.weeks] == ["2026-W45", "2026-W46", "2026-W47"]
    total = reader.db.execute("SELECT count(*) FROM items WHERE status = 'done'").fetchone()[0]
    assert stats.items == sum(w.count for w in stats.weeks) == total
    assert stats.weeks[0].count == 0
    tags = {r.label: r.count for r in stats.tags}
    assert tags["agents"] == sum(stats.tag_weeks["agents"])
    assert stats.tag_weeks["agents"][-1] > stats.tag_weeks["agents"][-2]
    assert sum(r.count for r in stats.sources) == total
    assert {h.source: h.state for h in stats.failing} == {"Gone": "gone", "Broken": "failing", "Sleepy": "stale"}


def test_cli_stats_json_and_plot(archive_db: Path, tmp_path: Path) -> None:
    png = tmp_path / "chart.png"
    done = run_cli("stats", "--db", str(archive_db), "--since", "2026-W45", "--until", "2026-W48",
                   "--format", "json", "--plot", str(png), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [w["week"] for w in data["weeks"]] == ["2026-W45", "2026-W46", "2026-W47"]
    assert data["tag_weeks"]["agents"]["2026-W47"] == 4
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == 1000 and int.from_bytes(head[20:24], "big") == 500
    text = run_cli("stats", "--db", str(archive_db), "--since", "2026-W45", "--until", "2026-W48", cwd=tmp_path)
    assert "Tags week over week" in text.stdout and "Sources needing attention" in text.stdout


def test_a_partial_last_week_is_compared_pro_rata(reader) -> None:
    # Wednesday noon of W47: 2.5 of its 7 days; 4 items so far against W46's 5, i.e. 1.8 expected by now
    stats = query_mod.archive_stats(reader, MONDAY - timedelta(days=14), MONDAY + timedelta(days=2, hours=12))
    change = stats.change
    assert (change.week, change.items, change.previous_week, change.previous_items) == ("2026-W47", 4, "2026-W46", 5)
    assert change.partial and change.days == 2.5 and change.expected(5) == pytest.approx(5 * 2.5 / 7)
    assert change.percent == pytest.approx(100 * (4 - 5 * 2.5 / 7) / (5 * 2.5 / 7))  # +124 %, not the raw -20 %
    text = _stats_text(stats)
    assert "2026-W47 is partial (2.5 days of 7 so far): 4 items so far against 1.8 expected pro rata from 5 in " \
           "2026-W46: +124 %." in text
    assert "-20 %" not in text
    assert "Tags week over week (W47* partial: pro rata)" in text
    llm = next(line for line in text.splitlines() if line.split("│")[1:2] == [" llm    "])
    assert llm.split("│")[-2].strip() == "+2"  # 3 so far against 2 * 2.5 / 7 = 0.7: +2, where raw says +1


def test_a_week_begun_less_than_a_day_ago_is_not_compared(reader) -> None:
    stats = query_mod.archive_stats(reader, MONDAY - timedelta(days=14), MONDAY + timedelta(hours=5))
    assert stats.change.too_early and stats.change.percent is None
    text = _stats_text(stats)
    assert "2026-W47 is partial (0.2 days of 7 so far, 0 items): too early to compare with 2026-W46 (5 items)." in text
    assert "%" not in text
    rows = [line.split("│") for line in text.splitlines() if line.split("│")[1:2] in ([" llm    "], [" agents "])]
    assert len(rows) == 2 and all(row[-2].strip() == "" for row in rows)  # no -2, -1 for a week five hours old


def test_a_complete_week_is_compared_whole(reader) -> None:
    stats = query_mod.archive_stats(reader, MONDAY - timedelta(days=14), MONDAY + timedelta(days=7))
    assert not stats.change.partial and stats.change.percent == pytest.approx(160.0)
    text = _stats_text(stats)
    assert "Week over week: 13 items in 2026-W47 against 5 in 2026-W46: +160 %." in text
    assert "partial" not in text and "pro rata" not in text


def test_a_previous_week_cut_by_since_is_scaled_up(reader) -> None:
    # --since on Thursday of W46: 4 of its days are counted (3 items), so W46 stands for 3 * 7 / 4 items
    stats = query_mod.archive_stats(reader, MONDAY - timedelta(days=4), MONDAY + timedelta(days=7))
    change = stats.change
    assert (change.previous_items, change.previous_days) == (3, 4.0)
    assert change.expected(3) == pytest.approx(5.25) and change.percent == pytest.approx(100 * (13 - 5.25) / 5.25)


def test_cli_stats_says_the_week_is_partial(archive_db: Path, tmp_path: Path) -> None:
    args = ("stats", "--db", str(archive_db), "--since", "2026-W45", "--until", "2026-11-18T12:00:00")
    text = run_cli(*args, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "2026-W47 is partial (2.5 days of 7 so far)" in text.stdout and "+124 %" in text.stdout
    data = json.loads(run_cli(*args, "--format", "json", cwd=tmp_path).stdout)
    assert data["week_over_week"] == {"week": "2026-W47", "items": 4, "partial": True, "days": 2.5,
                                      "previous_week": "2026-W46", "previous_items": 5, "expected_items": 1.8,
                                      "change_percent": 124.0}


def _stats_text(stats) -> str:
    out = io.StringIO()
    write_stats(stats, "text", out, console=Console(file=out, width=120, color_system=None))
    return out.getvalue()


# -- export ----------------------------------------------------------------------------------------

def test_export_jsonl_and_csv_parse_back(archive_db: Path, tmp_path: Path, reader) -> None:
    total = reader.db.execute("SELECT count(*) FROM items WHERE status = 'done'").fetchone()[0]
    done = run_cli("export", "--db", str(archive_db), cwd=tmp_path)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == total and f"{total} items exported" in done.stderr
    by_id = {r["id"]: r for r in rows}
    assert by_id["lab-1"]["tags"] == ["llm"] and by_id["lab-1"]["content"]
    assert by_id["wire-1"]["story_id"] == by_id["lab-1"]["story_id"]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    out = tmp_path / "out.csv"
    done = run_cli("export", "--db", str(archive_db), "--format", "csv", "--out", str(out), "--query", "agents",
                   "--no-content", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    parsed = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert parsed and all("agents" in r["title"].lower() + r["summary"].lower() for r in parsed)
    assert all(r["content"] == "" for r in parsed)
    hostile = next(r for r in rows if "<script>" in r["title"])
    assert next(r for r in parsed if r["id"] == hostile["id"])["title"] == hostile["title"]  # exact round trip


# -- a fixed archive built from real corpus feeds ---------------------------------------------------

CORPUS_FEEDS = ("ai_anthropic_news.rss.xml", "ai_openai_research_news.rss.xml", "ai_mistral_news.rss.xml",
                "fr_nextinpact_fullcontent.rss.xml", "hn_frontpage_fullcontent.rss.xml")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@pytest.fixture(scope="module")
def corpus_archive(tmp_path_factory) -> tuple[Path, dict[str, tuple[str, str]]]:
    paths = [corpus_path("feeds", name) for name in CORPUS_FEEDS]
    db = tmp_path_factory.mktemp("corpus") / "corpus.db"
    archive = open_archive(db)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    texts: dict[str, tuple[str, str]] = {}
    from watch.records import Source
    archive.sync_sources([Source(name=p.stem, url=f"https://x.example/{p.name}") for p in paths], now)
    for path in paths:
        feed = parse_feed(path.read_bytes(), source_name=path.stem, base_url=f"https://x.example/{path.name}")
        archive.save_refresh(path.stem, FetchResult(url="u", final_url="u", status=200), feed, path.stem, now, now)
        for entry in feed.entries:
            text = " ".join(re.sub(r"<[^>]+>", " ", entry.feed_html or "").split())
            archive.save_processed(entry.id, Article(text=text, language=detect_language(text)),
                                   ModelOutput(Summary(text[:200], "test"), (), "test"), now)
            texts[entry.id] = (entry.title, text)
    archive.close()
    return db, texts


@pytest.mark.corpus
@pytest.mark.parametrize("word", ["Claude", "safety", "données", "Mistral", "python"])
def test_corpus_search_finds_exactly_the_items_with_the_word(corpus_archive, word: str) -> None:
    db, texts = corpus_archive
    reader = open_reader(db)
    try:
        hits = query_mod.search(reader, SearchQuery(text=word, limit=500)).hits
    finally:
        reader.close()
    pattern = re.compile(rf"\b{re.escape(_fold(word))}\b")
    expected = {i for i, (title, text) in texts.items() if pattern.search(_fold(title + " " + text))}
    assert expected, f"the corpus should contain {word!r}"
    assert {h.item_id for h in hits} == expected
    in_title = [bool(pattern.search(_fold(h.title))) for h in hits]
    # Title matches weigh 10x: they come first unless a body is full of the word.
    assert in_title[: sum(in_title)].count(True) >= 0.8 * sum(in_title)


@pytest.mark.corpus
def test_corpus_search_phrase_and_language(corpus_archive) -> None:
    db, texts = corpus_archive
    reader = open_reader(db)
    try:
        phrase = query_mod.search(reader, SearchQuery(text='"The Pirate Bay"', limit=100)).hits
        assert phrase and all("pirate bay" in _fold(texts[h.item_id][0] + " " + texts[h.item_id][1])
                              for h in phrase)
        french = query_mod.search(reader, SearchQuery(text="serveurs", language="fr", limit=100)).hits
        assert french and {h.source for h in french} == {"fr_nextinpact_fullcontent.rss"}
    finally:
        reader.close()


# -- the fast paths give the answers of the plain ones ----------------------------------------------

def _reference(reader, query: SearchQuery, match: str) -> list[str]:
    """Stories ranked over every match with no window, collapsed in Python: what search must return."""
    rows = reader.search_rows(query, match, 100_000, window=None)
    leads: dict[str, str] = {}
    for item_id, story, _ in rows:
        leads.setdefault(story, item_id)
    return list(leads.values())[:query.limit]


@pytest.mark.parametrize("filters", [{}, {"tags": ("agents",)}, {"sources": ("Wire",)}, {"until": MONDAY},
                                     {"since": MONDAY}, {"tags": ("llm",), "sources": ("Lab Blog", "Veille FR")},
                                     {"sources": ("Tiny Blog",)}])
@pytest.mark.parametrize("limit", [1, 2, 5, 50])
def test_windowed_ranking_matches_ranking_everything(reader, monkeypatch, filters: dict, limit: int) -> None:
    monkeypatch.setattr(query_mod, "MIN_FETCH", 1)  # tiny windows, so that widening them is exercised
    monkeypatch.setattr(query_mod, "FILTER_WINDOW", 1)
    text = "news OR agents OR model OR nimbus OR the OR cnil OR code"
    query = SearchQuery(text=text, limit=limit, **filters)
    got = [h.item_id for h in query_mod.search(reader, query).hits]
    assert got == _reference(reader, query, fts_match(text))


def test_walking_the_date_index_matches_sorting(reader, monkeypatch) -> None:
    text = "news OR agents OR model OR nimbus OR the OR cnil OR code"
    sorted_ids = [h.item_id for h in query_mod.search(reader, SearchQuery(text=text, sort="recent", limit=50)).hits]
    monkeypatch.setattr(query_mod, "WALK_DATES_ABOVE", 1)
    walked = [h.item_id for h in query_mod.search(reader, SearchQuery(text=text, sort="recent", limit=50)).hits]
    assert walked == sorted_ids and len(walked) > 5


def test_many_matches_rank_the_newest_and_say_so(reader, monkeypatch) -> None:
    text = "news OR agents OR model OR nimbus OR the OR cnil OR code"
    everything = query_mod.search(reader, SearchQuery(text=text, limit=50))
    assert everything.note is None and everything.matches and everything.matches > 6
    monkeypatch.setattr(query_mod, "RANK_NEWEST", 4)
    capped = query_mod.search(reader, SearchQuery(text=text, limit=50))
    assert capped.note and f"{everything.matches:,} items match: the newest 4 were ranked (from " in capped.note
    newest = {r[0] for r in reader.db.execute(
        "SELECT i.id FROM items_fts f JOIN items i ON i.rowid = f.rowid WHERE items_fts MATCH ? "
        "ORDER BY f.rowid DESC LIMIT 4", [fts_match(text)]).fetchall()}
    assert {h.item_id for h in capped.hits} <= newest
    uncapped = query_mod.search(reader, SearchQuery(text=text, limit=50, all_matches=True))
    assert [h.item_id for h in uncapped.hits] == [h.item_id for h in everything.hits] and uncapped.note is None
