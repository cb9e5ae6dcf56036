"""`techwatch digest`: write a period's digest, in the formats asked or the one --out names."""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from .. import pipeline
from ..config import DIGEST_FORMATS
from ..digest.build import parse_period
from ..digest.render import render_explain
from ..errors import DeliveryError
from ..records import Config, DigestProfile, Period
from ..store import Archive, open_archive
from ..store.lock import archive_lock
from .options import EXIT_PARTIAL, config_options, handle_errors, load, say

# `--out FILE` without --format: the file's extension names the format.
OUT_FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".txt": "text",
               ".atom": "atom", ".xml": "atom"}


def out_format(out: Path, formats: tuple[str, ...]) -> str:
    """The one format written to `out`: --format's, else the one its extension names; UsageError otherwise."""
    suffix = out.suffix.lower()
    named = OUT_FORMATS.get(suffix)
    known = ", ".join(f"{ext} ({fmt})" for ext, fmt in OUT_FORMATS.items())
    if len(formats) > 1:
        raise click.UsageError("--out names one file: give a single --format with it")
    if not formats:
        if named is None:
            what = f"its extension {suffix!r}" if suffix else "a name without an extension"
            raise click.UsageError(f"--out {out}: {what} names no digest format; use one of {known}, "
                                   "or say which with --format")
        return named
    if named is not None and named != formats[0]:
        raise click.UsageError(f"--out {out} names a {named} file but --format is {formats[0]}: change the "
                               "extension, or leave --format out to write what the extension says")
    return formats[0]


@click.command()
@click.option("--week", help="ISO week, e.g. 2026-W48, or 'current' / 'last' (default: the last complete week).")
@click.option("--since", help="A rolling window ending now instead of a week: a duration such as 7d, 48h, 2w, 6mo "
                               "(m = minutes, mo = months).")
@click.option("--profile", "profiles", multiple=True, metavar="NAME",
              help="The digest profile to write (a name of `digests:` in feeds.yaml); repeat for several "
                   "(default: every profile).")
@click.option("--format", "formats", multiple=True, type=click.Choice(DIGEST_FORMATS),
              help="Format to write; repeat for several (default: the profile's formats, settings.digest.formats, "
                   "or what --out's extension names). atom: the feed of past digests, digests/feed.atom.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one file, in the format its extension names (.md, .html, .txt, .atom); "
                   "default: <digest directory>/<period>.<ext> for each format (digests/<profile>/ for a profile).")
@click.option("--publish", is_flag=True,
              help="Add a one-off digest (--since, --week other than last, --out) to the feed of past digests.")
@click.option("--email", "send", is_flag=True,
              help="Also e-mail it (text + HTML) through settings.email, to each profile's `email:` recipients.")
@click.option("--send", "deliver", is_flag=True,
              help="Deliver it to every channel of each profile: e-mail (settings.email) and the chat channels "
                   "(Apprise URLs), once per period and channel; a channel that failed is tried again at the next "
                   "--send.")
@click.option("--force", is_flag=True, help="With --email or --send: send even if this period was already sent.")
@click.option("--explain", is_flag=True,
              help="Print every story of the period with its score terms (coverage + relevance + recency) and "
                   "why it is a full story, a one-line mention, collapsed or left out; write and send nothing.")
@config_options
@handle_errors
def digest(week: str | None, since: str | None, profiles: tuple[str, ...], formats: tuple[str, ...],
           out: Path | None, publish: bool, send: bool, deliver: bool, force: bool, explain: bool,
           config_path: Path, db: Path | None) -> None:
    """Write the digest of a period: top stories by tag, also-this-week, releases, sources health.

    The weekly digest (the default: the last complete week) is published: kept as the week's digest
    and added to the feed of past digests. Any other (--since, --week current or an older week, --out)
    is a one-off that leaves the feed as it is, unless --publish. --email sends either, once per
    period label unless --force: a period already sent is said so, not sent again, and exits 0.
    --send delivers it to every channel (e-mail and chat) the same way, once per channel: a channel
    that fails exits 4 and is tried again at the next --send, without sending again to the others.
    With `digests:` in feeds.yaml, each profile (or each --profile) gets its own digest, files,
    feed, recipients and channels.
    """
    now = datetime.now(UTC)
    try:
        period = parse_period(week=week, since=since, now=now)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if out is not None:
        formats = (out_format(out, formats),)
    if force and not (send or deliver):
        raise click.UsageError("--force only applies to --email or --send")
    weekly = since is None and out is None and period == parse_period(now=now)
    config = load(config_path, db)
    try:
        chosen = pipeline.selected_profiles(config, profiles)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--profile") from exc
    if out is not None and len(chosen) > 1:
        raise click.UsageError(f"--out names one file but {len(chosen)} digest profiles are selected "
                               f"({', '.join(p.name for p in chosen)}): choose one with --profile")
    if explain:
        archive = open_archive(config.settings.database)
        try:
            for profile, scorer in pipeline.profile_scorers(config, chosen):
                digest = pipeline.build_digest(config, archive, period, profile, scorer, why=False)
                click.echo(render_explain(digest), nl=False)
        finally:
            archive.close()
        return
    # sending must not race with another process sending the same digest
    lock = (archive_lock(config.settings.database, "techwatch digest --email")
            if send or deliver else contextlib.nullcontext())
    with lock:
        _digest(config, chosen, period, out, formats, publish or weekly, send and not deliver, force, deliver)


