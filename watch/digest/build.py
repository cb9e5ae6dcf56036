"""A period's items -> a Digest (grouped, ordered) -> rendered Markdown."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..dedup import is_placeholder_title
from ..durations import NoUnitError, parse_lookback
from ..errors import DeliveryError
from ..files import SHARED, atomic_open
from ..records import (
    DEFAULT_TITLE,
    AdvisoryItem,
    Dependency,
    Digest,
    DigestItem,
    DigestSection,
    HealthLine,
    Period,
    ReleaseItem,
    ReleaseLine,
    Source,
    Tag,
    TagTrend,
)
from ..sources.kinds import kind_of
from ..sources.layout import LAYOUT_CHANGED
from ..sources.release_notes import highlights
from ..sources.releases import notes_text
from ..sources.versions import parse_version
from ..text.redact import redact_text
from .select import lead_stories, reading_minutes, select, shown_texts
from .stack import your_stack

UNTAGGED = "other"
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
# Characters that would change the meaning of Markdown text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|!~])")


def week_period(year: int, week: int) -> Period:
    """The ISO week `year`-W`week`, Monday 00:00 UTC to the next Monday."""
    try:
        start_day = date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"no ISO week {year}-W{week:02d}") from exc
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC)
    return Period(start, start + timedelta(days=7), f"{year}-W{week:02d}")


def parse_period(week: str | None = None, since: str | None = None, now: datetime | None = None) -> Period:
    """Period from `--week 2026-W48` (or 'current'/'last'), `--since 7d`, or by default the last complete
    ISO week (a Monday digest covers the week that just ended)."""
    now = now or datetime.now(UTC)
    if week and since:
        raise ValueError("give --week or --since, not both")
    if since:
        try:
            start = now - parse_lookback(since)
        except NoUnitError:
            raise ValueError(f"bad --since {since!r}: use a number of days, hours or weeks, e.g. 7d, 48h, 2w") from None
        except ValueError as exc:
            raise ValueError(f"bad --since: {exc}") from None
        return Period(start, now, f"{start:%Y-%m-%d}_to_{now:%Y-%m-%d}")
    if week in ("current", "this"):
        year, number, _ = now.isocalendar()
        return week_period(year, number)
    if week in (None, "", "last"):
        year, number, _ = (now - timedelta(days=7)).isocalendar()
        return week_period(year, number)
    match = _WEEK.match(week.strip())
    if not match:
        raise ValueError(f"bad --week {week!r}: use the ISO form 2026-W48, 'current' or 'last'")
    return week_period(int(match.group(1)), int(match.group(2)))


def merge_stories(items: Sequence[DigestItem]) -> list[DigestItem]:
    """One entry per story cluster: the first titled report's title, link and summary, every source listed."""
    stories: dict[str, list[DigestItem]] = {}
    for item in items:
        stories.setdefault(item.cluster_id or item.id, []).append(item)
    merged = []
    for members in stories.values():
        members.sort(key=lambda i: (i.published, i.id))
        # A report titled "(untitled)" never heads a story that another report titles.
        lead = next((i for i in members if not is_placeholder_title(i.title)), members[0])
        sources = tuple(dict.fromkeys(i.source for i in members))
        tags = tuple(dict.fromkeys(t for i in members for t in i.tags))
        summary = lead.summary or next((i.summary for i in members if i.summary), "")
        scored = [i for i in members if i.relevance is not None]
        best = max(scored, key=lambda i: i.relevance or 0.0) if scored else None
        merged.append(dataclasses.replace(lead, sources=sources, tags=tags, summary=summary,
                                          published=members[-1].published,
                                          relevance=best.relevance if best else None,
                                          relevance_topic=best.relevance_topic if best else None))
    return merged


TOP_TAGS = 5


