"""Delivering a digest: the chat message built from it, the channels it goes to, and each attempt's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# What a chat line is, for cutting a message to a channel's length: head and foot lines are always kept,
# headings go with the items under them, items are dropped from the end ("… and N more"), and a detail (a lead
# story's "why it matters" line) is dropped before or with the item above it, never counted as one.
LINE_KINDS = ("head", "heading", "item", "detail", "foot")


@dataclass(frozen=True)
class ChatLine:
    """One line of a chat message in each of its renderings (a link is never split across lines)."""

    kind: str  # one of LINE_KINDS
    text: str
    markdown: str
    html: str


@dataclass(frozen=True)
class ChatMessage:
    """A digest's lead, built for chat: a title, and one body per format (the `lines` joined)."""

    title: str
    markdown: str
    text: str
    html: str
    lines: tuple[ChatLine, ...] = ()


@dataclass(frozen=True)
class NotifyChannel:
    """An Apprise channel to deliver to: its identity and display, without its secrets, and the URL itself."""

    key: str  # sha256 of the full URL: the identity stored in the archive
    display: str  # "json channel 127.0.0.1:8080/hook": Apprise's privacy URL, no query (it can carry headers)
    url: str = field(repr=False)  # the full URL with its secrets: given to Apprise only, never shown or stored
    env: str | None = None  # the environment variable the URL came from (notify_env), if any
    problem: str = ""  # why the channel cannot be used (a variable not set, a URL Apprise does not know)


@dataclass(frozen=True)
class DeliveryAttempt:
    """One attempt to deliver a period's digest to one channel, as the archive keeps it."""

    profile: str
    period: str  # the period label, e.g. 2026-W48
    channel_key: str
    channel: str  # the display, without secrets
    kind: str  # email | notify
    at: datetime
    status: str  # sent | failed
    error: str = ""


@dataclass(frozen=True)
class ChannelResult:
    """What deliver_digest did for one channel: sent, failed (and why), or skipped (already sent)."""

    kind: str  # email | notify
    channel: str  # the display, without secrets
    status: str  # sent | failed | skipped
    error: str = ""
    sent_at: datetime | None = None  # for skipped: when it was sent
