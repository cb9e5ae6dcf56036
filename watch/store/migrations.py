"""Numbered schema migrations; applied in order, each once, never edited after release."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

from .symbols import index_terms

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register a migration; its function name (m001_...) is its identity."""
    MIGRATIONS.append(fn)
    return fn


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply every migration not yet applied, each in its own transaction; return their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for step in MIGRATIONS:
        if step.__name__ in done:
            continue
        with db.atomic():
            step(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                       [step.__name__, datetime.now(UTC).isoformat(timespec="seconds")])
        applied.append(step.__name__)
    return applied


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    """Sources with fetch state, items, summaries, tags, runs, and full-text search."""
    db["sources"].create({
        "name": str, "url": str, "kind": str, "enabled": int, "added_at": str,
        "title": str, "site_url": str,
        "etag": str, "last_modified": str, "content_hash": str,
        "last_status": int, "last_checked_at": str, "last_success_at": str, "last_new_item_at": str,
        "last_error": str, "error_count": int, "next_check_at": str,
    }, pk="name", not_null={"url", "kind", "enabled", "error_count"}, defaults={"error_count": 0, "enabled": 1})
    db["items"].create({
        "id": str, "source": str, "guid": str, "url": str, "canonical_url": str,
        "title": str, "author": str, "published": str, "fetched_at": str, "updated_at": str,
        "feed_html": str, "feed_hash": str,
        "content": str, "content_hash": str, "language": str, "from_page": int,
        "status": str, "error": str, "attempts": int, "processed_at": str,
    }, pk="id", foreign_keys=[("source", "sources", "name")],
        not_null={"source", "title", "fetched_at", "status", "attempts"},
        defaults={"status": "pending", "attempts": 0})
    db["items"].create_index(["status"])
    db["items"].create_index(["published"])
    db["items"].create_index(["canonical_url"])
    db["items"].create_index(["source", "published"])
    db["summaries"].create({
        "item_id": str, "model": str, "text": str, "content_hash": str, "created_at": str,
    }, pk=("item_id", "model"), foreign_keys=[("item_id", "items", "id")])
    db["item_tags"].create({
        "item_id": str, "tag": str, "score": float, "model": str,
    }, pk=("item_id", "tag"), foreign_keys=[("item_id", "items", "id")])
    db["item_tags"].create_index(["tag"])
    db["runs"].create({
        "id": int, "started_at": str, "finished_at": str, "status": str,
        "sources_ok": int, "sources_failed": int, "new_items": int, "updated_items": int,
        "processed": int, "failed_items": int, "errors": str,
    }, pk="id")
    # Standalone FTS5 table keyed by items.rowid: it spans items and summaries, which
    # sqlite-utils' enable_fts (one table's columns) cannot express.
    db.execute(
        "CREATE VIRTUAL TABLE items_fts USING fts5("
        "title, summary, content, tokenize = 'unicode61 remove_diacritics 2')"
    )


@migration
def m002_source_scheduling(db: sqlite_utils.Database) -> None:
    """Where a source really lives (redirects), whether it is gone or stale, and how fast it answers."""
    sources = db["sources"]
    for column, kind in (("config_url", str), ("gone_at", str), ("gone_reason", str), ("stale_since", str),
                         ("usual_gap_seconds", int), ("last_elapsed_ms", int), ("last_notes", str)):
        sources.add_column(column, kind)
    db.execute("UPDATE sources SET config_url = url")


@migration
def m003_pages_and_extraction(db: sqlite_utils.Database) -> None:
    """A cache of fetched article pages, and each source's learned full-text-or-excerpt decision."""
    db["pages"].create({
        "url": str, "final_url": str, "canonical_url": str, "status": int, "fetched_at": str, "error": str,
        "text": str, "title": str, "author": str, "published": str, "language": str, "sitename": str,
    }, pk="url")
    sources = db["sources"]
    for column, kind in (("extract_samples", int), ("extract_excerpt_votes", int), ("extract_decision", str)):
        sources.add_column(column, kind)


@migration
def m004_story_clusters(db: sqlite_utils.Database) -> None:
    """Items telling the same story share a cluster; story embeddings are kept to compare new items."""
    db["items"].add_column("cluster_id", str)
    db["items"].create_index(["cluster_id"])
    db["clusters"].create({
        "id": str, "title": str, "created_at": str, "updated_at": str, "item_count": int, "source_count": int,
    }, pk="id")
    # float16 story vectors (title + lead), for clustering later items without re-embedding.
    db["item_vectors"].create({"item_id": str, "model": str, "dim": int, "vector": bytes},
                              pk="item_id", foreign_keys=[("item_id", "items", "id")])


