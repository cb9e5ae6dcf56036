"""The server summarizer against real HTTP servers on 127.0.0.1: `transformers serve` on a tiny model,
and a chat-completions server that answers, refuses, hangs, fails or talks garbage."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiny_models as tm
from chatserver import ChatServer, free_port, transformers_serve
from nlp_fakes import HashEmbedder

from watch.nlp import server as server_module
from watch.nlp.prompt import chat_messages
from watch.nlp.server import ServerSummarizer
from watch.nlp.summarize import ExtractiveSummarizer
from watch.nlp.why import why_server, write_why_lines
from watch.records import SummarizerSettings

GPU_TITLE = "GPU rental prices fall"
GPU_TEXT = ("Renting an H100 now costs half of last year's price. Inference providers pass the savings on. "
            "Smaller clouds compete on price with the large ones.")
MISTRAL = (tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")
GPU = (GPU_TITLE, GPU_TEXT, "en")


def fallback() -> ExtractiveSummarizer:
    """The real extractive summarizer on a hashed bag of words."""
    return ExtractiveSummarizer(HashEmbedder(), sentences=1, max_chars=200)


def script(_messages: list[dict[str, str]]) -> str:
    """What the stand-in model always answers: faithful to MISTRAL, not to GPU."""
    return tm.FAITHFUL_SCRIPT


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    srv = ChatServer(script).start()
    yield srv
    srv.stop()


# -- a real `transformers serve` ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base_url, model name) of `transformers serve` on 127.0.0.1 serving the tiny scripted GPT-2."""
    directory = tmp_path_factory.mktemp("served")
    model = tm.build_causal(directory / "causal-faithful", script=tm.FAITHFUL_SCRIPT)
    process, base_url, why = transformers_serve(model, directory / "serve.log")
    if process is None:
        pytest.skip(f"cannot start `transformers serve` here: {why}")
    yield base_url, str(model)
    process.terminate()
    process.wait(30)


def test_transformers_serve_writes_the_summary_through_the_guard(served: tuple[str, str]) -> None:
    base_url, model = served
    summarizer = ServerSummarizer(base_url, model, concurrency=2, fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL, GPU, ("Empty", "", None)])
    assert summaries[0].text == tm.FAITHFUL_SCRIPT and summarizer.generated(summaries[0])
    assert summaries[0].model == f"server/{model}"
    # The same answer is not faithful to the GPU article: the guard gives it the extractive summary.
    assert not summarizer.generated(summaries[1]) and summaries[1].text in GPU_TEXT
    assert summaries.rejections[1].startswith("not in the article: 4, Small")
    assert summaries[2].text == "Empty" and not summarizer.generated(summaries[2])
    assert summaries.deferred == frozenset() and summarizer.outage() is None


def test_transformers_serve_writes_why_it_matters_lines_through_the_guard(served: tuple[str, str]) -> None:
    base_url, model = served
    server = why_server(SummarizerSettings(backend="server", base_url=base_url, model=model, concurrency=2,
                                           why_it_matters=True))
    assert server is not None
    lines = write_why_lines(server, {"mistral": MISTRAL, "gpu": GPU}, "open-weights models we could self-host")
    # The scripted model answers its two sentences to any prompt: the first is the one line, faithful to the
    # Mistral article; for the GPU article it names what that article does not say, so there is no line.
    assert lines == {"mistral": tm.FAITHFUL_SCRIPT.split(". ")[0] + ".", "gpu": ""}


# -- a chat-completions server of our own --------------------------------------------------------------


def test_the_request_carries_the_shared_prompt_the_model_and_the_key(chat: ChatServer) -> None:
    summarizer = ServerSummarizer(chat.base_url, "qwen3-4b", sentences=2, api_key="k-123", fallback=fallback())
    summary = summarizer.summarize(*MISTRAL)
    assert summary.text == tm.FAITHFUL_SCRIPT and summarizer.generated(summary)
    (body, headers), = chat.requests
    assert body["messages"] == chat_messages(*MISTRAL, sentences=2)
    assert (body["model"], body["temperature"], body["stream"]) == ("qwen3-4b", 0, False)
    assert body["max_tokens"] == summarizer.max_tokens
    assert headers["authorization"] == "Bearer k-123"
    assert "k-123" not in repr(summarizer)


