"""SMTP delivery of a rendered digest: build a multipart/alternative message, send it over smtplib."""

from __future__ import annotations

import copy
import smtplib
import socket
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr

from watch.errors import DeliveryError
from watch.records import EmailSettings

SECURITY_MODES = ("starttls", "tls", "none")


def build_message(settings: EmailSettings, *, label: str, text: str, html: str,
                  now: datetime | None = None) -> EmailMessage:
    """The digest as a multipart/alternative email (text/plain, then text/html), ready to send."""
    try:
        subject = settings.subject.format(label=label)
    except (KeyError, IndexError, ValueError) as exc:
        raise DeliveryError(f"email subject template {settings.subject!r} is invalid: only {{label}} "
                            f"may appear in braces ({exc!r})") from exc
    when = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.astimezone()  # a naive time is local time; a Date header needs its offset
    message = EmailMessage()
    try:
        message["Subject"] = subject
        message["From"] = settings.sender
        message["To"] = ", ".join(settings.recipients)
        message["Date"] = format_datetime(when)
        message["Message-ID"] = make_msgid(domain=_domain(settings.sender))
        message["MIME-Version"] = "1.0"
        # Quoted-printable keeps the body 7-bit clean (no reliance on 8BITMIME) and folds lines of any
        # length below SMTP's 998-octet limit, while ASCII text stays readable in the raw source.
        message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        for part in message.iter_parts():
            del part["MIME-Version"]  # add_alternative puts one on the new part; it belongs on the top level only
    except ValueError as exc:  # e.g. a line break smuggled into an address or the subject
        raise DeliveryError(f"cannot build the digest email: {exc}") from exc
    return message


