"""Render a Digest as Markdown, email-safe HTML or plain text, and past digests as an Atom feed."""

from __future__ import annotations

import dataclasses
import functools
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from ..records import Digest, DigestItem, DigestRecord, DigestSection, TagTrend
from ..text.textsafe import one_line, strip_controls

FORMATS = ("md", "html", "text")
# Built-in template of each format; a user folder may hold digest.<format>.j2 (or this name) to replace it.
TEMPLATES = {"md": "digest.md.j2", "html": "digest.html.j2", "text": "digest.txt.j2"}
WIDTH = 78  # plain-text line width
MATTERS_LABEL = "Why it matters (written by the model):"  # a lead story's line from the summarizer server

# Characters that would change the meaning of Markdown text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|!~])")
_HTTP_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$", re.IGNORECASE)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)
_ATOM = "http://www.w3.org/2005/Atom"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def md_escape(text: str) -> str:
    """Escape feed text (untrusted) so that it renders literally in Markdown, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(str(text)))


def safe_url(url: str) -> str:
    """The URL if it is http(s) and safe inside a Markdown link or an HTML attribute, else ''."""
    url = (url or "").strip()
    if not _HTTP_URL.match(url):
        return ""
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def clean_text(text: str) -> str:
    """Feed text without escape sequences, control characters and bidi overrides (newlines and tabs kept)."""
    # They break XML and terminals, and bidi overrides make text read differently from what it is.
    return strip_controls(str(text))


def trend(line: TagTrend) -> str:
    """A tag's change against the previous period: '+40%', '-25%', '±0%', or 'new' when it had nothing."""
    change = line.change
    if change is None:
        return "new"
    percent = round(change * 100)
    return "±0%" if percent == 0 else f"{percent:+d}%"


def trend_line(trends: Sequence[TagTrend]) -> str:
    """Top tags on one line: 'agents 12 (+40%) · llm 9 (-25%) · regulation 3 (new)'."""
    return " · ".join(f"{t.tag} {t.count} ({trend(t)})" for t in trends)


def item_sources(item: DigestItem) -> tuple[str, ...]:
    """Every source of a story, or the item's own source when stories were not merged."""
    return tuple(item.sources) or ((item.source,) if item.source else ())


def render_explain(digest: Digest) -> str:
    """Every story of the digest's period with its score terms and where it went (`digest --explain`)."""
    floor = f"; relevance floor {digest.relevance_floor:.2f}" if digest.relevance_floor else ""
    lines = [f"{digest.title}: {len(digest.ranking)} stories ranked by score = coverage + relevance + recency{floor}",
             f"{'#':>3}  {'score':>5} = {'cov':>4} + {'rel':>4} + {'rec':>4}  {'placement':<9}  story"]
    for rank, ranked in enumerate(digest.ranking, 1):
        s = ranked.score
        story = ranked.story
        sources = ", ".join(item_sources(story))
        lines.append(f"{rank:>3}  {s.total:5.2f} = {s.coverage:4.2f} + {s.relevance:4.2f} + {s.recency:4.2f}  "
                     f"{ranked.placement:<9}  {_cut(one_line(story.title), 90)} ({_cut(one_line(sources), 60)})")
        lines.append(f"{'':>44}{one_line(ranked.reason)}")
    return "\n".join(lines) + "\n"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def also_groups(digest: Digest) -> tuple[DigestSection, ...]:
    """The one-line mentions grouped by tag; one untitled group for a digest built without groups."""
    if digest.also_sections:
        return digest.also_sections
    return (DigestSection(tag="", description="", items=digest.also),) if digest.also else ()


