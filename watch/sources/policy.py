"""When to poll a source next, and whether it has gone stale: pure functions, no I/O."""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

# After a failure, wait 15 min, then 30, 60... never more than a day, and never give up.
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=24)
# Servers' freshness hints (ttl, max-age, Expires) are honoured up to this; beyond it a
# misconfigured header would silence a feed for months.
MAX_SERVER_HINT = timedelta(days=1)
MAX_RETRY_AFTER = timedelta(days=7)
MAX_JITTER = timedelta(minutes=15)
JITTER_SHARE = 0.1
# A feed that publishes hourly is not stale after five quiet hours.
MIN_STALE_AGE = timedelta(days=2)


def backoff(error_count: int) -> timedelta:
    """Delay before retrying a source that failed `error_count` times in a row."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(max(0, error_count - 1), 16)))


def jitter(delay: timedelta, rng: random.Random) -> timedelta:
    """A small random extra so that sources polled together drift apart."""
    return timedelta(seconds=rng.uniform(0, min(delay * JITTER_SHARE, MAX_JITTER).total_seconds()))


def next_check_after_success(now: datetime, interval_seconds: int, *, ttl_seconds: float | None = None,
                             max_age_seconds: float | None = None,
                             rng: random.Random | None = None) -> datetime:
    """Next poll: the source's interval, at least the server's freshness hints (capped), plus jitter."""
    delay = timedelta(seconds=interval_seconds)
    hints = [timedelta(seconds=h) for h in (ttl_seconds, max_age_seconds) if h]
    if hints:
        delay = max(delay, min(max(hints), max(MAX_SERVER_HINT, delay)))
    return now + delay + jitter(delay, rng or random.Random())


def next_check_after_failure(now: datetime, error_count: int, *, retry_after_seconds: float | None = None,
                             rng: random.Random | None = None) -> datetime:
    """Next attempt after a failure: exponential backoff, at least Retry-After (capped), plus jitter."""
    delay = backoff(error_count)
    if retry_after_seconds:
        delay = max(delay, min(timedelta(seconds=retry_after_seconds), MAX_RETRY_AFTER))
    return now + delay + jitter(delay, rng or random.Random())


def usual_gap(published: Sequence[datetime]) -> timedelta | None:
    """Median time between consecutive items, or None with fewer than three dated items."""
    dates = sorted(set(published))
    if len(dates) < 3:
        return None
    return statistics.median(b - a for a, b in itertools.pairwise(dates))


def stale_since(published: Sequence[datetime], now: datetime, factor: float) -> datetime | None:
    """When the source became stale (no new item for `factor` usual gaps), or None if it is not."""
    gap = usual_gap(published)
    if gap is None:
        return None
    latest = max(published)
    threshold = max(gap * factor, MIN_STALE_AGE)
    return latest + threshold if now - latest > threshold else None
