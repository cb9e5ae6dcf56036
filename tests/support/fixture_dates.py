"""Dated test data on any day: move the dates written in a feed (or changelog) relative to the real clock.

A run on the real clock (a `techwatch` subprocess, or a library call that takes no `now`) judges
dates against today: an item from a fixed week becomes stale, too old or "in the future". Tests that
need that clock move their data's dates instead: by whole weeks (weekdays and ISO weeks kept, so a
digest of "the fixtures' week" holds the same items) or so that the newest item is an hour old.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

# Every item in tests/fixtures/feeds is dated Mon 23 - Thu 26 November 2026: ISO week 2026-W48.
FIXTURE_WEEK = "2026-W48"
FIXTURE_MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
FIXTURE_NEWEST = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # regulation_fr.atom's last entry
# Just after the newest fixture item: the `now` of a library call that should see the fixtures as fresh.
FIXTURE_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

_RFC822 = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} "
                     r"(?:GMT|[+-]\d{4})")
_ISO_TIME = re.compile(r"\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w:-])")


def week_label(moment: datetime) -> str:
    """The ISO week of `moment`, as `--week` takes it (2026-W48)."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def last_monday(now: datetime | None = None) -> datetime:
    """Midnight UTC on the Monday of the last complete ISO week before `now` (the week a Monday digest covers)."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=today.weekday(), weeks=1), datetime.min.time(), UTC)


def weeks_back(now: datetime | None = None) -> timedelta:
    """Whole weeks that move FIXTURE_WEEK onto the last complete ISO week before `now`."""
    return last_monday(now) - FIXTURE_MONDAY


def recent(now: datetime | None = None) -> timedelta:
    """The shift that makes the fixtures' newest item an hour old at `now`: a source that is fresh, not stale."""
    return (now or datetime.now(UTC)) - timedelta(hours=1) - FIXTURE_NEWEST


def _iso_time(match: re.Match, shift: timedelta) -> str:
    when = datetime.fromisoformat(match.group(1) + ("+00:00" if match.group(3) == "Z" else match.group(3)))
    return f"{when + shift:%Y-%m-%dT%H:%M:%S}{match.group(2) or ''}{match.group(3)}"


def _iso_date(match: re.Match, shift: timedelta) -> str:
    try:
        day = date.fromisoformat(match.group(0))
    except ValueError:  # e.g. a version number that looks like a date but is not one
        return match.group(0)
    return (datetime.combine(day, datetime.min.time(), UTC) + shift).date().isoformat()


def shift_text(text: str, shift: timedelta, *, dates: bool = False) -> str:
    """`text` with every RFC 822 date and ISO 8601 time in it moved by `shift` (and bare ISO dates, with `dates`)."""
    moved = _RFC822.sub(lambda m: _move_rfc822(m.group(0), shift), text)
    moved = _ISO_TIME.sub(lambda m: _iso_time(m, shift), moved)
    return _ISO_DATE.sub(lambda m: _iso_date(m, shift), moved) if dates else moved


def shift_bytes(data: bytes, shift: timedelta, *, dates: bool = False) -> bytes:
    """shift_text over a document's bytes, whatever their encoding: the dates are ASCII, the other bytes kept."""
    return shift_text(data.decode("latin-1"), shift, dates=dates).encode("latin-1")


def _move_rfc822(text: str, shift: timedelta) -> str:
    moved = parsedate_to_datetime(text) + shift
    return format_datetime(moved.astimezone(UTC), usegmt=True) if text.endswith("GMT") else format_datetime(moved)
