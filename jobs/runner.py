"""What every scheduled job shares: feeds.yaml read again, the archive lock taken, a `runs` row left behind.

Each job reads feeds.yaml itself (the scheduler lives for months; the file changes under it), takes
the archive lock, logs one line per event, and leaves a row in the archive's `runs` table.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from watch.config import load_config
from watch.errors import LockHeld, WatchError
from watch.records import Config
from watch.store import Archive, open_archive
from watch.store.lock import archive_lock

__all__ = ["OTHER_LOCK_WAIT", "POLL_LOCK_WAIT", "locked_archive", "log", "not_done", "read_config", "record"]

# One logger for all jobs, under "watch" so that the CLI's logging setup and users' filters still see it.
log = logging.getLogger("watch.jobs")

# A poll that finds the archive busy (a manual `techwatch run`) is skipped: the next one comes soon.
# The rarer jobs wait for the lock a while instead.
POLL_LOCK_WAIT = 0.0
OTHER_LOCK_WAIT = 600.0


def read_config(config_path: str | Path, database: str | Path | None) -> Config:
    """feeds.yaml as it is now, its database replaced by `database` (the --db override) when given."""
    config = load_config(config_path)
    if database is not None:
        config = dataclasses.replace(config, settings=dataclasses.replace(config.settings, database=Path(database)))
    return config


@contextlib.contextmanager
def locked_archive(name: str, config: Config, wait_seconds: float) -> Iterator[Archive]:
    """The archive opened under the lock, held as `schedule:<name>`; LockHeld when busy past `wait_seconds`."""
    with archive_lock(config.settings.database, f"schedule:{name}", wait_seconds):
        archive = open_archive(config.settings.database)
        try:
            yield archive
        finally:
            archive.close()


def record(config: Config, name: str, started: datetime, status: str, detail: dict | None = None,
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


def not_done(config: Config, name: str, started: datetime, exc: WatchError) -> None:
    """Log and record a job that was skipped (archive busy) or failed."""
    if isinstance(exc, LockHeld):
        log.info("%s: skipped, the archive is busy: %s", name, exc)
        record(config, name, started, "skipped", errors=(str(exc),))
    else:
        log.error("%s: failed: %s", name, exc)
        record(config, name, started, "failed", errors=(str(exc),))
