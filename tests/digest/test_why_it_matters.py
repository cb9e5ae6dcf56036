"""`summarizer: {backend: server, why_it_matters: true}`: a line under each lead story, from the profile's interests.

The archive is a real SQLite file filled through the store's API; the digest is written by the CLI
in a subprocess; the model is a real chat-completions server on 127.0.0.1 that answers each article
with a line, faithful or not, told apart by the article's title.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from chatserver import ChatServer, free_port
from digest_archive import MONDAY, WEEK, open_with, save_entries
from testkit import run_cli
from webhookserver import WebhookServer

from watch.config import load_config
from watch.errors import ConfigError
from watch.records import Article, Entry, ModelOutput, Summary, TagScore

INTERESTS = "open-weights language models we could self-host; GPU inference cost"
LABEL = "Why it matters (written by the model):"

# (id, title, article text, the model's "why it matters" answer)
STORIES = [
    ("mistral", "Mistral releases Small 4 under Apache 2.0",
     "Mistral AI released Small 4, whose weights are free under the Apache 2.0 licence. It runs on a single GPU.",
     "Its weights are free under the Apache 2.0 licence and it runs on a single GPU, so the team can self-host it."),
    ("gpu", "GPU rental prices fall by half",
     "Renting an H100 now costs half of last year's price. Inference providers pass the savings on.",
     "Renting an H100 now costs half of last year's price, which lowers GPU inference cost by 90 percent."),
    ("gala", "Charity gala raises funds",
     "The annual gala raised money for the city museum. Guests danced until midnight.",
     "NONE"),
    ("agent", "An agent framework <b>ships</b> a planner",
     "The framework adds a planner for long tasks. It is open source.",
     "The open source planner <script>alert(document.cookie)</script> is something the team could self-host."),
    ("chips", "Chip export rules change",
     "New export rules apply to accelerators. Vendors must file new licences.",
     "New export rules could change which accelerators the team can buy for GPU inference cost."),
]


def config_text(base_url: str, why: bool = True, interests: str = INTERESTS) -> str:
    return f"""\
settings:
  database: watch.db
  digest: {{directory: digests, max_items: 6, per_source: 5, relevance_floor: 0, formats: [md, html, text]}}
  summarizer: {{backend: server, base_url: '{base_url}', model: tiny-chat, why_it_matters: {str(why).lower()}}}
interests: "{interests}"
tags:
  - name: llm
    description: Large language models
sources:
  - name: Wire
    url: https://wire.example/rss
"""


def answer(messages: list[dict[str, str]]) -> str:
    """Each article's scripted line (the title is in the prompt)."""
    content = messages[0]["content"]
    return next(line for _id, title, _text, line in STORIES if title in content)


@pytest.fixture
def chat():
    srv = ChatServer(answer).start()
    yield srv
    srv.stop()


def build(tmp_path, base_url: str, why: bool = True) -> None:
    """The archive: five stories of week 2026-W47, summarized and tagged, relevance highest first."""
    _config, archive, fetched = open_with(tmp_path, config_text(base_url, why))
    entries = [Entry(id=item_id, source="Wire", guid=item_id, url=f"https://wire.example/{item_id}",
                     canonical_url=f"https://wire.example/{item_id}", title=title, author=None,
                     published=MONDAY + timedelta(days=2, hours=n), feed_html=f"<p>{text}</p>")
               for n, (item_id, title, text, _line) in enumerate(STORIES)]
    save_entries(archive, {"Wire": entries}, fetched)
    for n, (item_id, _title, text, _line) in enumerate(STORIES):
        archive.save_processed(item_id, Article(text=text), ModelOutput(
            Summary(text.split(". ")[0] + ".", "test"), (TagScore("llm", 0.8),), "test", relevance=0.9 - n / 10,
            relevance_topic="GPU inference cost"), fetched)
    archive.save_clusters({item_id: item_id for item_id, *_ in STORIES}, {}, None, fetched)
    archive.close()


