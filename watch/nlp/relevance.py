"""Relevance of items to the readers' `interests:` text, from document vectors."""

from __future__ import annotations

import re

import numpy as np

from watch.nlp.embedder import Embedder
from watch.nlp.sentences import split_sentences

# Interests are usually a list of unrelated topics ("agents in production; the AI Act; GPU
# prices"). One vector for the whole text would sit between them and match nothing well, so
# each topic is embedded alone and an item scores its best match.
_TOPIC_SEPARATORS = re.compile(r"\s*(?:\n+|;|•|(?<=[.!?])\s+)\s*")
MIN_TOPIC_CHARS = 3


class RelevanceScorer:
    """Scores document vectors against the interests text: the best cosine over its topics, in [0, 1]."""

    def __init__(self, embedder: Embedder, interests: str) -> None:
        self.embedder = embedder
        self.topics = interest_topics(interests)
        self._vectors: np.ndarray | None = None

    def score(self, vectors: np.ndarray) -> list[float]:
        """One score per row of `vectors` (L2-normalised document vectors of this scorer's model)."""
        if not self.topics or not len(vectors):
            return [0.0] * len(vectors)
        if self._vectors is None:
            self._vectors = self.embedder.encode(self.topics)
        best = (np.asarray(vectors, dtype=np.float32) @ self._vectors.T).max(axis=1)
        return [round(float(x), 4) for x in np.clip(best, 0.0, 1.0)]


def interest_topics(interests: str) -> list[str]:
    """The interests text cut into topics: lines, semicolon-separated parts, sentences."""
    topics: list[str] = []
    for part in _TOPIC_SEPARATORS.split(interests or ""):
        part = part.strip(" -*\t,")
        if len(part) < MIN_TOPIC_CHARS:
            continue
        topics += [s for s in split_sentences(part) if len(s) >= MIN_TOPIC_CHARS] or [part]
    return list(dict.fromkeys(topics))
