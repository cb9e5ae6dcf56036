"""fetch.py against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip

import pytest
from testkit import LOOPBACK

from watch.errors import FetchError
from watch.http.client import fetch, make_client
from watch.records import FetchSettings

SETTINGS = FetchSettings(timeout_seconds=2.0, max_bytes=10_000, allow_networks=LOOPBACK)


@pytest.fixture
def client():
    with make_client(SETTINGS) as c:
        yield c


def test_200_returns_body_validators_and_sends_user_agent(server, client):
    url = server.add("/feed.xml", "<rss/>", headers={"Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT"},
                     etag=True)
    result = fetch(client, url, max_bytes=SETTINGS.max_bytes)
    assert result.status == 200 and result.content == b"<rss/>"
    assert result.etag and result.etag.startswith('"')
    assert result.last_modified == "Wed, 25 Nov 2026 10:00:00 GMT"
    assert server.requests[0][1]["User-Agent"].startswith("techwatch/")


def test_conditional_get_gets_304_and_keeps_validators(server, client):
    url = server.add("/feed.xml", "<rss/>", etag=True)
    first = fetch(client, url, max_bytes=SETTINGS.max_bytes)
    second = fetch(client, url, max_bytes=SETTINGS.max_bytes, etag=first.etag, last_modified="x")
    assert second.not_modified and second.content == b""
    assert second.etag == first.etag and second.last_modified == "x"
    assert server.requests[1][1]["If-None-Match"] == first.etag


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_http_errors_raise_with_status(server, client, status):
    url = server.add("/x", "nope", status=status, headers={"Retry-After": "120"})
    with pytest.raises(FetchError) as info:
        fetch(client, url, max_bytes=SETTINGS.max_bytes)
    assert info.value.status == status
    assert str(status) in str(info.value)
    assert info.value.retry_after == 120


def test_connection_refused(client, closed_port_url):
    with pytest.raises(FetchError, match="ConnectError"):
        fetch(client, closed_port_url, max_bytes=SETTINGS.max_bytes)


def test_timeout(server):
    url = server.add("/slow", "<rss/>", delay=1.5)
    settings = FetchSettings(timeout_seconds=0.3, allow_networks=LOOPBACK)
    with make_client(settings) as c, pytest.raises(FetchError, match="timeout"):
        fetch(c, url, max_bytes=1000)


def test_size_cap_on_declared_and_decompressed_size(server, client):
    big = server.add("/big", b"x" * 20_000)
    with pytest.raises(FetchError, match="too large"):
        fetch(client, big, max_bytes=SETTINGS.max_bytes)
    bomb = gzip.compress(b"<rss>" + b" " * 200_000 + b"</rss>")
    assert len(bomb) < SETTINGS.max_bytes
    url = server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="too large"):
        fetch(client, url, max_bytes=SETTINGS.max_bytes)


def test_redirects_followed_and_capped(server, client):
    server.add("/old", b"", status=301, headers={"Location": "/new"})
    server.add("/new", "<rss/>")
    result = fetch(client, server.url("/old"), max_bytes=SETTINGS.max_bytes)
    assert result.final_url == server.url("/new") and result.content == b"<rss/>"
    server.add("/loop", b"", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="redirects"):
        fetch(client, server.url("/loop"), max_bytes=SETTINGS.max_bytes)
