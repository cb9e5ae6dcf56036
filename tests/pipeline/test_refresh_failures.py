"""Every way a source can misbehave, through the real fetcher and a real server on 127.0.0.1.

Each test runs a refresh with a well-behaved source next to the bad one, and checks the stored
outcome of both: the bad one is recorded with its cause, the good one still gets its items.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fixture_dates import FIXTURE_NOW
from httpserver import FeedServer
from testkit import corpus_path, fixture_bytes, write_config

from watch.config import load_config
from watch.http.client import make_client
from watch.pipeline import refresh_all
from watch.store import open_archive

FAST = "{timeout: 1, connect_timeout: 1, total_timeout: 2, max_bytes: 50000}"


class Harness:
    """A config with 'Good' (a valid feed) and 'Bad' (the case under test), refreshed on demand.

    A refresh runs as of FIXTURE_NOW, just after the feed fixtures' newest item, unless the test gives
    its own `now`: whatever the day, the fixtures are then fresh (not stale, not in the future).
    """

    def __init__(self, tmp_path, server: FeedServer, bad_path: str = "/bad.xml", fetch: str = FAST) -> None:
        self.server = server
        server.add("/good.xml", fixture_bytes("ai_lab.rss.xml"), etag=True)
        self.config = load_config(write_config(tmp_path, [
            {"name": "Good", "url": server.url("/good.xml")},
            {"name": "Bad", "url": server.url(bad_path)},
        ], fetch=fetch))
        self.archive = open_archive(self.config.settings.database)
        self.client = make_client(self.config.settings.fetch)

    def refresh(self, force: bool = True, now: datetime | None = None) -> dict:
        reports = refresh_all(self.config, self.archive, self.client, force=force, now=now or FIXTURE_NOW)
        return {r.source: r for r in reports}

    def source(self, name: str = "Bad") -> dict:
        return next(h for h in self.archive.source_health() if h["name"] == name)

    def items(self, name: str) -> int:
        return self.archive.db.execute("SELECT COUNT(*) FROM items WHERE source = ?", [name]).fetchone()[0]

    def close(self) -> None:
        self.client.close()
        self.archive.close()


@pytest.fixture
def harness(tmp_path, server):
    h = Harness(tmp_path, server)
    yield h
    h.close()


def _assert_good_succeeded(h: Harness, reports: dict) -> None:
    assert reports["Good"].status == "new" and reports["Good"].new_items == 4
    assert h.items("Good") == 4 and h.source("Good")["error_count"] == 0


def _assert_failed(h: Harness, reports: dict, cause: str, status: int | None = None) -> dict:
    bad = reports["Bad"]
    assert bad.status == "failed" and cause in bad.error
    row = h.source()
    assert row["error_count"] == 1 and cause in row["last_error"] and row["last_status"] == status
    assert h.items("Bad") == 0
    return row


def test_304_with_etag(harness):
    harness.server.add("/bad.xml", fixture_bytes("regulation_fr.atom"), etag=True)
    first = harness.refresh()
    assert first["Bad"].new_items == 3
    second = harness.refresh()
    assert second["Bad"].status == "unchanged" and second["Good"].status == "unchanged"
    last = [h for p, h in harness.server.requests if p == "/bad.xml"][-1]
    assert last["If-None-Match"].startswith('"')
    assert harness.source()["last_status"] == 304 and harness.items("Bad") == 3


def test_304_with_last_modified(harness):
    stamp = "Wed, 25 Nov 2026 10:00:00 GMT"
    harness.server.add("/bad.xml", fixture_bytes("regulation_fr.atom"), last_modified=stamp)
    _assert_good_succeeded(harness, harness.refresh())
    second = harness.refresh()
    assert second["Bad"].status == "unchanged"
    last = [h for p, h in harness.server.requests if p == "/bad.xml"][-1]
    assert last["If-Modified-Since"] == stamp and "If-None-Match" not in last
    assert harness.source()["last_status"] == 304


def test_unchanged_body_without_validators_is_not_parsed_again(harness, monkeypatch):
    harness.server.add("/bad.xml", fixture_bytes("regulation_fr.atom"))
    harness.refresh()
    import watch.sources.refresh as pl

    monkeypatch.setattr(pl, "parse_feed", lambda *a, **k: pytest.fail("unchanged body parsed again"))
    assert harness.refresh()["Bad"].status == "unchanged"


def test_429_with_retry_after(harness):
    harness.server.add("/bad.xml", "slow down", status=429, headers={"Retry-After": "7200"})
    now = datetime.now(UTC)
    reports = harness.refresh(now=now)
    _assert_good_succeeded(harness, reports)
    row = _assert_failed(harness, reports, "429", 429)
    next_check = datetime.fromisoformat(row["next_check_at"])
    assert timedelta(hours=2) <= next_check - now <= timedelta(hours=2, minutes=15)


def test_503_with_retry_after_date(harness):
    later = format_datetime(datetime.now(UTC) + timedelta(hours=3), usegmt=True)
    harness.server.add("/bad.xml", "maintenance", status=503, headers={"Retry-After": later})
    now = datetime.now(UTC)
    reports = harness.refresh(now=now)
    _assert_good_succeeded(harness, reports)
    row = _assert_failed(harness, reports, "503", 503)
    assert datetime.fromisoformat(row["next_check_at"]) - now >= timedelta(hours=2, minutes=59)


def test_500_backs_off_exponentially_and_recovers(harness):
    harness.server.add("/bad.xml", "boom", status=500)
    now = datetime.now(UTC)
    reports = harness.refresh(now=now)
    _assert_good_succeeded(harness, reports)
    row = _assert_failed(harness, reports, "500", 500)
    first_delay = datetime.fromisoformat(row["next_check_at"]) - now
    assert timedelta(minutes=15) <= first_delay <= timedelta(minutes=17)
    harness.refresh(now=now)
    row = harness.source()
    assert row["error_count"] == 2
    assert datetime.fromisoformat(row["next_check_at"]) - now >= timedelta(minutes=30)
    harness.server.add("/bad.xml", fixture_bytes("regulation_fr.atom"))
    assert harness.refresh()["Bad"].new_items == 3
    assert harness.source()["error_count"] == 0 and harness.source()["last_error"] is None


def test_backoff_is_capped_and_never_gives_up(harness):
    harness.server.add("/bad.xml", "boom", status=500)
    now = datetime.now(UTC)
    for _ in range(12):
        harness.refresh(now=now)
    row = harness.source()
    assert row["error_count"] == 12
    delay = datetime.fromisoformat(row["next_check_at"]) - now
    assert timedelta(hours=24) <= delay <= timedelta(hours=24, minutes=15)
    # not due yet, but still scheduled: a normal run a day later polls it again
    later = harness.refresh(force=False, now=now + timedelta(hours=25))
    assert later["Bad"].status == "failed" and harness.source()["error_count"] == 13


def test_connection_refused(tmp_path, server, closed_port_url):
    h = Harness(tmp_path, server)
    h.config = load_config(write_config(tmp_path, [
        {"name": "Good", "url": server.url("/good.xml")}, {"name": "Bad", "url": closed_port_url}], fetch=FAST))
    h.client.close()
    h.client = make_client(h.config.settings.fetch)  # the client trusts the origins of the config it serves
    reports = h.refresh()
    _assert_good_succeeded(h, reports)
    _assert_failed(h, reports, "ConnectError")
    h.close()


def test_connection_reset_mid_body(harness):
    harness.server.add("/bad.xml", fixture_bytes("regulation_fr.atom"), reset_after=200)
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    bad = reports["Bad"]
    assert bad.status == "failed"
    assert any(word in bad.error for word in ("RemoteProtocolError", "ReadError", "incomplete", "reset")), bad.error


def test_server_that_never_answers_times_out(harness):
    harness.server.add("/bad.xml", hang=True)
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    _assert_failed(harness, reports, "timeout")


def test_slow_trickle_past_total_timeout(harness):
    # one byte every 0.1 s: no single read waits 1 s, but 600 bytes take a minute
    harness.server.add("/bad.xml", fixture_bytes("regulation_fr.atom")[:600], trickle=0.1)
    started = datetime.now(UTC)
    reports = harness.refresh()
    assert datetime.now(UTC) - started < timedelta(seconds=10)
    _assert_good_succeeded(harness, reports)
    _assert_failed(harness, reports, "total time exceeded")


def test_body_over_size_cap(harness):
    harness.server.add("/bad.xml", b"<rss>" + b"x" * 60_000 + b"</rss>")
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    _assert_failed(harness, reports, "too large")


def test_gzip_bomb(harness):
    bomb = gzip.compress(b"<rss>" + b" " * 5_000_000 + b"</rss>")
    harness.server.add("/bad.xml", bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 50_000
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    _assert_failed(harness, reports, "too large")


def test_redirect_loop(harness):
    harness.server.add("/bad.xml", status=302, headers={"Location": "/loop2"})
    harness.server.add("/loop2", status=302, headers={"Location": "/bad.xml"})
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    _assert_failed(harness, reports, "too many redirects")


def test_301_updates_the_stored_url(harness):
    harness.server.add("/bad.xml", status=301, headers={"Location": "/moved.xml"})
    harness.server.add("/moved.xml", fixture_bytes("regulation_fr.atom"), etag=True)
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    bad = reports["Bad"]
    assert bad.status == "new" and bad.new_items == 3
    assert any("moved permanently to " + harness.server.url("/moved.xml") in n for n in bad.notes)
    assert harness.source()["url"] == harness.server.url("/moved.xml")
    assert harness.source()["config_url"] == harness.server.url("/bad.xml")
    old_hits = harness.server.hits("/bad.xml")
    assert harness.refresh()["Bad"].status == "unchanged"
    assert harness.server.hits("/bad.xml") == old_hits  # polled at its new address directly


def test_temporary_redirect_keeps_the_configured_url(harness):
    harness.server.add("/bad.xml", status=302, headers={"Location": "/elsewhere.xml"})
    harness.server.add("/elsewhere.xml", fixture_bytes("regulation_fr.atom"))
    reports = harness.refresh()
    assert reports["Bad"].new_items == 3 and not reports["Bad"].notes
    assert harness.source()["url"] == harness.server.url("/bad.xml")


def test_410_disables_the_source_and_says_so(harness):
    harness.server.add("/bad.xml", "gone", status=410)
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    assert reports["Bad"].status == "gone" and "410" in reports["Bad"].error
    assert any("gone for good" in n for n in reports["Bad"].notes)
    assert "410" in harness.source()["gone_reason"]
    hits = harness.server.hits("/bad.xml")
    again = harness.refresh()
    assert again["Bad"].status == "gone" and harness.server.hits("/bad.xml") == hits


def test_gone_source_comes_back_when_its_url_is_edited(tmp_path, server):
    h = Harness(tmp_path, server)
    server.add("/bad.xml", "gone", status=410)
    h.refresh()
    server.add("/new.xml", fixture_bytes("regulation_fr.atom"))
    h.config = load_config(write_config(tmp_path, [
        {"name": "Good", "url": server.url("/good.xml")}, {"name": "Bad", "url": server.url("/new.xml")}],
        fetch=FAST))
    assert h.refresh()["Bad"].new_items == 3
    assert h.source()["gone_reason"] is None
    h.close()


@pytest.mark.parametrize(("body", "ctype", "cause"), [
    (fixture_bytes("not_a_feed.html"), "text/html", "not a feed"),
    (b"", "application/xml", "not a feed"),
    (b"<?xml version='1.0'?><<<this is not xml>>>", "application/xml", "not a feed"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "image/png", "not a feed"),
], ids=["html", "empty", "invalid-xml", "binary"])
def test_documents_that_are_not_feeds(harness, body, ctype, cause):
    harness.server.add("/bad.xml", body, content_type=ctype)
    reports = harness.refresh()
    _assert_good_succeeded(harness, reports)
    _assert_failed(harness, reports, cause, 200)


def test_slightly_broken_xml_is_read_leniently(harness):
    broken = fixture_bytes("ai_lab.rss.xml").replace(b"</channel>", b"<junk></channel>").replace(b"&amp;", b"&")
    harness.server.add("/bad.xml", broken)
    reports = harness.refresh()
    assert reports["Bad"].status == "new" and reports["Bad"].new_items == 4


def test_stale_source_is_flagged(harness):
    now = datetime(2026, 11, 26, tzinfo=UTC)
    items = "".join(
        f"<item><title>Weekly {i}</title><guid>w{i}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(days=90 + 7 * i), usegmt=True)}</pubDate></item>"
        for i in range(6))
    harness.server.add("/bad.xml", f"<rss version='2.0'><channel><title>W</title>{items}</channel></rss>")
    reports = harness.refresh(now=now)
    assert reports["Bad"].status == "new"
    assert any("stale: no new item since 2026-08-28" in n and "7.0 days" in n for n in reports["Bad"].notes)
    row = harness.source()
    assert row["stale_since"].startswith("2026-10-02") and row["usual_gap_seconds"] == 7 * 86400
    assert harness.source("Good")["stale_since"] is None


def test_per_host_limit_and_global_limit(tmp_path):
    from httpserver import InFlight

    shared = InFlight()
    servers = [FeedServer(host, inflight=InFlight()).start() for host in ("127.0.0.1", "127.0.0.2", "127.0.0.3")]
    try:
        sources = []
        for n, srv in enumerate(servers):
            for i in range(5):
                srv.add(f"/f{i}.xml", fixture_bytes("ai_lab.rss.xml"), delay=0.3)
                sources.append({"name": f"S{n}-{i}", "url": srv.url(f"/f{i}.xml")})
        config = load_config(write_config(tmp_path, sources, fetch="{timeout: 5, per_host: 2, concurrency: 16}"))
        archive = open_archive(config.settings.database)
        with make_client(config.settings.fetch) as client:
            started = datetime.now(UTC)
            reports = refresh_all(config, archive, client)
            elapsed = (datetime.now(UTC) - started).total_seconds()
        assert all(r.status == "new" for r in reports)
        assert max(s.inflight.peak for s in servers) == 2  # never more than 2 at once on one host
        assert elapsed < 15 * 0.3  # but hosts were polled in parallel: 3 waves of 0.3 s, not 15
        assert shared.peak == 0
    finally:
        for srv in servers:
            srv.stop()


def test_every_corpus_feed_refreshes(tmp_path, server):
    feeds = sorted(p for p in corpus_path("feeds").iterdir() if p.is_file())
    sources = []
    for path in feeds:
        server.add(f"/{path.name}", path.read_bytes())
        sources.append({"name": path.name, "url": server.url(f"/{path.name}")})
    config = load_config(write_config(tmp_path, sources, fetch="{timeout: 5}"))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        reports = refresh_all(config, archive, client)
    failed = {r.source: r.error for r in reports if r.status != "new"}
    assert len(reports) >= 40 and failed == {}
    assert all(r.new_items > 0 for r in reports)


def test_many_sources_are_parsed_in_worker_processes_with_errors_kept(tmp_path, server, monkeypatch):
    import watch.sources.refresh as pl

    used = []
    real = pl.feed_parser

    @contextlib.contextmanager
    def spy(count):
        with real(count) as parser:
            used.append(parser is not pl.parse_feed)
            yield parser

    monkeypatch.setattr(pl, "feed_parser", spy)
    sources = []
    for i in range(pl.PARALLEL_PARSE_MIN_SOURCES + 2):
        server.add(f"/f{i}.xml", fixture_bytes("ai_lab.rss.xml" if i % 2 else "regulation_fr.atom"))
        sources.append({"name": f"S{i}", "url": server.url(f"/f{i}.xml")})
    server.add("/html.xml", fixture_bytes("not_a_feed.html"), content_type="text/html")
    sources.append({"name": "Html", "url": server.url("/html.xml")})
    config = load_config(write_config(tmp_path, sources))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        reports = {r.source: r for r in refresh_all(config, archive, client)}
    if os.cpu_count() and os.cpu_count() > 1:
        assert used == [True]
    assert reports["Html"].status == "failed" and "not a feed" in reports["Html"].error
    assert all(r.status == "new" for name, r in reports.items() if name != "Html")
    assert archive.counts()["items"] == 9 * 4 + 9 * 3
