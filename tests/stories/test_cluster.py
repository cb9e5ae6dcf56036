"""One entry per story: exact rules, the similarity rule and its guards, incremental assignment."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from nlp_fakes import FailingEmbedder, HashEmbedder

from watch.stories.cluster import (
    DEFAULT_THRESHOLD,
    KnownCluster,
    StoryText,
    assign_to_existing,
    cluster_stories,
    story_vectors,
    version_conflict,
)

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def story(id: str, source: str, title: str, lead: str = "", *, hours: float = 0.0, url: str | None = None,
          digest: str | None = None, undated: bool = False) -> StoryText:
    return StoryText(id=id, source=source, title=title, lead=lead,
                     published=None if undated else T0 + timedelta(hours=hours),
                     canonical_url=url if url is not None else f"https://{source}.example/{id}",
                     content_hash=digest if digest is not None else f"hash-{id}")


def sets(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(g) for g in groups}


# --- the same story from three sources, and look-alikes that are not (real model) ---------------

SMALL4 = [
    story("m1", "mistral-blog", "Mistral Small 4",
          "Today we are announcing Mistral Small 4, the next major release in the Mistral Small family. "
          "It is the first Mistral model to unify reasoning, vision and agentic coding in one open-weights model.",
          hours=0),
    story("m2", "techpress", "Mistral AI releases Small 4, an open model that reasons, sees and codes",
          "French startup Mistral AI has released Mistral Small 4. The open-weights model combines reasoning, "
          "image understanding and coding agents, capabilities the company used to ship as separate models.",
          hours=5),
    story("m3", "hn", "Mistral Small 4: one open-weights model for reasoning, vision and coding",
          "Mistral has published Small 4, the newest member of its Small family, merging reasoning, vision and "
          "agentic coding into a single open-weights model.", hours=20),
]
LOOKALIKES = [
    story("o1", "otherpress", "Mistral releases OCR 4",
          "Mistral AI released OCR 4, its document-reading model, which now returns bounding boxes, block types "
          "and confidence scores with the extracted text, in 170 languages.", hours=8),
    story("c1", "techpress", "Anthropic introduces Claude Opus 5",
          "Anthropic made Claude Opus 5 generally available; it approaches the company's flagship model at half "
          "the price.", hours=3),
    story("g1", "hn", "Grok 4.6 arrives on Amazon Bedrock",
          "AWS customers can now call xAI's Grok 4.6 through Amazon Bedrock, with a 500k-token context window.",
          hours=9),
]


@pytest.fixture(scope="module")
def model():
    from watch.nlp import load_embedder

    return load_embedder()


@pytest.mark.model
def test_one_story_from_three_sources_is_one_cluster(model) -> None:
    groups = cluster_stories([*SMALL4, *LOOKALIKES], model)
    small4 = [g for g in groups if "m1" in g]
    assert small4 == [["m1", "m2", "m3"]]  # time order inside the cluster
    by_id = {s.id: s for s in SMALL4}
    assert {by_id[i].source for i in small4[0]} == {"mistral-blog", "techpress", "hn"}
    assert ["o1"] in groups and ["c1"] in groups and ["g1"] in groups


@pytest.mark.model
def test_similar_titles_of_different_releases_stay_apart(model) -> None:
    small = story("s", "press-a", "Mistral releases Small 4",
                  "Mistral AI has released Small 4, an open-weights model that combines reasoning, vision and coding.")
    ocr = story("o", "press-b", "Mistral releases OCR 4",
                "Mistral AI has released OCR 4, a document model that returns bounding boxes and confidence scores.",
                hours=2)
    assert sets(cluster_stories([small, ocr], model)) == {frozenset({"s"}), frozenset({"o"})}
    # The same two titles, told the same way, do merge: the texts, not the feed, kept them apart.
    ocr_again = story("o2", "press-c", "Mistral ships OCR 4",
                      "Mistral AI has released OCR 4, a document model returning bounding boxes and confidence "
                      "scores.", hours=3)
    assert sets(cluster_stories([small, ocr, ocr_again], model)) == {frozenset({"s"}), frozenset({"o", "o2"})}


@pytest.mark.model
def test_assign_to_existing_with_the_real_model(model) -> None:
    archived = KnownCluster(id="cluster-7", items=(SMALL4[0],), vectors=story_vectors([SMALL4[0]], model))
    out = assign_to_existing([SMALL4[1], LOOKALIKES[0]], [archived], model)
    assert out == {"m2": "cluster-7", "o1": "o1"}


# --- plumbing, with a bag-of-words fake embedder -------------------------------------------------

LEAD = "the quick brown fox jumps over the lazy dog near the river bank today"
BODY = "A full article body, long enough for its hash to identify it. " * 3  # same content, same hash


def test_same_canonical_url_merges_even_without_a_model() -> None:
    a = story("a", "feed-a", "Completely different words", "alpha beta", url="https://example.org/post")
    b = story("b", "feed-b", "Nothing in common here", "gamma delta", url="https://example.org/post", hours=1)
    c = story("c", "feed-c", "Another story", "epsilon", hours=2)
    assert cluster_stories([a, b, c], None) == [["a", "b"], ["c"]]
    assert cluster_stories([a, b, c], HashEmbedder()) == [["a", "b"], ["c"]]


def test_same_content_hash_merges_even_from_the_same_source_and_far_apart() -> None:
    a = story("a", "feed", "Title", BODY, digest="h1")
    b = story("b", "feed", "Title again", BODY, digest="h1", hours=24 * 60)
    c = story("c", "feed", "Title", BODY + "!", digest="h2")
    assert sets(cluster_stories([a, b, c], None)) == {frozenset({"a", "b"}), frozenset({"c"})}


def test_a_shared_hash_of_a_near_empty_body_links_nothing() -> None:
    items = [story(f"e{i}", f"feed{i}", f"Episode {i}", "", digest="hash-of-empty", hours=i) for i in range(3)]
    assert len(cluster_stories(items, None)) == 3


def test_a_landing_page_url_shared_by_one_feed_links_nothing() -> None:
    episodes = [story(f"e{i}", "podcast", f"Episode {i}", f"guest {i}", hours=i, url="https://radio.example/show")
                for i in range(3)]
    assert sets(cluster_stories(episodes, None)) == {frozenset({f"e{i}"}) for i in range(3)}
    # The same URL under one title in one feed (the feed repeating itself) does merge.
    repeat = [story("r1", "blog", "Launch", "x", url="https://blog.example/launch"),
              story("r2", "blog", "Launch", "y", url="https://blog.example/launch", hours=1)]
    assert cluster_stories(repeat, None) == [["r1", "r2"]]


def test_similarity_never_merges_two_items_of_the_same_source() -> None:
    a = story("a", "feed", "Fox jumps over dog", LEAD)
    b = story("b", "feed", "Fox jumps over dog", LEAD, hours=1)
    c = story("c", "other", "Fox jumps over dog", LEAD, hours=2)
    groups = cluster_stories([a, b, c], HashEmbedder())
    assert sets(groups) == {frozenset({"a", "c"}), frozenset({"b"})}


def test_time_window_is_respected() -> None:
    a = story("a", "feed-a", "Fox jumps over dog", LEAD)
    near = story("b", "feed-b", "Fox jumps over dog", LEAD, hours=24)
    far = story("c", "feed-c", "Fox jumps over dog", LEAD, hours=24 * 30)
    assert sets(cluster_stories([a, near, far], HashEmbedder())) == {frozenset({"a", "b"}), frozenset({"c"})}
    assert len(cluster_stories([a, far], HashEmbedder(), window_days=31)) == 1


def test_undated_items_are_decided_by_text_alone() -> None:
    a = story("a", "feed-a", "Fox jumps over dog", LEAD)
    b = story("b", "feed-b", "Fox jumps over dog", LEAD, undated=True)
    assert cluster_stories([a, b], HashEmbedder()) == [["a", "b"]]


def test_without_a_model_similar_texts_stay_apart() -> None:
    a = story("a", "feed-a", "Fox jumps over dog", LEAD)
    b = story("b", "feed-b", "Fox jumps over dog", LEAD, hours=1)
    assert cluster_stories([a, b], None) == [["a"], ["b"]]


def test_a_chain_does_not_glue_unrelated_ends() -> None:
    # A shares half its words with B, B half with C, A nothing with C.
    a = story("a", "s1", "alpha bravo charlie delta", "echo foxtrot golf hotel")
    b = story("b", "s2", "charlie delta echo foxtrot", "golf hotel india juliet", hours=1)
    c = story("c", "s3", "golf hotel india juliet", "kilo lima mike november", hours=2)
    groups = cluster_stories([a, b, c], HashEmbedder())
    assert ["a", "b"] in groups and ["c"] in groups


def test_different_version_numbers_veto_a_merge() -> None:
    assert version_conflict("Grok 4.5 in GitHub Copilot", "Grok 4.6 in GitHub Copilot")
    assert not version_conflict("Mistral raises 1.7B€", "Mistral AI raises €1,7 billion")
    assert not version_conflict("Grok 4.6 in GitHub Copilot", "GitHub Copilot adds xAI's model")
    assert version_conflict("Mistral releases Small 4", "Mistral releases OCR 4")
    assert not version_conflict("Introducing Claude Opus 5", "Anthropic launches Claude Opus 5, a cheaper model")
    assert not version_conflict("Anthropic commits $10 million", "Anthropic pledges $10 million for research")
    a = story("a", "feed-a", "Grok 4.5 in GitHub Copilot", LEAD)
    b = story("b", "feed-b", "Grok 4.6 in GitHub Copilot", LEAD, hours=1)
    assert cluster_stories([a, b], HashEmbedder()) == [["a"], ["b"]]


def test_every_id_once_and_order_independent() -> None:
    rng = random.Random(7)
    noise = ["fox", "dog", "river", "bank", "cloud", "model", "chip", "vote", "court", "rocket", "ocean", "bread"]
    items = []
    for i in range(60):
        k = i % 6
        title = f"solo{i} alone{i} single{i}" if i % 10 == 9 else f"t{k}a t{k}b t{k}c t{k}d"
        items.append(story(f"i{i:02d}", f"src{i % 7}", title, " ".join(rng.sample(noise, 3)),
                           hours=rng.uniform(0, 200), url="https://x.example/same" if i in (3, 40) else None,
                           undated=i % 11 == 0))
    groups = cluster_stories(items, HashEmbedder())
    flat = [i for g in groups for i in g]
    assert sorted(flat) == sorted(s.id for s in items)
    assert any(len(g) > 1 for g in groups) and any(len(g) == 1 for g in groups)
    assert any({"i03", "i40"} <= set(g) for g in groups)
    for _ in range(3):
        shuffled = items[:]
        rng.shuffle(shuffled)
        assert cluster_stories(shuffled, HashEmbedder()) == groups
    # Each cluster holds each source at most once unless URL or hash linked them.
    by_id = {s.id: s for s in items}
    for g in groups:
        srcs = [by_id[i].source for i in g]
        assert len(srcs) == len(set(srcs)) or {"i03", "i40"} <= set(g)


def test_empty_input_and_duplicate_ids() -> None:
    assert cluster_stories([], FailingEmbedder()) == []
    with pytest.raises(ValueError, match="unique"):
        cluster_stories([story("a", "s", "t"), story("a", "s2", "t")], None)


def test_assign_to_existing_joins_or_starts_clusters_and_reuses_cached_vectors() -> None:
    embedder = HashEmbedder()
    old = story("old", "feed-a", "Fox jumps over dog", LEAD)
    other = story("other", "feed-z", "Court vote on rocket bread", "ocean chip cloud model", hours=-5)
    known = [KnownCluster("K1", (old,), story_vectors([old], embedder)),
             KnownCluster("K2", (other,), story_vectors([other], embedder))]
    embedder.calls.clear()
    new = [story("n1", "feed-b", "Fox jumps over dog", LEAD, hours=3),          # similar: joins K1
           story("n2", "feed-c", "Quantum entangled llamas", "wholly unrelated words here", hours=4),
           story("n3", "feed-d", "Quantum entangled llamas", "wholly unrelated words here", hours=5),
           story("n4", "feed-e", "x", "y", hours=6, url=other.canonical_url),  # same URL as K2's item
           story("n5", "feed-a", "Fox jumps over dog", LEAD, hours=7)]       # same source as K1: no
    out = assign_to_existing(new, known, embedder)
    assert out == {"n1": "K1", "n2": "n2", "n3": "n2", "n4": "K2", "n5": "n5"}
    assert [len(call) for call in embedder.calls] == [len(new)]  # archived items were not re-embedded
    assert DEFAULT_THRESHOLD > 0


def test_assign_to_existing_without_model_uses_exact_rules_only() -> None:
    old = story("old", "feed-a", "Fox jumps over dog", BODY, digest="H")
    known = [KnownCluster("K1", (old,))]
    new = [story("n1", "feed-b", "Fox jumps over dog", LEAD, hours=1),
           story("n2", "feed-c", "anything", BODY, hours=2, digest="H")]
    assert assign_to_existing(new, known, None) == {"n1": "n1", "n2": "K1"}
    assert np.isfinite(DEFAULT_THRESHOLD)
