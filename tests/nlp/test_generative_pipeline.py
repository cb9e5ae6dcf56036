"""The opt-in generative summarizer inside real runs: config, time budget, backlog, rejections.

Feeds come from a real HTTP server, the archive is a real SQLite file, and the generative model
is a tiny GPT-2 the tests build and save themselves (it always answers the same two sentences,
which are faithful to one article and not to the other).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tiny_models as tm
import torch
from testkit import rss, write_config

from watch.config import load_config
from watch.http.client import make_client
from watch.nlp import embedder
from watch.pipeline import load_models, load_once, process_pending, refresh_all, run_cycle, summarize_backlog
from watch.store import open_archive

pytestmark = pytest.mark.model

GPU_TITLE = "GPU rental prices fall"
GPU_TEXT = ("Renting an H100 now costs half of last year's price. Inference providers pass the savings on. "
            "Smaller clouds compete on price with the large ones. Analysts expect prices to fall further.")


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models on one torch thread (thread hand-offs dominate their cost on two shared cores)."""
    previous, was_set = torch.get_num_threads(), embedder._threads_set
    torch.set_num_threads(1)
    embedder._threads_set = True
    yield
    torch.set_num_threads(previous)
    embedder._threads_set = was_set


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A causal LM that always writes tm.FAITHFUL_SCRIPT."""
    return tm.build_causal(tmp_path_factory.mktemp("gen") / "scripted", script=tm.FAITHFUL_SCRIPT)


@pytest.fixture
def world(tmp_path, server, scripted, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    server.add("/news.xml", rss("News", [
        {"title": tm.MISTRAL_TITLE, "link": "https://example.org/mistral", "description": tm.MISTRAL_TEXT},
        {"title": GPU_TITLE, "link": "https://example.org/gpu", "description": GPU_TEXT},
    ]))
    path = write_config(tmp_path, [{"name": "News", "url": server.url("/news.xml"), "extract": "never"}],
                        extra=f"  summarizer: {{backend: generative, model: '{scripted}', time_budget: 5m}}")
    config = load_config(path)
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        yield config, archive, client
    archive.close()


def _summaries(archive) -> dict[str, list[tuple[str, str]]]:
    rows = archive.db.execute("SELECT i.title, s.model, s.text FROM summaries s JOIN items i ON i.id = s.item_id "
                              "ORDER BY s.created_at, s.model").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for title, model, text in rows:
        out.setdefault(title, []).append((model, text))
    return out


def test_generative_summaries_are_used_when_faithful_and_fall_back_when_not(world):
    config, archive, client = world
    report = run_cycle(config, archive, client, lambda: load_models(config))
    assert report.processed.processed == 2 and report.processed.failed == 0
    assert report.processed.generated == 1 and report.processed.waiting == 0
    summaries = _summaries(archive)
    (model, text), = summaries[tm.MISTRAL_TITLE]
    assert model.startswith(f"generative/{config.settings.summarizer.model}@") and text == tm.FAITHFUL_SCRIPT
    # The scripted answer names Mistral, Tuesday and Apache 2.0: not in the GPU article, so rejected.
    (model, text), = summaries[GPU_TITLE]
    assert model.startswith("extractive/") and text.startswith("Renting an H100")
    reason = archive.db.execute("SELECT reason FROM summary_rejections").fetchall()
    assert len(reason) == 1 and "Tuesday" in reason[0][0] and "Apache" in reason[0][0]
    # Next run: nothing new, and the rejected item is not generated again: no weights are even loaded.
    built = []
    again = run_cycle(config, archive, client, lambda: built.append(load_models(config)) or built[-1], force=True)
    assert again.processed.generated == 0 and again.processed.waiting == 0
    assert all(not m.summarizer.loaded and not m.embedder.loaded for m in built)


def test_past_the_time_budget_items_get_the_extractive_summary_and_wait(world):
    config, archive, client = world
    refresh_all(config, archive, client)
    models = load_once(lambda: load_models(config))
    spent = process_pending(config, archive, client, models, deadline=time.monotonic() - 1)
    assert spent.processed == 2 and spent.generated == 0
    assert {title: rows[0][0].split("/")[0] for title, rows in _summaries(archive).items()} == {
        tm.MISTRAL_TITLE: "extractive", GPU_TITLE: "extractive"}
    assert not models().summarizer.loaded  # the generative model was not even loaded
    # A later run with time left works through the backlog, newest first.
    report = summarize_backlog(archive, models, time.monotonic() + 120, spent)
    assert report.generated == 1 and report.waiting == 0
    latest = {title: rows[-1] for title, rows in _summaries(archive).items()}
    assert latest[tm.MISTRAL_TITLE][1] == tm.FAITHFUL_SCRIPT
    assert latest[GPU_TITLE][0].startswith("extractive/")
    digest_text = {i.title: i.summary for i in archive.items_between(*_whole_time())}
    assert digest_text[tm.MISTRAL_TITLE] == tm.FAITHFUL_SCRIPT  # the digest shows the newer summary


def test_an_out_of_time_backlog_is_counted_as_waiting(world):
    config, archive, client = world
    refresh_all(config, archive, client)
    models = load_once(lambda: load_models(config))
    spent = process_pending(config, archive, client, models, deadline=time.monotonic() - 1)
    report = summarize_backlog(archive, models, time.monotonic() - 1, spent)
    assert report.generated == 0 and report.waiting == 2
    assert archive.db.execute("SELECT COUNT(*) FROM summary_rejections").fetchone()[0] == 0


def test_a_missing_generative_model_is_a_clear_error_and_loses_nothing(tmp_path, server):
    server.add("/news.xml", rss("News", [{"title": GPU_TITLE, "link": "https://example.org/gpu",
                                          "description": GPU_TEXT}]))
    path = write_config(tmp_path, [{"name": "News", "url": server.url("/news.xml"), "extract": "never"}],
                        extra=f"  summarizer: {{backend: generative, model: '{tmp_path / 'nowhere'}'}}")
    config = load_config(path)
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        report = run_cycle(config, archive, client, lambda: load_models(config))
    assert any("nowhere" in e and "does not exist" in e for e in report.processed.errors)
    assert len(archive.pending_items()) == 1  # still there for the next run
    archive.close()


def _whole_time() -> tuple[datetime, datetime]:
    return datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
