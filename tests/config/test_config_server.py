"""`summarizer: {backend: server}`: its keys are checked with file:line, and a public base_url is refused."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from watch.config import load_config
from watch.errors import ConfigError

SOURCES = """\
tags:
  - name: llm
    description: Large language models
sources:
  - name: Example
    url: https://example.org/feed.xml
"""


def write(tmp_path: Path, summarizer: str) -> Path:
    """A feeds.yaml whose settings.summarizer block (line 3 on) is `summarizer`."""
    body = textwrap.indent(textwrap.dedent(summarizer).strip(), "    ")
    path = tmp_path / "feeds.yaml"
    path.write_text(f"settings:\n  summarizer:\n{body}\n{SOURCES}", encoding="utf-8")
    return path


def problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """The lines of the ConfigError that loading `path` must raise."""
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=environ or {})
    return str(info.value).splitlines()


def test_a_local_server_is_accepted_with_its_settings(tmp_path: Path) -> None:
    path = write(tmp_path, """
        backend: server
        base_url: http://127.0.0.1:8000/v1/
        model: qwen3-4b
        concurrency: 8
        time_budget: 20m
        api_key_env: MY_SERVER_KEY
    """)
    settings = load_config(path, environ={"MY_SERVER_KEY": " s3cret-key "}).settings.summarizer
    assert (settings.backend, settings.base_url, settings.model) == ("server", "http://127.0.0.1:8000/v1", "qwen3-4b")
    assert (settings.concurrency, settings.time_budget_seconds, settings.allow_remote) == (8, 1200, False)
    assert settings.generative
    assert settings.api_key == "s3cret-key"
    assert "s3cret" not in repr(settings)  # never printed with the settings


@pytest.mark.parametrize("url", ["http://10.1.2.3:11434/v1", "http://192.168.1.20/v1", "http://[::1]:8000/v1",
                                 "https://localhost:8443/v1"])
def test_private_and_loopback_addresses_are_accepted(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f"{{backend: server, base_url: '{url}', model: m}}")
    assert load_config(path, environ={}).settings.summarizer.base_url == url


def test_a_public_base_url_is_refused_with_file_and_line_unless_allow_remote(tmp_path: Path) -> None:
    path = write(tmp_path, """
        backend: server
        model: m
        base_url: http://8.8.8.8:8000/v1
    """)
    lines = problems(path)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:5: ")
    assert "8.8.8.8 is a public address" in lines[0] and "allow_remote: true" in lines[0]

    path.write_text(path.read_text().replace("    model: m\n", "    model: m\n    allow_remote: true\n"))
    settings = load_config(path, environ={}).settings.summarizer
    assert settings.base_url == "http://8.8.8.8:8000/v1" and settings.allow_remote


def test_a_host_that_does_not_resolve_now_is_an_outage_not_a_config_error(tmp_path: Path) -> None:
    """The GPU box may be off when the config is read: every command must still work; the connection is checked."""
    path = write(tmp_path, "{backend: server, model: m, base_url: 'http://no-such-host.invalid:8000/v1'}")
    assert load_config(path, environ={}).settings.summarizer.base_url == "http://no-such-host.invalid:8000/v1"


@pytest.mark.parametrize(("block", "line", "expected"), [
    ("backend: server\nmodel: m", 3, "backend 'server' needs 'base_url'"),
    ("backend: server\nbase_url: http://127.0.0.1/v1", 3, "backend 'server' needs 'model'"),
    ("backend: server\nmodel: m\nbase_url: ftp://127.0.0.1/v1", 5, "must be an http(s) address with a host"),
    ("backend: server\nmodel: m\nbase_url: 'http:///v1'", 5, "must be an http(s) address with a host"),
    ("backend: server\nmodel: m\nbase_url: 'http://127.0.0.1:99999/v1'", 5, "is not a valid address"),
    ("backend: server\nmodel: m\nbase_url: 'http://127.0.0.1/v1?x=1'", 5, "must not have a query"),
    ("backend: server\nmodel: m\nbase_url: http://127.0.0.1/v1\nconcurrency: 0", 6, "between 1 and 64, got 0"),
    ("backend: server\nmodel: m\nbase_url: http://127.0.0.1/v1\nconcurrency: 65", 6, "between 1 and 64, got 65"),
    ("backend: server\nmodel: m\nbase_url: http://127.0.0.1/v1\nallow_remote: 'yes'", 6, "true or false"),
    ("backend: server\nmodel: m\nbase_url: http://127.0.0.1/v1\napi_key_env: 'my key'", 6,
     "'my key' is not an environment variable name"),
    ("backend: server\nmodel: m\nbase_url: http://127.0.0.1/v1\napi_key: abc", 6, "unknown key 'api_key'"),
])
def test_server_keys_are_checked_with_file_and_line(tmp_path: Path, block: str, line: int, expected: str) -> None:
    path = write(tmp_path, block)
    lines = problems(path)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:{line}: ") and "settings.summarizer" in lines[0], lines
    assert expected in lines[0], lines


def test_server_keys_are_kept_out_of_other_backends(tmp_path: Path) -> None:
    path = write(tmp_path, "{backend: extractive, base_url: 'http://8.8.8.8/v1', concurrency: 2}")
    settings = load_config(path, environ={}).settings.summarizer
    assert (settings.backend, settings.base_url, settings.concurrency, settings.generative) == (
        "extractive", None, 4, False)


def test_a_missing_api_key_variable_means_no_key(tmp_path: Path) -> None:
    path = write(tmp_path, "{backend: server, model: m, base_url: 'http://127.0.0.1/v1', api_key_env: NOT_SET}")
    assert load_config(path, environ={}).settings.summarizer.api_key is None
