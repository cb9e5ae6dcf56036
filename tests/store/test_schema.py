"""The documented schema: docs/schema.md is current, every table and column is described, the views are right."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from digest_archive import ITEMS, MONDAY, build
from testkit import ROOT

from watch.records import Entry, FetchResult, ParsedFeed
from watch.store import schema

DOCS = ROOT / "docs" / "schema.md"


def _date(day: int, hour: int) -> str:
    return (MONDAY + timedelta(days=day, hours=hour)).isoformat(timespec="seconds")


def test_docs_schema_md_is_current() -> None:
    assert DOCS.is_file(), "docs/schema.md is missing: run `.venv/bin/python -m watch.store.schema > docs/schema.md`"
    assert DOCS.read_text(encoding="utf-8") == schema.schema_markdown(), (
        "docs/schema.md is out of date: run `.venv/bin/python -m watch.store.schema > docs/schema.md`")


def test_every_table_view_and_column_is_documented() -> None:
    assert schema.undocumented() == []


def test_no_stale_descriptions() -> None:
    present = schema.migrated_schema()
    for name, doc in schema.DOCUMENTED.items():
        assert name in present, f"{name} is described but not in the migrated schema"
        assert set(doc.columns) <= set(present[name]), f"{name}: described columns that do not exist"
    assert set(schema.VIEWS) == {"items_with_tags", "stories"}


def test_markdown_names_every_table_and_column() -> None:
    text = schema.schema_markdown()
    for name, columns in schema.migrated_schema().items():
        assert f"### `{name}`" in text
        for column in columns:
            assert f"| `{column}` |" in text
    assert "items_fts.rowid = items.rowid" in text or "i.rowid = items_fts.rowid" in text
    assert "-readonly" in text
    assert "CREATE VIEW stories" in text


@pytest.fixture()
def archive(tmp_path: Path):
    _config, archive = build(tmp_path)
    yield archive
    archive.close()


def test_examples_run(archive) -> None:
    for _title, sql in schema.EXAMPLES:
        archive.db.execute(sql).fetchall()


def test_items_with_tags_matches_the_archive(archive) -> None:
    rows = {r["id"]: r for r in archive.db.query("SELECT * FROM items_with_tags")}
    assert len(rows) == len(ITEMS)
    details = archive.hit_details(list(rows), None)
    for source, item_id, title, day, hour, tags, relevance, cluster, summary in ITEMS:
        row = rows[item_id]
        assert row["tags"] == (", ".join(tags) or None)
        assert tuple(row["tags"].split(", ") if row["tags"] else ()) == details[item_id]["tags"]
        assert (row["source"], row["title"], row["summary"], row["relevance"]) == (source, title, summary, relevance)
        assert row["date"] == _date(day, hour)
        assert row["url"] == details[item_id]["url"] == f"https://{item_id}.example/post"
        assert row["story_id"] == (cluster or item_id)
        assert row["status"] == "done"


def test_stories_has_one_row_per_story_of_done_items(archive) -> None:
    # Pending items are in items_with_tags, but not yet in any story.
    entry = Entry(id="late-1", source="Wire", guid="late-1", url="https://late.example/", canonical_url="",
                  title="Not processed yet", author=None, published=MONDAY, feed_html="<p>x</p>")
    now = datetime(2026, 11, 24, tzinfo=UTC)
    archive.save_refresh("Wire", FetchResult(url="u", final_url="u", status=200),
                         ParsedFeed("Wire", "", "en", (entry,)), "other", now, now)
    pending = archive.db.execute("SELECT status, summary, story_id FROM items_with_tags WHERE id = 'late-1'")
    assert pending.fetchone() == ("pending", None, "late-1")

    expected: dict[str, list[tuple]] = defaultdict(list)
    for source, item_id, title, day, hour, _tags, relevance, cluster, _summary in ITEMS:
        expected[cluster or item_id].append((_date(day, hour), item_id, source, title, relevance))
    stories = {r["story_id"]: r for r in archive.db.query("SELECT * FROM stories")}
    assert set(stories) == set(expected)
    for story_id, members in expected.items():
        members.sort()
        row = stories[story_id]
        first = members[0]
        assert (row["item_id"], row["title"], row["first_seen"]) == (first[1], first[3], first[0])
        assert row["last_seen"] == members[-1][0]
        assert row["item_count"] == len(members)
        assert row["source_count"] == len({m[2] for m in members})
        assert set(row["sources"].split(",")) == {m[2] for m in members}
        scores = [m[4] for m in members if m[4] is not None]
        assert row["relevance"] == (max(scores) if scores else None)

    # The same stories as the digest's items grouped by cluster (Python side).
    items = archive.items_between(MONDAY - timedelta(days=30), MONDAY + timedelta(days=30))
    by_story: dict[str, set[str]] = defaultdict(set)
    for item in items:
        by_story[item.cluster_id or item.id].add(item.source)
    assert {k: len(v) for k, v in by_story.items()} == {k: r["source_count"] for k, r in stories.items()}
    assert archive.story_sources(["c-nimbus"])["c-nimbus"] == ("Lab Blog", "Wire", "Veille FR")


def test_digests_written_before_profiles_are_the_default_profiles(tmp_path):
    """m022 keys digests by (profile, label): an archive's earlier digests keep their rows, as the default's."""
    import sqlite_utils

    from watch.records import DigestRecord
    from watch.store import migrations, open_archive

    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    before = migrations.MIGRATIONS[:[m.__name__ for m in migrations.MIGRATIONS].index("m026_digest_profiles")]
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for step in before:
        step(db)
        db.execute("INSERT INTO _migrations VALUES (?, 'then')", [step.__name__])
    db.execute("INSERT INTO digests (label, start, end, written_at, title, html, text, sent_at, recipients) "
               "VALUES ('2026-W47', '2026-11-16', '2026-11-23', '2026-11-23', 'Tech watch — 2026-W47', '<p>', 't', "
               "'2026-11-23T07:00:00+00:00', 'cto@example.org')")
    db.conn.commit()
    db.close()
    archive = open_archive(path)
    try:
        [old] = archive.digest_records()
        assert (old.profile, old.label) == ("default", "2026-W47")
        assert archive.digest_sent("2026-W47") is not None and archive.digest_sent("2026-W47", "ml-team") is None
        archive.save_digest(DigestRecord("2026-W47", old.start, old.end, old.written_at, "ML watch — 2026-W47",
                                         "<p>ml</p>", "ml", "ml-team"))
        assert [r.title for r in archive.digest_records(profile="ml-team")] == ["ML watch — 2026-W47"]
        assert [r.title for r in archive.digest_records()] == ["Tech watch — 2026-W47"]  # the same label, apart
    finally:
        archive.close()
