"""Apprise URLs in feeds.yaml checked without sending anything: a known scheme, and a URL its plugin can parse."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

# An environment variable name, as `notify_env` must give one (its value, an Apprise URL, is read at delivery).
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def shown_url(url: str) -> str:
    """What a message may show of an Apprise URL: its scheme only, since the rest often holds a token."""
    match = _SCHEME_RE.match(url.strip())
    return f"{match[1].lower()}://…" if match else "…"


def apprise_problem(url: str) -> str | None:
    """Why Apprise cannot use `url` (unknown scheme, or a URL its service's plugin cannot parse), else None.

    Apprise only parses here: instantiating a plugin sends nothing and opens no connection.
    """
    import apprise  # imported only when feeds.yaml has notify URLs

    match = _SCHEME_RE.match(url.strip())
    if not match:
        return "is not an Apprise URL (it must start with a scheme such as slack://, json:// or tgram://)"
    scheme = match[1].lower()
    if scheme not in apprise.NotificationManager():
        return "names a service Apprise does not know (the Apprise wiki lists the URL of each service)"
    with _apprise_silenced():
        plugin = apprise.Apprise.instantiate(url.strip())
    if plugin is None:
        return f"cannot be parsed by Apprise's {scheme}:// plugin: a token, host or target is missing or malformed"
    return None


@contextlib.contextmanager
def _apprise_silenced() -> Iterator[None]:
    """Apprise logs a URL it cannot parse in full, secrets and all: nothing of it may reach the logs."""
    logger = logging.getLogger("apprise")
    before = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = before
