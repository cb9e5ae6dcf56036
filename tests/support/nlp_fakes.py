"""A deterministic stand-in for the embedding model: hashed bag of words."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Cosine = word overlap: texts sharing words are close, texts sharing none are orthogonal-ish."""

    def __init__(self, dim: int = 512, name: str = "hash-bow") -> None:
        self.dim = dim
        self.name = name
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as L2-normalised hashed word counts; records each call."""
        texts = list(texts)
        self.calls.append(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


class FailingEmbedder:
    """Any call to the model is a test failure."""

    name = "must-not-be-called"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Fail loudly: the code under test should not have needed the model."""
        raise AssertionError(f"the model was called with {len(list(texts))} texts")
