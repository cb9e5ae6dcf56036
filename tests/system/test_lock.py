"""The archive lock: in-process, across real processes (kill -9 included), and two `techwatch run` at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from testkit import ROOT, rss, run_cli, wait_for, write_config

from watch.errors import LockHeld
from watch.store.lock import archive_lock, lock_holder, lock_path


def test_acquire_release_and_holder(tmp_path):
    db = tmp_path / "watch.db"
    assert lock_holder(db) is None
    with archive_lock(db, "techwatch test"):
        holder = lock_holder(db)
        assert holder["pid"] == os.getpid() and holder["command"] == "techwatch test"
        assert holder["host"] and holder["started_at"]
    assert lock_path(db).exists()  # the file stays; the lock does not
    assert lock_holder(db) is None
    with archive_lock(db, "again"):
        pass


def test_second_acquire_names_the_holder(tmp_path):
    db = tmp_path / "watch.db"
    with archive_lock(db, "techwatch run"):
        start = time.monotonic()
        with pytest.raises(LockHeld) as info, archive_lock(db, "techwatch digest --email"):
            pass
        assert time.monotonic() - start < 1
    message = str(info.value)
    assert f"the archive {db} is in use by pid {os.getpid()} on " in message
    assert "(techwatch run, since " in message and message.endswith(" UTC)")
    assert info.value.exit_code == 3


def test_wait_seconds_waits_for_the_release(tmp_path):
    db = tmp_path / "watch.db"
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with archive_lock(db, "holder thread"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    seen: list[dict] = []
    threading.Timer(0.5, release.set).start()
    start = time.monotonic()
    with archive_lock(db, "waiter", wait_seconds=10, on_wait=seen.append):
        waited = time.monotonic() - start
        assert lock_holder(db)["command"] == "waiter"
    thread.join()
    assert 0.4 < waited < 5
    assert seen and seen[0]["command"] == "holder thread"


def test_wait_seconds_gives_up(tmp_path):
    db = tmp_path / "watch.db"
    with archive_lock(db, "techwatch run"):
        start = time.monotonic()
        with pytest.raises(LockHeld), archive_lock(db, "other", wait_seconds=0.6):
            pass
        assert 0.5 < time.monotonic() - start < 3


def test_a_killed_holder_does_not_block(tmp_path):
    db = tmp_path / "watch.db"
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from watch.store.lock import archive_lock
        with archive_lock(Path({str(db)!r}), "doomed"):
            print("locked", flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert lock_holder(db)["pid"] == proc.pid
        with pytest.raises(LockHeld, match=f"pid {proc.pid} "), archive_lock(db, "me"):
            pass
    finally:
        proc.kill()  # SIGKILL: no cleanup code runs in the holder
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert '"doomed"' in lock_path(db).read_text()  # the dead holder's description is still there...
    assert lock_holder(db) is None  # ...but the kernel released its lock
    with archive_lock(db, "me"):
        assert lock_holder(db)["pid"] == os.getpid()


def _slow_feed(server, tmp_path: Path, delay: float) -> Path:
    # no items: the runs exercise the lock without loading the model
    server.add("/slow.xml", rss("Slow", []), delay=delay)
    return write_config(tmp_path, [{"name": "Slow", "url": server.url("/slow.xml")}])


def test_two_runs_on_one_archive(tmp_path, server):
    config = _slow_feed(server, tmp_path, delay=4)
    db = tmp_path / "watch.db"
    first = subprocess.Popen([sys.executable, "-m", "watch", "run", "--config", str(config)], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        holder = wait_for(lambda: lock_holder(db), what="the first run to take the lock")
        assert holder["pid"] == first.pid and holder["command"] == "techwatch run"
        second = run_cli("run", "--all", "--config", str(config), cwd=tmp_path, timeout=60)
        assert second.returncode == 3, second.stderr
        assert f"is in use by pid {first.pid} on " in second.stderr and "(techwatch run, since" in second.stderr
        assert "Traceback" not in second.stderr
        assert first.poll() is None  # the second one gave up at once
        third = run_cli("run", "--all", "--wait", "60", "--config", str(config), cwd=tmp_path, timeout=90)
        assert first.wait(60) == 0
    finally:
        first.kill()
        first.wait()
    assert third.returncode == 0, third.stderr
    assert f"waiting for pid {first.pid} on " in third.stderr
    assert "Total: 1 sources" in third.stdout
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert runs == [("ok",), ("ok",)]  # the refused run left no trace
    assert server.hits("/slow.xml") == 2


def test_digest_email_takes_the_lock_and_plain_digest_does_not(tmp_path, server):
    config = _slow_feed(server, tmp_path, delay=0)
    db = tmp_path / "watch.db"
    with archive_lock(db, "techwatch run"):
        refused = run_cli("digest", "--week", "current", "--email", "--config", str(config), cwd=tmp_path, timeout=60)
        written = run_cli("digest", "--week", "current", "--format", "md", "--config", str(config), cwd=tmp_path,
                          timeout=60)
    assert refused.returncode == 3, refused.stderr
    assert f"is in use by pid {os.getpid()} on " in refused.stderr and "(techwatch run, since" in refused.stderr
    assert "written to" not in refused.stdout  # nothing done
    assert written.returncode == 0, written.stderr
