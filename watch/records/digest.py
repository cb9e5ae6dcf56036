"""The weekly digest: its period, sections, items, release lines, health and trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .config import DEFAULT_PROFILE


@dataclass(frozen=True)
class Period:
    """A digest's time window [start, end) and its label (e.g. 2026-W48)."""

    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class DigestItem:
    """One item as shown in a digest."""

    id: str
    title: str
    url: str
    source: str
    published: datetime
    summary: str
    tags: tuple[str, ...]
    cluster_id: str | None = None
    sources: tuple[str, ...] = ()  # every source of the story, once clusters are merged
    relevance: float | None = None  # similarity to `interests` (the best of the story's items)
    relevance_topic: str | None = None  # the `interests` topic that best item is closest to
    why: str = ""  # why a full story is there: "covered by 3 sources · relevant to “open-weights LLMs…”"
    matters: str = ""  # a lead story's "why it matters" line, written by the summarizer server (nlp/why.py)


@dataclass(frozen=True)
class StoryScore:
    """The terms of a story's ranking score (digest --explain prints them)."""

    coverage: float  # its sources, each counted at its `weight`
    relevance: float  # RELEVANCE_WEIGHT × relevance to `interests`
    recency: float  # RECENCY_WEIGHT × how late in the period (1 at its end)

    @property
    def total(self) -> float:
        """The score stories are ranked by."""
        return self.coverage + self.relevance + self.recency


@dataclass(frozen=True)
class RankedStory:
    """A story of the period, its score and where the digest put it."""

    story: DigestItem
    score: StoryScore
    placement: str  # full | one-line | collapsed | off-topic
    reason: str  # why it is there, or why it is not a full story


@dataclass(frozen=True)
class CollapsedSource:
    """The stories of one source past its share of full stories, shown as one line: "6 more from xAI news"."""

    source: str
    count: int
    stories: tuple[DigestItem, ...] = ()  # the first few of them, in rank order, named on that line


@dataclass(frozen=True)
class DigestSection:
    """Items under one tag heading."""

    tag: str
    description: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class ReleaseLine:
    """A project's releases in the period, for the digest's Releases section: "transformers 5.23.0 → 5.24.0"."""

    project: str
    version: str  # the newest release of the period
    published: datetime
    url: str
    source: str
    summary: str = ""
    previous: str | None = None  # the release before it (before the period, or the oldest in it)
    count: int = 1  # releases of the project in the period
    note: str = ""  # "breaking: ..." or "security: ...", from the notes' own lines

    @property
    def detail(self) -> str:
        """What goes in parentheses after the versions: "3 releases; breaking: drop Python 3.8"."""
        parts = [f"{self.count} releases"] if self.count > 1 else []
        return "; ".join([*parts, self.note] if self.note else parts)


@dataclass(frozen=True)
class ReleaseItem:
    """A stored release item of a period, as the digest reads it."""

    item_id: str
    project: str
    version: str
    prerelease: bool
    published: datetime
    url: str
    source: str
    summary: str
    notes_html: str


@dataclass(frozen=True)
class HealthLine:
    """A source that needs attention, for the digest's Sources health section."""

    source: str
    state: str  # failing | stale | gone | disabled
    cause: str
    since: datetime | None = None


@dataclass(frozen=True)
class TagTrend:
    """How many stories a tag had in the period and in the one before."""

    tag: str
    count: int
    previous: int

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (0.4 = +40%); None when there was nothing before."""
        return None if self.previous == 0 else (self.count - self.previous) / self.previous


@dataclass(frozen=True)
class StackAdvisory:
    """An advisory that hits the version a manifest pins, for the digest's Your stack section."""

    id: str  # GHSA-..., PYSEC-..., RUSTSEC-..., GO-...
    aliases: tuple[str, ...]  # CVE-..., GHSA-...
    ecosystem: str
    package: str
    pinned: str
    fixed: str | None  # the version to upgrade to; None when no fix is published
    severity: str  # "7.2 high (CVSS 3.1)", else the vector or the database's own word; "" when none is given
    summary: str
    url: str
    manifest: str  # the manifest that brought the package in


@dataclass(frozen=True)
class StackRelease:
    """A new major or breaking release of a dependency, for the Your stack section."""

    release: ReleaseLine
    change: str  # "major" (the major version went up) or "breaking" (the notes say so); "major" wins
    manifest: str


@dataclass(frozen=True)
class StackMention:
    """A story of the period that names one of the dependencies."""

    story: DigestItem
    dependency: str  # the package named
    manifest: str


@dataclass(frozen=True)
class YourStack:
    """The digest's opening section: advisories on pinned versions, major/breaking releases, stories naming a
    dependency."""

    advisories: tuple[StackAdvisory, ...] = ()
    releases: tuple[StackRelease, ...] = ()
    mentions: tuple[StackMention, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether there is nothing to show (the section is left out)."""
        return not (self.advisories or self.releases or self.mentions)


@dataclass(frozen=True)
class Digest:
    """A period's items, grouped and ordered, ready to render."""

    title: str
    start: datetime
    end: datetime
    sections: tuple[DigestSection, ...]
    item_count: int  # items seen in the period
    source_count: int  # sources they came from
    label: str = ""  # the period's label, e.g. 2026-W48
    story_count: int = 0  # stories (clusters of items) in the period
    also: tuple[DigestItem, ...] = ()  # stories past max_items: one line each, grouped by tag in also_sections
    also_sections: tuple[DigestSection, ...] = ()
    lead: tuple[DigestItem, ...] = ()  # the 3-5 stories that matter most, one line each at the top
    collapsed: tuple[CollapsedSource, ...] = ()  # sources past their share, one line each
    off_topic: int = 0  # stories below the relevance floor, told by one source and untagged: counted only
    hidden: int = 0  # stories past the one-line budget: counted only
    reading_minutes: int = 0  # what the digest shows, at 230 words a minute
    ranking: tuple[RankedStory, ...] = ()  # every story with its score terms and placement (digest --explain)
    relevance_floor: float | None = None  # the floor the stories were placed with
    releases: tuple[ReleaseLine, ...] = ()
    health: tuple[HealthLine, ...] = ()
    trends: tuple[TagTrend, ...] = ()  # the top tags, biggest first
    stack: YourStack = YourStack()  # opens the digest when it is not empty


@dataclass(frozen=True)
class DigestRecord:
    """A digest already written, as kept in the archive (for the Atom feed of past digests)."""

    label: str
    start: datetime
    end: datetime
    written_at: datetime
    title: str
    html: str  # the rendered HTML digest
    text: str  # the plain-text rendering (a summary for feed readers)
    profile: str = DEFAULT_PROFILE  # the digest profile it was written for (`digests:` in feeds.yaml)

