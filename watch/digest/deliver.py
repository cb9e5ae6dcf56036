"""Deliver a profile's digest to every channel it has (e-mail, chat), once per period and channel, each alone."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ..errors import DeliveryError
from ..records import (
    ChannelResult,
    DeliveryAttempt,
    Digest,
    DigestRecord,
    DigestSettings,
    EmailSettings,
)
from ..store import Archive
from .chat import build_chat, digest_link

log = logging.getLogger(__name__)

SUFFIXES = {"html": ".html", "md": ".md", "text": ".txt"}


def full_digest_link(settings: DigestSettings, label: str, folder: str = "") -> str | None:
    """Where the period's digest is served (settings.digest.public_url): its HTML file if one is written,
    else its first other format; `folder`: a profile's sub-folder of the digest directory. None without it."""
    formats = [fmt for fmt in ("html", *settings.formats) if fmt in settings.formats and fmt in SUFFIXES]
    return digest_link(settings.public_url, label, SUFFIXES[formats[0]], folder) if formats else None


def email_channel(recipients: Sequence[str]) -> tuple[str, str]:
    """(key, display) of the e-mail channel to these recipients; the key does not depend on their order."""
    addresses = sorted({address.strip().lower() for address in recipients if address.strip()})
    key = hashlib.sha256(("mailto:" + ",".join(addresses)).encode("utf-8")).hexdigest()
    return key, "email to " + ", ".join(addresses)


def deliver_digest(archive: Archive, *, profile: str, digest: Digest, record: DigestRecord,
                   environ: Mapping[str, str], email: EmailSettings | None = None,
                   recipients: Sequence[str] = (), notify: Sequence[str] = (), notify_env: Sequence[str] = (),
                   link: str | None = None, force: bool = False, now: datetime | None = None,
                   ssl_context: ssl.SSLContext | None = None) -> list[ChannelResult]:
    """Send the period's digest of `profile` by e-mail (`record`, to `recipients` through `email`) and as a
    chat message (built from `digest`, linking to `link`) to every `notify` URL and every URL read now from
    the `notify_env` variables; return what happened on each channel.

    A channel already sent this period is skipped unless `force`; every attempt is recorded, so a channel
    that failed is tried again at the next call while the others are not sent twice. Channels fail alone:
    nothing raises for one of them.
    """
    period = record.label or digest.label
    results: list[ChannelResult] = []

    def attempt(kind: str, key: str, display: str, send) -> None:
        sent_at = None if force else _sent(archive, profile, period, key, kind)
        if sent_at is not None:
            results.append(ChannelResult(kind, display, "skipped", sent_at=sent_at))
            return
        at = now or datetime.now(UTC)
        try:
            send()
        except DeliveryError as exc:
            error = str(exc)
            archive.record_delivery(DeliveryAttempt(profile, period, key, display, kind, at, "failed", error))
            log.warning("delivery failed", extra={"profile": profile, "period": period, "channel": display,
                                                  "error": error})
            results.append(ChannelResult(kind, display, "failed", error))
            return
        archive.record_delivery(DeliveryAttempt(profile, period, key, display, kind, at, "sent"))
        results.append(ChannelResult(kind, display, "sent", sent_at=at))

    if recipients:
        key, display = email_channel(recipients)

        def send_email() -> None:
            if email is None:
                raise DeliveryError("no e-mail settings: add an 'email:' block under 'settings:' in feeds.yaml")
            from .mail import send_digest

            message_id = send_digest(dataclasses.replace(email, recipients=tuple(recipients)), label=period,
                                     text=record.text, html=record.html, environ=environ,
                                     ssl_context=ssl_context, now=now)
            # what `digest --email` checks, so it does not send it again
            archive.mark_digest_sent(period, message_id, recipients, now or datetime.now(UTC), profile)

        attempt("email", key, display, send_email)
    from .notify import notify_channels, send_chat  # Apprise loads (~0.1 s) only when something is sent

    channels = notify_channels(notify, notify_env, environ)
    if channels:
        message = build_chat(digest, link=link)
        seen: set[str] = set()
        for channel in channels:
            if channel.key in seen:  # the same URL twice (in notify and behind a variable): sent once
                continue
            seen.add(channel.key)
            attempt("notify", channel.key, channel.display, lambda channel=channel: send_chat(channel, message))
    return results


def _sent(archive: Archive, profile: str, period: str, key: str, kind: str) -> datetime | None:
    sent = archive.delivery_sent(profile, period, key)
    if sent is None and kind == "email":
        earlier = archive.digest_sent(period, profile)  # sent by `digest --email`, which keeps it on the digest
        sent = earlier[0] if earlier else None
    return sent
