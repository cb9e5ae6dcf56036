"""Stage 3 glue: put newly processed items into story clusters, joining archived ones."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from watch.nlp.embedder import Embedder
from watch.nlp.loading import ModelLoader
from watch.store import Archive
from watch.stories import cluster

log = logging.getLogger(__name__)


class _RecordingEmbedder:
    """Passes encode() through and keeps each text's vector, to store what clustering computed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.inner.encode(texts)
        self.seen.update(zip(texts, vectors, strict=True))
        return vectors


def cluster_new(archive: Archive, models: ModelLoader, now: datetime | None = None) -> int:
    """Put every processed, unclustered item into a story cluster (joining archived ones); return the count."""
    new = archive.unclustered()
    if not new:
        return 0
    embedder = models().embedder
    recorder = _RecordingEmbedder(embedder) if embedder is not None else None
    dates = [s.published for s in new if s.published] or [now or datetime.now(UTC)]
    window = timedelta(days=cluster.DEFAULT_WINDOW_DAYS)
    known = archive.clusters_between(min(dates) - window, max(dates) + window, recorder.name if recorder else None)
    assignment = cluster.assign_to_existing(new, known, recorder)
    vectors = {s.id: recorder.seen[cluster.story_text(s)] for s in new
               if recorder and cluster.story_text(s) in recorder.seen}
    archive.save_clusters(assignment, vectors, recorder.name if recorder else None, now or datetime.now(UTC))
    return len(assignment)