@migration
def m005_model_cache(db: sqlite_utils.Database) -> None:
    """Model outputs kept by input hash, so nothing is computed twice; relevance to `interests`."""
    # float16 document vectors (title + start of the text), shared by tagging and relevance.
    db["doc_vectors"].create({"input_hash": str, "model": str, "dim": int, "vector": bytes, "created_at": str},
                             pk=("input_hash", "model"))
    db["summaries"].add_column("input_hash", str)
    db["summaries"].create_index(["input_hash", "model"])
    items = db["items"]
    items.add_column("doc_hash", str)
    items.add_column("relevance", float)
    # Small facts about the archive itself (the interests text that relevance was computed for...).
    db["meta"].create({"key": str, "value": str}, pk="key")


@migration
def m006_summary_rejections(db: sqlite_utils.Database) -> None:
    """Items whose generative summary was rejected (unfaithful or degenerate): not generated again."""
    db["summary_rejections"].create({"item_id": str, "model": str, "reason": str, "created_at": str},
                                    pk=("item_id", "model"), foreign_keys=[("item_id", "items", "id")])


@migration
def m007_digests(db: sqlite_utils.Database) -> None:
    """Digests written (rendered HTML and text, for the Atom feed of past digests) and sent by e-mail."""
    db["digests"].create({
        "label": str, "start": str, "end": str, "written_at": str, "title": str, "html": str, "text": str,
        "sent_at": str, "message_id": str, "recipients": str,
    }, pk="label")


@migration
def m008_run_jobs(db: sqlite_utils.Database) -> None:
    """Which job wrote a runs row (run, poll, digest, prune, maintain) and what it did, as JSON."""
    # Rows written before this migration were all one-shot `techwatch run` cycles.
    db["runs"].add_column("job", str, not_null_default="run")
    db["runs"].add_column("detail", str)


# The latest summary of an item (a queued generative summary replaces the extractive one).
_LATEST_SUMMARY = ("(SELECT s.text FROM summaries s WHERE s.item_id = i.id "
                   "ORDER BY s.created_at DESC, s.rowid DESC LIMIT 1)")


# The two query views of m009, over the link given as {url}: m019 recreates them over the published link.
_ITEMS_WITH_TAGS = (
    "CREATE VIEW items_with_tags AS SELECT i.id, i.source, i.title, "
    "{url} AS url, COALESCE(i.published, i.fetched_at) AS date, "
    "i.language, i.author, " + _LATEST_SUMMARY + " AS summary, "
    "(SELECT group_concat(tag, ', ') FROM (SELECT t.tag FROM item_tags t WHERE t.item_id = i.id "
    "ORDER BY t.score DESC, t.tag)) AS tags, "
    "COALESCE(i.cluster_id, i.id) AS story_id, i.relevance, i.status, i.fetched_at "
    "FROM items i"
)
# One row per story as the digest merges them: the first report's title, link, summary and tags,
# every source, the first and the latest date.
_STORIES = (
    "CREATE VIEW stories AS WITH members AS ("
    "SELECT i.*, ROW_NUMBER() OVER (PARTITION BY i.story_id ORDER BY i.date, i.id) AS position "
    "FROM items_with_tags i WHERE i.status = 'done'), "
    "totals AS (SELECT story_id, max(date) AS last_seen, count(*) AS item_count, "
    "count(DISTINCT source) AS source_count, group_concat(DISTINCT source) AS sources, "
    "max(relevance) AS relevance FROM members GROUP BY story_id) "
    "SELECT m.story_id, m.id AS item_id, m.title, m.url, m.summary, m.tags, m.date AS first_seen, "
    "t.last_seen, t.item_count, t.source_count, t.sources, t.relevance "
    "FROM members m JOIN totals t USING (story_id) WHERE m.position = 1"
)


@migration
def m009_query_views(db: sqlite_utils.Database) -> None:
    """Views for the common joins (items_with_tags, stories) and search ranking weighted by column."""
    db.execute(_ITEMS_WITH_TAGS.format(url="COALESCE(NULLIF(i.canonical_url, ''), i.url)"))
    db.execute(_STORIES)
    # A match in the title counts most, then the summary, then the body (bm25 column weights).
    db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')")
    # Period filters (digest, search --since, stats) compare the date an item is filed under.
    db.execute("CREATE INDEX items_day ON items (COALESCE(published, fetched_at))")



