"""A period's items -> a Digest (grouped, ordered) -> rendered Markdown."""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jinja2

from .errors import DeliveryError
from .models import Digest, DigestItem, DigestSection, Period, Tag

UNTAGGED = "other"
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_SINCE = re.compile(r"^(\d+)\s*([dhw])$", re.IGNORECASE)
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
    """Period from `--week 2026-W48` (or 'current'/'last'), `--since 7d`, or this ISO week by default."""
    now = now or datetime.now(UTC)
    if week and since:
        raise ValueError("give --week or --since, not both")
    if since:
        match = _SINCE.match(since.strip())
        if not match:
            raise ValueError(f"bad --since {since!r}: use a number of days, hours or weeks, e.g. 7d, 48h, 2w")
        amount, unit = int(match.group(1)), match.group(2).lower()
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]
        start = now - delta
        return Period(start, now, f"{start:%Y-%m-%d}_to_{now:%Y-%m-%d}")
    if week in (None, "", "current", "this"):
        year, number, _ = now.isocalendar()
        return week_period(year, number)
    if week == "last":
        year, number, _ = (now - timedelta(days=7)).isocalendar()
        return week_period(year, number)
    match = _WEEK.match(week.strip())
    if not match:
        raise ValueError(f"bad --week {week!r}: use the ISO form 2026-W48, 'current' or 'last'")
    return week_period(int(match.group(1)), int(match.group(2)))


def merge_stories(items: Sequence[DigestItem]) -> list[DigestItem]:
    """One entry per story cluster: the first report's title, link and summary, every source listed."""
    stories: dict[str, list[DigestItem]] = {}
    for item in items:
        stories.setdefault(item.cluster_id or item.id, []).append(item)
    merged = []
    for members in stories.values():
        members.sort(key=lambda i: (i.published, i.id))
        lead = members[0]
        sources = tuple(dict.fromkeys(i.source for i in members))
        tags = tuple(dict.fromkeys(t for i in members for t in i.tags))
        summary = lead.summary or next((i.summary for i in members if i.summary), "")
        scores = [i.relevance for i in members if i.relevance is not None]
        merged.append(dataclasses.replace(lead, sources=sources, tags=tags, summary=summary,
                                          published=members[-1].published, relevance=max(scores, default=None)))
    return merged


def make_digest(items: Sequence[DigestItem], tags: Sequence[Tag], period: Period) -> Digest:
    """One entry per story under its best tag (taxonomy order, then 'other').

    Within a section, stories covered by more sources come first, then those most relevant to
    the `interests` (when set), then the newest.
    """
    order = [t.name for t in tags]
    known = set(order)
    groups: dict[str, list[DigestItem]] = {}
    for story in merge_stories(items):
        best = next((t for t in story.tags if t in known), UNTAGGED)
        groups.setdefault(best, []).append(story)
    descriptions = {t.name: headline(t.description) for t in tags}
    sections = tuple(
        DigestSection(tag=name, description=descriptions.get(name, ""),
                      items=tuple(sorted(groups[name], key=_rank, reverse=True)))
        for name in [*order, UNTAGGED] if name in groups
    )
    return Digest(
        title=f"Tech watch — {period.label}",
        start=period.start,
        end=period.end,
        sections=sections,
        item_count=len(items),
        source_count=len({i.source for i in items}),
    )


def headline(description: str) -> str:
    """The first phrase of a tag description ("LLMs and generative AI; ... / Les LLM ..." -> "LLMs and
    generative AI"): descriptions are written for the tagger, several phrases in two languages."""
    return description.split(" / ")[0].split(";")[0].strip()


def _rank(story: DigestItem) -> tuple:
    # Relevance in steps of 0.05: closer scores are noise, and then the newer story wins.
    return (len(story.sources), round((story.relevance or 0.0) * 20), story.published, story.id)


def md_escape(text: str) -> str:
    """Escape feed text (untrusted) so that it renders literally in Markdown, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def safe_url(url: str) -> str:
    """The URL if it is http(s) and safe inside a Markdown link, else ''."""
    url = (url or "").strip()
    if not re.match(r"^https?://[^\s]+$", url, re.IGNORECASE):
        return ""
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def _last_day(end: datetime) -> str:
    # Periods are half-open [start, end): the last day shown is the one before `end` at midnight.
    return _day(end - timedelta(microseconds=1))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("watch", "templates"),
        autoescape=False,  # Markdown: escaping is the md filter's job
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(md=md_escape, safe_url=safe_url, day=_day, last_day=_last_day)
    return env


def render_markdown(digest: Digest) -> str:
    """Render a Digest as Markdown."""
    text = _environment().get_template("digest.md.j2").render(digest=digest)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def write_text(path: Path, text: str) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a digest."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise DeliveryError(f"cannot write digest {path}: {exc}") from exc
    return path
