"""HTTP fetching: one httpx client, conditional GET, size and time caps, per-host politeness.

Every foreign error is translated into FetchError here (house rule 4).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from ..errors import EgressRefused, FetchError
from ..records import FetchResult, FetchSettings
from .egress import EgressPolicy, GuardedTransport, origin_of

ACCEPT_FEEDS = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
_PERMANENT = {301, 308}
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


def make_client(settings: FetchSettings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """Build the one HTTP client a run shares (timeouts, redirects, User-Agent, pool size), guarded by
    the egress policy of `settings` (a `transport` given by a test replaces the network altogether)."""
    limits = httpx.Limits(max_connections=settings.concurrency * 2, max_keepalive_connections=settings.concurrency)
    if transport is None:
        policy = EgressPolicy(settings.trusted_origins, tuple(settings.allow_networks))
        transport = GuardedTransport(policy, limits)
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout_seconds, connect=settings.connect_timeout_seconds,
                              pool=settings.total_timeout_seconds),
        limits=limits,
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT_FEEDS},
        transport=transport,
    )


def trusting(settings: FetchSettings, urls: Sequence[str]) -> FetchSettings:
    """The same settings, also trusting the origins of `urls` (addresses the user typed on the command line)."""
    origins = {o for o in map(origin_of, urls) if o is not None}
    return dataclasses.replace(settings, trusted_origins=settings.trusted_origins | origins)


def host_of(url: str) -> str:
    """The host:port a URL points at (the unit of politeness)."""
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}"


class HostLimiter:
    """At most `per_host` requests in flight to any one host, across threads."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}

    @contextlib.contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's slots for the duration of the block."""
        host = host_of(url)
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self.per_host))
        with semaphore:
            yield


def fetch(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    total_timeout: float | None = None,
    limiter: HostLimiter | None = None,
    headers: Mapping[str, str] | None = None,
    post_json: bytes | None = None,
) -> FetchResult:
    """GET `url` conditionally (with extra `headers`); return a FetchResult for 200/304, raise FetchError otherwise.

    With `post_json`, POST that JSON body instead (an API query such as OSV's querybatch), same caps and errors.
    """
    if origin_of(url) is None:
        raise EgressRefused(f"not fetched: {url!r} is not an http(s) URL", url=url)
    headers = dict(headers or {})
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    deadline = started + total_timeout if total_timeout else None
    slot = limiter.slot(url) if limiter else contextlib.nullcontext()
    if post_json is not None:
        headers["Content-Type"] = "application/json"
    method = "GET" if post_json is None else "POST"
    try:
        with slot, client.stream(method, url, headers=headers, content=post_json) as response:
            if response.status_code == 304:
                return _result(url, response, b"", started, etag, last_modified)
            if response.status_code >= 400:
                raise FetchError(
                    f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                    url=url,
                    status=response.status_code,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"response too large ({declared} bytes > {max_bytes})", url=url)
            body = _read_capped(response, max_bytes, url, deadline)
            return _result(url, response, body, started, None, None)
    except EgressRefused as exc:
        if exc.url and exc.url != url:  # refused on a redirect hop
            raise EgressRefused(f"redirected to {exc.url}, which is not fetched: {exc}", url=exc.url) from None
        raise EgressRefused(str(exc), url=url) from None
    except FetchError:
        raise
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"too many redirects ({exc})", url=url) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"timeout ({type(exc).__name__})", url=url) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}", url=url) from exc


def _read_capped(response: httpx.Response, max_bytes: int, url: str, deadline: float | None) -> bytes:
    # iter_bytes yields decoded bytes, so the cap also holds against compression bombs.
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"response too large (> {max_bytes} bytes)", url=url)
        # The read timeout only bounds each silence; a trickle needs a bound on the whole.
        if deadline is not None and time.monotonic() > deadline:
            raise FetchError("timeout (total time exceeded while reading the body)", url=url)
        chunks.append(chunk)
    return b"".join(chunks)


def _result(url: str, response: httpx.Response, body: bytes, started: float,
            old_etag: str | None, old_last_modified: str | None) -> FetchResult:
    hops = response.history
    moved = str(response.url) if hops and all(h.status_code in _PERMANENT for h in hops) else None
    return FetchResult(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        content=body,
        content_type=response.headers.get("Content-Type", ""),
        etag=response.headers.get("ETag") or old_etag,
        last_modified=response.headers.get("Last-Modified") or old_last_modified,
        elapsed_seconds=time.monotonic() - started,
        permanent_redirect=moved,
        max_age_seconds=freshness_seconds(response.headers),
    )


def freshness_seconds(headers: httpx.Headers) -> float | None:
    """How long the server says the response stays fresh (Cache-Control max-age, else Expires)."""
    match = _MAX_AGE.search(headers.get("Cache-Control", ""))
    if match:
        return float(match.group(1))
    expires = headers.get("Expires")
    if not expires:
        return None
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        return None  # "Expires: 0" and other invalid dates mean "already stale"
    return max(0.0, when.timestamp() - time.time())


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
