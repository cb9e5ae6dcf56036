"""Chat channels through the real Apprise library to real receivers on 127.0.0.1 (json://, form://).

What arrived is checked on the receiver: title, lead links, the format; failures carry Apprise's own reason,
and no part of a secret in a URL reaches the display, the error or the log.
"""

from __future__ import annotations

import logging

import pytest
from digest_samples import sample_digest
from smtpserver import closed_port

from watch.digest.chat import build_chat
from watch.digest.notify import channel_key, notify_channel, notify_channels, send_chat
from watch.errors import DeliveryError

SECRET = "s3cr3t-Pa55word"
TOKEN = "tok-9f8e7d6c5b4a"


@pytest.fixture
def message():
    return build_chat(sample_digest(), link="https://watch.example.org/digests/2026-W48.html")


def test_a_json_webhook_gets_the_title_and_the_lead_as_text(hooks, message):
    send_chat(notify_channel(hooks.apprise("json", "/team")), message)
    (hook,) = hooks.received("/team")
    assert hook.payload["title"] == "Tech watch — 2026-W48"
    body = hook.payload["message"]
    assert body == message.text  # the text rendering, unchanged: it fits
    for lead in sample_digest().lead:
        assert lead.url in body
    assert "https://watch.example.org/digests/2026-W48.html" in body


def test_a_form_webhook_gets_the_same_fields(hooks, message):
    send_chat(notify_channel(hooks.apprise("form", "/form")), message)
    (hook,) = hooks.received("/form")
    assert hook.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert hook.payload["title"] == message.title and hook.payload["message"] == message.text


def test_format_markdown_in_the_url_sends_the_markdown_rendering(hooks, message):
    send_chat(notify_channel(hooks.apprise("json", "/md") + "?format=markdown"), message)
    (hook,) = hooks.received("/md")
    assert hook.payload["message"] == message.markdown


def test_a_refusing_webhook_fails_with_apprises_reason_and_the_status(hooks, message):
    hooks.fail("/down", 500)
    channel = notify_channel(hooks.apprise("json", "/down"))
    with pytest.raises(DeliveryError) as info:
        send_chat(channel, message)
    assert str(info.value).startswith(f"json channel 127.0.0.1:{hooks.port}/down: ")
    assert "HTTP 500" in str(info.value)
    assert len(hooks.received("/down", accepted=False)) == 1


def test_a_closed_port_fails_with_a_connection_error(message):
    channel = notify_channel(f"form://127.0.0.1:{closed_port()}/x")
    with pytest.raises(DeliveryError, match=r"form channel 127\.0\.0\.1:\d+/x: .*[Cc]onnection error"):
        send_chat(channel, message)


def test_secrets_of_a_url_are_neither_shown_nor_in_errors_nor_logged(hooks, message, caplog):
    url = hooks.apprise("json", "/down", auth=f"watch:{SECRET}@") + f"?+X-Api-Key={TOKEN}"
    channel = notify_channel(url)
    assert SECRET not in channel.display and TOKEN not in channel.display and SECRET not in repr(channel)
    assert channel.key == channel_key(url) and SECRET not in channel.key
    hooks.fail("/down", 500)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeliveryError) as info:
        send_chat(channel, message)
    assert SECRET not in str(info.value) and TOKEN not in str(info.value)
    (hook,) = hooks.received("/down", accepted=False)
    assert hook.headers["X-Api-Key"] == TOKEN and hook.headers["Authorization"].startswith("Basic ")  # really sent
    hooks.fail("/down", None)
    send_chat(channel, message)
    assert caplog.records  # techwatch logged the delivery...
    assert SECRET not in caplog.text and TOKEN not in caplog.text  # ...and nothing of Apprise's debug lines


def test_urls_from_the_environment_are_read_now_and_a_missing_one_is_a_problem(hooks):
    url = hooks.apprise("json", "/env", auth=f"bot:{SECRET}@")
    channels = notify_channels([hooks.apprise("form", "/plain")], ["TECHWATCH_TEAM_URL", "TECHWATCH_UNSET"],
                               {"TECHWATCH_TEAM_URL": url})
    plain, from_env, unset = channels
    assert not plain.problem and plain.env is None
    assert from_env.env == "TECHWATCH_TEAM_URL" and from_env.url == url and SECRET not in from_env.display
    assert unset.problem == "the environment variable TECHWATCH_UNSET is not set" and unset.url == ""
    with pytest.raises(DeliveryError, match="TECHWATCH_UNSET is not set"):
        send_chat(unset, build_chat(sample_digest()))


@pytest.mark.parametrize("url", ["nosuchservice://x/y", "not a url", f"tgram://{SECRET}"])
def test_a_url_apprise_cannot_use_is_a_problem_without_the_url_in_it(url):
    channel = notify_channel(url)
    assert "Apprise cannot use" in channel.problem
    assert url not in channel.display + channel.problem and SECRET not in channel.display + channel.problem


def test_every_readme_channel_example_is_a_url_apprise_accepts():
    from testkit import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Delivery channels"):]
    block = section[section.index("```text\n") + 8:section.index("\n```", section.index("```text\n"))]
    examples = [line.split()[0] for line in block.splitlines()]
    services = []
    for url in examples:
        channel = notify_channel(url)
        assert not channel.problem, (url, channel.problem)
        services.append(channel.display.split(" ", 1)[0])
    assert services == ["slack", "workflow", "matrixs", "tgram", "discord", "ntfys", "mmosts", "jsons"]
    for url in examples:  # and their tokens stay out of the display
        for secret in ("XXXXXXXXXXXXXXXXXXXXXXXX", "PASSWORD", "BOT_TOKEN", "WEBHOOK_TOKEN", "SIGNATURE"):
            assert secret not in notify_channel(url).display
