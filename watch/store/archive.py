"""The archive opened for writing: refresh state, processed items, clusters, digests, runs, retention."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import sqlite_utils

from ..dedup import content_hash
from ..errors import StoreError
from ..files import create_private
from ..records import (
    DEFAULT_PROFILE,
    LEAD_CHARS,
    Advisory,
    Article,
    CachedPage,
    DeliveryAttempt,
    DigestItem,
    DigestRecord,
    Entry,
    FetchResult,
    KnownCluster,
    ModelOutput,
    ParsedFeed,
    PendingItem,
    RunReport,
    Source,
    SourceState,
    StoryText,
    Summary,
)
from .labels import SOURCE_MODEL, TagLabels
from .migrations import migrate
from .reader import ArchiveReader, from_iso, iso
from .symbols import index_terms
from .why import WhyLines


def _story(row: Sequence) -> StoryText:
    return StoryText(id=row[0], source=row[1], title=row[2] or "", lead=row[3] or "", published=from_iso(row[4]),
                     canonical_url=row[5], content_hash=row[6])


def entry_hash(entry: Entry) -> str:
    """Hash of what the feed says about an entry; a change means the item is processed again."""
    # The title and link as the feed wrote them: the hashes of items stored before titles were made text and
    # trackers were taken out of links stay valid (such an item is not processed again for it).
    return content_hash(entry.title_html or entry.title, entry.feed_link or entry.url, entry.feed_html)


class Archive(ArchiveReader, TagLabels, WhyLines):
    """The archive database, read and written; one instance per process, opened with open_archive()."""

    # -- sources ---------------------------------------------------------------------------

    def sync_sources(self, sources: Sequence[Source], now: datetime) -> None:
        """Record configured sources; a URL edited in feeds.yaml resets redirects, gone state and validators."""
        with self.db.atomic():
            for s in sources:
                self.db.execute(
                    "INSERT INTO sources (name, url, config_url, kind, enabled, added_at, error_count) "
                    "VALUES (?, ?, ?, ?, ?, ?, 0) "
                    "ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, enabled = excluded.enabled",
                    [s.name, s.url, s.url, s.kind, int(s.enabled), iso(now)],
                )
                self.db.execute(
                    "UPDATE sources SET url = ?, config_url = ?, gone_at = NULL, gone_reason = NULL, etag = NULL, "
                    "last_modified = NULL, content_hash = NULL, next_check_at = NULL, error_count = 0, "
                    "watch_text = NULL, listing_counts = NULL WHERE name = ? AND config_url IS NOT ?",
                    [s.url, s.url, s.name, s.url],
                )

    def source_state(self, name: str) -> SourceState | None:
        """Fetch state of a source, or None if it was never recorded."""
        row = self.db.execute(
            "SELECT name, url, etag, last_modified, content_hash, error_count, next_check_at, gone_reason, "
            "stale_since, watch_text, listing_counts FROM sources WHERE name = ?",
            [name],
        ).fetchone()
        if not row:
            return None
        return SourceState(*row[:6], next_check_at=from_iso(row[6]), gone_reason=row[7],
                           stale_since=from_iso(row[8]), watch_text=row[9],
                           listing_counts=tuple(json.loads(row[10])) if row[10] else ())

    def save_refresh(self, source: str, result: FetchResult, feed: ParsedFeed, body_hash: str,
                     now: datetime, next_check_at: datetime,
                     listing_counts: tuple[int, ...] | None = None) -> tuple[int, int]:
        """Store a fetched feed's entries and the source's new state in one transaction; return (new, updated).

        `listing_counts` (kind page) replaces the recent article counts of the source when given.

        Entries whose item was deleted by retention are skipped: they are not news.
        """
        new = updated = 0
        with self.db.atomic():
            for entry in feed.entries:
                outcome = self._upsert_entry(entry, now)
                new += outcome == "new"
                updated += outcome == "updated"
            self.db.execute(
                "UPDATE sources SET etag = ?, last_modified = ?, content_hash = ?, last_status = ?, "
                "last_checked_at = ?, last_success_at = ?, last_error = NULL, error_count = 0, "
                "title = ?, site_url = ?, next_check_at = ?, last_elapsed_ms = ?, "
                "last_new_item_at = CASE WHEN ? > 0 THEN ? ELSE last_new_item_at END, "
                "watch_text = COALESCE(?, watch_text), listing_counts = COALESCE(?, listing_counts) WHERE name = ?",
                [result.etag, result.last_modified, body_hash, result.status, iso(now), iso(now),
                 feed.title, feed.link, iso(next_check_at), round(result.elapsed_seconds * 1000),
                 new, iso(now), feed.state, json.dumps(list(listing_counts)) if listing_counts is not None else None,
                 source],
            )
        return new, updated

    def _upsert_entry(self, entry: Entry, now: datetime) -> str:
        feed_hash = entry_hash(entry)
        row = self.db.execute("SELECT feed_hash FROM items WHERE id = ?", [entry.id]).fetchone()
        if row is None and self.db.execute("SELECT 1 FROM pruned_items WHERE id = ?", [entry.id]).fetchone():
            return "pruned"
        if row is None and entry.previous_id:
            # Stored by a version that keyed entries without guid or link by title and date only: the row
            # is this entry's if it holds what the entry says now (another entry that shared the old key,
            # or this one edited since, is a new item rather than a rewrite of that row).
            earlier = self.db.execute("SELECT feed_hash FROM items WHERE id = ?", [entry.previous_id]).fetchone()
            if earlier is not None and earlier[0] == feed_hash:
                return "unchanged"
            if earlier is None and self.db.execute("SELECT 1 FROM pruned_items WHERE id = ?",
                                                   [entry.previous_id]).fetchone():
                return "pruned"
        if row is None and entry.release is not None:
            # A release archived before under another id (the source was a plain feed, or its id scheme
            # changed): the same source and address is the same release, so it is updated, not duplicated.
            earlier = self.db.execute(
                "SELECT id, feed_hash FROM items WHERE source = ? AND canonical_url = ? LIMIT 1",
                [entry.source, entry.canonical_url]).fetchone()
            if earlier is not None:
                entry = dataclasses.replace(entry, id=earlier[0])
                row = (earlier[1],)
        if row is None and entry.advisory is not None and entry.advisory.aliases:
            # Filed before under one of its aliases (OSV linked a GHSA- to a PYSEC- id later): that item it stays.
            marks = ", ".join("?" * len(entry.advisory.aliases))
            earlier = self.db.execute(
                f"SELECT i.id, i.feed_hash FROM advisories a JOIN items i ON i.id = a.item_id "
                f"WHERE a.osv_id IN ({marks}) LIMIT 1", list(entry.advisory.aliases)).fetchone()
            if earlier is not None:
                entry = dataclasses.replace(entry, id=earlier[0])
                row = (earlier[1],)
        if row and row[0] == feed_hash:
            return "unchanged"
        outcome = self._write_entry(entry, feed_hash, row is not None, now)
        if entry.release is not None:
            r = entry.release
            self.db.execute(
                "INSERT OR REPLACE INTO releases (item_id, project, version, prerelease, level) VALUES (?, ?, ?, ?, ?)",
                [entry.id, r.project, r.version, int(r.prerelease), r.level])
        if entry.advisory is not None:
            self._save_advisory(entry.id, entry.advisory)
        return outcome

    def _save_advisory(self, item_id: str, a: Advisory) -> None:
        """The advisory row of an item, replaced whole when OSV revised it."""
        self.db.execute(
            "INSERT OR REPLACE INTO advisories (item_id, osv_id, aliases, summary, modified, withdrawn, severity, "
            "ecosystem, package, ranges, versions, fixed, reference_urls, pinned, affects_pinned, manifest) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item_id, a.id, json.dumps(a.aliases), a.summary, a.modified, a.withdrawn, json.dumps(a.severity),
             a.ecosystem, a.package, json.dumps([[r.introduced, r.fixed, r.last_affected] for r in a.ranges]),
             json.dumps(a.versions), json.dumps(a.fixed), json.dumps(a.references), a.pinned,
             None if a.affects_pinned is None else int(a.affects_pinned), a.manifest])

    def _write_entry(self, entry: Entry, feed_hash: str, exists: bool, now: datetime) -> str:
        published = iso(entry.published) if entry.published else None
        if exists:
            self.db.execute(
                "UPDATE items SET guid = ?, url = ?, canonical_url = ?, title = ?, title_html = ?, author = ?, "
                "published = COALESCE(?, published), updated_at = ?, feed_html = ?, feed_hash = ?, "
                "language = ?, status = 'pending', error = NULL, attempts = 0 WHERE id = ?",
                [entry.guid, entry.url, entry.canonical_url, entry.title, entry.title_html, entry.author, published,
                 iso(now), entry.feed_html, feed_hash, entry.language, entry.id],
            )
            return "updated"
        self.db.execute(
            "INSERT INTO items (id, source, guid, url, canonical_url, title, title_html, author, published, "
            "fetched_at, feed_html, feed_hash, language, status, attempts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0)",
            [entry.id, entry.source, entry.guid, entry.url, entry.canonical_url, entry.title, entry.title_html,
             entry.author, published, iso(now), entry.feed_html, feed_hash, entry.language],
        )
        return "new"

    def record_unchanged(self, source: str, result: FetchResult, now: datetime, next_check_at: datetime) -> None:
        """A 304 or an identical body: only the check time, validators and schedule move."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE sources SET etag = ?, last_modified = ?, last_status = ?, last_checked_at = ?, "
                "last_success_at = ?, last_error = NULL, error_count = 0, next_check_at = ?, last_elapsed_ms = ? "
                "WHERE name = ?",
                [result.etag, result.last_modified, result.status, iso(now), iso(now), iso(next_check_at),
                 round(result.elapsed_seconds * 1000), source],
            )

    def record_failure(self, source: str, error: str, status: int | None, now: datetime,
                       next_check_at: datetime) -> int:
        """Store a source's failure, bump its error count; return the new count."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE sources SET last_error = ?, last_status = ?, last_checked_at = ?, "
                "error_count = error_count + 1, next_check_at = ? WHERE name = ?",
                [error, status, iso(now), iso(next_check_at), source],
            )
            row = self.db.execute("SELECT error_count FROM sources WHERE name = ?", [source]).fetchone()
        return int(row[0]) if row else 0

    def record_moved(self, source: str, new_url: str) -> None:
        """A permanent redirect: poll the new address from now on (until feeds.yaml names another)."""
        with self.db.atomic():
            self.db.execute("UPDATE sources SET url = ? WHERE name = ?", [new_url, source])

    def record_gone(self, source: str, reason: str, now: datetime) -> None:
        """The server said the feed is gone for good (410): stop polling it until its URL changes."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE sources SET gone_at = ?, gone_reason = ?, last_error = ?, last_checked_at = ?, "
                "last_status = 410, error_count = error_count + 1 WHERE name = ?",
                [iso(now), reason, reason, iso(now), source],
            )

    def recent_published(self, source: str, limit: int = 50) -> list[datetime]:
        """Publication dates of a source's most recent dated items."""
        rows = self.db.execute(
            "SELECT published FROM items WHERE source = ? AND published IS NOT NULL "
            "ORDER BY published DESC LIMIT ?", [source, limit],
        ).fetchall()
        return [datetime.fromisoformat(r[0]) for r in rows]

    def set_staleness(self, source: str, stale_since: datetime | None, usual_gap_seconds: int | None) -> None:
        """Record whether a source is stale, and its usual gap between items."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE sources SET stale_since = ?, usual_gap_seconds = ? WHERE name = ?",
                [iso(stale_since) if stale_since else None, usual_gap_seconds, source],
            )

    # -- pages and extraction decisions --------------------------------------------------------

    def cached_page(self, url: str) -> CachedPage | None:
        """A page fetched before (its article, or the lasting reason it has none), or None."""
        row = self.db.execute(
            "SELECT status, error, text, title, author, published, language, sitename, canonical_url "
            "FROM pages WHERE url = ?", [url],
        ).fetchone()
        if row is None:
            return None
        status, error, text = row[0], row[1], row[2]
        article = None if text is None else Article(
            text=text, title=row[3], author=row[4], published=from_iso(row[5]), language=row[6],
            sitename=row[7], from_page=True, canonical_url=row[8])
        return CachedPage(url, status, article, error)

    def save_page(self, page: CachedPage, final_url: str, now: datetime) -> None:
        """Remember a fetched page so that no later run fetches it again."""
        a = page.article
        with self.db.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO pages (url, final_url, canonical_url, status, fetched_at, error, text, "
                "title, author, published, language, sitename) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [page.url, final_url, a.canonical_url if a else None, page.status, iso(now), page.error,
                 a.text if a else None, a.title if a else None, a.author if a else None,
                 iso(a.published) if a and a.published else None, a.language if a else None,
                 a.sitename if a else None],
            )

    def extract_decision(self, source: str) -> str | None:
        """'full' or 'excerpt' once learned for an `extract: auto` source, else None."""
        row = self.db.execute("SELECT extract_decision FROM sources WHERE name = ?", [source]).fetchone()
        return row[0] if row else None

    def record_extract_sample(self, source: str, excerpt: bool, samples_needed: int) -> str | None:
        """Count one comparison of feed text with page text; decide by majority after enough samples."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE sources SET extract_samples = COALESCE(extract_samples, 0) + 1, "
                "extract_excerpt_votes = COALESCE(extract_excerpt_votes, 0) + ? WHERE name = ?",
                [int(excerpt), source],
            )
            samples, votes = self.db.execute(
                "SELECT extract_samples, extract_excerpt_votes FROM sources WHERE name = ?", [source]).fetchone()
            if samples < samples_needed:
                return None
            decision = "excerpt" if votes * 2 > samples else "full"
            self.db.execute("UPDATE sources SET extract_decision = ? WHERE name = ?", [decision, source])
        return decision

    # -- items -------------------------------------------------------------------------------

    def pending_ids(self, max_attempts: int = 3) -> list[str]:
        """Ids of items waiting for extraction and model work, oldest first."""
        rows = self.db.execute(
            "SELECT id FROM items WHERE status = 'pending' AND attempts < ? ORDER BY fetched_at, id", [max_attempts]
        ).fetchall()
        return [r[0] for r in rows]

    def pending_items(self, ids: Sequence[str] | None = None, max_attempts: int = 3) -> list[PendingItem]:
        """The pending items among `ids` (default: all of them), oldest first."""
        ids = self.pending_ids(max_attempts) if ids is None else list(ids)
        items: list[PendingItem] = []
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start:chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT id, source, url, title, feed_html, language, published FROM items "
                f"WHERE status = 'pending' AND attempts < ? AND id IN ({marks}) ORDER BY fetched_at, id",
                [max_attempts, *chunk],
            ).fetchall()
            items += [PendingItem(r[0], r[1], r[2] or "", r[3], r[4] or "", r[5], from_iso(r[6])) for r in rows]
        return items

    def save_processed(self, item_id: str, article: Article, output: ModelOutput, now: datetime) -> None:
        """Store an item's text, summary, tags, vector and relevance, and index it for search, in one transaction."""
        text_hash = content_hash(article.text)
        summary = output.summary
        doc = output.doc
        with self.db.atomic():
            if doc is not None:
                vector = np.asarray(doc.vector, dtype=np.float16)
                self.db.execute(
                    "INSERT OR IGNORE INTO doc_vectors (input_hash, model, dim, vector, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [doc.input_hash, doc.model, len(vector), vector.tobytes(), iso(now)],
                )
            self.db.execute(
                "UPDATE items SET content = ?, content_hash = ?, language = COALESCE(?, language), "
                "author = COALESCE(author, ?), from_page = ?, canonical_url = COALESCE(?, canonical_url), "
                "status = 'done', error = NULL, processed_at = ?, attempts = attempts + 1, "
                "doc_hash = ?, relevance = ?, relevance_topic = ? WHERE id = ?",
                [article.text, text_hash, article.language, article.author, int(article.from_page),
                 article.canonical_url, iso(now), doc.input_hash if doc else None, output.relevance,
                 output.relevance_topic, item_id],
            )
            self._save_summary(item_id, summary, output.summary_key, text_hash, now)
            self.db.execute("DELETE FROM item_tags WHERE item_id = ?", [item_id])
            for tag in output.tags:
                self.db.execute(
                    "INSERT INTO item_tags (item_id, tag, score, model) VALUES (?, ?, ?, ?)",
                    [item_id, tag.tag, tag.score, output.tagger],
                )
            for name in output.source_tags:  # the source says so: it wins over the tagger's score
                self.db.execute("INSERT OR REPLACE INTO item_tags (item_id, tag, score, model) VALUES (?, ?, 1.0, ?)",
                                [item_id, name, SOURCE_MODEL])
            self._apply_corrections(item_id)  # a user's correction always wins over the tagger
            self._index(item_id, summary.text, article.text)

    def _save_summary(self, item_id: str, summary: Summary, key: str | None, text_hash: str, now: datetime) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO summaries (item_id, model, text, content_hash, created_at, input_hash) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [item_id, summary.model, summary.text, text_hash, iso(now), key],
        )

    def _index(self, item_id: str, summary: str, content: str | None = None) -> None:
        """(Re)write an item's full-text row; `content` None keeps the indexed text as it is."""
        rowid, title, stored = self.db.execute(
            "SELECT rowid, title, content FROM items WHERE id = ?", [item_id]).fetchone()
        text = stored if content is None else content
        self.db.execute("DELETE FROM items_fts WHERE rowid = ?", [rowid])
        # The *_terms columns hold the symbol words of the three (C++ -> cplusplus), see watch/store/symbols.py.
        self.db.execute("INSERT INTO items_fts (rowid, title, summary, content, title_terms, summary_terms, "
                        "content_terms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [rowid, title, summary, text, index_terms(title), index_terms(summary), index_terms(text)])

    def replace_summary(self, item_id: str, summary: Summary, key: str | None, now: datetime) -> None:
        """Give a processed item a newer summary (a queued generative one) and reindex it."""
        with self.db.atomic():
            row = self.db.execute("SELECT content_hash FROM items WHERE id = ?", [item_id]).fetchone()
            if row is None:
                return
            self._save_summary(item_id, summary, key, row[0] or "", now)
            self._index(item_id, summary.text)

    # -- model cache -------------------------------------------------------------------------

    def cached_summaries(self, keys: Sequence[str], model: str) -> dict[str, str]:
        """Summaries already made by `model` for these input hashes (by any item)."""
        return dict(self.rows_in("SELECT input_hash, text FROM summaries WHERE model = ? AND input_hash IN ({marks})",
                                 dict.fromkeys(keys), [model]))

    def cached_doc_vectors(self, keys: Sequence[str], model: str) -> dict[str, np.ndarray]:
        """Document vectors of `model` already computed for these input hashes, as float32."""
        rows = self.rows_in("SELECT input_hash, vector FROM doc_vectors WHERE model = ? AND input_hash IN ({marks})",
                            dict.fromkeys(keys), [model])
        return {key: np.frombuffer(blob, dtype=np.float16).astype(np.float32) for key, blob in rows}

    def items_without_summary(self, model: str, since: datetime,
                              limit: int = 1000) -> list[tuple[str, str, str, str | None]]:
        """(id, title, text, language) of processed items dated since `since` with no summary by `model`
        yet (the queue of a generative summarizer), newest first."""
        return [tuple(row) for row in self.db.execute(
            "SELECT id, title, COALESCE(content, ''), language FROM items i "
            "WHERE status = 'done' AND COALESCE(published, fetched_at) >= ? AND NOT EXISTS "
            "(SELECT 1 FROM summaries s WHERE s.item_id = i.id AND s.model = ?) AND NOT EXISTS "
            "(SELECT 1 FROM summary_rejections r WHERE r.item_id = i.id AND r.model = ?) "
            "ORDER BY COALESCE(published, fetched_at) DESC, id LIMIT ?",
            [iso(since), model, model, limit],
        ).fetchall()]

    def count_without_summary(self, model: str, since: datetime) -> int:
        """How many processed items dated since `since` have no summary by `model` yet."""
        return self.db.execute(
            "SELECT COUNT(*) FROM items i WHERE status = 'done' AND COALESCE(published, fetched_at) >= ? "
            "AND NOT EXISTS (SELECT 1 FROM summaries s WHERE s.item_id = i.id AND s.model = ?) "
            "AND NOT EXISTS (SELECT 1 FROM summary_rejections r WHERE r.item_id = i.id AND r.model = ?)",
            [iso(since), model, model],
        ).fetchone()[0]

    def record_rejection(self, item_id: str, model: str, reason: str, now: datetime) -> None:
        """Remember that `model`'s summary of an item was rejected, so it is not generated again."""
        with self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO summary_rejections (item_id, model, reason, created_at) "
                            "VALUES (?, ?, ?, ?)", [item_id, model, reason, iso(now)])

    def vectors_for_relevance(self, model: str, batch: int = 5000) -> Iterator[tuple[list[str], np.ndarray]]:
        """(item ids, their document vectors) of `model`, in batches, for recomputing relevance."""
        last = ""
        while True:
            rows = self.db.execute(
                "SELECT i.id, v.vector FROM items i JOIN doc_vectors v ON v.input_hash = i.doc_hash "
                "AND v.model = ? WHERE i.id > ? ORDER BY i.id LIMIT ?", [model, last, batch],
            ).fetchall()
            if not rows:
                return
            yield [r[0] for r in rows], np.stack([np.frombuffer(r[1], dtype=np.float16) for r in rows]).astype(
                np.float32)
            last = rows[-1][0]

    def set_relevance(self, scores: dict[str, tuple[float | None, str | None]]) -> None:
        """Store items' relevance scores and closest interests topics, in one transaction."""
        with self.db.atomic():
            self.db.conn.executemany("UPDATE items SET relevance = ?, relevance_topic = ? WHERE id = ?",
                                     [(score, topic, item_id) for item_id, (score, topic) in scores.items()])

    def clear_relevance(self) -> int:
        """Forget every relevance score (there are no interests any more); return how many were set."""
        with self.db.atomic():
            return self.db.execute("UPDATE items SET relevance = NULL, relevance_topic = NULL "
                                   "WHERE relevance IS NOT NULL").rowcount

    def meta(self, key: str) -> str | None:
        """A value of the archive's own key/value table."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with None, delete) a value of the archive's own key/value table."""
        with self.db.atomic():
            if value is None:
                self.db.execute("DELETE FROM meta WHERE key = ?", [key])
            else:
                self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    def mark_failed(self, item_id: str, error: str, max_attempts: int = 3) -> None:
        """Record a processing failure; the item is retried until max_attempts, then 'failed'."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE items SET error = ?, attempts = attempts + 1, "
                "status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE id = ?",
                [error, max_attempts, item_id],
            )

    def items_between(self, start: datetime, end: datetime) -> list[DigestItem]:
        """Processed items whose date (published, else fetched) falls in [start, end)."""
        rows = self.db.execute(
            "SELECT i.id, i.title, i.url, i.source, "
            "COALESCE(i.published, i.fetched_at) AS day, "
            "(SELECT s.text FROM summaries s WHERE s.item_id = i.id ORDER BY s.created_at DESC, s.rowid DESC LIMIT 1), "
            "i.cluster_id, i.relevance, i.relevance_topic FROM items i "
            "WHERE i.status = 'done' AND day >= ? AND day < ? "
            "ORDER BY day DESC, i.id",
            [iso(start), iso(end)],
        ).fetchall()
        tags = self._tag_lists([r[0] for r in rows])
        return [DigestItem(id=r[0], title=r[1], url=r[2] or "", source=r[3], published=from_iso(r[4]),
                           summary=r[5] or "", tags=tuple(tags.get(r[0], ())), cluster_id=r[6],
                           sources=(r[3],), relevance=r[7], relevance_topic=r[8])
                for r in rows]

    # -- story clusters --------------------------------------------------------------------------

    def unclustered(self) -> list[StoryText]:
        """Processed items not yet assigned to a story cluster, oldest first."""
        rows = self.db.execute(
            "SELECT id, source, title, SUBSTR(COALESCE(content, ''), 1, ?), COALESCE(published, fetched_at), "
            "COALESCE(canonical_url, ''), COALESCE(content_hash, '') FROM items "
            "WHERE status = 'done' AND cluster_id IS NULL ORDER BY COALESCE(published, fetched_at), id",
            [LEAD_CHARS * 2],
        ).fetchall()
        return [_story(r) for r in rows]

    def clusters_between(self, start: datetime, end: datetime, model: str | None) -> list[KnownCluster]:
        """Archived clusters with an item dated in [start, end], leader first, with stored vectors of `model`."""
        rows = self.db.execute(
            "SELECT i.id, i.source, i.title, SUBSTR(COALESCE(i.content, ''), 1, ?), "
            "COALESCE(i.published, i.fetched_at) AS day, COALESCE(i.canonical_url, ''), "
            "COALESCE(i.content_hash, ''), i.cluster_id, v.model, v.dim, v.vector FROM items i "
            "LEFT JOIN item_vectors v ON v.item_id = i.id "
            "WHERE i.cluster_id IN (SELECT DISTINCT cluster_id FROM items WHERE cluster_id IS NOT NULL "
            "AND COALESCE(published, fetched_at) >= ? AND COALESCE(published, fetched_at) < ?) "
            "ORDER BY i.cluster_id, i.id = i.cluster_id DESC, day, i.id",
            [LEAD_CHARS * 2, iso(start), iso(end)],
        ).fetchall()
        grouped: dict[str, list[tuple]] = {}
        for row in rows:
            grouped.setdefault(row[7], []).append(row)
        clusters = []
        for cluster_id, members in grouped.items():
            vectors = None
            if model and all(m[8] == model for m in members):
                vectors = np.stack([np.frombuffer(m[10], dtype=np.float16).astype(np.float32) for m in members])
            clusters.append(KnownCluster(cluster_id, tuple(_story(m[:7]) for m in members), vectors))
        return clusters

    def save_clusters(self, assignment: dict[str, str], vectors: dict[str, np.ndarray], model: str | None,
                      now: datetime) -> None:
        """Link items to their clusters, keep their story vectors, refresh the clusters' counts."""
        with self.db.atomic():
            for item_id, cluster_id in assignment.items():
                self.db.execute("UPDATE items SET cluster_id = ? WHERE id = ?", [cluster_id, item_id])
                vector = vectors.get(item_id)
                if vector is not None and model:
                    self.db.execute(
                        "INSERT OR REPLACE INTO item_vectors (item_id, model, dim, vector) VALUES (?, ?, ?, ?)",
                        [item_id, model, len(vector), np.asarray(vector, dtype=np.float16).tobytes()],
                    )
            for cluster_id in set(assignment.values()):
                self.db.execute(
                    "INSERT INTO clusters (id, title, created_at, updated_at, item_count, source_count) "
                    "SELECT ?, (SELECT title FROM items WHERE id = ?), ?, ?, COUNT(*), COUNT(DISTINCT source) "
                    "FROM items WHERE cluster_id = ? "
                    "ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, "
                    "item_count = excluded.item_count, source_count = excluded.source_count",
                    [cluster_id, cluster_id, iso(now), iso(now), cluster_id],
                )

    # -- digests ---------------------------------------------------------------------------

    def save_digest(self, record: DigestRecord, *, published: bool = True) -> bool:
        """Keep a written digest of its profile; return whether it was kept (a one-off never replaces a
        published one).

        A published digest (the weekly one, shown in the feed of past digests) replaces any earlier
        rendering of its period. Its sending state stays, except that of a one-off written before the
        period was over (`--week current --email`): that e-mail did not carry the whole week.
        A one-off (`published=False`) is kept only while its period has no published digest.
        """
        values = [record.profile, record.label, iso(record.start), iso(record.end), iso(record.written_at),
                  record.title, record.html, record.text, int(published)]
        insert = ("INSERT INTO digests (profile, label, start, end, written_at, title, html, text, published) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(profile, label) DO UPDATE SET "
                  "start = excluded.start, end = excluded.end, written_at = excluded.written_at, "
                  "title = excluded.title, html = excluded.html, text = excluded.text, published = excluded.published")
        with self.db.atomic():
            if not published:
                cursor = self.db.execute(insert + " WHERE digests.published = 0", values)
                return cursor.rowcount > 0
            keeps_sent = ("digests.published = 1 OR (digests.written_at >= digests.end "
                          "AND digests.start = excluded.start AND digests.end = excluded.end)")
            self.db.execute(
                insert + "".join(f", {column} = CASE WHEN {keeps_sent} THEN digests.{column} END"
                                 for column in ("sent_at", "message_id", "recipients")),
                values,
            )
        return True

    def digest_records(self, limit: int = 20, label: str | None = None, published: bool | None = None,
                       profile: str = DEFAULT_PROFILE) -> list[DigestRecord]:
        """The most recent digests of `profile` written (by period start), newest first; or the one of
        `label`; `published=True`: only those of the profile's feed of past digests."""
        clauses, args = ["profile = ?"], [profile]
        if label is not None:
            clauses.append("label = ?")
            args.append(label)
        if published is not None:
            clauses.append("published = ?")
            args.append(int(published))
        rows = self.db.execute(
            f"SELECT label, start, end, written_at, title, html, text, profile FROM digests "
            f"WHERE {' AND '.join(clauses)} ORDER BY start DESC, label DESC LIMIT ?", [*args, limit]).fetchall()
        return [DigestRecord(r[0], from_iso(r[1]), from_iso(r[2]), from_iso(r[3]), r[4], r[5], r[6], r[7])
                for r in rows]

    def digest_published(self, label: str, profile: str = DEFAULT_PROFILE) -> bool:
        """Whether the period `label` has a published digest of `profile` (one of its feed of past digests)."""
        row = self.db.execute("SELECT published FROM digests WHERE profile = ? AND label = ?",
                              [profile, label]).fetchone()
        return bool(row and row[0])

    def digest_sent(self, label: str, profile: str = DEFAULT_PROFILE) -> tuple[datetime, str] | None:
        """When the digest of `profile` for `label` was e-mailed and to whom, or None if it never was."""
        row = self.db.execute("SELECT sent_at, recipients FROM digests WHERE profile = ? AND label = ?",
                              [profile, label]).fetchone()
        return (from_iso(row[0]), row[1] or "") if row and row[0] else None

    def mark_digest_sent(self, label: str, message_id: str, recipients: Sequence[str], now: datetime,
                         profile: str = DEFAULT_PROFILE) -> None:
        """Record that the digest of `profile` for `label` was e-mailed."""
        with self.db.atomic():
            self.db.execute("UPDATE digests SET sent_at = ?, message_id = ?, recipients = ? "
                            "WHERE profile = ? AND label = ?",
                            [iso(now), message_id, ", ".join(recipients), profile, label])

    def doc_vectors_of(self, item_ids: Sequence[str], model: str) -> dict[str, np.ndarray]:
        """The stored document vectors of `model` of these items (those that have one), as float32."""
        rows = self.rows_in("SELECT i.id, v.vector FROM items i JOIN doc_vectors v ON v.input_hash = i.doc_hash "
                            "AND v.model = ? WHERE i.id IN ({marks})", dict.fromkeys(item_ids), [model])
        return {item_id: np.frombuffer(blob, dtype=np.float16).astype(np.float32) for item_id, blob in rows}

    # -- deliveries ------------------------------------------------------------------------

    def record_delivery(self, attempt: DeliveryAttempt) -> None:
        """Keep one attempt to deliver a period's digest to a channel (sent or failed, with its error)."""
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO deliveries (profile, period, channel_key, channel, kind, at, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [attempt.profile, attempt.period, attempt.channel_key, attempt.channel, attempt.kind,
                 iso(attempt.at), attempt.status, attempt.error or None])

    def delivery_sent(self, profile: str, period: str, channel_key: str) -> datetime | None:
        """When the period's digest of `profile` was last delivered to the channel; None if it never was."""
        row = self.db.execute(
            "SELECT max(at) FROM deliveries WHERE profile = ? AND period = ? AND channel_key = ? AND status = 'sent'",
            [profile, period, channel_key]).fetchone()
        return from_iso(row[0]) if row else None

    def deliveries(self, profile: str | None = None, period: str | None = None) -> list[DeliveryAttempt]:
        """Delivery attempts, oldest first; only those of `profile` and `period` when given."""
        where, args = [], []
        for column, value in (("profile", profile), ("period", period)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        rows = self.db.execute(
            "SELECT profile, period, channel_key, channel, kind, at, status, error FROM deliveries"
            + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at, id", args).fetchall()
        return [DeliveryAttempt(r[0], r[1], r[2], r[3], r[4], from_iso(r[5]), r[6], r[7] or "") for r in rows]

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, now: datetime) -> int:
        """Open a runs row and return its id. Rows still 'running' belong to a process that died (the
        archive lock lets one run at a time): they are closed as 'crashed'."""
        with self.db.atomic():
            self.db.execute("UPDATE runs SET status = 'crashed', finished_at = ? WHERE status = 'running'",
                            [iso(now)])
            cursor = self.db.execute("INSERT INTO runs (started_at, status) VALUES (?, 'running')", [iso(now)])
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, report: RunReport, now: datetime) -> None:
        """Close a runs row with the run's counts and errors."""
        errors = [f"{s.source}: {s.error}" for s in report.sources if s.error]
        errors += list(report.processed.errors)
        status = "interrupted" if report.interrupted else "ok" if not errors else "partial"
        with self.db.atomic():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, sources_ok = ?, sources_failed = ?, "
                "new_items = ?, updated_items = ?, processed = ?, failed_items = ?, errors = ? WHERE id = ?",
                [iso(now), status, len(report.sources) - report.failed_sources, report.failed_sources,
                 report.new_items, sum(s.updated_items for s in report.sources),
                 report.processed.processed, report.processed.failed, json.dumps(errors), run_id],
            )

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for reports and tests)."""
        tables = ("sources", "items", "summaries", "item_tags", "runs", "items_fts")
        return {t: int(self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}

    # -- retention and maintenance -------------------------------------------------------------

    def tag_run(self, run_id: int, job: str) -> None:
        """Name the job that wrote a runs row opened by start_run (a `techwatch run` row says 'run')."""
        with self.db.atomic():
            self.db.execute("UPDATE runs SET job = ? WHERE id = ?", [job, run_id])

    def record_job(self, job: str, started: datetime, finished: datetime, status: str,
                   detail: dict | None = None, errors: Sequence[str] = ()) -> int:
        """Write a finished runs row for a scheduled job other than a poll; return its id."""
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO runs (started_at, finished_at, status, job, detail, errors) VALUES (?, ?, ?, ?, ?, ?)",
                [iso(started), iso(finished), status, job, json.dumps(detail or {}, default=str),
                 json.dumps(list(errors))])
        return int(cursor.lastrowid)

    def prune(self, items_before: datetime | None, pages_before: datetime | None) -> dict[str, int]:
        """Delete items first seen (fetched_at) before `items_before` with everything derived from them, cached
        pages fetched before `pages_before`, and unused document vectors, in one transaction; None keeps all.

        The deleted items' ids are remembered (pruned_items) so that a feed still carrying them does not
        bring them back as new. Digests are kept. Return the rows deleted per table.
        """
        deleted: dict[str, int] = {}

        def run(table: str, sql: str, args: Sequence = ()) -> None:
            deleted[table] = deleted.get(table, 0) + self.db.execute(sql, list(args)).rowcount

        with self.db.atomic():
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS prune_items (id TEXT PRIMARY KEY, rid INTEGER, "
                            "cluster_id TEXT)")
            self.db.execute("DELETE FROM prune_items")
            # By first-seen date, not the published one: a feed that (re)publishes old entries must not
            # see them deleted the night after they arrived.
            if items_before is not None:
                self.db.execute("INSERT INTO prune_items (id, rid, cluster_id) SELECT id, rowid, cluster_id "
                                "FROM items WHERE fetched_at < ?", [iso(items_before)])
            self.db.execute("INSERT OR IGNORE INTO pruned_items (id) SELECT id FROM prune_items")
            doomed = "(SELECT id FROM prune_items)"
            # Children first: they reference items(id) and foreign keys are enforced.
            for table in ("summaries", "item_tags", "item_vectors", "summary_rejections", "releases", "advisories",
                          "tag_corrections"):
                run(table, f"DELETE FROM {table} WHERE item_id IN {doomed}")
            # The FTS table is keyed by items.rowid, so its rows go before the items they index.
            run("items_fts", "DELETE FROM items_fts WHERE rowid IN (SELECT rid FROM prune_items)")
            run("items", f"DELETE FROM items WHERE id IN {doomed}")
            touched = "(SELECT DISTINCT cluster_id FROM prune_items WHERE cluster_id IS NOT NULL)"
            run("clusters", f"DELETE FROM clusters WHERE id IN {touched} "
                            "AND NOT EXISTS (SELECT 1 FROM items i WHERE i.cluster_id = clusters.id)")
            self.db.execute(
                f"UPDATE clusters SET item_count = (SELECT COUNT(*) FROM items i WHERE i.cluster_id = clusters.id), "
                f"source_count = (SELECT COUNT(DISTINCT source) FROM items i WHERE i.cluster_id = clusters.id) "
                f"WHERE id IN {touched}")
            deleted["pages"] = 0
            if pages_before is not None:
                run("pages", "DELETE FROM pages WHERE fetched_at < ?", [iso(pages_before)])
            run("doc_vectors", "DELETE FROM doc_vectors WHERE input_hash NOT IN "
                               "(SELECT doc_hash FROM items WHERE doc_hash IS NOT NULL)")
            self.db.execute("DELETE FROM prune_items")
        return deleted

    def maintain(self, vacuum: bool = True) -> None:
        """Refresh the query planner's statistics, merge the full-text index, and rebuild the file (VACUUM)."""
        with self.db.atomic():
            self.db.execute("INSERT INTO items_fts(items_fts) VALUES('optimize')")
        self.db.execute("ANALYZE")
        if self.db.conn.in_transaction:
            self.db.conn.commit()
        # VACUUM cannot run inside a transaction; in WAL mode it goes through the log, so checkpoint after.
        if vacuum:
            self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

def open_archive(path: str | Path) -> Archive:
    """Open (creating and migrating as needed) the archive at `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The archive holds everything read and the sources followed: readable by its owner only. SQLite
        # gives the -wal and -shm files the mode of the database file.
        create_private(path)
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 10000")
        db.enable_wal()
        # In WAL mode NORMAL never corrupts and survives a crash of the process; only a power
        # loss may drop the last commits. FULL would fsync every source's transaction.
        db.execute("PRAGMA synchronous = NORMAL")
        migrate(db)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open archive {path}: {exc}") from exc
    return Archive(db)
