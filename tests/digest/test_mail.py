"""SMTP delivery of the digest, against a real SMTP server on 127.0.0.1 (aiosmtpd), TLS included."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from smtpserver import SilentServer, SMTPServer, certificate, closed_port

from watch.digest.mail import build_message, send_digest, send_message
from watch.errors import DeliveryError, WatchError
from watch.records import EmailSettings

PASSWORD = "correct horse battery staple"
SUBJECT = "Veille technologique — semaine {label} : modèles, sécurité, réglementation"
LABEL = "2026-W48"
LONG_LINE = "Le modèle « Mistral » dépasse les attentes, à évaluer sur nos GPU ✨ " * 40  # ~2 800 characters
TEXT = (
    "Veille technologique — semaine 2026-W48\n"
    "\n"
    "1. Mistral publie un modèle ouvert 🚀 (déjà évalué par l'équipe)\n"
    "   https://mistral.ai/news/un-modele?utm_source=rss&x=1\n"
    ".a line that starts with a dot, and one that starts with From:\n"
    "From the archive: the EU AI Act obligations — what changes in août\n"
    f"{LONG_LINE}\n"
)
HTML = (
    "<!doctype html><html><head><meta charset=\"utf-8\"></head><body>\n"
    "<h1>Veille technologique — semaine 2026-W48</h1>\n"
    "<p><a href=\"https://mistral.ai/news/un-modele?utm_source=rss&amp;x=1\">"
    "Mistral publie un modèle ouvert 🚀</a></p>\n"
    "<p><a href=\"https://example.org/r%C3%A9glementation#ai-act\">Réglementation : l'AI Act</a></p>\n"
    f"<p>{LONG_LINE}</p>\n"
    "</body></html>\n"
)


def body(message, subtype: str) -> str:
    """A text part of a received message, with the wire's CRLF line ends back to \\n."""
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return part.get_content().replace("\r\n", "\n")


def assert_seven_bit_and_short_lines(raw: bytes) -> None:
    """RFC 5322/5321: at most 998 octets a line; 7-bit so that no 8BITMIME support is assumed."""
    assert raw.isascii()
    assert max(len(line) for line in raw.splitlines()) <= 998


def test_build_message_structure_and_headers() -> None:
    settings = EmailSettings(host="smtp.example.org", sender="Veille <techwatch@example.org>",
                             recipients=("cto@example.org", "team@example.org"), subject=SUBJECT)
    now = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    message = build_message(settings, label=LABEL, text=TEXT, html=HTML, now=now)
    assert message["Subject"] == SUBJECT.format(label=LABEL)
    assert message["To"] == "cto@example.org, team@example.org"
    assert message["MIME-Version"] == "1.0"
    assert parsedate_to_datetime(message["Date"]) == now
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@example.org>")
    assert message["Bcc"] is None
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    assert all(part["MIME-Version"] is None for part in parts)
    raw = message.as_bytes()
    assert_seven_bit_and_short_lines(raw)
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0]  # the subject is RFC 2047 encoded


def test_send_delivers_exact_texts_to_every_recipient() -> None:
    with SMTPServer() as server:
        settings = server.settings(subject=SUBJECT, recipients=("cto@example.org", "team@example.org",
                                                                "ops@example.org"))
        message_id = send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={})
    assert len(server.received) == 1
    received = server.received[0]
    assert received.mail_from == "techwatch@example.org"
    assert received.rcpt_tos == ("cto@example.org", "team@example.org", "ops@example.org")
    assert not received.tls
    assert_seven_bit_and_short_lines(received.raw)

    message = received.parse()
    assert message["From"] == "techwatch@example.org"
    assert message["To"] == "cto@example.org, team@example.org, ops@example.org"
    assert message["Subject"] == "Veille technologique — semaine 2026-W48 : modèles, sécurité, réglementation"
    assert message["Message-ID"] == message_id
    date = parsedate_to_datetime(message["Date"])
    assert abs((datetime.now(UTC) - date).total_seconds()) < 60
    assert message["Bcc"] is None
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert body(message, "plain") == TEXT
    assert body(message, "html") == HTML
    assert 'href="https://mistral.ai/news/un-modele?utm_source=rss&amp;x=1"' in body(message, "html")
    assert 'href="https://example.org/r%C3%A9glementation#ai-act"' in body(message, "html")


