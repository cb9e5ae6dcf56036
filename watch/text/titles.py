"""Titles as text: a title the feed gives as HTML is shown with its tags removed and entities decoded."""

from __future__ import annotations

from dataclasses import dataclass

from feedparser.mixin import _FeedParserMixin

from .htmltext import html_to_text
from .textsafe import one_line

__all__ = ["HTML_TYPES", "Title", "looks_like_html", "title_text"]

# feedparser's title_detail.type for Atom type="html" / type="xhtml", and for RSS titles it guessed are HTML.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


@dataclass(frozen=True)
class Title:
    """A title as one line of text, and the markup it was given as (None when it had none)."""

    text: str
    html: str | None = None


def looks_like_html(value: str) -> bool:
    """feedparser's own guess (RSS titles): a closing tag or an entity, and only known HTML tags and entities.

    Conservative on purpose: "Why a < b matters" or "C++ & Rust" are text.
    """
    return bool(value) and _FeedParserMixin.looks_like_html(value)


def title_text(value: str | None, content_type: str = "text/plain") -> Title:
    """The title `value` as text: HTML (by `content_type`, or "guess" for formats that do not say) loses
    its tags, entities and whitespace runs; plain text stays as it is, made one line."""
    raw = value or ""
    is_html = content_type in HTML_TYPES or (content_type == "guess" and looks_like_html(raw))
    if not is_html:
        return Title(one_line(raw))
    text = one_line(html_to_text(raw))
    original = one_line(raw)
    return Title(text, original if original != text else None)
