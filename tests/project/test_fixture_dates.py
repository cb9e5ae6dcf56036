"""The test helper that moves fixture dates: whole ISO weeks across year ends, every fixture date, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fixture_dates import (
    FIXTURE_MONDAY,
    FIXTURE_NEWEST,
    FIXTURE_NOW,
    FIXTURE_WEEK,
    recent,
    shift_text,
    week_label,
    weeks_back,
)
from testkit import fixture_bytes

from watch.records import FetchSettings
from watch.sources import policy as schedule
from watch.sources.parse import parse_feed

FEEDS = ("ai_lab.rss.xml", "regulation_fr.atom", "latin1_no_decl.rss.xml")


def _published(data: bytes, now: datetime) -> list[datetime]:
    return [e.published for e in parse_feed(data, source_name="S", base_url="http://x/", now=now).entries]


@pytest.mark.parametrize(("now", "last_week"), [
    (FIXTURE_NOW, "2026-W47"),
    (datetime(2026, 11, 30, 0, 0, tzinfo=UTC), "2026-W48"),  # Monday, midnight
    (datetime(2026, 12, 6, 23, 59, tzinfo=UTC), "2026-W48"),  # Sunday night
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "2026-W52"),  # 2026 has 53 ISO weeks
    (datetime(2027, 1, 4, 8, 0, tzinfo=UTC), "2026-W53"),
    (datetime(2028, 1, 1, 12, 0, tzinfo=UTC), "2027-W51"),  # a Saturday in 2027-W52
    (datetime(2025, 6, 1, tzinfo=UTC), "2025-W21"),  # before the fixtures were written
])
def test_weeks_back_moves_the_fixture_week_onto_last_week(now, last_week):
    shift = weeks_back(now)
    assert shift % timedelta(weeks=1) == timedelta(0)
    assert week_label(FIXTURE_MONDAY) == FIXTURE_WEEK
    assert week_label(FIXTURE_MONDAY + shift) == last_week


@pytest.mark.parametrize("name", FEEDS)
@pytest.mark.parametrize("shift", [timedelta(weeks=57), timedelta(weeks=-30), timedelta(days=3, hours=5)])
def test_every_date_of_a_fixture_moves_and_nothing_else(name, shift):
    original = fixture_bytes(name)
    moved = fixture_bytes(name, shift)
    assert moved != original
    far = datetime(2100, 1, 1, tzinfo=UTC)
    assert _published(moved, far) == [d + shift for d in _published(original, far)]
    assert fixture_bytes(name, timedelta(0)) == original
    assert shift_text(moved.decode("latin-1"), -shift).encode("latin-1") == original  # the other bytes are kept


def test_recent_makes_the_newest_item_an_hour_old_and_the_source_fresh():
    now = datetime(2029, 3, 14, 15, 9, tzinfo=UTC)
    dates = [d for name in FEEDS for d in _published(fixture_bytes(name, recent(now)), now)]
    assert max(dates) == now - timedelta(hours=1) and max(_published(fixture_bytes(FEEDS[1]), now)) == FIXTURE_NEWEST
    factor = FetchSettings().stale_factor
    assert schedule.stale_since(dates, now, factor) is None
    assert schedule.stale_since(dates, now + timedelta(days=8), factor) is not None  # the rule itself still bites


def test_bare_dates_move_only_when_asked_and_only_real_dates():
    text = "## 2.0.0 (2026-11-20)\n- Fix CVE-2026-1234; calver 2024-13-01; at 2026-11-20T10:00:00.000Z"
    assert shift_text(text, timedelta(weeks=2)) == text.replace("2026-11-20T10", "2026-12-04T10")
    assert shift_text(text, timedelta(weeks=2), dates=True) == (
        "## 2.0.0 (2026-12-04)\n- Fix CVE-2026-1234; calver 2024-13-01; at 2026-12-04T10:00:00.000Z")
