"""jobs/: each scheduled job against a real local HTTP server and a real SQLite archive (fake models)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fakes import fake_models
from smtpserver import SMTPServer
from testkit import rss, write_config

import jobs
from watch.config import load_config
from watch.digest.build import parse_period
from watch.store import open_archive

NOW = datetime.now(UTC)
LAST_WEEK = NOW - timedelta(days=7)  # always inside the last complete ISO week
ANCIENT = NOW - timedelta(days=1000)


def _feed() -> str:
    return rss("Lab", [
        {"title": "Open-weights model released", "link": "http://lab.example/a", "guid": "a",
         "pubDate": format_datetime(LAST_WEEK), "description": "<p>A new LLM model with open weights is out.</p>"},
        {"title": "Agent framework update", "link": "http://lab.example/b", "guid": "b",
         "pubDate": format_datetime(LAST_WEEK + timedelta(hours=2)), "description": "<p>The agent got tools.</p>"},
        {"title": "Ancient news about zeppelins", "link": "http://lab.example/c", "guid": "c",
         "pubDate": format_datetime(ANCIENT), "description": "<p>Zeppelins over the lab.</p>"},
    ])


@pytest.fixture
def config_path(tmp_path, server):
    server.add("/feed.xml", _feed(), etag=True)
    return write_config(tmp_path, [{"name": "Lab", "url": server.url("/feed.xml"), "extract": "never"}])


def _runs(config_path) -> list[tuple]:
    archive = open_archive(load_config(config_path).settings.database)
    try:
        return archive.db.execute("SELECT job, status, detail, errors FROM runs ORDER BY id").fetchall()
    finally:
        archive.close()


def test_poll_refreshes_processes_and_writes_one_runs_row(config_path, server, caplog):
    caplog.set_level(logging.INFO, logger="watch.jobs")
    report = jobs.poll(config_path, models=fake_models)
    assert report is not None and report.new_items == 3 and report.processed.processed == 3
    assert [(job, status) for job, status, *_ in _runs(config_path)] == [("poll", "ok")]
    assert any("poll: 1 sources polled, 1 with news" in r.message for r in caplog.records)
    # The source keeps its own schedule: a second poll right away does not fetch it again.
    hits = len(server.requests)
    again = jobs.poll(config_path, models=fake_models)
    assert again is not None and [s.status for s in again.sources] == ["not due"]
    assert len(server.requests) == hits
    assert [job for job, *_ in _runs(config_path)] == ["poll", "poll"]


def test_poll_with_a_broken_config_logs_and_returns(tmp_path, caplog):
    path = tmp_path / "feeds.yaml"
    path.write_text("settings: [oops\n", encoding="utf-8")
    assert jobs.poll(path, models=fake_models) is None
    assert any(r.levelname == "ERROR" and r.message.startswith("poll: not run") for r in caplog.records)


def test_poll_is_skipped_while_another_process_holds_the_archive(config_path, caplog):
    lock = pytest.importorskip("watch.store.lock")
    caplog.set_level(logging.INFO, logger="watch.jobs")
    database = load_config(config_path).settings.database
    with lock.archive_lock(database, "techwatch run"):
        assert jobs.poll(config_path, models=fake_models) is None
    assert [(job, status) for job, status, *_ in _runs(config_path)] == [("poll", "skipped")]
    assert any("poll: skipped, the archive is busy" in r.message for r in caplog.records)


def test_digest_writes_last_weeks_files_and_sends_no_mail_without_email_settings(config_path):
    jobs.poll(config_path, models=fake_models)
    label = parse_period(now=NOW).label
    paths = jobs.digest(config_path, environ={}, now=NOW)  # NOW, not the clock: a Monday may have begun since
    assert [p.name for p in paths] == [f"{label}.md"]
    assert "Open-weights model released" in paths[0].read_text(encoding="utf-8")
    job, status, detail, _errors = _runs(config_path)[-1]
    assert (job, status) == ("digest", "ok")
    assert json.loads(detail)["label"] == label and "sent" not in json.loads(detail)


def test_digest_is_emailed_once(config_path):
    jobs.poll(config_path, models=fake_models)
    with SMTPServer() as smtp:
        text = config_path.read_text(encoding="utf-8").replace(
            "settings:\n", f"settings:\n  email: {{host: 127.0.0.1, port: {smtp.port}, security: none, "
                           "from: watch@example.org, to: [cto@example.org]}\n", 1)
        config_path.write_text(text, encoding="utf-8")  # the job reads the config again: no restart needed
        jobs.digest(config_path, environ={})
        jobs.digest(config_path, environ={})  # a restart or a coalesced misfire: written again, not sent again
    assert len(smtp.received) == 1
    details = [json.loads(d) for job, _s, d, _e in _runs(config_path) if job == "digest"]
    assert details[0]["sent"].startswith("<") and details[1]["sent"] == "already"


def test_digest_that_cannot_be_sent_is_kept_and_recorded(config_path):
    jobs.poll(config_path, models=fake_models)
    text = config_path.read_text(encoding="utf-8").replace(
        "settings:\n", "settings:\n  email: {host: 127.0.0.1, port: 1, security: none, "
                       "from: watch@example.org, to: [cto@example.org]}\n", 1)
    config_path.write_text(text, encoding="utf-8")
    paths = jobs.digest(config_path, environ={})
    assert paths and paths[0].exists()
    job, status, _detail, errors = _runs(config_path)[-1]
    assert (job, status) == ("digest", "partial") and "e-mail" in errors


def test_prune_applies_settings_retention_and_maintain_vacuums(config_path):
    # Changed on purpose: prune used to delete items *published* over 730 days ago, always. Now it keeps
    # everything unless settings.retention.items says otherwise, and counts from when an item was first seen.
    jobs.poll(config_path, models=fake_models)
    assert jobs.prune(config_path)["items"] == 0  # the default keeps the zeppelins, published 1000 days ago
    text = config_path.read_text(encoding="utf-8").replace("settings:\n", "settings:\n  retention: {items: 2y}\n", 1)
    config_path.write_text(text, encoding="utf-8")
    assert jobs.prune(config_path)["items"] == 0  # first seen today, however old their date
    deleted = jobs.prune(config_path, now=NOW + timedelta(days=731))
    assert deleted["items"] == 3 and deleted["items_fts"] == 3
    archive = open_archive(load_config(config_path).settings.database)
    try:
        assert archive.db.execute("SELECT COUNT(*) FROM items").fetchone() == (0,)
        assert archive.db.execute("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH 'zeppelins'").fetchone() == (0,)
        assert archive.db.execute("SELECT COUNT(*) FROM pruned_items").fetchone() == (3,)
    finally:
        archive.close()
    assert jobs.maintain(config_path) is True
    assert [(job, status) for job, status, *_ in _runs(config_path)] == [
        ("poll", "ok"), ("prune", "ok"), ("prune", "ok"), ("prune", "ok"), ("maintain", "ok")]


def test_the_digest_job_writes_one_profile_in_its_own_directory(config_path, caplog):
    caplog.set_level(logging.INFO, logger="watch.jobs")
    profile = "digests:\n  - name: agents-team\n    title: Agents\n    tags: [agents]\n"
    config_path.write_text(config_path.read_text(encoding="utf-8") + profile, encoding="utf-8")
    jobs.poll(config_path, models=fake_models)
    paths = jobs.digest(config_path, profile="agents-team")
    label = parse_period().label
    directory = config_path.parent / "digests" / "agents-team"
    assert paths == [directory / f"{label}.md"]
    markdown = paths[0].read_text(encoding="utf-8")
    assert markdown.startswith(f"# Agents — {label}")
    assert "Agent framework update" in markdown and "Open-weights model released" not in markdown  # tags: [agents]
    job, status, detail, _errors = _runs(config_path)[-1]
    assert (job, status) == ("digest", "ok") and json.loads(detail)["profile"] == "agents-team"
    # a profile that left feeds.yaml since the job was scheduled: said, recorded, nothing written
    assert jobs.digest(config_path, profile="gone") == []
    assert _runs(config_path)[-1][:2] == ("digest", "failed")
    assert any("no digest profile 'gone'" in r.message for r in caplog.records)


def test_the_digest_job_sends_a_profile_to_its_chat_channels_once(config_path):
    from webhookserver import WebhookServer

    jobs.poll(config_path, models=fake_models)
    with WebhookServer() as hooks:
        url = hooks.apprise("json", "/team")
        profile = f"digests:\n  - name: team\n    title: Team watch\n    notify: [\"{url}\"]\n"
        config_path.write_text(config_path.read_text(encoding="utf-8") + profile, encoding="utf-8")
        assert jobs.digest(config_path, profile="team")
        [hook] = hooks.received("/team")
        assert hook.payload["title"].startswith("Team watch")
        assert jobs.digest(config_path, profile="team")  # a restart or a coalesced misfire: not sent twice
        assert len(hooks.received("/team")) == 1
    job, status, detail, _errors = _runs(config_path)[-1]
    assert (job, status) == ("digest", "ok") and list(json.loads(detail)["notify"].values()) == ["skipped"]
