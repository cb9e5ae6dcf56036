"""store.py + migrations.py on a real SQLite file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlite_utils
from testkit import fixture_bytes

from watch.records import Article, DocVector, FetchResult, ModelOutput, Source, Summary, TagScore
from watch.sources.parse import parse_feed
from watch.store import open_archive
from watch.store.migrations import MIGRATIONS

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


def _output(summary: str, *tags: TagScore, **extra) -> ModelOutput:
    return ModelOutput(summary=Summary(summary, "m"), tags=tags, tagger="t", **extra)


def test_processed_item_is_searchable_and_leaves_pending(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    pending = archive.pending_items()
    assert len(pending) == 4
    item = pending[0]
    archive.save_processed(item.id, Article(text="Nimbus weights are out.", language="en"),
                           _output("Nimbus weights are out.", TagScore("llm", 0.8)), NOW)
    assert len(archive.pending_items()) == 3
    hits = archive.db.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH 'nimbus'").fetchall()
    assert len(hits) == 1
    # processing again replaces, never duplicates, the summary, tags and index row
    archive.save_processed(item.id, Article(text="Nimbus v2.", language="en"),
                           _output("Nimbus v2.", TagScore("llm", 0.7), TagScore("mlops", 0.5)), NOW)
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
        archive.save_processed(item.id, Article(text="t"), _output("s", TagScore("mlops", 0.4), TagScore("llm", 0.9)),
                               NOW)
    start, end = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)
    items = archive.items_between(start, end)
    assert [i.published.day for i in items] == [25, 24]
    assert items[0].tags == ("llm", "mlops")


def test_model_outputs_are_found_again_by_input_hash(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    first, second = archive.pending_items()[:2]
    vector = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    doc = DocVector("d1", "enc", vector)
    archive.save_processed(first.id, Article(text="Nimbus weights are out."),
                           _output("Nimbus.", summary_key="k1", doc=doc, relevance=0.42), NOW)
    assert archive.cached_summaries(["k1", "k2"], "m") == {"k1": "Nimbus."}
    assert archive.cached_summaries(["k1"], "another-model") == {}
    found = archive.cached_doc_vectors(["d1", "d2"], "enc")
    assert list(found) == ["d1"] and np.allclose(found["d1"], vector, atol=1e-3)
    assert archive.cached_doc_vectors(["d1"], "other-encoder") == {}
    # the same document in a second item reuses the stored vector row
    archive.save_processed(second.id, Article(text="Nimbus weights are out."),
                           _output("Nimbus.", summary_key="k1", doc=DocVector("d1", "enc", vector)), NOW)
    assert archive.db.execute("SELECT COUNT(*) FROM doc_vectors").fetchone()[0] == 1
    assert archive.db.execute("SELECT relevance FROM items WHERE id = ?", [first.id]).fetchone()[0] == 0.42
    batches = list(archive.vectors_for_relevance("enc"))
    assert sorted(batches[0][0]) == sorted([first.id, second.id]) and batches[0][1].shape == (2, 3)


def test_generative_queue_and_summary_replacement(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    item = archive.pending_items()[0]
    archive.save_processed(item.id, Article(text="Nimbus weights are out.", language="en"), _output("Nimbus."), NOW)
    queued = archive.items_without_summary("gen", datetime(2026, 1, 1, tzinfo=UTC))
    assert [(q[0], q[2], q[3]) for q in queued] == [(item.id, "Nimbus weights are out.", "en")]
    archive.replace_summary(item.id, Summary("A rewritten Zephyr summary.", "gen"), "g1",
                            NOW + timedelta(minutes=1))
    assert archive.items_without_summary("gen", datetime(2026, 1, 1, tzinfo=UTC)) == []
    hits = archive.db.execute("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH 'zephyr'").fetchone()[0]
    assert hits == 1 and archive.counts()["items_fts"] == 1
    day = archive.items_between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [i.summary for i in day if i.id == item.id] == ["A rewritten Zephyr summary."]  # the newest wins


def test_meta_and_relevance_clearing(tmp_path):
    archive, feed = _archive_with_feed(tmp_path)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    item = archive.pending_items()[0]
    archive.save_processed(item.id, Article(text="x"), _output("x", relevance=0.5), NOW)
    assert archive.meta("relevance_key") is None
    archive.set_meta("relevance_key", "abc")
    assert archive.meta("relevance_key") == "abc"
    archive.set_meta("relevance_key", None)
    assert archive.meta("relevance_key") is None
    assert archive.clear_relevance() == 1
    assert archive.db.execute("SELECT COUNT(*) FROM items WHERE relevance IS NOT NULL").fetchone()[0] == 0


def test_a_run_left_running_by_a_dead_process_is_closed_as_crashed(tmp_path):
    archive = open_archive(tmp_path / "a.db")
    dead = archive.start_run(NOW)  # its process was killed -9: never finished
    archive.start_run(NOW + timedelta(minutes=15))
    rows = dict(archive.db.execute("SELECT id, status FROM runs").fetchall())
    assert rows[dead] == "crashed" and list(rows.values()).count("running") == 1


def test_every_migration_function_is_registered_in_order() -> None:
    """A migration written without @migration (easy to lose in a merge) would never run."""
    import inspect

    from watch.store import migrations

    written = [name for name, fn in inspect.getmembers(migrations, inspect.isfunction)
               if re.fullmatch(r"m\d{3}_\w+", name) and fn.__module__ == migrations.__name__]
    registered = [step.__name__ for step in migrations.MIGRATIONS]
    assert sorted(written) == registered
