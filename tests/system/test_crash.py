"""A run stopped by SIGTERM, or killed (-9) at several points, loses nothing and duplicates nothing.

Real processes (`python -m watch`), a real HTTP server on 127.0.0.1, the real model, real SQLite files.
The crash points tried and their outcomes are printed (run pytest with -s to see them).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from testkit import ROOT, rss, run_cli, wait_for, write_config

pytestmark = pytest.mark.model

SUBJECTS = ["The open-weights LLM", "A GPU cluster for inference", "The EU AI Act compliance guide",
            "An autonomous agent framework", "A CVE in a model server", "The sovereign cloud offer"]
VERBS = ["was released", "was benchmarked", "was criticised", "was adopted", "was audited", "was delayed"]
DETAILS = ["by a European lab", "after months of work", "with a permissive licence", "on commodity hardware",
           "under pressure from regulators", "with detailed documentation", "for Kubernetes users",
           "despite higher costs"]


def news_items(count: int) -> list[dict[str, str]]:
    """`count` distinct items with a few sentences of text each (the same on every call)."""
    rng = random.Random(7)
    items = []
    for n in range(count):
        sentences = [f"{rng.choice(SUBJECTS)} number {n} {rng.choice(VERBS)} {rng.choice(DETAILS)}."
                     for _ in range(5)]
        items.append({"title": f"Story {n}: {sentences[0][:-1]}", "link": f"https://news.example/{n}",
                      "guid": f"story-{n}", "description": "<p>" + " ".join(sentences) + "</p>"})
    return items


def start_run(config: Path, cwd: Path, *args: str) -> subprocess.Popen:
    """`python -m watch run` in the background."""
    return subprocess.Popen([sys.executable, "-m", "watch", "run", "--config", str(config), *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def query(db: Path, sql: str) -> list[tuple]:
    """Rows of a read-only query (the writer may be running: WAL lets us read)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # no such table yet
        return []
    finally:
        conn.close()


def done_count(db: Path) -> int:
    """Items processed so far."""
    rows = query(db, "SELECT COUNT(*) FROM items WHERE status = 'done'") if db.exists() else []
    return rows[0][0] if rows else 0


