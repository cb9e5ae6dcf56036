"""Scheduled jobs: thin functions over pipeline.py, referenced by text ("watch.jobs:poll") so that
APScheduler's SQLite job store can persist them.

Each job reads feeds.yaml itself (the scheduler lives for months; the file changes under it), takes
the archive lock, logs one line per event, and leaves a row in the archive's `runs` table.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from .. import pipeline
from ..config import load_config
from ..digest.build import parse_period
from ..errors import DeliveryError, WatchError
from ..http.client import make_client
from ..models import Config, RunReport
from ..retention import cutoffs
from ..store import Archive, open_archive

try:
    from ..store.lock import LockHeld, archive_lock
except ImportError:  # TODO: drop this fallback once watch/store/lock.py (written in parallel) has landed
    class LockHeld(Exception):  # type: ignore[no-redef]
        """Stand-in: without watch.store.lock no lock is ever held."""

    @contextlib.contextmanager
    def archive_lock(database: Path, command: str, wait_seconds: float = 0.0) -> Iterator[None]:  # type: ignore[misc]
        """No-op stand-in for watch.store.lock.archive_lock."""
        yield

__all__ = ["STOP", "digest", "maintain", "poll", "prune"]

log = logging.getLogger(__name__)

# A poll that finds the archive busy (a manual `techwatch run`) is skipped: the next one comes soon.
# The rarer jobs wait for the lock a while instead.
POLL_LOCK_WAIT = 0.0
OTHER_LOCK_WAIT = 600.0
# Set by the scheduler on SIGTERM/SIGINT: a running poll ends at its next source or item (what is
# left stays for the next run), so a shutdown waits seconds, not a whole backlog.
STOP = threading.Event()


def _config(config_path: str | Path, database: str | Path | None) -> Config:
    config = load_config(config_path)
    if database is not None:
        config = dataclasses.replace(config, settings=dataclasses.replace(config.settings, database=Path(database)))
    return config


@contextlib.contextmanager
def _archive(name: str, config: Config, wait_seconds: float) -> Iterator[Archive]:
    with archive_lock(config.settings.database, f"schedule:{name}", wait_seconds):
        archive = open_archive(config.settings.database)
        try:
            yield archive
        finally:
            archive.close()


def _record(config: Config, name: str, started: datetime, status: str, detail: dict | None = None,
            errors: tuple[str, ...] = ()) -> None:
    """A runs row for a job that did not get as far as writing its own (skipped or failed)."""
    try:
        archive = open_archive(config.settings.database)
        try:
            archive.record_job(name, started, datetime.now(UTC), status, detail, errors)
        finally:
            archive.close()
    except WatchError as exc:
        log.error("%s: could not record the run: %s", name, exc)


def _not_done(config: Config, name: str, started: datetime, exc: WatchError) -> None:
    """Log and record a job that was skipped (archive busy) or failed."""
    if isinstance(exc, LockHeld):
        log.info("%s: skipped, the archive is busy: %s", name, exc)
        _record(config, name, started, "skipped", errors=(str(exc),))
    else:
        log.error("%s: failed: %s", name, exc)
        _record(config, name, started, "failed", errors=(str(exc),))


def poll(config_path: str | Path, *, database: str | Path | None = None,
         models: pipeline.ModelLoader | None = None) -> RunReport | None:
    """Refresh the sources that are due (each keeps its own interval and backoff) and process the backlog."""
    started = datetime.now(UTC)
    try:
        config = _config(config_path, database)
    except WatchError as exc:
        log.error("poll: not run: %s", exc)
        return None
    loader = models or (lambda: pipeline.load_models(config))
    try:
        with _archive("poll", config, POLL_LOCK_WAIT) as archive, make_client(config.settings.fetch) as client:
            report = pipeline.run_cycle(config, archive, client, loader, stop=STOP)
            archive.tag_run(report.run_id, "poll")  # run_cycle wrote the row: name it, add none
    except WatchError as exc:  # LockHeld included: the archive is busy, skip this turn
        _not_done(config, "poll", started, exc)
        return None
    with_news = sum(1 for s in report.sources if s.status == "new")
    log.info("poll: %d sources polled, %d with news, %d failed; %d new items; %d processed, %d failed (run %d)",
             sum(1 for s in report.sources if s.status not in ("not due", "disabled", "gone")), with_news,
             report.failed_sources, report.new_items, report.processed.processed, report.processed.failed,
             report.run_id)
    if report.interrupted:
        log.info("poll: interrupted by shutdown; the rest is left for the next run")
    for error in report.processed.errors:
        log.warning("poll: %s", error)
    return report


def digest(config_path: str | Path, *, database: str | Path | None = None,
           environ: Mapping[str, str] | None = None, now: datetime | None = None) -> list[Path]:
    """Write last week's digest in the configured formats; e-mail it when settings.email is set, never twice."""
    started = datetime.now(UTC)
    try:
        config = _config(config_path, database)
    except WatchError as exc:
        log.error("digest: not written: %s", exc)
        return []
    period = parse_period(now=now)
    detail: dict[str, object] = {"label": period.label}
    errors: tuple[str, ...] = ()
    try:
        with _archive("digest", config, OTHER_LOCK_WAIT) as archive:
            paths = pipeline.write_digest(config, archive, period, publish=True)  # the team's weekly digest
            detail["files"] = [str(p) for p in paths]
            log.info("digest: %s written to %s", period.label, ", ".join(str(p) for p in paths))
            if config.settings.email is not None:
                sent = archive.digest_sent(period.label)
                if sent:  # a restart or a coalesced misfire must not send it twice
                    log.info("digest: %s already sent on %s to %s; not sent again", period.label,
                             f"{sent[0]:%Y-%m-%d %H:%M} UTC", sent[1])
                    detail["sent"] = "already"
                else:
                    try:
                        message_id = pipeline.email_digest(config, archive, period,
                                                           os.environ if environ is None else environ)
                    except DeliveryError as exc:
                        log.error("digest: %s not sent: %s", period.label, exc)
                        errors = (f"e-mail: {exc}",)
                    else:
                        detail["sent"] = message_id
                        log.info("digest: %s sent to %s (%s)", period.label,
                                 ", ".join(config.settings.email.recipients), message_id)
            archive.record_job("digest", started, datetime.now(UTC), "partial" if errors else "ok", detail, errors)
    except LockHeld as exc:
        log.info("digest: skipped, the archive is busy: %s", exc)
        _record(config, "digest", started, "skipped", detail, (str(exc),))
        return []
    except WatchError as exc:
        log.error("digest: failed: %s", exc)
        _record(config, "digest", started, "failed", detail, (str(exc),))
        return []
    return paths


