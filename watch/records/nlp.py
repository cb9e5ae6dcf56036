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
class TagCorrection:
    """A user's word on one tag of one archived item: it has the tag (True) or it has not (False)."""

    item_id: str
    tag: str
    present: bool


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
    source_tags: tuple[str, ...] = ()  # tags the item gets from its source, whatever the tagger says ("stack")


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



@dataclass(frozen=True)
class TagLearning:
    """What a run learned from labelled items: how many, which tags, whether it refitted and re-tagged."""

    labelled: int = 0  # labelled items with a stored vector
    tags: tuple[str, ...] = ()  # tags with a prototype
    refitted: bool = False  # the labels changed since the stored model (or there was none)
    retagged: int = 0  # items of the recent window whose tags changed
    unmatched: tuple[str, ...] = ()  # `examples:` that match no archived item, as warnings with file:line
