"""What the tagger learns from labelled items: a prototype per tag, from the stored document vectors (numpy).

A tag with labelled items gets a prototype: the mean vector of the items that have it, against the
mean vector of the labelled items that have it not (the contrast). An item's score for the tag is
then the description score plus `weight` x (cosine-like similarity to the prototype minus to the
contrast), so an item close to the user's examples of a tag is lifted past the threshold and one close
to the items corrected away from it is pushed down. A tag with no positive or no contrast item is left
as the description makes it. No model work: vectors are the ones stored when items were processed.

Measured by benchmarks/tag_bench.py --folds 5 on the 223 labelled corpus items (labels of four folds
given as corrections, the fifth tagged; multilingual USE): micro-F1 0.741 against 0.734 without
labels. Weights 0.25-2 gave 0.726-0.741 (1.0 best). Tried on the same folds and dropped, all below
the zero-label tagger: a per-tag logistic regression over the vectors anchored to the description
score (0.65-0.70), per-tag thresholds (0.65-0.71), a nearest-neighbour vote (at most 0.738), and
weight, threshold and margin tuned on the training folds with leave-one-out prototypes (0.728).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PROTOTYPE_WEIGHT = 1.0
LEARNER_VERSION = "prototype-1"  # part of the labels hash: a new learner refits


@dataclass(frozen=True)
class TagModel:
    """Per-tag prototype and contrast vectors learned from labelled items, and how much they count."""

    tags: tuple[str, ...]
    prototypes: np.ndarray  # dim x tags: mean vector of the items that have the tag
    contrasts: np.ndarray  # dim x tags: mean vector of the labelled items that have it not
    learned: np.ndarray  # bool per tag: False where there was no positive or no contrast
    weight: float = PROTOTYPE_WEIGHT

    def adjust(self, scores: np.ndarray, vectors: np.ndarray, names: Sequence[str]) -> np.ndarray:
        """`scores` (documents x `names`) with each learned tag's prototype term added."""
        out = np.asarray(scores, dtype=np.float64).copy()
        vectors = np.asarray(vectors, dtype=np.float32)
        column = {name: j for j, name in enumerate(self.tags)}
        for k, name in enumerate(names):
            j = column.get(name)
            if j is None or not self.learned[j] or not len(vectors):
                continue
            out[:, k] += self.weight * (vectors @ self.prototypes[:, j] - vectors @ self.contrasts[:, j])
        return np.round(np.maximum(out, 0.0), 4)

    def learned_tags(self) -> list[str]:
        """Names of the tags that have a prototype."""
        return [name for name, ok in zip(self.tags, self.learned, strict=True) if ok]

    def to_bytes(self) -> bytes:
        """The model as bytes (an .npz), to keep in the archive."""
        buffer = io.BytesIO()
        np.savez(buffer, tags=np.array(json.dumps(list(self.tags))), prototypes=self.prototypes,
                 contrasts=self.contrasts, learned=self.learned, weight=np.array(self.weight))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TagModel:
        """A model kept by `to_bytes`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            return cls(tuple(json.loads(str(stored["tags"]))), stored["prototypes"], stored["contrasts"],
                       stored["learned"].astype(bool), float(stored["weight"]))


def fit_prototypes(names: Sequence[str], vectors: np.ndarray, positive: np.ndarray,
                   weight: float = PROTOTYPE_WEIGHT) -> TagModel:
    """Learn a prototype per tag from labelled items: `positive` (items x tags, bool) says which items have it;
    every other labelled item is the tag's contrast."""
    vectors = np.asarray(vectors, dtype=np.float32)
    positive = np.asarray(positive, dtype=bool).reshape(len(vectors), len(names))
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    prototypes = np.zeros((dim, len(names)), dtype=np.float32)
    contrasts = np.zeros_like(prototypes)
    learned = np.zeros(len(names), dtype=bool)
    for j in range(len(names)):
        has, hasnt = positive[:, j], ~positive[:, j]
        if has.any() and hasnt.any():
            prototypes[:, j] = vectors[has].mean(axis=0)
            contrasts[:, j] = vectors[hasnt].mean(axis=0)
            learned[j] = True
    return TagModel(tuple(names), prototypes, contrasts, learned, weight)


def labels_hash(embedder: str, names: Sequence[str], ids: Sequence[str], vectors: np.ndarray,
                positive: np.ndarray) -> str:
    """What a fitted model depends on: the learner, the model, the taxonomy, the labelled items and their vectors."""
    digest = hashlib.sha256()
    for part in (LEARNER_VERSION, str(PROTOTYPE_WEIGHT), embedder, "\x1f".join(names)):
        digest.update(part.encode() + b"\x00")
    for n, item_id in enumerate(ids):
        digest.update(item_id.encode() + b"\x00")
        digest.update(np.asarray(vectors[n], dtype=np.float16).tobytes())
        digest.update(np.asarray(positive[n], dtype=bool).tobytes())
    return digest.hexdigest()[:32]
