"""robots.txt for page fetches (feeds are fetched as feed readers do, without it)."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import httpx
from protego import Protego

from ..errors import EgressRefused, FetchError
from ..records import FetchSettings
from .client import HostLimiter, fetch

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB


class RobotsPolicy:
    """Answers whether our User-Agent may fetch a page URL; one robots.txt fetch per origin and run."""

    def __init__(self, client: httpx.Client, settings: FetchSettings, limiter: HostLimiter | None = None) -> None:
        self.client = client
        self.settings = settings
        self.limiter = limiter
        self._lock = threading.Lock()
        self._rules: dict[str, Protego | bool] = {}

    def allowed(self, url: str) -> bool:
        """True when robots.txt of the URL's origin lets techwatch fetch it."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            rules = self._rules.get(origin)
        if rules is None:
            rules = self._load(origin)
            with self._lock:
                self._rules[origin] = rules
        if isinstance(rules, bool):
            return rules
        return bool(rules.can_fetch(url, self.settings.user_agent))

    def _load(self, origin: str) -> Protego | bool:
        try:
            result = fetch(self.client, f"{origin}/robots.txt", max_bytes=ROBOTS_MAX_BYTES,
                           total_timeout=self.settings.total_timeout_seconds, limiter=self.limiter)
        except EgressRefused:
            raise  # the page itself will not be fetched either; say why, not "disallowed"
        except FetchError as exc:
            # RFC 9309 2.3.1: a 4xx means no rules at all; an unreachable robots.txt means
            # "assume complete disallow" until it can be read.
            return exc.status is not None and 400 <= exc.status < 500
        return Protego.parse(result.content.decode("utf-8", "replace"))
