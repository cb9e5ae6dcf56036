"""settings.email over plain SMTP: a password is never sent in clear off this machine without saying so."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from watch.config import load_config
from watch.errors import ConfigError
from watch.http.loopback import is_loopback_host

SOURCES = "sources:\n  - name: Example\n    url: https://example.org/feed.xml\n"


def _write(tmp_path: Path, email: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("settings:\n  email:\n" + textwrap.indent(textwrap.dedent(email), "    ") + SOURCES,
                    encoding="utf-8")
    return path


def _error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    return info.value


@pytest.mark.parametrize("host", ["smtp.example.org", "10.0.0.25", "192.168.1.2", "::ffff:10.0.0.1",
                                  "localhost.example"])
def test_plain_smtp_with_a_user_off_this_machine_is_refused_with_its_line(tmp_path: Path, host: str) -> None:
    path = _write(tmp_path, f"""\
        host: "{host}"
        from: watch@example.org
        to: [cto@example.org]
        security: none
        user: watch
        """)
    err = _error(path)
    assert str(err).startswith(f"{path}:6: settings.email: security 'none' with a user would send the SMTP password "
                               f"in clear text to {host}")
    assert "use 'starttls' or 'tls'" in str(err) and "allow_plaintext_auth: true" in str(err)
    assert err.line == 6 and err.field == "settings.email.security"
    assert len(str(err).splitlines()) == 1


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        host: smtp.example.org
        from: watch@example.org
        to: [not-an-address]
        security: none
        user: watch
        """)
    lines = str(_error(path)).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:5", f"{path}:6"]


def test_allow_plaintext_auth_says_the_user_knows(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        host: relay.internal.example
        from: watch@example.org
        to: [cto@example.org]
        security: none
        user: watch
        allow_plaintext_auth: true
        """)
    email = load_config(path, environ={}).settings.email
    assert (email.host, email.port, email.security, email.user) == ("relay.internal.example", 25, "none", "watch")
    assert email.allow_plaintext_auth is True


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "127.0.0.1", "127.3.2.1", "::1", "'[::1]'"])
def test_a_loopback_relay_needs_no_flag(tmp_path: Path, host: str) -> None:
    path = _write(tmp_path, f"host: {host}\nfrom: watch@example.org\nto: [cto@example.org]\nsecurity: none\n"
                            "user: watch\n")
    email = load_config(path, environ={}).settings.email
    assert email.user == "watch" and email.allow_plaintext_auth is False


@pytest.mark.parametrize("security, user", [("none", None), ("starttls", "watch"), ("tls", "watch")])
def test_no_password_in_clear_no_refusal(tmp_path: Path, security: str, user: str | None) -> None:
    login = f"user: {user}\n" if user else ""
    path = _write(tmp_path, f"host: smtp.example.org\nfrom: watch@example.org\nto: [cto@example.org]\n"
                            f"security: {security}\n{login}")
    email = load_config(path, environ={}).settings.email
    assert (email.security, email.user) == (security, user)


def test_allow_plaintext_auth_must_be_a_boolean(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        host: smtp.example.org
        from: watch@example.org
        to: [cto@example.org]
        security: none
        user: watch
        allow_plaintext_auth: "yes"
        """)
    lines = str(_error(path)).splitlines()
    assert lines[0].startswith(f"{path}:6: settings.email: security 'none' with a user")
    assert lines[1] == f"{path}:8: settings.email: allow_plaintext_auth must be true or false, got the text 'yes'"


@pytest.mark.parametrize("host, expected", [
    ("localhost", True), ("LocalHost", True), ("localhost.", True), ("127.0.0.1", True), ("127.255.0.9", True),
    ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("10.0.0.1", False), ("192.0.2.1", False),
    ("128.0.0.1", False), ("localhost.example.org", False), ("my-laptop", False), ("127.1", False),
    ("::2", False), ("example.org", False),
])
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected
