"""HTML -> clean text: feed content fragments and full article pages (trafilatura)."""

from __future__ import annotations

import html as htmlmod
import re
from datetime import UTC, datetime

import lxml.html
import trafilatura
from lxml.etree import ParserError
from trafilatura.settings import Document

from .dedup import canonical_url
from .lang import detect_language, normalise_language
from .models import Article
from .textsafe import UNSAFE_CHARACTERS, one_line, strip_controls

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "pre", "table", "tr", "section", "article", "header", "footer", "figure", "figcaption", "dd", "dt"}
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "svg", "form", "button")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROLS = re.compile(f"[{UNSAFE_CHARACTERS}]")
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));?")

# Text shorter than this from a feed is an excerpt: worth fetching the page for.
EXCERPT_CHARS = 500


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment from a feed, paragraphs kept as blank-line breaks."""
    # lxml refuses text with NUL or C0 control characters (other than tab/newline); feeds do contain them.
    fragment = strip_controls(fragment or "")
    if not fragment.strip():
        return ""
    if "<" not in fragment:
        return _tidy(_unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return _tidy(_unescape(re.sub(r"<[^>]+>", " ", fragment)))
    # "&#27;" parses to an ESC, which lxml then refuses in the text set below
    if "&#" in fragment and _has_controls(root.text_content()):
        _strip_tree(root)
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n\n" + (element.text or "")
        elif isinstance(element.tag, str) and element.tag.lower() in ("td", "th"):
            element.tail = " " + (element.tail or "")
    # Some feeds double-escape entities inside CDATA; unescape what lxml left behind.
    return _tidy(_unescape(root.text_content()))


# Settings chosen on ../shared/corpus (benchmarks/extract_bench.py). deduplicate stays off: trafilatura's
# dedup is a process-wide cache, so a page extracted a third time (same story from several feeds, a
# re-fetch) would lose paragraphs or come back empty; cross-story duplicates are dedup.py's job.
_OPTIONS = {"include_comments": False, "include_tables": True, "include_formatting": False, "deduplicate": False}
# Precision mode drops boilerplate (captions, paywall and newsletter blurbs) but on a few layouts it
# keeps only a fragment of the article; when it holds less than this share of what recall mode
# finds, the recall text is used instead.
_PRECISE_SHARE = 0.3


def extract_article(page: bytes | str, url: str) -> Article | None:
    """Main text and metadata of an article page, or None when nothing usable is found."""
    tree = trafilatura.load_html(page)
    if tree is None:
        return None
    _strip_tree(tree)
    # bare_extraction copies a tree it is given, so one parse serves both passes.
    precise = trafilatura.bare_extraction(tree, url=url, with_metadata=True, favor_precision=True, **_OPTIONS)
    broad = trafilatura.bare_extraction(tree, url=url, with_metadata=precise is None, favor_recall=True, **_OPTIONS)
    text = _tidy(_pick_text(precise, broad))
    document = precise if precise is not None else broad
    if document is None or not text:
        return None
    page_url = one_line(document.url)
    return Article(
        text=text,
        title=one_line(document.title) or None,
        author=one_line(document.author) or None,
        published=_parse_date(document.date),
        language=normalise_language(document.language) or detect_language(text),
        sitename=one_line(document.sitename) or None,
        from_page=True,
        # trafilatura reads <link rel="canonical"> (then og:url) into `url`, else echoes ours.
        canonical_url=canonical_url(page_url) if page_url else None,
    )


def _strip_tree(tree: lxml.html.HtmlElement) -> None:
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


def _pick_text(precise: Document | None, broad: Document | None) -> str:
    """The precision-mode text, unless recall mode found several times more (see _PRECISE_SHARE)."""
    narrow = (precise.text or "") if precise is not None else ""
    wide = (broad.text or "") if broad is not None else ""
    return narrow if narrow.strip() and len(narrow) >= _PRECISE_SHARE * len(wide) else wide


def article_from_feed(fragment: str, language: str | None) -> Article:
    """Article built from the feed's own content (no page fetch)."""
    text = html_to_text(fragment)
    return Article(text=text, language=language or detect_language(text), from_page=False)


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


def _tidy(text: str) -> str:
    # After unescaping: "&#27;[2J" in a page or feed is an escape sequence too.
    text = strip_controls(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
