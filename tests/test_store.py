"""store.py + migrations.py on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils
from conftest import fixture_bytes

from watch.migrations import MIGRATIONS
from watch.models import Article, FetchResult, Source, Summary, TagScore
from watch.parse import parse_feed
from watch.store import open_archive

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RESULT = FetchResult(url="u", final_url="u", status=200, etag='"e1"', last_modified="lm")


def _archive_with_feed(tmp_path):
    archive = open_archive(tmp_path / "a.db")
    archive.sync_sources([Source("Lab", "http://x/feed")], NOW)
    feed = parse_feed(fixture_bytes("ai_lab.rss.xml"), source_name="Lab", base_url="http://x/", now=NOW)
    return archive, feed


def test_migrations_create_schema_once(tmp_path):
    archive = open_archive(tmp_path / "a.db")
    archive.close()
    archive = open_archive(tmp_path / "a.db")  # reopening applies nothing twice
    db = sqlite_utils.Database(tmp_path / "a.db")
    names = set(db.table_names())
    assert {"sources", "items", "summaries", "item_tags", "runs", "items_fts", "_migrations"} <= names
    assert db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    archive.close()


def test_save_refresh_is_idempotent_and_detects_changes(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    assert archive.save_refresh("Lab", RESULT, feed, "h1", NOW, NOW) == (4, 0)
    assert archive.save_refresh("Lab", RESULT, feed, "h1", NOW, NOW) == (0, 0)
    state = archive.source_state("Lab")
    assert (state.etag, state.last_modified, state.content_hash, state.error_count) == ('"e1"', "lm", "h1", 0)
    changed = feed.entries[0].__class__(**{**feed.entries[0].__dict__, "feed_html": "<p>New text.</p>"})
    feed2 = feed.__class__(**{**feed.__dict__, "entries": (changed, *feed.entries[1:])})
    assert archive.save_refresh("Lab", RESULT, feed2, "h2", NOW, NOW) == (0, 1)
    assert archive.counts()["items"] == 4


def test_processed_item_is_searchable_and_leaves_pending(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    pending = archive.pending_items()
    assert len(pending) == 4
    item = pending[0]
    archive.save_processed(item.id, Article(text="Nimbus weights are out.", language="en"),
                           Summary("Nimbus weights are out.", "m"), [TagScore("llm", 0.8)], "t", NOW)
    assert len(archive.pending_items()) == 3
    hits = archive.db.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH 'nimbus'").fetchall()
    assert len(hits) == 1
    # processing again replaces, never duplicates, the summary, tags and index row
    archive.save_processed(item.id, Article(text="Nimbus v2.", language="en"), Summary("Nimbus v2.", "m"),
                           [TagScore("llm", 0.7), TagScore("mlops", 0.5)], "t", NOW)
    counts = archive.counts()
    assert (counts["summaries"], counts["item_tags"], counts["items_fts"]) == (1, 2, 1)


def test_failures_counted_and_reset_by_success(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    assert archive.record_failure("Lab", "HTTP 500", 500, NOW, NOW) == 1
    assert archive.record_failure("Lab", "HTTP 500", 500, NOW, NOW) == 2
    health = archive.source_health()[0]
    assert health["last_error"] == "HTTP 500" and health["error_count"] == 2
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    assert archive.source_state("Lab").error_count == 0


def test_item_failures_retry_then_stop(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    item_id = archive.pending_items()[0].id
    for _ in range(3):
        archive.mark_failed(item_id, "boom")
    assert item_id not in {p.id for p in archive.pending_items()}
    row = archive.db.execute("SELECT status, error FROM items WHERE id = ?", [item_id]).fetchone()
    assert row == ("failed", "boom")


def test_items_between_window_and_tags_order(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    for item in archive.pending_items():
        archive.save_processed(item.id, Article(text="t"), Summary("s", "m"),
                               [TagScore("mlops", 0.4), TagScore("llm", 0.9)], "t", NOW)
    start, end = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)
    items = archive.items_between(start, end)
    assert [i.published.day for i in items] == [25, 24]
    assert items[0].tags == ("llm", "mlops")
