"""HTTP fetching: one httpx client, conditional GET, size cap, errors translated to FetchError."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx

from .errors import FetchError
from .models import FetchResult, FetchSettings

ACCEPT_FEEDS = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)


def make_client(settings: FetchSettings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """Build the one HTTP client a run shares (timeouts, redirects, User-Agent)."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT_FEEDS},
        transport=transport,
    )


def fetch(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET `url` conditionally; return a FetchResult for 200/304, raise FetchError otherwise."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return _result(url, response, b"", started, etag, last_modified)
            if response.status_code >= 400:
                raise FetchError(
                    f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                    url=url,
                    status=response.status_code,
                    retry_after=_retry_after(response.headers.get("Retry-After")),
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"response too large ({declared} bytes > {max_bytes})", url=url)
            body = _read_capped(response, max_bytes, url)
            return _result(url, response, body, started, None, None)
    except FetchError:
        raise
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"too many redirects ({exc})", url=url) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"timeout ({type(exc).__name__})", url=url) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__}: {exc}", url=url) from exc


def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    # iter_bytes yields decoded bytes, so the cap also holds against compression bombs.
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"response too large (> {max_bytes} bytes)", url=url)
        chunks.append(chunk)
    return b"".join(chunks)


def _result(url: str, response: httpx.Response, body: bytes, started: float,
            old_etag: str | None, old_last_modified: str | None) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        content=body,
        content_type=response.headers.get("Content-Type", ""),
        etag=response.headers.get("ETag") or old_etag,
        last_modified=response.headers.get("Last-Modified") or old_last_modified,
        elapsed_seconds=time.monotonic() - started,
    )


def _retry_after(value: str | None) -> float | None:
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
