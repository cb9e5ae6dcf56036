""""layout changed?": a listing page that suddenly gives no articles, or many times its usual count.

A site redesign can turn a listing into a link farm (every archive, tag and footer link looks like an
article) or into a page where nothing is found. Either way the entries of that poll are not added: the
poll is recorded as a warning, with the counts, until the page gives a usual count again or feeds.yaml
says which elements are the articles (`item:`).
"""

from __future__ import annotations

from statistics import median_low

from ..records import Source

LAYOUT_CHANGED = "layout changed?"  # how the warning starts, in `run`, the archive and the digest
RECENT_COUNTS = 5  # accepted listing counts remembered per source; the usual count is their median
FLOOD_FACTOR = 3  # a listing this many times its usual count...
FLOOD_MIN_EXTRA = 20  # ...and this many entries more is a flood


def usual_count(counts: tuple[int, ...]) -> int | None:
    """The usual number of articles of a listing: the median of its recent accepted counts (None before any)."""
    return median_low(counts) if counts else None


def remembered(counts: tuple[int, ...], count: int) -> tuple[int, ...]:
    """The recent counts once this poll's `count` is accepted."""
    return (*counts, count)[-RECENT_COUNTS:]


def flood(source: Source, count: int, counts: tuple[int, ...]) -> str | None:
    """The warning when `count` is many times the usual count, or None (also when feeds.yaml names the items)."""
    usual = usual_count(counts)
    if usual is None or (source.page is not None and source.page.item):
        return None
    if count > FLOOD_FACTOR * usual and count >= usual + FLOOD_MIN_EXTRA:
        return (f"{LAYOUT_CHANGED} the listing gave {count} links, usually {usual}: nothing added; "
                "check the page, or set item: (a CSS selector or XPath of the articles) on the source")
    return None


def vanished(counts: tuple[int, ...], reason: str) -> str | None:
    """The warning when a listing that gave articles gives none now (`reason` says why), or None."""
    usual = usual_count(counts)
    if not usual:
        return None
    return f"{LAYOUT_CHANGED} the listing gave no articles (usually {usual}): {reason}"
