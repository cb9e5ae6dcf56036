"""What the benchmarks share: the test suite's helpers (tests/support) and an embedding cache.

The benchmarks run as scripts (`python benchmarks/x.py`), so this directory is on sys.path and
`from _support import FeedServer` works; tests/support is added here, once, for its modules.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from watch.nlp.embedder import languages_of

SUPPORT = Path(__file__).resolve().parent.parent / "tests" / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

_httpserver = importlib.import_module("httpserver")
_testkit = importlib.import_module("testkit")
_registries = importlib.import_module("registries")

FeedServer = _httpserver.FeedServer
rss = _testkit.rss
shipped_taxonomy = _testkit.shipped_taxonomy
registry_server = _registries.registry_server
registry_settings = _registries.registry_settings

__all__ = ["CachedEmbedder", "FeedServer", "registry_server", "registry_settings", "rss", "shipped_taxonomy"]


class CachedEmbedder:
    """Wraps an embedder and remembers every vector it hands out, so that runs over the same sentences
    (parameter sweeps, before/after comparisons, timings without the model) embed each one once."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.languages = languages_of(inner)  # what the summarizer asks of a multilingual encoder
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`; only the ones never seen go to the model (in one call)."""
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing), strict=True):
                self.cache[text] = vector
        if not texts:
            return self.inner.encode([])
        return np.stack([self.cache[t] for t in texts])
