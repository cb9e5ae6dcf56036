"""`techwatch browse`: a real Datasette on 127.0.0.1 over the fixed archive, read-only, with our metadata."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from digest_archive import ITEMS, MONDAY, build
from testkit import ROOT

from watch.cli.main import cli
from watch.query import browse as browse_mod
from watch.store import open_archive
from watch.store.schema import TABLES, VIEWS

browse_command = cli.commands["browse"]  # registered by watch.cli.main (importing cli_browse first is circular)

pytest.importorskip("datasette", reason="Datasette is not installed (pip install \"techwatch[browse]\")")

AS_OF = "2026-11-23"  # Monday after the fixed archive's week 2026-W47


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fingerprint(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size, stat.st_mtime_ns


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"Datasette exited with code {process.returncode}")
        try:
            if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("Datasette did not answer within 30 s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("browse")
    config, archive = build(tmp)
    archive.close()  # checkpointed: from here on only Datasette has the file open
    database = config.settings.database
    metadata = tmp / "metadata.json"
    metadata.write_text(json.dumps(browse_mod.datasette_metadata(database)), encoding="utf-8")
    before = _fingerprint(database)
    port = _free_port()
    process = subprocess.Popen(browse_mod.datasette_command(database, metadata, port=port),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield {"base": base, "db": browse_mod.database_name(database), "path": database, "before": before,
               "config": tmp / "feeds.yaml"}
    finally:
        _stop(process)


def _get(server: dict, path: str, **params: str) -> list[dict]:
    response = httpx.get(f"{server['base']}/{server['db']}/{path}.json", params={"_shape": "array", **params},
                         timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _date(day: int, hour: int) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour)


def _stories_between(start: datetime, end: datetime) -> dict[str, set[str]]:
    """Story id -> sources of the stories (all reports, any date) with a report dated in [start, end)."""
    sources: dict[str, set[str]] = {}
    active = set()
    for source, item_id, _title, day, hour, *_rest, cluster, _summary in ITEMS:
        story = cluster or item_id
        sources.setdefault(story, set()).add(source)
        if start <= _date(day, hour) < end:
            active.add(story)
    return {story: sources[story] for story in active}


def test_top_stories_this_week(server: dict) -> None:
    rows = _get(server, "top_stories_this_week", as_of=AS_OF)
    end = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    expected = _stories_between(end - timedelta(days=7), end)
    assert {r["story_id"] for r in rows} == set(expected)
    assert rows[0]["story_id"] == "c-nimbus" and rows[0]["source_count"] == 3
    assert set(rows[0]["sources"].split(",")) == {"Lab Blog", "Wire", "Veille FR"}
    keys = [(-r["source_count"], -(r["relevance"] if r["relevance"] is not None else -9)) for r in rows]
    assert keys == sorted(keys)
    # Blank as_of: the 7 days before now.
    now = datetime.now(UTC).replace(microsecond=0)
    rows = _get(server, "top_stories_this_week")
    assert {r["story_id"] for r in rows} == set(_stories_between(now - timedelta(days=7), now))


def test_search_query(server: dict) -> None:
    rows = _get(server, "search", q="nimbus")
    assert {r["id"] for r in rows} == {"lab-1", "wire-1", "fr-1"}
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    assert all("[Nimbus]" in r["snippet"] for r in rows)
    assert all(r["tags"] == "llm" and r["story_id"] == "c-nimbus" for r in rows)
    assert {r["id"] for r in _get(server, "search", q='"open weights" OR cnil')} == {"lab-1", "wire-1", "fr-2"}
    assert _get(server, "search", q="") == []


def test_failing_sources(server: dict) -> None:
    rows = _get(server, "failing_sources")
    summary = [(r["name"], r["state"], r["cause"], r["since"]) for r in rows]
    assert summary == [
        ("Broken", "failing", "HTTP 500 Internal Server Error", "2026-11-23T00:00:00+00:00"),
        ("Gone", "gone", "gone (HTTP 410) since 2026-11-18", "2026-11-18T00:00:00+00:00"),
        ("Sleepy", "stale", "no new item; usually one every 24.0 h", "2026-10-27T00:00:00+00:00"),
    ]
    assert rows[0]["error_count"] == 2 and rows[0]["last_status"] == 500


def test_tag_trends(server: dict) -> None:
    rows = _get(server, "tag_trends", as_of=AS_OF)
    this_monday = date.fromisoformat(AS_OF)  # a Monday
    first = this_monday - timedelta(weeks=7)
    counts: Counter = Counter()
    for *_head, day, hour, tags, _relevance, _cluster, _summary in ITEMS:
        when = _date(day, hour).date()
        monday = when - timedelta(days=when.weekday())
        if first <= monday <= this_monday:
            year, week, _ = monday.isocalendar()
            for tag in tags:
                counts[(f"{year}-W{week:02d}", monday.isoformat(), tag)] += 1
    assert {(r["week"], r["monday"], r["tag"]): r["items"] for r in rows} == dict(counts)
    assert rows[0]["week"] == "2026-W47"
    assert [r["monday"] for r in rows] == sorted((r["monday"] for r in rows), reverse=True)


def test_items_search_box(server: dict) -> None:
    rows = _get(server, "items", _search="nimbus")
    assert {r["id"] for r in rows} == {"lab-1", "wire-1", "fr-1"}
    # Raw FTS5 syntax, as `techwatch search` takes it.
    assert {r["id"] for r in _get(server, "items", _search='"open weights"')} == {"lab-1", "wire-1"}
    html = httpx.get(f"{server['base']}/{server['db']}/items", timeout=10).text
    assert 'name="_search"' in html


def test_metadata_describes_tables_and_columns(server: dict) -> None:
    metadata = httpx.get(f"{server['base']}/-/metadata.json", timeout=10).json()
    tables = metadata["databases"][server["db"]]["tables"]
    for name in ("items", "sources", "runs"):
        assert tables[name]["description"] == TABLES[name].description
        assert tables[name]["columns"] == TABLES[name].columns
    for name in VIEWS:
        assert tables[name]["description"] == VIEWS[name].description
    assert tables["items"]["fts_table"] == "items_fts" and tables["items"]["fts_pk"] == "rowid"
    queries = metadata["databases"][server["db"]]["queries"]
    assert set(queries) == {"top_stories_this_week", "search", "failing_sources", "tag_trends"}
    html = httpx.get(f"{server['base']}/{server['db']}/stories", timeout=10).text
    assert VIEWS["stories"].description.split(":")[0] in html


def test_archive_is_read_only_and_live(server: dict) -> None:
    # Mutable, not immutable: Datasette 0.65 then connects with `file:...?mode=ro` (datasette/database.py).
    databases = httpx.get(f"{server['base']}/-/databases.json", timeout=10).json()
    assert [(d["name"], d["is_mutable"]) for d in databases if not d["is_memory"]] == [(server["db"], True)]
    for path in ("items", "stories", "items_with_tags", "sources", "search"):
        httpx.get(f"{server['base']}/{server['db']}/{path}?q=nimbus", timeout=10)
    assert _fingerprint(server["path"]) == server["before"], "Datasette modified the archive file"
    # A writer (the scheduler) can still commit while Datasette serves, and Datasette sees it (not immutable).
    archive = open_archive(server["path"])
    try:
        archive.set_staleness("Wire", datetime(2026, 11, 20, tzinfo=UTC), 3600)
    finally:
        archive.close()
    assert "Wire" in {r["name"] for r in _get(server, "failing_sources")}


def test_browse_without_datasette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config, archive = build(tmp_path)
    archive.close()
    real_find_spec = browse_mod.importlib.util.find_spec
    monkeypatch.setattr(browse_mod.importlib.util, "find_spec",
                        lambda name, *a: None if name == "datasette" else real_find_spec(name, *a))
    result = CliRunner().invoke(browse_command, ["--config", str(tmp_path / "feeds.yaml")])
    assert result.exit_code == 1
    assert 'Datasette is not installed: pip install "techwatch[browse]"' in result.output


def test_browse_help() -> None:
    result = CliRunner().invoke(browse_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--open / --no-open", "--config", "--db"):
        assert option in result.output


def test_browse_command_serves_and_stops_on_ctrl_c(server: dict) -> None:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "watch", "browse", "--config", str(server["config"]),
                                "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process)
        metadata = httpx.get(f"http://127.0.0.1:{port}/-/metadata.json", timeout=10).json()
        assert "search" in metadata["databases"][server["db"]]["queries"]
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
        out, _err = process.communicate(timeout=15)
        assert process.returncode == 0
        assert b"read-only" in out
    finally:
        _stop(process)


def _children(pid: int) -> list[int]:
    """Pids of the live processes whose parent is `pid` (from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry.name))
    return children


