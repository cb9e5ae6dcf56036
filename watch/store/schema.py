"""The archive's documented schema: a description of every table, view and column, and docs/schema.md from it.

`python -m watch.store.schema > docs/schema.md` regenerates the reference; tests check it is current and complete.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from . import Archive, open_archive

TIME = "ISO 8601 UTC"
FTS_TABLE = "items_fts"
# FTS5 keeps its index in these shadow tables of items_fts; they are SQLite's, not ours to document.
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")


@dataclass(frozen=True)
class TableDoc:
    """What a table or view holds, and what each of its columns means."""

    description: str
    columns: dict[str, str] = field(default_factory=dict)


# Views first: they are where a query should start.
VIEWS: dict[str, TableDoc] = {
    "items_with_tags": TableDoc(
        "One row per item with the joins done: its link, date, latest summary and tags (all items, any status).", {
            "id": "Item id (items.id).",
            "source": "Source name (sources.name).",
            "title": "Title as text (items.title).",
            "url": "The link the feed published, minus tracking parameters.",
            "date": f"Date the item is filed under: published, else fetched_at; {TIME}.",
            "language": "Language code (e.g. en, fr) from the feed or detected from the text; NULL if unknown.",
            "author": "Author as given by the feed or the article page; NULL if unknown.",
            "summary": "Latest summary (a generative one replaces the extractive one); NULL before processing.",
            "tags": "Tags, best score first, comma-separated (\"llm, agents\"); NULL if the item has none.",
            "story_id": "Story the item belongs to: its cluster id, else its own id.",
            "relevance": "Similarity to `interests` (cosine, higher is closer); NULL without interests.",
            "status": "Processing state: pending, done or failed.",
            "fetched_at": f"When techwatch first saw the item; {TIME}.",
        }),
    "stories": TableDoc(
        "One row per story (cluster) of processed items, merged as the digest merges them: the first report "
        "gives title, link, summary and tags.", {
            "story_id": "Cluster id (clusters.id), or the item id of a story told once.",
            "item_id": "The story's first report (earliest date, then smallest id).",
            "title": "Title of the first report.",
            "url": "Link of the first report.",
            "summary": "Latest summary of the first report.",
            "tags": "Tags of the first report, best score first, comma-separated.",
            "first_seen": f"Date of the first report; {TIME}.",
            "last_seen": f"Date of the latest report; {TIME}.",
            "item_count": "Processed items telling the story.",
            "source_count": "Distinct sources telling the story.",
            "sources": "Those sources' names, comma-separated (no particular order).",
            "relevance": "Highest relevance among the reports; NULL without interests.",
        }),
}

TABLES: dict[str, TableDoc] = {
    "sources": TableDoc(
        "Configured sources (synced from feeds.yaml at each run) with their fetch state and health.", {
            "name": "Source name from feeds.yaml; primary key.",
            "url": "URL polled now: the configured one, or where a permanent redirect moved it.",
            "kind": "Kind of source from feeds.yaml (feed).",
            "enabled": "1 if enabled in feeds.yaml, 0 if disabled (never polled).",
            "added_at": f"When the source was first recorded; {TIME}.",
            "title": "Feed title from the last successful fetch; NULL before one.",
            "site_url": "Site link from the feed; NULL if none.",
            "etag": "ETag of the last successful response, sent back as If-None-Match; NULL if none.",
            "last_modified": "Last-Modified of the last successful response, sent back as If-Modified-Since.",
            "content_hash": "SHA-256 of the last feed body stored: an identical body is skipped.",
            "last_status": "HTTP status of the last check (304 = not modified, 410 = gone); NULL on network error.",
            "last_checked_at": f"Last poll attempt, success or not; {TIME}; NULL if never polled.",
            "last_success_at": f"Last poll that succeeded (including 304); {TIME}; NULL if never.",
            "last_new_item_at": f"Last poll that brought a new item; {TIME}; NULL if never.",
            "last_error": "Error of the last failed poll; NULL after a success.",
            "error_count": "Failed polls in a row; 0 after a success (drives the exponential backoff).",
            "next_check_at": f"Not polled before this time (interval, server hints or backoff); {TIME}; "
                             "NULL: at the next run.",
            "config_url": "URL as written in feeds.yaml; editing it resets redirects, gone state and validators.",
            "gone_at": f"When the server answered 410 Gone (no longer polled); {TIME}; NULL if not gone.",
            "gone_reason": "Why the source is gone, e.g. \"gone (HTTP 410) since 2026-11-18\"; NULL if not gone.",
            "stale_since": f"When the source went stale (no new item for several usual gaps, at least 2 days); "
                           f"{TIME}; NULL if not stale.",
            "usual_gap_seconds": "Median gap between the source's items, in seconds; NULL with fewer than 3 dated "
                                 "items.",
            "last_elapsed_ms": "Duration of the last successful fetch, in milliseconds.",
            "last_notes": "Reserved for notes on the last check; not written by this version (NULL).",
            "extract_samples": "Items compared (feed text vs article page) to decide an `extract: auto` source; "
                               "NULL before the first.",
            "extract_excerpt_votes": "How many of those samples found the feed gave only an excerpt.",
            "extract_decision": "Learned decision for `extract: auto`: full (feed text suffices) or excerpt "
                                "(fetch pages); NULL while undecided.",
            "watch_text": "`kind: watch` only: the page's main text at the last poll, compared with the next "
                          "one to find what changed; NULL for other kinds and before the first poll.",
            "listing_counts": "`kind: page` only: JSON list of the article counts of the last five accepted polls "
                              "(oldest first); their median is the usual count behind the \"layout changed?\" "
                              "warning. NULL before the first poll and after the url changes.",
        }),
    "items": TableDoc(
        "Feed entries, one per source entry, with the extracted text and processing state.", {
            "id": "Stable id: first 20 hex digits of SHA-256 of source name + guid (or link, or title).",
            "source": "Source that published it.",
            "guid": "The entry's guid/id in the feed, else its link or title.",
            "url": "Link given by the feed, as published (scheme, host, path, query, fragment) minus tracking "
                   "parameters (utm_*, fbclid, gclid...): the link every view and output shows.",
            "day": f"Generated: the date the item is filed under, published else fetched_at; {TIME}.",
            "canonical_url": "Normalised link for identity and story clustering only, never shown (https, no www., "
                             "fragment or tracking parameters), or the page's canonical link once fetched.",
            "title": "Title as text: a title the feed gives as HTML (Atom type=\"html\"/\"xhtml\", markup in RSS) "
                     "has its tags removed, entities decoded and whitespace collapsed.",
            "title_html": "The title as the feed wrote it, when that was markup (title holds its text); NULL "
                          "when the title had no markup.",
            "author": "Author from the feed or the article page; NULL if unknown.",
            "published": f"Publication date from the feed (or the page); {TIME}; NULL if the entry has none.",
            "fetched_at": f"When techwatch first stored the entry; {TIME}.",
            "updated_at": f"When the feed last changed the entry (it is then processed again); {TIME}; NULL if "
                          "never.",
            "feed_html": "Content or summary given by the feed (untrusted HTML, never rendered as is).",
            "feed_hash": "Hash of title (as the feed wrote it), link and feed_html: a change means the entry was "
                         "updated.",
            "content": "Plain article text (from the page or the feed) used for summary and tags; NULL until "
                       "processed.",
            "content_hash": "Hash of content (finds duplicates across sources).",
            "language": "Language code (e.g. en, fr) from the feed or detected from the text; NULL if unknown.",
            "from_page": "1 if content was extracted from the article page, 0 if from the feed; NULL until "
                         "processed.",
            "status": "pending (waiting for extraction and models), done, or failed (after 3 attempts).",
            "error": "Error of the last failed processing attempt; NULL after success.",
            "attempts": "Processing attempts so far (reset to 0 when the feed changes the entry).",
            "processed_at": f"When processing last succeeded; {TIME}; NULL until then.",
            "cluster_id": "Story cluster (clusters.id) shared with other reports of the same story; NULL until "
                          "clustered.",
            "doc_hash": "Key of the item's document vector (doc_vectors.input_hash); NULL without an embedder.",
            "relevance": "Cosine similarity to `interests` (higher is closer); NULL without interests.",
            "relevance_topic": "The topic of `interests` the relevance is measured to (the closest one); NULL "
                               "without interests.",
        }),
    "summaries": TableDoc(
        "Summaries of items, one per item and model; the latest (by created_at) is the one shown.", {
            "item_id": "Item summarized.",
            "model": "Summarizer that wrote it (name of the extractive or generative model).",
            "text": "The summary, plain text, length-capped.",
            "content_hash": "Hash of the item content it was made from.",
            "created_at": f"When it was written; {TIME}.",
            "input_hash": "SHA-256 of the summarizer's input: the same input reuses the summary; NULL if not "
                          "cached.",
        }),
    "item_tags": TableDoc(
        "Tags from the feeds.yaml taxonomy given to items by the tagger, with scores.", {
            "item_id": "Tagged item.",
            "tag": "Tag name from feeds.yaml `tags`.",
            "score": "Tagger score in [0, 1], higher is surer.",
            "model": "Tagger that gave it.",
        }),
    "tag_corrections": TableDoc(
        "A user's corrections of items' tags (`techwatch tag`): they always win over the tagger for their item.", {
            "item_id": "Corrected item.",
            "tag": "Tag name from feeds.yaml `tags`.",
            "present": "1: the item has the tag (added, score 1, model 'correction'); 0: it has not (removed).",
            "created_at": f"When the correction was made; {TIME}.",
        }),
    "tag_models": TableDoc(
        "What the tagger learned from the labelled items (corrections, `examples:`), per embedding model.", {
            "model": "Embedding model whose document vectors it was learned from.",
            "labels_hash": "Hash of the labels, the taxonomy and the learner it was fitted on: a change refits.",
            "weights": "The per-tag prototype and contrast vectors, an .npz file (watch/nlp/labels.py).",
            "created_at": f"When it was fitted; {TIME}.",
        }),
    "runs": TableDoc(
        "One row per job run (run, poll, digest, prune, maintain): when, outcome and counts.", {
            "id": "Run number, increasing.",
            "started_at": f"Start; {TIME}.",
            "finished_at": f"End; {TIME}; NULL while running.",
            "status": "running, ok, partial (some sources or items failed), interrupted, or crashed (the process "
                      "died; closed by the next run).",
            "sources_ok": "Sources polled successfully (poll runs; NULL for other jobs).",
            "sources_failed": "Sources whose poll failed.",
            "new_items": "New items stored.",
            "updated_items": "Items the feeds changed (processed again).",
            "processed": "Items extracted, summarized and tagged.",
            "failed_items": "Items whose processing failed.",
            "errors": "JSON array of error messages (\"source: error\"); [] if none.",
            "job": "Job that wrote the row: run (one-shot command), poll, digest, prune or maintain.",
            "detail": "JSON object of what the job did (e.g. digest label and files, rows pruned); NULL for "
                      "runs.",
        }),
    "pages": TableDoc(
        "Cache of fetched article pages: each page is fetched once, with its extracted article or why there is "
        "none.", {
            "url": "Page URL as requested (the item's link).",
            "final_url": "URL after redirects.",
            "canonical_url": "The page's canonical link; NULL if none.",
            "status": "HTTP status; NULL on network error.",
            "fetched_at": f"When fetched; {TIME}.",
            "error": "Why there is no article (HTTP error, robots.txt, no text...); NULL on success.",
            "text": "Extracted article text; NULL if none.",
            "title": "Title found on the page.",
            "author": "Author found on the page.",
            "published": f"Date found on the page; {TIME}.",
            "language": "Language of the page text.",
            "sitename": "Site name found on the page.",
        }),
    "clusters": TableDoc(
        "Story clusters: items from one or more sources telling the same story.", {
            "id": "Cluster id: the id of its first item.",
            "title": "Title of that first item.",
            "created_at": f"When the cluster was created; {TIME}.",
            "updated_at": f"When an item last joined it; {TIME}.",
            "item_count": "Items in the cluster (any status).",
            "source_count": "Distinct sources among them.",
        }),
    "item_vectors": TableDoc(
        "Story embeddings (title + lead) of clustered items, kept to compare later items without re-embedding.", {
            "item_id": "The item.",
            "model": "Embedding model.",
            "dim": "Vector dimension.",
            "vector": "float16 little-endian array of dim values (L2-normalised).",
        }),
    "doc_vectors": TableDoc(
        "Document embeddings (title + start of the text) keyed by input hash, shared by tagging and relevance.", {
            "input_hash": "SHA-256 of the embedded text (items.doc_hash).",
            "model": "Embedding model.",
            "dim": "Vector dimension.",
            "vector": "float16 little-endian array of dim values (L2-normalised).",
            "created_at": f"When computed; {TIME}.",
        }),
    "meta": TableDoc(
        "Small facts about the archive itself, as key/value pairs.", {
            "key": "Name, e.g. relevance_key (hash of the model and interests the relevance scores were "
                   "computed for).",
            "value": "Value, as text.",
        }),
    "summary_rejections": TableDoc(
        "Generative summaries rejected (unfaithful or degenerate), so they are not generated again.", {
            "item_id": "The item.",
            "model": "Generative model whose summary was rejected.",
            "reason": "Why it was rejected.",
            "created_at": f"When; {TIME}.",
        }),
    "digests": TableDoc(
        "Digests written (their renderings, for the Atom feed of past digests) and their e-mail delivery.", {
            "profile": "Digest profile (a name of `digests:` in feeds.yaml); 'default' for the digest for everyone.",
            "label": "Period label, e.g. 2026-W47 for an ISO week.",
            "start": f"Period start, included; {TIME}.",
            "end": f"Period end, excluded; {TIME}.",
            "written_at": f"When last rendered; {TIME}.",
            "title": "Digest title.",
            "html": "Rendered HTML digest.",
            "text": "Plain-text rendering.",
            "sent_at": f"When e-mailed; {TIME}; NULL if never sent.",
            "message_id": "Message-ID of the e-mail sent; NULL if never sent.",
            "recipients": "Recipients, comma-separated; NULL if never sent.",
            "published": "1 for a published digest (the weekly one, or --publish): in the feed of past digests; "
                         "0 for a one-off (--since, another --week, --out), which a published one replaces.",
        }),
    "deliveries": TableDoc(
        "Every attempt to deliver a period's digest to a channel (e-mail or a chat channel through Apprise): a "
        "period is sent once per channel, a failed channel is retried alone.", {
            "id": "Attempt number, in order.",
            "profile": "Digest profile (the `digests:` name; `default` for the single digest).",
            "period": "Period label, e.g. 2026-W48 (digests.label).",
            "channel_key": "SHA-256 of the channel's full URL (or of the e-mail recipients): its identity, "
                           "never the URL itself, which can hold a token.",
            "channel": "The channel as shown: Apprise's privacy URL without its query (secrets masked), or "
                       "the e-mail recipients.",
            "kind": "email or notify.",
            "at": f"When the attempt was made; {TIME}.",
            "status": "sent or failed.",
            "error": "Why it failed, secrets removed; NULL when sent.",
        }),
    "releases": TableDoc(
        "Items of release sources (GitHub releases, PyPI...): which project and version they announce.", {
            "item_id": "The release item.",
            "project": "Project released (the source's `project`, else its name).",
            "version": "Version as written by the source, e.g. v0.12.0 or 5.24.0.",
            "prerelease": "1 for a pre-release (alpha, beta, rc, dev), else 0.",
            "level": "Kind of version from the number alone: major, minor or patch (0.y.z: y is major).",
        }),
    "advisories": TableDoc(
        "Items of `kind: advisories` (security advisories from OSV): one per advisory, keyed by its OSV id.", {
            "item_id": "The advisory item.",
            "osv_id": "OSV id (GHSA-..., PYSEC-..., RUSTSEC-..., GO-...); advisories that alias each other are one.",
            "aliases": "Other ids of the same advisory (CVE-..., GHSA-...), a JSON list.",
            "summary": "OSV's one-line summary.",
            "modified": f"When OSV last revised it; {TIME}.",
            "withdrawn": f"When OSV withdrew it; {TIME}; NULL while it stands.",
            "severity": "CVSS vectors or scores as 'TYPE SCORE', a JSON list; empty when OSV gives none.",
            "ecosystem": "The package's ecosystem: PyPI, npm, Go or crates.io.",
            "package": "The package of your stack it is filed against.",
            "ranges": "Affected ranges, a JSON list of [introduced, fixed, last_affected] (null where absent).",
            "versions": "Versions listed as affected one by one, a JSON list.",
            "fixed": "Versions that fix it (what to upgrade to), a JSON list.",
            "reference_urls": "Links to the advisory, fixes and reports, a JSON list.",
            "pinned": "The version your manifest pins; NULL when it pins none.",
            "affects_pinned": "1 when the pinned version is affected, 0 when not (or withdrawn), NULL without a pin.",
            "manifest": "The manifest that brought the package in.",
        }),
    "why_lines": TableDoc(
        "A summarizer server's \"why it matters\" line for a lead story of the digest (summarizer.why_it_matters), "
        "per profile interests and model: written once, reused by later digests.", {
            "item_id": "The story's item (items.id).",
            "interests_key": "Hash of the profile's interests the line was written for; other interests ask again.",
            "model": "The server model that wrote it.",
            "line": "The line as shown, after the faithfulness guard; empty when the model had nothing faithful "
                    "to say (not asked again).",
            "created_at": f"When written; {TIME}.",
        }),
    "pruned_items": TableDoc(
        "Ids of items deleted by retention (settings.retention.items): a feed entry with one of these ids is "
        "not stored again.", {
            "id": "The deleted item's id (items.id).",
        }),
    "_migrations": TableDoc(
        "Schema migrations applied (watch/store/migrations.py), each once.", {
            "name": "Migration function name, e.g. m009_query_views.",
            "applied_at": f"When applied; {TIME}.",
        }),
    FTS_TABLE: TableDoc(
        "Full-text index (FTS5, standalone, rowid = items.rowid): join with `items_fts.rowid = items.rowid`. "
        "rank is bm25 weighted title 10, summary 4, content 1, and each *_terms column like the column it "
        "comes from.", {
            "title": "Item title.",
            "summary": "Item's latest summary.",
            "content": "Item's article text.",
            "title_terms": "Symbol words of the title as one token each, which the tokenizer would cut: C++ as "
                           "cplusplus, C# as csharp, .NET as dotnet (a word followed by + or #, or led by a dot; "
                           "watch/store/symbols.py). `techwatch search C++` matches this way.",
            "summary_terms": "Symbol words of the summary, as in title_terms.",
            "content_terms": "Symbol words of the article text, as in title_terms.",
        }),
}

DOCUMENTED: dict[str, TableDoc] = {**VIEWS, **TABLES}

# Indexes whose columns are expressions (introspection only says "expression").
INDEX_NOTES = {"items_day_status_source": "period counts and filters (stats, search --since) read only this index"}

# Worked examples for the intro; tests run each of them against a real archive.
EXAMPLES: list[tuple[str, str]] = [
    ("This week's stories told by most sources",
     "SELECT title, source_count, sources, first_seen\nFROM stories\n"
     "WHERE last_seen >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days')\n"
     "ORDER BY source_count DESC, relevance DESC\nLIMIT 10;"),
    ("Items of a tag, newest first",
     "SELECT date, source, title, tags\nFROM items_with_tags\n"
     "WHERE status = 'done' AND id IN (SELECT item_id FROM item_tags WHERE tag = 'llm')\n"
     "ORDER BY date DESC\nLIMIT 20;"),
    ("Full-text search (FTS5 syntax: words, \"a phrase\", OR, NOT, prefix*), best match first",
     "SELECT i.id, i.source, i.title,\n       snippet(items_fts, -1, '[', ']', '…', 12) AS snippet\n"
     "FROM items_fts JOIN items i ON i.rowid = items_fts.rowid\n"
     "WHERE items_fts MATCH 'nimbus OR \"open weights\"'\nORDER BY rank\nLIMIT 10;"),
    ("Sources in trouble",
     "SELECT name, error_count, last_error, gone_reason, stale_since\nFROM sources\n"
     "WHERE error_count > 0 OR gone_at IS NOT NULL OR stale_since IS NOT NULL;"),
]

INTRO = """\
# The techwatch archive schema

