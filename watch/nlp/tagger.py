"""Tag items with the feeds.yaml taxonomy: embedding similarity plus a keyword boost.

How a tag is scored, for one item: the cosine between the item's vector (title + start of the text)
and the tag's vector ("name: description. keywords"), plus a boost when one of the tag's keywords
appears as a word in the title or the first lines (a smaller one when it only appears further down
the start of the text). A tag is kept when its score reaches the threshold and is within a margin of
the item's best tag; at most `max_tags` are kept, best first. Once labelled items are known
(corrections, `examples:`), a learned `TagModel` (watch/nlp/labels.py) adds each tag's prototype term
to the score. Cosines of different models are not on one scale, so threshold, boosts and margin
are measured per model (CALIBRATIONS), by benchmarks/tag_bench.py on hand-labelled English and
French items.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from watch.nlp.base import VectorTagger
from watch.nlp.embedder import Embedder
from watch.nlp.labels import TagModel
from watch.records import Tag, TagScore

DOC_CHARS = 1000  # the start of the text that is embedded and searched for keywords
# A keyword in the title or the first lines says what the item is about; further down it is often a
# passing mention. Keyword hits alone on the 223 corpus items (tag_bench.py): precision 0.75, recall
# 0.57 in the title and first 300 characters; precision 0.62, recall 0.70 within the first 1000.
LEAD_CHARS = 300


@dataclass(frozen=True)
class Calibration:
    """Measured defaults for one embedding model: cosines of different models are not on one scale."""

    threshold: float  # minimum score of a kept tag
    keyword_boost: float  # added when a keyword is in the title or the first LEAD_CHARS characters
    late_keyword_boost: float  # added when a keyword appears only further down, within DOC_CHARS
    margin: float  # a tag more than this below the item's best tag is dropped (math.inf: no limit)


# Chosen by benchmarks/tag_bench.py with max_tags 3 (the feeds.yaml default): the best micro-F1 on
# the tuning halves (crc32 of the item id even) of the 223 corpus items and of the 60-item
# English/French parallel set, pooled; the other halves are held out.
# all-MiniLM-L6-v2: tuning 0.705, held-out 0.689; corpus EN+FR 0.687 (EN 0.667, FR 0.759), parallel EN
# 0.703, FR 0.719. Its cosines alone tell less (micro-F1 0.43 on the corpus without keyword boosts,
# USE 0.61), hence the larger keyword boost.
MINILM = Calibration(threshold=0.46, keyword_boost=0.5, late_keyword_boost=0.25, margin=0.2)
# Multilingual USE: tuning 0.735, held-out 0.724; corpus EN+FR 0.734 (EN 0.720, FR 0.787), parallel
# EN 0.738, FR 0.700.
USE = Calibration(threshold=0.5, keyword_boost=0.35, late_keyword_boost=0.3, margin=0.1)
# Models are told apart by their names (see watch.nlp.embedder); any other model gets MiniLM's
# figures, which suit sentence-transformers models with cosines on the same scale.
# The document model when feeds.yaml names none: the multilingual encoder tags better (micro-F1
# 0.734 against 0.687 on the 223 labelled corpus items, French on a par) and is faster here
# (81 against 17 documents/s), benchmarks/tag_bench.py.
DEFAULT_MODEL = "use-multilingual"
CALIBRATIONS = (("universal-sentence-encoder", USE), ("minilm", MINILM))


def calibration_for(model_name: str) -> Calibration:
    """The measured defaults for an embedding model, by its name."""
    name = model_name.lower()
    return next((c for key, c in CALIBRATIONS if key in name), MINILM)


class EmbeddingTagger(VectorTagger):
    """Scores each (title, text) against every tag; keeps the best few above a threshold."""

    def __init__(self, embedder: Embedder, tags: Sequence[Tag], threshold: float | None = None,
                 max_tags: int = 3, keyword_boost: float | None = None, *,
                 late_keyword_boost: float | None = None, margin: float | None = None) -> None:
        # None takes the embedding model's measured default (see CALIBRATIONS); margin=math.inf
        # turns the margin off.
        defaults = calibration_for(embedder.name)
        self.embedder = embedder
        self.tags = tuple(tags)
        self.threshold = defaults.threshold if threshold is None else threshold
        self.max_tags = max_tags
        self.keyword_boost = defaults.keyword_boost if keyword_boost is None else keyword_boost
        self.late_keyword_boost = (defaults.late_keyword_boost if late_keyword_boost is None
                                   else late_keyword_boost)
        self.margin = defaults.margin if margin is None else margin
        self._patterns = [_keyword_pattern(tag.keywords) for tag in self.tags]
        self._tag_vectors: np.ndarray | None = None
        self.learned: TagModel | None = None

    def learn(self, model: TagModel | None) -> None:
        """Use a model learned from labelled items from now on (None: the descriptions alone)."""
        self.learned = model

    @property
    def name(self) -> str:
        """Model name recorded with the tags."""
        return f"embedding-tagger/{self.embedder.name}"

    def tag(self, title: str, text: str) -> list[TagScore]:
        """Tags of one item, best first."""
        return self.tag_many([(title, text)])[0]

    def tag_many(self, docs: Sequence[tuple[str, str]]) -> list[list[TagScore]]:
        """Tags of each (title, text) pair, best first; all documents go to the model in one call."""
        if not docs or not self.tags:
            return [[] for _ in docs]
        return self.tag_vectors(docs, self.embedder.encode([doc_text(title, text) for title, text in docs]))

    def doc_text(self, title: str, text: str) -> str:
        """The text embedded for a document (its vector can be cached by this text's hash)."""
        return doc_text(title, text)

    def tag_vectors(self, docs: Sequence[tuple[str, str]], vectors: np.ndarray) -> list[list[TagScore]]:
        """Tags of each (title, text) pair from its already computed `doc_text` vector; no model call
        but the taxonomy's own vectors, once."""
        if not len(docs) or not self.tags:
            return [[] for _ in docs]
        scores = self.scores(docs, vectors)
        kept = select_tags(scores, self.threshold, self.max_tags, self.margin)
        results: list[list[TagScore]] = []
        for row, keep in zip(scores, kept, strict=True):
            order = sorted(np.flatnonzero(keep), key=lambda col: -row[col])
            # The stored score is a confidence in [0, 1]; ranking used the unclipped sum.
            results.append([TagScore(self.tags[col].name, round(min(float(row[col]), 1.0), 4)) for col in order])
        return results

    def scores(self, docs: Sequence[tuple[str, str]], vectors: np.ndarray) -> np.ndarray:
        """Score of every tag for every document (documents x tags): cosine plus keyword boost, plus the
        learned prototype term when there is a learned model."""
        lead, late = self.keyword_hits(docs)
        scores = combine(self.similarities(vectors), lead, late, self.keyword_boost, self.late_keyword_boost)
        if self.learned is None:
            return scores
        return self.learned.adjust(scores, vectors, [tag.name for tag in self.tags])

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine between each document vector and each tag's vector (documents x tags)."""
        return np.asarray(vectors, dtype=np.float32) @ self._tag_matrix().T

    def keyword_hits(self, docs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Two 0/1 matrices (documents x tags): a keyword of the tag in the title or the first
        LEAD_CHARS characters; else one further down, within DOC_CHARS."""
        lead = np.zeros((len(docs), len(self.tags)), dtype=np.float32)
        late = np.zeros_like(lead)
        for row, (title, text) in enumerate(docs):
            body = (text or "").strip()
            head, rest = f"{title or ''}\n{body[:LEAD_CHARS]}", body[:DOC_CHARS]
            for col, pattern in enumerate(self._patterns):
                if pattern is None:
                    continue
                if pattern.search(head):
                    lead[row, col] = 1.0
                elif pattern.search(rest):
                    late[row, col] = 1.0
        return lead, late

    def _tag_matrix(self) -> np.ndarray:
        # Computed on first use so that building a tagger never loads the model.
        if self._tag_vectors is None:
            self._tag_vectors = self.embedder.encode([_tag_text(tag) for tag in self.tags])
        return self._tag_vectors


def combine(similarities: np.ndarray, lead: np.ndarray, late: np.ndarray, keyword_boost: float,
            late_keyword_boost: float) -> np.ndarray:
    """Tag scores from cosines and keyword hits (see `EmbeddingTagger.keyword_hits`), rounded to 4 places."""
    boosted = np.asarray(similarities, dtype=np.float64) + keyword_boost * lead + late_keyword_boost * late
    return np.round(np.maximum(boosted, 0.0), 4)


def select_tags(scores: np.ndarray, threshold: float, max_tags: int, margin: float = math.inf) -> np.ndarray:
    """Which tags each document keeps (documents x tags, bool): score >= threshold, among its
    `max_tags` best, and at most `margin` below its best tag."""
    scores = np.asarray(scores)
    if scores.size == 0:
        return np.zeros(scores.shape, dtype=bool)
    rank = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1, kind="stable")
    best = scores.max(axis=1, keepdims=True)
    return (scores >= threshold) & (rank < max_tags) & (scores >= best - margin)


def _tag_text(tag: Tag) -> str:
    # The keywords are embedded with the description, as they always were; without them the pooled
    # tuning half scores about the same (tag_bench.py: MiniLM 0.696 against 0.705, USE 0.736 against 0.735).
    text = f"{tag.name}: {tag.description}".strip()
    if tag.keywords:
        text += ". " + ", ".join(tag.keywords)
    return text


def doc_text(title: str, text: str) -> str:
    """Title and the start of the text, as one string to embed."""
    title, body = (title or "").strip(), (text or "").strip()[:DOC_CHARS]
    if title and body:
        return f"{title} {body}" if title[-1] in ".!?:;…" else f"{title}. {body}"
    return title or body


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for a tag's keywords: whole words; all-caps words ("GPT", "AI") match case-sensitively."""
    alternatives = []
    for keyword in keywords:
        words = keyword.split()
        if not words:
            continue
        # An acronym in lower case is usually another word ("act", "gpt" in a URL slug): keep its case.
        parts = [re.escape(w) + "s?" if _is_acronym(w) else f"(?i:{re.escape(w)})" for w in words]
        alternatives.append(r"\s+".join(parts))
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)