@migration
def m010_releases(db: sqlite_utils.Database) -> None:
    """Items of release sources: which project and version, pre-release or not, major/minor/patch."""
    db["releases"].create({"item_id": str, "project": str, "version": str, "prerelease": int, "level": str},
                          pk="item_id", foreign_keys=[("item_id", "items", "id")], not_null={"project", "version"})
    db["releases"].create_index(["project"])



@migration
def m011_item_day(db: sqlite_utils.Database) -> None:
    """items.day: the date an item is filed under, as a column, indexed with what period counts read."""
    # VIRTUAL: computed on read, no space in the row; the index makes stats and period filters index-only.
    db.execute("ALTER TABLE items ADD COLUMN day TEXT GENERATED ALWAYS AS (COALESCE(published, fetched_at)) VIRTUAL")
    db.execute("CREATE INDEX items_day_status_source ON items (day, status, source, id)")
    db.execute("DROP INDEX IF EXISTS items_day")  # m009's expression index: the new one covers its uses


@migration
def m012_pruned_items(db: sqlite_utils.Database) -> None:
    """Ids of items deleted by retention, so a feed that still carries them cannot bring them back as new."""
    # WITHOUT ROWID: the id is the whole row, stored once in the primary key's b-tree (25-29 bytes an id, measured).
    db.execute("CREATE TABLE pruned_items (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID")


@migration
def m016_digest_published(db: sqlite_utils.Database) -> None:
    """digests.published: 1 for the weekly digest (shown in the feed of past digests), 0 for one-off digests."""
    db["digests"].add_column("published", int, not_null_default=1)
    # Before this column every digest written went into the feed. A rolling window (--since: its
    # label is "START_to_END") or a week written before it was over (--week current) was a one-off.
    db.execute("UPDATE digests SET published = 0 WHERE label LIKE '%!_to!_%' ESCAPE '!' OR written_at < end")


@migration
def m017_title_text(db: sqlite_utils.Database) -> None:
    """items.title_html: the title as the feed wrote it when that was markup; titles stored so far become text."""
    from ..text.titles import title_text  # the one function that makes feed titles text, as parse does now

    db["items"].add_column("title_html", str)
    # The feed's own type (Atom type="html", RSS markup) was not stored: feedparser's guess decides, as it
    # does for RSS titles. A title with neither "<" nor "&" cannot hold markup.
    for table in ("items", "clusters", "sources"):
        key = "rowid" if table == "items" else ("id" if table == "clusters" else "name")
        rows = db.execute(f"SELECT {key}, title FROM {table} "
                          "WHERE title LIKE '%<%' OR title LIKE '%&%'").fetchall()
        for row_key, stored in rows:
            title = title_text(stored, "guess")
            if title.html is None or not title.text:
                continue
            if table == "items":
                db.execute("UPDATE items SET title = ?, title_html = ? WHERE rowid = ?", [title.text, stored, row_key])
                # items_fts holds its own copy of the title (processed items only).
                db.execute("UPDATE items_fts SET title = ? WHERE rowid = ?", [title.text, row_key])
            else:
                db.execute(f"UPDATE {table} SET title = ? WHERE {key} = ?", [title.text, row_key])


@migration
def m018_symbol_terms(db: sqlite_utils.Database) -> None:
    """items_fts gains title_terms, summary_terms, content_terms: C++, C#, .NET searchable as written."""
    # unicode61 drops + # and a leading dot (C++ and C# both index as `c`); the new columns hold those
    # words as one token each (cplusplus, csharp, dotnet). FTS5 cannot add a column: build the new table
    # from the old one's stored text, then swap. bm25 weights the terms like the column they come from.
    db.execute(
        "CREATE VIRTUAL TABLE items_fts_m018 USING fts5(title, summary, content, title_terms, summary_terms, "
        "content_terms, tokenize = 'unicode61 remove_diacritics 2')"
    )
    db.execute("INSERT INTO items_fts_m018 (items_fts_m018, rank) "
               "VALUES ('rank', 'bm25(10.0, 4.0, 1.0, 10.0, 4.0, 1.0)')")
    db.conn.create_function("techwatch_symbol_terms", 1, index_terms, deterministic=True)
    db.execute(
        "INSERT INTO items_fts_m018 (rowid, title, summary, content, title_terms, summary_terms, content_terms) "
        "SELECT rowid, title, summary, content, techwatch_symbol_terms(title), techwatch_symbol_terms(summary), "
        "techwatch_symbol_terms(content) FROM items_fts ORDER BY rowid"
    )
    db.execute("DROP TABLE items_fts")
    db.execute("ALTER TABLE items_fts_m018 RENAME TO items_fts")


