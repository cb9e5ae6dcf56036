"""kind: page — a listing page without a feed: each article it links to is an item, its text from the article."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from ...dedup import entry_id, link_fields
from ...errors import ParseError
from ...records import Entry, ParsedFeed, Source
from ..jsshell import javascript_shell
from ..listing import detect_listing
from ..parse import clean_feed
from ..releases import decode
from .base import SourceKind

log = logging.getLogger(__name__)

JS_SHELL = "no article links in the HTML; the page is rendered by JavaScript"


class Page(SourceKind):
    """A news or blog index: the articles are found on the page (no selectors), the text comes from each article."""

    name = "page"
    releases = False
    listing_rules = True
    renders = True

    @property
    def default_extract(self) -> str:
        """The listing gives only titles and dates: every article page is fetched for its text."""
        return "always"

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """One entry per article URL the listing links to (the URL is the identity); raises ParseError on none."""
        html = decode(content)
        try:
            listing = detect_listing(html, base_url, source.page)
        except ParseError as exc:
            raise ParseError(no_articles(source, html, str(exc))) from None
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


def no_articles(source: Source, html: str, reason: str) -> str:
    """Why a page gave no articles, said precisely: a JavaScript shell, a shell chromium could not fill, or `reason`."""
    if source.page is not None and source.page.item:
        return reason  # the source's own XPath found nothing: its message says which
    shell = javascript_shell(html)
    if source.render:
        return (f"no article links in the page rendered by {source.render}"
                + (f" (still a JavaScript shell: {shell})" if shell else ""))
    if shell:
        return f"{JS_SHELL} ({shell}): set render: chromium on the source to render it first"
    return reason