def render(digest: Digest, fmt: str, templates: Path | None = None) -> str:
    """Render `digest` as `fmt` (one of FORMATS), with `templates/digest.<fmt>.j2` replacing the built-in one."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown digest format {fmt!r}: use one of {', '.join(FORMATS)}")
    names = list(dict.fromkeys((f"digest.{fmt}.j2", TEMPLATES[fmt])))
    template = _environment(fmt, templates).select_template(names)
    text = template.render(digest=_clean(digest), width=WIDTH)
    if fmt == "html":
        # Blank lines left by template tags only weigh on the mail size.
        return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()) + "\n"
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_atom(records: Sequence[DigestRecord], *, feed_id: str, title: str = "techwatch digests",
                self_url: str | None = None, html_suffix: str | None = None) -> str:
    """An Atom 1.0 feed of past digests, newest first, one entry per digest with its HTML as content.

    With `html_suffix` (".html": the HTML digests are written next to the feed), each entry links to its
    page (`<link rel="alternate" href="2026-W48.html">`, relative to the feed, as RFC 4287 allows) and the
    feed to the newest one, so feed readers open the digest itself.
    """
    ordered = sorted(records, key=lambda r: (_utc(r.written_at), r.label), reverse=True)
    # Unprefixed names under a default xmlns: no global ET.register_namespace needed.
    feed = ET.Element("feed", xmlns=_ATOM)
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(feed, "updated", _rfc3339(_utc(ordered[0].written_at) if ordered else _EPOCH))
    if self_url and safe_url(self_url):
        ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url.strip())
    if html_suffix and ordered:
        ET.SubElement(feed, "link", rel="alternate", type="text/html", href=_page(ordered[0].label, html_suffix))
    _sub(ET.SubElement(feed, "author"), "name", "techwatch")
    _sub(feed, "generator", "techwatch")
    for record in ordered:
        entry = ET.SubElement(feed, "entry")
        _sub(entry, "id", f"{feed_id}:{record.label}")
        _sub(entry, "title", record.title)
        _sub(entry, "updated", _rfc3339(_utc(record.written_at)))
        if html_suffix:
            ET.SubElement(entry, "link", rel="alternate", type="text/html", href=_page(record.label, html_suffix))
        _sub(entry, "summary", _summary(record.text), type="text")
        _sub(entry, "content", _body(record.html), type="html")
    ET.indent(feed, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


@functools.lru_cache(maxsize=16)
def _environment(fmt: str, templates: Path | None) -> jinja2.Environment:
    # Cached: compiled templates are kept; FileSystemLoader still notices a user template edited on disk.
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("watch.digest", "templates")]
    if templates is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(templates)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=fmt == "html",  # Markdown escapes with the md filter; plain text has no markup
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["matters_label"] = MATTERS_LABEL
    env.filters.update(md=md_escape, safe_url=safe_url, day=_day, last_day=_last_day, trend=trend, trends=trend_line,
                       sources=item_sources, wrap=_wrap, plural=_plural, also_groups=also_groups)
    return env


def _clean(value: Any) -> Any:
    """A copy of the digest with every string passed through clean_text."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def _last_day(end: datetime) -> str:
    # Periods are half-open [start, end): the last day shown is the one before `end` at midnight.
    return _day(end - timedelta(microseconds=1))


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _wrap(text: str, indent: str = "", first: str | None = None, width: int = WIDTH) -> str:
    """Plain text wrapped at `width`, one paragraph, every line after the first indented."""
    return textwrap.fill(" ".join(str(text).split()), width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) or indent


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rfc3339(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = clean_text(text)  # control characters are not allowed in XML at all
    return element


def _page(label: str, suffix: str) -> str:
    """The relative address of a digest's page; a label is a week or a date range, never a path."""
    return quote(label.replace("/", "-"), safe="-_.~") + suffix


def _summary(text: str, lines: int = 10, limit: int = 600) -> str:
    """The first lines of a plain-text digest (its header and first story), for feed readers' previews."""
    kept = [line.rstrip() for line in clean_text(text).splitlines() if not re.fullmatch(r"\s*[=-]+\s*", line)]
    summary = re.sub(r"\n{3,}", "\n\n", "\n".join(kept[:lines])).strip()
    return summary if len(summary) <= limit else summary[: limit - 1].rstrip() + "…"


def _body(html: str) -> str:
    # Feed readers show a fragment: the document's <body>, without the email's <head> and <style>.
    match = _BODY.search(html)
    return (match.group(1) if match else html).strip()