<!-- Generated by `python -m watch.store.schema > docs/schema.md` from watch/store/schema.py and a freshly migrated
     archive; do not edit by hand (tests/store/test_schema.py checks it is current). -->

The archive (`settings.database`, `watch.db` by default) is one SQLite file built by the numbered
migrations in `watch/store/migrations.py`. Every timestamp is ISO 8601 text in UTC
(`2026-11-17T09:00:00+00:00`), so timestamps sort and compare as text.

## Querying it

Start from the two views: `items_with_tags` (one row per item, joins done) and `stories`
(one row per story, as the digest merges reports of the same story). Open the file read-only, as
techwatch's own query commands (search, show, stats, export) do: the archive is in WAL mode and a
read-only connection never blocks a running job.

```sh
sqlite3 -readonly -box watch.db
```

`techwatch browse` serves the same file read-only in Datasette, with these descriptions, a search
box on `items` and canned queries.
"""


def _is_fts_shadow(name: str) -> bool:
    return any(name == FTS_TABLE + suffix for suffix in FTS_SHADOW_SUFFIXES)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def migrated_schema() -> dict[str, list[str]]:
    """Every table and view of a freshly migrated archive (FTS shadow tables left out) with its columns."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = open_archive(Path(tmp) / "schema.db")
        try:
            db = archive.db
            names = [n for n in db.table_names() if not _is_fts_shadow(n)] + db.view_names()
            return {name: [c.name for c in db[name].columns] + [c for c, _ in archive.generated_columns(name)]
                    for name in names}
        finally:
            archive.close()


