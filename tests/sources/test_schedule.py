"""schedule.py: next poll times, backoff, staleness."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from watch.sources.policy import (
    backoff,
    next_check_after_failure,
    next_check_after_success,
    stale_since,
    usual_gap,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOUR = 3600


def _delay(when: datetime) -> float:
    return (when - NOW).total_seconds()


def test_backoff_grows_and_is_capped():
    assert backoff(1) == timedelta(minutes=15)
    assert backoff(2) == timedelta(minutes=30)
    assert backoff(4) == timedelta(hours=2)
    assert backoff(10_000) == timedelta(hours=24)


@pytest.mark.parametrize("seed", range(20))
def test_success_uses_interval_plus_small_jitter(seed):
    delay = _delay(next_check_after_success(NOW, HOUR, rng=random.Random(seed)))
    assert HOUR <= delay <= HOUR * 1.1


def test_jitter_spreads_sources():
    delays = {_delay(next_check_after_success(NOW, HOUR, rng=random.Random(s))) for s in range(10)}
    assert len(delays) == 10


def test_ttl_and_max_age_are_honoured_but_capped():
    rng = random.Random(0)
    assert _delay(next_check_after_success(NOW, HOUR, ttl_seconds=3 * HOUR, rng=rng)) >= 3 * HOUR
    assert _delay(next_check_after_success(NOW, HOUR, max_age_seconds=5 * HOUR, rng=rng)) >= 5 * HOUR
    # a shorter hint never makes us poll more often than the interval
    assert _delay(next_check_after_success(NOW, 6 * HOUR, max_age_seconds=60, rng=rng)) >= 6 * HOUR
    # a year-long Expires does not silence the feed for a year
    capped = _delay(next_check_after_success(NOW, HOUR, max_age_seconds=365 * 24 * HOUR, rng=rng))
    assert 24 * HOUR <= capped <= 24 * HOUR + 15 * 60
    # but a source configured to poll weekly keeps its week
    assert _delay(next_check_after_success(NOW, 7 * 24 * HOUR, max_age_seconds=365 * 24 * HOUR,
                                           rng=rng)) >= 7 * 24 * HOUR


def test_failure_uses_backoff_or_retry_after_whichever_is_longer():
    rng = random.Random(0)
    assert 15 * 60 <= _delay(next_check_after_failure(NOW, 1, rng=rng)) <= 16.5 * 60
    assert _delay(next_check_after_failure(NOW, 1, retry_after_seconds=2 * HOUR, rng=rng)) >= 2 * HOUR
    assert _delay(next_check_after_failure(NOW, 8, retry_after_seconds=60, rng=rng)) >= 24 * HOUR
    assert _delay(next_check_after_failure(NOW, 1, retry_after_seconds=10**9, rng=rng)) <= 7.1 * 24 * HOUR


def test_usual_gap_is_the_median():
    days = [NOW - timedelta(days=d) for d in (0, 1, 2, 3, 30)]
    assert usual_gap(days) == timedelta(days=1)
    assert usual_gap(days[:2]) is None


def test_stale_since():
    weekly = [NOW - timedelta(days=100 + 7 * i) for i in range(5)]
    assert stale_since(weekly, NOW, 5) == weekly[0] + timedelta(days=35)
    fresh = [NOW - timedelta(days=1 + 7 * i) for i in range(5)]
    assert stale_since(fresh, NOW, 5) is None
    hourly_quiet_a_day = [NOW - timedelta(days=1, hours=i) for i in range(5)]
    assert stale_since(hourly_quiet_a_day, NOW, 5) is None  # under the two-day floor
