"""The digest job: last week's digest of one profile written, e-mailed and sent to its chat channels once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from watch import pipeline
from watch.digest.build import parse_period
from watch.errors import DeliveryError, LockHeld, WatchError
from watch.records import DEFAULT_PROFILE, Config, DigestProfile
from watch.store import Archive

from .runner import OTHER_LOCK_WAIT, locked_archive, log, read_config, record

__all__ = ["digest"]


def digest(config_path: str | Path, *, database: str | Path | None = None,
           environ: Mapping[str, str] | None = None, now: datetime | None = None,
           profile: str = DEFAULT_PROFILE) -> list[Path]:
    """Write last week's digest of `profile` (default: the digest for everyone) in its formats; e-mail it to
    its recipients when settings.email is set, never twice."""
    started = datetime.now(UTC)
    try:
        config = read_config(config_path, database)
    except WatchError as exc:
        log.error("digest: not written: %s", exc)
        return []
    period = parse_period(now=now)
    detail: dict[str, object] = {"label": period.label}
    if profile != DEFAULT_PROFILE:
        detail["profile"] = profile
    chosen = config.profile(profile)
    if chosen is None:  # feeds.yaml lost the profile since the job was scheduled
        log.error("digest: no digest profile %r in %s any more; not written", profile, config.path)
        record(config, "digest", started, "failed", detail, (f"no digest profile {profile!r}",))
        return []
    name = period.label if chosen.is_default else f"{period.label} ({chosen.name})"
    errors: tuple[str, ...] = ()
    try:
        with locked_archive("digest", config, OTHER_LOCK_WAIT) as archive:
            [(chosen, scorer)] = pipeline.profile_scorers(config, [chosen])
            written = pipeline.produce_digest(config, archive, period, publish=True, profile=chosen,
                                              scorer=scorer)  # the team's weekly digest
            paths = written.paths
            detail["files"] = [str(p) for p in paths]
            log.info("digest: %s written to %s", name, ", ".join(str(p) for p in paths))
            if config.settings.email is not None and chosen.email:
                sent = archive.digest_sent(period.label, chosen.name)
                if sent:  # a restart or a coalesced misfire must not send it twice
                    log.info("digest: %s already sent on %s to %s; not sent again", name,
                             f"{sent[0]:%Y-%m-%d %H:%M} UTC", sent[1])
                    detail["sent"] = "already"
                else:
                    try:
                        message_id = pipeline.email_digest(config, archive, period,
                                                           os.environ if environ is None else environ,
                                                           profile=chosen)
                    except DeliveryError as exc:
                        log.error("digest: %s not sent: %s", name, exc)
                        errors = (f"e-mail: {exc}",)
                    else:
                        detail["sent"] = message_id
                        log.info("digest: %s sent to %s (%s)", name, ", ".join(chosen.email), message_id)
            if chosen.notify or chosen.notify_env:
                errors += _notify(config, archive, written, chosen, os.environ if environ is None else environ,
                                  detail, name)
            archive.record_job("digest", started, datetime.now(UTC), "partial" if errors else "ok", detail, errors)
    except LockHeld as exc:
        log.info("digest: skipped, the archive is busy: %s", exc)
        record(config, "digest", started, "skipped", detail, (str(exc),))
        return []
    except WatchError as exc:
        log.error("digest: failed: %s", exc)
        record(config, "digest", started, "failed", detail, (str(exc),))
        return []
    return paths


def _notify(config: Config, archive: Archive, written: pipeline.WrittenDigest, profile: DigestProfile,
            environ: Mapping[str, str], detail: dict[str, object], name: str) -> tuple[str, ...]:
    """The profile's chat channels, each once per period (a failed one is tried again at the next run); the
    errors of those that failed. E-mail went its own way above."""
    results = pipeline.deliver_digest(archive, profile=profile.name, digest=written.digest, record=written.record,
                                      environ=environ, notify=profile.notify, notify_env=profile.notify_env,
                                      link=pipeline.profile_link(config, profile, written.record.label))
    detail["notify"] = {result.channel: result.status for result in results}
    for result in results:
        if result.status == "failed":
            log.error("digest: %s not sent to %s: %s", name, result.channel, result.error)
        else:
            log.info("digest: %s %s to %s", name, "sent" if result.status == "sent" else "already sent",
                     result.channel)
    return tuple(f"{result.channel}: {result.error}" for result in results if result.status == "failed")
