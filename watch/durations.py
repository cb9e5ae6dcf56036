"""The one grammar for the durations a user types: feeds.yaml intervals and retention, --since, --poll-every.

A duration is one or more whole numbers, each followed by a unit, largest unit first and each unit once:

    s   seconds        h   hours          w   weeks (7 days)       y   years (365 days)
    m   minutes        d   days           mo  months (30 days)

e.g. 90s, 30m, 6h, 1h30m, 7d, 2w, 6mo, 1y, 1y6mo. Case and spaces do not matter ("1h 30m", " 6H ").
`m` is always minutes; months are `mo`. A number without a unit is never guessed (minutes? days?):
each caller says what to write instead, so `NoUnitError` is raised apart from the other errors.

`parse_duration` is the grammar; the wrappers below add what their caller needs: the range of an
interval, retention in whole days, the reach of a --since window.
"""

from __future__ import annotations

import re
from datetime import timedelta

from .text.values import describe

__all__ = [
    "FOREVER",
    "MAX_INTERVAL_SECONDS",
    "MIN_INTERVAL_SECONDS",
    "UNITS_HELP",
    "UNIT_SECONDS",
    "DurationError",
    "NoUnitError",
    "NotADurationError",
    "format_duration",
    "parse_duration",
    "parse_interval",
    "parse_lookback",
    "parse_retention",
]

DAY = 86400
# Largest first: the order compound durations are written in ("1y6mo", "1h30m").
UNIT_SECONDS: dict[str, int] = {"y": 365 * DAY, "mo": 30 * DAY, "w": 7 * DAY, "d": DAY, "h": 3600, "m": 60, "s": 1}
UNITS_HELP = "s, m (minutes), h, d, w, mo (months of 30 days), y (365 days)"
_RANK = {unit: rank for rank, unit in enumerate(UNIT_SECONDS)}
# Spellings people type that are not units here: named in the error, never accepted (one way to write each).
_SPELLED_OUT = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "day": "d", "days": "d", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "mon": "mo", "mos": "mo", "mth": "mo", "month": "mo", "months": "mo",
    "yr": "y", "yrs": "y", "year": "y", "years": "y",
}
_PART = re.compile(r"([0-9]+)([a-z]+)")
_SHAPE = re.compile(r"(?:[0-9]+[a-z]+)+")
_NUMBER = re.compile(r"[0-9]+")
_FRACTION = re.compile(r"[0-9]*\.[0-9]+[a-z]*")

# Under a minute is impolite to servers; over a month means the source is effectively dead.
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 30 * DAY
# Retention: "forever" (the default for items) keeps everything.
FOREVER = "forever"
# A --since window reaching back further than this leaves the calendar's range: nobody means it.
_MAX_LOOKBACK_SECONDS = 1000 * 365 * DAY


class DurationError(ValueError):
    """A duration that does not follow the grammar; the message says why and what to write."""


class NoUnitError(DurationError):
    """A bare number such as '90': its caller says which readings make sense there."""


class NotADurationError(DurationError):
    """Text that is not even shaped like a duration (no number, or no unit after it): maybe something else."""


def compact(text: str) -> str:
    """`text` without spaces, in lower case: the form the grammar reads."""
    return "".join(text.split()).lower()


def parse_duration(text: str, *, noun: str = "duration", examples: str = "30m, 6h, 7d, 2w, 6mo, 1y",
                   example: str = "1h30m", also: str = "") -> int:
    """Seconds in a duration such as '90s', '30m', '6h', '7d', '2w', '6mo', '1y' or '1h30m'; DurationError if not one.

    `noun` and `examples` word the messages for the caller ('interval', '90s, 30m, 6h'); `example` is the
    compound form shown for misordered units; `also` names another accepted value ("'forever' or ").
    """
    if not isinstance(text, str):
        raise DurationError(f"expected text such as {examples}, got {describe(text)}")
    flat = compact(text)
    article = "an" if noun[:1] in "aeiou" else "a"
    if not flat:
        raise NotADurationError(f"the {noun} is empty; write e.g. {examples}")
    if _NUMBER.fullmatch(flat):
        raise NoUnitError(f"{text!r} has no unit: write e.g. {flat}m (minutes) or {flat}d (days); units: {UNITS_HELP}")
    if _FRACTION.fullmatch(flat):
        raise DurationError(f"{text!r}: use whole numbers, e.g. 1h30m rather than 1.5h")
    if not _SHAPE.fullmatch(flat):
        raise NotADurationError(f"{text!r} is not {article} {noun}: write {also}a whole number and a unit "
                                f"({UNITS_HELP}), e.g. {examples}")
    seconds, last_rank = 0, -1
    for number, unit in _PART.findall(flat):
        if unit not in UNIT_SECONDS:
            meant = _SPELLED_OUT.get(unit)
            hint = f"; write {number}{meant}" if meant else ""
            raise DurationError(f"{text!r} has an unknown unit {unit!r} (units: {UNITS_HELP}){hint}")
        # '30m1h' or '1h1h' are almost always typos; insisting on one spelling keeps files readable.
        if _RANK[unit] <= last_rank:
            raise DurationError(f"{text!r}: write units from largest to smallest, each once (e.g. {example})")
        last_rank = _RANK[unit]
        seconds += int(number) * UNIT_SECONDS[unit]
    return seconds


