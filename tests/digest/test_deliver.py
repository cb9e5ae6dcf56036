"""deliver_digest: e-mail (a real SMTP server) and chat channels (real Apprise, real webhooks on 127.0.0.1),
once per period and channel, every attempt recorded in a real archive, a failed channel retried alone."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from digest_archive import WEEK
from smtpserver import SMTPServer, closed_port

from watch import pipeline
from watch.digest.build import parse_period
from watch.digest.deliver import deliver_digest, email_channel, full_digest_link
from watch.errors import DeliveryError
from watch.records import DEFAULT_PROFILE, DigestSettings

SECRET = "xoxb-5ecret-T0ken-77"


@pytest.fixture
def written(fixed_archive):
    config, archive = fixed_archive
    return config, archive, pipeline.produce_digest(config, archive, parse_period(week=WEEK))


def deliver(archive, written, smtp, urls, *, env=(), environ=None, force=False, profile=DEFAULT_PROFILE):
    return deliver_digest(archive, profile=profile, digest=written.digest, record=written.record,
                          environ=environ or {}, email=smtp.settings(), recipients=("team@example.org",),
                          notify=urls, notify_env=env, link="https://watch.example.org/digests/2026-W47.html",
                          force=force)


def statuses(results) -> list[tuple[str, str]]:
    return [(r.channel.split(" ", 1)[0], r.status) for r in results]


def test_every_channel_gets_the_digest_once_and_a_second_call_sends_nothing(written, hooks):
    _config, archive, done = written
    urls = [hooks.apprise("json", "/ml"), hooks.apprise("form", "/sec")]
    with SMTPServer() as smtp:
        first = deliver(archive, done, smtp, urls)
        assert statuses(first) == [("email", "sent"), ("json", "sent"), ("form", "sent")]
        assert len(smtp.received) == 1 and smtp.received[0].rcpt_tos == ("team@example.org",)
        assert smtp.message().get_body(("plain",)).get_content().startswith(f"Tech watch — {WEEK}")
        (ml,), (sec,) = hooks.received("/ml"), hooks.received("/sec")
        assert ml.payload["title"] == sec.payload["title"] == f"Tech watch — {WEEK}"
        assert "https://lab-1.example/post" in ml.payload["message"]  # the lead story: Nimbus 3, three sources
        release = "- vllm 0.12.0: breaking: Drop support for Python 3.9 https://vllm-1.example/post"
        assert release in ml.payload["message"]
        assert "Broken: failing" in ml.payload["message"]
        assert ml.payload["message"].endswith("Full digest: https://watch.example.org/digests/2026-W47.html")
        second = deliver(archive, done, smtp, urls)
        assert [r.status for r in second] == ["skipped"] * 3 and all(r.sent_at for r in second)
        assert len(smtp.received) == 1 and len(hooks.received()) == 2
    attempts = archive.deliveries(DEFAULT_PROFILE, WEEK)
    assert [(a.kind, a.status) for a in attempts] == [("email", "sent"), ("notify", "sent"), ("notify", "sent")]
    assert attempts[0].channel == "email to team@example.org"
    assert attempts[1].channel == f"json channel 127.0.0.1:{hooks.port}/ml"


def test_a_refusing_channel_fails_alone_and_is_retried_alone(written, hooks):
    _config, archive, done = written
    dead = f"json://127.0.0.1:{closed_port()}/nobody"
    urls = [hooks.apprise("json", "/ok"), hooks.apprise("json", "/flaky"), dead]
    hooks.fail("/flaky", 500)
    with SMTPServer() as smtp:
        first = deliver(archive, done, smtp, urls)
        assert statuses(first) == [("email", "sent"), ("json", "sent"), ("json", "failed"), ("json", "failed")]
        assert "HTTP 500" in first[2].error and "onnection error" in first[3].error
        hooks.fail("/flaky", None)
        second = deliver(archive, done, smtp, urls)
        assert [r.status for r in second] == ["skipped", "skipped", "sent", "failed"]
        assert len(smtp.received) == 1
    assert len(hooks.received("/ok")) == 1 and len(hooks.received("/flaky")) == 1  # the retry, once
    assert len(hooks.received("/flaky", accepted=False)) == 2
    failed = [a for a in archive.deliveries(DEFAULT_PROFILE, WEEK) if a.status == "failed"]
    assert [a.channel.split(" ", 2)[2] for a in failed] == [f"127.0.0.1:{hooks.port}/flaky", dead[7:],
                                                            dead[7:]]
    assert "HTTP 500" in failed[0].error and all(a.error for a in failed)


def test_force_sends_again_to_every_channel(written, hooks):
    _config, archive, done = written
    with SMTPServer() as smtp:
        deliver(archive, done, smtp, [hooks.apprise("json", "/a")])
        again = deliver(archive, done, smtp, [hooks.apprise("json", "/a")], force=True)
        assert [r.status for r in again] == ["sent", "sent"]
        assert len(smtp.received) == 2 and len(hooks.received("/a")) == 2


def test_each_profile_and_period_is_its_own(written, hooks):
    _config, archive, done = written
    with SMTPServer() as smtp:
        deliver(archive, done, smtp, [hooks.apprise("json", "/a")])
        other = deliver(archive, done, smtp, [hooks.apprise("json", "/a")], profile="security")
        assert [r.status for r in other] == ["sent", "sent"]
    assert len(hooks.received("/a")) == 2


def test_secrets_from_notify_env_appear_nowhere(written, hooks, caplog, tmp_path):
    _config, archive, done = written
    caplog.set_level(logging.DEBUG)
    url = hooks.apprise("json", "/secret", auth=f"bot:{SECRET}@")
    environ = {"TECHWATCH_SLACK_URL": url}
    hooks.fail("/secret", 500)
    with SMTPServer() as smtp:
        first = deliver(archive, done, smtp, [], env=("TECHWATCH_SLACK_URL", "TECHWATCH_MISSING"), environ=environ)
        hooks.fail("/secret", None)
        second = deliver(archive, done, smtp, [], env=("TECHWATCH_SLACK_URL", "TECHWATCH_MISSING"),
                         environ=environ)
    assert [r.status for r in first] == ["sent", "failed", "failed"]
    assert first[2].error.endswith("the environment variable TECHWATCH_MISSING is not set")
    assert [r.status for r in second] == ["skipped", "sent", "failed"]
    (hook,) = hooks.received("/secret")
    assert hook.headers["Authorization"].startswith("Basic ")  # the secret was used...
    shown = " ".join(f"{r.channel} {r.error}" for r in (*first, *second))
    assert SECRET not in shown and SECRET not in caplog.text  # ...and never shown nor logged
    archive.db.conn.commit()
    archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("watch.db*"))
    assert b"/secret" in stored  # the display is there (the database holds what it should)...
    assert SECRET.encode() not in stored and url.encode() not in stored  # ...never the secret nor the URL


def test_the_default_profile_email_is_the_one_digest_email_knows(written):
    config, archive, done = written
    with SMTPServer() as smtp:
        deliver(archive, done, smtp, [])
        assert archive.digest_sent(WEEK) is not None
        config = dataclasses.replace(config, settings=dataclasses.replace(config.settings, email=smtp.settings()))
        with pytest.raises(DeliveryError, match="already sent"):  # `digest --email` does not send it again
            pipeline.email_digest(config, archive, parse_period(week=WEEK), {})
        assert len(smtp.received) == 1


def test_the_full_digest_link_names_a_served_format():
    settings = DigestSettings(formats=("md", "html"), public_url="https://w.example/digests/")
    assert full_digest_link(settings, "2026-W47") == "https://w.example/digests/2026-W47.html"
    markdown = DigestSettings(formats=("md", "atom"), public_url="https://w.example/digests")
    assert full_digest_link(markdown, "2026-W47", "ml-team") == "https://w.example/digests/ml-team/2026-W47.md"
    assert full_digest_link(DigestSettings(), "2026-W47") is None


def test_the_email_channel_key_does_not_depend_on_order_or_case():
    assert email_channel(["B@x.org", "a@x.org"]) == email_channel(["a@x.org", "b@x.org"])
    assert email_channel(["a@x.org"])[1] == "email to a@x.org"
