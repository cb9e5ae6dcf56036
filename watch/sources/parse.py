"""Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) -> ParsedFeed with stable entry ids."""

from __future__ import annotations

import calendar
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from lxml import etree

from ..dedup import content_hash, entry_id, link_fields
from ..errors import ParseError
from ..extract.encoding import decode_text, for_feedparser
from ..extract.lang import normalise_language
from ..records import Entry, ParsedFeed
from ..text.htmltext import html_to_text
from ..text.textsafe import one_line, strip_controls
from ..text.titles import title_text

# A feed may post-date by time zones or clock skew; beyond this, the date is wrong.
_FUTURE_TOLERANCE = timedelta(days=1)


def parse_feed(content: bytes, *, source_name: str, base_url: str, content_type: str = "",
               now: datetime | None = None) -> ParsedFeed:
    """Parse a feed document; raise ParseError when it is not a feed at all."""
    now = now or datetime.now(UTC)
    if _looks_like_json(content):
        return clean_feed(_parse_json_feed(content, content_type, source_name, base_url, now))
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    # Feed HTML is never rendered: it is stored as untrusted data and only ever turned into text
    # (extract.html_to_text drops scripts and styles). feedparser's sanitizer and URI rewriting
    # would cost two thirds of the parse time for nothing.
    content = for_feedparser(content, content_type)
    parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    version = parsed.get("version") or ("cdf" if _is_cdf(content) else "")
    if not version and not parsed.entries:
        cause = parsed.get("bozo_exception")
        raise ParseError(f"not a feed ({cause or 'no RSS/Atom/JSON Feed structure found'})")
    language = normalise_language(parsed.feed.get("language"))
    entries = _unique(_entry_from_feedparser(e, source_name, language, now) for e in parsed.entries)
    return clean_feed(ParsedFeed(
        title=title_text(parsed.feed.get("title"), _title_type(parsed.feed)).text,
        link=parsed.feed.get("link", ""),
        language=language,
        entries=tuple(entries),
        format=version or "unknown",
        ttl_seconds=_ttl_seconds(parsed.feed.get("ttl")),
    ))


def clean_feed(feed: ParsedFeed) -> ParsedFeed:
    """The feed with escape sequences and control characters taken out of every text (feeds are untrusted).

    Titles, names and URLs become one line; the content keeps its line breaks. Entry ids were computed
    from the raw values before, so they stay what older versions stored.
    """
    return dataclasses.replace(feed, title=one_line(feed.title), link=one_line(feed.link),
                               entries=tuple(_clean_entry(entry) for entry in feed.entries))


def _clean_entry(entry: Entry) -> Entry:
    release = entry.release
    if release is not None:
        release = dataclasses.replace(release, project=one_line(release.project), version=one_line(release.version))
    author = one_line(str(entry.author)) if entry.author is not None else None
    return dataclasses.replace(
        entry, url=one_line(entry.url), canonical_url=one_line(entry.canonical_url),
        title=one_line(entry.title) or "(untitled)", title_html=one_line(entry.title_html) or None,
        author=author or None,
        feed_html=strip_controls(entry.feed_html or ""), release=release)


def _ttl_seconds(value: Any) -> int | None:
    # RSS 2.0 <ttl> is in minutes.
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def _entry_from_feedparser(e: Any, source_name: str, feed_language: str | None,
                           now: datetime) -> Entry:
    url = e.get("link", "") or ""
    # Feed proxies (FeedBurner) put the original address in feedburner:origLink.
    original = e.get("feedburner_origlink") or url
    raw_title = (e.get("title") or "").strip()
    title = title_text(raw_title, _title_type(e))
    published = _struct_to_datetime(e.get("published_parsed") or e.get("updated_parsed"), now)
    html, language = _best_content(e)
    guid = (e.get("id") or "").strip()
    # The raw title, as before titles were made text: ids stay what older versions stored.
    date = published.isoformat() if published else ""
    key, previous = _entry_key(guid or original, raw_title, date, html, previous=f"{raw_title}|{date}")
    return Entry(
        id=entry_id(source_name, key),
        previous_id=entry_id(source_name, previous) if previous else None,
        source=source_name,
        guid=guid,
        **link_fields(original),
        title=title.text or _title_from_text(html),
        title_html=title.html if title.text else None,
        author=(e.get("author") or None),
        published=published,
        feed_html=html,
        language=normalise_language(language) or feed_language,
    )