def _exists(pid: int) -> bool:
    """Whether a process `pid` exists, zombies included (a reaped child is gone from /proc)."""
    return Path(f"/proc/{pid}").exists()


def _browse(config: Path, tmpdir: Path, *args: str, **popen: object) -> subprocess.Popen:
    """`python -m watch browse` as a user starts it, its temporary files under `tmpdir`."""
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "watch", "browse", "--config", str(config), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **popen)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the Datasette child")
@pytest.mark.parametrize("signum, host", [(signal.SIGTERM, "127.0.0.1"), (signal.SIGINT, "localhost")])
def test_a_signal_stops_datasette_and_removes_the_temporary_folder(server: dict, tmp_path: Path,
                                                                  signum: signal.Signals, host: str) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    port = _free_port()
    process = _browse(server["config"], tmpdir, "--host", host, "--port", str(port))
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process)
        [child] = _children(process.pid)
        assert b"datasette" in Path(f"/proc/{child}/cmdline").read_bytes()
        [folder] = tmpdir.iterdir()
        assert folder.name.startswith("techwatch-browse-") and (folder / "metadata.json").is_file()
        process.send_signal(signum)  # to techwatch alone, as `kill` or systemd's stop would
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert f"{signum.name} received, Datasette stopped" in err
        assert "warning" not in err  # a loopback host is not warned about
        assert not _exists(child), "the Datasette process outlived techwatch browse"
        assert list(tmpdir.iterdir()) == [], "the temporary folder was left behind"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=2)
    finally:
        _stop(process)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1"])
def test_a_host_off_loopback_is_warned_about(server: dict, tmp_path: Path, host: str) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    # Nothing is exposed: the port is held on 127.0.0.1, which 0.0.0.0 includes, and 192.0.2.1 (a
    # documentation address) is no address of this machine, so Datasette cannot bind and exits.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        process = _browse(server["config"], tmpdir, "--host", host, "--port", str(port))
        try:
            _out, err = process.communicate(timeout=60)
        finally:
            _stop(process)
    assert (f"warning: --host {host} is not a loopback address: the whole archive is then readable, without a "
            f"password, by anyone who can reach port {port} of this machine") in err
    assert process.returncode == 1, err
    assert "error: Datasette exited with code" in err
    assert list(tmpdir.iterdir()) == []
