"""Never twice: model outputs reused by input hash; relevance from `interests`, over a real server and archive.

The summarizer and tagger are the real ones; the embedding model is a counting stand-in, so
each test can tell exactly which texts reached the model.
"""

from __future__ import annotations

import dataclasses

import pytest
from nlp_fakes import HashEmbedder
from testkit import rss, write_config

from watch.config import load_config
from watch.http.client import make_client
from watch.nlp import EmbeddingTagger, ExtractiveSummarizer
from watch.nlp.enrich import Models
from watch.nlp.relevance import RelevanceScorer, interest_topics
from watch.pipeline import refresh_relevance, run_cycle
from watch.store import open_archive

LLAMA = ("Llama 5 open-weights release. Meta released Llama 5 with open weights for research and commercial use. "
         "The model comes in three sizes. It beats the previous generation on reasoning benchmarks. "
         "Weights are on the usual model hubs today.")
GPU = ("GPU prices keep falling. Renting an H100 GPU now costs half of last year's price. "
       "Inference providers pass the savings on to customers. Kubernetes clusters get cheaper to run.")
COOKING = ("A recipe for apple pie. Peel the apples and slice them thin. Bake the pie for forty minutes. "
           "Serve it warm with cream and a cup of tea.")


def _items(*texts: str, prefix: str = "a") -> list[dict[str, str]]:
    return [{"title": text.split(".")[0], "link": f"https://example.org/{prefix}{n}", "guid": f"{prefix}{n}",
             "description": f"<p>{text}</p>"} for n, text in enumerate(texts)]


@pytest.fixture
def world(tmp_path, server):
    server.add("/one.xml", rss("One", _items(LLAMA, GPU, COOKING)))
    path = write_config(tmp_path, [{"name": "One", "url": server.url("/one.xml"), "extract": "never"}],
                        extra="interests: open-weights models we can self-host; GPU prices")
    config = load_config(path)
    archive = open_archive(config.settings.database)
    embedder = HashEmbedder()

    def models(cfg=config) -> Models:
        return Models(summarizer=ExtractiveSummarizer(embedder), tagger=EmbeddingTagger(embedder, cfg.tags),
                      embedder=embedder, relevance=RelevanceScorer(embedder, cfg.interests))

    with make_client(config.settings.fetch) as client:
        yield config, archive, client, embedder, models
    archive.close()


def _relevance(archive) -> dict[str, float]:
    """Relevance by the first word of the title."""
    return {title.split()[0]: score for title, score in archive.db.execute("SELECT title, relevance FROM items")}


def _encoded(embedder: HashEmbedder) -> list[str]:
    return [text for call in embedder.calls for text in call]


def test_unchanged_text_after_a_feed_edit_needs_no_model_work(world, server):
    config, archive, client, embedder, models = world
    first = run_cycle(config, archive, client, models)
    assert first.processed.processed == 3 and _encoded(embedder)
    embedder.calls.clear()
    # The feed changes its markup but not the text: items are updated and processed again...
    items = _items(LLAMA, GPU, COOKING)
    items[0]["description"] = f"<div><p>{LLAMA}</p></div>"
    server.add("/one.xml", rss("One", items))
    second = run_cycle(config, archive, client, models, force=True)
    assert second.sources[0].updated_items == 1 and second.processed.processed == 1
    # ...from the cache: no sentence or document of the article reaches the model, only the taxonomy
    # and the interests, embedded once per run when anything is processed.
    assert not [t for t in _encoded(embedder) if "Meta released" in t or "three sizes" in t]
    assert len(_encoded(embedder)) == len(config.tags) + len(interest_topics(config.interests))
    assert archive.counts()["summaries"] == 3


