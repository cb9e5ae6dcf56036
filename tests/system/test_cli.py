"""The CLI as users run it: real subprocesses, real HTTP server, real SQLite file, real model."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest
from fixture_dates import FIXTURE_MONDAY, FIXTURE_NEWEST, recent, week_label, weeks_back
from testkit import ROOT, fixture_bytes, run_cli, write_config

COMMANDS = ("run", "digest", "feeds", "schedule", "search", "show", "stats", "export", "browse")


def test_python_dash_m_help_lists_commands(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_console_script_help():
    script = Path(sys.executable).parent / "techwatch"
    if not script.exists():
        pytest.skip("techwatch console script not installed in this environment (run `make test`)")
    import subprocess

    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert all(command in result.stdout for command in COMMANDS)


@pytest.mark.parametrize("args", [("run", "--help"), ("digest", "--help"), ("feeds", "list", "--help"),
                                  ("feeds", "check", "--help"), ("search", "--help"), ("show", "--help"),
                                  ("stats", "--help"), ("export", "--help"), ("browse", "--help")])
def test_subcommand_help(tmp_path, args):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0 and "--config" in result.stdout


def test_config_error_exit_2_and_nothing_written(tmp_path, server):
    url = server.add("/lab.xml", fixture_bytes("ai_lab.rss.xml"))
    path = write_config(tmp_path, [{"name": "Lab", "url": url, "tags": "[nope]", "intervall": "1h"}])
    result = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "feeds.yaml:" in result.stderr and "nope" in result.stderr and "intervall" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "watch.db").exists()
    assert server.requests == []


def test_missing_config_is_a_clean_error(tmp_path):
    result = run_cli("run", "--config", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert result.returncode == 2 and "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_bad_week_is_a_usage_error(tmp_path):
    result = run_cli("digest", "--week", "soon", cwd=tmp_path)
    assert result.returncode == 2 and "ISO" in result.stderr


@pytest.mark.model
def test_end_to_end_run_digest_rerun(tmp_path, server, closed_port_url):
    shift = weeks_back()  # the fixtures' week becomes last week, whatever today is
    week = week_label(FIXTURE_MONDAY + shift)
    server.add("/lab.xml", fixture_bytes("ai_lab.rss.xml", shift), etag=True)
    server.add("/fr.atom", fixture_bytes("regulation_fr.atom", shift))
    server.add("/latin1.xml", fixture_bytes("latin1_no_decl.rss.xml", shift))
    server.add("/page.html", fixture_bytes("not_a_feed.html"), content_type="text/html")
    path = write_config(tmp_path, [
        {"name": "Lab news", "url": server.url("/lab.xml")},
        {"name": "Veille FR", "url": server.url("/fr.atom")},
        {"name": "Latin1 FR", "url": server.url("/latin1.xml")},
        {"name": "Gone feed", "url": server.url("/gone.xml")},
        {"name": "Web page", "url": server.url("/page.html")},
        {"name": "Down server", "url": closed_port_url},
    ], digest="{directory: digests, per_source: 5}")  # every story a full one: each source's share is tested apart
    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert first.returncode == 1, first.stderr  # partial failure
    out = first.stdout
    assert "Lab news: 4 new" in out and "Veille FR: 3 new" in out and "Latin1 FR: 1 new" in out
    assert "FAILED     Gone feed: HTTP 404" in out
    assert "FAILED     Web page: not a feed" in out
    assert "FAILED     Down server: ConnectError" in out
    assert "8 new items; 8 processed, 0 failed" in out

    db = sqlite3.connect(tmp_path / "watch.db")
    assert db.execute("SELECT COUNT(*) FROM items WHERE status = 'done'").fetchone()[0] == 8
    summaries = db.execute("SELECT s.text, i.content FROM summaries s JOIN items i ON i.id = s.item_id").fetchall()
    assert len(summaries) == 8
    for text, content in summaries:
        assert 0 < len(text) <= 400
        assert " ".join(text.split())[:40] in " ".join(content.split())  # extractive: taken from the text
    tags = dict(db.execute("SELECT i.title, GROUP_CONCAT(t.tag) FROM items i "
                           "JOIN item_tags t ON t.item_id = i.id GROUP BY i.id").fetchall())
    assert "llm" in tags["Open-weights model Nimbus-7B released under Apache 2.0"]
    assert "regulation" in next(v for k, v in tags.items() if k.startswith("AI Act"))
    failing = dict(db.execute("SELECT name, error_count FROM sources WHERE last_error IS NOT NULL").fetchall())
    assert failing == {"Gone feed": 1, "Web page": 1, "Down server": 1}

    digest = run_cli("digest", "--config", str(path), "--week", week, cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    text = (tmp_path / "digests" / f"{week}.md").read_text(encoding="utf-8")
    assert "[Open-weights model Nimbus-7B released under Apache 2.0](https://lab.example.org/news/nimbus-7b" in text
    assert "AI Act : les obligations" in text and "## regulation" in text and "## llm" in text
    assert "Éthique et IA générative" in text

    counts_before = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                     for t in ("items", "summaries", "item_tags", "items_fts")]
    hits = len(server.requests)
    not_due = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert not_due.returncode == 0 and "6 not due" in not_due.stdout
    assert len(server.requests) == hits  # nothing was due: no request at all

    second = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert second.returncode == 1
    assert "0 new items; 0 processed" in second.stdout
    assert "unchanged  Lab news" in second.stdout
    assert "failure #2 in a row" in second.stdout
    counts_after = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("items", "summaries", "item_tags", "items_fts")]
    assert counts_after == counts_before
    failing = dict(db.execute("SELECT name, error_count FROM sources WHERE last_error IS NOT NULL").fetchall())
    assert failing == {"Gone feed": 2, "Web page": 2, "Down server": 2}


def test_feeds_check_reports_each_source(tmp_path, server, closed_port_url):
    shift = weeks_back()
    server.add("/lab.xml", fixture_bytes("ai_lab.rss.xml", shift))
    server.add("/page.html", fixture_bytes("not_a_feed.html"), content_type="text/html")
    path = write_config(tmp_path, [
        {"name": "Lab", "url": server.url("/lab.xml")},
        {"name": "Page", "url": server.url("/page.html")},
        {"name": "Down", "url": closed_port_url},
        {"name": "Off", "url": server.url("/lab.xml"), "enabled": "false"},
    ])
    result = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout
    assert "valid (4 sources, 6 tags)" in out
    assert re.search(r"ok +Lab: HTTP 200, \d+ ms, rss20, 4 entries \(excerpts only, median \d+ chars\), "
                     rf"last item {FIXTURE_NEWEST + shift:%Y-%m-%d}", out)
    assert "validators: none (every poll downloads the whole feed)" in out
    assert "FAILED     Page: not a feed" in out
    assert "FAILED     Down: ConnectError" in out
    assert "disabled   Off" in out
    assert not (tmp_path / "watch.db").exists()  # a check stores nothing


def test_feeds_list_shows_health_after_a_run(tmp_path, server):
    server.add("/lab.xml", fixture_bytes("ai_lab.rss.xml", recent()))  # newest item an hour old: not stale
    path = write_config(tmp_path, [
        {"name": "Lab", "url": server.url("/lab.xml"), "tags": "[llm, agents]", "interval": "6h"},
        {"name": "Gone", "url": server.url("/gone.xml")},
    ])
    before = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert before.returncode == 0 and before.stdout.count("never fetched") == 2
    run_cli("run", "--config", str(path), cwd=tmp_path)
    after = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path).stdout
    lab = next(line for line in after.splitlines() if line.startswith("Lab\t"))
    assert "tags=llm,agents" in lab and "every 6h" in lab and "ok, 4 items" in lab
    gone = next(line for line in after.splitlines() if line.startswith("Gone\t"))
    assert "failing x1: HTTP 404" in gone


def _run_in_pty(args: list[str], cwd: Path) -> str:
    """Run the CLI with its stdout on a pseudo-terminal, as in an interactive shell."""
    import os
    import pty
    import subprocess

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100",
           "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "watch", *args], cwd=cwd, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_only_on_a_terminal(tmp_path, server):
    server.add("/lab.xml", fixture_bytes("ai_lab.rss.xml"))
    server.add("/gone.xml", "x", status=410)
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/lab.xml")},
                                   {"name": "Gone", "url": server.url("/gone.xml")}])
    interactive = _run_in_pty(["feeds", "list", "--config", str(path)], tmp_path)
    assert "never fetched" in interactive  # the pty harness itself works
    plain = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert "\x1b[" not in plain.stdout and "polling" not in plain.stdout
    assert "gone for good" in plain.stdout
    tty = _run_in_pty(["run", "--all", "--config", str(path)], tmp_path)
    assert "polling" in tty and "\x1b[" in tty  # rich drew (and then cleared) a bar
    assert "Total: 2 sources" in tty
