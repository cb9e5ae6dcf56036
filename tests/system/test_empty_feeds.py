"""A well-formed feed with no entries is "empty": a success, polled as usual, never shown as failing."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from feed_samples import EMPTY_FEEDS
from testkit import run_cli, write_config

from watch.digest.build import health_lines
from watch.store import open_reader

CONTENT_TYPES = {"json": "application/feed+json"}
HOUR = 3600


def _serve_empty_feeds(server, tmp_path):
    sources = []
    for kind, body in EMPTY_FEEDS.items():
        server.add(f"/{kind}", body, content_type=CONTENT_TYPES.get(kind, "application/xml"), etag=True)
        sources.append({"name": f"Empty {kind}", "url": server.url(f"/{kind}"), "interval": "1h"})
    return write_config(tmp_path, sources)


def test_run_reports_empty_feeds_as_empty_and_keeps_them_healthy(tmp_path, server):
    path = _serve_empty_feeds(server, tmp_path)
    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    for kind in EMPTY_FEEDS:
        assert f"  empty      Empty {kind}\n" in first.stdout
    assert "FAILED" not in first.stdout and "  unchanged " not in first.stdout
    assert "0 unchanged, 5 empty, 0 failed" in first.stdout

    db = sqlite3.connect(tmp_path / "watch.db")
    rows = db.execute("SELECT name, error_count, last_error, last_success_at, last_checked_at, next_check_at "
                      "FROM sources").fetchall()
    assert len(rows) == 5
    for name, errors, error, success, checked, next_check in rows:
        assert errors == 0 and error is None and success == checked, name
        # Not backed off: the next check is the source's interval away (with the usual jitter).
        gap = (datetime.fromisoformat(next_check) - datetime.fromisoformat(checked)).total_seconds()
        assert 0.5 * HOUR <= gap <= 1.5 * HOUR, (name, gap)
    db.close()

    reader = open_reader(tmp_path / "watch.db")
    try:
        assert health_lines(reader.source_health()) == ()  # nothing under "Sources health"
    finally:
        reader.close()

    listed = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("\tempty (the feed has no entries yet)") == 5
    assert "failing" not in listed.stdout

    checked = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for kind in EMPTY_FEEDS:
        assert f"  empty      Empty {kind}: HTTP 200" in checked.stdout
    assert "FAILED" not in checked.stdout

    # The same documents again: nothing changed, and it says so.
    again = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert again.returncode == 0 and "5 unchanged, 0 empty, 0 failed" in again.stdout


def test_a_failing_source_that_answers_an_empty_feed_is_healthy_again(tmp_path, server):
    url = server.add("/feed.xml", "<html><body>maintenance</body></html>", content_type="text/html")
    path = write_config(tmp_path, [{"name": "Lab", "url": url, "interval": "1h"}])
    broken = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert broken.returncode == 1 and "FAILED     Lab: not a feed" in broken.stdout  # a page still fails
    server.add("/feed.xml", EMPTY_FEEDS["atom"])
    healed = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert "  empty      Lab\n" in healed.stdout
    db = sqlite3.connect(tmp_path / "watch.db")
    errors, error, checked, next_check = db.execute(
        "SELECT error_count, last_error, last_checked_at, next_check_at FROM sources").fetchone()
    db.close()
    assert (errors, error) == (0, None)
    gap = (datetime.fromisoformat(next_check) - datetime.fromisoformat(checked)).total_seconds()
    assert 0.5 * HOUR <= gap <= 1.5 * HOUR