def check_archive(db: Path, expected_items: int) -> dict[str, str]:
    """Integrity, and every item done once with one summary, its tags and one FTS row; return {id: summary}."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    assert query(db, "SELECT status, COUNT(*) FROM items GROUP BY status") == [("done", expected_items)]
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT guid) FROM items") == [(expected_items, expected_items)]
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT item_id) FROM summaries") == [(expected_items,) * 2]
    assert query(db, "SELECT COUNT(*) FROM items_fts") == [(expected_items,)]
    assert query(db, "SELECT COUNT(*) FROM (SELECT item_id, tag FROM item_tags GROUP BY 1, 2 HAVING COUNT(*) > 1)") \
        == [(0,)]
    return dict(query(db, "SELECT item_id, text FROM summaries"))


def tags_of(db: Path) -> set[tuple[str, str]]:
    """(item id, tag) pairs."""
    return set(query(db, "SELECT item_id, tag FROM item_tags"))


def test_sigterm_stops_between_batches_and_the_next_run_finishes(tmp_path, server):
    count = 130  # five batches of 32: time to signal the run after the first batch is saved
    server.add("/news.xml", rss("News", news_items(count)))
    config = write_config(tmp_path, [{"name": "News", "url": server.url("/news.xml"), "extract": "never"}])
    db = tmp_path / "watch.db"
    proc = start_run(config, tmp_path)
    try:
        wait_for(lambda: done_count(db) > 0 or proc.poll() is not None, what="the first items to be processed")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    pending = count - done_count(db)
    print(f"\nSIGTERM after the first processed item: exit {proc.returncode}, {count - pending} done, "
          f"{pending} pending; stderr: {err.strip().splitlines()[-1]!r}")
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert 0 < pending < count
    assert f"stopped by SIGTERM: {pending} items left pending for the next run" in err
    assert "Total: 1 sources" in out
    assert query(db, "SELECT status FROM runs") == [("interrupted",)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) FROM items WHERE status = 'pending'") == [(pending,)]

    again = run_cli("run", "--config", str(config), cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{pending} processed, 0 failed" in again.stdout
    check_archive(db, count)
    assert query(db, "SELECT status FROM runs ORDER BY id") == [("interrupted",), ("ok",)]


def test_sigint_during_fetch_leaves_the_source_due(tmp_path, server):
    server.add("/slow.xml", rss("Slow", news_items(3)), delay=3)
    server.add("/fast.xml", rss("Fast", []))
    config = write_config(tmp_path, [{"name": "Slow", "url": server.url("/slow.xml")}] + [
        {"name": f"Fast {n}", "url": server.url("/fast.xml") + f"?{n}"} for n in range(6)],
        fetch="{timeout: 5, concurrency: 1}")
    proc = start_run(config, tmp_path)
    try:
        wait_for(lambda: server.hits("/slow.xml"), what="the slow fetch to start")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "stopped by SIGINT: 3 items left pending for the next run" in err
    db = tmp_path / "watch.db"
    # the fetch under way was finished and stored; the sources not started were not polled
    assert query(db, "SELECT COUNT(*) FROM items WHERE status = 'pending'") == [(3,)]
    polled = query(db, "SELECT COUNT(*) FROM sources WHERE last_checked_at IS NOT NULL")[0][0]
    assert polled < 7
    assert query(db, "SELECT status FROM runs") == [("interrupted",)]


def test_kill_9_at_several_points_then_compare_with_a_clean_run(tmp_path, server):
    count = 70
    route = server.add("/news.xml", rss("News", news_items(count)), delay=30)
    clean_dir, crash_dir = tmp_path / "clean", tmp_path / "crash"
    clean_dir.mkdir()
    crash_dir.mkdir()
    sources = [{"name": "News", "url": route, "extract": "never"}]
    crash_config = write_config(crash_dir, sources)
    db = crash_dir / "watch.db"
    outcomes: list[str] = []

    # 1. during the fetch: the feed answers after 30 s; kill while the request is in flight
    proc = start_run(crash_config, crash_dir)
    wait_for(lambda: server.hits("/news.xml"), what="the feed request")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    outcomes.append(f"kill -9 during fetch: {done_count(db)} done, runs {query(db, 'SELECT status FROM runs')}, "
                    f"integrity {query(db, 'PRAGMA integrity_check')[0][0]}")
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) FROM items") == [(0,)]
    server.routes["/news.xml"].delay = 0

    # 2. during model work: as soon as the first item is saved
    proc = start_run(crash_config, crash_dir)
    wait_for(lambda: done_count(db) > 0 or proc.poll() is not None, what="the first processed item")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    done = done_count(db)
    outcomes.append(f"kill -9 during model work: exit {proc.returncode}, {done} of {count} done, "
                    f"integrity {query(db, 'PRAGMA integrity_check')[0][0]}")
    assert proc.returncode == -signal.SIGKILL
    assert 0 < done < count
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) FROM summaries") == [(done,)]  # one transaction per item

    # 3. a run to completion: the lock of the killed process is gone, the pending items are done
    finished = run_cli("run", "--config", str(crash_config), cwd=crash_dir, timeout=300)
    outcomes.append(f"run after the kills: exit {finished.returncode}; {finished.stdout.strip().splitlines()[-1]}")
    assert finished.returncode == 0, finished.stderr
    assert f"{count - done} processed, 0 failed" in finished.stdout

    # 4. during the digest: killed at several moments after start, then written for real. The items are dated
    # when they were fetched: `--since 7d` holds them even if a new ISO week began since.
    for delay in (0.3, 0.8, 1.3):
        proc = subprocess.Popen([sys.executable, "-m", "watch", "digest", "--since", "7d", "--config",
                                 str(crash_config)], cwd=crash_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        outcomes.append(f"kill -9 digest after {delay} s: exit {proc.returncode}, "
                        f"integrity {query(db, 'PRAGMA integrity_check')[0][0]}")
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
    digest = run_cli("digest", "--since", "7d", "--format", "md", "--config", str(crash_config), cwd=crash_dir,
                     timeout=300)
    outcomes.append(f"digest after the kills: exit {digest.returncode}")
    assert digest.returncode == 0, digest.stderr
    written = next((crash_dir / "digests").glob("*.md")).read_text(encoding="utf-8")
    assert "Story " in written

    # the same feed, one clean run in another directory
    clean_config = write_config(clean_dir, sources)
    clean = run_cli("run", "--config", str(clean_config), cwd=clean_dir, timeout=300)
    assert clean.returncode == 0, clean.stderr
    crashed_summaries = check_archive(db, count)
    clean_summaries = check_archive(clean_dir / "watch.db", count)
    assert crashed_summaries == clean_summaries  # same item ids, same summary text per item
    assert tags_of(db) == tags_of(clean_dir / "watch.db")
    outcomes.append(f"compared with a clean run: {count} items, same ids, summaries and tags; no duplicates")
    print("\n" + "\n".join(outcomes))