def release_lines(releases: Sequence[ReleaseItem], earlier: Mapping[str, Sequence[str]]) -> tuple[ReleaseLine, ...]:
    """One line per project: its newest release of the period, the release before it, and the first breaking
    change (else security fix) that the period's notes mention."""
    by_project: dict[str, list[ReleaseItem]] = {}
    for release in releases:
        by_project.setdefault(release.project, []).append(release)
    lines = []
    for project, group in by_project.items():
        group.sort(key=_version_order)
        newest = group[-1]
        before = [v for v in earlier.get(project, ()) if v != newest.version]
        previous = before[0] if before else (group[0].version if len(group) > 1 else None)
        lines.append(ReleaseLine(project=project, version=newest.version, published=newest.published, url=newest.url,
                                 source=newest.source, summary=newest.summary, previous=previous, count=len(group),
                                 note=_release_note(reversed(group))))
    return tuple(sorted(lines, key=lambda line: line.project.lower()))


def _version_order(release: ReleaseItem) -> tuple:
    version = parse_version(release.version)
    return (version is not None, version.key if version else (), release.published)


def _release_note(group: Iterable[ReleaseItem]) -> str:
    found = [highlights(notes_text(r.notes_html), limit=1) for r in group if r.notes_html]
    for label, attribute in (("breaking", "breaking"), ("security", "security")):
        line = next((getattr(h, attribute)[0] for h in found if getattr(h, attribute)), None)
        if line:
            return f"{label}: {line}"
    return ""


def make_digest(items: Sequence[DigestItem], tags: Sequence[Tag], period: Period, *,
                sources: Sequence[Source] = (), title: str = DEFAULT_TITLE, max_items: int = 12, max_also: int = 30,
                per_source: int = 2,
                relevance_floor: float | None = None, previous: Sequence[DigestItem] = (),
                health: Sequence[HealthLine] = (), releases: Sequence[ReleaseItem] = (),
                earlier_versions: Mapping[str, Sequence[str]] | None = None,
                advisories: Sequence[AdvisoryItem] = (), dependencies: Sequence[Dependency] = (),
                manifest_base: Path | None = None) -> Digest:
    """Arrange a period's items into a Digest; the same archive always gives the same digest.

    Items of one story are merged (every source listed). Release sources' items go to Releases, one
    line per project (`earlier_versions`: each project's versions before the period, newest first).
    The other stories are ranked and placed by digest.select: at most `max_items` full stories, at
    most `per_source` of them from one source, none below `relevance_floor` unless several sources
    tell it, under their best tag (taxonomy order, then 'other'); then at most `max_also` one-line
    mentions, grouped by tag. `previous` (the period before) gives each top tag its change.

    Your stack opens the digest (digest.stack): the `advisories` that hit a pinned version, the major or
    breaking releases of dependencies, the stories naming one of the `dependencies` (default: those of
    `sources`; manifests shown relative to `manifest_base`). What it shows is not repeated below: those
    stories and releases leave the other sections, and advisories items are never stories.
    """
    weights = {s.name: s.weight for s in sources}
    projects = {s.name for s in sources if kind_of(s).releases} | {r.source for r in releases}
    projects |= {s.name for s in sources if s.kind == "advisories"} | {a.source for a in advisories}
    all_releases = release_lines(releases, earlier_versions or {})
    all_stories = merge_stories([i for i in items if i.source not in projects])
    stack = your_stack(advisories, all_releases, all_stories, sources, dependencies, manifest_base)
    in_stack = {m.story.id for m in stack.mentions}
    stack_lines = {(r.release.project, r.release.version) for r in stack.releases}
    stories = [s for s in all_stories if s.id not in in_stack]
    release_section = tuple(r for r in all_releases if (r.project, r.version) not in stack_lines)
    chosen = select(stories, weights, period, max_items=max_items, max_also=max_also, per_source=per_source,
                    relevance_floor=relevance_floor)
    order = [t.name for t in tags]
    descriptions = {t.name: headline(t.description) for t in tags}
    sections = _by_tag(chosen.full, order, descriptions)
    return Digest(
        title=f"{title} — {period.label}",
        start=period.start,
        end=period.end,
        sections=sections,
        item_count=len(items),
        source_count=len({i.source for i in items}),
        label=period.label,
        story_count=len(all_stories) + len(all_releases),
        also=chosen.lines,
        also_sections=_by_tag(chosen.lines, order, {}),
        lead=lead_stories(chosen.full),
        collapsed=chosen.collapsed,
        off_topic=chosen.off_topic,
        hidden=chosen.hidden,
        reading_minutes=reading_minutes(shown_texts((*[m.story for m in stack.mentions], *chosen.full), chosen.lines,
                                                    all_releases, health)),
        ranking=chosen.ranking,
        relevance_floor=relevance_floor,
        releases=release_section,
        health=tuple(health),
        stack=stack,
        trends=tag_trends(all_stories, merge_stories([i for i in previous if i.source not in projects]), order),
    )