def test_display_names_stay_in_headers_and_out_of_the_envelope() -> None:
    with SMTPServer() as server:
        settings = server.settings(sender="Veille techno <techwatch@example.org>",
                                   recipients=("Équipe R&D <team@example.org>", "cto@example.org"))
        send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={})
    received = server.received[0]
    assert received.mail_from == "techwatch@example.org"
    assert received.rcpt_tos == ("team@example.org", "cto@example.org")
    message = received.parse()
    assert message["From"] == "Veille techno <techwatch@example.org>"
    assert [(address.display_name, address.addr_spec) for address in message["To"].addresses] == [
        ("Équipe R&D", "team@example.org"), ("", "cto@example.org")]


def test_starttls_login_with_the_right_password() -> None:
    with SMTPServer(users={"watch": PASSWORD}, starttls=True) as server:
        settings = server.settings(user="watch", password_env="SMTP_PW")
        send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={"SMTP_PW": PASSWORD},
                    ssl_context=server.client_context())
    assert server.auth_attempts == [("watch", True)]
    received = server.received[0]
    assert received.tls and received.login == "watch"
    assert body(received.parse(), "plain") == TEXT


def test_wrong_password_is_a_clean_error_without_the_password() -> None:
    wrong = "hunter2-not-it"
    with SMTPServer(users={"watch": PASSWORD}, starttls=True) as server:
        settings = server.settings(user="watch")
        with pytest.raises(DeliveryError) as caught:
            send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={"TECHWATCH_SMTP_PASSWORD": wrong},
                        ssl_context=server.client_context())
    text = str(caught.value)
    assert f"127.0.0.1:{server.port}" in text
    assert "535" in text and "refused the login" in text and "TECHWATCH_SMTP_PASSWORD" in text
    assert wrong not in text and PASSWORD not in text
    assert server.received == []
    assert isinstance(caught.value, WatchError)


def test_starttls_required_but_not_offered() -> None:
    with SMTPServer() as server, pytest.raises(DeliveryError) as caught:
        send_digest(server.settings(security="starttls"), label=LABEL, text=TEXT, html=HTML, environ={})
    assert f"127.0.0.1:{server.port} does not offer STARTTLS" in str(caught.value)
    assert server.received == []


def test_implicit_tls_with_login() -> None:
    with SMTPServer(users={"watch": PASSWORD}, implicit_tls=True) as server:
        settings = server.settings(user="watch")
        assert settings.security == "tls"
        send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={"TECHWATCH_SMTP_PASSWORD": PASSWORD},
                    ssl_context=server.client_context())
    received = server.received[0]
    assert received.tls and received.login == "watch"
    assert body(received.parse(), "html") == HTML


def test_default_context_rejects_an_untrusted_certificate() -> None:
    with SMTPServer(starttls=True) as server, pytest.raises(DeliveryError) as caught:
        send_digest(server.settings(), label=LABEL, text=TEXT, html=HTML, environ={})
    assert f"127.0.0.1:{server.port}" in str(caught.value)
    assert "certificate" in str(caught.value)
    assert server.received == []


def test_default_context_trusts_ssl_cert_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # The production path (no ssl_context) with the test CA made trusted: how a CLI subprocess test does it.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate().cert))
    with SMTPServer(starttls=True) as server:
        send_digest(server.settings(), label=LABEL, text=TEXT, html=HTML, environ={})
    assert server.received[0].tls


