"""The egress policy: links that come from feeds never reach a non-public address (server-side request forgery).

The feed server stands for the public web a user subscribed to (its origin is named in feeds.yaml, so it
is trusted); the "internal" servers stand for other services on the same machine or network, which no
feed may make techwatch fetch.
"""

from __future__ import annotations

import ipaddress
import socket
import sqlite3
from pathlib import Path

import pytest
from httpserver import FeedServer
from testkit import LOOPBACK, rss, run_cli, write_config

from watch.errors import EgressRefused, FetchError
from watch.http import egress
from watch.http.client import fetch, make_client
from watch.http.egress import address_kind, origin_of
from watch.records import FetchSettings

SECRET = "INTERNAL-ONLY-PAYROLL-TABLE"
SECRET_PAGE = ("<html><head><title>Internal</title></head><body><article><h1>Internal</h1>"
               + "".join(f"<p>{SECRET} paragraph {n} with enough words to be an article body.</p>" for n in range(30))
               + "</article></body></html>")


@pytest.fixture
def internal():
    """Another service on 127.0.0.1 (its own port: an origin nobody named in feeds.yaml)."""
    srv = FeedServer().start()
    srv.add("/secret", SECRET_PAGE, content_type="text/html")
    srv.add("/feed.xml", rss("Internal feed", [{"title": "internal", "link": "http://x/", "guid": "i1"}]))
    yield srv
    srv.stop()


@pytest.fixture
def internal6():
    """The same on [::1]."""
    try:
        srv = FeedServer(host="::1").start()
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    srv.add("/secret", SECRET_PAGE, content_type="text/html")
    yield srv
    srv.stop()


# -- which addresses are public -------------------------------------------------------------------

@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),  # cloud metadata; IPv6 link-local
    ("fd00:ec2::254", "private"),  # AWS metadata over IPv6
    ("100.64.0.1", "not globally routable"),  # CGNAT shared address space
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("192.0.2.10", "private"),  # documentation range
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
    ("8.8.8.8", None), ("1.1.1.1", None), ("2606:4700::1111", None), ("::ffff:8.8.8.8", None),
])
def test_address_kinds(address, kind):
    assert address_kind(ipaddress.ip_address(address)) == kind


