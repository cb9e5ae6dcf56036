"""What every release source shares: notes kept verbatim, the version filter, entries made releases."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from html import escape, unescape

from ..errors import ParseError
from ..records import Entry, ParsedFeed, Release, Source
from ..text.textsafe import strip_controls
from .changelog import html_to_markdown
from .parse import parse_feed
from .versions import Version, level, parse_version, passes_filter

_MIN_LEVEL = {"all": "patch", "minor": "minor", "major": "major"}


_NOTES_OPEN = '<pre class="release-notes">'


def notes_html(markdown: str) -> str:
    """Markdown release notes as the feed_html of an item: escaped, verbatim (see notes_text)."""
    return f"{_NOTES_OPEN}{escape(markdown)}</pre>"


def notes_text(feed_html: str) -> str:
    """The notes of a release item as Markdown: verbatim if notes_html() stored them, else converted from HTML."""
    if feed_html.startswith(_NOTES_OPEN) and feed_html.endswith("</pre>"):
        return strip_controls(unescape(feed_html[len(_NOTES_OPEN):-len("</pre>")]))
    return strip_controls(html_to_markdown(feed_html))  # entities may spell control characters


def releases_feed(source: Source, content: bytes, base_url: str, content_type: str, now: datetime | None, *,
                  version_of: Callable[[Entry], Version | None], missing: str) -> ParsedFeed:
    """A feed whose entries are releases: those with a version (`version_of`) that the source wants.

    A feed where no entry has a version is not a releases feed (`missing` says what was looked for).
    """
    feed = parse_feed(content, source_name=source.name, base_url=base_url, content_type=content_type, now=now)
    entries = []
    versioned = 0
    for entry in feed.entries:
        version = version_of(entry)
        versioned += version is not None
        if version is not None and wanted(source, version):
            entries.append(as_release(source, entry, version))
    if feed.entries and not versioned:
        raise ParseError(f"not a releases feed: none of its {len(feed.entries)} entries {missing} "
                         "(for a commits or news feed use kind: feed)")
    return dataclasses.replace(feed, entries=tuple(entries))


def wanted(source: Source, version: Version) -> bool:
    """Whether the source follows this version (its `prereleases` and `releases` settings)."""
    return passes_filter(version, include_prereleases=source.prereleases, min_level=_MIN_LEVEL[source.releases])


def release_of(source: Source, version: Version) -> Release:
    """The release record of a version of the source's project."""
    return Release(project=source.project or source.name, version=version.text, prerelease=version.prerelease,
                   level=level(version))


def as_release(source: Source, entry: Entry, version: Version) -> Entry:
    """An entry as a release: a title that names the project and version, and its release record."""
    project = source.project or source.name
    title = (entry.title or "").strip()
    # "v5.24.0" or "5.24.0" alone says nothing a reader needs; a named release keeps its name.
    bare = not title or parse_version(title) is not None or title.lower().lstrip("v") == version.text.lower()
    if bare:
        title = f"{project} {version.text}"
    elif project.lower() not in title.lower():
        title = f"{project} {title}"
    return dataclasses.replace(entry, title=title, release=release_of(source, version))


def decode(content: bytes) -> str:
    """A release document as text: UTF-8 (BOM or not), else Latin-1, which never fails."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


