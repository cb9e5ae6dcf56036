"""HTML fragments from feeds -> plain text (lxml only, so that parsing a feed stays light)."""

from __future__ import annotations

import html as htmlmod
import re

import lxml.html
from lxml.etree import ParserError

from .textsafe import UNSAFE_CHARACTERS, strip_controls

__all__ = ["html_to_text", "strip_tree", "tidy"]

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "pre", "table", "tr", "section", "article", "header", "footer", "figure", "figcaption", "dd", "dt"}
_DROP_TAGS = ("script", "style", "noscript", "iframe", "svg", "form", "button")
# lxml parses <embed> and <object> as containers, so an unclosed one swallows the rest of the fragment:
# only the tags go, their text stays (as feedparser's sanitizer does; <object> text is fallback content).
_UNWRAP_TAGS = ("object", "embed", "param")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROLS = re.compile(f"[{UNSAFE_CHARACTERS}]")
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));?")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment from a feed, paragraphs kept as blank-line breaks."""
    # lxml refuses text with NUL or C0 control characters (other than tab/newline); feeds do contain them.
    fragment = strip_controls(fragment or "")
    if not fragment.strip():
        return ""
    if "<" not in fragment:
        return tidy(_unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return tidy(_unescape(re.sub(r"<[^>]+>", " ", fragment)))
    # "&#27;" parses to an ESC, which lxml then refuses in the text set below
    if "&#" in fragment and _has_controls(root.text_content()):
        strip_tree(root)
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    for wrapper in list(root.iter(*_UNWRAP_TAGS)):
        wrapper.drop_tag()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n\n" + (element.text or "")
        elif isinstance(element.tag, str) and element.tag.lower() in ("td", "th"):
            element.tail = " " + (element.tail or "")
    # Some feeds double-escape entities inside CDATA; unescape what lxml left behind.
    return tidy(_unescape(root.text_content()))


def strip_tree(tree: lxml.html.HtmlElement) -> None:
    """Control characters out of a parsed document: a character reference ("&#27;") parses to one."""
    for element in tree.iter():
        if element.text and _has_controls(element.text):
            element.text = strip_controls(element.text)
        if element.tail and _has_controls(element.tail):
            element.tail = strip_controls(element.tail)
        for key, value in element.attrib.items():
            if _has_controls(value):
                element.attrib[key] = strip_controls(value)


def _has_controls(text: str) -> bool:
    return _CONTROLS.search(text) is not None


def _unescape(text: str) -> str:
    """html.unescape, except that a reference to a control character takes its whole escape sequence with it.

    html.unescape drops "&#27;" but keeps the "[2J" after it; as the character itself, strip_controls
    removes the sequence.
    """
    if "&#" in text:
        text = strip_controls(_CHARACTER_REFERENCE.sub(_control_character, text))
    return htmlmod.unescape(text)


def _control_character(match: re.Match[str]) -> str:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    return chr(code) if code < 0x20 or code == 0x7F else match.group()


def tidy(text: str) -> str:
    """Text with controls dropped, spaces collapsed within lines and blank-line runs made one break."""
    # After unescaping: "&#27;[2J" in a page or feed is an escape sequence too.
    text = strip_controls(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
