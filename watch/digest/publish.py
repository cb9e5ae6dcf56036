"""Stage 5 output: build a period's digest, keep it, write it in each format, e-mail it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watch.digest import build as digest_mod
from watch.errors import DeliveryError
from watch.records import (
    Config,
    Digest,
    DigestRecord,
    Period,
)
from watch.store import Archive

log = logging.getLogger(__name__)


def build_digest(config: Config, archive: Archive, period: Period) -> Digest:
    """Select the period's processed items (and the period before, for trends) and arrange them into a Digest."""
    items = archive.items_between(period.start, period.end)
    previous = archive.items_between(period.start - (period.end - period.start), period.start)
    releases = archive.releases_between(period.start, period.end)
    earlier = archive.versions_before(sorted({r.project for r in releases}), period.start)
    settings = config.settings.digest
    return digest_mod.make_digest(items, config.tags, period, sources=config.sources,
                                  max_items=settings.max_items, max_also=settings.max_also,
                                  per_source=settings.per_source, relevance_floor=digest_floor(config),
                                  previous=previous,
                                  health=digest_mod.health_lines(archive.source_health()),
                                  releases=releases, earlier_versions=earlier)


def digest_floor(config: Config) -> float | None:
    """The relevance floor of the digest: settings.digest.relevance_floor, else the one measured for the
    embedding model that scores relevance; None without `interests` (nothing is scored)."""
    if not config.interests.strip():
        return None
    if config.settings.digest.relevance_floor is not None:
        return config.settings.digest.relevance_floor
    from watch.nlp.relevance import relevance_floor
    from watch.nlp.tagger import DEFAULT_MODEL

    return relevance_floor(config.settings.tagger.model or DEFAULT_MODEL)


FORMAT_SUFFIXES = {"md": ".md", "html": ".html", "text": ".txt", "atom": ".atom"}
FEED_FILE = "feed.atom"


@dataclass(frozen=True)
class WrittenDigest:
    """What produce_digest did: the files written, the digest as rendered, and whether it went into the feed."""

    paths: list[Path]
    record: DigestRecord
    published: bool
    # a one-off digest left the feed of past digests (digests/feed.atom) alone, although the formats name it
    feed_left: bool = False
    # the archive keeps this rendering as the period's digest (not so for a one-off of a published period)
    kept: bool = True
    digest: Digest | None = None  # the digest itself, for the chat message of its delivery


def write_digest(config: Config, archive: Archive, period: Period, out: Path | None = None,
                 formats: Sequence[str] | None = None, *, publish: bool = True) -> list[Path]:
    """produce_digest, returning only the files written."""
    return produce_digest(config, archive, period, out, formats, publish=publish).paths


def produce_digest(config: Config, archive: Archive, period: Period, out: Path | None = None,
                   formats: Sequence[str] | None = None, *, publish: bool = True) -> WrittenDigest:
    """Build the period's digest, keep it in the archive, and write it in each format (default:
    settings.digest.formats); `out` names the file when a single format is written.

    A published digest (the weekly one) goes into the feed of past digests; "atom" rewrites that
    feed. A one-off (`publish=False`: a rolling window, an unfinished week, a file of its own) never
    changes the feed: it does not replace the period's published digest, an "atom" from the settings
    leaves digests/feed.atom alone, and an explicit "atom" is a feed of this digest alone.
    """
    from watch.digest.render import render, render_atom

    settings = config.settings.digest
    explicit = bool(formats)
    formats = list(dict.fromkeys(formats or settings.formats))
    digest = build_digest(config, archive, period)
    html = render(digest, "html", settings.templates)
    text = render(digest, "text", settings.templates)
    record = DigestRecord(period.label, period.start, period.end, datetime.now(UTC), digest.title, html, text)
    kept = archive.save_digest(record, published=publish)
    feed_id = "urn:techwatch:" + hashlib.sha256(str(settings.directory).encode()).hexdigest()[:16]
    single = out if out and len(formats) == 1 else None
    written: list[Path] = []
    feed_left = False
    for fmt in formats:
        if fmt == "atom" and publish:
            content = render_atom(archive.digest_records(published=True), feed_id=feed_id,
                                  html_suffix=FORMAT_SUFFIXES["html"] if "html" in formats else None)
            path = single or settings.directory / FEED_FILE
        elif fmt == "atom" and not explicit:
            feed_left = True
            continue
        elif fmt == "atom":
            content = render_atom([record], feed_id=f"{feed_id}:one-off:{period.label}",
                                  title=f"techwatch digest {period.label}",
                                  html_suffix=FORMAT_SUFFIXES["html"] if "html" in formats else None)
            path = single or settings.directory / f"{period.label}{FORMAT_SUFFIXES[fmt]}"
        else:
            content = {"html": html, "text": text}.get(fmt) or render(digest, fmt, settings.templates)
            path = single or settings.directory / f"{period.label}{FORMAT_SUFFIXES[fmt]}"
        written.append(digest_mod.write_text(path, content))
    return WrittenDigest(written, record, publish, feed_left, kept, digest)


def email_digest(config: Config, archive: Archive, period: Period, environ: Mapping[str, str], *,
                 force: bool = False, record: DigestRecord | None = None) -> str:
    """E-mail the period's digest (`record`, else the one kept by write_digest) as text + HTML; return its
    Message-ID. The archive records the sending per period label, whichever digest of the period was sent.

    Raises DeliveryError when e-mail is not configured, when this period was already sent (unless
    `force`), or when sending fails; the rendered digest stays on disk and in the archive.
    """
    from watch.digest.mail import send_digest

    settings = config.settings.email
    if settings is None:
        raise DeliveryError("no e-mail settings: add an 'email:' block under 'settings:' in feeds.yaml "
                            "(host, from, to; the password comes from an environment variable)")
    sent = archive.digest_sent(period.label)
    if sent and not force:
        raise DeliveryError(f"the digest {period.label} was already sent on {sent[0]:%Y-%m-%d %H:%M} UTC to "
                            f"{sent[1]}; use --force to send it again")
    record = record or next(iter(archive.digest_records(label=period.label)), None)
    if record is None:
        raise DeliveryError(f"the digest {period.label} has not been written yet")
    message_id = send_digest(settings, label=period.label, text=record.text, html=record.html, environ=environ)
    archive.mark_digest_sent(period.label, message_id, settings.recipients, datetime.now(UTC))
    return message_id
