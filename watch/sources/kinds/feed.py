"""kind: feed — an RSS, Atom, RDF or JSON Feed, read by feedparser."""

from __future__ import annotations

from datetime import datetime

from ...records import ParsedFeed, Source
from ..parse import parse_feed
from .base import SourceKind


class Feed(SourceKind):
    """A news feed: every entry is an item, its page is fetched when the feed gives only an excerpt."""

    name = "feed"
    releases = False
    parse_in_pool = True

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """The feed's entries (parse_feed already cleans them)."""
        return parse_feed(content, source_name=source.name, base_url=base_url, content_type=content_type, now=now)