def test_a_french_item_gets_the_french_prompt_and_long_articles_are_cut(chat: ChatServer) -> None:
    text = "Le règlement s'applique depuis le 2 août. " * 400
    summarizer = ServerSummarizer(chat.base_url, "m", max_input_chars=1000, fallback=fallback())
    summarizer.summarize("L'AI Act", text, "fr-FR")
    content = chat.requests[0][0]["messages"][0]["content"]
    assert content.startswith("Résume cet article en 3 phrases au plus, en français")
    assert 1000 <= len(content) < 1400 and len(content) < len(text)


def test_the_answer_is_capped_and_tidied(chat: ChatServer) -> None:
    chat.answer = lambda _m: "<think>plan</think>Summary: **" + tm.LONG_SCRIPT.replace(". ", ".\n- ")
    summarizer = ServerSummarizer(chat.base_url, "m", sentences=2, max_chars=80, fallback=fallback())
    summary = summarizer.summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT + "\n" + tm.LONG_SCRIPT, "en")
    assert summary.text == "Mistral released Small 4 today. The weights are free."
    assert summarizer.generated(summary)


def test_requests_run_concurrently_up_to_the_setting(chat: ChatServer) -> None:
    together = threading.Barrier(3, timeout=20)

    def answer(messages: list[dict[str, str]]) -> str:
        together.wait()  # three requests must be in flight at once, or this one times out
        return tm.FAITHFUL_SCRIPT

    chat.answer = answer
    summarizer = ServerSummarizer(chat.base_url, "m", concurrency=3, fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL] * 6)
    assert all(summarizer.generated(s) for s in summaries)
    assert chat.inflight.peak == 3 and len(chat.requests) == 6


def test_a_closed_port_defers_every_item_and_says_the_server_is_unreachable() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"
    summarizer = ServerSummarizer(base_url, "m", fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL, GPU])
    assert [s.model for s in summaries] == ["extractive/hash-bow"] * 2
    assert summaries.deferred == {0, 1} and not summaries.rejections
    assert summarizer.outage() == f"summarizer server {base_url} unreachable"


@pytest.mark.parametrize(("mode", "said"), [
    ("500", "answered HTTP 500"),
    ("garbage", "answered something that is not a chat completion"),
    ("no-choices", "answered something that is not a chat completion"),
])
def test_errors_and_garbage_defer_the_items_and_leave_the_server_alone(chat: ChatServer, mode: str,
                                                                       said: str) -> None:
    chat.mode = mode
    summarizer = ServerSummarizer(chat.base_url, "m", concurrency=1, fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL, GPU, MISTRAL, GPU, MISTRAL])
    assert not any(summarizer.generated(s) for s in summaries)
    assert summaries.deferred == {0, 1, 2, 3, 4} and not summaries.rejections
    assert summarizer.outage() == f"summarizer server {chat.base_url} {said}"
    assert len(chat.requests) == server_module.STRIKES  # then the others are not sent
    chat.mode = "ok"
    assert summarizer.summarize_many([MISTRAL]).deferred == {0}  # still left alone for RETRY_AFTER


def test_one_error_between_answers_does_not_stop_the_others(chat: ChatServer) -> None:
    answers = iter([tm.FAITHFUL_SCRIPT, None, tm.FAITHFUL_SCRIPT, None, tm.FAITHFUL_SCRIPT])
    original = chat.reply

    def reply(path: str, body: dict) -> tuple[int, bytes]:
        return original(path, body) if next(answers) else (500, b"index out of range in self")

    chat.reply = reply  # type: ignore[method-assign]
    summarizer = ServerSummarizer(chat.base_url, "m", concurrency=1, fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL] * 5)
    assert [summarizer.generated(s) for s in summaries] == [True, False, True, False, True]
    assert summaries.deferred == {1, 3} and len(chat.requests) == 5