def prune(config_path: str | Path, *, database: str | Path | None = None,
          now: datetime | None = None) -> dict[str, int]:
    """Apply settings.retention: by default no item is deleted, only old cached pages and unused vectors.

    With `retention.items`, items first seen longer ago go, with their summaries, tags, index rows and
    vectors; their ids are remembered so that a feed still carrying them cannot bring them back as new.
    """
    started = datetime.now(UTC)
    try:
        config = _config(config_path, database)
    except WatchError as exc:
        log.error("prune: not run: %s", exc)
        return {}
    items_before, pages_before = cutoffs(config.settings.retention, now or started)
    detail = {"items_before": items_before.isoformat() if items_before else "forever",
              "pages_before": pages_before.isoformat() if pages_before else "forever"}
    try:
        with _archive("prune", config, OTHER_LOCK_WAIT) as archive:
            deleted = archive.prune(items_before, pages_before)
            archive.record_job("prune", started, datetime.now(UTC), "ok", {**detail, **deleted})
    except LockHeld as exc:
        log.info("prune: skipped, the archive is busy: %s", exc)
        _record(config, "prune", started, "skipped", errors=(str(exc),))
        return {}
    except WatchError as exc:
        log.error("prune: failed: %s", exc)
        _record(config, "prune", started, "failed", errors=(str(exc),))
        return {}
    kept = "every item kept" if items_before is None else \
        f"{deleted.get('items', 0)} items first seen before {items_before:%Y-%m-%d} deleted"
    pages = "every cached page kept" if pages_before is None else \
        f"{deleted.get('pages', 0)} cached pages fetched before {pages_before:%Y-%m-%d} deleted"
    log.info("prune: %s; %s; %d unused document vectors deleted", kept, pages, deleted.get("doc_vectors", 0))
    return deleted


def maintain(config_path: str | Path, *, database: str | Path | None = None) -> bool:
    """ANALYZE, merge the full-text index and VACUUM the archive; return whether it ran."""
    started = datetime.now(UTC)
    try:
        config = _config(config_path, database)
    except WatchError as exc:
        log.error("maintain: not run: %s", exc)
        return False
    path = config.settings.database
    try:
        with _archive("maintain", config, OTHER_LOCK_WAIT) as archive:
            size = path.stat().st_size
            archive.maintain()
            after = path.stat().st_size
            archive.record_job("maintain", started, datetime.now(UTC), "ok",
                               {"bytes_before": size, "bytes_after": after})
    except WatchError as exc:  # LockHeld included: the archive is busy, skip this turn
        _not_done(config, "maintain", started, exc)
        return False
    log.info("maintain: %s analyzed, index optimized, vacuumed (%d -> %d bytes)", path, size, after)
    return True
