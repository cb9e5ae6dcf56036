"""What a listing page names: an article (address, title, date), and the dates listings write in text and URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10,
    "novembre": 11, "décembre": 12, "decembre": 12, "déc": 12,
    "januar": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7, "oktober": 10, "okt": 10,
    "dezember": 12, "dez": 12,
}
_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
DATE_PATTERNS = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), "ymd"),
    (re.compile(rf"\b(\d{{4}})\s+({_MONTH})\.?\s+(\d{{1,2}})\b", re.I), "ymd-name"),
    (re.compile(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)?\.?\s+({_MONTH})\.?,?\s+(\d{{4}})\b", re.I), "dmy"),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "mdy"),
    (re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b"), "numeric"),
    (re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b"), "ymd"),
)
URL_DATE = re.compile(r"/(20\d\d|19\d\d)[/-](\d{1,2})[/-](\d{1,2})(?:[/-]|$)")


@dataclass(frozen=True)
class ListedArticle:
    """One article a listing page links to: its address, the title and date the listing shows."""

    url: str
    title: str
    published: date | None


def parse_date(text: str, lang: str = "") -> date | None:
    """The first calendar date written in `text` (ISO, English/French/German month names, numeric), or None."""
    best: tuple[int, date] | None = None
    for pattern, order in DATE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        a, b, c = match.groups()
        try:
            if order == "ymd":
                value = date(int(a), int(b), int(c))
            elif order == "ymd-name":
                value = date(int(a), MONTHS[b.lower()], int(c))
            elif order == "dmy":
                value = date(int(c), MONTHS[b.lower()], int(a))
            elif order == "mdy":
                value = date(int(c), MONTHS[a.lower()], int(b))
            else:  # numeric: day first unless the page is American English and the order says otherwise
                day, month = (int(a), int(b)) if lang != "en" or int(b) > 12 else (int(b), int(a))
                if int(a) > 12:
                    day, month = int(a), int(b)
                value = date(int(c), month, day)
        except (ValueError, KeyError):
            continue
        if 1990 <= value.year <= 2100 and (best is None or match.start() < best[0]):
            best = (match.start(), value)
    return best[1] if best else None


def url_date(url: str) -> date | None:
    """A date written in an article's address (/2024/05/01/ or /2024-5-1-slug), or None."""
    match = URL_DATE.search(urlsplit(url).path)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