def test_the_server_is_asked_again_after_retry_after(chat: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    chat.mode = "500"
    summarizer = ServerSummarizer(chat.base_url, "m", concurrency=1, fallback=fallback())
    assert summarizer.summarize_many([MISTRAL] * server_module.STRIKES).deferred == {0, 1, 2}
    chat.mode = "ok"
    monkeypatch.setattr(server_module, "RETRY_AFTER", 0.0)
    summarizer._down_until = 0.0
    assert summarizer.generated(summarizer.summarize(*MISTRAL))


def test_a_hanging_server_times_out_within_the_remaining_budget() -> None:
    chat = ChatServer(script, mode="hang", hang_seconds=30).start()
    try:
        summarizer = ServerSummarizer(chat.base_url, "m", fallback=fallback())
        summaries = summarizer.summarize_many([MISTRAL, GPU], deadline=time.monotonic() + 1.0)
    finally:
        chat.stop()
    assert [s.model for s in summaries] == ["extractive/hash-bow"] * 2
    assert summaries.deferred == {0, 1}
    assert "gave no answer within 1 s" in (summarizer.outage() or "")


def test_a_passed_deadline_sends_nothing(chat: ChatServer) -> None:
    summarizer = ServerSummarizer(chat.base_url, "m", fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL, GPU], deadline=time.monotonic() - 1)
    assert summaries.deferred == {0, 1} and chat.requests == []
    assert summarizer.outage() is None  # out of time is not the server's fault


def test_an_item_the_server_refuses_is_rejected_without_blaming_the_server(chat: ChatServer) -> None:
    calls: list[int] = []
    original = chat.reply

    def reply(path: str, body: dict) -> tuple[int, bytes]:
        calls.append(1)
        if len(calls) == 1:
            return 400, b'{"error": {"message": "prompt longer than the context"}}'
        return original(path, body)

    chat.reply = reply  # type: ignore[method-assign]
    summarizer = ServerSummarizer(chat.base_url, "m", concurrency=1, fallback=fallback())
    summaries = summarizer.summarize_many([GPU, MISTRAL])
    assert summaries.deferred == frozenset() and summarizer.generated(summaries[1])
    assert "refused this item: HTTP 400" in summaries.rejections[0]  # the backlog will not ask again
    assert summarizer.outage() is None


def test_without_fallback_an_unreachable_server_raises(tmp_path: Path) -> None:
    from watch.nlp.guard import Unavailable

    summarizer = ServerSummarizer(f"http://127.0.0.1:{free_port()}/v1", "m")
    with pytest.raises(Unavailable, match="unreachable"):
        summarizer.summarize(*MISTRAL)


def test_a_host_that_now_resolves_to_a_public_address_is_sent_nothing(chat: ChatServer,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from watch.http import egress

    # feeds.yaml was checked when it was read; the name resolves elsewhere since (DNS, /etc/hosts).
    monkeypatch.setattr(egress, "resolve", lambda host, port: [(socket.AF_INET, ("8.8.8.8", port))])
    summarizer = ServerSummarizer(chat.base_url, "m", fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL, GPU])
    assert summaries.deferred == {0, 1} and chat.requests == []
    assert "127.0.0.1 resolves to 8.8.8.8, a public address, and allow_remote is false" in (summarizer.outage() or "")
    remote = ServerSummarizer(chat.base_url, "m", allow_remote=True, fallback=fallback())
    assert remote.generated(remote.summarize(*MISTRAL))  # allow_remote: no such check


def test_an_answer_without_content_is_an_empty_summary_not_a_failing_server(chat: ChatServer) -> None:
    chat.answer = lambda _m: None  # type: ignore[assignment,return-value]  # a reasoning model out of tokens
    summarizer = ServerSummarizer(chat.base_url, "m", concurrency=1, fallback=fallback())
    summaries = summarizer.summarize_many([MISTRAL] * (server_module.STRIKES + 1))
    assert all(reason == "empty output" for reason in summaries.rejections.values())
    assert len(summaries.rejections) == len(chat.requests) == server_module.STRIKES + 1
    assert summarizer.outage() is None
