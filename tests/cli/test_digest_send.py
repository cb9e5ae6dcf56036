"""`techwatch digest --send`: every channel once per period, a failed one retried alone, --force resends.

E-mail runs as a user runs it (a subprocess, a real SMTP server on 127.0.0.1). Chat channels come from
the default digest profile's `notify:` and `notify_env:` in feeds.yaml; those runs are in-process (the
variable set by the test), delivering with the real Apprise library to a real webhook receiver.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from digest_archive import WEEK, build, with_email
from smtpserver import SMTPServer
from testkit import run_cli
from webhookserver import WebhookServer

from watch.cli.main import cli
from watch.store import open_archive

SECRET = "hook-5ecret-a1b2c3d4e5"


@pytest.fixture
def archive_dir(tmp_path):
    _config, archive = build(tmp_path)
    archive.close()
    return tmp_path


def test_send_emails_once_and_force_sends_again(archive_dir):
    with SMTPServer() as server:
        with_email(archive_dir, server.port)
        sent = run_cli("digest", "--week", WEEK, "--send", cwd=archive_dir)
        assert sent.returncode == 0, sent.stderr
        assert f"Digest {WEEK} sent to email to cto@example.org" in sent.stdout
        assert len(server.received) == 1 and server.message()["Subject"] == f"Tech watch {WEEK}"
        again = run_cli("digest", "--week", WEEK, "--send", cwd=archive_dir)
        assert again.returncode == 0 and "already sent to email to cto@example.org" in again.stdout
        assert len(server.received) == 1
        email = run_cli("digest", "--week", WEEK, "--email", cwd=archive_dir)  # --email knows it was sent too
        assert email.returncode == 0 and "already sent" in email.stdout and len(server.received) == 1
        forced = run_cli("digest", "--week", WEEK, "--send", "--force", cwd=archive_dir)
        assert forced.returncode == 0 and len(server.received) == 2


def test_force_alone_is_a_usage_error(archive_dir):
    done = run_cli("digest", "--week", WEEK, "--force", cwd=archive_dir)
    assert done.returncode == 2 and "--force only applies to --email or --send" in done.stderr


def test_send_without_any_channel_says_so(archive_dir):
    done = run_cli("digest", "--week", WEEK, "--send", cwd=archive_dir)
    assert done.returncode == 0 and "no channel to send it to" in done.stdout


def test_chat_channels_fail_alone_are_retried_alone_and_keep_their_secret(archive_dir, monkeypatch):
    monkeypatch.chdir(archive_dir)
    with WebhookServer() as hooks:
        secret_url = hooks.apprise("json", "/sec", auth=f"bot:{SECRET}@")
        monkeypatch.setenv("TECHWATCH_SEC_URL", secret_url)
        feeds = archive_dir / "feeds.yaml"
        feeds.write_text(feeds.read_text(encoding="utf-8") + "digests:\n  - name: default\n"
                         f"    notify: [\"{hooks.apprise('form', '/ml')}\"]\n    notify_env: TECHWATCH_SEC_URL\n",
                         encoding="utf-8")
        hooks.fail("/sec", 500)
        first = CliRunner().invoke(cli, ["-v", "digest", "--week", WEEK, "--send"])
        assert first.exit_code == 1, first.output
        assert f"Digest {WEEK} sent to form channel 127.0.0.1:{hooks.port}/ml" in first.stdout
        assert f"not sent to json channel bot:****@127.0.0.1:{hooks.port}/sec" in first.stderr
        assert "HTTP 500" in first.stderr
        hooks.fail("/sec", None)
        second = CliRunner().invoke(cli, ["-v", "digest", "--week", WEEK, "--send"])
        assert second.exit_code == 0, second.output
        assert "already sent to form channel" in second.stdout and "sent to json channel" in second.stdout
        assert len(hooks.received("/ml")) == 1 and len(hooks.received("/sec")) == 1
        assert f"{WEEK}" in hooks.received("/sec")[0].payload["title"]
    for result in (first, second):
        assert SECRET not in result.output and SECRET not in result.stderr  # log lines (-v) included
    archive = open_archive(archive_dir / "watch.db")
    try:
        assert [(a.kind, a.status) for a in archive.deliveries("default", WEEK)] == [
            ("notify", "sent"), ("notify", "failed"), ("notify", "sent")]
    finally:
        archive.close()
    stored = b"".join(path.read_bytes() for path in archive_dir.glob("watch.db*"))
    assert SECRET.encode() not in stored


def test_the_help_tells_about_send(tmp_path):
    done = run_cli("digest", "--help", cwd=tmp_path)
    assert done.returncode == 0 and "--send" in done.stdout and "once per period and channel" in done.stdout
