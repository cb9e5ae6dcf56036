"""Stored relevance kept in step with `interests` and the embedding model, from stored vectors."""

from __future__ import annotations

import hashlib
import logging

from watch.nlp.loading import ModelLoader
from watch.records import (
    Config,
)
from watch.store import Archive

log = logging.getLogger(__name__)


RELEVANCE_KEY = "relevance_key"


def relevance_key(config: Config) -> str | None:
    """What stored relevance scores depend on (interests and embedding model), known without loading a model."""
    from watch.nlp.relevance import interest_topics

    topics = interest_topics(config.interests)
    if not topics:
        return None
    from watch.nlp.tagger import DEFAULT_MODEL

    model = config.settings.tagger.model or DEFAULT_MODEL
    # "topic": since m020 each score is stored with its closest topic; archives scored before are rescored once.
    return hashlib.sha256("\n".join(["topic", model, *topics]).encode()).hexdigest()[:16]


def refresh_relevance(config: Config, archive: Archive, models: ModelLoader) -> int:
    """Recompute stored relevance when `interests` (or the model) changed since it was computed; return
    how many items were rescored. Uses the stored document vectors: no item is embedded again."""
    key = relevance_key(config)
    if archive.meta(RELEVANCE_KEY) == key:
        return 0
    scorer = models().relevance if key else None
    if scorer is None:
        count = archive.clear_relevance()
    else:
        count = 0
        for ids, vectors in archive.vectors_for_relevance(scorer.embedder.name):
            archive.set_relevance(dict(zip(ids, scorer.best(vectors), strict=True)))
            count += len(ids)
    archive.set_meta(RELEVANCE_KEY, key)
    return count
