"""Archive.prune and Archive.maintain on a real SQLite file: old items go with everything derived from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from watch.config import load_config
from watch.models import (
    Article,
    CachedPage,
    DigestRecord,
    DocVector,
    Entry,
    FetchResult,
    ModelOutput,
    ParsedFeed,
    Summary,
    TagScore,
)
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


def test_prune_deletes_old_items_and_everything_derived(archive):
    assert _fts(archive, "zeppelin") == ["old-1", "old-2"]
    deleted = archive.prune(BEFORE)
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
    archive.prune(BEFORE)
    again = archive.prune(BEFORE)
    assert sum(again.values()) == 0
    assert _fts(archive, "narwhal") == ["new-1", "new-2"]


def test_prune_is_one_transaction(archive, monkeypatch):
    before = {t: _count(archive, f"SELECT COUNT(*) FROM {t}") for t in ("items", "items_fts", "summaries", "pages")}
    # Make the last statement fail: nothing of the earlier deletes may remain.
    archive.db.execute("CREATE TRIGGER no_page_delete BEFORE DELETE ON pages BEGIN SELECT RAISE(ABORT, 'no'); END")
    with pytest.raises(Exception, match="no"):
        archive.prune(BEFORE)
    after = {t: _count(archive, f"SELECT COUNT(*) FROM {t}") for t in before}
    assert after == before


def test_maintain_runs_analyze_optimize_and_vacuum(archive):
    archive.prune(BEFORE)
    archive.maintain()
    assert _count(archive, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'") == 1
    assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _fts(archive, "quokka") == ["new-3", "new-4"]
    assert not archive.db.conn.in_transaction
