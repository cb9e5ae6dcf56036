"""File modes after real CLI runs: the archive, its -wal/-shm, the job store and exports are 0600; digests 0644.

Every command runs as a subprocess with an explicit umask; a file that already exists keeps its mode.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from testkit import ROOT, wait_for, write_config

FORMATS = ("--format", "md", "--format", "html", "--format", "text", "--format", "atom")


def techwatch(*args: str, cwd: Path, umask: int = 0o022) -> subprocess.CompletedProcess:
    """`python -m watch ...` as a user with this umask runs it."""
    return subprocess.run([sys.executable, "-m", "watch", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, umask=umask, env={**os.environ, "PYTHONPATH": str(ROOT)})


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, [{"name": "Lab", "url": "http://127.0.0.1:1/feed.xml"}])


@contextmanager
def reading(database: Path) -> Iterator[None]:
    """A reader inside a transaction: the writers' -wal and -shm files stay after they close."""
    conn = sqlite3.connect(database)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT COUNT(*) FROM items").fetchone()
        yield
    finally:
        conn.close()


def test_the_archive_and_its_wal_are_private_and_digests_are_readable(tmp_path: Path, config: Path) -> None:
    first = techwatch("digest", "--config", str(config), *FORMATS, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    database = tmp_path / "watch.db"
    assert mode(database) == 0o600
    with reading(database):
        again = techwatch("digest", "--config", str(config), "--week", "current", *FORMATS, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        for suffix in ("-wal", "-shm"):
            assert mode(Path(f"{database}{suffix}")) == 0o600, suffix
    digests = sorted((tmp_path / "digests").iterdir())
    # last week's md, html, txt and feed.atom; this week's (a one-off) md, html, txt and its own .atom
    assert {p.suffix for p in digests} == {".md", ".html", ".txt", ".atom"} and len(digests) == 8
    assert {p.name: mode(p) for p in digests} == {p.name: 0o644 for p in digests}


def test_a_stricter_umask_still_applies(tmp_path: Path, config: Path) -> None:
    done = techwatch("digest", "--config", str(config), *FORMATS, cwd=tmp_path, umask=0o077)
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "watch.db") == 0o600
    assert {mode(p) for p in (tmp_path / "digests").iterdir()} == {0o600}
    done = techwatch("digest", "--config", str(config), "--week", "current", "--out", str(tmp_path / "w.md"),
                     cwd=tmp_path, umask=0o027)
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "w.md") == 0o640


def test_exports_are_private(tmp_path: Path, config: Path) -> None:
    assert techwatch("digest", "--config", str(config), cwd=tmp_path).returncode == 0  # creates the archive
    items = techwatch("export", "--db", str(tmp_path / "watch.db"), "--out", str(tmp_path / "items.jsonl"),
                      cwd=tmp_path)
    assert items.returncode == 0, items.stderr
    assert "0 items exported to" in items.stderr and mode(tmp_path / "items.jsonl") == 0o600
    csv = techwatch("export", "--db", str(tmp_path / "watch.db"), "--format", "csv", "--out",
                    str(tmp_path / "items.csv"), cwd=tmp_path)
    assert csv.returncode == 0 and mode(tmp_path / "items.csv") == 0o600
    assert (tmp_path / "items.csv").read_text(encoding="utf-8").startswith("id,")
    opml = techwatch("feeds", "export", "--config", str(config), "--out", str(tmp_path / "sources.opml"),
                     cwd=tmp_path)
    assert opml.returncode == 0, opml.stderr
    assert mode(tmp_path / "sources.opml") == 0o600 and "<opml" in (tmp_path / "sources.opml").read_text()
    assert list(tmp_path.glob(".*.tmp")) == []  # no temporary file left beside them


def test_an_export_that_cannot_be_written_says_why(tmp_path: Path, config: Path) -> None:
    missing = tmp_path / "no-such-dir" / "sources.opml"
    done = techwatch("feeds", "export", "--config", str(config), "--out", str(missing), cwd=tmp_path)
    assert done.returncode == 1
    assert f"Could not open file '{missing}'" in done.stderr and "No such file or directory" in done.stderr
    assert not missing.parent.exists()


def test_existing_files_keep_the_mode_their_owner_gave_them(tmp_path: Path, config: Path) -> None:
    assert techwatch("digest", "--config", str(config), "--format", "md", cwd=tmp_path).returncode == 0
    database = tmp_path / "watch.db"
    [digest] = (tmp_path / "digests").iterdir()
    database.chmod(0o640)
    digest.chmod(0o600)
    out = tmp_path / "sources.opml"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    with reading(database):
        done = techwatch("digest", "--config", str(config), "--format", "md", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert mode(Path(f"{database}-wal")) == 0o640  # SQLite gives it the database's mode
    assert techwatch("feeds", "export", "--config", str(config), "--out", str(out), cwd=tmp_path).returncode == 0
    assert (mode(database), mode(digest), mode(out)) == (0o640, 0o600, 0o644)
    assert "<opml" in out.read_text(encoding="utf-8")  # replaced, mode kept


def _stored_jobs(store: Path) -> int:
    """How many jobs the scheduler has written to its store so far (0 before it exists)."""
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM apscheduler_jobs").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_the_job_store_is_private(tmp_path: Path, config: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "watch", "schedule", "--config", str(config)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, umask=0o022,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    store = tmp_path / "watch.jobs.sqlite"
    try:
        wait_for(lambda: _stored_jobs(store) == 4, timeout=60, what="the scheduler to store its jobs")
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert mode(store) == 0o600
