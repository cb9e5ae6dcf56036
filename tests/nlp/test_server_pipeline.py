"""The server summarizer inside real runs: a failing server never fails a run, and the next run catches up.

Feeds come from a real HTTP server, the archive is a real SQLite file, and the summarizer server is
a real chat-completions server on 127.0.0.1 (tests/support/chatserver.py) that always answers the
same two sentences, faithful to one article and not to the other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tiny_models as tm
from chatserver import ChatServer, free_port
from testkit import rss, run_cli, write_config

from watch.config import load_config
from watch.http.client import make_client
from watch.nlp import server as server_module
from watch.pipeline import load_models, run_cycle
from watch.store import open_archive

pytestmark = pytest.mark.model

GPU_TITLE = "GPU rental prices fall"
GPU_TEXT = ("Renting an H100 now costs half of last year's price. Inference providers pass the savings on. "
            "Smaller clouds compete on price with the large ones. Analysts expect prices to fall further.")


def script(_messages: list[dict[str, str]]) -> str:
    """The model's answer to every article."""
    return tm.FAITHFUL_SCRIPT


def feeds(tmp_path, server, port: int):
    """A feeds.yaml with two articles and the summarizer server at 127.0.0.1:`port`."""
    server.add("/news.xml", rss("News", [
        {"title": tm.MISTRAL_TITLE, "link": "https://example.org/mistral", "description": tm.MISTRAL_TEXT},
        {"title": GPU_TITLE, "link": "https://example.org/gpu", "description": GPU_TEXT},
    ]))
    return write_config(tmp_path, [{"name": "News", "url": server.url("/news.xml"), "extract": "never"}],
                        extra=f"  summarizer: {{backend: server, base_url: 'http://127.0.0.1:{port}/v1', "
                              f"model: tiny-chat, concurrency: 2, time_budget: 5m}}")


@pytest.fixture
def chat_port() -> Iterator[tuple[int, list[ChatServer]]]:
    """A free port, and the chat servers a test starts on it (stopped afterwards)."""
    started: list[ChatServer] = []
    yield free_port(), started
    for chat in started:
        chat.stop()


def _models(archive) -> dict[str, list[str]]:
    rows = archive.db.execute("SELECT i.title, s.model FROM summaries s JOIN items i ON i.id = s.item_id "
                              "ORDER BY s.created_at").fetchall()
    out: dict[str, list[str]] = {}
    for title, model in rows:
        out.setdefault(title, []).append(model.split("/")[0])
    return out


@pytest.mark.parametrize(("mode", "said"), [
    ("closed", "unreachable"),
    ("500", "answered HTTP 500"),
    ("garbage", "answered something that is not a chat completion"),
    ("hang", "gave no answer within"),
])  # every other way a server fails is in test_nlp_server.py
def test_a_failing_server_never_fails_the_run_and_the_next_run_catches_up(tmp_path, server, chat_port, mode, said,
                                                                          monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    port, started = chat_port
    # A hanging server's requests time out with what is left of the budget, at most REQUEST_TIMEOUT: shortened.
    monkeypatch.setattr(server_module, "REQUEST_TIMEOUT", 3.0)
    config = load_config(feeds(tmp_path, server, port))
    if mode != "closed":
        started.append(ChatServer(script, mode=mode, port=port, hang_seconds=60).start())
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        first = run_cycle(config, archive, client, lambda: load_models(config))
        assert (first.processed.processed, first.processed.failed, first.processed.errors) == (2, 0, ())
        assert first.processed.outage is not None
        assert first.processed.outage.startswith(f"summarizer server http://127.0.0.1:{port}/v1 {said}")
        assert (first.processed.generated, first.processed.waiting) == (0, 2)
        assert _models(archive) == {tm.MISTRAL_TITLE: ["extractive"], GPU_TITLE: ["extractive"]}
        assert archive.db.execute("SELECT COUNT(*) FROM summary_rejections").fetchone()[0] == 0
        assert archive.db.execute("SELECT status FROM runs WHERE id = ?", [first.run_id]).fetchone()[0] == "ok"

        # The server is back: the next run (nothing new in the feed) works through the backlog.
        if started:
            started[0].mode = "ok"
        else:
            started.append(ChatServer(script, port=port).start())
        second = run_cycle(config, archive, client, lambda: load_models(config), force=True)
    assert second.processed.outage is None
    assert (second.processed.generated, second.processed.waiting) == (1, 0)
    assert _models(archive) == {tm.MISTRAL_TITLE: ["extractive", "server"], GPU_TITLE: ["extractive"]}
    # The answer names Mistral, Tuesday and Apache 2.0, which the GPU article does not: rejected for good.
    reasons = archive.db.execute("SELECT reason FROM summary_rejections").fetchall()
    assert len(reasons) == 1 and "Tuesday" in reasons[0][0]
    archive.close()


def test_techwatch_run_reports_the_unreachable_server_and_succeeds(tmp_path, server):
    port = free_port()
    path = feeds(tmp_path, server, port)
    done = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (f"summarizer server http://127.0.0.1:{port}/v1 unreachable: 2 items keep their extractive summary, "
            "retried next run") in done.stdout
