"""The model stage's seams: what the pipeline really calls on a summarizer and a tagger.

Implementations subclass these (the extractive and generative summarizers, the embedding tagger,
and the test fakes), so what an object can do is said by its type, never probed at run time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from ..records import Summary, TagScore

if TYPE_CHECKING:
    import numpy as np

    from .embedder import Embedder

Doc = tuple[str, str, str | None]  # title, text, language


class Summaries(list[Summary]):
    """One summary per document of a batch, in order, and why a model's own answer was rejected.

    `rejections` maps a document's index to the reason its generated summary was refused (the
    faithfulness guard, degenerate output, the time budget); that document's summary is then the
    fallback one. It is empty for summarizers that never reject. `deferred` holds the documents whose
    fallback summary is only for now (the time budget ran out, a model server could not be reached):
    a later run asks again. A list, so it compares and slices like the summaries it holds.
    """

    def __init__(self, summaries: Iterable[Summary] = (), rejections: Mapping[int, str] | None = None,
                 deferred: Iterable[int] = ()) -> None:
        super().__init__(summaries)
        self.rejections: Mapping[int, str] = dict(rejections or {})
        self.deferred: frozenset[int] = frozenset(deferred)


class Summarizer(ABC):
    """Turns articles into capped summaries."""

    name: str
    # What a summary's size depends on; part of the cache key (None: no such cap).
    sentences: int | None = None
    max_chars: int | None = None
    # A generative summarizer writes model text: the run's time budget and the backlog apply to it.
    generative: ClassVar[bool] = False

    @abstractmethod
    def summarize(self, title: str, text: str, language: str | None = None) -> Summary:
        """Summarize one article."""

    def summarize_many(self, docs: Sequence[Doc], deadline: float | None = None) -> Summaries:
        """Summarize a batch in one call; `deadline` (time.monotonic()) bounds summarizers that take time."""
        return Summaries(self.summarize(*doc) for doc in docs)

    def caps(self) -> str:
        """The caps part of the cache key: "3/400"."""
        return f"{'' if self.sentences is None else self.sentences}/{'' if self.max_chars is None else self.max_chars}"

    def generated(self, summary: Summary) -> bool:
        """Whether `summary` is this summarizer's generated text (not a fallback's)."""
        return self.generative and summary.model == self.name

    def outage(self) -> str | None:
        """Why the model could not be asked (a summarizer server down...), or None; a run reports it."""
        return None


class Tagger(ABC):
    """Scores documents against the taxonomy."""

    name: str

    @abstractmethod
    def tag_many(self, docs: Sequence[tuple[str, str]]) -> list[list[TagScore]]:
        """Tag (title, text) pairs."""


class VectorTagger(Tagger):
    """A tagger that works from document vectors, which the pipeline caches and reuses for relevance."""

    embedder: Embedder

    @abstractmethod
    def doc_text(self, title: str, text: str) -> str:
        """The text of a document that is embedded for tagging."""

    @abstractmethod
    def tag_vectors(self, docs: Sequence[tuple[str, str]], vectors: np.ndarray) -> list[list[TagScore]]:
        """Tag (title, text) pairs whose `doc_text` vectors are given, one row each."""
