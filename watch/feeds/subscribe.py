"""Subscribing: add a discovered feed (or a feedless page), or an OPML file's feeds, to feeds.yaml; export OPML.

A page with no feed at or behind it is added as `kind: page` when its article list is found.

These are the library functions behind `techwatch feeds add | import | export`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..config import parse_interval
from ..dedup import canonical_url
from ..errors import ConfigError
from ..records import Config
from ..text.redact import redact_url
from ..text.textsafe import one_line, strip_controls
from .discover import DiscoveredFeed, DiscoveredPage, discover_source
from .feedsfile import NewSource, append_sources
from .opml import OpmlFeed, read_opml, write_opml

__all__ = ["AddReport", "ImportReport", "add_feed", "export_opml", "import_opml", "unique_name"]


@dataclass(frozen=True)
class AddReport:
    """What `add_feed` found and wrote (or would write, on a dry run)."""

    feed: DiscoveredFeed | DiscoveredPage  # a DiscoveredPage when no feed was found: added as `kind: page`
    source: NewSource
    line: int
    dry_run: bool


@dataclass(frozen=True)
class ImportReport:
    """Feeds of an OPML file that were added (with their line) and those skipped (with the reason)."""

    added: tuple[tuple[NewSource, int], ...]
    skipped: tuple[tuple[OpmlFeed, str], ...]
    dry_run: bool


def add_feed(path: Path, config: Config, client: httpx.Client, url: str, *, name: str | None = None,
             tags: Sequence[str] = (), interval: str | None = None, dry_run: bool = False) -> AddReport:
    """Find the feed at or behind `url` (else read the page as `kind: page`) and append it to feeds.yaml."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url  # "simonwillison.net" is what people paste
    # Cheap checks first, so a typo does not cost a round of network requests.
    check_tags(path, config, tags)
    if interval is not None:
        try:
            parse_interval(interval)
        except ValueError as exc:
            raise ConfigError(f"--interval: {exc}", field="interval") from exc
    _check_url_absent(path, config, url)
    feed = discover_source(client, url, config.settings.fetch)
    taken = {source.name.casefold() for source in config.sources}
    # The feed's title is a stranger's text: never an escape sequence or a line break in feeds.yaml.
    chosen = one_line(name) if name else ""
    chosen = chosen or unique_name(one_line(feed.title) or _host(feed.url), taken)
    kind = "page" if isinstance(feed, DiscoveredPage) else "feed"
    source = NewSource(name=chosen, url=feed.url, tags=tuple(tags), interval=interval, kind=kind)
    [line] = append_sources(path, [source], dry_run=dry_run)
    return AddReport(feed=feed, source=source, line=line, dry_run=dry_run)


def import_opml(path: Path, config: Config, data: bytes, *, tags: Sequence[str] = (),
                dry_run: bool = False) -> ImportReport:
    """Append every feed of an OPML document not already in feeds.yaml (same URL or name); no network."""
    check_tags(path, config, tags)
    known_tags = {tag.name for tag in config.tags}
    names = {source.name.casefold(): source.name for source in config.sources}
    urls = {canonical_url(source.url): source.name for source in config.sources}
    new: list[NewSource] = []
    skipped: list[tuple[OpmlFeed, str]] = []
    for feed in read_opml(data):
        parts = urlsplit(feed.url)
        name = one_line(feed.title) or _host(feed.url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            skipped.append((feed, "not an http(s) feed address"))
        elif strip_controls(feed.url, keep_newlines=False) != feed.url:
            skipped.append((feed, "the address holds control characters"))
        elif canonical_url(feed.url) in urls:
            skipped.append((feed, f"already present as {urls[canonical_url(feed.url)]!r}"))
        elif name.casefold() in names:
            skipped.append((feed, f"the name {names[name.casefold()]!r} is already used by another source"))
        else:
            # OPML categories that name a tag of the taxonomy (an export from techwatch) become tags.
            source_tags = _unique([*tags, *_category_tags(feed.categories, known_tags)])
            new.append(NewSource(name=name, url=feed.url, tags=source_tags))
            names[name.casefold()] = name
            urls[canonical_url(feed.url)] = name
    lines = append_sources(path, new, dry_run=dry_run) if new else []
    return ImportReport(added=tuple(zip(new, lines, strict=True)), skipped=tuple(skipped), dry_run=dry_run)


def export_opml(config: Config, title: str = "techwatch sources") -> str:
    """OPML 2.0 of every configured source, tags as categories; credentials in URLs masked (redact_url)."""
    return write_opml([dataclasses.replace(source, url=redact_url(source.url)) for source in config.sources], title)


def unique_name(title: str, taken: Iterable[str]) -> str:
    """`title`, or `title (2)`, `title (3)`... whichever is not taken (compared ignoring case)."""
    used = {name.casefold() for name in taken}
    base = one_line(title) or "feed"
    name, number = base, 2
    while name.casefold() in used:
        name, number = f"{base} ({number})", number + 1
    return name


def check_tags(path: Path, config: Config, tags: Sequence[str]) -> None:
    """Refuse a tag that feeds.yaml does not define under `tags:`."""
    known = sorted(tag.name for tag in config.tags)
    for tag in tags:
        if tag not in known:
            raise ConfigError(f"unknown tag {tag!r} (known tags: {', '.join(known) or 'none'}); "
                              "tags must be defined under 'tags:' first", path=str(path), field="tags")


def _check_url_absent(path: Path, config: Config, url: str) -> None:
    for source in config.sources:
        if canonical_url(source.url) == canonical_url(url):
            raise ConfigError(f"{url} is already in the file as {source.name!r} (line {source.line})",
                              path=str(path), line=source.line, field="url")


def _category_tags(categories: Sequence[str], known: set[str]) -> list[str]:
    return [part.lower() for category in categories for part in category.split("/") if part.lower() in known]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or one_line(url)
