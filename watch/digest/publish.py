"""Stage 5 output: build a period's digest of each profile, keep it, write it in each format, e-mail it."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watch.digest import build as digest_mod
from watch.digest.deliver import full_digest_link
from watch.digest.matters import with_why_lines
from watch.digest.profiles import profile_health, profile_items, profile_releases, rescored
from watch.errors import DeliveryError
from watch.nlp.embedder import Embedder
from watch.nlp.loading import document_embedder
from watch.nlp.relevance import RelevanceScorer
from watch.records import (
    DEFAULT_PROFILE,
    Config,
    Digest,
    DigestProfile,
    DigestRecord,
    EmailSettings,
    Period,
    default_profile,
)
from watch.sources.kinds import kind_of
from watch.store import Archive

log = logging.getLogger(__name__)


def build_digest(config: Config, archive: Archive, period: Period, profile: DigestProfile | None = None,
                 scorer: RelevanceScorer | None = None, *, why: bool = True) -> Digest:
    """Select the period's processed items (and the period before, for trends) and arrange them into the
    Digest of `profile` (default: the digest for everyone).

    A profile that shares the top-level `interests` ranks with the relevance stored with each item; one
    with its own ranks through `scorer` (relevance_scorer, made here when not given), from stored vectors.
    With summarizer.why_it_matters (and `why`), the lead stories get their "why it matters" line (digest/matters.py).
    """
    profile = profile or everyone(config)
    items = archive.items_between(period.start, period.end)
    previous = archive.items_between(period.start - (period.end - period.start), period.start)
    releases = profile_releases(archive.releases_between(period.start, period.end), profile)
    earlier = archive.versions_before(sorted({r.project for r in releases}), period.start)
    health = digest_mod.health_lines(archive.source_health())
    if not profile.is_default or profile.sources or profile.tags or profile.exclude_tags:
        release_sources = {s.name for s in config.sources if kind_of(s).releases}
        items = profile_items(items, profile, release_sources)
        previous = profile_items(previous, profile, release_sources)
        health = profile_health(health, profile)
    if profile.interests != config.interests:
        scorer = scorer or relevance_scorer(config, profile, lambda: document_embedder(config))
        items = rescored(items, archive, scorer)
    digest = digest_mod.make_digest(items, config.tags, period, sources=config.sources, title=profile.title,
                                    max_items=profile.max_items, max_also=profile.max_also,
                                    per_source=profile.per_source, relevance_floor=digest_floor(config, profile),
                                    previous=previous, health=health, releases=releases, earlier_versions=earlier,
                                    advisories=archive.advisories_between(period.start, period.end, affecting=True),
                                    manifest_base=config.path.parent if config.path else None)
    return with_why_lines(digest, archive, config.settings.summarizer, profile.interests) if why else digest


def everyone(config: Config) -> DigestProfile:
    """The digest for everyone: the profile named `default`, else settings.digest as it has always been."""
    return config.profile(DEFAULT_PROFILE) or default_profile(config.settings, config.interests)


def selected_profiles(config: Config, names: Sequence[str] = ()) -> tuple[DigestProfile, ...]:
    """The profiles named (every profile when none is), in feeds.yaml order; ValueError names the known ones."""
    known = config.profiles
    unknown = [n for n in dict.fromkeys(names) if config.profile(n) is None]
    if unknown:
        raise ValueError(f"no digest profile {', '.join(map(repr, unknown))} in {config.path} (profiles: "
                         f"{', '.join(p.name for p in known)})")
    return tuple(p for p in known if not names or p.name in names)


def relevance_scorer(config: Config, profile: DigestProfile,
                     embedder: Callable[[], Embedder]) -> RelevanceScorer | None:
    """What ranks `profile` by its own interests (None when it has none, or shares the stored ones);
    `embedder` gives the embedding model of the stored document vectors, called only when needed."""
    if profile.interests == config.interests or not profile.interests.strip():
        return None
    return RelevanceScorer(embedder(), profile.interests)


def digest_floor(config: Config, profile: DigestProfile | None = None) -> float | None:
    """The relevance floor of the digest: the profile's (settings.digest.relevance_floor), else the one measured
    for the embedding model that scores relevance; None without interests (nothing is scored)."""
    profile = profile or everyone(config)
    if not profile.interests.strip():
        return None
    if profile.relevance_floor is not None:
        return profile.relevance_floor
    from watch.nlp.relevance import relevance_floor
    from watch.nlp.tagger import DEFAULT_MODEL

    return relevance_floor(config.settings.tagger.model or DEFAULT_MODEL)


FORMAT_SUFFIXES = {"md": ".md", "html": ".html", "text": ".txt", "atom": ".atom"}
FEED_FILE = "feed.atom"


@dataclass(frozen=True)
class WrittenDigest:
    """What produce_digest did: the files written, the digest as rendered, and whether it went into the feed."""

    paths: list[Path]
    record: DigestRecord  # its label, period, title, HTML and plain text, as the archive keeps them
    published: bool
    # a one-off digest left the feed of past digests (digests/feed.atom) alone, although the formats name it
    feed_left: bool = False
    # the archive keeps this rendering as the period's digest (not so for a one-off of a published period)
    kept: bool = True
    profile: DigestProfile | None = None  # whose digest it is
    digest: Digest | None = None  # what was rendered: render(digest, "md", settings.digest.templates) for Markdown


def write_digest(config: Config, archive: Archive, period: Period, out: Path | None = None,
                 formats: Sequence[str] | None = None, *, publish: bool = True,
                 profile: DigestProfile | None = None, scorer: RelevanceScorer | None = None) -> list[Path]:
    """produce_digest, returning only the files written."""
    return produce_digest(config, archive, period, out, formats, publish=publish, profile=profile,
                          scorer=scorer).paths


def profile_digests(config: Config, archive: Archive, period: Period, names: Sequence[str] = (), *,
                    publish: bool = True, formats: Sequence[str] | None = None,
                    embedder: Callable[[], Embedder] | None = None) -> list[WrittenDigest]:
    """Write the period's digest of each profile named (all of them when none is), each in its own files.

    Profiles with interests of their own are ranked from the stored document vectors; the embedding
    model (`embedder`, default: the one of settings.tagger) is loaded once, and only if one needs it.
    ValueError when a name is not a profile.
    """
    return [produce_digest(config, archive, period, formats=formats, publish=publish, profile=profile, scorer=scorer)
            for profile, scorer in profile_scorers(config, selected_profiles(config, names), embedder)]


def profile_scorers(config: Config, profiles: Sequence[DigestProfile], embedder: Callable[[], Embedder] | None = None
                    ) -> list[tuple[DigestProfile, RelevanceScorer | None]]:
    """Each profile with what ranks it by its own interests (relevance_scorer), the embedding model
    (default: settings.tagger's) loaded once, and only if a profile needs it."""
    embedder = functools.cache(embedder or (lambda: document_embedder(config)))
    return [(profile, relevance_scorer(config, profile, embedder)) for profile in profiles]


def produce_digest(config: Config, archive: Archive, period: Period, out: Path | None = None,
                   formats: Sequence[str] | None = None, *, publish: bool = True,
                   profile: DigestProfile | None = None, scorer: RelevanceScorer | None = None) -> WrittenDigest:
    """Build the period's digest of `profile` (default: the one for everyone), keep it in the archive, and
    write it in each format (default: the profile's formats, settings.digest.formats) in the profile's
    directory; `out` names the file when a single format is written.

    A published digest (the weekly one) goes into the profile's feed of past digests; "atom" rewrites that
    feed. A one-off (`publish=False`: a rolling window, an unfinished week, a file of its own) never
    changes the feed: it does not replace the period's published digest, an "atom" from the settings
    leaves digests/feed.atom alone, and an explicit "atom" is a feed of this digest alone.
    """
    from watch.digest.render import render, render_atom

    profile = profile or everyone(config)
    templates = config.settings.digest.templates
    directory = profile.directory
    explicit = bool(formats)
    formats = list(dict.fromkeys(formats or profile.formats))
    digest = build_digest(config, archive, period, profile, scorer)
    html = render(digest, "html", templates)
    text = render(digest, "text", templates)
    record = DigestRecord(period.label, period.start, period.end, datetime.now(UTC), digest.title, html, text,
                          profile.name)
    kept = archive.save_digest(record, published=publish)
    feed_id = "urn:techwatch:" + hashlib.sha256(str(directory).encode()).hexdigest()[:16]
    feed_title = "techwatch digests" if profile.is_default else f"{profile.title}: techwatch digests"
    single = out if out and len(formats) == 1 else None
    written: list[Path] = []
    feed_left = False
    for fmt in formats:
        if fmt == "atom" and publish:
            content = render_atom(archive.digest_records(published=True, profile=profile.name), feed_id=feed_id,
                                  title=feed_title, html_suffix=FORMAT_SUFFIXES["html"] if "html" in formats else None)
            path = single or directory / FEED_FILE
        elif fmt == "atom" and not explicit:
            feed_left = True
            continue
        elif fmt == "atom":
            content = render_atom([record], feed_id=f"{feed_id}:one-off:{period.label}",
                                  title=f"techwatch digest {period.label}",
                                  html_suffix=FORMAT_SUFFIXES["html"] if "html" in formats else None)
            path = single or directory / f"{period.label}{FORMAT_SUFFIXES[fmt]}"
        else:
            content = {"html": html, "text": text}.get(fmt) or render(digest, fmt, templates)
            path = single or directory / f"{period.label}{FORMAT_SUFFIXES[fmt]}"
        written.append(digest_mod.write_text(path, content))
    return WrittenDigest(written, record, publish, feed_left, kept, profile, digest)


def profile_link(config: Config, profile: DigestProfile, label: str) -> str | None:
    """Where the profile's digest of `label` is served (under settings.digest.public_url, in the profile's
    folder), for the link of its chat message; None without public_url."""
    settings = dataclasses.replace(config.settings.digest, formats=profile.formats)
    return full_digest_link(settings, label, "" if profile.is_default else profile.name)


def email_digest(config: Config, archive: Archive, period: Period, environ: Mapping[str, str], *,
                 force: bool = False, record: DigestRecord | None = None,
                 profile: DigestProfile | None = None) -> str:
    """E-mail the period's digest of `profile` (default: the one for everyone) to its `email:` recipients
    (`record`, else the one kept by write_digest) as text + HTML; return its Message-ID. The archive records
    the sending per profile and period label, whichever digest of the period was sent.

    Raises DeliveryError when e-mail is not configured, when the profile has no recipients, when this
    period was already sent (unless `force`), or when sending fails; the rendered digest stays on disk
    and in the archive.
    """
    from watch.digest.mail import send_digest

    profile = profile or everyone(config)
    settings = config.settings.email
    if settings is None:
        raise DeliveryError("no e-mail settings: add an 'email:' block under 'settings:' in feeds.yaml "
                            "(host, from, to; the password comes from an environment variable)")
    if not profile.email:
        raise DeliveryError(f"the digest profile {profile.name!r} has no e-mail recipients: give it 'email:' "
                            "in feeds.yaml")
    sent = archive.digest_sent(period.label, profile.name)
    if sent and not force:
        raise DeliveryError(f"the digest {period.label} was already sent on {sent[0]:%Y-%m-%d %H:%M} UTC to "
                            f"{sent[1]}; use --force to send it again")
    record = record or next(iter(archive.digest_records(label=period.label, profile=profile.name)), None)
    if record is None:
        raise DeliveryError(f"the digest {period.label} has not been written yet")
    settings = profile_mail(settings, profile)
    message_id = send_digest(settings, label=period.label, text=record.text, html=record.html, environ=environ)
    archive.mark_digest_sent(period.label, message_id, settings.recipients, datetime.now(UTC), profile.name)
    return message_id


def profile_mail(settings: EmailSettings, profile: DigestProfile) -> EmailSettings:
    """settings.email addressed to the profile's recipients; a profile's subject names its title."""
    subject = settings.subject
    if not profile.is_default and subject == EmailSettings.subject:
        subject = profile.title.replace("{", "(").replace("}", ")") + " {label}"
    return dataclasses.replace(settings, recipients=profile.email, subject=subject)
