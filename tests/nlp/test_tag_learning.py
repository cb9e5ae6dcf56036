"""Learning tags from labelled items: prototypes over synthetic vectors, kept as bytes, used by the tagger."""

from __future__ import annotations

import numpy as np
from nlp_fakes import HashEmbedder

from watch.nlp.labels import TagModel, fit_prototypes, labels_hash
from watch.nlp.tagger import EmbeddingTagger
from watch.records import Tag

TAGS = (Tag("llm", "large language models"), Tag("birds", "ornithology field notes"))
DIM = 512


def _near(center: np.ndarray, rng: np.random.Generator, n: int, noise: float = 0.3) -> np.ndarray:
    points = center + noise * rng.standard_normal((n, DIM)) / np.sqrt(DIM)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def _unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal(DIM)
    return v / np.linalg.norm(v)


def test_five_examples_teach_a_tag_its_description_misses():
    rng = np.random.default_rng(7)
    topic, other = _unit(rng), _unit(rng)
    tagger = EmbeddingTagger(HashEmbedder(DIM), TAGS)
    new_docs = [("Herons seen", "")] * 3 + [("Other news", "")] * 3
    new_vectors = np.vstack([_near(topic, rng, 3), _near(other, rng, 3)])
    before = tagger.tag_vectors(new_docs, new_vectors)
    assert not any(s.tag == "birds" for tags in before for s in tags)  # random vectors: nothing near the texts
    # five items labelled "birds", eight labelled otherwise (the contrast)
    vectors = np.vstack([_near(topic, rng, 5), _near(other, rng, 8)])
    positive = np.zeros((13, 2), dtype=bool)
    positive[:5, 1] = True
    model = fit_prototypes([t.name for t in TAGS], vectors, positive)
    assert model.learned_tags() == ["birds"]  # llm has no positive: left to its description
    tagger.learn(model)
    after = tagger.tag_vectors(new_docs, new_vectors)
    assert [any(s.tag == "birds" for s in tags) for tags in after] == [True] * 3 + [False] * 3


def test_a_tag_without_contrast_is_not_learned_and_changes_nothing():
    rng = np.random.default_rng(1)
    vectors = _near(_unit(rng), rng, 4)
    model = fit_prototypes(["a", "b"], vectors, np.array([[True, False]] * 4))
    assert model.learned_tags() == []
    scores = np.array([[0.3, 0.4]] * 4)
    assert np.array_equal(model.adjust(scores, vectors, ["a", "b"]), np.round(scores, 4))


def test_the_model_survives_bytes_and_maps_tags_by_name():
    rng = np.random.default_rng(3)
    vectors = np.vstack([_near(_unit(rng), rng, 3), _near(_unit(rng), rng, 3)])
    positive = np.array([[True, False]] * 3 + [[False, True]] * 3)
    model = fit_prototypes(["a", "b"], vectors, positive)
    again = TagModel.from_bytes(model.to_bytes())
    assert again.tags == ("a", "b") and again.learned.tolist() == [True, True]
    scores = np.zeros((6, 2))
    # the taxonomy reordered: each column gets its own tag's term
    assert np.allclose(again.adjust(scores, vectors, ["b", "a"])[:, ::-1], model.adjust(scores, vectors, ["a", "b"]))


def test_the_labels_hash_changes_with_any_label():
    rng = np.random.default_rng(5)
    vectors = _near(_unit(rng), rng, 3)
    positive = np.array([[True], [False], [False]])
    key = labels_hash("emb", ["a"], ["1", "2", "3"], vectors, positive)
    assert key == labels_hash("emb", ["a"], ["1", "2", "3"], vectors, positive.copy())
    flipped = positive.copy()
    flipped[1, 0] = True
    assert key != labels_hash("emb", ["a"], ["1", "2", "3"], vectors, flipped)
    assert key != labels_hash("other", ["a"], ["1", "2", "3"], vectors, positive)
