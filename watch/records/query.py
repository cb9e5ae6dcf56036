"""Searching and reading the archive: queries, hits, item details and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .digest import HealthLine


@dataclass(frozen=True)
class SearchQuery:
    """What `techwatch search` / `export` looks for; text None lists the newest items matching the filters."""

    text: str | None = None
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    language: str | None = None
    limit: int = 20
    sort: str = "relevance"  # relevance | recent
    literal: bool = False  # the text is plain words, never FTS5 syntax
    all_matches: bool = False  # rank every match, however many (else the newest RANK_NEWEST when more)


@dataclass(frozen=True)
class SearchHit:
    """One story in search results: its best-matching item, the match in context, its other sources."""

    item_id: str
    story_id: str
    title: str
    url: str
    source: str
    published: datetime | None
    language: str | None
    snippet: str  # matches between MATCH_START and MATCH_END
    score: float | None  # -bm25, higher is better; None without a text query
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""


MATCH_START, MATCH_END = "\x02", "\x03"


@dataclass(frozen=True)
class SearchResult:
    """Hits plus what the reader should know: the query was read as plain words, how many items matched."""

    hits: tuple[SearchHit, ...]
    query: SearchQuery
    note: str | None = None
    matches: int | None = None  # items matching the text, before filters (None without text)


@dataclass(frozen=True)
class StoryMember:
    """Another report of the same story."""

    item_id: str
    source: str
    title: str
    url: str
    published: datetime | None


@dataclass(frozen=True)
class ItemDetail:
    """Everything the archive knows about one item (`techwatch show`)."""

    id: str
    title: str
    url: str
    source: str
    source_url: str | None
    published: datetime | None
    fetched_at: datetime | None
    language: str | None
    author: str | None
    status: str
    error: str | None
    summary: str
    summary_model: str | None
    tags: tuple[tuple[str, float], ...]
    content: str
    story_id: str
    members: tuple[StoryMember, ...]
    relevance: float | None


@dataclass(frozen=True)
class CountRow:
    """A labelled count (a tag, a source, an ISO week)."""

    label: str
    count: int


DAYS_BEFORE_COMPARING = 1.0  # a week less than a day old is too young for a pro-rata comparison to mean anything


@dataclass(frozen=True)
class WeekChange:
    """The last week of a period against the week before; a partial week is compared pro rata to its days."""

    week: str
    items: int
    previous_week: str
    previous_items: int
    days: float  # of `week` inside the period: 7.0 when the week is complete
    previous_days: float = 7.0  # of `previous_week` inside the period (less when --since cuts it)

    @property
    def partial(self) -> bool:
        """The last week is not over (or the period ends inside it)."""
        return self.days < 7.0

    @property
    def too_early(self) -> bool:
        """The last week has had less than a day: no comparison is made."""
        return self.days < DAYS_BEFORE_COMPARING

    def expected(self, previous: int) -> float:
        """`previous` (a count of the week before) scaled to the days the last week has had so far."""
        return previous * self.days / self.previous_days if self.previous_days > 0 else 0.0

    @property
    def percent(self) -> float | None:
        """The change of the item count in percent, pro rata; None too early in the week or with nothing before."""
        expected = self.expected(self.previous_items)
        if self.too_early or expected <= 0:
            return None
        return 100.0 * (self.items - expected) / expected


@dataclass(frozen=True)
class ArchiveStats:
    """`techwatch stats`: activity over a period, by week, tag and source, and the sources in trouble."""

    since: datetime | None
    until: datetime
    items: int
    weeks: tuple[CountRow, ...]  # ISO weeks, oldest first, empty weeks included
    tags: tuple[CountRow, ...]
    sources: tuple[CountRow, ...]
    tag_weeks: dict[str, tuple[int, ...]]  # tag -> count per week in `weeks` order
    failing: tuple[HealthLine, ...]
    change: WeekChange | None = None  # the last week against the one before (None with fewer than two weeks)

