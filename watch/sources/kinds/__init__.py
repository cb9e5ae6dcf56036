"""The kinds of source, one module each, and the registry every other module asks (no branches on kind names)."""

from __future__ import annotations

from datetime import datetime

from ...records import ParsedFeed, Source
from .advisories import Advisories
from .base import SourceKind
from .changelog import CHANGELOG_RELEASES, Changelog
from .crates import Crates
from .feed import Feed
from .github_releases import GitHubReleases
from .huggingface import HuggingFace
from .npm import Npm
from .page import Page
from .pypi import PyPI
from .watch import Watch

# In the order feeds.yaml's messages list them; `feed` is the default.
KINDS: dict[str, SourceKind] = {kind.name: kind for kind in (Feed(), GitHubReleases(), PyPI(), HuggingFace(),
                                                              Changelog(), Page(), Watch(), Npm(), Crates(),
                                                              Advisories())}
SOURCE_KINDS: tuple[str, ...] = tuple(KINDS)
RELEASE_KINDS: tuple[str, ...] = tuple(name for name, kind in KINDS.items() if kind.releases)

__all__ = ["CHANGELOG_RELEASES", "KINDS", "RELEASE_KINDS", "SOURCE_KINDS", "SourceKind", "kind_of", "parse_source"]


def kind_of(source: Source) -> SourceKind:
    """The kind of a configured source (feeds.yaml's check guarantees it is registered)."""
    return KINDS[source.kind]


def parse_source(source: Source, content: bytes, *, base_url: str, content_type: str = "",
                 now: datetime | None = None) -> ParsedFeed:
    """Read a fetched document of `source` (a feed, or a release source of any kind) into entries."""
    return kind_of(source).parse(source, content, base_url=base_url, content_type=content_type, now=now)
