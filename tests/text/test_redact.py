"""redact_url / redact_text: passwords and secret parameters masked, the rest of the URL as it was."""

from __future__ import annotations

import io
import logging

import pytest

from watch.logs import setup_logging
from watch.text.redact import is_secret_parameter, redact_text, redact_url


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pass@host/feed?token=abc&page=2", "https://user:…@host/feed?token=…&page=2"),
    ("https://ghp_TOKEN@host/feed.atom", "https://…@host/feed.atom"),  # a lone user name is often a token
    ("https://u:p%40ss@host:8443/x", "https://u:…@host:8443/x"),
    ("http://host/f?API_KEY=1&apiKey=2&api-key=3&key=4", "http://host/f?API_KEY=…&apiKey=…&api-key=…&key=…"),
    ("http://host/f?access_token=a&Secret=b&password=c&sig=d&signature=e&auth=f",
     "http://host/f?access_token=…&Secret=…&password=…&sig=…&signature=…&auth=…"),
    ("https://b.s3.example/o?X-Amz-Credential=c&X-Amz-Signature=s&X-Amz-Security-Token=t&X-Amz-Date=d",
     "https://b.s3.example/o?X-Amz-Credential=…&X-Amz-Signature=…&X-Amz-Security-Token=…&X-Amz-Date=d"),
    ("https://forum.example/feed.php?sid=123&f=2", "https://forum.example/feed.php?sid=…&f=2"),
    ("https://app.example/cb#access_token=abc&state=1", "https://app.example/cb#access_token=…&state=1"),
    ("https://host/feed?author=bob&q=ai&page=2&keyword=llm", "https://host/feed?author=bob&q=ai&page=2&keyword=llm"),
    ("https://host/feed?token=", "https://host/feed?token="),  # nothing to hide
    ("https://host/path#section", "https://host/path#section"),
    ("https://host/feed.xml", "https://host/feed.xml"),
    ("host/feed?token=abc", "host/feed?token=…"),  # no scheme: still the query
    ("", ""),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_secret_parameter_names_ignore_case_and_encoding() -> None:
    assert is_secret_parameter("TOKEN") and is_secret_parameter("api%5Fkey") and is_secret_parameter("authToken")
    assert is_secret_parameter("client_secret") and is_secret_parameter("private_token")
    assert not is_secret_parameter("page") and not is_secret_parameter("author") and not is_secret_parameter("")


def test_redact_text_finds_urls_in_messages() -> None:
    message = ("cannot fetch https://u:pw@h.example/f?token=s3cr3t: HTTP 500; moved to 'http://h.example/x?key=k3y' "
               "(see <https://h.example/?apikey=zz>).")
    shown = redact_text(message)
    assert "pw" not in shown.replace("https", "") and "s3cr3t" not in shown and "k3y" not in shown
    assert "zz" not in shown
    assert shown == ("cannot fetch https://u:…@h.example/f?token=…: HTTP 500; moved to 'http://h.example/x?key=…' "
                     "(see <https://h.example/?apikey=…>).")
    assert redact_text("no url here: token=abc") == "no url here: token=abc"


def test_log_lines_mask_urls_in_messages_fields_and_exceptions() -> None:
    stream = io.StringIO()
    setup_logging(verbose=True, stream=stream)
    log = logging.getLogger("watch.test")
    log.info("GET %s", "https://alice:hunter2@h.example/feed?token=t0ken", extra={"url": "https://h.example/?key=k3y"})
    try:
        raise ValueError("bad https://bob:pa55@h.example/x?secret=shh")
    except ValueError:
        log.exception("failed")
    log.warning("title \x1b[2J\x1b]0;pwned\x07 \u202e end")
    setup_logging()
    out = stream.getvalue()
    for secret in ("hunter2", "t0ken", "k3y", "pa55", "shh"):
        assert secret not in out
    assert "https://alice:…@h.example/feed?token=…" in out and "url=\"https://h.example/?key=…\"" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b[2J" in out and "\\u202e" in out  # written as escapes: still readable in the log
    assert len(out.splitlines()) == 3
