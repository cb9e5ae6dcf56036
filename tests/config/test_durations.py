"""One grammar for every duration a user types (watch/config/durations.py), and each place that reads one.

m is minutes everywhere, mo is months of 30 days, y is 365 days; a bare number is never guessed.
The call sites are checked as users meet them: feeds.yaml through load_config, the CLI options
through click's CliRunner (in-process, so fast).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from testkit import write_config

from watch.cli.main import cli
from watch.config import (
    MAX_INTERVAL_SECONDS,
    DurationError,
    NotADurationError,
    NoUnitError,
    format_duration,
    load_config,
    parse_duration,
    parse_interval,
    parse_lookback,
    parse_retention,
)
from watch.digest.build import parse_period
from watch.errors import ConfigError, QueryError
from watch.query.search import parse_when
from watch.store import open_archive

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
MINUTE, HOUR, DAY = 60, 3600, 86400


def techwatch(*args: str) -> Result:
    """Run the CLI in-process, as `techwatch ARGS`."""
    return CliRunner().invoke(cli, list(args))


# --------------------------------------------------------------------------------------------------
# The grammar


@pytest.mark.parametrize("text, seconds", [
    ("45s", 45),
    ("5m", 5 * MINUTE),
    ("6h", 6 * HOUR),
    ("7d", 7 * DAY),
    ("2w", 14 * DAY),
    ("6mo", 180 * DAY),
    ("2y", 730 * DAY),
    ("0s", 0),
])
def test_every_unit(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text, seconds", [
    ("1h30m", HOUR + 30 * MINUTE),
    ("2m30s", 2 * MINUTE + 30),
    ("1d12h", 36 * HOUR),
    ("4w2d", 30 * DAY),
    ("1y6mo", 545 * DAY),
    ("1mo1m", 30 * DAY + MINUTE),  # months and minutes side by side: mo, then m
    ("1y2mo3w4d5h6m7s", 365 * DAY + 60 * DAY + 21 * DAY + 4 * DAY + 5 * HOUR + 6 * MINUTE + 7),
    ("1h 30m", HOUR + 30 * MINUTE),
    (" 6H ", 6 * HOUR),
    ("3 MO", 90 * DAY),
])
def test_compound_forms_case_and_spaces(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_m_is_minutes_and_mo_is_months() -> None:
    assert parse_duration("3m") == 180
    assert parse_duration("3mo") == 90 * DAY
    assert parse_duration("1mo") == parse_duration("30d")
    assert parse_duration("1y") == parse_duration("365d")


@pytest.mark.parametrize("text, error, message", [
    ("90", NoUnitError, "'90' has no unit: write e.g. 90m (minutes) or 90d (days)"),
    ("", NotADurationError, "is empty"),
    ("h", NotADurationError, "'h' is not a duration: write a whole number and a unit (s, m (minutes), h, d, w, "
                             "mo (months of 30 days), y (365 days))"),
    ("-7d", NotADurationError, "is not a duration"),
    ("1h-30m", NotADurationError, "is not a duration"),
    ("1.5h", DurationError, "use whole numbers"),
    ("7x", DurationError, "'7x' has an unknown unit 'x' (units: s, m (minutes), h"),
    ("3 months", DurationError, "unknown unit 'months' (units: s, m (minutes), h, d, w, mo (months of 30 days), "
                                "y (365 days)); write 3mo"),
    ("5min", DurationError, "unknown unit 'min'"),
    ("2hours", DurationError, "; write 2h"),
    ("30m1h", DurationError, "'30m1h': write units from largest to smallest, each once"),
    ("1m1mo", DurationError, "largest to smallest"),
    ("1h1h", DurationError, "largest to smallest"),
])
def test_errors_say_what_is_wrong(text: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        parse_duration(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)  # callers that catch ValueError keep working


@pytest.mark.parametrize("value", [3600, None, True, 1.5, ["1h"]])
def test_only_text_is_a_duration(value: object) -> None:
    with pytest.raises(DurationError, match="expected text"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (5400, "1h30m"), (30 * DAY, "1mo"),
                                           (400 * DAY + 61, "1y1mo5d1m1s"), (14 * DAY, "2w")])
def test_format_duration_reads_back(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


# --------------------------------------------------------------------------------------------------
# Each caller's wrapper: same grammar, its own range and messages


def test_interval_takes_the_grammar_within_its_range() -> None:
    assert parse_interval("1h30m") == 5400
    assert parse_interval("1mo") == MAX_INTERVAL_SECONDS  # a month is the longest interval
    with pytest.raises(ValueError, match="longer than the maximum of 30 days"):
        parse_interval("2mo")
    with pytest.raises(ValueError, match="longer than the maximum of 30 days"):
        parse_interval("1y")
    with pytest.raises(ValueError, match="the minimum is 60 seconds"):
        parse_interval("30s")
    # a bare number keeps its own message: the readings allowed for an interval
    with pytest.raises(ValueError, match=r"'90' has no unit: write 90m \(minutes: 1h30m\) or 90s \(seconds: 1m30s\)"):
        parse_interval("90")


def test_retention_takes_the_grammar_in_whole_days() -> None:
    assert parse_retention("6mo") == 180
    assert parse_retention("1y6mo") == 545
    assert parse_retention("2d24h") == 3
    assert parse_retention("forever") is None
    with pytest.raises(ValueError, match=r"'6m' is not a whole number of days: .*m is minutes, months are mo"):
        parse_retention("6m")
    with pytest.raises(ValueError, match="'36h' is not a whole number of days: retention is counted in whole days"):
        parse_retention("36h")
    with pytest.raises(ValueError, match=r"'730' has no unit: write e.g. 730d \(days\), or 'forever'"):
        parse_retention("730")


def test_lookback_reaches_back_any_duration() -> None:
    assert parse_lookback("3m") == timedelta(minutes=3)
    assert parse_lookback("3mo") == timedelta(days=90)
    assert parse_lookback("1d12h") == timedelta(hours=36)
    with pytest.raises(NoUnitError):
        parse_lookback("30")
    with pytest.raises(DurationError, match="more than 1000 years"):
        parse_lookback("1001y")


# --------------------------------------------------------------------------------------------------
# feeds.yaml: interval, default_interval, time_budget, retention


def test_feeds_yaml_durations_use_the_grammar(tmp_path: Path) -> None:
    extra = "  summarizer: {time_budget: 2m30s}\n  retention: {items: 1y6mo, pages: 3mo}"
    path = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example/feed.xml", "interval": "1mo"},
                                   {"name": "Blog", "url": "https://blog.example/feed.xml", "interval": "1h30m"}],
                        extra=extra, fetch="{timeout: 5, default_interval: 45m}")
    config = load_config(path, environ={})
    assert [s.interval_seconds for s in config.sources] == [30 * DAY, 5400]
    assert config.settings.fetch.default_interval_seconds == 45 * MINUTE
    assert config.settings.summarizer.time_budget_seconds == 150
    assert (config.settings.retention.items_days, config.settings.retention.pages_days) == (545, 90)


@pytest.mark.parametrize("source, extra, message", [
    ({"interval": "3mo"}, "", "invalid interval: '3mo' is longer than the maximum of 30 days (30d)"),
    ({"interval": "90"}, "", "invalid interval: '90' has no unit: write 90m (minutes: 1h30m) or 90s"),
    ({"interval": "6 hours"}, "", "invalid interval: '6 hours' has an unknown unit 'hours'"),
    ({}, "  retention: 6m", "invalid retention: '6m' is not a whole number of days"),
    ({}, "  retention: {items: 12mo, pages: 2w3d}", None),
])
def test_feeds_yaml_duration_errors(tmp_path: Path, source: dict, extra: str, message: str | None) -> None:
    path = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example/feed.xml", **source}], extra=extra)
    if message is None:
        retention = load_config(path, environ={}).settings.retention
        assert (retention.items_days, retention.pages_days) == (360, 17)
        return
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert message in str(info.value)


# --------------------------------------------------------------------------------------------------
# --since of search, stats and export (parse_when), and of digest (parse_period)


@pytest.mark.parametrize("text, back", [
    ("45s", timedelta(seconds=45)),
    ("3m", timedelta(minutes=3)),  # minutes, not months
    ("12h", timedelta(hours=12)),
    ("30d", timedelta(days=30)),
    ("2w", timedelta(weeks=2)),
    ("3mo", timedelta(days=90)),
    ("1y", timedelta(days=365)),
    ("1d12h", timedelta(hours=36)),
    ("1y6mo", timedelta(days=545)),
])
def test_query_since_is_a_duration_ago(text: str, back: timedelta) -> None:
    assert parse_when(text, NOW) == NOW - back


def test_query_since_still_takes_dates_and_says_what_is_wrong() -> None:
    assert parse_when("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_when("20261101", NOW) == datetime(2026, 11, 1, tzinfo=UTC)  # a bare number: a basic ISO date
    assert parse_when("2026W47", NOW) == datetime(2026, 11, 16, tzinfo=UTC)
    with pytest.raises(QueryError, match=r"bad date '30': use 30d, 12h, 2w, 6mo, 1y \(m is minutes\)"):
        parse_when("30", NOW)
    with pytest.raises(QueryError, match="bad date or duration: '7x' has an unknown unit 'x'"):
        parse_when("7x", NOW)
    with pytest.raises(QueryError, match="write 3mo"):
        parse_when("3months", NOW)


@pytest.mark.parametrize("text, back", [("48h", timedelta(hours=48)), ("7d", timedelta(days=7)),
                                        ("2w", timedelta(weeks=2)), ("6mo", timedelta(days=180)),
                                        ("90m", timedelta(minutes=90)), ("1d12h", timedelta(hours=36))])
def test_digest_since_is_the_same_grammar(text: str, back: timedelta) -> None:
    period = parse_period(since=text, now=NOW)
    assert (period.start, period.end) == (NOW - back, NOW)


def test_digest_since_errors() -> None:
    with pytest.raises(ValueError, match=r"bad --since '7': use a number of days, hours or weeks, e.g. 7d, 48h, 2w"):
        parse_period(since="7", now=NOW)
    with pytest.raises(ValueError, match="bad --since: '7x' has an unknown unit 'x'"):
        parse_period(since="7x", now=NOW)


@pytest.fixture
def archive_db(tmp_path: Path) -> Path:
    path = tmp_path / "watch.db"
    open_archive(path).close()
    return path


def test_stats_cli_since_m_is_minutes_and_mo_months(archive_db: Path) -> None:
    def since(text: str) -> datetime:
        result = techwatch("stats", "--db", str(archive_db), "--since", text, "--format", "json")
        assert result.exit_code == 0, result.output
        return datetime.fromisoformat(json.loads(result.stdout)["since"])

    now = datetime.now(UTC)
    assert abs(since("3m") - (now - timedelta(minutes=3))) < timedelta(minutes=1)
    assert abs(since("3mo") - (now - timedelta(days=90))) < timedelta(minutes=1)
    assert abs(since("1d12h") - (now - timedelta(hours=36))) < timedelta(minutes=1)


@pytest.mark.parametrize("command", ["search", "stats", "export"])
def test_query_cli_since_errors(archive_db: Path, command: str) -> None:
    result = techwatch(command, "--db", str(archive_db), "--since", "3months")
    assert result.exit_code != 0
    assert "unknown unit 'months'" in result.stderr and "write 3mo" in result.stderr, result.stderr
    ok = techwatch(command, "--db", str(archive_db), "--since", "6mo")
    assert ok.exit_code == 0, ok.output


def test_digest_cli_since_error(tmp_path: Path) -> None:
    result = techwatch("digest", "--since", "3months", "--config", str(tmp_path / "feeds.yaml"))
    assert result.exit_code == 2 and "bad --since: '3months' has an unknown unit 'months'" in result.stderr
    bare = techwatch("digest", "--since", "7", "--config", str(tmp_path / "feeds.yaml"))
    assert bare.exit_code == 2 and "bad --since '7': use a number of days, hours or weeks" in bare.stderr


def test_interval_options_use_the_grammar(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"name": "Lab", "url": "https://lab.example/feed.xml"}])
    listed = techwatch("schedule", "--list", "--poll-every", "1h30m", "--config", str(path))
    assert listed.exit_code == 0 and "interval[1:30:00]" in listed.stdout, listed.output
    too_long = techwatch("schedule", "--list", "--poll-every", "2mo", "--config", str(path))
    assert too_long.exit_code == 2 and "longer than the maximum of 30 days" in too_long.stderr
    added = techwatch("feeds", "add", "https://lab.example/", "--interval", "3mo", "--config", str(path))
    assert added.exit_code == 2 and "--interval: '3mo' is longer than the maximum of 30 days" in added.stderr


@pytest.mark.parametrize("args", [("search", "--help"), ("stats", "--help"), ("export", "--help"),
                                  ("digest", "--help")])
def test_since_help_documents_m_and_mo(args: tuple[str, ...]) -> None:
    result = techwatch(*args)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "m = minutes, mo = months" in text and "6mo" in text
