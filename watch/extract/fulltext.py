"""The full-text policy: the feed's own text, or the article page's (robots.txt, cached by URL)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

import httpx

from watch.errors import EgressRefused, FetchError, RobotsDisallowed
from watch.extract.article import article_from_feed, extract_article
from watch.http.client import HostLimiter, fetch
from watch.http.robots import RobotsPolicy
from watch.records import (
    Article,
    CachedPage,
    Config,
    FetchResult,
    PendingItem,
    RefusedLink,
)
from watch.store import Archive

log = logging.getLogger(__name__)


# An `extract: auto` source is judged on this many items; a sample votes "excerpt" when the
# feed gives less than this share of the page's text.
EXTRACT_SAMPLES = 3
EXCERPT_RATIO = 0.6
FULL_TEXT_CHARS = 2000  # feed text this long is an article, not an excerpt


class PageFetcher:
    """Article pages, fetched politely (robots.txt, per-host limit, caps) and once: cached by URL."""

    def __init__(self, client: httpx.Client, config: Config, archive: Archive) -> None:
        self.client = client
        self.archive = archive
        self.settings = config.settings.fetch
        self.limiter = HostLimiter(self.settings.per_host)
        self.robots = RobotsPolicy(client, self.settings, self.limiter)
        self.refused: list[RefusedLink] = []  # links refused by the egress policy in this run

    def get(self, url: str) -> FetchResult:
        """Fetch a page, or raise FetchError (also when robots.txt forbids it)."""
        if not self.robots.allowed(url):
            raise RobotsDisallowed("disallowed by robots.txt", url=url)
        return fetch(self.client, url, max_bytes=self.settings.max_bytes,
                     total_timeout=self.settings.total_timeout_seconds, limiter=self.limiter)

    def article(self, url: str, source: str = "") -> Article | None:
        """The page's extracted article (from the cache when fetched before), or None."""
        cached = self.archive.cached_page(url)
        if cached is not None:
            return cached.article
        try:
            page = self.get(url)
        except EgressRefused as exc:
            # A link to a non-public address: the item keeps its feed text, and the refusal is data.
            self.archive.save_page(CachedPage(url, None, None, f"refused: {exc}"), url, datetime.now(UTC))
            self.refused.append(RefusedLink(source, url, str(exc)))
            log.warning("page %s refused: %s", url, exc)
            return None
        except FetchError as exc:
            # Lasting answers (4xx, robots.txt) are remembered; network trouble is tried again later.
            if (exc.status is not None and 400 <= exc.status < 500) or isinstance(exc, RobotsDisallowed):
                self.archive.save_page(CachedPage(url, exc.status, None, str(exc)), url, datetime.now(UTC))
            log.info("page %s not fetched: %s", url, exc)
            return None
        article = extract_article(page.content, page.final_url)
        error = None if article else "no article text found"
        self.archive.save_page(CachedPage(url, page.status, article, error), page.final_url, datetime.now(UTC))
        return article


def article_for(item: PendingItem, pages: PageFetcher | None, mode: str, archive: Archive) -> Article:
    """The feed's own text, or the page's when the source only gives excerpts (per `extract`)."""
    from_feed = article_from_feed(item.feed_html, item.language)
    if pages is None or mode == "never" or not item.url.startswith(("http://", "https://")):
        return from_feed
    decision = "excerpt" if mode == "always" else archive.extract_decision(item.source)
    if decision == "full":
        return from_feed
    if decision is None and len(from_feed.text) >= FULL_TEXT_CHARS:
        # Clearly a whole article: a vote for "full" that costs no request.
        archive.record_extract_sample(item.source, False, EXTRACT_SAMPLES)
        return from_feed
    page = pages.article(item.url, item.source)
    if page is None:
        return from_feed
    if decision is None:
        excerpt = len(from_feed.text) < EXCERPT_RATIO * len(page.text)
        learned = archive.record_extract_sample(item.source, excerpt, EXTRACT_SAMPLES)
        if learned:
            log.info("%s: feed gives %s; %s", item.source, "excerpts" if learned == "excerpt" else "full text",
                     "fetching pages from now on" if learned == "excerpt" else "pages no longer fetched")
    if len(page.text) <= len(from_feed.text):
        return dataclasses.replace(from_feed, canonical_url=page.canonical_url)
    return dataclasses.replace(page, language=item.language or page.language)
