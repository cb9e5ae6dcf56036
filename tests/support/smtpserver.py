"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), with optional AUTH, STARTTLS and implicit TLS.

Usage::

    with SMTPServer(users={"watch": "s3cret"}, starttls=True) as server:
        send_digest(server.settings(user="watch"), ..., environ={"TECHWATCH_SMTP_PASSWORD": "s3cret"},
                    ssl_context=server.client_context())
        message = server.message()          # the last message, parsed (email.policy.default)
        server.received[-1].rcpt_tos        # the envelope

TLS needs a self-signed certificate for 127.0.0.1/localhost: `certificate()` makes one per test
session with the `openssl` CLI and skips the test (with the reason) when openssl is not available.
A subprocess (the CLI) trusts it with the environment variable SSL_CERT_FILE=certificate().cert.
"""

from __future__ import annotations

import atexit
import email
import email.policy
import functools
import logging
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from watch.records import EmailSettings

HOST = "127.0.0.1"

# aiosmtpd itself sets the deprecated Session.login_data on every successful AUTH, then warns about it.
logging.getLogger("mail.log").addFilter(lambda record: "login_data is deprecated" not in record.getMessage())


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate valid for 127.0.0.1 and localhost, and its private key (PEM files)."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for the server side (STARTTLS or implicit TLS)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context (hostname checked) that trusts only this certificate."""
        return ssl.create_default_context(cafile=str(self.cert))


def openssl_missing_reason() -> str | None:
    """Why a certificate cannot be made here, or None when the openssl CLI works."""
    if shutil.which("openssl") is None:
        return "the openssl CLI is not installed (needed to make a self-signed certificate for TLS tests)"
    try:
        subprocess.run(["openssl", "version"], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`openssl version` failed ({exc}); cannot make a self-signed certificate for TLS tests"
    return None


@functools.cache
def _make_certificate() -> Certificate | str:
    reason = openssl_missing_reason()
    if reason:
        return reason
    directory = Path(tempfile.mkdtemp(prefix="techwatch-smtp-cert-"))
    atexit.register(shutil.rmtree, directory, True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    # EC keys are generated in milliseconds, unlike RSA; the IP SAN lets clients verify "127.0.0.1".
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
               "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        return f"openssl could not make a self-signed certificate: {exc} {stderr.decode(errors='replace')}"
    return Certificate(cert=cert, key=key)


def certificate() -> Certificate:
    """The session's self-signed certificate; skips the calling test when openssl is unavailable."""
    made = _make_certificate()
    if isinstance(made, str):
        pytest.skip(made)
    return made


@dataclass(frozen=True)
class Received:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes  # the DATA bytes, as sent by the client
    tls: bool  # the session was encrypted (STARTTLS or implicit TLS)
    login: str | None  # the authenticated user, if any

    def parse(self) -> EmailMessage:
        """The message parsed as a client would read it."""
        message = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.server.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.server.received.append(Received(
            mail_from=envelope.mail_from, rcpt_tos=tuple(envelope.rcpt_tos), raw=envelope.original_content,
            tls=smtp.transport.get_extra_info("ssl_object") is not None, login=login))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """Binds port 0 and learns the port the system chose before aiosmtpd's self-test connects."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPServer:
    """A real SMTP server on 127.0.0.1 and a free port; records every message it accepts.

    users: accounts for AUTH PLAIN/LOGIN (wrong credentials get "535 5.7.8 Authentication credentials invalid").
    starttls: offer STARTTLS with the session's self-signed certificate.
    implicit_tls: speak TLS from the first byte (like port 465).
    auth_require_tls: aiosmtpd refuses AUTH before TLS unless this is False.
    refuse: recipient addresses answered with "550 5.1.1 No such mailbox here".
    """

    def __init__(self, *, users: dict[str, str] | None = None, starttls: bool = False, implicit_tls: bool = False,
                 auth_require_tls: bool = True, refuse: tuple[str, ...] = ()) -> None:
        self.users = dict(users or {})
        self.refuse = set(refuse)
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.auth_require_tls = auth_require_tls
        self.certificate = certificate() if starttls or implicit_tls else None
        self.received: list[Received] = []
        self.auth_attempts: list[tuple[str, bool]] = []  # (login, success)
        self.host = HOST
        self.port = 0
        self._controller: _Controller | None = None

    def _authenticate(self, smtp: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        success = login in self.users and self.users[login] == password
        self.auth_attempts.append((login, success))
        return AuthResult(success=success, handled=False, auth_data=auth_data if success else None)

    def start(self) -> SMTPServer:
        """Start serving in a background thread."""
        kwargs: dict[str, Any] = {}
        if self.certificate and self.starttls:
            kwargs["tls_context"] = self.certificate.server_context()
        if self.certificate and self.implicit_tls:
            kwargs["ssl_context"] = self.certificate.server_context()
        if self.users:
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd only counts STARTTLS as TLS; an implicit-TLS connection is encrypted all the same
            kwargs["auth_require_tls"] = self.auth_require_tls and not self.implicit_tls
        controller = _Controller(_Handler(self), hostname=HOST, port=0, server_hostname="localhost",
                                 ready_timeout=10, **kwargs)
        controller.start()
        self._controller, self.port = controller, controller.port
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settings(self, **overrides: Any) -> EmailSettings:
        """EmailSettings pointing at this server; security matches how it was started unless overridden."""
        security = "tls" if self.implicit_tls else "starttls" if self.starttls else "none"
        values: dict[str, Any] = {"host": self.host, "port": self.port, "security": security,
                                  "sender": "techwatch@example.org",
                                  "recipients": ("cto@example.org", "team@example.org"), "timeout_seconds": 5.0}
        values.update(overrides)
        return EmailSettings(**values)

    def client_context(self) -> ssl.SSLContext | None:
        """A client SSL context trusting this server's certificate (None for a plain server)."""
        return self.certificate.client_context() if self.certificate else None

    def message(self, index: int = -1) -> EmailMessage:
        """A received message, parsed (the last one by default)."""
        return self.received[index].parse()


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word (an SMTP client must time out)."""

    def __init__(self) -> None:
        self._socket = socket.create_server((HOST, 0))
        self.host, self.port = HOST, self._socket.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connections.append(connection)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._thread.join()
        for connection in self._connections:
            connection.close()
        self._socket.close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]
