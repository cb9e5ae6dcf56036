"""Tag items with the feeds.yaml taxonomy: embedding similarity plus a keyword boost."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from watch.models import Tag, TagScore
from watch.nlp.embedder import Embedder

# Cosine of all-MiniLM-L6-v2 between a feed item and a one-line tag description, measured on
# 84 items of the corpus feeds: on-topic items mostly 0.35-0.6, off-topic ones mostly below 0.25
# with a tail to about 0.33 (a CPU article under "GPUs", French politics under "regulation").
DEFAULT_THRESHOLD = 0.35
# A keyword the user listed is strong evidence: with it a loosely related item (cosine >= 0.15)
# gets the tag, while an unrelated one that merely mentions the word still does not.
KEYWORD_BOOST = 0.2
DOC_CHARS = 1000


class EmbeddingTagger:
    """Scores each (title, text) against every tag; keeps the best few above a threshold."""

    def __init__(self, embedder: Embedder, tags: Sequence[Tag], threshold: float = DEFAULT_THRESHOLD,
                 max_tags: int = 3, keyword_boost: float = KEYWORD_BOOST) -> None:
        self.embedder = embedder
        self.tags = tuple(tags)
        self.threshold = threshold
        self.max_tags = max_tags
        self.keyword_boost = keyword_boost
        self._patterns = [_keyword_pattern(tag.keywords) for tag in self.tags]
        self._tag_vectors: np.ndarray | None = None

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
        similarity = np.asarray(vectors, dtype=np.float32) @ self._tag_matrix().T
        results: list[list[TagScore]] = []
        for (title, text), row in zip(docs, similarity, strict=True):
            haystack = f"{title or ''}\n{text or ''}"
            scored = []
            for tag, pattern, cosine in zip(self.tags, self._patterns, row, strict=True):
                boost = self.keyword_boost if pattern is not None and pattern.search(haystack) else 0.0
                score = round(float(np.clip(cosine + boost, 0.0, 1.0)), 4)
                if score >= self.threshold:
                    scored.append(TagScore(tag.name, score))
            scored.sort(key=lambda s: -s.score)
            results.append(scored[: self.max_tags])
        return results

    def _tag_matrix(self) -> np.ndarray:
        # Computed on first use so that building a tagger never loads the model.
        if self._tag_vectors is None:
            self._tag_vectors = self.embedder.encode([_tag_text(tag) for tag in self.tags])
        return self._tag_vectors


def _tag_text(tag: Tag) -> str:
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
