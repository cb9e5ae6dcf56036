"""`techwatch digest` as a user runs it: formats, --out, and --email to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import feedparser
import pytest
from digest_archive import WEEK, build
from smtpserver import SMTPServer, closed_port
from testkit import ROOT

ACCENTED = "Veille techno — semaine {label} : modèles, agents, régulation"


def _cli(*args: str, cwd, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "watch", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def _with_email(tmp_path, port: int, **extra: str) -> None:
    path = tmp_path / "feeds.yaml"
    lines = [f"  email:\n    host: 127.0.0.1\n    port: {port}\n    security: none",
             "    from: Tech watch <watch@example.org>", "    to: [cto@example.org, team@example.org]",
             f"    subject: \"{ACCENTED}\""]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    text = path.read_text(encoding="utf-8").replace("settings:\n", "settings:\n" + "\n".join(lines) + "\n", 1)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def archive_dir(tmp_path):
    _config, archive = build(tmp_path)
    archive.close()
    return tmp_path


def test_digest_writes_the_formats_asked(archive_dir):
    done = _cli("digest", "--week", WEEK, "--publish", "--format", "html", "--format", "atom", cwd=archive_dir)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (archive_dir / "digests").iterdir()) == [f"{WEEK}.html", "feed.atom"]
    assert feedparser.parse((archive_dir / "digests" / "feed.atom").read_bytes()).bozo == 0
    single = _cli("digest", "--week", WEEK, "--format", "text", "--out", "week.txt", cwd=archive_dir)
    assert single.returncode == 0 and "Nimbus 3" in (archive_dir / "week.txt").read_text(encoding="utf-8")
    bad = _cli("digest", "--format", "md", "--format", "html", "--out", "x", cwd=archive_dir)
    assert bad.returncode == 2 and "single --format" in bad.stderr


def test_email_is_sent_once_as_text_and_html(archive_dir):
    with SMTPServer() as server:
        _with_email(archive_dir, server.port)
        sent = _cli("digest", "--week", WEEK, "--email", cwd=archive_dir)
        assert sent.returncode == 0, sent.stderr
        assert "sent to cto@example.org, team@example.org" in sent.stdout
        message = server.message()
        assert message["Subject"] == ACCENTED.format(label=WEEK)
        assert message["From"] == "Tech watch <watch@example.org>" and message["Message-ID"]
        assert sorted(server.received[-1].rcpt_tos) == sorted(["cto@example.org", "team@example.org"])
        assert message.get_content_type() == "multipart/alternative"
        text, html = (part.get_content() for part in message.iter_parts())
        assert "Nimbus 3" in text and "La CNIL précise ses recommandations" in text
        assert "<html" in html.lower() and 'href="https://lab-1.example/post"' in html
        assert "<script" not in html.lower() and "&lt;script&gt;" in html  # the hostile title, as text
        assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE)
        # the same week again (cron's next turn): said, not sent, and not an error
        again = _cli("digest", "--week", WEEK, "--email", cwd=archive_dir)
        assert again.returncode == 0, again.stderr
        assert re.search(rf"Digest {WEEK} was already sent on \d{{4}}-\d\d-\d\d \d\d:\d\d UTC to "
                         r"cto@example.org, team@example.org; not sent again \(--force sends it again\)\.",
                         again.stdout), again.stdout
        assert "error" not in again.stderr and f"Digest {WEEK} written to" in again.stdout
        assert len(server.received) == 1
        forced = _cli("digest", "--week", WEEK, "--email", "--force", cwd=archive_dir)
        assert forced.returncode == 0 and len(server.received) == 2


def test_a_failed_send_is_reported_and_the_digest_kept(archive_dir):
    _with_email(archive_dir, closed_port())
    failed = _cli("digest", "--week", WEEK, "--email", cwd=archive_dir)
    assert failed.returncode == 1
    assert re.search(r"not sent: .*127\.0\.0\.1:\d+", failed.stderr)
    assert (archive_dir / "digests" / f"{WEEK}.md").is_file() and "kept in" in failed.stderr
    # not recorded as sent: the next attempt, once the server is up, needs no --force
    with SMTPServer() as server:
        path = archive_dir / "feeds.yaml"
        path.write_text(re.sub(r"port: \d+", f"port: {server.port}", path.read_text(encoding="utf-8")),
                        encoding="utf-8")
        retry = _cli("digest", "--week", WEEK, "--email", cwd=archive_dir)
        assert retry.returncode == 0, retry.stderr
        assert len(server.received) == 1


def test_email_without_settings_says_what_to_add(archive_dir):
    done = _cli("digest", "--week", WEEK, "--email", cwd=archive_dir)
    assert done.returncode == 1 and "add an 'email:' block" in done.stderr