def test_changed_text_is_summarized_and_tagged_again(world, server):
    config, archive, client, embedder, models = world
    run_cycle(config, archive, client, models)
    embedder.calls.clear()
    items = _items(LLAMA, GPU, COOKING)
    changed = GPU.replace("half of last year's price", "a third of last year's price")
    items[1]["description"] = f"<p>{changed}</p>"
    server.add("/one.xml", rss("One", items))
    run_cycle(config, archive, client, models, force=True)
    texts = _encoded(embedder)
    assert any("a third of last year" in t for t in texts)  # the new text went to the model
    assert not any("apple" in t.lower() or "Meta released" in t for t in texts)  # the others did not
    summary = archive.db.execute("SELECT s.text FROM summaries s JOIN items i ON i.id = s.item_id "
                                 "WHERE i.title = 'GPU prices keep falling'").fetchone()[0]
    assert "third" in summary or "Inference providers" in summary


def test_same_article_in_two_feeds_is_embedded_once(world, server, tmp_path):
    config, archive, client, embedder, models = world
    server.add("/two.xml", rss("Two", _items(LLAMA, prefix="b")))
    path = write_config(tmp_path, [{"name": "One", "url": server.url("/one.xml"), "extract": "never"},
                                   {"name": "Two", "url": server.url("/two.xml"), "extract": "never"}])
    config = load_config(path)
    run_cycle(config, archive, client, lambda: models(config))
    texts = _encoded(embedder)
    assert texts.count("The model comes in three sizes.") == 1  # one summary for both copies
    assert archive.db.execute("SELECT COUNT(*) FROM doc_vectors").fetchone()[0] == 3  # Llama, GPU, pie
    assert archive.db.execute("SELECT COUNT(DISTINCT doc_hash), COUNT(*) FROM items "
                              "WHERE title LIKE 'Llama 5%'").fetchone() == (1, 2)


def test_relevance_follows_interests_and_is_recomputed_from_stored_vectors(world):
    config, archive, client, embedder, models = world
    run_cycle(config, archive, client, models)
    scores = _relevance(archive)
    assert scores["Llama"] > scores["A"] and scores["GPU"] > scores["A"]  # Llama and GPUs beat apple pie
    embedder.calls.clear()
    # Same config again: nothing to recompute.
    assert refresh_relevance(config, archive, lambda: pytest.fail("no model needed")) == 0
    # New interests: every item is rescored from its stored vector; only the topics are embedded.
    cooking = dataclasses.replace(config, interests="baking apple pie")
    assert refresh_relevance(cooking, archive, lambda: models(cooking)) == 3
    assert _encoded(embedder) == ["baking apple pie"]
    rescored = _relevance(archive)
    assert rescored["A"] > rescored["Llama"]
    # No interests at all: scores are cleared, not left stale.
    none = dataclasses.replace(config, interests="")
    assert refresh_relevance(none, archive, lambda: models(none)) == 3
    assert archive.db.execute("SELECT COUNT(*) FROM items WHERE relevance IS NOT NULL").fetchone()[0] == 0


def test_interest_topics_split_lists_and_sentences():
    assert interest_topics("agents in production; the AI Act\n- GPU prices. Sovereign cloud!") == [
        "agents in production", "the AI Act", "GPU prices.", "Sovereign cloud!"]
    assert interest_topics("") == [] and interest_topics(" ; \n") == []


def _topics(archive) -> dict[str, str | None]:
    """The stored closest interests topic, by the first word of the title."""
    return {title.split()[0]: topic for title, topic in archive.db.execute("SELECT title, relevance_topic FROM items")}


def test_each_score_is_stored_with_its_closest_topic_and_follows_the_interests(world):
    config, archive, client, _embedder, models = world
    run_cycle(config, archive, client, models)
    topics = _topics(archive)
    assert topics["Llama"] == "open-weights models we can self-host" and topics["GPU"] == "GPU prices"
    cooking = dataclasses.replace(config, interests="baking apple pie; GPU prices")
    refresh_relevance(cooking, archive, lambda: models(cooking))
    assert _topics(archive)["A"] == "baking apple pie" and _topics(archive)["GPU"] == "GPU prices"
    none = dataclasses.replace(config, interests="")
    refresh_relevance(none, archive, lambda: models(none))
    assert set(_topics(archive).values()) == {None}
