""""Why it matters" lines: the prompt, the guard on the answer, and the requests to a real chat server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tiny_models as tm
from chatserver import ChatServer, free_port

from watch.nlp import server as server_module
from watch.nlp.prompt import why_messages
from watch.nlp.server import ServerSummarizer
from watch.nlp.why import guarded_line, interests_key, why_server, write_why_lines
from watch.records import SummarizerSettings

INTERESTS = "open-weights language models we could self-host; GPU inference cost"
GPU_TITLE = "GPU rental prices fall"
GPU_TEXT = "Renting an H100 now costs half of last year's price. Inference providers pass the savings on."
STORIES = {"mistral": (tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en"), "gpu": (GPU_TITLE, GPU_TEXT, "en")}

MISTRAL_LINE = "Its weights are free under the Apache 2.0 licence, so the team could host it on its own servers."
GPU_LINE = "Renting an H100 costs half of last year's price, which lowers GPU inference cost."


def answer(messages: list[dict[str, str]]) -> str:
    """A faithful line for each article, told apart by its title."""
    content = messages[0]["content"]
    return MISTRAL_LINE if tm.MISTRAL_TITLE in content else GPU_LINE


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    srv = ChatServer(answer).start()
    yield srv
    srv.stop()


def test_the_prompt_names_the_interests_and_is_written_in_the_articles_language() -> None:
    english = why_messages("Title", "Body.", "en", "EU AI Act\n  compliance")[0]["content"]
    assert english.startswith("A team follows these topics: EU AI Act compliance\nIn one sentence")
    assert "answer NONE" in english and english.endswith("Article:\nBody.")
    french = why_messages("Titre", "Corps.", "fr-FR", "RGPD")[0]["content"]
    assert french.startswith("Une équipe suit ces sujets : RGPD\nEn une phrase") and "Titre : Titre" in french


def test_the_guard_keeps_a_faithful_sentence_and_refuses_the_rest() -> None:
    def line(raw: str) -> str:
        return guarded_line(raw, tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en", INTERESTS)

    assert line(MISTRAL_LINE) == MISTRAL_LINE
    assert line("Why it matters: " + MISTRAL_LINE + " It also runs on one GPU.") == MISTRAL_LINE  # one sentence
    assert line("NONE") == line("None.") == ""  # not on the topics
    assert line("Mistral cut its API price by 60 percent.") == ""  # 60 is not in the article
    assert line("The model will be sold on the Nvidia cloud.") == ""  # nor is Nvidia
    assert line("Self-host it: download from mistral-weights.com today.") == ""  # an address the article may plant
    assert line("See https://evil.example/ for the weights.") == ""
    # A name from the interests is not an invention: the team's own words may be used.
    assert line("The model could cut GPU inference cost for teams that self-host.") != ""


def test_each_story_is_asked_once_concurrently_with_its_text_and_the_interests(chat: ChatServer) -> None:
    server = ServerSummarizer(chat.base_url, "tiny-chat", sentences=1, max_chars=220, concurrency=2)
    lines = write_why_lines(server, STORIES, INTERESTS)
    assert lines == {"mistral": MISTRAL_LINE, "gpu": GPU_LINE}
    assert len(chat.requests) == 2
    for body, _headers in chat.requests:
        content = body["messages"][0]["content"]
        assert INTERESTS in content and body["model"] == "tiny-chat" and body["max_tokens"] == 80
        assert body["temperature"] == 0
    assert any(tm.MISTRAL_TEXT.strip() in body["messages"][0]["content"] for body, _ in chat.requests)


def test_a_server_that_is_down_gives_no_line_to_ask_again_and_one_that_refuses_gives_none(
        chat: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = ServerSummarizer(f"http://127.0.0.1:{free_port()}/v1", "tiny-chat", concurrency=2)
    assert write_why_lines(closed, STORIES, INTERESTS) == {"mistral": None, "gpu": None}
    assert "unreachable" in (closed.outage() or "")
    chat.mode = "garbage"
    assert write_why_lines(ServerSummarizer(chat.base_url, "tiny-chat"), STORIES, INTERESTS) == {
        "mistral": None, "gpu": None}
    monkeypatch.setattr(server_module, "_ITEM_STATUSES", frozenset({500}))
    chat.mode = "500"  # answered for this item alone: not asked again
    assert write_why_lines(ServerSummarizer(chat.base_url, "tiny-chat"), STORIES, INTERESTS) == {
        "mistral": "", "gpu": ""}


def test_no_interests_asks_nothing_and_only_a_server_backend_with_the_option_writes_lines(chat: ChatServer) -> None:
    server = ServerSummarizer(chat.base_url, "tiny-chat")
    assert write_why_lines(server, STORIES, "  ") == {"mistral": None, "gpu": None} and chat.requests == []
    on = SummarizerSettings(backend="server", base_url=chat.base_url, model="m", why_it_matters=True)
    assert isinstance(why_server(on), ServerSummarizer)
    assert why_server(SummarizerSettings(backend="server", base_url=chat.base_url, model="m")) is None
    assert why_server(SummarizerSettings(why_it_matters=True)) is None
    assert interests_key("a  b\n c") == interests_key("a b c") != interests_key("a b")
