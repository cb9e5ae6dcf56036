"""feeds.yaml read once and validated: load.py (the techwatch schema) over the generic, line-numbered validate.py.

Import from here: `from watch.config import load_config, parse_interval, parse_retention, ...`.
"""

from ..durations import (  # the grammar lives below every stage; re-exported for the callers of config
    FOREVER,
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
    UNITS_HELP,
    DurationError,
    NotADurationError,
    NoUnitError,
    format_duration,
    parse_duration,
    parse_interval,
    parse_lookback,
    parse_retention,
)
from .fields import DIGEST_FORMATS, WEEKDAYS
from .load import (
    DATABASE_ENV,
    EMAIL_SECURITY,
    EXTRACT_MODES,
    MIN_ITEM_RETENTION_DAYS,
    MIN_PAGE_RETENTION_DAYS,
    RELEASE_FILTERS,
    RELEASE_KINDS,
    SOURCE_KINDS,
    SUMMARIZER_BACKENDS,
    TAG_NAME_RE,
    load_config,
)
from .profiles import PROFILE_NAME_RE

__all__ = [
    "DATABASE_ENV",
    "DIGEST_FORMATS",
    "EMAIL_SECURITY",
    "EXTRACT_MODES",
    "FOREVER",
    "MAX_INTERVAL_SECONDS",
    "MIN_INTERVAL_SECONDS",
    "MIN_ITEM_RETENTION_DAYS",
    "MIN_PAGE_RETENTION_DAYS",
    "PROFILE_NAME_RE",
    "RELEASE_FILTERS",
    "RELEASE_KINDS",
    "SOURCE_KINDS",
    "SUMMARIZER_BACKENDS",
    "TAG_NAME_RE",
    "UNITS_HELP",
    "WEEKDAYS",
    "DurationError",
    "NoUnitError",
    "NotADurationError",
    "format_duration",
    "load_config",
    "parse_duration",
    "parse_interval",
    "parse_lookback",
    "parse_retention",
]
