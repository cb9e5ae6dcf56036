"""The prune job: what settings.retention lets go is deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from watch.errors import LockHeld, WatchError
from watch.retention import cutoffs

from .runner import OTHER_LOCK_WAIT, locked_archive, log, read_config, record

__all__ = ["prune"]


def prune(config_path: str | Path, *, database: str | Path | None = None,
          now: datetime | None = None) -> dict[str, int]:
    """Apply settings.retention: by default no item is deleted, only old cached pages and unused vectors.

    With `retention.items`, items first seen longer ago go, with their summaries, tags, index rows and
    vectors; their ids are remembered so that a feed still carrying them cannot bring them back as new.
    """
    started = datetime.now(UTC)
    try:
        config = read_config(config_path, database)
    except WatchError as exc:
        log.error("prune: not run: %s", exc)
        return {}
    items_before, pages_before = cutoffs(config.settings.retention, now or started)
    detail = {"items_before": items_before.isoformat() if items_before else "forever",
              "pages_before": pages_before.isoformat() if pages_before else "forever"}
    try:
        with locked_archive("prune", config, OTHER_LOCK_WAIT) as archive:
            deleted = archive.prune(items_before, pages_before)
            archive.record_job("prune", started, datetime.now(UTC), "ok", {**detail, **deleted})
    except LockHeld as exc:
        log.info("prune: skipped, the archive is busy: %s", exc)
        record(config, "prune", started, "skipped", errors=(str(exc),))
        return {}
    except WatchError as exc:
        log.error("prune: failed: %s", exc)
        record(config, "prune", started, "failed", errors=(str(exc),))
        return {}
    kept = "every item kept" if items_before is None else \
        f"{deleted.get('items', 0)} items first seen before {items_before:%Y-%m-%d} deleted"
    pages = "every cached page kept" if pages_before is None else \
        f"{deleted.get('pages', 0)} cached pages fetched before {pages_before:%Y-%m-%d} deleted"
    log.info("prune: %s; %s; %d unused document vectors deleted", kept, pages, deleted.get("doc_vectors", 0))
    return deleted
