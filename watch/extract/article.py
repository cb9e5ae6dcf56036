"""HTML -> clean text: feed content fragments and full article pages (trafilatura)."""

from __future__ import annotations

from datetime import UTC, datetime

import trafilatura
from trafilatura.settings import Document

from ..dedup import canonical_url
from ..records import Article
from ..text.htmltext import html_to_text, strip_tree, tidy
from ..text.textsafe import one_line
from .lang import detect_language, normalise_language

__all__ = ["EXCERPT_CHARS", "article_from_feed", "extract_article", "html_to_text"]

# Text shorter than this from a feed is an excerpt: worth fetching the page for.
EXCERPT_CHARS = 500


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
    strip_tree(tree)
    # bare_extraction copies a tree it is given, so one parse serves both passes.
    precise = trafilatura.bare_extraction(tree, url=url, with_metadata=True, favor_precision=True, **_OPTIONS)
    broad = trafilatura.bare_extraction(tree, url=url, with_metadata=precise is None, favor_recall=True, **_OPTIONS)
    text = tidy(_pick_text(precise, broad))
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


def _pick_text(precise: Document | None, broad: Document | None) -> str:
    """The precision-mode text, unless recall mode found several times more (see _PRECISE_SHARE)."""
    narrow = (precise.text or "") if precise is not None else ""
    wide = (broad.text or "") if broad is not None else ""
    return narrow if narrow.strip() and len(narrow) >= _PRECISE_SHARE * len(wide) else wide


def article_from_feed(fragment: str, language: str | None) -> Article:
    """Article built from the feed's own content (no page fetch)."""
    text = html_to_text(fragment)
    return Article(text=text, language=language or detect_language(text), from_page=False)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
