"""Article pages: the extracted text and the page cache's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ArticleText = tuple[str, str, str | None]  # an archived item as a model reads it: title, article text, language


@dataclass(frozen=True)
class Article:
    """Clean text of an item, from the feed content or its extracted page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    sitename: str | None = None
    from_page: bool = False
    canonical_url: str | None = None  # the page's <link rel="canonical"> (or og:url), normalised


@dataclass(frozen=True)
class CachedPage:
    """An article page fetched once: its extracted article, or why there is none."""

    url: str
    status: int | None
    article: Article | None
    error: str | None = None

