"""`techwatch digest --profile NAME`: one profile's digest, or every profile's; --email to each profile's recipients."""

from __future__ import annotations

import pytest
from profile_archive import ML, SECURITY, WEEK, build
from smtpserver import SMTPServer
from testkit import run_cli


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory):
    """The profile archive on disk (vectors of the real default model), closed so the CLI can open it."""
    from watch.nlp import load_embedder

    directory = tmp_path_factory.mktemp("profiles")
    _config, archive = build(directory, load_embedder("use-multilingual"))
    archive.close()
    return directory


def digest(cwd, *args: str):
    return run_cli("digest", "--week", WEEK, *args, cwd=cwd)


def test_one_profile_is_written_alone_and_all_by_default(archive_dir):
    one = digest(archive_dir, "--profile", "security", "--format", "md")
    assert one.returncode == 0, one.stderr
    written = archive_dir / "digests" / "security" / f"{WEEK}.md"
    assert one.stdout.splitlines()[0] == f"Digest {WEEK} (security) written to {written}"  # then: a one-off
    assert all(title in written.read_text(encoding="utf-8") for title in SECURITY)
    assert not (archive_dir / "digests" / "ml-team").exists()
    both = digest(archive_dir, "--format", "md")
    assert both.returncode == 0, both.stderr
    assert [line.split(" written")[0] for line in both.stdout.splitlines() if " written to " in line] == [
        f"Digest {WEEK} (ml-team)", f"Digest {WEEK} (security)"]
    markdown = (archive_dir / "digests" / "ml-team" / f"{WEEK}.md").read_text(encoding="utf-8")
    assert markdown.startswith(f"# ML watch — {WEEK}") and all(title in markdown for title in ML)


def test_an_unknown_profile_is_refused_with_the_known_ones(archive_dir):
    done = digest(archive_dir, "--profile", "sales")
    assert done.returncode == 2
    assert "no digest profile 'sales'" in done.stderr and "(profiles: ml-team, security)" in done.stderr
    assert "Traceback" not in done.stderr


def test_out_names_one_file_so_it_needs_one_profile(archive_dir):
    done = digest(archive_dir, "--out", "week.md")
    assert done.returncode == 2 and "choose one with --profile" in done.stderr
    one = digest(archive_dir, "--out", "week.md", "--profile", "ml-team")
    assert one.returncode == 0, one.stderr
    assert (archive_dir / "week.md").read_text(encoding="utf-8").startswith(f"# ML watch — {WEEK}")


def test_explain_ranks_each_profile_by_its_own_interests(archive_dir):
    done = digest(archive_dir, "--explain", "--profile", "ml-team", "--profile", "security")
    assert done.returncode == 0, done.stderr
    ml, security = done.stdout.split("Security watch")
    assert ml.startswith(f"ML watch — {WEEK}: 6 stories")
    first_ml, first_security = (next(line for line in text.splitlines() if line.strip().startswith("1 "))
                                for text in (ml, security))
    assert any(title in first_ml for title in ML) and any(title in first_security for title in SECURITY)


def test_email_sends_each_profile_to_its_own_recipients_once(tmp_path):
    from watch.nlp import load_embedder

    config, archive = build(tmp_path, load_embedder("use-multilingual"))
    archive.close()
    path = config.path
    with SMTPServer() as server:
        block = (f"  email: {{host: 127.0.0.1, port: {server.port}, security: none, from: watch@example.org, "
                 "to: [cto@example.org]}\n")
        text = path.read_text(encoding="utf-8").replace("settings:\n", "settings:\n" + block, 1)
        text = text.replace("    title: ML watch\n", "    title: ML watch\n    email: [ml@example.org]\n")
        path.write_text(text, encoding="utf-8")
        done = digest(tmp_path, "--email", "--format", "md")
        assert done.returncode == 0, done.stderr
        assert len(server.received) == 1  # security has no recipients of its own: the CTO's are the default's
        assert list(server.received[0].rcpt_tos) == ["ml@example.org"]
        assert server.message()["Subject"] == f"ML watch {WEEK}"
        assert server.message().get_body(("plain",)).get_content().startswith(f"ML watch — {WEEK}")
        assert f"Digest {WEEK} (ml-team) sent to ml@example.org" in done.stdout
        assert f"Digest {WEEK} (security) has no e-mail recipients" in done.stderr + done.stdout
        again = digest(tmp_path, "--email", "--profile", "ml-team", "--format", "md")
        assert again.returncode == 0 and "already sent" in again.stdout + again.stderr
        assert len(server.received) == 1


def test_send_delivers_each_profile_once_to_its_own_webhook_and_mailbox(tmp_path):
    from webhookserver import WebhookServer

    from watch.nlp import load_embedder

    config, archive = build(tmp_path, load_embedder("use-multilingual"))
    archive.close()
    path = config.path
    with SMTPServer() as smtp, WebhookServer() as hooks:
        block = (f"  email: {{host: 127.0.0.1, port: {smtp.port}, security: none, from: watch@example.org, "
                 "to: [cto@example.org]}\n")
        text = path.read_text(encoding="utf-8").replace("settings:\n", "settings:\n" + block, 1)
        for name, title in (("ml", "ML watch"), ("sec", "Security watch")):
            text = text.replace(f"    title: {title}\n", f"    title: {title}\n    email: [{name}@example.org]\n"
                                                           f"    notify: [\"{hooks.apprise('json', '/' + name)}\"]\n")
        path.write_text(text, encoding="utf-8")
        sent = digest(tmp_path, "--send", "--format", "md")
        assert sent.returncode == 0, sent.stderr
        assert sorted(tuple(m.rcpt_tos) for m in smtp.received) == [("ml@example.org",), ("sec@example.org",)]
        ml, sec = hooks.received("/ml"), hooks.received("/sec")
        assert len(ml) == 1 and len(sec) == 1
        assert ml[0].payload["title"].startswith("ML watch") and sec[0].payload["title"].startswith("Security watch")
        assert ML[0] in ml[0].payload["message"] or ML[1] in ml[0].payload["message"]
        assert not any(title in ml[0].payload["message"] for title in SECURITY)
        again = digest(tmp_path, "--send", "--format", "md")  # a second --send delivers nothing new
        assert again.returncode == 0, again.stderr
        assert len(smtp.received) == 2 and len(hooks.received("/ml")) == 1 and len(hooks.received("/sec")) == 1
        assert again.stdout.count("already sent to") == 4
