"""Retention: settings.retention, Archive.prune and Archive.maintain on a real SQLite file, the prune job.

Items go by the date techwatch first saw them (items.fetched_at), never by their published date, with
everything derived from them; their ids are remembered so that a feed still carrying them cannot bring
them back as new. By default no item is ever deleted.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import pytest
from fakes import fake_models
from testkit import rss, run_cli, write_config

import jobs
from watch import pipeline
from watch.config import load_config, parse_retention
from watch.errors import ConfigError
from watch.http.client import make_client
from watch.records import (
    Article,
    CachedPage,
    DigestRecord,
    DocVector,
    Entry,
    FetchResult,
    ModelOutput,
    ParsedFeed,
    RetentionSettings,
    Summary,
    TagScore,
)
from watch.retention import cutoffs, describe
from watch.store import open_archive

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BEFORE = NOW - timedelta(days=730)
OLD = NOW - timedelta(days=800)
NEW = NOW - timedelta(days=10)

CONFIG = """\
settings:
  database: watch.db
tags:
  - name: llm
    description: Large language models
sources:
  - name: Lab
    url: https://lab.example/feed.xml
  - name: Wire
    url: https://wire.example/rss
"""

# (source, id, published (None: undated, dated by fetched_at), cluster, a word of its text)
ITEMS = [
    ("Lab", "old-1", OLD, "old-1", "zeppelin"),
    ("Wire", "old-2", OLD + timedelta(hours=3), "old-1", "zeppelin"),  # a cluster entirely old
    ("Lab", "old-3", BEFORE - timedelta(days=1), "old-3", "quokka"),  # its cluster spans the boundary
    ("Wire", "new-3", BEFORE + timedelta(days=1), "old-3", "quokka"),
    ("Lab", "new-4", BEFORE + timedelta(days=2), "old-3", "quokka"),
    ("Lab", "new-1", NEW, "new-1", "narwhal"),
    ("Wire", "new-2", None, "new-2", "narwhal"),  # undated: fetched_at (recent) decides
]


def _vector(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=8).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def archive(tmp_path):
    (tmp_path / "feeds.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "feeds.yaml", environ={})
    archive = open_archive(config.settings.database)
    archive.sync_sources(config.sources, OLD)
    fetched = {item_id: (published or NOW - timedelta(days=1)) for _s, item_id, published, _c, _w in ITEMS}
    for source, item_id, published, _cluster, word in ITEMS:
        entry = Entry(id=item_id, source=source, guid=item_id, url=f"https://{item_id}.example/",
                      canonical_url=f"https://{item_id}.example/", title=f"{word} story {item_id}", author=None,
                      published=published, feed_html=f"<p>{word}</p>")
        result = FetchResult(url="u", final_url="u", status=200)
        archive.save_refresh(source, result, ParsedFeed(source, "", "en", (entry,)), item_id, fetched[item_id],
                             fetched[item_id])
    # one pending (never processed) old item: pruned too, it has no index row
    pending = Entry(id="old-pending", source="Lab", guid="old-pending", url="https://p.example/", canonical_url=None,
                    title="pending zeppelin", author=None, published=OLD, feed_html="<p>x</p>")
    archive.save_refresh("Lab", FetchResult(url="u", final_url="u", status=200),
                         ParsedFeed("Lab", "", "en", (pending,)), "p", OLD, OLD)
    for n, (_source, item_id, _published, _cluster, word) in enumerate(ITEMS):
        # old-2 shares its document vector with new-2 (same input hash): that vector must stay
        doc_hash = "shared" if item_id in ("old-2", "new-2") else f"doc-{item_id}"
        output = ModelOutput(Summary(f"The {word} summary.", "test"), (TagScore("llm", 0.8),), "test",
                             doc=DocVector(doc_hash, "test-model", _vector(n)), relevance=0.5)
        archive.save_processed(item_id, Article(text=f"A text about the {word}."), output, fetched[item_id])
        archive.record_rejection(item_id, "gen", "rejected", fetched[item_id])
    archive.save_clusters({item_id: cluster for _s, item_id, _p, cluster, _w in ITEMS},
                          {item_id: _vector(n) for n, (_s, item_id, *_rest) in enumerate(ITEMS)}, "test-model", NOW)
    archive.save_page(CachedPage("https://old.example/page", 200, Article(text="old page")), "https://old.example/page",
                      OLD)
    archive.save_page(CachedPage("https://new.example/page", 200, Article(text="new page")), "https://new.example/page",
                      NEW)
    archive.save_digest(DigestRecord("2024-W40", OLD, OLD + timedelta(days=7), OLD, "Old digest", "<p>x</p>", "x"))
    yield archive
    archive.close()


def _count(archive, sql: str) -> int:
    return archive.db.execute(sql).fetchone()[0]


def _fts(archive, word: str) -> list[str]:
    return [r[0] for r in archive.db.execute(
        "SELECT i.id FROM items_fts f JOIN items i ON i.rowid = f.rowid WHERE items_fts MATCH ? ORDER BY i.id",
        [word]).fetchall()]


# In the fixture every dated item was first seen on its published date: the first-seen cut-off gives the
# same result the published-date one did. (Archive.prune now takes the cut-off of pages apart.)
def test_prune_deletes_old_items_and_everything_derived(archive):
    assert _fts(archive, "zeppelin") == ["old-1", "old-2"]
    deleted = archive.prune(BEFORE, BEFORE)
    assert deleted["items"] == 4  # old-1, old-2, old-3, old-pending
    assert deleted["items_fts"] == 3 and deleted["summaries"] == 3 and deleted["item_tags"] == 3
    assert deleted["item_vectors"] == 3 and deleted["summary_rejections"] == 3
    assert deleted["pages"] == 1 and deleted["clusters"] == 1
    ids = {r[0] for r in archive.db.execute("SELECT id FROM items").fetchall()}
    assert ids == {"new-1", "new-2", "new-3", "new-4"}
    assert _fts(archive, "zeppelin") == [] and _fts(archive, "quokka") == ["new-3", "new-4"]
    assert _count(archive, "SELECT COUNT(*) FROM items_fts") == _count(
        archive, "SELECT COUNT(*) FROM items WHERE status = 'done'")
    for table in ("summaries", "item_tags", "item_vectors", "summary_rejections"):
        orphans = _count(archive, f"SELECT COUNT(*) FROM {table} WHERE item_id NOT IN (SELECT id FROM items)")
        assert orphans == 0, table
    assert _count(archive, "SELECT COUNT(*) FROM items_fts WHERE rowid NOT IN (SELECT rowid FROM items)") == 0
    clusters = {r[0]: r[1:] for r in archive.db.execute("SELECT id, item_count, source_count FROM clusters")}
    assert clusters == {"old-3": (2, 2), "new-1": (1, 1), "new-2": (1, 1)}  # recounted; the all-old one is gone
    hashes = {r[0] for r in archive.db.execute("SELECT input_hash FROM doc_vectors")}
    assert hashes == {"shared", "doc-new-1", "doc-new-3", "doc-new-4"}
    assert [r[0] for r in archive.db.execute("SELECT url FROM pages")] == ["https://new.example/page"]
    assert [r.label for r in archive.digest_records()] == ["2024-W40"]  # digests are kept forever
    assert archive.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_prune_is_idempotent_and_keeps_new_items_searchable(archive):
    archive.prune(BEFORE, BEFORE)
    again = archive.prune(BEFORE, BEFORE)
    assert sum(again.values()) == 0
    assert _fts(archive, "narwhal") == ["new-1", "new-2"]


def test_prune_is_one_transaction(archive, monkeypatch):
    before = {t: _count(archive, f"SELECT COUNT(*) FROM {t}") for t in ("items", "items_fts", "summaries", "pages")}
    # Make the last statement fail: nothing of the earlier deletes may remain.
    archive.db.execute("CREATE TRIGGER no_page_delete BEFORE DELETE ON pages BEGIN SELECT RAISE(ABORT, 'no'); END")
    with pytest.raises(Exception, match="no"):
        archive.prune(BEFORE, BEFORE)
    after = {t: _count(archive, f"SELECT COUNT(*) FROM {t}") for t in before}
    assert after == before


def test_maintain_runs_analyze_optimize_and_vacuum(archive):
    archive.prune(BEFORE, BEFORE)
    archive.maintain()
    assert _count(archive, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'") == 1
    assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _fts(archive, "quokka") == ["new-3", "new-4"]
    assert not archive.db.conn.in_transaction


# --------------------------------------------------------------------------------------------------
# By first-seen date, and pruned items never come back


def _entry(item_id: str, published: datetime | None, word: str = "walrus") -> Entry:
    return Entry(id=item_id, source="Lab", guid=item_id, url=f"https://lab.example/{item_id}",
                 canonical_url=f"https://lab.example/{item_id}", title=f"{word} {item_id}", author=None,
                 published=published, feed_html=f"<p>{word}</p>")


def _store(archive, entries: tuple[Entry, ...], fetched: datetime) -> tuple[int, int]:
    return archive.save_refresh("Lab", FetchResult(url="u", final_url="u", status=200),
                                ParsedFeed("Lab", "", "en", entries), str(fetched), fetched, fetched)


def _ids(archive, table: str = "items") -> set[str]:
    return {r[0] for r in archive.db.execute(f"SELECT id FROM {table}")}


@pytest.fixture
def empty(tmp_path):
    (tmp_path / "feeds.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path / "feeds.yaml", environ={})
    archive = open_archive(config.settings.database)
    archive.sync_sources(config.sources, OLD)
    yield archive
    archive.close()


def test_prune_goes_by_first_seen_not_published(empty):
    # Seen long ago, the feed re-dated it recently: it has been in the archive for 800 days.
    _store(empty, (_entry("seen-long-ago", OLD),), OLD)
    _store(empty, (_entry("seen-long-ago", NEW, "walrus again"),), NEW)
    # Published long ago (an old post a feed only now carries), first seen recently.
    _store(empty, (_entry("published-long-ago", OLD - timedelta(days=300)),), NEW)
    _store(empty, (_entry("undated-recent", None),), NEW)
    published = dict(empty.db.execute("SELECT id, published FROM items").fetchall())
    assert published["seen-long-ago"] == NEW.isoformat()  # the re-dating is what the old prune went by
    deleted = empty.prune(BEFORE, BEFORE)
    assert deleted["items"] == 1
    assert _ids(empty) == {"published-long-ago", "undated-recent"}
    assert _ids(empty, "pruned_items") == {"seen-long-ago"}


def test_a_pruned_item_is_not_stored_again(empty):
    _store(empty, (_entry("a", OLD), _entry("b", OLD)), OLD)
    empty.prune(BEFORE, BEFORE)
    assert _ids(empty) == set() and _ids(empty, "pruned_items") == {"a", "b"}
    # The feed still carries a (even changed) and b, next to a new entry c.
    feed = (_entry("a", OLD, "changed text"), _entry("b", OLD), _entry("c", NEW))
    assert _store(empty, feed, NOW) == (1, 0)
    assert _ids(empty) == {"c"}
    assert _store(empty, feed, NOW) == (0, 0)  # and again: idempotent
    empty.prune(BEFORE, BEFORE)  # c is recent: kept; a and b stay remembered once
    assert _ids(empty) == {"c"} and empty.db.execute("SELECT COUNT(*) FROM pruned_items").fetchone() == (2,)


def test_no_cut_off_keeps_everything_but_unused_vectors(archive):
    items = _count(archive, "SELECT COUNT(*) FROM items")
    deleted = archive.prune(None, None)
    assert deleted["items"] == 0 and deleted["pages"] == 0 and deleted["summaries"] == 0
    assert _count(archive, "SELECT COUNT(*) FROM items") == items == 8
    assert _count(archive, "SELECT COUNT(*) FROM pages") == 2
    assert _count(archive, "SELECT COUNT(*) FROM pruned_items") == 0
    # Pages have their own age: items kept, the old page goes.
    deleted = archive.prune(None, NOW - timedelta(days=90))
    assert deleted["items"] == 0 and deleted["pages"] == 1
    assert [r[0] for r in archive.db.execute("SELECT url FROM pages")] == ["https://new.example/page"]


def test_cost_of_remembering_pruned_ids(tmp_path):
    """Bytes the pruned_items table takes per id (printed with -s; asserted loosely, it is a measure)."""
    archive = open_archive(tmp_path / "watch.db")
    try:
        count = 100_000
        ids = [hashlib.sha256(str(n).encode()).hexdigest()[:20] for n in range(count)]  # as items.id, in hash order
        archive.db.conn.executemany("INSERT INTO pruned_items (id) VALUES (?)", [(i,) for i in ids])
        archive.db.conn.commit()
        pages = archive.db.execute("SELECT COUNT(*) FROM dbstat WHERE name = 'pruned_items'").fetchone()[0] \
            if archive.db.execute("SELECT 1 FROM pragma_compile_options WHERE compile_options = "
                                  "'ENABLE_DBSTAT_VTAB'").fetchone() else None
        page_size = archive.db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        archive.close()
    if pages is None:
        pytest.skip("this SQLite has no dbstat table to measure with")
    per_id = pages * page_size / count
    print(f"pruned_items: {per_id:.1f} bytes per remembered id ({count} ids, {pages} pages of {page_size} bytes)")
    assert 20 <= per_id <= 40  # a 20-character id and its b-tree cell


# --------------------------------------------------------------------------------------------------
# The prune job and a real run against a real HTTP server


def _feed(entries: list[tuple[str, datetime]], title: str = "Lab") -> str:
    return rss(title, [{"title": f"Story {guid}", "link": f"http://lab.example/{guid}", "guid": guid,
                        "pubDate": format_datetime(published), "description": f"<p>Story {guid} about a model.</p>"}
                       for guid, published in entries])


def _titles(config_path: Path) -> list[str]:
    archive = open_archive(load_config(config_path).settings.database)
    try:
        return sorted(r[0] for r in archive.db.execute("SELECT title FROM items"))
    finally:
        archive.close()


def test_a_pruned_entry_still_in_the_feed_is_not_added_again_by_the_next_run(tmp_path, server):
    now = datetime.now(UTC)
    server.add("/feed.xml", _feed([("a", now - timedelta(days=1)), ("b", now - timedelta(days=2))]), etag=True)
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/feed.xml"), "extract": "never"}],
                        extra="  retention: {items: 30d}")
    report = jobs.poll(path, models=fake_models)
    assert report is not None and report.new_items == 2
    deleted = jobs.prune(path, now=now + timedelta(days=31))  # a month later: both were first seen > 30 days ago
    assert deleted["items"] == 2 and _titles(path) == []
    # The feed changes (new title) but still carries a and b: the real CLI fetches and parses it again.
    server.add("/feed.xml", _feed([("a", now - timedelta(days=1)), ("b", now - timedelta(days=2))], "Lab (new)"),
               etag=True)
    done = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "0 new items" in done.stdout and "unchanged" in done.stdout
    assert _titles(path) == []
    # A genuinely new entry next to them is new; they are not.
    server.add("/feed.xml", _feed([("c", now), ("a", now - timedelta(days=1)), ("b", now - timedelta(days=2))]),
               etag=True)
    config = load_config(path)
    archive = open_archive(config.settings.database)
    try:
        with make_client(config.settings.fetch) as client:
            report = pipeline.run_cycle(config, archive, client, fake_models, force=True)
    finally:
        archive.close()
    assert report.new_items == 1 and report.processed.processed == 1
    assert _titles(path) == ["Story c"]


def test_the_default_prunes_no_item(tmp_path, server):
    ancient = datetime.now(UTC) - timedelta(days=3000)
    server.add("/feed.xml", _feed([("a", ancient), ("b", datetime.now(UTC))]), etag=True)
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/feed.xml"), "extract": "never"}])
    jobs.poll(path, models=fake_models)
    deleted = jobs.prune(path, now=datetime.now(UTC) + timedelta(days=10 * 365))  # ten years on
    assert deleted["items"] == 0 and deleted["summaries"] == 0
    assert _titles(path) == ["Story a", "Story b"]
    archive = open_archive(load_config(path).settings.database)
    try:
        detail = archive.db.execute("SELECT detail FROM runs WHERE job = 'prune'").fetchone()[0]
    finally:
        archive.close()
    assert '"items_before": "forever"' in detail


# --------------------------------------------------------------------------------------------------
# settings.retention in feeds.yaml


SOURCES = "sources:\n  - name: Lab\n    url: https://lab.example/feed.xml\n"


def _load(tmp_path, settings: str):
    path = tmp_path / "feeds.yaml"
    path.write_text(f"settings:\n  database: watch.db\n{settings}" + SOURCES, encoding="utf-8")
    return path, load_config(path, environ={})


@pytest.mark.parametrize("settings, items, pages", [
    ("", None, 90),
    ("  retention:\n", None, 90),
    ("  retention: 2y\n", 730, 90),
    ("  retention: 730d\n", 730, 90),
    ("  retention: forever\n", None, 90),
    ("  retention: {items: 104w}\n", 728, 90),
    ("  retention:\n    items: 1y6w\n    pages: 30d\n", 365 + 42, 30),
    ("  retention: {items: forever, pages: forever}\n", None, None),
    ("  retention: {pages: 1d}\n", None, 1),
])
def test_retention_settings(tmp_path, settings: str, items: int | None, pages: int | None) -> None:
    _path, config = _load(tmp_path, settings)
    assert config.settings.retention == RetentionSettings(items_days=items, pages_days=pages)


@pytest.mark.parametrize("settings, line, expected", [
    ("  retention: 730\n", 3, "settings: retention 730 has no unit: write e.g. 730d (days), or 'forever'"),
    ("  retention:\n    items: 730\n", 4, "settings.retention: items 730 has no unit"),
    ("  retention:\n    items: 6m\n", 4, "'6m' is not a whole number of days: retention is counted in whole days "
                                           "(d, w, mo, y); m is minutes, months are mo (6mo = 180 days)"),
    ("  retention:\n    items: 10d\n", 4, "keeping items 10 days is too short: the minimum is 30 days (the weekly "
                                            "digest compares a week with the one before); write 'forever'"),
    ("  retention:\n    items: 0d\n", 4, "'0d' is zero; to keep everything, write 'forever'"),
    ("  retention:\n    items: 2y2y\n", 4, "write units from largest to smallest"),
    ("  retention:\n    items: never\n", 4, "'never' is not a duration"),
    ("  retention:\n    pages: 1.5d\n", 4, "invalid retention"),
    ("  retention:\n    pages: true\n", 4, "invalid retention: expected 'forever' or a duration"),
    ("  retention:\n    itmes: 2y\n", 4, "unknown key 'itmes' (allowed: items, pages); did you mean 'items'?"),
    ("  retention: [2y]\n", 3, "invalid retention: expected 'forever' or a duration such as 90d, 52w or 2y, got a "
                               "list"),
])
def test_retention_errors_name_the_line(tmp_path, settings: str, line: int, expected: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(f"settings:\n  database: watch.db\n{settings}" + SOURCES, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:{line}: ") and expected in lines[0], lines


@pytest.mark.parametrize("text, days", [("1d", 1), ("30d", 30), ("2w", 14), ("2y", 730), ("1y2w3d", 382),
                                        (" 2 Y ", 730), ("forever", None), ("FOREVER", None)])
def test_parse_retention(text: str, days: int | None) -> None:
    assert parse_retention(text) == days


def test_cutoffs_and_description() -> None:
    assert cutoffs(RetentionSettings(), NOW) == (None, NOW - timedelta(days=90))
    assert cutoffs(RetentionSettings(730, None), NOW) == (NOW - timedelta(days=730), None)
    assert describe(RetentionSettings()) == ("keeps every item; deletes cached article pages fetched more than "
                                             "90 days ago and document vectors no item uses")
    assert describe(RetentionSettings(730, 90)).startswith("deletes items first seen more than 730 days ago")
