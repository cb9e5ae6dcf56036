"""kind: changelog — a CHANGELOG page (Markdown or HTML): each version heading is a release."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from ...dedup import entry_id
from ...errors import ParseError
from ...records import Entry, ParsedFeed, Source
from ..changelog import parse_changelog, parse_changelog_html
from ..releases import decode, notes_html, release_of, wanted
from .base import SourceKind

# A changelog holds a project's whole history; the newest releases are news, the rest is archive.
CHANGELOG_RELEASES = 10


class Changelog(SourceKind):
    """A changelog at a `url`: the newest CHANGELOG_RELEASES versions, each at its heading's anchor."""

    name = "changelog"

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """One release entry per version heading, newest first."""
        text = decode(content)
        is_html = "html" in content_type.lower() or text.lstrip()[:1] == "<"
        releases = parse_changelog_html(text) if is_html else parse_changelog(text)
        if not releases:
            raise ParseError("no version headings found: not a changelog (expected e.g. '## 1.2.0 (2024-05-01)' "
                             "or '## [1.2.0] - 2024-05-01')")
        project = source.project or source.name
        entries = []
        for position, release in enumerate(releases[:CHANGELOG_RELEASES]):
            if not wanted(source, release.version):
                continue
            if release.date is None and position > 0:
                # Without a date, only the version on top is known to be current: the older ones would be
                # filed as released today. Later polls add each new version on top, when it appears.
                continue
            anchor = re.sub(r"[^\w\- ]", "", release.heading.lower()).strip().replace(" ", "-")
            url = f"{base_url.split('#')[0]}#{anchor}"
            published = datetime.combine(release.date, time(), UTC) if release.date else None
            entries.append(Entry(
                id=entry_id(source.name, f"version:{release.version.text}"), source=source.name,
                # The page is the same for every release: the anchor is what tells them apart (and links to it).
                guid=f"version:{release.version.text}", url=url, canonical_url=url,
                title=f"{project} {release.version.text}", author=None, published=published,
                feed_html=notes_html(release.notes), release=release_of(source, release.version)))
        return ParsedFeed(title=f"{project} changelog", link=base_url, language=None, entries=tuple(entries),
                          format="changelog")
