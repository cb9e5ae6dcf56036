"""The model stage for a batch of extracted articles: summaries, document vectors, tags, relevance.

Every output is looked up first by the hash of its exact input and the model's name, so an
item seen before (same text in another feed, a feed edit that left the text alone, a re-run)
costs no model work; what is missing goes to the model in one call per batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..errors import ModelError
from ..records import Article, DocVector, ModelOutput, PendingItem, Summary, TagScore
from ..store import Archive
from .base import Summarizer, Tagger, VectorTagger
from .embedder import Embedder
from .relevance import RelevanceScorer

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Models:
    """The model-backed stages, loaded together."""

    summarizer: Summarizer
    tagger: Tagger
    embedder: Embedder | None = None  # for story clustering; None: exact rules only (URL, hash)
    relevance: RelevanceScorer | None = None  # None: no `interests` in feeds.yaml


Batch = Sequence[tuple[PendingItem, Article]]


def summary_key(summarizer: Summarizer, title: str, text: str, language: str | None) -> str:
    """Hash of everything a summary depends on: the summarizer, its caps, the title, text and language."""
    return _sha256(summarizer.name, summarizer.caps(), title or "", text or "", language or "")


def enrich(batch: Batch, models: Models, archive: Archive,
           deadline: float | None = None) -> list[ModelOutput | Exception]:
    """Model outputs for each (item, article), or the exception that item failed with.

    A ModelError (the model itself is broken) is raised, not returned. `deadline` (a
    time.monotonic() value) bounds summarizers that take time (the generative backend).
    """
    summaries = _summaries(batch, models.summarizer, archive, deadline)
    tags, docs = _tags(batch, models.tagger, archive)
    relevance = _relevance(docs, models.relevance)
    out: list[ModelOutput | Exception] = []
    for summary, tag_set, doc, (score, topic) in zip(summaries, tags, docs, relevance, strict=True):
        failure = next((x for x in (summary, tag_set) if isinstance(x, Exception)), None)
        if failure is not None:
            out.append(failure)
            continue
        text, key = summary  # type: ignore[misc]
        out.append(ModelOutput(summary=text, tags=tuple(tag_set), tagger=models.tagger.name,  # type: ignore[arg-type]
                               summary_key=key, doc=doc, relevance=score, relevance_topic=topic))
    return out


def _summaries(batch: Batch, summarizer: Summarizer, archive: Archive,
               deadline: float | None) -> list[tuple[Summary, str | None] | Exception]:
    keys = [summary_key(summarizer, i.title, a.text, a.language) for i, a in batch]
    cached = archive.cached_summaries(keys, summarizer.name)
    # The same article twice in a batch (two feeds carry it) is summarized once.
    todo = {key: n for n, key in reversed(list(enumerate(keys))) if key not in cached}
    made: dict[str, Summary | Exception] = {}
    if todo:
        docs = [(batch[n][0].title, batch[n][1].text, batch[n][1].language) for n in todo.values()]
        results = _whole_batch("summarizing", lambda: summarizer.summarize_many(docs, deadline=deadline), len(todo))
        for key, doc, result in zip(todo, docs, results, strict=True):
            made[key] = result if result is not None else _one(lambda d=doc: summarizer.summarize(*d))
    out: list[tuple[Summary, str | None] | Exception] = []
    for key in keys:
        if key in cached:
            out.append((Summary(cached[key], summarizer.name), key))
            continue
        result = made[key]
        if isinstance(result, Exception):
            out.append(result)
        else:
            # A fallback summary (another model) is not this summarizer's answer for the key.
            out.append((result, key if result.model == summarizer.name else None))
    return out


def _tags(batch: Batch, tagger: Tagger,
          archive: Archive) -> tuple[list[list[TagScore] | Exception], list[DocVector | None]]:
    """Tags per item, and the document vector they came from (None for taggers without vectors)."""
    docs = [(i.title, a.text) for i, a in batch]
    if not isinstance(tagger, VectorTagger):
        results = _whole_batch("tagging", lambda: tagger.tag_many(docs), len(docs))
        tags = [r if r is not None else _one(lambda d=d: tagger.tag_many([d])[0]) for r, d in zip(results, docs,
                                                                                                   strict=True)]
        return tags, [None] * len(batch)
    embedder = tagger.embedder
    texts = [tagger.doc_text(title, text) for title, text in docs]
    keys = [_sha256(text) for text in texts]
    vectors = archive.cached_doc_vectors(keys, embedder.name)
    missing = [key for key in dict.fromkeys(keys) if key not in vectors]
    errors: dict[str, Exception] = {}
    if missing:
        by_key = dict(zip(keys, texts, strict=True))
        encoded = _whole_batch("embedding", lambda: list(embedder.encode([by_key[k] for k in missing])), len(missing))
        for key, vector in zip(missing, encoded, strict=True):
            result = vector if vector is not None else _one(lambda k=key: embedder.encode([by_key[k]])[0])
            if isinstance(result, Exception):
                errors[key] = result
            else:
                vectors[key] = np.asarray(result, dtype=np.float32)
    ok = [n for n, key in enumerate(keys) if key in vectors]
    tag_sets = tagger.tag_vectors(
        [docs[n] for n in ok], np.stack([vectors[keys[n]] for n in ok])) if ok else []
    tags: list[list[TagScore] | Exception] = [errors.get(key) or RuntimeError("no document vector") for key in keys]
    doc_vectors: list[DocVector | None] = [None] * len(batch)
    for n, tag_set in zip(ok, tag_sets, strict=True):
        tags[n] = tag_set
        doc_vectors[n] = DocVector(keys[n], embedder.name, vectors[keys[n]])
    return tags, doc_vectors


def _relevance(docs: Sequence[DocVector | None],
               scorer: RelevanceScorer | None) -> list[tuple[float | None, str | None]]:
    """(relevance, closest interests topic) per document; (None, None) without interests or a vector."""
    scores: list[tuple[float | None, str | None]] = [(None, None)] * len(docs)
    if scorer is None:
        return scores
    present = [n for n, doc in enumerate(docs) if doc is not None]
    if present:
        values = scorer.best(np.stack([docs[n].vector for n in present]))  # type: ignore[union-attr]
        for n, value in zip(present, values, strict=True):
            scores[n] = value
    return scores


def _whole_batch(what: str, call: Callable[[], Sequence[T]], size: int) -> Sequence[T | None]:
    """One model call for a whole batch; on an item-level failure, Nones so each item is retried alone.

    A ModelError means the model itself is broken and stops processing.
    """
    try:
        return call()
    except ModelError:
        raise
    except Exception as exc:
        log.warning("batch %s failed (%s); doing items one by one", what, exc)
        return [None] * size


def _one(call: Callable[[], T]) -> T | Exception:
    """One item's model call: its result, or the exception that fails only this item."""
    try:
        return call()
    except ModelError:
        raise
    except Exception as exc:
        return exc


def _sha256(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
