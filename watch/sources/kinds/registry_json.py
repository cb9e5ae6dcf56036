"""What the npm and crates.io kinds share: a registry's JSON list of versions read into release entries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from ...dedup import entry_id, link_fields
from ...errors import ParseError
from ...records import Entry, ParsedFeed, Source
from ..parse import iso_datetime
from ..releases import as_release, decode, wanted
from ..versions import parse_version

# A registry lists every version ever published; the newest this many are enough for a watch.
NEWEST_VERSIONS = 30
_UNDATED = datetime.min.replace(tzinfo=UTC)


def registry_json(content: bytes, what: str) -> object:
    """A registry's (or advisory database's) JSON answer, or a ParseError naming what was expected."""
    try:
        return json.loads(decode(content))
    except json.JSONDecodeError as exc:
        raise ParseError(f"not {what} (invalid JSON: {exc})") from exc


def versions_feed(source: Source, versions: Iterable[tuple[str, str | None]], *, page: str, link: str,
                  title: str, format: str) -> ParsedFeed:
    """Release entries of (version, ISO date) pairs, newest first; `page` is the address template of a version."""
    dated = [(number, iso_datetime(when)) for number, when in versions]
    dated.sort(key=lambda pair: pair[1] or _UNDATED, reverse=True)
    entries = []
    for number, when in dated[:NEWEST_VERSIONS]:
        version = parse_version(number)
        if version is None or not wanted(source, version):
            continue
        key = f"release:{number}"
        entry = Entry(id=entry_id(source.name, key), source=source.name, guid=key, **link_fields(page.format(number)),
                      title=number, author=None, published=when, feed_html="")
        entries.append(as_release(source, entry, version))
    return ParsedFeed(title=title, link=link, language=None, entries=tuple(entries), format=format)
