"""Search says what it does: symbol words (C++, C#, .NET, GPT-4o) as written, FTS5 syntax kept, bad queries refused.

One archive built by a real `techwatch run` against feeds served on 127.0.0.1, searched through the CLI.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from httpserver import FeedServer
from testkit import rss, run_cli, write_config

from watch.store import open_reader

pytestmark = pytest.mark.model

# (guid, title, text): each symbol word in one item only; the plain letters (c, net, gpt 4) in others.
ITEMS = [
    ("cpp", "C++ 26 brings reflection to the language",
     "The C++ 26 standard adds static reflection and contracts. Compilers follow this year."),
    ("compilers", "Compiler news of the month",
     "Several compilers shipped updates this month. The GCC team also fixed bugs in C++ modules."),
    ("csharp", "C# 13 ships with params collections",
     "C# 13 arrives with params collections and a new lock type in the runtime."),
    ("seriesc", "Startup closes Series C funding round",
     "The company raised a Series C of 80 million to hire engineers. Plan C was never needed."),
    ("dotnet", ".NET 9 released with faster garbage collection",
     "Microsoft released .NET 9 with a faster garbage collector and smaller containers."),
    ("netincome", "Net income grows at the chip maker",
     "Net income rose this quarter; the net effect on prices is unclear."),
    ("gpt4o", "GPT-4o gets a cheaper voice mode",
     "OpenAI lowered the price of GPT-4o voice for developers."),
    ("gpt4", "GPT-4 retired from the chat app",
     "The older GPT-4 model leaves the app next month; its API stays."),
    ("grok", "Grok 3 tops the arena leaderboard",
     "The model from xAI leads several benchmarks this week."),
    ("grokbody", "A week of model launches",
     "Four labs launched models this week. Each one published a long model card. Prices went down again. "
     "Context windows grew for every one of them. Benchmarks were run by independent groups as well. "
     "Among the launches, some compared their scores with grok and others."),
    ("llm", "Open LLM roundup of the week",
     "Several LLM releases this week, none of them from the usual labs."),
    ("llmmistral", "Mistral ships a new LLM",
     "Mistral released an LLM with open weights under Apache 2.0."),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, Path]:
    """(working directory, archive): the items above fetched, extracted, summarized and stored by `techwatch run`."""
    tmp_path = tmp_path_factory.mktemp("symbols")
    now = datetime.now(UTC)
    entries = [{"title": title, "link": f"https://news.example/{guid}", "guid": guid,
                "pubDate": format_datetime(now - timedelta(hours=2 + k)), "description": f"<p>{text}</p>"}
               for k, (guid, title, text) in enumerate(ITEMS)]
    server = FeedServer().start()
    try:
        server.add("/news.xml", rss("News", entries).encode())
        config = write_config(tmp_path, [{"name": "News", "url": server.url("/news.xml")}])
        done = run_cli("run", "--config", str(config), cwd=tmp_path)
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp_path, tmp_path / "watch.db"


def search(archive: tuple[Path, Path], query: str, *options: str):
    cwd, db = archive  # `--` first: a query may start with a dash (-title: x)
    return run_cli("search", *options, "--db", str(db), "--format", "json", "--limit", "50", "--", query, cwd=cwd,
                   timeout=60)


def found(archive: tuple[Path, Path], query: str, *options: str) -> set[str]:
    done = search(archive, query, *options)
    assert done.returncode == 0, done.stderr
    return {hit["url"].rsplit("/", 1)[-1] for hit in json.loads(done.stdout)}


@pytest.mark.parametrize(("query", "expected"), [
    ("C++", {"cpp", "compilers"}),
    ("C#", {"csharp"}),
    (".NET", {"dotnet"}),
    ("GPT-4o", {"gpt4o"}),
    ("GPT-4", {"gpt4"}),
    ("c++ 26", {"cpp"}),
    ('"C++ 26"', {"cpp"}),
    ("title:C#", {"csharp"}),
    ("C++ OR C#", {"cpp", "compilers", "csharp"}),
    ("c", {"cpp", "compilers", "csharp", "seriesc"}),  # the plain letter still finds every c
    ("net", {"dotnet", "netincome"}),
])
def test_symbol_words_are_searched_as_written(archive, query: str, expected: set[str]) -> None:
    assert found(archive, query) == expected


def test_symbol_words_rank_by_the_column_they_are_in_and_are_marked_in_the_snippet(archive) -> None:
    hits = json.loads(search(archive, "C++").stdout)
    assert [h["url"].rsplit("/", 1)[-1] for h in hits] == ["cpp", "compilers"]  # in the title first
    assert hits[0]["score"] > hits[1]["score"] > 0
    assert all("**C**++" in h["snippet"] for h in hits)


@pytest.mark.parametrize(("query", "expected"), [
    ("{title summary}: grok", {"grok"}),  # grokbody's summary leaves grok out? see the test below
    ("{title summary}: leaderboard", {"grok"}),
    ("{summary content}: leaderboard", set()),  # leaderboard is only in a title
    ("-title: leaderboard", set()),
    ("title:grok", {"grok"}),
    ("grok", {"grok", "grokbody"}),
    ("llm NOT mistral", {"llm"}),
    ("(llm OR grok) NOT mistral", {"llm", "grok", "grokbody"}),
    ('"open weights"', {"llmmistral"}),
    ("garb*", {"dotnet"}),
    ("NEAR(static contracts, 3)", {"cpp"}),
    ("with:grok", {"grokbody"}),  # `with` is not a column: the phrase "with grok"
    ("foo:grok", set()),  # nor is foo, and no item says "foo grok": no word was dropped
])
def test_fts5_syntax_works_as_fts5_defines_it(archive, query: str, expected: set[str]) -> None:
    if query == "{title summary}: grok":  # the extractive summary may or may not keep grokbody's grok sentence
        with sqlite3.connect(archive[1]) as db:
            in_summary = db.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'summary : grok' "
                                    "AND title NOT LIKE '%grok%'").fetchone()[0]
        expected = expected | ({"grokbody"} if in_summary else set())
    assert found(archive, query) == expected


@pytest.mark.parametrize(("query", "why"), [
    ("NOT mistral", "NOT needs something before it"),
    ("()", "empty parentheses"),
    ("-mistral", "does not exclude 'mistral'"),
    ("llm OR", "OR at the end"),
    ('"open weights', "unclosed quote"),
    ("{title nope}: grok", "no column 'nope'"),
])
def test_a_query_that_cannot_be_honoured_is_an_error_that_says_why(archive, query: str, why: str) -> None:
    done = search(archive, query)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("error: cannot search for") and why in done.stderr, done.stderr
    assert "--literal" in done.stderr and "Traceback" not in done.stderr and "fts5" not in done.stderr
    assert done.stdout == ""


def test_literal_searches_the_text_as_plain_words(archive) -> None:
    assert found(archive, "NOT mistral", "--literal") == set()  # "not" is a word no item holds
    assert found(archive, "(mistral", "--literal") == {"llmmistral"}
    assert found(archive, "C++", "--literal") == {"cpp", "compilers"}


def test_lowercase_operators_are_words_and_the_note_says_so(archive) -> None:
    done = search(archive, "llm not mistral")
    assert done.returncode == 0 and "lowercase 'not' was searched as a word; write NOT" in done.stderr


def test_export_refuses_a_bad_query_too(archive) -> None:
    cwd, db = archive
    done = run_cli("export", "--query", "NOT mistral", "--db", str(db), cwd=cwd)
    assert done.returncode == 2 and "NOT needs something before it" in done.stderr and done.stdout == ""
    rows = run_cli("export", "--query", "C#", "--db", str(db), "--no-content", cwd=cwd).stdout.splitlines()
    assert [json.loads(r)["url"].rsplit("/", 1)[-1] for r in rows] == ["csharp"]


def test_m018_indexes_the_symbol_words_of_an_archive_written_before_it(tmp_path: Path, archive) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(archive[1]) as source, sqlite3.connect(old) as copy:
        source.backup(copy)
    with sqlite3.connect(old) as db:  # undo m018, as if the previous release had written the archive
        rows = db.execute("SELECT rowid, title, summary, content FROM items_fts").fetchall()
        db.execute("DROP TABLE items_fts")
        db.execute("CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, content, "
                   "tokenize = 'unicode61 remove_diacritics 2')")
        db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')")
        db.executemany("INSERT INTO items_fts (rowid, title, summary, content) VALUES (?, ?, ?, ?)", rows)
        db.execute("DELETE FROM _migrations WHERE name = 'm018_symbol_terms'")
        phrase_c = db.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", ['"C++"']).fetchone()[0]
        assert phrase_c == 4  # the phrase of its parts is every c
    done = run_cli("search", "C++", "--db", str(old), "--format", "json", cwd=tmp_path)  # migrates, then reads
    assert done.returncode == 0, done.stderr
    assert [h["url"].rsplit("/", 1)[-1] for h in json.loads(done.stdout)] == ["cpp", "compilers"]
    reader = open_reader(old)
    try:
        assert reader.db.execute("SELECT count(*) FROM _migrations WHERE name = 'm018_symbol_terms'").fetchone()[0]
        assert reader.db.execute("SELECT count(*) FROM items_fts").fetchone()[0] == len(rows)
        dotnet = reader.db.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'content_terms : dotnet'")
        assert dotnet.fetchone()[0] == 1
        # The rank of the 6 columns, as the reader's bm25() spells it (Datasette's canned search uses `rank`).
        assert reader.db.execute("SELECT v FROM items_fts_config WHERE k = 'rank'").fetchone()[0] == \
            "bm25(10.0, 4.0, 1.0, 10.0, 4.0, 1.0)"
    finally:
        reader.close()