def test_origins_and_the_policy():
    assert origin_of("HTTPS://Example.ORG/feed") == ("https", "example.org", 443)
    assert origin_of("http://example.org:8080/x") == ("http", "example.org", 8080)
    assert origin_of("ftp://example.org/") is None and origin_of("file:///etc/passwd") is None
    assert origin_of("javascript:alert(1)") is None and origin_of("http://[::1") is None
    policy = egress.policy_for(["http://intranet.corp:8080/feed.xml"], [ipaddress.ip_network("10.0.0.0/8")])
    assert policy.trusts("http://INTRANET.corp:8080/other") and not policy.trusts("https://intranet.corp:8080/")
    assert not policy.trusts("http://intranet.corp/")  # another port is another origin
    assert policy.refusal(ipaddress.ip_address("10.9.9.9")) is None  # allowed network
    assert policy.refusal(ipaddress.ip_address("192.168.0.1")) == "192.168.0.1, a private address"
    mapped = policy.refusal(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert mapped == "::ffff:7f00:1 (IPv4 127.0.0.1), a loopback address"
    assert policy.refusal(ipaddress.ip_address("93.184.216.34")) is None


# -- the client: every request and every redirect hop -----------------------------------------------

def _trusting(server: FeedServer, **extra) -> FetchSettings:
    return FetchSettings(timeout_seconds=5, trusted_origins=frozenset({origin_of(server.base)}), **extra)


def test_untrusted_local_addresses_are_refused_in_every_spelling(server, internal, internal6):
    port = internal.httpd.server_address[1]
    links = [internal.url("/secret"), f"http://localhost:{port}/secret", f"http://2130706433:{port}/secret",
             f"http://0x7f000001:{port}/secret", f"http://127.1:{port}/secret", internal6.url("/secret"),
             f"http://[::ffff:127.0.0.1]:{port}/secret"]
    with make_client(_trusting(server)) as client:
        for link in links:
            with pytest.raises(EgressRefused, match="loopback address"):
                fetch(client, link, max_bytes=100_000)
    assert internal.requests == [] and internal6.requests == []


def test_a_trusted_origin_is_fetched_and_a_redirect_off_it_is_checked_on_the_hop(server, internal):
    server.add("/page", "hello")
    server.add("/go", status=302, headers={"Location": internal.url("/secret")})
    server.add("/go-home", status=302, headers={"Location": server.url("/page")})
    with make_client(_trusting(server)) as client:
        assert fetch(client, server.url("/page"), max_bytes=1000).content == b"hello"
        assert fetch(client, server.url("/go-home"), max_bytes=1000).content == b"hello"
        with pytest.raises(EgressRefused, match=r"redirected to http://127\.0\.0\.1:\d+/secret, which is not fetched"):
            fetch(client, server.url("/go"), max_bytes=100_000)
    assert internal.requests == []


def test_allow_networks_lets_an_intranet_through(server, internal):
    with make_client(_trusting(server, allow_networks=LOOPBACK)) as client:
        assert SECRET.encode() in fetch(client, internal.url("/secret"), max_bytes=100_000).content
    assert internal.hits("/secret") == 1


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/x"])
def test_other_schemes_are_refused_directly_and_on_a_redirect(server, target):
    server.add("/go", status=302, headers={"Location": target})
    with make_client(_trusting(server)) as client:
        with pytest.raises(FetchError):
            fetch(client, server.url("/go"), max_bytes=1000)
        with pytest.raises(EgressRefused, match="not an http"):
            fetch(client, target, max_bytes=1000)


def test_every_address_must_be_public_and_the_checked_one_is_used(monkeypatch, server):
    """A name resolving to a public and a private address is refused; an accepted name is looked up once,
    and the socket connects to the address that was checked (a rebinding DNS answer is never asked for)."""
    real = socket.getaddrinfo
    port = server.httpd.server_address[1]
    asked: list[str] = []

    def fake(host, *args, **kwargs):
        asked.append(host)
        if host == "mixed.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        if host == "rebind.example":  # first answer: loopback (allowed below); any later one: a private address
            answer = "127.0.0.1" if asked.count(host) == 1 else "10.0.0.7"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(egress.socket, "getaddrinfo", fake)
    server.add("/ok", "fine")
    with make_client(FetchSettings(timeout_seconds=5, allow_networks=(ipaddress.ip_network("127.0.0.0/8"),))) as c:
        with pytest.raises(EgressRefused, match=r"resolves to 10\.0\.0\.7, a private address"):
            fetch(c, f"http://mixed.example:{port}/ok", max_bytes=1000)
        assert fetch(c, f"http://rebind.example:{port}/ok", max_bytes=1000).content == b"fine"
    assert asked.count("rebind.example") == 1
    assert server.requests[-1][1]["Host"] == f"rebind.example:{port}"  # the name is still sent to the server


# -- end to end: a hostile feed through the real CLI ------------------------------------------------

def _hostile_feed(server: FeedServer, internal: FeedServer, internal6: FeedServer) -> None:
    port = internal.httpd.server_address[1]
    server.add("/go", status=302, headers={"Location": internal.url("/secret?via=redirect")})
    server.add("/article", "<html><body><article>" + "<p>Public article text about open models.</p>" * 40
               + "</article></body></html>", content_type="text/html")
    links = [internal.url("/secret?n=1"), f"http://localhost:{port}/secret?n=2", f"http://2130706433:{port}/secret",
             internal6.url("/secret?n=4"), server.url("/go")]
    items = [{"title": f"Item {n}", "link": link, "guid": f"g{n}", "description": f"Short excerpt number {n}."}
             for n, link in enumerate(links, 1)]
    items.append({"title": "Public item", "link": server.url("/article"), "guid": "g-public",
                  "description": "Short excerpt of a public article."})
    server.add("/feed.xml", rss("Lab", items))


def _archive_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("watch.db*"))


