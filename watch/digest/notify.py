"""Chat delivery with Apprise: one channel per URL, in the format it renders, cut to its limits, secrets kept out.

Notify URLs are written by the operator in feeds.yaml or the environment, not by feeds: they are trusted
destinations and are not put through the egress policy (watch/http/egress.py), which guards against URLs
from feed content. What comes from feeds only ever reaches Apprise as the message's text: no attachment,
no image or template URL, no emoji interpretation, so Apprise never fetches anything a feed names.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from urllib.parse import unquote

import apprise
from apprise import NotifyFormat

from ..errors import DeliveryError
from ..records import ChatMessage, NotifyChannel
from ..text.textsafe import one_line
from .chat import fit

log = logging.getLogger(__name__)

# Generic webhooks feed programs, which get the plain text (their URL's ?format= still chooses otherwise).
GENERIC_WEBHOOKS = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
BODIES = {NotifyFormat.TEXT: "text", NotifyFormat.MARKDOWN: "markdown", NotifyFormat.HTML: "html"}
_TITLE_ROOM = 24  # a channel without a title gets it in the body, as a heading (Apprise adds markup and a break)
_STATUS = re.compile(r",? error=(\d{3})\b")
_SECRET_PARTS = re.compile(r"[/:@?&=#+,;\s]+")

# Apprise logs its requests at debug level with their full URL (a Slack webhook's token is its path): its
# records must never reach techwatch's own log handlers. Failures are captured per channel, scrubbed, and
# reported by techwatch instead.
logging.getLogger("apprise").propagate = False
logging.getLogger("apprise").addHandler(logging.NullHandler())  # and never logging.lastResort on stderr
# Nor may its debug records exist at all: a handler put on every non-propagating logger (as pytest's capture
# does, or a user's logging config) would otherwise get them. INFO and up is what the per-channel capture reads.
logging.getLogger("apprise").setLevel(logging.INFO)


def channel_key(url: str) -> str:
    """The identity of a channel as stored in the archive: the SHA-256 of its full URL, never the URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def notify_channel(url: str, env: str | None = None) -> NotifyChannel:
    """A channel for an Apprise URL: its key, its display without secrets, or the problem with the URL."""
    url = url.strip()
    plugin = _plugin(url)
    if plugin is None:
        scheme = one_line(url.split("://", 1)[0])[:20] if "://" in url else "?"
        where = f"${env}" if env else f"a {scheme}:// URL"
        return NotifyChannel(channel_key(url), f"{scheme} channel from {where}" if env else f"{scheme} channel",
                             url, env, f"Apprise cannot use {where}: unknown service or malformed URL")
    return NotifyChannel(channel_key(url), _display(plugin), url, env)


def notify_channels(notify: Sequence[str], notify_env: Sequence[str],
                    environ: Mapping[str, str]) -> list[NotifyChannel]:
    """The channels of a profile: its `notify` URLs, then those read now from the `notify_env` variables
    (a variable not set is a channel with a problem, reported like a failed delivery)."""
    channels = [notify_channel(url) for url in notify]
    for name in notify_env:
        value = (environ.get(name) or "").strip()
        if value:
            channels.append(notify_channel(value, env=name))
        else:
            channels.append(NotifyChannel(channel_key(f"env:{name}"), f"channel from ${name}", "", name,
                                          f"the environment variable {name} is not set"))
    return channels


def body_format(plugin: apprise.plugins.NotifyBase) -> NotifyFormat:
    """The format a channel is sent in: Markdown where the service renders it (Slack, Discord, Matrix,
    Telegram, Teams workflows), else HTML where it renders that, else text; text for generic webhooks.

    Apprise says what a service renders (`notify_format`, one format or several) and an explicit ?format= in
    the URL wins; Mattermost and ntfy declare text, so they get the text rendering with its bare links.
    """
    if _scheme(plugin) in GENERIC_WEBHOOKS:
        return plugin.resolve_format(None)
    chosen = plugin.resolve_format(NotifyFormat.MARKDOWN)
    if chosen != NotifyFormat.MARKDOWN:
        chosen = plugin.resolve_format(NotifyFormat.HTML)
    return chosen if chosen in BODIES else NotifyFormat.TEXT


