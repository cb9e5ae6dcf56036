"""Querying the archive: search (one line per story), one item, activity statistics, exports."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from ..digest.build import health_lines
from ..durations import DurationError, NotADurationError, NoUnitError, parse_lookback
from ..errors import QueryError, SearchSyntaxError
from ..records import ArchiveStats, CountRow, ItemDetail, SearchHit, SearchQuery, SearchResult, WeekChange
from ..store import ArchiveReader
from .syntax import LITERAL_HINT, EmptyQueryError, QuerySyntaxError, parse, parse_literal, render

MAX_QUERY_CHARS = 1000
# bm25 costs about 1.2 µs per match: past this many matches, relevance ranks the newest ones (~30 ms).
RANK_NEWEST = 25_000
# Rows read per round: a story's other reports take rows too, so a few times the stories asked for.
MIN_FETCH = 50
# With filters (other than --since), rank this many times the rows needed before filtering, then widen.
FILTER_WINDOW = 8
# Newest-first over this many matches walks the date index instead of sorting every match.
WALK_DATES_ABOVE = 10_000
SORTS = ("relevance", "recent")
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A point in time: a duration ago (`30d`, `12h`, `2w`, `6mo`, `1y`, `1d12h`; m is minutes), `2026-11-01`,
    a full ISO time, or `2026-W47`."""
    now = now or datetime.now(UTC)
    problem = None
    try:
        return now - parse_lookback(text)
    except (NoUnitError, NotADurationError):
        pass  # a bare number (20261101) or no unit at all: maybe a date
    except DurationError as exc:
        problem = exc  # shaped like a duration (7x, 30m1h): unless it is a date after all, say what is wrong
    week = _WEEK.match(text)
    if week:
        try:
            return datetime.fromisocalendar(int(week.group(1)), int(week.group(2)), 1).replace(tzinfo=UTC)
        except ValueError as exc:
            raise QueryError(f"bad date {text!r}: {exc}") from exc
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        if problem is not None:
            raise QueryError(f"bad date or duration: {problem}") from exc
        raise QueryError(f"bad date {text!r}: use 30d, 12h, 2w, 6mo, 1y (m is minutes), 2026-11-01 or 2026-W47") \
            from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def literal_match(text: str) -> str | None:
    """An FTS5 expression matching every word of `text` as a plain word, whatever punctuation it holds
    (C++ still means C++); None when `text` holds no word."""
    tree = parse_literal(text)
    return render(tree) if tree is not None else None


def fts_match(text: str) -> str:
    """The FTS5 expression of a query in FTS5 syntax (AND/OR/NOT, "phrases", prefix*, title:word, NEAR,
    parentheses), symbol words such as C++ or .NET matched as written; QueryError if it cannot be honoured."""
    return _compile(text, literal=False)[0]


def _compile(text: str, literal: bool) -> tuple[str, str, list[str]]:
    """(match, highlight, notes) of a query text: the FTS5 expression, the one snippets mark, notes for the user."""
    if literal:
        tree = parse_literal(text)
        if tree is None:
            raise QueryError(f"nothing to search for in {text!r}: give at least one word")
        return render(tree), render(tree, highlight=True), []
    try:
        parsed = parse(text)
    except EmptyQueryError as exc:
        raise QueryError(str(exc)) from exc
    except QuerySyntaxError as exc:
        raise QueryError(f"cannot search for {text!r}: {exc}") from exc
    return render(parsed.tree), render(parsed.tree, highlight=True), parsed.notes


def _refused(text: str, exc: SearchSyntaxError) -> QueryError:
    """A query the checks let through but SQLite's FTS5 refused (too large, too deep): said plainly."""
    return QueryError(f"cannot search for {text!r}: the full-text index refused it ({exc}); simplify the query, "
                      f"{LITERAL_HINT}")