def _entry_key(identity: str, raw_title: str, date: str, html: str, *, previous: str) -> tuple[str, str | None]:
    """(key, previous key): the guid or link; without either, title, date and content, so that two different
    untitled or undated entries are two items. `previous`, the key older versions used, adopts their rows."""
    if identity:
        return identity, None
    return f"{raw_title}|{date}|{content_hash(html)}", previous


def _best_content(e: Any) -> tuple[str, str | None]:
    """The longest of content:encoded / atom:content / summary, with its language."""
    candidates = [(c.get("value", ""), c.get("language")) for c in e.get("content", [])]
    detail = e.get("summary_detail") or {}
    candidates.append((e.get("summary", ""), detail.get("language")))
    return max(candidates, key=lambda c: len(c[0] or ""))


def _struct_to_datetime(value: Any, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError):
        return None
    return None if when > now + _FUTURE_TOLERANCE else when


def _title_type(element: Any) -> str:
    """How feedparser says a title is written (text/plain, text/html, application/xhtml+xml)."""
    detail = element.get("title_detail") or {}
    return str(detail.get("type") or "text/plain")


def _is_cdf(content: bytes) -> bool:
    """A Channel Definition Format document (root <CHANNEL>), which feedparser reads but gives no version."""
    try:
        for _, element in etree.iterparse(io.BytesIO(content), events=("start",), resolve_entities=False,
                                          no_network=True, huge_tree=False):
            return etree.QName(element).localname.lower() == "channel"
    except etree.LxmlError:
        return False
    return False


def _title_from_text(html: str) -> str:
    text = html_to_text(html)
    return (text[:80] + "…") if len(text) > 80 else text or "(untitled)"


def _unique(entries: Any) -> list[Entry]:
    # Some feeds repeat an item; the first occurrence wins so ids stay unique within a document.
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.id, entry)
    return list(seen.values())


def _looks_like_json(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _parse_json_feed(content: bytes, content_type: str, source_name: str, base_url: str,
                     now: datetime) -> ParsedFeed:
    # feedparser 6.0 reads no JSON Feed (https://www.jsonfeed.org/version/1.1/), so map it here.
    try:
        data = json.loads(decode_text(content, content_type))
    except json.JSONDecodeError as exc:
        raise ParseError(f"not a feed (invalid JSON: {exc})") from exc
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise ParseError("not a feed (JSON without a jsonfeed.org version)")
    language = normalise_language(data.get("language"))
    entries = []
    for item in data.get("items") or []:
        if not isinstance(item, dict):
            continue
        url = str(item.get("url") or item.get("external_url") or "")
        raw_title = str(item.get("title") or "").strip()
        # JSON Feed titles are plain text by the spec, yet publishers put entities and tags in them.
        title = title_text(raw_title, "guess")
        html = str(item.get("content_html") or item.get("content_text") or item.get("summary") or "")
        published = _iso_to_datetime(item.get("date_published") or item.get("date_modified"), now)
        guid = str(item.get("id") or "")
        author = (item.get("authors") or [item.get("author") or {}])[0]
        key, previous = _entry_key(guid or url, raw_title, published.isoformat() if published else "", html,
                                   previous=raw_title)
        entries.append(Entry(
            id=entry_id(source_name, key),
            previous_id=entry_id(source_name, previous) if previous else None,
            source=source_name,
            guid=guid,
            **link_fields(url),
            title=title.text or _title_from_text(html),
            title_html=title.html if title.text else None,
            author=author.get("name") if isinstance(author, dict) else None,
            published=published,
            feed_html=html,
            language=normalise_language(item.get("language")) or language,
        ))
    return ParsedFeed(title=title_text(str(data.get("title") or ""), "guess").text,
                      link=str(data.get("home_page_url") or base_url), language=language,
                      entries=tuple(_unique(entries)), format="json1")


def iso_datetime(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from a JSON document (trailing Z allowed, naive means UTC) in UTC, else None."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _iso_to_datetime(value: Any, now: datetime) -> datetime | None:
    when = iso_datetime(value)
    return None if when is None or when > now + _FUTURE_TOLERANCE else when
