"""Embedding tagger with a fake embedder: thresholds, ranking, keyword boost, batching."""

from __future__ import annotations

import pytest
from nlp_fakes import FailingEmbedder, HashEmbedder

from watch.models import Tag, TagScore
from watch.nlp import EmbeddingTagger

LLM = Tag("llm", "large language models and open weights model releases", ("LLM", "GPT", "Mistral"))
REGULATION = Tag("regulation", "regulation law and compliance rules", ("AI Act", "RGPD"))
HARDWARE = Tag("hardware", "gpu chips and datacenter hardware costs", ())
TAGS = (LLM, REGULATION, HARDWARE)

LLM_DOC = ("New open weights model", "A large language model release with open weights for everyone.")
LAW_DOC = ("New law", "The regulation sets compliance rules and the law applies next year.")
OTHER_DOC = ("Gardening", "Tomatoes grow best in sunny spots with plenty of water.")


def scores(doc: tuple[str, str], **kwargs: float) -> dict[str, float]:
    tagger = EmbeddingTagger(HashEmbedder(), TAGS, **{"threshold": 0.0, "max_tags": 3, **kwargs})
    return {s.tag: s.score for s in tagger.tag(*doc)}


def test_best_matching_tag_comes_first() -> None:
    tagger = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0)
    assert tagger.tag(*LLM_DOC)[0].tag == "llm"
    assert tagger.tag(*LAW_DOC)[0].tag == "regulation"


def test_results_are_sorted_rounded_and_typed() -> None:
    result = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0).tag(*LLM_DOC)
    assert all(isinstance(s, TagScore) for s in result)
    assert [s.score for s in result] == sorted((s.score for s in result), reverse=True)
    assert all(s.score == round(s.score, 4) and 0.0 <= s.score <= 1.0 for s in result)


def test_threshold_filters() -> None:
    low = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, keyword_boost=0.0).tag(*LLM_DOC)
    cut = (low[0].score + low[1].score) / 2
    high = EmbeddingTagger(HashEmbedder(), TAGS, threshold=cut, keyword_boost=0.0).tag(*LLM_DOC)
    assert [s.tag for s in high] == ["llm"]
    assert EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.99).tag(*OTHER_DOC) == []


def test_unrelated_document_gets_no_tag_at_default_threshold() -> None:
    assert EmbeddingTagger(HashEmbedder(), TAGS).tag(*OTHER_DOC) == []


def test_max_tags() -> None:
    tagger = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, max_tags=1)
    assert len(tagger.tag(*LLM_DOC)) == 1
    assert len(EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0).tag(*LLM_DOC)) == 3


@pytest.mark.parametrize(("text", "tag", "boosted"), [
    ("They compared GPT with others.", "llm", True),
    ("GPT-4 is out.", "llm", True),
    ("Custom GPTs are popular.", "llm", True),
    ("Two LLMs were compared.", "llm", True),
    ("An LLM-based tool.", "llm", True),
    ("mistral winds blow in the south", "llm", True),  # ordinary words match in any case
    ("MISTRAL announced a model", "llm", True),
    ("the gpt prefix in lower case", "llm", False),  # acronyms keep their case
    ("ChatGPT is a product", "llm", False),  # whole words only
    ("The GPT4 codename", "llm", False),
    ("Mistralai is a handle", "llm", False),
    ("The EU AI Act applies.", "regulation", True),
    ("The AI act applies.", "regulation", True),
    ("The ai act applies.", "regulation", False),
    ("AI\nAct spread over lines.", "regulation", True),
    ("Le RGPD s'applique.", "regulation", True),
    ("le rgpd en minuscules", "regulation", False),
    ("Compliance with the (RGPD).", "regulation", True),
])
def test_keyword_boost(text: str, tag: str, boosted: bool) -> None:
    doc = ("Note", text)
    difference = scores(doc, keyword_boost=0.2)[tag] - scores(doc, keyword_boost=0.0)[tag]
    assert difference == pytest.approx(0.2 if boosted else 0.0, abs=2e-4)


def test_keyword_in_title_counts() -> None:
    doc = ("Mistral ships a model", "Nothing else here.")
    assert scores(doc, keyword_boost=0.2)["llm"] > scores(doc, keyword_boost=0.0)["llm"]


def test_keyword_lifts_an_item_over_the_threshold() -> None:
    doc = ("Weekly notes", "We tried GPT on our tickets and it worked well.")
    without = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.3, keyword_boost=0.0).tag(*doc)
    with_boost = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.3, keyword_boost=0.4).tag(*doc)
    assert "llm" not in [s.tag for s in without]
    assert "llm" in [s.tag for s in with_boost]


def test_score_is_clipped_to_one() -> None:
    tag = Tag("llm", "large language models", ("LLM",))
    tagger = EmbeddingTagger(HashEmbedder(), [tag], threshold=0.0, keyword_boost=0.5)
    # The doc text equals the tag text, so cosine is 1.0 before the boost.
    assert tagger.tag("llm", "large language models. LLM") == [TagScore("llm", 1.0)]


def test_all_documents_in_one_model_call_and_tags_embedded_once() -> None:
    embedder = HashEmbedder()
    tagger = EmbeddingTagger(embedder, TAGS)
    assert embedder.calls == []  # building a tagger does not touch the model
    results = tagger.tag_many([LLM_DOC, LAW_DOC, OTHER_DOC])
    tagger.tag_many([LLM_DOC, LAW_DOC])
    assert len(results) == 3
    tag_calls = [call for call in embedder.calls if call[0].startswith("llm:")]
    doc_calls = [call for call in embedder.calls if call not in tag_calls]
    assert [len(call) for call in doc_calls] == [3, 2]
    assert len(tag_calls) == 1


def test_document_text_is_title_plus_start_of_text() -> None:
    embedder = HashEmbedder()
    EmbeddingTagger(embedder, TAGS).tag("The title", "x" * 5000)
    doc = next(call[0] for call in embedder.calls if len(call) == 1)
    assert doc.startswith("The title")
    assert 1000 <= len(doc) < 1100


def test_nothing_to_tag_needs_no_model() -> None:
    assert EmbeddingTagger(FailingEmbedder(), TAGS).tag_many([]) == []
    assert EmbeddingTagger(FailingEmbedder(), []).tag_many([LLM_DOC]) == [[]]


def test_name_mentions_the_model() -> None:
    assert "hash-bow" in EmbeddingTagger(HashEmbedder(), TAGS).name
