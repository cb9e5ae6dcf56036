"""Credentials in feed URLs are used for fetching and never shown: logs, listings, errors, OPML, the digest."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path

import listparser
import pytest
from testkit import fixture_bytes, rss, run_cli, write_config

SECRETS = ("s3cretpass", "t0ps3cret", "hunter22", "k3yk3y", "pa55word", "cl0sedtok", "s1gnature", "n3wsig")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_no_secret(text: str, what: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{what}: {secret!r} shown"


@pytest.fixture
def private(tmp_path: Path, server) -> Path:
    """feeds.yaml with a password-and-token feed, a failing one, one on a closed port, one that moved."""
    host = server.base.removeprefix("http://")
    server.add("/private.xml", fixture_bytes("ai_lab.rss.xml"))  # the server ignores the query
    server.add("/fail.xml", "boom", status=500)
    new = f"http://{host}/new.xml?signature=n3wsig"
    server.add("/old.xml", "", status=301, headers={"Location": new})
    server.add("/new.xml", rss("Moved", [{"title": "Moved item", "link": "https://moved.example/1", "guid": "m1"}]))
    urls = {
        "Private": f"http://alice:s3cretpass@{host}/private.xml?token=t0ps3cret&page=2",
        "Failing": f"http://bob:hunter22@{host}/fail.xml?api_key=k3yk3y",
        "Closed": f"http://carol:pa55word@127.0.0.1:{closed_port()}/feed.xml?access_token=cl0sedtok",
        "Moved": f"http://{host}/old.xml?sig=s1gnature",
    }
    path = write_config(tmp_path, [{"name": name, "url": f'"{url}"', "extract": "never"} for name, url in urls.items()])
    return path


@pytest.mark.model
def test_secrets_are_sent_but_never_shown(private, server, tmp_path: Path) -> None:
    path = private
    config = ["--config", str(path)]
    run = run_cli("-v", "run", *config, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr  # two sources fail
    assert_no_secret(run.stdout + run.stderr, "-v run")
    assert "new        Private: 4 new" in run.stdout and "FAILED     Failing: HTTP 500" in run.stdout
    assert "FAILED     Closed: ConnectError" in run.stdout
    assert f"moved permanently to {server.base}/new.xml?signature=…" in run.stdout
    assert "private.xml?token=…&page=2" in run.stderr and "alice" in run.stderr  # the logs name it, masked
    # the real URL was fetched: token in the query, user and password as Basic auth
    sent = [(p, h) for p, h in server.requests if p.startswith("/private.xml")]
    assert sent and sent[0][0] == "/private.xml?token=t0ps3cret&page=2"
    assert sent[0][1]["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cretpass").decode()
    assert any(p == "/new.xml?signature=n3wsig" for p, _ in server.requests)

    listed = run_cli("feeds", "list", *config, cwd=tmp_path)
    assert_no_secret(listed.stdout + listed.stderr, "feeds list")
    assert f"http://alice:…@{server.base[7:]}/private.xml?token=…&page=2" in listed.stdout
    assert "failing x1: HTTP 500" in listed.stdout and "api_key=…" in listed.stdout

    checked = run_cli("-v", "feeds", "check", *config, cwd=tmp_path)
    assert checked.returncode == 1
    assert_no_secret(checked.stdout + checked.stderr, "feeds check")
    assert "ok         Private: HTTP 200" in checked.stdout and "FAILED     Closed: ConnectError" in checked.stdout

    stats = run_cli("stats", *config, cwd=tmp_path)
    assert_no_secret(stats.stdout + stats.stderr, "stats")
    assert "Failing" in stats.stdout

    digest = run_cli("digest", "--since", "30d", "--format", "md", "--out", str(tmp_path / "d.md"), *config,
                     cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    text = (tmp_path / "d.md").read_text(encoding="utf-8")
    assert_no_secret(text, "digest")
    assert "Failing" in text  # Sources health lists it

    hits = json.loads(run_cli("search", "--source", "Private", "--format", "json", *config, cwd=tmp_path).stdout)
    shown = run_cli("show", hits[0]["id"], "--format", "json", *config, cwd=tmp_path)
    assert_no_secret(shown.stdout, "show --format json")
    assert json.loads(shown.stdout)["source"] == "Private"


def test_feeds_export_masks_credentials(private, tmp_path: Path) -> None:
    path = private
    out = run_cli("feeds", "export", "--config", str(path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert_no_secret(out.stdout + out.stderr, "feeds export")
    exported = {feed.title: feed.url for feed in listparser.parse(out.stdout.encode()).feeds}
    assert exported["Private"].endswith("/private.xml?token=…&page=2") and "alice:…@" in exported["Private"]
    assert exported["Failing"].endswith("/fail.xml?api_key=…")
    target = tmp_path / "sources.opml"
    done = run_cli("feeds", "export", "--out", str(target), "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0 and "Exported 4 sources" in done.stderr
    assert_no_secret(target.read_text(encoding="utf-8"), "OPML file")
    assert "masked" in run_cli("feeds", "export", "--help", cwd=tmp_path).stdout
    assert "s3cretpass" in path.read_text(encoding="utf-8")  # feeds.yaml itself keeps the real URL


def test_error_messages_mask_credentials(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"name": "Existing", "url": "https://existing.example/feed"}])
    url = f"http://dave:pa55word@127.0.0.1:{closed_port()}/?token=t0ps3cret"
    added = run_cli("feeds", "add", url, "--config", str(path), cwd=tmp_path)
    assert added.returncode != 0
    assert "cannot fetch http://dave:…@127.0.0.1:" in added.stderr and "token=…" in added.stderr
    assert_no_secret(added.stdout + added.stderr, "feeds add")
    assert "t0ps3cret" not in path.read_text(encoding="utf-8")  # nothing was added
