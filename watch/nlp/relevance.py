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

# The relevance below which a story told by one source is filler for the digest, per embedding model
# (matched on the model's name, as the tagger's calibrations are). Measured on the labelled set with the
# shipped interests by benchmarks/relevance_floor.py: the highest floor that keeps 95 % of on-topic items.
RELEVANCE_FLOORS: tuple[tuple[str, float], ...] = (
    ("universal-sentence-encoder", 0.15), ("use-multilingual", 0.15), ("minilm", 0.22))
DEFAULT_FLOOR = 0.0


class RelevanceScorer:
    """Scores document vectors against the interests text: the best cosine over its topics, in [0, 1]."""

    def __init__(self, embedder: Embedder, interests: str) -> None:
        self.embedder = embedder
        self.topics = interest_topics(interests)
        self._vectors: np.ndarray | None = None

    def score(self, vectors: np.ndarray) -> list[float]:
        """One score per row of `vectors` (L2-normalised document vectors of this scorer's model)."""
        return [score for score, _topic in self.best(vectors)]

    def best(self, vectors: np.ndarray) -> list[tuple[float, str | None]]:
        """(score, the closest topic) per row of `vectors`; (0.0, None) without topics."""
        if not self.topics or not len(vectors):
            return [(0.0, None)] * len(vectors)
        if self._vectors is None:
            self._vectors = self.embedder.encode(self.topics)
        cosines = np.asarray(vectors, dtype=np.float32) @ self._vectors.T
        index = cosines.argmax(axis=1)
        best = np.clip(cosines[np.arange(len(index)), index], 0.0, 1.0)
        return [(round(float(x), 4), self.topics[int(i)]) for x, i in zip(best, index, strict=True)]


def relevance_floor(model_name: str) -> float:
    """The measured relevance floor of an embedding model, by its name (0 for a model never measured)."""
    name = model_name.lower()
    return next((floor for key, floor in RELEVANCE_FLOORS if key in name), DEFAULT_FLOOR)


def interest_topics(interests: str) -> list[str]:
    """The interests text cut into topics: lines, semicolon-separated parts, sentences."""
    topics: list[str] = []
    for part in _TOPIC_SEPARATORS.split(interests or ""):
        part = part.strip(" -*\t,")
        if len(part) < MIN_TOPIC_CHARS:
            continue
        topics += [s for s in split_sentences(part) if len(s) >= MIN_TOPIC_CHARS] or [part]
    return list(dict.fromkeys(topics))
