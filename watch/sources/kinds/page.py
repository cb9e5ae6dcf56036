"""kind: page — a listing page without a feed: each article it links to is an item, its text from the article."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from ...dedup import entry_id, link_fields
from ...records import Entry, ParsedFeed, Source
from ..listing import detect_listing
from ..parse import clean_feed
from ..releases import decode
from .base import SourceKind

log = logging.getLogger(__name__)


class Page(SourceKind):
    """A news or blog index: the articles are found on the page (no selectors), the text comes from each article."""

    name = "page"
    releases = False
    listing_rules = True

    @property
    def default_extract(self) -> str:
        """The listing gives only titles and dates: every article page is fetched for its text."""
        return "always"

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """One entry per article URL the listing links to (the URL is the identity); raises ParseError on none."""
        listing = detect_listing(decode(content), base_url, source.page)
        if listing.feed_url:
            log.warning("%s: this page has a feed (%s): use kind: feed", source.name, listing.feed_url)
        entries = []
        for article in listing.articles:
            links = link_fields(article.url)
            published = datetime.combine(article.published, time(), UTC) if article.published else None
            entries.append(Entry(id=entry_id(source.name, links["canonical_url"] or article.url), source=source.name,
                                 guid=article.url, title=article.title, author=None, published=published,
                                 feed_html="", **links))
        method = f"page:{listing.method}" + (f" (this page has a feed: use kind: feed, {listing.feed_url})"
                                             if listing.feed_url else "")
        return clean_feed(ParsedFeed(title=source.name, link=base_url, language=None, entries=tuple(entries),
                                     format=method, method=listing.method))