def send_message(settings: EmailSettings, message: EmailMessage, password: str | None, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
    """Send `message` to every recipient over SMTP as `settings` say; any failure is a DeliveryError.

    security "tls" speaks TLS from the start (port 465), "starttls" upgrades a plain connection
    (port 587) and fails if the server does not offer it, "none" sends everything, the password
    included, in clear: only for a relay on localhost or a trusted private network.
    `ssl_context` replaces ssl.create_default_context() (tests use it to trust a self-signed certificate).
    """
    where = f"{settings.host}:{settings.port}"
    if settings.security not in SECURITY_MODES:
        raise DeliveryError(f"unknown email security {settings.security!r} for {where}; "
                            f"use one of {', '.join(SECURITY_MODES)}")
    if settings.user and not password:
        raise DeliveryError(f"SMTP user {settings.user!r} is set for {where} but no password was given; "
                            f"set the environment variable {settings.password_env}")
    sender = parseaddr(settings.sender)[1]
    recipients = [address for _, address in getaddresses(list(settings.recipients)) if address]
    if not sender or not recipients:
        raise DeliveryError(f"cannot send to {where}: the email needs a sender address and at least one recipient")
    if not all(address.isascii() for address in (sender, *recipients)):
        raise DeliveryError(f"cannot send through {where}: addresses with non-ASCII characters (SMTPUTF8) "
                            f"are not supported")
    if "Bcc" in message or "Resent-Bcc" in message:
        message = copy.copy(message)  # the envelope carries blind copies; the headers must not
        del message["Bcc"], message["Resent-Bcc"]
    try:
        _deliver(settings, message, password, sender, recipients, ssl_context or ssl.create_default_context())
    except DeliveryError as exc:
        if password and password in str(exc):  # a server that echoes credentials: drop the cause too
            raise DeliveryError(_scrub(str(exc), password)) from None
        raise
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        description = _describe(exc, settings, where)
        if password and password in description:
            raise DeliveryError(_scrub(description, password)) from None
        raise DeliveryError(description) from exc


def send_digest(settings: EmailSettings, *, label: str, text: str, html: str, environ: Mapping[str, str],
                ssl_context: ssl.SSLContext | None = None, now: datetime | None = None) -> str:
    """Build and send the digest email (password from environ[settings.password_env]); return its Message-ID."""
    password = None
    if settings.user:
        password = environ.get(settings.password_env) or None
        if password is None:
            raise DeliveryError(f"SMTP user {settings.user!r} needs a password: set the environment variable "
                                f"{settings.password_env}")
    message = build_message(settings, label=label, text=text, html=html, now=now)
    send_message(settings, message, password, ssl_context=ssl_context)
    return str(message["Message-ID"])


def _deliver(settings: EmailSettings, message: EmailMessage, password: str | None, sender: str,
             recipients: list[str], context: ssl.SSLContext) -> None:
    where = f"{settings.host}:{settings.port}"
    client: smtplib.SMTP
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        client.ehlo()
        if settings.security == "starttls":
            if not client.has_extn("starttls"):
                raise DeliveryError(f"SMTP server {where} does not offer STARTTLS; use security: tls if this port "
                                    f"expects TLS from the start (usually 465), or none for a local relay")
            client.starttls(context=context)
            client.ehlo()
        if settings.user:
            assert password is not None
            if not client.has_extn("auth"):
                hint = " (servers often offer it only over TLS: use security starttls or tls)"
                raise DeliveryError(f"SMTP server {where} does not offer authentication (AUTH), so user "
                                    f"{settings.user!r} cannot log in{hint if settings.security == 'none' else ''}")
            try:
                client.login(settings.user, password)
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(f"SMTP server {where} refused the login of user {settings.user!r} "
                                    f"({_reply(exc)}); check {settings.password_env}") from exc
        # smtplib's send_message would flatten with mangle_from_=True and turn "From ..." lines into ">From ..."
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        refused = client.sendmail(sender, recipients, raw)
        if refused:
            details = "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in refused.items())
            raise DeliveryError(f"SMTP server {where} accepted the digest for {len(recipients) - len(refused)} of "
                                f"{len(recipients)} recipients but refused {details}")
    except BaseException:
        client.close()
        raise
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()  # the message was accepted; a failed goodbye changes nothing


def _describe(exc: BaseException, settings: EmailSettings, where: str) -> str:
    """A one-line explanation of a foreign exception raised while talking to the server."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        details = "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in exc.recipients.items())
        return f"SMTP server {where} refused every recipient ({details})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"SMTP server {where} refused the sender {exc.sender} ({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        # smtplib reports a read timeout as SMTPServerDisconnected("Connection unexpectedly closed: timed out")
        hint = ""
        if settings.security != "tls":
            hint = "; if this port expects TLS from the start (usually 465), use security: tls"
        return f"SMTP server {where} did not answer within {settings.timeout_seconds:g} s{hint}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"SMTP server {where} closed the connection unexpectedly ({exc or 'no reason given'})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP server {where} answered with an error ({_reply(exc)})"
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP exchange with {where} failed: {exc}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate of SMTP server {where} could not be verified ({exc.verify_message or exc})"
    if isinstance(exc, ssl.SSLError):
        hint = ""
        if settings.security == "tls":
            hint = "; if this port expects a plain greeting then STARTTLS (usually 587), use security: starttls"
        return f"TLS with SMTP server {where} failed ({exc.reason or exc}){hint}"
    if isinstance(exc, ConnectionRefusedError):
        return f"SMTP server {where} refused the connection (nothing listens on that port?)"
    if isinstance(exc, socket.gaierror):
        return f"SMTP server {where}: host name could not be resolved ({exc.strerror or exc})"
    if isinstance(exc, OSError):
        return f"cannot reach SMTP server {where} ({exc.strerror or exc})"
    return f"cannot send the digest through {where} ({exc})"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _scrub(text: str, password: str | None) -> str:
    # A server might echo what it was sent; the password must never reach a log or a terminal.
    return text.replace(password, "***") if password else text


def _domain(sender: str) -> str:
    """The domain of the sender's address, for Message-ID; never the local host name."""
    domain = parseaddr(sender)[1].rpartition("@")[2].strip()
    return domain or "techwatch.localhost"
