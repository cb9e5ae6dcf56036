"""What the model stage reads and writes: pending items, summaries, tag scores, vectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Summary:
    """A length-capped summary and the model that produced it."""

    text: str
    model: str


@dataclass(frozen=True)
class TagScore:
    """A taxonomy tag assigned to an item, with its score in [0, 1]."""

    tag: str
    score: float


@dataclass(frozen=True)
class DocVector:
    """An item's document embedding (title + start of text), keyed by the hash of the text embedded."""

    input_hash: str
    model: str
    vector: Any  # numpy float32 array, L2-normalised; stored as float16


@dataclass(frozen=True)
class ModelOutput:
    """Everything the model stage produced for one item, stored in one transaction."""

    summary: Summary
    tags: tuple[TagScore, ...]
    tagger: str
    summary_key: str | None = None  # hash of the summarizer's input, to reuse the summary
    doc: DocVector | None = None
    relevance: float | None = None  # similarity to `interests`; None without interests
    relevance_topic: str | None = None  # the `interests` topic it is closest to


@dataclass(frozen=True)
class PendingItem:
    """An archived item waiting for extraction and model work."""

    id: str
    source: str
    url: str
    title: str
    feed_html: str
    language: str | None
    published: datetime | None

