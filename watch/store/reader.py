"""Read-only queries over the archive (search, show, stats, export); opened read-only by query commands."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import sqlite_utils

from ..errors import SearchSyntaxError, StoreError
from ..records import (
    MATCH_END,
    MATCH_START,
    Advisory,
    AdvisoryItem,
    AffectedRange,
    ItemDetail,
    ReleaseItem,
    SearchQuery,
    StoryMember,
)


def iso(when: datetime) -> str:
    """Timestamps are stored as ISO 8601 UTC strings, so they sort as text."""
    return when.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(value: str | None) -> datetime | None:
    """The datetime of a stored timestamp, None for NULL."""
    return datetime.fromisoformat(value) if value else None


def chunks(values: Sequence[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for an IN (...) list under SQLite's variable limit."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


# The date an item is filed under (published, else fetched): the generated column of m011, indexed.
DAY = "i.day"
DAY_INDEX = "items_day_status_source"
# The link a reader is shown is the one the feed published; canonical_url is identity only, never shown.
_URL = "i.url"
_SUMMARY = "(SELECT s.text FROM summaries s WHERE s.item_id = i.id ORDER BY s.created_at DESC, s.rowid DESC LIMIT 1)"
# The weights of m018's configured rank (title, summary, text, then their symbol terms, weighted like the
# column they come from), spelled out: bm25() is cheaper than `rank`.
BM25 = "bm25(items_fts, 10.0, 4.0, 1.0, 10.0, 4.0, 1.0)"
_FTS_ERRORS = ("fts5: syntax error", "unterminated string", "no such column", "unknown special query",
               "fts5: parser stack overflow", "fts5 expression tree is too large")


def _search_error(exc: sqlite3.OperationalError, what: str) -> StoreError:
    """SearchSyntaxError for a bad FTS5 expression, else a StoreError naming what failed."""
    if any(marker in str(exc) for marker in _FTS_ERRORS):
        return SearchSyntaxError(str(exc))
    return StoreError(f"{what} failed: {exc}")


class ArchiveReader:
    """Queries that never write; `Archive` adds the writes. Construct with open_reader() for read-only use."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def close(self) -> None:
        """Close the underlying connection."""
        self.db.close()

    def rows_in(self, sql: str, values: Sequence, before: Sequence = ()) -> Iterator[tuple]:
        """Rows of `sql`, its `{marks}` filled by chunks of `values` (SQLite caps the bound variables)."""
        for chunk in chunks(list(values)):
            yield from self.db.execute(sql.replace("{marks}", ",".join("?" * len(chunk))), [*before, *chunk])

    def generated_columns(self, table: str) -> list[tuple[str, str]]:
        """(name, type) of a table's generated columns, which sqlite-utils' column list leaves out."""
        if not self.db[table].exists():
            return []
        # hidden: 2 = generated VIRTUAL, 3 = generated STORED (1 is a virtual table's hidden column).
        return [(r[1], r[2]) for r in self.db.execute("SELECT * FROM pragma_table_xinfo(?)", [table]).fetchall()
                if r[6] in (2, 3)]

    def source_health(self) -> list[dict]:
        """One dict per source: name, url, status, error, counts (for `feeds list`)."""
        rows = self.db.execute(
            "SELECT s.name, s.url, s.enabled, s.last_status, s.last_checked_at, s.last_success_at, "
            "s.last_error, s.error_count, (SELECT COUNT(*) FROM items i WHERE i.source = s.name), "
            "s.next_check_at, s.gone_reason, s.stale_since, s.usual_gap_seconds, s.last_elapsed_ms, "
            "(SELECT MAX(published) FROM items i WHERE i.source = s.name), s.config_url, s.gone_at "
            "FROM sources s ORDER BY s.name"
        ).fetchall()
        keys = ("name", "url", "enabled", "last_status", "last_checked_at", "last_success_at",
                "last_error", "error_count", "items", "next_check_at", "gone_reason", "stale_since",
                "usual_gap_seconds", "last_elapsed_ms", "last_item_at", "config_url", "gone_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- releases --------------------------------------------------------------------------------

    def releases_between(self, start: datetime, end: datetime) -> list[ReleaseItem]:
        """Release items (processed) filed in [start, end), oldest first."""
        rows = self.db.execute(
            f"SELECT i.id, r.project, r.version, r.prerelease, {DAY} AS day, {_URL}, i.source, {_SUMMARY}, "
            "i.feed_html FROM releases r JOIN items i ON i.id = r.item_id "
            f"WHERE i.status = 'done' AND {DAY} >= ? AND {DAY} < ? ORDER BY day, i.id", [iso(start), iso(end)],
        ).fetchall()
        return [ReleaseItem(item_id=r[0], project=r[1], version=r[2], prerelease=bool(r[3]), published=from_iso(r[4]),
                            url=r[5] or "", source=r[6], summary=r[7] or "", notes_html=r[8] or "") for r in rows]

    # -- advisories ------------------------------------------------------------------------------

    def advisories_between(self, start: datetime, end: datetime, *, affecting: bool = False) -> list[AdvisoryItem]:
        """Advisories first archived or revised in [start, end), newest first; `affecting`: only those that hit
        the version a manifest pins (withdrawn ones never do)."""
        hit = "AND a.affects_pinned = 1 AND a.withdrawn IS NULL " if affecting else ""
        rows = self.db.execute(
            "SELECT i.id, i.url, i.source, i.published, a.osv_id, a.aliases, a.summary, a.modified, a.withdrawn, "
            "a.severity, a.ecosystem, a.package, a.ranges, a.versions, a.fixed, a.reference_urls, a.pinned, "
            "a.affects_pinned, a.manifest, COALESCE(i.updated_at, i.fetched_at) AS seen "
            "FROM advisories a JOIN items i ON i.id = a.item_id "
            f"WHERE seen >= ? AND seen < ? {hit}ORDER BY seen DESC, a.osv_id", [iso(start), iso(end)]).fetchall()
        return [AdvisoryItem(item_id=r[0], url=r[1] or "", source=r[2], published=from_iso(r[3]),
                             advisory=_advisory(r[4:19])) for r in rows]

    def versions_before(self, projects: Sequence[str], before: datetime) -> dict[str, list[str]]:
        """Each project's versions filed before `before`, newest first (at most 20 each)."""
        result: dict[str, list[str]] = {}
        for project in projects:
            result[project] = [r[0] for r in self.db.execute(
                f"SELECT r.version FROM releases r JOIN items i ON i.id = r.item_id WHERE r.project = ? "
                f"AND {DAY} < ? ORDER BY {DAY} DESC LIMIT 20", [project, iso(before)]).fetchall()]
        return result

    # -- search ----------------------------------------------------------------------------------

    def source_names(self) -> list[str]:
        """Every source the archive knows, by name."""
        return [r[0] for r in self.db.execute("SELECT name FROM sources ORDER BY name").fetchall()]

    def tag_names(self) -> list[str]:
        """Every tag given to at least one item."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT tag FROM item_tags ORDER BY tag").fetchall()]

    def _filters(self, query: SearchQuery) -> tuple[list[str], list]:
        where, args = ["i.status = 'done'"], []
        if query.since:
            where.append(f"{DAY} >= ?")
            args.append(iso(query.since))
        if query.until:
            where.append(f"{DAY} < ?")
            args.append(iso(query.until))
        if query.sources:
            where.append(f"lower(i.source) IN ({','.join('?' * len(query.sources))})")
            args.extend(s.lower() for s in query.sources)
        if query.language:
            where.append("(i.language = ? OR i.language LIKE ? || '-%')")
            args.extend([query.language.lower(), query.language.lower()])
        if query.tags:
            # EXISTS on the (item_id, tag) key: checked per candidate, never a scan of every tagged item.
            where.append("EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id "
                         f"AND t.tag IN ({','.join('?' * len(query.tags))}))")
            args.extend(query.tags)
        return where, args

    def _fts(self, sql: str, args: Sequence) -> list[tuple]:
        """Run a query with an FTS5 MATCH; a bad expression becomes SearchSyntaxError."""
        try:
            return [tuple(r) for r in self.db.execute(sql, list(args)).fetchall()]
        except sqlite3.OperationalError as exc:
            raise _search_error(exc, "search") from exc

    def match_count(self, match: str) -> int:
        """How many indexed items match (cheap: FTS5 counts without ranking)."""
        return self._fts("SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", [match])[0][0]

    def newest_match_floor(self, match: str, newest: int) -> int | None:
        """The rowid above which the `newest` most recently archived matches lie (None if there are fewer)."""
        rows = self._fts("SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                         [match, newest - 1])
        return rows[0][0] if rows else None

    def rowid_floor(self, since: datetime) -> int | None:
        """The smallest rowid of an item dated from `since` on: an exact lower bound for FTS5 (rowid order)."""
        # INDEXED BY: without it the planner walks the whole table by rowid (0.6 s at 1M items, not 4 ms).
        row = self.db.execute(f"SELECT min(i.rowid) FROM items i INDEXED BY {DAY_INDEX} WHERE {DAY} >= ?",
                              [iso(since)]).fetchone()
        return row[0] if row else None

    def rowid_day(self, rowid: int) -> datetime | None:
        """The date an item (by rowid) is filed under."""
        row = self.db.execute(f"SELECT {DAY} FROM items i WHERE i.rowid = ?", [rowid]).fetchone()
        return from_iso(row[0]) if row else None

    def search_rows(self, query: SearchQuery, match: str | None, limit: int, *, floor: int | None = None,
                    window: int | None = None, walk_dates: bool = False) -> list[tuple[str, str, float | None]]:
        """(item id, story id, -bm25 or None) of matching items, best or newest first; `match` is FTS5 syntax.

        `floor`: only items with rowid >= floor. `window`: rank inside FTS5 and read `items` only for its best
        `window` rows (the caller retries wider when filters leave too few); None ranks every match in one
        pass with the filters. `walk_dates`: newest first by walking the date index, for very many matches.
        """
        where, args = self._filters(query)
        conditions = " AND ".join(where)
        if match is None:
            sql = f"SELECT i.id, COALESCE(i.cluster_id, i.id), NULL FROM items i WHERE {conditions} " \
                  f"ORDER BY {DAY} DESC, i.id LIMIT ?"
            return [tuple(r) for r in self.db.execute(sql, [*args, limit]).fetchall()]
        bound, bound_args = ("AND rowid >= ?", [floor]) if floor is not None else ("", [])
        if query.sort == "recent" and walk_dates:
            return self._fts(
                f"SELECT i.id, COALESCE(i.cluster_id, i.id), NULL FROM items i INDEXED BY {DAY_INDEX} "
                f"WHERE i.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ? {bound}) AND {conditions} "
                f"ORDER BY {DAY} DESC, i.id LIMIT ?", [match, *bound_args, *args, limit])
        if query.sort == "recent":
            return self._fts(
                f"SELECT i.id, COALESCE(i.cluster_id, i.id), NULL FROM items_fts f JOIN items i "
                f"ON i.rowid = f.rowid WHERE items_fts MATCH ? {bound.replace('rowid', 'f.rowid')} AND {conditions} "
                f"ORDER BY {DAY} DESC, i.id LIMIT ?", [match, *bound_args, *args, limit])
        if window is None:  # rank every match, filtering in the same pass (best for selective filters)
            return self._fts(
                f"SELECT i.id, COALESCE(i.cluster_id, i.id), -{BM25} AS score FROM items_fts f JOIN items i "
                f"ON i.rowid = f.rowid WHERE items_fts MATCH ? {bound.replace('rowid', 'f.rowid')} AND {conditions} "
                f"ORDER BY score DESC, i.id LIMIT ?", [match, *bound_args, *args, limit])
        # Rank inside FTS5 first (bm25() with the weights m009 configured: cheaper than `rank`), then read
        # `items` only for the best `window` rows, not for every match.
        return self._fts(
            f"SELECT i.id, COALESCE(i.cluster_id, i.id), -f.score FROM (SELECT rowid, {BM25} AS score "
            f"FROM items_fts WHERE items_fts MATCH ? {bound} ORDER BY score LIMIT ?) f "
            f"JOIN items i ON i.rowid = f.rowid WHERE {conditions} ORDER BY f.score, i.id LIMIT ?",
            [match, *bound_args, window, *args, limit])

    def hit_details(self, ids: Sequence[str], match: str | None, tokens: int = 16) -> dict[str, dict]:
        """Title, link, source, date, language, summary, tags and (with `match`) a snippet for each item id."""
        details: dict[str, dict] = {}
        for row in self.rows_in(f"SELECT i.id, i.title, {_URL}, i.source, {DAY}, i.language, {_SUMMARY}, i.rowid "
                                "FROM items i WHERE i.id IN ({marks})", ids):
            details[row[0]] = {"title": row[1], "url": row[2] or "", "source": row[3],
                               "published": from_iso(row[4]), "language": row[5], "summary": row[6] or "",
                               "rowid": row[7], "snippet": "", "tags": ()}
        for item_id, tags in self._tag_lists(ids).items():
            details[item_id]["tags"] = tags
        if match is not None and details:
            by_rowid = {d["rowid"]: item_id for item_id, d in details.items()}
            marks = ",".join("?" * len(by_rowid))
            # Only for the hits shown: snippet() reads the stored text, too slow over every match.
            # The text's snippet if the match is there, else the summary's (the title is shown anyway).
            for rowid, in_summary, in_content in self.db.execute(
                f"SELECT rowid, snippet(items_fts, 1, ?, ?, '…', ?), snippet(items_fts, 2, ?, ?, '…', ?) "
                f"FROM items_fts WHERE items_fts MATCH ? AND rowid IN ({marks})",
                [MATCH_START, MATCH_END, tokens, MATCH_START, MATCH_END, tokens, match, *by_rowid],
            ).fetchall():
                best = next((s for s in (in_content, in_summary) if s and MATCH_START in s), "")
                details[by_rowid[rowid]]["snippet"] = best
        return details

    def _tag_lists(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        result: dict[str, list[str]] = {}
        for item_id, tag in self.rows_in(
                "SELECT item_id, tag FROM item_tags WHERE item_id IN ({marks}) ORDER BY item_id, score DESC, tag", ids):
            result.setdefault(item_id, []).append(tag)
        return {k: tuple(v) for k, v in result.items()}

    def story_sources(self, story_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The sources of each story (cluster), in order of first report."""
        result: dict[str, list[str]] = {}
        for story, source in self.rows_in(
                "SELECT i.cluster_id, i.source FROM items i WHERE i.cluster_id IN ({marks}) AND i.status = 'done' "
                f"ORDER BY i.cluster_id, {DAY}, i.id", story_ids):
            sources = result.setdefault(story, [])
            if source not in sources:
                sources.append(source)
        return {k: tuple(v) for k, v in result.items()}

    # -- one item --------------------------------------------------------------------------------

    def resolve_id(self, prefix: str) -> list[str]:
        """Item ids starting with `prefix` (at most 5, to report an ambiguous prefix)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.execute("SELECT id FROM items WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 5",
                               [escaped + "%"]).fetchall()
        return [r[0] for r in rows]

    def item_detail(self, item_id: str) -> ItemDetail | None:
        """One item with its source, latest summary, scored tags, full text and the other reports of its story."""
        row = self.db.execute(
            f"SELECT i.id, i.title, {_URL}, i.source, s.site_url, i.published, i.fetched_at, i.language, i.author, "
            "i.status, i.error, i.content, COALESCE(i.cluster_id, i.id), i.relevance, i.cluster_id "
            "FROM items i LEFT JOIN sources s ON s.name = i.source WHERE i.id = ?", [item_id],
        ).fetchone()
        if row is None:
            return None
        summary = self.db.execute(
            "SELECT text, model FROM summaries WHERE item_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
            [item_id]).fetchone()
        tags = self.db.execute("SELECT tag, score FROM item_tags WHERE item_id = ? ORDER BY score DESC, tag",
                               [item_id]).fetchall()
        members = []
        if row[14]:
            members = [StoryMember(r[0], r[1], r[2], r[3] or "", from_iso(r[4])) for r in self.db.execute(
                f"SELECT i.id, i.source, i.title, {_URL}, {DAY} FROM items i WHERE i.cluster_id = ? AND i.id != ? "
                f"ORDER BY {DAY}, i.id", [row[14], item_id]).fetchall()]
        return ItemDetail(
            id=row[0], title=row[1], url=row[2] or "", source=row[3], source_url=row[4],
            published=from_iso(row[5]), fetched_at=from_iso(row[6]), language=row[7], author=row[8],
            status=row[9], error=row[10], summary=summary[0] if summary else "",
            summary_model=summary[1] if summary else None, tags=tuple((t, float(s or 0)) for t, s in tags),
            content=row[11] or "", story_id=row[12], members=tuple(members), relevance=row[13],
        )

    # -- stats -----------------------------------------------------------------------------------

    def daily_counts(self, since: datetime | None, until: datetime) -> list[tuple[str, int]]:
        """(YYYY-MM-DD, processed items) per day in [since, until)."""
        where, args = self._filters(SearchQuery(since=since, until=until))
        return [tuple(r) for r in self.db.execute(
            f"SELECT substr({DAY}, 1, 10) AS d, count(*) FROM items i WHERE {' AND '.join(where)} "
            "GROUP BY d ORDER BY d", args).fetchall()]

    def daily_tag_counts(self, since: datetime | None, until: datetime) -> list[tuple[str, str, int]]:
        """(tag, YYYY-MM-DD, items) per tag and day in [since, until)."""
        where, args = self._filters(SearchQuery(since=since, until=until))
        return [tuple(r) for r in self.db.execute(
            f"SELECT t.tag, substr({DAY}, 1, 10) AS d, count(*) FROM item_tags t JOIN items i ON i.id = t.item_id "
            f"WHERE {' AND '.join(where)} GROUP BY t.tag, d ORDER BY t.tag, d", args).fetchall()]

    def source_counts(self, since: datetime | None, until: datetime) -> list[tuple[str, int]]:
        """(source, processed items) in [since, until), busiest first."""
        where, args = self._filters(SearchQuery(since=since, until=until))
        return [tuple(r) for r in self.db.execute(
            f"SELECT i.source, count(*) AS n FROM items i WHERE {' AND '.join(where)} "
            "GROUP BY i.source ORDER BY n DESC, i.source", args).fetchall()]

    # -- export ----------------------------------------------------------------------------------

    def export_rows(self, query: SearchQuery, match: str | None, content: bool = True) -> Iterator[dict]:
        """Every item matching the filters (and `match`), oldest first, streamed as dicts."""
        where, args = self._filters(query)
        source = "items i"
        if match is not None:
            source = "items_fts f JOIN items i ON i.rowid = f.rowid"
            where.insert(0, "items_fts MATCH ?")
            args.insert(0, match)
        text = "i.content" if content else "NULL"
        sql = (f"SELECT i.id, COALESCE(i.cluster_id, i.id), i.source, i.title, {_URL}, {DAY}, i.language, i.author, "
               f"{_SUMMARY}, i.relevance, {text}, "
               "(SELECT json_group_array(tag) FROM (SELECT t.tag FROM item_tags t WHERE t.item_id = i.id "
               "ORDER BY t.score DESC, t.tag)) "
               f"FROM {source} WHERE {' AND '.join(where)} ORDER BY {DAY}, i.id")
        keys = ("id", "story_id", "source", "title", "url", "date", "language", "author", "summary", "relevance",
                "content", "tags")
        try:
            cursor = self.db.execute(sql, args)
            for row in cursor:
                yield dict(zip(keys, row, strict=True))
        except sqlite3.OperationalError as exc:
            raise _search_error(exc, "export") from exc


def _advisory(row: Sequence) -> Advisory:
    """An advisories row (osv_id ... manifest) as the record it was saved from."""
    (osv_id, aliases, summary, modified, withdrawn, severity, ecosystem, package, ranges, versions, fixed, refs,
     pinned, hit, manifest) = row
    return Advisory(id=osv_id, aliases=tuple(json.loads(aliases or "[]")), summary=summary or "",
                    modified=modified or "", withdrawn=withdrawn, severity=tuple(json.loads(severity or "[]")),
                    ecosystem=ecosystem, package=package,
                    ranges=tuple(AffectedRange(*span) for span in json.loads(ranges or "[]")),
                    versions=tuple(json.loads(versions or "[]")), fixed=tuple(json.loads(fixed or "[]")),
                    references=tuple(json.loads(refs or "[]")), pinned=pinned,
                    affects_pinned=None if hit is None else bool(hit), manifest=manifest or "")
