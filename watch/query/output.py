"""How query results are written: rich tables on a terminal, JSON, CSV, JSON Lines and Markdown.

The archive holds text from strangers (and an older version may have stored it raw): every format
drops escape sequences and control characters, JSON escapes them, and rich never reads markup in it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..digest.render import md_escape, safe_url
from ..records import MATCH_END, MATCH_START, ArchiveStats, ItemDetail, SearchHit, SearchResult, WeekChange
from ..text.redact import redact_text, redact_url
from ..text.textsafe import one_line, strip_controls, to_json

SEARCH_FORMATS = ("table", "json", "csv", "md")
EXPORT_FORMATS = ("jsonl", "csv")
EXPORT_FIELDS = ("id", "story_id", "source", "title", "url", "date", "language", "author", "summary", "tags",
                 "relevance", "content")


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else ""


# The match markers are control characters, which cleaning removes: these stand in for them meanwhile.
_OPEN, _CLOSE = "\ue000", "\ue001"
_STAND_INS = re.compile(f"({_OPEN}|{_CLOSE})")


def _marked(snippet: str, clean: Callable[[str], str], start: str, end: str) -> str:
    """The snippet passed through `clean`, its match markers replaced by `start`/`end`."""
    guarded = snippet.replace(_OPEN, "").replace(_CLOSE, "").replace(MATCH_START, _OPEN).replace(MATCH_END, _CLOSE)
    return clean(guarded).replace(_OPEN, start).replace(_CLOSE, end)


def _flat(text: str) -> str:
    return strip_controls(text, keep_newlines=False)


def plain_snippet(snippet: str, start: str = "**", end: str = "**") -> str:
    """A snippet on one line with its match markers replaced by `start`/`end` (Markdown bold by default)."""
    return _marked(snippet, _flat, start, end)


def _cell(value: object) -> object:
    """A CSV cell: text without control characters (line breaks kept, CSV quotes them)."""
    return strip_controls(value) if isinstance(value, str) else value


def hit_dict(hit: SearchHit) -> dict:
    """A search hit as plain JSON-able data."""
    return {"id": hit.item_id, "story_id": hit.story_id, "title": hit.title, "url": hit.url, "source": hit.source,
            "sources": list(hit.sources), "date": hit.published.isoformat() if hit.published else None,
            "language": hit.language, "tags": list(hit.tags), "score": hit.score,
            "snippet": plain_snippet(hit.snippet), "summary": hit.summary}


def write_search(result: SearchResult, fmt: str, out: IO[str], console: Console | None = None) -> None:
    """Write search hits in `fmt` (table, json, csv or md)."""
    hits = result.hits
    if fmt == "json":
        out.write(to_json([hit_dict(h) for h in hits], indent=2) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(hit_dict(hits[0]) if hits else _HIT_FIELDS), lineterminator="\n")
        writer.writeheader()
        for h in hits:
            row = hit_dict(h)
            row["sources"], row["tags"] = "; ".join(row["sources"]), "; ".join(row["tags"])
            writer.writerow({key: _cell(value) for key, value in row.items()})
    elif fmt == "md":
        for h in hits:
            others = f" (+{len(h.sources) - 1} sources)" if len(h.sources) > 1 else ""
            link = f"[{md_escape(h.title)}]({safe_url(one_line(h.url))})"
            out.write(f"- **{link}** · {md_escape(h.source)}{others} · {_day(h.published)} · "
                      f"`{md_escape(h.item_id)}`\n")
            text = h.snippet or h.summary
            if text:
                out.write(f"  {_md_snippet(text)}\n")
    else:
        _console(console, out).print(search_table(hits))


def _console(console: Console | None, out: IO[str]) -> Console:
    # Our own output has no markup, emoji codes or highlighting to apply: hostile text gets none either.
    return console or Console(file=out, markup=False, emoji=False, highlight=False)


def _md_snippet(snippet: str) -> str:
    return _marked(snippet, md_escape, "**", "**")


def _snippet_text(snippet: str) -> Text:
    """A snippet as rich Text (never markup), the matches highlighted."""
    text, bold = Text(), False
    for part in _STAND_INS.split(_marked(snippet, _flat, _OPEN, _CLOSE)):
        if part in (_OPEN, _CLOSE):
            bold = part == _OPEN
        elif part:
            text.append(part, style="bold yellow" if bold else "")
    return text


_HIT_FIELDS = ("id", "story_id", "title", "url", "source", "sources", "date", "language", "tags", "score", "snippet",
               "summary")


def search_table(hits: Iterable[SearchHit]) -> Table:
    """A rich table of hits: date, source (+ other sources), title and the match in context."""
    table = Table(show_lines=True, expand=True)
    table.add_column("date", no_wrap=True)
    table.add_column("source", max_width=24)
    table.add_column("story", ratio=1)
    table.add_column("id", no_wrap=True, style="dim")
    for h in hits:
        source = Text(one_line(h.source))
        if len(h.sources) > 1:
            source.append(f"\n+{len(h.sources) - 1} more", style="dim")
        story = Text()
        story.append(one_line(h.title), style="bold")
        story.append("\n")
        story.append_text(_snippet_text(h.snippet or h.summary or ""))
        table.add_row(_day(h.published), source, story, Text(one_line(h.item_id[:10])))
    return table


def detail_dict(item: ItemDetail) -> dict:
    """One item as plain JSON-able data."""
    return {
        "id": item.id, "title": item.title, "url": item.url, "source": item.source,
        "source_url": redact_url(item.source_url) if item.source_url else item.source_url,
        "date": item.published.isoformat() if item.published else None,
        "fetched_at": item.fetched_at.isoformat() if item.fetched_at else None, "language": item.language,
        "author": item.author, "status": item.status, "error": redact_text(item.error) if item.error else item.error,
        "summary": item.summary,
        "summary_model": item.summary_model, "tags": [{"tag": t, "score": round(s, 3)} for t, s in item.tags],
        "relevance": item.relevance, "story_id": item.story_id,
        "story": [{"id": m.item_id, "source": m.source, "title": m.title, "url": m.url,
                   "date": m.published.isoformat() if m.published else None} for m in item.members],
        "content": item.content,
    }


def write_detail(item: ItemDetail, fmt: str, out: IO[str], console: Console | None = None) -> None:
    """Write one item as text (for a terminal) or json."""
    if fmt == "json":
        out.write(to_json(detail_dict(item), indent=2) + "\n")
        return
    console = _console(console, out)
    console.print(Text(one_line(item.title), style="bold"))
    console.print(Text(one_line(item.url), style="blue"))
    facts = [f"source: {one_line(item.source)}", f"date: {_day(item.published)}"]
    facts += [f"{k}: {one_line(v)}" for k, v in (("language", item.language), ("author", item.author)) if v]
    console.print(Text(" · ".join(facts)))
    error = f" ({one_line(redact_text(item.error))})" if item.error else ""
    console.print(Text(f"id: {one_line(item.id)} · status: {one_line(item.status)}{error}"))
    if item.tags:
        console.print(Text("tags: " + ", ".join(f"{one_line(t)} ({s:.2f})" for t, s in item.tags)))
    if item.members:
        console.print(Text.assemble("\n", ("Also reported by", "bold"), f" ({len(item.members)})"))
        for m in item.members:
            console.print(Text.assemble(f"  {_day(m.published)}  {one_line(m.source)}: {one_line(m.title)}  ",
                                        (one_line(m.item_id), "dim")))
    if item.summary:
        console.print(Text.assemble("\n", ("Summary", "bold"), " ", (f"({one_line(item.summary_model)})", "dim")))
        console.print(Text(strip_controls(item.summary)))
    console.print(Text.assemble("\n", ("Text", "bold")))
    console.print(Text(strip_controls(item.content)) if item.content else Text("(no text stored)", style="dim"))


def stats_dict(stats: ArchiveStats) -> dict:
    """Statistics as plain JSON-able data."""
    return {
        "since": stats.since.isoformat() if stats.since else None, "until": stats.until.isoformat(),
        "items": stats.items,
        "weeks": [{"week": r.label, "items": r.count} for r in stats.weeks],
        "tags": [{"tag": r.label, "items": r.count} for r in stats.tags],
        "sources": [{"source": r.label, "items": r.count} for r in stats.sources],
        "tag_weeks": {tag: dict(zip([w.label for w in stats.weeks], counts, strict=True))
                      for tag, counts in stats.tag_weeks.items()},
        "failing": [{"source": h.source, "state": h.state, "cause": h.cause,
                     "since": h.since.isoformat() if h.since else None} for h in stats.failing],
        "week_over_week": _change_dict(stats.change),
    }


def _change_dict(change: WeekChange | None) -> dict | None:
    if change is None:
        return None
    percent = change.percent
    return {"week": change.week, "items": change.items, "partial": change.partial, "days": round(change.days, 2),
            "previous_week": change.previous_week, "previous_items": change.previous_items,
            "expected_items": round(change.expected(change.previous_items), 1),
            "change_percent": None if percent is None else round(percent, 1)}


def write_stats(stats: ArchiveStats, fmt: str, out: IO[str], console: Console | None = None,
                trend_weeks: int = 8) -> None:
    """Write statistics as text tables or json; the trend table shows the last `trend_weeks` weeks."""
    if fmt == "json":
        out.write(to_json(stats_dict(stats), indent=2) + "\n")
        return
    console = _console(console, out)
    since = _day(stats.since) or "the start"
    console.print(Text.assemble((f"{stats.items} items", "bold"), f" from {since} to {_day(stats.until)}"))
    weeks = Table(title="Items per week")
    weeks.add_column("week")
    weeks.add_column("items", justify="right")
    weeks.add_column("", ratio=1)
    top = max((r.count for r in stats.weeks), default=0) or 1
    for r in stats.weeks:
        weeks.add_row(Text(one_line(r.label)), str(r.count), "█" * round(30 * r.count / top))
    console.print(weeks)
    if stats.change is not None:
        console.print(week_over_week(stats.change))
    partial = stats.change is not None and stats.change.partial
    recent = stats.weeks[-trend_weeks:]
    last = stats.weeks[-1].label[5:] if stats.weeks else ""
    trends = Table(title="Tags week over week" + (f" ({last}* partial: pro rata)" if partial else ""))
    trends.add_column("tag")
    for w in recent:
        trends.add_column(w.label[5:] + ("*" if partial and w is stats.weeks[-1] else ""), justify="right")
    trends.add_column("total", justify="right")
    trends.add_column("change", justify="right")
    for row in stats.tags:
        counts = stats.tag_weeks[row.label][-len(recent):]
        trends.add_row(Text(one_line(row.label)), *map(str, counts), str(row.count), _change(counts, stats.change))
    console.print(trends)
    sources = Table(title="Items per source")
    sources.add_column("source")
    sources.add_column("items", justify="right")
    for r in stats.sources:
        sources.add_row(Text(one_line(r.label)), str(r.count))
    console.print(sources)
    if stats.failing:
        failing = Table(title="Sources needing attention")
        for name in ("source", "state", "since", "cause"):
            failing.add_column(name)
        for h in stats.failing:
            failing.add_row(Text(one_line(h.source)), h.state, _day(h.since), Text(one_line(redact_text(h.cause))))
        console.print(failing)
    else:
        console.print("All sources healthy.")


def week_over_week(change: WeekChange) -> str:
    """The item count of the last week against the week before, pro rata when the last week is partial."""
    if change.too_early:
        return (f"{change.week} is partial ({_days(change.days)} of 7 so far, {change.items} items): too early "
                f"to compare with {change.previous_week} ({change.previous_items} items).")
    percent = change.percent
    against = f"{change.previous_items} in {change.previous_week}"
    if change.partial or change.previous_days < 7.0:
        against = f"{change.expected(change.previous_items):.1f} expected pro rata from {against}"
    said = f"{percent:+.0f} %" if percent is not None else "new" if change.items else "no change"
    if change.partial:
        return (f"{change.week} is partial ({_days(change.days)} of 7 so far): {change.items} items so far "
                f"against {against}: {said}.")
    return f"Week over week: {change.items} items in {change.week} against {against}: {said}."


def _days(days: float) -> str:
    return f"{days:.1f} days" if days != 1 else "1 day"


def _change(counts: tuple[int, ...], change: WeekChange | None) -> str:
    """The last week against the one before (pro rata when partial): +3, -1, new, or blank."""
    if len(counts) < 2 or change is None or change.too_early:
        return ""
    last, before = counts[-1], counts[-2]
    if before == 0:
        return "new" if last else ""
    return f"{round(last - change.expected(before)):+d}"


def write_export(rows: Iterator[dict], fmt: str, out: IO[str]) -> int:
    """Stream exported items as JSON Lines or CSV (tags joined by "; "); return how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
        writer.writeheader()
    for row in rows:
        tags = json.loads(row["tags"]) if isinstance(row["tags"], str) else (row["tags"] or [])
        row = {**row, "tags": tags}
        if fmt == "csv":
            writer.writerow({**{k: _cell(row.get(k)) for k in EXPORT_FIELDS}, "tags": _cell("; ".join(tags))})
        else:
            out.write(to_json({k: row.get(k) for k in EXPORT_FIELDS}) + "\n")
        count += 1
    return count
