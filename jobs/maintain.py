"""The maintain job: ANALYZE, full-text index merge and VACUUM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from watch.errors import WatchError

from .runner import OTHER_LOCK_WAIT, locked_archive, log, not_done, read_config

__all__ = ["maintain"]


def maintain(config_path: str | Path, *, database: str | Path | None = None) -> bool:
    """ANALYZE, merge the full-text index and VACUUM the archive; return whether it ran."""
    started = datetime.now(UTC)
    try:
        config = read_config(config_path, database)
    except WatchError as exc:
        log.error("maintain: not run: %s", exc)
        return False
    path = config.settings.database
    try:
        with locked_archive("maintain", config, OTHER_LOCK_WAIT) as archive:
            size = path.stat().st_size
            archive.maintain()
            after = path.stat().st_size
            archive.record_job("maintain", started, datetime.now(UTC), "ok",
                               {"bytes_before": size, "bytes_after": after})
    except WatchError as exc:  # LockHeld included: the archive is busy, skip this turn
        not_done(config, "maintain", started, exc)
        return False
    log.info("maintain: %s analyzed, index optimized, vacuumed (%d -> %d bytes)", path, size, after)
    return True
