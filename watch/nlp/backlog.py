"""The generative backlog: recent items that only have a fallback summary get their generative one."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import UTC, datetime, timedelta

from watch.nlp.enrich import summary_key
from watch.nlp.loading import ModelLoader
from watch.records import (
    ProcessReport,
)
from watch.store import Archive

log = logging.getLogger(__name__)


# A generative summarizer works back through this many days of items that only have the
# extractive summary; older ones keep it (switching backends must not start a months-long job).
BACKLOG_DAYS = 14


def summarize_backlog(archive: Archive, models: ModelLoader, deadline: float, report: ProcessReport,
                      batch_size: int = 8) -> ProcessReport:
    """Give recent items that only have a fallback summary their generative one, newest first,
    until `deadline` (time.monotonic()); return `report` with the counts of this work added."""
    summarizer = models().summarizer
    if not summarizer.generative:
        return report
    since = datetime.now(UTC) - timedelta(days=BACKLOG_DAYS)
    done = 0
    while time.monotonic() < deadline:
        batch = archive.items_without_summary(summarizer.name, since, limit=batch_size)
        if not batch:
            break
        summaries = summarizer.summarize_many([(title, text, language) for _, title, text, language in batch],
                                              deadline=deadline)
        rejections = summaries.rejections
        for n, ((item_id, title, text, language), summary) in enumerate(zip(batch, summaries, strict=True)):
            if summarizer.generated(summary):
                archive.replace_summary(item_id, summary, summary_key(summarizer, title, text, language),
                                        datetime.now(UTC))
                done += 1
            elif n in rejections or (n not in summaries.deferred and time.monotonic() < deadline):
                # It keeps its extractive summary: greedy decoding would give the same rejected output again.
                reason = rejections.get(n, "no generative summary (e.g. no article text)")
                archive.record_rejection(item_id, summarizer.name, reason, datetime.now(UTC))
        if summaries.deferred:
            break  # out of time, or the model server is failing: the rest waits for a later run
    waiting = archive.count_without_summary(summarizer.name, since)
    return dataclasses.replace(report, generated=report.generated + done, waiting=waiting,
                               outage=summarizer.outage() or report.outage)
