"""`feeds check`: fetch and parse sources without storing anything, and describe how each behaves."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import httpx

from watch.errors import FetchError, ParseError
from watch.extract.article import EXCERPT_CHARS, article_from_feed
from watch.http.client import HostLimiter, fetch
from watch.http.render import render_result
from watch.records import (
    CheckedEntry,
    Config,
    FetchResult,
    Source,
    SourceCheck,
)
from watch.sources.kinds import kind_of, parse_source

log = logging.getLogger(__name__)

SAMPLE_SIZE = 5  # entries a check shows
WATCHED_SAMPLE_CHARS = 160  # of a watched page's text


def check_source(client: httpx.Client, source: Source, config: Config) -> SourceCheck:
    """Fetch and parse a source without storing anything, and describe how it behaves (`feeds check`)."""
    settings = config.settings.fetch
    try:
        result = kind_of(source).assemble(client, source, settings, None, None) or \
            fetch(client, source.url, max_bytes=settings.max_bytes, total_timeout=settings.total_timeout_seconds)
        page = render_result(result, settings) if source.render else result
        feed = parse_source(source, page.content, base_url=page.final_url, content_type=page.content_type)
    except (FetchError, ParseError) as exc:
        return SourceCheck(source.name, False, exc.status if isinstance(exc, FetchError) else None, error=str(exc))
    lengths = sorted(len(article_from_feed(e.feed_html, e.language).text) for e in feed.entries)
    median = lengths[len(lengths) // 2] if lengths else 0
    dates = [e.published for e in feed.entries if e.published]
    return SourceCheck(
        source.name, True, result.status, result.elapsed_seconds, len(feed.entries), feed.format,
        validators=("not used: the page is rendered by chromium on every poll" if source.render
                    else _validators(client, source.url, result, settings.max_bytes)),
        full_text=median >= EXCERPT_CHARS if lengths else None, median_chars=median,
        last_item=max(dates) if dates else None,
        final_url=result.final_url, moved=result.permanent_redirect is not None,
        method=feed.method,
        sample=tuple(CheckedEntry(e.title, e.published, e.url) for e in feed.entries[:SAMPLE_SIZE]),
        watched_chars=len(feed.state) if feed.state is not None else None,
        watched_sample=_sample(feed.state) if feed.state is not None else "",
    )


def _sample(text: str) -> str:
    """The beginning of a watched text on one line, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= WATCHED_SAMPLE_CHARS:
        return line
    return line[:WATCHED_SAMPLE_CHARS].rsplit(" ", 1)[0] + " …"


def check_all(config: Config, client: httpx.Client) -> dict[str, SourceCheck]:
    """check_source for every enabled source, concurrently within the politeness limits."""
    limiter = HostLimiter(config.settings.fetch.per_host)
    enabled = [s for s in config.sources if s.enabled]

    def one(source: Source) -> SourceCheck:
        with limiter.slot(source.url):
            return check_source(client, source, config)

    with ThreadPoolExecutor(max_workers=config.settings.fetch.concurrency, thread_name_prefix="check") as pool:
        return {check.source: check for check in pool.map(one, enabled)}


def _validators(client: httpx.Client, url: str, first: FetchResult, max_bytes: int) -> str:
    sent = [name for name, value in (("ETag", first.etag), ("Last-Modified", first.last_modified)) if value]
    if not sent:
        return "none (every poll downloads the whole feed)"
    try:
        again = fetch(client, url, max_bytes=max_bytes, etag=first.etag, last_modified=first.last_modified)
    except FetchError as exc:
        return f"{' + '.join(sent)}, conditional GET failed ({exc})"
    answer = "304 honoured" if again.not_modified else f"ignored (answered {again.status})"
    return f"{' + '.join(sent)}, {answer}"