@migration
def m019_views_published_link(db: sqlite_utils.Database) -> None:
    """items_with_tags and stories show the link the feed published, not the canonical URL (identity only)."""
    db.execute("DROP VIEW IF EXISTS stories")
    db.execute("DROP VIEW IF EXISTS items_with_tags")
    db.execute(_ITEMS_WITH_TAGS.format(url="i.url"))
    db.execute(_STORIES)


@migration
def m020_relevance_topic(db: sqlite_utils.Database) -> None:
    """items.relevance_topic: the `interests` topic an item is closest to, so the digest can say why it ranks."""
    if "relevance_topic" not in db["items"].columns_dict:
        db["items"].add_column("relevance_topic", str)


@migration
def m021_watch_text(db: sqlite_utils.Database) -> None:
    """sources.watch_text: the main text of a `kind: watch` page at its last poll, compared with the next one."""
    if "watch_text" not in db["sources"].columns_dict:
        db["sources"].add_column("watch_text", str)


@migration
def m022_listing_counts(db: sqlite_utils.Database) -> None:
    """sources.listing_counts: a listing page's recent article counts (JSON list), for "layout changed?"."""
    if "listing_counts" not in db["sources"].columns_dict:
        db["sources"].add_column("listing_counts", str)


@migration
def m023_deliveries(db: sqlite_utils.Database) -> None:
    """deliveries: every attempt to send a period's digest to a channel (e-mail or chat), and how it went."""
    # A channel is kept by the SHA-256 of its URL and shown by Apprise's privacy URL: no secret is stored.
    db["deliveries"].create({
        "id": int, "profile": str, "period": str, "channel_key": str, "channel": str, "kind": str,
        "at": str, "status": str, "error": str,
    }, pk="id", not_null={"profile", "period", "channel_key", "channel", "kind", "at", "status"})
    db["deliveries"].create_index(["profile", "period", "channel_key", "status"])


@migration
def m024_advisories(db: sqlite_utils.Database) -> None:
    """Items of `kind: advisories`: the OSV advisory, its package, ranges and fixes, and whether the pin is hit."""
    db["advisories"].create({
        "item_id": str, "osv_id": str, "aliases": str, "summary": str, "modified": str, "withdrawn": str,
        "severity": str, "ecosystem": str, "package": str, "ranges": str, "versions": str, "fixed": str,
        "reference_urls": str, "pinned": str, "affects_pinned": int, "manifest": str,
    }, pk="item_id", foreign_keys=[("item_id", "items", "id")], not_null={"osv_id", "ecosystem", "package"})
    db["advisories"].create_index(["osv_id"], unique=True)
    db["advisories"].create_index(["package"])


@migration
def m025_tag_corrections(db: sqlite_utils.Database) -> None:
    """tag_corrections: a user's word on an item's tag (it wins over the tagger); tag_models: what was learned."""
    db["tag_corrections"].create({"item_id": str, "tag": str, "present": int, "created_at": str},
                                 pk=("item_id", "tag"), foreign_keys=[("item_id", "items", "id")],
                                 not_null={"present", "created_at"})
    db["tag_models"].create({"model": str, "labels_hash": str, "weights": bytes, "created_at": str}, pk="model",
                            not_null={"labels_hash", "weights"})


@migration
def m026_digest_profiles(db: sqlite_utils.Database) -> None:
    """digests.profile: the digest profile (`digests:` in feeds.yaml) a digest is of; every earlier one is 'default'."""
    if "profile" not in db["digests"].columns_dict:
        db["digests"].add_column("profile", str, not_null_default="default")
    # One digest per profile and period: the key becomes (profile, label).
    db["digests"].transform(pk=("profile", "label"))


@migration
def m027_why_lines(db: sqlite_utils.Database) -> None:
    """why_lines: a server model's "why it matters" line for a top story, per profile interests and model."""
    # line "" records that the model had nothing faithful to say (NONE, or the guard refused it): not asked again.
    db["why_lines"].create({"item_id": str, "interests_key": str, "model": str, "line": str, "created_at": str},
                           pk=("item_id", "interests_key", "model"), foreign_keys=[("item_id", "items", "id")],
                           not_null={"line", "created_at"})


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """Names of the migrations not yet applied to `db` (all of them for a new, empty database)."""
    if not db["_migrations"].exists():
        return [step.__name__ for step in MIGRATIONS]
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    return [step.__name__ for step in MIGRATIONS if step.__name__ not in done]