def search(reader: ArchiveReader, query: SearchQuery) -> SearchResult:
    """The stories matching `query`, one per story (its best or newest matching item), with snippets.

    When more than RANK_NEWEST items match and the sort is by relevance, the newest RANK_NEWEST matches
    are ranked (the note says so and from which date); `all_matches` ranks them all, at a cost in time.
    """
    _check(reader, query)
    text = (query.text or "").strip()
    match, highlight, notes = _match_for(query)
    total = None
    if match is not None:
        try:
            total = reader.match_count(match)
        except SearchSyntaxError as exc:
            raise _refused(text, exc) from exc
    floor = reader.rowid_floor(query.since) if match and query.since else None
    candidates = total or 0
    if match and total and query.sort == "relevance" and not query.all_matches and total > RANK_NEWEST:
        newest = reader.newest_match_floor(match, RANK_NEWEST)
        if newest is not None and (floor is None or newest > floor):
            floor, candidates = newest, RANK_NEWEST
            day = reader.rowid_day(newest)
            notes.append(f"{total:,} items match: the newest {RANK_NEWEST:,} were ranked"
                         + (f" (from {day:%Y-%m-%d})" if day else "")
                         + "; add words, --since/--until, or --all-matches to rank them all")
    ids = _story_leads(reader, query, match, candidates, floor)
    details = reader.hit_details([i for i, _, _ in ids], highlight)
    story_sources = reader.story_sources([story for item_id, story, _ in ids if story != item_id])
    hits = []
    for item_id, story, score in ids:
        d = details[item_id]
        hits.append(SearchHit(
            item_id=item_id, story_id=story, title=d["title"], url=d["url"], source=d["source"],
            published=d["published"], language=d["language"], snippet=d["snippet"],
            score=round(score, 3) if score is not None else None,
            sources=story_sources.get(story, (d["source"],)), tags=d["tags"], summary=d["summary"],
        ))
    return SearchResult(hits=tuple(hits), query=query, note="; ".join(notes) or None, matches=total)


def _match_for(query: SearchQuery) -> tuple[str | None, str | None, list[str]]:
    """(match, highlight, notes) of the query's text (None, None without text); see _compile."""
    text = (query.text or "").strip()
    if not text:
        return None, None, []
    return _compile(text, query.literal)


def _story_leads(reader: ArchiveReader, query: SearchQuery, match: str | None, total: int,
                 floor: int | None) -> list[tuple[str, str, float | None]]:
    """Collapse matching items to stories, reading more rows until `limit` stories or no more matches."""
    fetch = max(query.limit * 4, MIN_FETCH)
    # Filters other than --since may reject most of the best-ranked rows: rank a wider window for them;
    # a source is too selective for windows (1 of hundreds): rank every match in one pass with the filter.
    widen = FILTER_WINDOW if (query.tags or query.language or query.until) else 1
    window = fetch * widen if match is not None and query.sort == "relevance" and not query.sources else None
    while True:
        rows = reader.search_rows(query, match, fetch, floor=floor, window=window,
                                  walk_dates=total > WALK_DATES_ABOVE)
        leads: dict[str, tuple[str, str, float | None]] = {}
        for item_id, story, score in rows:
            leads.setdefault(story, (item_id, story, score))
            if len(leads) == query.limit:
                return list(leads.values())
        if len(rows) == fetch:  # stories repeat: read further
            fetch *= 4
            window = max(window, fetch * widen) if window is not None else None
        elif window is not None and window < total:  # the filters used up the window: rank a wider one
            # Sized from the share of rows the filters kept; past half of the matches, rank them all.
            wanted = window * FILTER_WINDOW if not rows else 2 * window * fetch // len(rows)
            window = max(wanted, window * 2) if max(wanted, window * 2) < total // 2 else None
        else:
            return list(leads.values())


def _check(reader: ArchiveReader, query: SearchQuery) -> None:
    if query.limit < 1:
        raise QueryError("--limit must be at least 1")
    if query.sort not in SORTS:
        raise QueryError(f"--sort must be one of {', '.join(SORTS)}")
    if query.text and len(query.text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(query.text)} characters; at most {MAX_QUERY_CHARS})")
    if query.since and query.until and query.since >= query.until:
        raise QueryError("--since must be before --until")
    _known("source", query.sources, reader.source_names(), case=False)
    _known("tag", query.tags, reader.tag_names(), case=True)