@pytest.mark.parametrize("mode", ["always", "auto"])
def test_a_feed_linking_to_local_services_makes_no_request_to_them(tmp_path, server, internal, internal6, mode):
    _hostile_feed(server, internal, internal6)
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/feed.xml"), "extract": mode}])
    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert internal.requests == [] and internal6.requests == []
    assert SECRET.encode() not in _archive_bytes(tmp_path)
    assert "refused    Lab: 5 item link(s) not fetched" in first.stdout
    assert first.stdout.count("loopback address") == 5
    with sqlite3.connect(tmp_path / "watch.db") as db:
        rows = dict(db.execute("SELECT title, content FROM items").fetchall())
        refusals = db.execute("SELECT COUNT(*) FROM pages WHERE error LIKE 'refused:%'").fetchone()[0]
    assert len(rows) == 6 and rows["Item 1"] == "Short excerpt number 1."
    assert rows["Item 5"] == "Short excerpt number 5."
    assert refusals == 5
    if mode == "always":  # the public page on the trusted origin is still fetched for its full text
        assert "Public article text" in rows["Public item"] and server.hits("/article") == 1
    again = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert again.returncode == 0 and "refused" not in again.stdout  # shown once, in the run that met it
    assert internal.requests == [] and internal6.requests == []


def test_a_feed_moved_to_a_local_address_is_not_adopted_unless_allowed(tmp_path, server, internal):
    server.add("/old.xml", status=301, headers={"Location": internal.url("/feed.xml")})
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/old.xml")}])
    run = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert run.returncode == 1 and "FAILED     Lab: redirected to http://127.0.0.1" in run.stdout
    assert "not fetched" in run.stdout and internal.requests == []
    listed = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path).stdout
    assert "moved" not in listed and "failing x1" in listed
    allowed = write_config(tmp_path, [{"name": "Lab", "url": server.url("/old.xml")}],
                           fetch="{timeout: 5, allow_networks: [127.0.0.0/8]}")
    run = run_cli("run", "--all", "--config", str(allowed), cwd=tmp_path)
    assert run.returncode == 0 and "moved permanently to " + internal.url("/feed.xml") in run.stdout
    listed = run_cli("feeds", "list", "--config", str(allowed), cwd=tmp_path).stdout
    assert "moved permanently to " + internal.url("/feed.xml") in listed
    checked = run_cli("feeds", "check", "--config", str(allowed), cwd=tmp_path).stdout
    assert f"redirected to {internal.url('/feed.xml')} (permanently" in checked


def test_feeds_add_does_not_follow_a_page_to_a_local_feed(tmp_path, server, internal):
    server.add("/", f'<html><head><link rel="alternate" type="application/rss+xml" href="{internal.url("/feed.xml")}">'
               "</head><body>home</body></html>", content_type="text/html")
    path = write_config(tmp_path, [{"name": "Other", "url": server.url("/other.xml")}])
    before = path.read_text()
    added = run_cli("feeds", "add", server.url("/"), "--config", str(path), cwd=tmp_path)
    assert added.returncode != 0 and "loopback address" in added.stdout + added.stderr
    assert internal.requests == [] and path.read_text() == before


def test_allow_networks_is_validated_with_its_line(tmp_path, server):
    path = write_config(tmp_path, [{"name": "Lab", "url": server.url("/feed.xml")}],
                        fetch="{allow_networks: [10.0.0.0/8, not-a-network, 192.168.300.0/24]}")
    checked = run_cli("feeds", "list", "--config", str(path), cwd=tmp_path)
    assert checked.returncode == 2
    assert "feeds.yaml:4: settings.fetch: 'not-a-network' is not a network in CIDR notation" in checked.stderr
    assert "'192.168.300.0/24' is not a network" in checked.stderr