def digest(tmp_path):
    done = run_cli("digest", "--week", WEEK, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return {ext: (tmp_path / "digests" / f"{WEEK}.{ext}").read_text(encoding="utf-8") for ext in ("md", "html", "txt")}


def why_requests(chat: ChatServer) -> list[str]:
    return [body["messages"][0]["content"] for body, _ in chat.requests
            if body["messages"][0]["content"].startswith("A team follows these topics")]


def test_each_lead_story_gets_its_guarded_line_once_in_every_format(tmp_path, chat) -> None:
    build(tmp_path, chat.base_url)
    out = digest(tmp_path)
    asked = why_requests(chat)
    assert len(asked) == 3  # the lead stories: the best three of five
    assert all(INTERESTS in prompt for prompt in asked)
    mistral_line = STORIES[0][3]
    assert f"_{LABEL}_ {mistral_line}" in out["md"]
    assert f"<em>{LABEL}</em> {mistral_line}" in out["html"]
    assert LABEL in out["txt"] and "so the team can" in out["txt"]
    # The GPU line says 90 percent, which the article does not: refused. The gala is not on the topics.
    for text in out.values():
        assert text.count(LABEL) == 1
        assert "90 percent" not in text and "NONE" not in text
    # A second digest of the same week (another format, --force...) asks the server nothing: lines are kept.
    again = digest(tmp_path)
    assert len(why_requests(chat)) == 3 and again["md"].count(LABEL) == 1


def test_model_markup_is_escaped_and_a_line_never_reaches_a_story_outside_the_lead(tmp_path, chat) -> None:
    global STORIES
    saved = STORIES
    # The agent story leads now, with a line that carries markup.
    STORIES = [saved[3], saved[0], saved[1], saved[2], saved[4]]
    try:
        build(tmp_path, chat.base_url)
        out = digest(tmp_path)
    finally:
        STORIES = saved
    assert "<script>" not in out["html"] and "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in out["html"]
    assert "<script>" not in out["md"] and "\\<script\\>" in out["md"]
    assert len(why_requests(chat)) == 3
    assert all("Chip export rules change" not in prompt for prompt in why_requests(chat))  # fifth: not a lead


def test_a_server_that_is_down_leaves_the_digest_whole_and_the_next_digest_asks_again(tmp_path) -> None:
    port = free_port()
    build(tmp_path, f"http://127.0.0.1:{port}/v1")
    done = run_cli("digest", "--week", WEEK, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 of 3 lead stories have no why-it-matters line this time" in done.stderr
    assert "unreachable" in done.stderr and "extractive summary" not in done.stderr  # not the summaries' outage
    markdown = (tmp_path / "digests" / f"{WEEK}.md").read_text(encoding="utf-8")
    assert LABEL not in markdown and "Mistral releases Small 4" in markdown
    chat = ChatServer(answer, port=port).start()
    try:
        assert digest(tmp_path)["md"].count(LABEL) == 1
        assert len(why_requests(chat)) == 3
    finally:
        chat.stop()


def test_without_the_option_the_server_is_never_asked(tmp_path, chat) -> None:
    build(tmp_path, chat.base_url, why=False)
    assert LABEL not in digest(tmp_path)["md"]
    assert chat.requests == []


def test_changed_interests_ask_again(tmp_path, chat) -> None:
    build(tmp_path, chat.base_url)
    digest(tmp_path)
    (tmp_path / "feeds.yaml").write_text(config_text(chat.base_url, interests="EU export rules for accelerators"),
                                         encoding="utf-8")
    digest(tmp_path)
    assert len(why_requests(chat)) == 6
    assert "EU export rules for accelerators" in why_requests(chat)[-1]


def test_the_chat_message_carries_each_lead_storys_line_under_it(tmp_path, chat) -> None:
    build(tmp_path, chat.base_url)
    feeds = tmp_path / "feeds.yaml"
    with WebhookServer() as hooks:
        feeds.write_text(feeds.read_text(encoding="utf-8") + "digests:\n  - name: default\n"
                         f"    notify: [\"{hooks.apprise('json', '/team')}\"]\n", encoding="utf-8")
        done = run_cli("digest", "--week", WEEK, "--send", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        (sent,) = hooks.received("/team")
    lines = sent.payload["message"].splitlines()
    story = next(n for n, line in enumerate(lines) if "Mistral releases Small 4" in line)
    assert lines[story + 1] == f"  {LABEL} {STORIES[0][3]}"
    assert sent.payload["message"].count(LABEL) == 1  # the refused and the NONE answers give no line
    assert len(why_requests(chat)) == 3  # the files and the message share the lines asked once


def test_the_option_needs_the_server_backend(tmp_path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("settings:\n  summarizer: {backend: extractive, why_it_matters: true}\nsources: []\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert f"{path}:2" in str(caught.value) and "why_it_matters needs backend 'server'" in str(caught.value)