def format_duration(seconds: int) -> str:
    """The shortest spelling of `seconds` in the grammar, largest unit first: 5400 -> '1h30m', 0 -> '0s'."""
    parts = []
    for unit, size in UNIT_SECONDS.items():
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


# --------------------------------------------------------------------------------------------------
# What each caller needs


def parse_interval(text: str) -> int:
    """Seconds in a polling interval ('90s', '30m', '6h', '1d', '2w', '1h30m'), from 1 minute to 30 days."""
    if not isinstance(text, str):
        raise ValueError(f"expected text such as '6h' or '1h30m', got {describe(text)}")
    if not compact(text):
        raise ValueError("the interval is empty; write e.g. 30m, 6h or 1d")
    try:
        seconds = parse_duration(text, noun="interval", examples="90s, 30m, 6h, 1d, 1h30m")
    except NoUnitError:
        raise ValueError(_no_unit_message(compact(text))) from None
    if seconds == 0:
        raise ValueError(f"{text!r} is zero; to stop polling a source, set 'enabled: false'")
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"{text!r} is {seconds} seconds; the minimum is {MIN_INTERVAL_SECONDS} seconds (1m)")
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f"{text!r} is longer than the maximum of 30 days (30d)")
    return seconds


def _no_unit_message(number: str) -> str:
    """Why an interval without a unit is refused: minutes or seconds? The readings that are allowed, spelled out."""
    n = int(number)
    readings = []
    for unit, word in (("m", "minutes"), ("s", "seconds")):
        seconds = n * UNIT_SECONDS[unit]
        if MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
            spelled = format_duration(seconds)
            readings.append(f"{n}{unit} ({word}" + (f": {spelled})" if spelled != f"{n}{unit}" else ")"))
    suggestion = f"write {' or '.join(readings)}" if readings else "write a whole number and a unit"
    return f"{number!r} has no unit: {suggestion}; units: s, m, h, d, w (e.g. 30m, 6h, 1h30m)"


def parse_retention(text: str) -> int | None:
    """Days in a retention ('730d', '104w', '6mo', '2y', '1y6w'); 'forever' is None (keep everything)."""
    if not isinstance(text, str):
        raise ValueError(f"expected 'forever' or a duration such as 90d, 52w or 2y, got {describe(text)}")
    flat = compact(text)
    if flat == FOREVER:
        return None
    try:
        seconds = parse_duration(text, examples="90d, 52w, 6mo, 2y", example="1y6w", also="'forever' or ")
    except NoUnitError:
        raise ValueError(f"{text!r} has no unit: write e.g. {flat}d (days), or 'forever'") from None
    if seconds == 0:
        raise ValueError(f"{text!r} is zero; to keep everything, write 'forever'")
    if seconds % DAY:
        why = "retention is counted in whole days (d, w, mo, y)"
        if re.search(r"[0-9]m(?!o)", flat):  # most likely '6m' meant as months: say how months are written
            why += "; m is minutes, months are mo (6mo = 180 days)"
        raise ValueError(f"{text!r} is not a whole number of days: {why}")
    return seconds // DAY


def parse_lookback(text: str) -> timedelta:
    """How far back a --since window reaches: '12h', '7d', '2w', '6mo', '1y', '1d12h'; NoUnitError for a bare number."""
    seconds = parse_duration(text, examples="12h, 7d, 2w, 6mo, 1y", example="1d12h")
    if seconds > _MAX_LOOKBACK_SECONDS:
        raise DurationError(f"{text!r} reaches back more than 1000 years")
    return timedelta(seconds=seconds)
