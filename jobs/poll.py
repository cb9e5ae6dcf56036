"""The poll job: refresh the sources that are due and process the backlog."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from watch import pipeline
from watch.errors import WatchError
from watch.http.client import make_client
from watch.progress import PlainProgress, progress_fields, progress_line
from watch.records import ProgressEvent, RunReport
from watch.scheduler import STOP

from .runner import POLL_LOCK_WAIT, locked_archive, log, not_done, read_config

__all__ = ["poll"]


def poll(config_path: str | Path, *, database: str | Path | None = None,
         models: pipeline.ModelLoader | None = None) -> RunReport | None:
    """Refresh the sources that are due (each keeps its own interval and backoff) and process the backlog."""
    started = datetime.now(UTC)
    try:
        config = read_config(config_path, database)
    except WatchError as exc:
        log.error("poll: not run: %s", exc)
        return None
    loader = models or (lambda: pipeline.load_models(config))
    try:
        with locked_archive("poll", config, POLL_LOCK_WAIT) as archive, make_client(config.settings.fetch) as client:
            report = pipeline.run_cycle(config, archive, client, loader, stop=STOP,
                                        progress=PlainProgress(_log_progress))
            archive.tag_run(report.run_id, "poll")  # run_cycle wrote the row: name it, add none
    except WatchError as exc:  # LockHeld included: the archive is busy, skip this turn
        not_done(config, "poll", started, exc)
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
    if report.processed.outage:
        log.warning("poll: %s: %d items keep their extractive summary, retried next run", report.processed.outage,
                    report.processed.waiting)
    return report


def _log_progress(event: ProgressEvent) -> None:
    # a first poll over a large feeds.yaml takes minutes: its log says how far it is and what is left
    log.info("poll: %s", progress_line(event), extra=progress_fields(event))