def _digest(config: Config, profiles: tuple[DigestProfile, ...], period: Period, out: Path | None,
            formats: tuple[str, ...], publish: bool, send: bool, force: bool, deliver: bool = False) -> None:
    archive = open_archive(config.settings.database)
    failed = False
    try:
        for profile, scorer in pipeline.profile_scorers(config, profiles):
            written = pipeline.produce_digest(config, archive, period, out, formats or None, publish=publish,
                                              profile=profile, scorer=scorer)
            _report(written, profile, period)
            if send:
                failed |= not _email(config, archive, written, profile, period, force)
            if deliver and not _deliver(config, archive, period, written, profile, force):
                click.echo(f"The digest is kept in {', '.join(str(p) for p in written.paths)}.", err=True)
                failed = True
    finally:
        archive.close()
    if failed:
        sys.exit(EXIT_PARTIAL)


def _suffix(profile: DigestProfile) -> str:
    """What follows the period label in messages: " (<name>)" for a profile, nothing for the digest for everyone."""
    return "" if profile.is_default else f" ({profile.name})"


def _report(written: pipeline.WrittenDigest, profile: DigestProfile, period: Period) -> None:
    """Say which files were written, and whether the digest went into the feed of past digests."""
    name = _suffix(profile)
    for path in written.paths:
        click.echo(f"Digest {period.label}{name} written to {path}")
    if not written.published:
        feed = profile.directory / pipeline.FEED_FILE
        left = " (left as it was)" if written.feed_left else ""
        if written.kept:
            say(f"A one-off digest: not added to the feed of past digests, {feed}{left}; --publish adds it.")
        else:
            say(f"A one-off digest: the feed of past digests, {feed}{left}, keeps the published digest of "
                f"{period.label}; --publish replaces it.")


def _email(config: Config, archive: Archive, written: pipeline.WrittenDigest, profile: DigestProfile,
           period: Period, force: bool) -> bool:
    """E-mail one profile's digest unless it was already sent; False when sending failed."""
    name = _suffix(profile)
    if config.settings.email is not None and not profile.email:
        say(f"Digest {period.label}{name} has no e-mail recipients (`email:` of the profile): not e-mailed.")
        return True
    sent = archive.digest_sent(period.label, profile.name) if not force else None
    if sent and config.settings.email is not None:
        # Not an error: cron runs the same command every week, and a rerun must not be reported as a failure.
        say(f"Digest {period.label}{name} was already sent on {sent[0]:%Y-%m-%d %H:%M} UTC to {sent[1]}; "
            "not sent again (--force sends it again).")
        return True
    try:
        message_id = pipeline.email_digest(config, archive, period, os.environ, force=force,
                                           record=written.record, profile=profile)
    except DeliveryError as exc:
        say(f"error: digest {period.label}{name} not sent: {exc}", err=True)
        click.echo(f"The digest is kept in {', '.join(str(p) for p in written.paths)}.", err=True)
        return False
    click.echo(f"Digest {period.label}{name} sent to {', '.join(profile.email)} ({message_id})")
    return True


def _deliver(config: Config, archive: Archive, period: Period, written: pipeline.WrittenDigest,
             profile: DigestProfile, force: bool) -> bool:
    """--send: deliver one profile's digest to each of its channels, say what happened on each; False if one failed."""
    name = _suffix(profile)
    digest = written.digest or pipeline.build_digest(config, archive, period, profile)
    results = pipeline.deliver_digest(
        archive, profile=profile.name, digest=digest, record=written.record, environ=os.environ,
        email=config.settings.email, recipients=profile.email, notify=profile.notify, notify_env=profile.notify_env,
        link=pipeline.profile_link(config, profile, period.label), force=force)
    if not results:
        say(f"Digest {period.label}{name}: no channel to send it to (settings.email, or notify URLs).")
    for result in results:
        if result.status == "sent":
            say(f"Digest {period.label}{name} sent to {result.channel}")
        elif result.status == "skipped":
            say(f"Digest {period.label}{name} was already sent to {result.channel} on "
                f"{result.sent_at:%Y-%m-%d %H:%M} UTC; not sent again (--force sends it again).")
        else:
            say(f"error: digest {period.label}{name} not sent to {result.channel}: {result.error}", err=True)
    return all(result.status != "failed" for result in results)