def test_implicit_tls_against_a_plain_server() -> None:
    with SMTPServer() as server, pytest.raises(DeliveryError) as caught:
        send_digest(server.settings(security="tls"), label=LABEL, text=TEXT, html=HTML, environ={},
                    ssl_context=certificate().client_context())
    assert f"TLS with SMTP server 127.0.0.1:{server.port} failed" in str(caught.value)


def test_login_offered_only_after_tls() -> None:
    with SMTPServer(users={"watch": PASSWORD}) as server, pytest.raises(DeliveryError) as caught:
        send_digest(server.settings(user="watch"), label=LABEL, text=TEXT, html=HTML,
                    environ={"TECHWATCH_SMTP_PASSWORD": PASSWORD})
    assert "does not offer authentication" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_refused_recipients() -> None:
    with SMTPServer(refuse=("gone@example.org", "left@example.org")) as server:
        with pytest.raises(DeliveryError) as some:
            send_digest(server.settings(recipients=("cto@example.org", "gone@example.org")), label=LABEL,
                        text=TEXT, html=HTML, environ={})
        with pytest.raises(DeliveryError) as every:
            send_digest(server.settings(recipients=("gone@example.org", "left@example.org")), label=LABEL,
                        text=TEXT, html=HTML, environ={})
    assert "1 of 2 recipients" in str(some.value) and "gone@example.org: 550" in str(some.value)
    assert "refused every recipient" in str(every.value) and "left@example.org: 550" in str(every.value)
    assert [received.rcpt_tos for received in server.received] == [("cto@example.org",)]


def test_connection_refused_names_host_and_port() -> None:
    port = closed_port()
    settings = EmailSettings(host="127.0.0.1", port=port, security="none", sender="techwatch@example.org",
                             recipients=("cto@example.org",), timeout_seconds=2)
    with pytest.raises(DeliveryError, match=rf"127\.0\.0\.1:{port} refused the connection"):
        send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={})


@pytest.mark.parametrize("security", ["starttls", "tls", "none"])
def test_silent_server_times_out(security: str) -> None:
    with SilentServer() as silent:
        settings = EmailSettings(host=silent.host, port=silent.port, security=security, sender="techwatch@example.org",
                                 recipients=("cto@example.org",), timeout_seconds=0.5)
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={})
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert f"127.0.0.1:{silent.port}" in str(caught.value)
    assert "did not answer within 0.5 s" in str(caught.value)


def test_user_without_password_in_the_environment() -> None:
    settings = EmailSettings(host="127.0.0.1", port=closed_port(), sender="techwatch@example.org",
                             recipients=("cto@example.org",), user="watch", password_env="MY_SMTP_SECRET")
    with pytest.raises(DeliveryError, match="MY_SMTP_SECRET"):  # not "connection refused": nothing was tried
        send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={"TECHWATCH_SMTP_PASSWORD": "x"})
    with pytest.raises(DeliveryError, match="MY_SMTP_SECRET"):
        send_message(settings, build_message(settings, label=LABEL, text=TEXT, html=HTML), None)


def test_bad_subject_template_and_header_injection() -> None:
    settings = EmailSettings(host="smtp.example.org", sender="techwatch@example.org",
                             recipients=("cto@example.org",), subject="Watch {week}")
    with pytest.raises(DeliveryError, match=r"\{label\}"):
        build_message(settings, label=LABEL, text=TEXT, html=HTML)
    injected = EmailSettings(host="smtp.example.org", sender="techwatch@example.org",
                             recipients=("cto@example.org\r\nBcc: someone@example.net",))
    with pytest.raises(DeliveryError):
        build_message(injected, label=LABEL, text=TEXT, html=HTML)


def test_unknown_security_mode() -> None:
    settings = EmailSettings(host="127.0.0.1", port=closed_port(), security="ssl", sender="techwatch@example.org",
                             recipients=("cto@example.org",))
    with pytest.raises(DeliveryError, match="starttls, tls, none"):
        send_digest(settings, label=LABEL, text=TEXT, html=HTML, environ={})