def _by_tag(stories: Sequence[DigestItem], order: Sequence[str],
            descriptions: Mapping[str, str]) -> tuple[DigestSection, ...]:
    """Stories (in rank order) under their first known tag, sections in taxonomy order, then 'other'."""
    known = set(order)
    groups: dict[str, list[DigestItem]] = {}
    for story in stories:
        groups.setdefault(next((t for t in story.tags if t in known), UNTAGGED), []).append(story)
    return tuple(DigestSection(tag=name, description=descriptions.get(name, ""), items=tuple(groups[name]))
                 for name in [*order, UNTAGGED] if name in groups)


def tag_trends(stories: Sequence[DigestItem], previous: Sequence[DigestItem], order: Sequence[str],
               top: int = TOP_TAGS) -> tuple[TagTrend, ...]:
    """The `top` tags by number of stories (any of a story's tags counts), with last period's count."""
    now = Counter(t for s in stories for t in set(s.tags))
    before = Counter(t for s in previous for t in set(s.tags))
    rank = {name: n for n, name in enumerate(order)}
    best = sorted(now, key=lambda t: (-now[t], rank.get(t, len(rank)), t))[:top]
    return tuple(TagTrend(tag, now[tag], before.get(tag, 0)) for tag in best)


def health_lines(health: Sequence[dict]) -> tuple[HealthLine, ...]:
    """Sources needing attention, from Archive.source_health(): gone, failing or "layout changed?", stale (then by
    name)."""
    lines: list[HealthLine] = []
    for h in health:
        if h.get("gone_reason"):
            # Gone means the server answered 410 (stored as last_status by record_gone); the date is `since` here.
            cause = f"HTTP {h.get('last_status') or 410}"
            lines.append(HealthLine(h["name"], "gone", f"{cause}: no longer polled; give it a new url in feeds.yaml",
                                    _when(h.get("gone_at") or h.get("last_checked_at"))))
        elif not h.get("enabled", 1):
            continue  # switched off in feeds.yaml: the reader's own choice, not news
        elif h.get("error_count") and (h.get("last_error") or "").startswith(LAYOUT_CHANGED):
            cause = redact_text(h["last_error"][len(LAYOUT_CHANGED):].strip())
            lines.append(HealthLine(h["name"], LAYOUT_CHANGED, f"{cause} ({h['error_count']} polls in a row)",
                                    _when(h.get("last_success_at"))))
        elif h.get("error_count"):
            cause = redact_text(h.get("last_error") or "unknown error")  # the digest is mailed: no credentials
            lines.append(HealthLine(h["name"], "failing", f"{cause} ({h['error_count']} attempts in a row)",
                                    _when(h.get("last_success_at"))))
        elif h.get("stale_since"):
            lines.append(HealthLine(h["name"], "stale", "no new item for longer than usual",
                                    _when(h.get("stale_since"))))
    state_order = {"gone": 0, "failing": 1, LAYOUT_CHANGED: 1, "stale": 2}
    return tuple(sorted(lines, key=lambda line: (state_order[line.state], line.source.lower())))


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def headline(description: str) -> str:
    """The first phrase of a tag description ("LLMs and generative AI; ... / Les LLM ..." -> "LLMs and
    generative AI"): descriptions are written for the tagger, several phrases in two languages."""
    return description.split(" / ")[0].split(";")[0].strip()


def write_text(path: Path, text: str) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a digest; a new file is 0644."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, SHARED) as handle:
            handle.write(text)
    except OSError as exc:
        raise DeliveryError(f"cannot write digest {path}: {exc}") from exc
    return path
