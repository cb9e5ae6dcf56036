"""Deterministic stand-ins for the model stages, for fast unit tests of the pipeline's plumbing."""

from __future__ import annotations

import re
from collections.abc import Sequence

from watch.nlp.base import Summarizer, Tagger
from watch.pipeline import Models
from watch.records import Summary, TagScore


class FirstSentenceSummarizer(Summarizer):
    """Summary = the first sentence of the text."""

    name = "fake-first-sentence"

    def __init__(self) -> None:
        self.calls = 0

    def summarize(self, title: str, text: str, language: str | None = None) -> Summary:
        self.calls += 1
        first = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0] if text.strip() else title
        return Summary(text=first[:400], model=self.name)


class KeywordTagger(Tagger):
    """Tag = every tag whose keyword occurs in the title or text."""

    name = "fake-keywords"

    def __init__(self, keywords: dict[str, Sequence[str]]) -> None:
        self.keywords = keywords
        self.calls = 0

    def tag_many(self, docs: Sequence[tuple[str, str]]) -> list[list[TagScore]]:
        self.calls += 1
        out = []
        for title, text in docs:
            blob = f"{title} {text}".lower()
            out.append([TagScore(tag, 0.9) for tag, words in self.keywords.items()
                        if any(w.lower() in blob for w in words)])
        return out


def fake_models() -> Models:
    """A Models bundle of the fakes, with the test taxonomy's keywords."""
    return Models(
        summarizer=FirstSentenceSummarizer(),
        tagger=KeywordTagger({"llm": ["model", "LLM"], "agents": ["agent"], "mlops": ["GPU"],
                              "security": ["vulnerability"], "regulation": ["AI Act", "RGPD"],
                              "sovereignty": ["souverain"]}),
    )