def _known(kind: str, wanted: tuple[str, ...], known: list[str], case: bool) -> None:
    names = set(known) if case else {k.lower() for k in known}
    for name in wanted:
        if (name if case else name.lower()) not in names:
            shown = ", ".join(known[:30]) or "none yet"
            raise QueryError(f"no {kind} named {name!r} in the archive (known: {shown})")


def show(reader: ArchiveReader, item_id: str) -> ItemDetail:
    """One item by its id or an unambiguous prefix of it (at least 4 characters)."""
    item_id = item_id.strip()
    if len(item_id) < 4:
        raise QueryError(f"item id {item_id!r} is too short: give at least 4 characters")
    matches = reader.resolve_id(item_id)
    if not matches:
        raise QueryError(f"no item with id {item_id!r}")
    if len(matches) > 1 and item_id not in matches:
        raise QueryError(f"item id {item_id!r} is ambiguous: {', '.join(matches)}…")
    detail = reader.item_detail(item_id if item_id in matches else matches[0])
    assert detail is not None  # resolve_id just found it
    return detail


def iso_week(day: date) -> str:
    """The ISO week label of a day, e.g. 2026-W47."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def archive_stats(reader: ArchiveReader, since: datetime | None, until: datetime | None = None) -> ArchiveStats:
    """Items per ISO week, tag and source over [since, until), tag counts week by week, sources in trouble."""
    until = until or datetime.now(UTC)
    days = reader.daily_counts(since, until)
    first = since.date() if since else (date.fromisoformat(days[0][0]) if days else until.date())
    labels = _week_labels(first, (until - timedelta(microseconds=1)).date())
    per_week = Counter()
    for day, count in days:
        per_week[iso_week(date.fromisoformat(day))] += count
    tag_week: dict[str, Counter] = {}
    for tag, day, count in reader.daily_tag_counts(since, until):
        tag_week.setdefault(tag, Counter())[iso_week(date.fromisoformat(day))] += count
    tag_totals = sorted(((t, sum(c.values())) for t, c in tag_week.items()), key=lambda tc: (-tc[1], tc[0]))
    return ArchiveStats(
        since=since, until=until, items=sum(per_week.values()),
        weeks=tuple(CountRow(label, per_week[label]) for label in labels),
        tags=tuple(CountRow(t, n) for t, n in tag_totals),
        sources=tuple(CountRow(s, n) for s, n in reader.source_counts(since, until)),
        tag_weeks={t: tuple(tag_week[t][label] for label in labels) for t, _ in tag_totals},
        failing=health_lines(reader.source_health()),
        change=week_change(labels, per_week, since, until),
    )


def week_change(labels: list[str], per_week: Counter, since: datetime | None, until: datetime) -> WeekChange | None:
    """The last of `labels` against the one before, with the days of each that fall inside [since, until)."""
    if len(labels) < 2:
        return None
    last = (until.astimezone(UTC) - timedelta(microseconds=1)).date()
    start = datetime.combine(last - timedelta(days=last.weekday()), datetime.min.time(), UTC)
    before = start - timedelta(days=7)
    days = min((until - start) / timedelta(days=1), 7.0)
    previous_days = (start - max(since, before)) / timedelta(days=1) if since else 7.0
    return WeekChange(labels[-1], per_week[labels[-1]], labels[-2], per_week[labels[-2]], days, previous_days)


def _week_labels(first: date, last: date) -> list[str]:
    labels: list[str] = []
    day = first - timedelta(days=first.weekday())
    while day <= last:
        labels.append(iso_week(day))
        day += timedelta(days=7)
    return labels


def export(reader: ArchiveReader, query: SearchQuery, content: bool = True) -> Iterator[dict]:
    """Every item matching the filters and, if given, the search text: one dict per item, oldest first."""
    _check(reader, query)
    match, _highlight, _notes = _match_for(query)
    try:
        yield from reader.export_rows(query, match, content)
    except SearchSyntaxError as exc:
        raise _refused(query.text or "", exc) from exc
