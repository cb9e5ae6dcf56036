"""Canned read-only queries shipped with `techwatch browse` (Datasette); SQL lives in the store package."""

from __future__ import annotations

from .schema import FTS_TABLE

_AS_OF = "strftime('%Y-%m-%dT%H:%M:%S', COALESCE(NULLIF(:as_of, ''), 'now'))"

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "top_stories_this_week": {
        "title": "Top stories of the last 7 days",
        "description": "Stories with a report in the 7 days before as_of (blank: now), told by most sources "
                       "first, then most relevant.",
        "sql": f"""WITH bounds AS (SELECT {_AS_OF} AS hi),
span AS (SELECT strftime('%Y-%m-%dT%H:%M:%S', hi, '-7 days') AS lo, hi FROM bounds)
SELECT s.title, s.url, s.source_count, s.sources, s.item_count, round(s.relevance, 3) AS relevance, s.tags,
       s.first_seen, s.last_seen, s.summary, s.story_id
FROM stories s, span w
WHERE s.last_seen >= w.lo AND s.first_seen < w.hi
  AND EXISTS (SELECT 1 FROM items_with_tags i WHERE i.story_id = s.story_id AND i.status = 'done'
              AND i.date >= w.lo AND i.date < w.hi)
ORDER BY s.source_count DESC, s.relevance DESC, s.last_seen DESC, s.story_id
LIMIT 100""",
    },
    "search": {
        "title": "Full-text search",
        "description": "Items matching q (FTS5 syntax: words, \"a phrase\", OR, NOT, prefix*; C++, C#, .NET are "
                       "written cplusplus, csharp, dotnet here), best match first (bm25: title counts 10, "
                       "summary 4, text 1).",
        "sql": f"""SELECT i.id, i.title, i.source, i.date, i.tags,
       snippet({FTS_TABLE}, -1, '[', ']', '…', 16) AS snippet, round(f.rank, 3) AS rank, i.url, i.story_id
FROM {FTS_TABLE} f
JOIN items it ON it.rowid = f.rowid
JOIN items_with_tags i ON i.id = it.id
WHERE :q != '' AND {FTS_TABLE} MATCH :q
ORDER BY f.rank, i.id
LIMIT 100""",
    },
    "failing_sources": {
        "title": "Sources in trouble",
        "description": "Sources gone (HTTP 410), failing (errors in a row) or stale (quiet for several usual "
                       "gaps), with the cause and since when (for a failing source: its last success, else "
                       "when it was added).",
        "sql": """SELECT name,
       CASE WHEN gone_at IS NOT NULL THEN 'gone' WHEN error_count > 0 THEN 'failing' ELSE 'stale' END AS state,
       CASE WHEN gone_at IS NOT NULL THEN gone_reason
            WHEN error_count > 0 THEN last_error
            ELSE 'no new item; usually one every '
                 || COALESCE(round(usual_gap_seconds / 3600.0, 1) || ' h', '?') END AS cause,
       CASE WHEN gone_at IS NOT NULL THEN gone_at
            WHEN error_count > 0 THEN COALESCE(last_success_at, added_at)
            ELSE stale_since END AS since,
       error_count, last_status, last_checked_at, last_success_at,
       (SELECT max(COALESCE(i.published, i.fetched_at)) FROM items i WHERE i.source = sources.name) AS last_item_at,
       next_check_at, enabled, url
FROM sources
WHERE error_count > 0 OR gone_at IS NOT NULL OR stale_since IS NOT NULL
ORDER BY state, error_count DESC, name""",
    },
    "tag_trends": {
        "title": "Tag trends",
        "description": "Processed items per tag and ISO week, for the 8 weeks up to as_of (blank: now), "
                       "newest week first.",
        "sql": f"""WITH bounds AS (SELECT date({_AS_OF}, 'weekday 0', '-6 days') AS this_monday),
tagged AS (
  SELECT t.tag, date(COALESCE(i.published, i.fetched_at), 'weekday 0', '-6 days') AS monday
  FROM item_tags t JOIN items i ON i.id = t.item_id, bounds b
  WHERE i.status = 'done'
    AND COALESCE(i.published, i.fetched_at) >= date(b.this_monday, '-49 days')
    AND COALESCE(i.published, i.fetched_at) < date(b.this_monday, '+7 days')
)
SELECT strftime('%Y', monday, '+3 days') || '-W'
       || printf('%02d', (strftime('%j', monday, '+3 days') - 1) / 7 + 1) AS week,
       monday, tag, count(*) AS items
FROM tagged
GROUP BY monday, tag
ORDER BY monday DESC, items DESC, tag""",
    },
}