def undocumented() -> list[str]:
    """Tables, views and `table.column`s of the migrated schema that have no description."""
    missing = []
    for name, columns in migrated_schema().items():
        doc = DOCUMENTED.get(name)
        if doc is None or not doc.description:
            missing.append(name)
            continue
        missing += [f"{name}.{c}" for c in columns if not doc.columns.get(c)]
    return missing


def _table_section(archive: Archive, name: str, doc: TableDoc) -> list[str]:
    db = archive.db
    table = db[name]
    lines = [f"### `{name}`", "", doc.description, ""]
    if name == FTS_TABLE:
        lines += [f"Virtual table: `{table.schema}`. Its shadow tables "
                  f"({', '.join(f'`{FTS_TABLE}{s}`' for s in FTS_SHADOW_SUFFIXES)}) hold the index.", ""]
    elif isinstance(table, sqlite_utils.db.Table):
        lines += [f"Primary key: {', '.join(f'`{pk}`' for pk in table.pks)}", ""]
    fks = {fk.column: f"`{fk.other_table}.{fk.other_column}`" for fk in getattr(table, "foreign_keys", [])}
    lines += ["| Column | Type | Not null | Default | References | Description |", "|---|---|---|---|---|---|"]
    for col in table.columns:
        description = _cell(doc.columns.get(col.name, ""))
        not_null = "yes" if col.notnull else ""
        default = f"`{col.default_value}`" if col.default_value is not None else ""
        lines.append(f"| `{col.name}` | {col.type or '-'} | {not_null} | {default} | {fks.get(col.name, '')} "
                     f"| {description} |")
    for column, kind in archive.generated_columns(name):
        lines.append(f"| `{column}` | {kind or '-'} (generated) | | | | {_cell(doc.columns.get(column, ''))} |")
    lines.append("")
    if isinstance(table, sqlite_utils.db.Table) and name != FTS_TABLE:
        indexes = [ix for ix in table.indexes if ix.origin != "pk"]
        if indexes:
            lines.append("Indexes:")
            for ix in sorted(indexes, key=lambda ix: ix.name):
                columns = ", ".join(c or "expression" for c in ix.columns)
                note = f": {INDEX_NOTES[ix.name]}" if ix.name in INDEX_NOTES else ""
                unique = "unique " if ix.unique else ""
                lines.append(f"- `{ix.name}` ({unique}{columns}){note}")
            lines.append("")
    return lines


def schema_markdown() -> str:
    """docs/schema.md: how to query the archive, then every view and table with its columns, keys and indexes."""
    lines = [INTRO]
    for title, sql in EXAMPLES:
        lines += [f"{title}:", "", "```sql", sql, "```", ""]
    with tempfile.TemporaryDirectory() as tmp:
        archive = open_archive(Path(tmp) / "schema.db")
        try:
            db = archive.db
            lines += ["## Views", ""]
            for name in VIEWS:
                lines += _table_section(archive, name, VIEWS[name])
                lines += ["```sql", db[name].schema, "```", ""]
            lines += ["## Tables", ""]
            present = set(db.table_names())
            for name, doc in TABLES.items():
                if name in present:
                    lines += _table_section(archive, name, doc)
        finally:
            archive.close()
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    """Print docs/schema.md (`python -m watch.store.schema > docs/schema.md`)."""
    print(schema_markdown(), end="")


if __name__ == "__main__":
    main()
