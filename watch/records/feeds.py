"""What a source gives: its remembered state, a fetch, parsed entries and releases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .stack import Advisory


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
    watch_text: str | None = None  # what the kind kept from its last parse (ParsedFeed.state)
    listing_counts: tuple[int, ...] = ()  # kind page: article counts of the recent accepted polls, oldest first


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
    advisory: Advisory | None = None  # set for items of `kind: advisories` (one per OSV advisory)
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
    # How the kind found the entries in the document (kind: page: the listing detection's method), None
    # when the format says it all.
    method: str | None = None
    ttl_seconds: int | None = None  # RSS <ttl>: how long the publisher says the feed stays fresh
    # What the kind keeps for its next parse of the source (kind: watch: the page's main text), stored
    # with the refresh and given back as `previous`; None keeps what was stored (stateless kinds).
    state: str | None = None

