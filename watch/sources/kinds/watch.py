"""kind: watch — one page whose content matters: an item each time its main text changes meaningfully.

The page's main text (trafilatura, as for articles) is compared line by line with the text of the last
poll, kept by the archive and given back as `previous`. Lines are compared after normalisation, so that
what changes on every visit does not count (the rules are `normalise_line`'s):

- whitespace: runs of spaces, blank lines and leading/trailing space;
- dates: ISO dates and times, numeric dates with a four-digit year (1/5/2024, 01.05.2024), dates with an
  English, French or German month name (May 3, 2024; 3 mai 2024; 3. Mai), optionally with a weekday;
- times of day (14:05, 2:05 pm, 14h05, with a time zone) and relative times (3 hours ago, il y a 2 jours);
- copyright years (© 2020-2025);
- counters: a number next to views, likes, comments, downloads, stars, followers... ("1.2k views",
  "Downloads last month 12,345", "3 500 vues").

Every other number counts: prices, limits, quotas, versions. A line left empty by the rules (a lone
date) is dropped. The first poll records a baseline and makes no item.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from datetime import UTC, datetime
from html import escape, unescape

import lxml.html
from lxml.etree import ParserError

from ...dedup import entry_id
from ...errors import ParseError
from ...extract.article import extract_article, html_to_text
from ...records import Entry, ParsedFeed, Source, Summary
from ...text.htmltext import tidy
from ...text.textsafe import one_line
from ..jsshell import javascript_shell
from ..releases import decode
from .base import SourceKind

# What an item's text shows of a change: enough to read it, not a whole rewritten page.
MAX_DIFF_LINES = 120
MAX_DIFF_CHARS = 12_000
SUMMARY_CHARS = 300
CHANGES_SUMMARIZER = "page-changes"  # the model name of the summaries this kind writes
# Marks the feed_html written here, so that own_summary reads back exactly the diff it was given.
_DIFF_OPEN = '<pre class="techwatch-changes">'

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|"
           "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|"
           "décembre|decembre|janv|févr|fevr|avr|juil|déc|"
           "januar|februar|märz|maerz|juni|juli|oktober|dezember|okt|dez")
_WEEKDAYS = ("monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|"
             "sat|sun|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|"
             "donnerstag|freitag|samstag|sonntag")
_DAY = r"\d{1,2}(?:st|nd|rd|th|er|\.)?"
_NUMBER = r"\d(?:[\d,.]|[\u00a0\u202f ](?=\d{3}\b))*(?:\s?[kKmM]\b)?\+?"
_COUNTED = ("views?|likes?|comments?|replies|reply|shares?|downloads?|stars?|followers?|subscribers?|"
            "reads?|reactions?|upvotes?|votes?|forks?|watchers?|claps?|retweets?|reposts?|"
            "vues?|commentaires?|réponses?|partages?|abonnés?|téléchargements?|j'aime|"
            "aufrufe|kommentare")
_PATTERNS: tuple[tuple[str, str], ...] = (
    # ISO 8601 dates and date-times: 2024-05-01, 2024-05-01T14:05:00Z
    (r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b", "<date>"),
    # numeric dates with a four-digit year (a version such as 1.10.12 is content): 1/5/2024, 2024/05/01
    (r"\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b|\b\d{4}/\d{1,2}/\d{1,2}\b", "<date>"),
    # month-name dates, with or without weekday, day and year: Mon, May 3, 2024 / 3 mai 2024 / 3. Mai
    (rf"\b(?:(?:{_WEEKDAYS})\.?,?\s+)?(?:{_DAY}\s+(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
     rf"|(?:{_MONTHS})\.?\s+(?:{_DAY}(?:,?\s+\d{{4}})?|\d{{4}}))(?!\w)", "<date>"),
    # times of day, with seconds, am/pm and a zone: 14:05, 2:05 pm, 14:05:09 UTC, 14h05
    (r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s*(?:UTC|GMT|[A-Z]{2,4}T)\b)?|\b\d{1,2}h\d{2}\b", "<time>"),
    # relative times: 3 hours ago, il y a 2 jours, vor 5 Minuten, just now, yesterday
    (r"\b\d+\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b"
     r"|\b(?:il y a|vor)\s+\d+\s+\w+|\b(?:just now|yesterday|today|hier|aujourd'hui|gestern|heute)\b", "<time>"),
    (r"©\s*\d{4}(?:\s*[-–]\s*\d{4})?", "©"),
    # counters, number first or after the word: 1.2k views, 3 500 vues, Downloads last month 12,345
    (rf"(?<![\w.,]){_NUMBER}\s*(?:{_COUNTED})\b", "<n> counter"),
    (rf"\b(?:{_COUNTED})(?:\s+last\s+(?:month|week))?\s*:?\s*{_NUMBER}(?![\w.,])", "counter <n>"),
)
_RULES = tuple((re.compile(pattern, re.IGNORECASE), mark) for pattern, mark in _PATTERNS)
_SPACES = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*(?:[-*•]\s+)?")  # trafilatura writes list items as "- item"


def normalise_line(line: str) -> str:
    """A line as it is compared: dates, times and counters replaced by placeholders, spaces collapsed."""
    for pattern, mark in _RULES:
        line = pattern.sub(mark, line)
    line = _SPACES.sub(" ", line).strip()
    # A line that is nothing but dates and times (a "last updated" stamp) says nothing.
    return line if re.search(r"\w", line.replace("<date>", "").replace("<time>", "")) else ""


class Watch(SourceKind):
    """A page at a `url` whose main text matters (pricing, model card, terms, "What's new")."""

    name = "watch"
    releases = False
    renders = True

    @property
    def default_extract(self) -> str:
        """Never: the item's text is the change itself, and the page was just read."""
        return "never"

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """The page read without a previous text: a baseline, no item."""
        return self.compare(source, content, base_url, now, None)

    def parse(self, source: Source, content: bytes, *, base_url: str, content_type: str = "",
              now: datetime | None = None, previous: str | None = None) -> ParsedFeed:
        """One item when the page's text changed meaningfully since `previous`, none otherwise."""
        return self.compare(source, content, base_url, now, previous)

    def compare(self, source: Source, content: bytes, base_url: str, now: datetime | None,
                previous: str | None) -> ParsedFeed:
        """The page's text (kept as `state`) and, against `previous`, the item of its change if any."""
        page = base_url.split("#")[0]
        html = decode(content)
        article = extract_article(html, page)
        # trafilatura finds no main text on some card layouts (pricing grids): the whole page's text then.
        text = tidy(article.text if article is not None else html_to_text(html))
        if not text:
            shell = None if source.render else javascript_shell(html)
            raise ParseError(f"no text found on the page: nothing to watch; the page is rendered by JavaScript "
                             f"({shell}): set render: chromium on the source" if shell else
                             "no text found on the page: nothing to watch (is it rendered by JavaScript?)")
        title = (article.title if article is not None else None) or source.name
        feed = ParsedFeed(title=title, link=page, language=None, entries=(), format="watch", state=text)
        if previous is None:
            return feed
        change = _change(previous, text, _headings(html))
        if change is None:
            return feed
        added, removed, heading, diff = change
        digest = hashlib.sha256("\n".join(_compared(text)[0]).encode()).hexdigest()[:16]
        url = f"{page}#change-{digest[:12]}"
        counts = (f"{_lines(added)} added, {removed} removed" if added and removed
                  else f"{_lines(added)} added" if added else f"{_lines(removed)} removed")
        entry = Entry(
            id=entry_id(source.name, f"{page}\x1f{digest}"), source=source.name, guid=f"change:{digest}",
            url=url, canonical_url=url,
            title=f"{source.name} changed: {heading} — {counts}" if heading else f"{source.name} changed: {counts}",
            author=None, published=now or datetime.now(UTC), feed_html=f"{_DIFF_OPEN}{escape(diff)}</pre>")
        return ParsedFeed(title=title, link=page, language=None, entries=(entry,), format="watch", state=text)

    def own_summary(self, feed_html: str) -> Summary | None:
        """What changed, from the item's diff: the first lines added, and those removed."""
        if not (feed_html.startswith(_DIFF_OPEN) and feed_html.endswith("</pre>")):
            return None
        lines = unescape(feed_html[len(_DIFF_OPEN):-len("</pre>")]).splitlines()
        added = [_BULLET.sub("", line[1:]) for line in lines if line.startswith("+")]
        removed = [_BULLET.sub("", line[1:]) for line in lines if line.startswith("-")]
        parts = ([f"Added: {'; '.join(added)}"] if added else []) + ([f"Removed: {'; '.join(removed)}"]
                                                                      if removed else [])
        text = one_line(". ".join(parts))
        if len(text) > SUMMARY_CHARS:
            text = text[:SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
        return Summary(text, CHANGES_SUMMARIZER) if text else None


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"


def _compared(text: str) -> tuple[list[str], list[str]]:
    """(normalised, original) lines of a text, without the lines the rules leave empty."""
    pairs = [(normalise_line(line), line.strip()) for line in text.splitlines()]
    kept = [(norm, line) for norm, line in pairs if norm]
    return [norm for norm, _ in kept], [line for _, line in kept]


def _headings(html: str) -> set[str]:
    """The text of the page's h1-h6 headings, to name the section a change is in."""
    try:
        root = lxml.html.fromstring(html)
    except (ParserError, ValueError):
        return set()
    return {one_line(h.text_content()) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")} - {""}


def _change(previous: str, text: str, headings: set[str]) -> tuple[int, int, str | None, str] | None:
    """(lines added, lines removed, first changed section's heading, diff text), or None when nothing counts."""
    old_norm, old_lines = _compared(previous)
    new_norm, new_lines = _compared(text)
    matcher = difflib.SequenceMatcher(None, old_norm, new_norm, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(1))
    if not groups:
        return None
    added = removed = 0
    first_heading: str | None = None
    out: list[str] = []
    for group in groups:
        # The heading above the hunk's first change, in the new text (where a reader finds it).
        start = next(j1 for tag, _, _, j1, _ in group if tag != "equal")
        heading = next((new_lines[j] for j in range(min(start, len(new_lines) - 1), -1, -1)
                        if new_lines[j] in headings), None)
        first_heading = first_heading or heading
        out.append(f"@@ {heading}" if heading else "@@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [f" {line}" for line in old_lines[i1:i2]]
                continue
            out += [f"-{line}" for line in old_lines[i1:i2]]
            out += [f"+{line}" for line in new_lines[j1:j2]]
            removed += i2 - i1
            added += j2 - j1
    diff = "\n".join(out)
    if len(out) > MAX_DIFF_LINES or len(diff) > MAX_DIFF_CHARS:
        shown = "\n".join(out[:MAX_DIFF_LINES])[:MAX_DIFF_CHARS].rsplit("\n", 1)[0]
        diff = f"{shown}\n… (the rest of the change is not shown: {added} lines added, {removed} removed in all)"
    return added, removed, first_heading, diff
