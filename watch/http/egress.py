"""Where techwatch may connect: the egress policy against server-side request forgery.

URLs the user wrote in feeds.yaml are trusted. Every other URL (item links, links found in a
page, redirect targets) comes from a third party and is fetched only when every address its host
resolves to is public, or it is on an origin the user named, or inside `fetch.allow_networks`.
The check runs after DNS resolution, at connect time, on every request and so on every redirect
hop; the socket then connects to the very address that was checked, so a second lookup (DNS
rebinding) cannot swap it for another.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urlsplit

import httpcore
import httpx

from ..errors import EgressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Origin = tuple[str, str, int]  # scheme, lower-case host, port

SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# IPv6 prefixes that carry an IPv4 address a router will reach: NAT64 (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, default port filled in; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo client, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: IPAddress) -> str | None:
    """Why an address is not public ("loopback", "private", ...), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_kind(inner)
    for kind, test in (("loopback", ip.is_loopback), ("unspecified", ip.is_unspecified),
                       ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                       ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if test:
            return kind
    # What remains and is still not global: shared address space (CGNAT, 100.64.0.0/10) and the like.
    return None if ip.is_global else "not globally routable"


def describe(ip: IPAddress) -> str:
    """The address as a reader recognises it: an IPv4 address carried in IPv6 is shown as both."""
    inner = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return f"{ip} (IPv4 {inner})" if inner is not None else str(ip)


@dataclass(frozen=True)
class EgressPolicy:
    """Which origins are trusted (named in feeds.yaml) and which non-public networks are allowed."""

    trusted_origins: frozenset[Origin] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()

    def trusts(self, url: str) -> bool:
        """True when the URL is on an origin the user named."""
        return origin_of(url) in self.trusted_origins

    def with_trusted(self, urls: Iterable[str]) -> EgressPolicy:
        """The same policy, also trusting the origins of `urls` (addresses a user typed)."""
        extra = {o for o in map(origin_of, urls) if o is not None}
        return EgressPolicy(self.trusted_origins | extra, self.allow_networks)

    def refusal(self, ip: IPAddress) -> str | None:
        """Why connecting to `ip` for an untrusted URL is refused, or None when it may be used."""
        kind = address_kind(ip)
        if kind is None or any(ip in net for net in self.allow_networks if net.version == ip.version):
            return None
        return f"{describe(ip)}, a {kind} address"


def policy_for(urls: Iterable[str], allow_networks: Iterable[IPNetwork] = ()) -> EgressPolicy:
    """The policy that trusts the origins of the user's own URLs."""
    return EgressPolicy(frozenset(o for o in map(origin_of, urls) if o is not None), tuple(allow_networks))


# Set by the transport for the request being sent, read by the backend when it opens the socket.
# Connections are pooled per origin, so a trusted origin's connection only ever serves that origin.
_TRUSTED: contextvars.ContextVar[bool] = contextvars.ContextVar("techwatch_trusted_origin", default=False)


def resolve(host: str, port: int) -> list[tuple[socket.AddressFamily, tuple]]:
    """Every (family, sockaddr) the host resolves to, for a TCP connection."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    unique: dict[tuple, socket.AddressFamily] = {}
    for family, _type, _proto, _name, sockaddr in infos:
        unique.setdefault(sockaddr, family)
    return [(family, sockaddr) for sockaddr, family in unique.items()]


def is_address_literal(host: str) -> bool:
    """Whether `host` is an IP address literal (brackets allowed) rather than a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class _CheckingBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, except that it resolves the host, lets `check` refuse its addresses, then
    connects to one of the checked addresses (never to a name looked up again)."""

    unix_refusal: ClassVar[type[Exception]] = httpcore.ConnectError

    def __init__(self) -> None:
        self.inner = httpcore.SyncBackend()

    def check(self, host: str, addresses: list[tuple[socket.AddressFamily, tuple]]) -> None:
        """Raise if `host` may not be reached at these addresses."""
        raise NotImplementedError

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[tuple] | None = None) -> httpcore.NetworkStream:
        """Open a TCP connection to `host` at an address `check` accepted."""
        addresses = resolve(host, port)
        self.check(host, addresses)
        last: Exception | None = None
        for _family, sockaddr in addresses:
            # An address literal: the inner backend connects to it without looking the name up again.
            # TLS still verifies and sends the URL's host name (httpcore takes it from the origin).
            try:
                return self.inner.connect_tcp(sockaddr[0], port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"{host}: no address to connect to")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[tuple] | None = None) -> httpcore.NetworkStream:
        """Unix sockets are never reached from a URL: refused."""
        raise self.unix_refusal("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        """As httpcore's backend."""
        self.inner.sleep(seconds)


class GuardedBackend(_CheckingBackend):
    """The egress policy's backend: every address of an untrusted origin must be public."""

    unix_refusal = EgressRefused

    def __init__(self, policy: EgressPolicy) -> None:
        super().__init__()
        self.policy = policy

    def check(self, host: str, addresses: list[tuple[socket.AddressFamily, tuple]]) -> None:
        """EgressRefused when an untrusted origin resolves to a non-public address."""
        if _TRUSTED.get():
            return
        for _family, sockaddr in addresses:
            reason = self.policy.refusal(ipaddress.ip_address(sockaddr[0].split("%")[0]))
            if reason:
                where = (reason.replace(", a ", " is a ", 1) if is_address_literal(host)
                         else f"{host} resolves to {reason}")
                raise EgressRefused(f"{where}: links that come from feeds are fetched only from public "
                                    "addresses (intranet: settings.fetch.allow_networks)")


@dataclass
class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that applies the egress policy to every request, redirects included."""

    policy: EgressPolicy
    limits: httpx.Limits = field(default_factory=lambda: httpx.Limits())

    def __post_init__(self) -> None:
        self.inner = httpx.HTTPTransport(limits=self.limits)
        # httpx has no parameter for httpcore's network backend: give its pool ours (same settings otherwise).
        self.inner._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=self.limits.max_connections,
            max_keepalive_connections=self.limits.max_keepalive_connections,
            keepalive_expiry=self.limits.keepalive_expiry, network_backend=GuardedBackend(self.policy),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse non-http(s) schemes; mark whether the origin is trusted; send through the guarded pool."""
        url = str(request.url)
        if origin_of(url) is None:
            raise EgressRefused("only http(s) URLs are fetched", url=url)
        token = _TRUSTED.set(self.policy.trusts(url))
        try:
            return self.inner.handle_request(request)
        except EgressRefused as exc:
            raise EgressRefused(str(exc), url=url) from None
        finally:
            _TRUSTED.reset(token)

    def close(self) -> None:
        """Close the pooled connections."""
        self.inner.close()



class PublicAddress(httpcore.ConnectError):
    """A service that must stay on this machine or a private network resolved to a public address."""


class PrivateBackend(_CheckingBackend):
    """A backend that connects only to non-public addresses (loopback, private...): for a service the user
    keeps on their own machines, checked on every connection as DNS may change."""

    def check(self, host: str, addresses: list[tuple[socket.AddressFamily, tuple]]) -> None:
        """PublicAddress when `host` resolves to a public address."""
        for _family, sockaddr in addresses:
            ip = ipaddress.ip_address(sockaddr[0].split("%")[0])
            if address_kind(ip) is None:
                raise PublicAddress(f"{host} resolves to {describe(ip)}, a public address")


def private_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport whose connections go only to non-public addresses (see PrivateBackend)."""
    transport = httpx.HTTPTransport(limits=limits)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=PrivateBackend(),
    )
    return transport