def prepared(plugin: apprise.plugins.NotifyBase, message: ChatMessage) -> tuple[str, str, NotifyFormat]:
    """(title, body, format) of `message` for a channel, within the limits Apprise gives for its service."""
    fmt = body_format(plugin)
    title = message.title
    limit = int(plugin.body_maxlen or 0)
    if plugin.title_maxlen <= 0:  # merged into the body by Apprise
        limit = max(limit - len(title) - _TITLE_ROOM, 1) if limit > 0 else limit
    elif len(title) > plugin.title_maxlen:
        title = title[:plugin.title_maxlen - 1].rstrip() + "…"

    def measure(body: str) -> int:
        # what the service receives: Apprise adapts Markdown to Slack's syntax, escapes for Telegram...
        return len(plugin.dialect_convert(body, fmt))

    body = fit(message, BODIES[fmt], limit, max_lines=int(plugin.body_max_line_count or 0), measure=measure)
    return title, body, fmt


def send_chat(channel: NotifyChannel, message: ChatMessage) -> None:
    """Deliver `message` to one channel with its own Apprise object; DeliveryError (secrets scrubbed) if it fails."""
    if channel.problem:
        raise DeliveryError(f"{channel.display}: {channel.problem}")
    plugin = _plugin(channel.url)
    if plugin is None:  # notify_channel said it was usable; only a changed Apprise could say otherwise
        raise DeliveryError(f"{channel.display}: Apprise cannot use this URL")
    title, body, fmt = prepared(plugin, message)
    sender = apprise.Apprise(asset=_asset())
    sender.add(plugin)
    with apprise.LogCapture(level=logging.INFO, fmt="%(levelname)s %(message)s") as captured:
        try:
            sent = sender.notify(body=body, title=title, body_format=fmt)
        except Exception as exc:  # a plugin bug must fail this channel alone, with a reason
            raise DeliveryError(_scrub(f"{channel.display}: {type(exc).__name__}: {exc}", channel)) from None
    if not sent:
        raise DeliveryError(_scrub(f"{channel.display}: {_reason(captured.getvalue())}", channel))
    log.info("chat sent", extra={"channel": channel.display, "format": fmt.value, "chars": len(body)})


def _plugin(url: str) -> apprise.plugins.NotifyBase | None:
    if not url or "://" not in url:
        return None
    try:
        with apprise.LogCapture(level=logging.CRITICAL):  # Apprise logs why it refuses a URL, URL included
            return apprise.Apprise.instantiate(url, asset=_asset(), suppress_exceptions=True) or None
    except Exception:
        return None


def _asset() -> apprise.AppriseAsset:
    # No emoji interpretation (":name:" in a title stays text) and nothing written to disk by Apprise.
    return apprise.AppriseAsset(interpret_emojis=False, storage_mode="memory")


def _scheme(plugin: apprise.plugins.NotifyBase) -> str:
    return plugin.url(privacy=True).split("://", 1)[0].lower()


def _display(plugin: apprise.plugins.NotifyBase) -> str:
    """'slack channel T...2/A...D/T...Q': Apprise's privacy URL without its query (which can carry headers)."""
    scheme, _, rest = plugin.url(privacy=True).partition("://")
    rest = rest.split("?", 1)[0].rstrip("/")
    return one_line(f"{scheme} channel {unquote(rest)}")


def _reason(logged: str) -> str:
    """Apprise's own words for a failure: its warnings and errors, one line."""
    lines = [line.split(" ", 1)[1] for line in logged.splitlines()
             if line.startswith(("WARNING ", "ERROR ", "CRITICAL "))]
    reason = one_line("; ".join(lines)) or "Apprise reported a failure without a reason"
    return _STATUS.sub(r" (HTTP \1)", reason)  # Apprise ends an HTTP failure with ", error=500."


def _scrub(text: str, channel: NotifyChannel) -> str:
    """`text` without any part of the channel's URL that its display hides (tokens, passwords, headers)."""
    secrets = {channel.url, unquote(channel.url)}
    secrets.update(part for part in _SECRET_PARTS.split(unquote(channel.url))
                   if len(part) >= 3 and part not in channel.display)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text
