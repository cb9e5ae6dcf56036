"""Feed autodiscovery: from a home page (or a feed URL) to a feed that fetches and parses.

Order of attempts: the URL itself as a feed; the page's `<link rel="alternate">` feed links, in
document order; only when none of those is a feed, a few conventional paths on the same site.
`discover_source` then reads a page without any feed as `kind: page` (its article list).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
import lxml.html
from lxml import etree

from ..errors import DiscoveryError, FetchError, ParseError
from ..http.client import fetch
from ..records import Entry, FetchResult, FetchSettings, ParsedFeed, Source
from ..sources.kinds import KINDS
from ..sources.parse import parse_feed
from ..text.textsafe import one_line

__all__ = ["CONVENTIONAL_PATHS", "FEED_TYPES", "DiscoveredFeed", "DiscoveredPage", "FeedLink", "discover_feed",
           "discover_source", "feed_links"]

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"})
# Where common blog engines (WordPress, Hugo, Jekyll, Ghost...) put a site's feed.
CONVENTIONAL_PATHS = ("/feed", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/rss")
_SOURCE_NAME = "discovery"  # only seeds entry ids, which discovery never stores


@dataclass(frozen=True)
class FeedLink:
    """A feed advertised by a page with `<link rel="alternate" type=...>`."""

    url: str
    title: str = ""
    type: str = ""


@dataclass(frozen=True)
class DiscoveredFeed:
    """A feed that was fetched and parsed, and how it was found."""

    url: str
    title: str
    format: str
    entries: int
    page_url: str | None = None  # the page it was found from; None when the URL given was the feed
    via: str = "direct"  # "direct", "link" (advertised by the page) or "guess" (a conventional path)
    tried: tuple[str, ...] = ()  # the attempts that came before it, "url: why not"


@dataclass(frozen=True)
class DiscoveredPage:
    """A page with no feed at or behind it whose article list `kind: page` reads, and how it was read."""

    url: str
    title: str  # the page's <title>
    method: str  # how the articles were found: "json-ld", "next-data" or "structure"
    entries: tuple[Entry, ...]  # the items it would create, in page order
    tried: tuple[str, ...] = ()  # the feed attempts that came before it, "url: why not"


def feed_links(html: bytes | str, base_url: str) -> list[FeedLink]:
    """Feed links a page advertises, resolved to absolute URLs, in document order, without duplicates."""
    root = _parse_html(html)
    if root is None:
        return []
    base = _document_base(root, base_url)
    links: list[FeedLink] = []
    seen: set[str] = set()
    for element in root.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        kind = (element.get("type") or "").split(";")[0].strip().lower()
        href = (element.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme.lower() not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        links.append(FeedLink(url=url, title=one_line(element.get("title")), type=kind))
    return links


def discover_feed(client: httpx.Client, url: str, settings: FetchSettings) -> DiscoveredFeed:
    """Return the feed at `url`, or the first working feed its page leads to; DiscoveryError if none."""
    found, _page, tried = _search(client, url, settings)
    if found is None:
        raise _not_found(url, tried)
    return found


def discover_source(client: httpx.Client, url: str, settings: FetchSettings) -> DiscoveredFeed | DiscoveredPage:
    """The feed at or behind `url`; without one, the page read as `kind: page`; DiscoveryError if neither works."""
    found, page, tried = _search(client, url, settings)
    if found is not None:
        return found
    source = Source(name=_SOURCE_NAME, url=url, kind="page")
    try:
        parsed = KINDS["page"].parse(source, page.content, base_url=page.final_url, content_type=page.content_type)
    except ParseError as exc:
        raise _not_found(url, [*tried, (page.final_url, f"as a page (kind: page): {exc}")]) from exc
    # "page:structure", with a note when the page advertises a feed (one that did not work: see `tried`)
    method = parsed.format.removeprefix("page:").split(" ", 1)[0]
    return DiscoveredPage(url=url, title=_page_title(page.content), method=method, entries=parsed.entries,
                          tried=_describe(tried))


def _search(client: httpx.Client, url: str,
            settings: FetchSettings) -> tuple[DiscoveredFeed | None, FetchResult, list[tuple[str, str]]]:
    """The feed found (None if none), the page fetched from `url`, and the attempts that did not give a feed."""
    try:
        page = fetch(client, url, max_bytes=settings.max_bytes, total_timeout=settings.total_timeout_seconds)
    except FetchError as exc:
        raise DiscoveryError(f"cannot fetch {url}: {exc}", url=url, tried=(f"{url}: {exc}",)) from exc
    try:
        parsed = _parse(page)
    except ParseError:
        pass
    else:
        return _found(url, parsed, None, "direct", []), page, []

    links = feed_links(page.content, page.final_url)
    tried = [(url, "a page, not a feed" + ("" if links else ", and it links to no feed"))]
    titles = {link.url: link.title for link in links}
    found = _first_feed(client, [link.url for link in links], settings, tried, page.final_url, "link", titles)
    if found is None:
        done = {attempt for attempt, _ in tried}
        guesses = [g for g in (urljoin(page.final_url, p) for p in CONVENTIONAL_PATHS) if g not in done]
        found = _first_feed(client, guesses, settings, tried, page.final_url, "guess", {})
    return found, page, tried


def _not_found(url: str, tried: list[tuple[str, str]]) -> DiscoveryError:
    lines = _describe(tried)
    listing = "".join(f"\n  {line}" for line in lines)
    return DiscoveryError(f"no feed found at {url}; tried:{listing}", url=url, tried=lines)


def _page_title(html: bytes) -> str:
    root = _parse_html(html)
    title = root.find(".//title") if root is not None else None
    return one_line(title.text_content()) if title is not None else ""


def _first_feed(client: httpx.Client, candidates: list[str], settings: FetchSettings,
                tried: list[tuple[str, str]], page_url: str, via: str,
                titles: dict[str, str]) -> DiscoveredFeed | None:
    """The first candidate that parses with entries, else the first that parses at all (a new, empty feed)."""
    empty: DiscoveredFeed | None = None
    for candidate in candidates:
        try:
            parsed = _parse(fetch(client, candidate, max_bytes=settings.max_bytes,
                                        total_timeout=settings.total_timeout_seconds))
        except (FetchError, ParseError) as exc:
            tried.append((candidate, str(exc)))
            continue
        feed = _found(candidate, parsed, page_url, via, tried, titles.get(candidate, ""))
        if parsed.entries:
            return feed
        tried.append((candidate, "a feed, but with no entries"))
        empty = empty or feed
    return empty


def _describe(tried: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(f"{url}: {why}" for url, why in tried)


def _parse(result: FetchResult) -> ParsedFeed:
    return parse_feed(result.content, source_name=_SOURCE_NAME, base_url=result.final_url,
                      content_type=result.content_type)


def _found(url: str, parsed: ParsedFeed, page_url: str | None, via: str, tried: list[tuple[str, str]],
           link_title: str = "") -> DiscoveredFeed:
    title = one_line(parsed.title) or one_line(link_title)
    return DiscoveredFeed(url=url, title=title, format=parsed.format, entries=len(parsed.entries),
                          page_url=page_url, via=via, tried=_describe(tried))


def _parse_html(html: bytes | str) -> etree._Element | None:
    """The document root, or None for an empty or unparseable document."""
    if isinstance(html, str):
        # A str is already decoded: a <meta charset> inside it must not make lxml decode it again.
        data, parser = html.encode("utf-8", "surrogatepass"), lxml.html.HTMLParser(encoding="utf-8")
    else:
        data, parser = html, None
    if not data.strip():
        return None
    try:
        return lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _document_base(root: etree._Element, page_url: str) -> str:
    """The URL relative links resolve against: the first `<base href>`, itself relative to the page."""
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            resolved = urljoin(page_url, href)
            if urlsplit(resolved).scheme.lower() in ("http", "https"):
                return resolved
            break  # per HTML, only the first <base href> counts, even when it is unusable
    return page_url
