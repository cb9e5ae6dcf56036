"""Generative summaries from an OpenAI-compatible inference server (chat completions), guarded like a local model's.

`summarizer: {backend: server, base_url: http://gpu-box:8000/v1, model: NAME}` sends each article,
in the same prompt as the local generative backend (prompt.py), to `POST {base_url}/chat/completions`
(Ollama, llama.cpp, vLLM, LM Studio, `transformers serve`), up to `concurrency` requests at once.
The answer goes through the same caps and faithfulness guard (guard.py). A server that is down,
slow, answers HTTP errors or something that is not a chat completion never fails a run: the items
keep the fallback (extractive) summary and are asked again in a later run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from watch.http.egress import PublicAddress, private_transport
from watch.nlp.base import Doc, Summaries, Summarizer
from watch.nlp.guard import (
    Outcome,
    OutOfTime,
    Refused,
    SummaryRejected,
    Unavailable,
    accept,
    before_model,
    settle,
)
from watch.nlp.prompt import chat_messages
from watch.records import SummarizerSettings, Summary
from watch.text.textsafe import one_line

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 120.0  # seconds for one answer at most, however much of the time budget is left
CONNECT_TIMEOUT = 5.0
RETRY_AFTER = 300.0  # once the server failed, items keep their fallback summary this long without asking
# HTTP errors and garbage in a row before the server counts as failing (some servers answer 500 to a
# prompt longer than the model's context); a refused connection or a timeout counts at once.
STRIKES = 3
# HTTP statuses about one request (its prompt too long for the context...), not about the server.
_ITEM_STATUSES = frozenset({400, 413, 422})


class ServerSummarizer(Summarizer):
    """Summaries written by a model behind an OpenAI-compatible chat-completions endpoint.

    Requests are greedy (temperature 0) and bounded by `max_tokens`; the article is cut to
    `max_input_chars`. Each request's timeout is what is left of the `deadline` of
    `summarize_many` (at most REQUEST_TIMEOUT). When the server cannot be reached, times out,
    answers an HTTP error or garbage, the items get the `fallback` summarizer's summary and are
    marked deferred (`Summaries.deferred`: asked again in a later run); the server is then left
    alone for RETRY_AFTER seconds (after one refused connection or timeout, or STRIKES errors in a
    row), so a dead server costs one failed request, not one per item. An item the server itself
    refuses (HTTP 400, 413, 422: its prompt too long...) is rejected for good instead, like
    unfaithful output.
    `outage()` says what went wrong. The API key, if any, is sent as a bearer token. Unless
    `allow_remote`, a connection to a host that now resolves to a public address is refused.
    """

    generative = True
    # What a failure means, for one request and once the server is left alone (a "why it matters" writer says its own).
    consequence = ("this item keeps its extractive summary",
                   "items keep their extractive summary and are retried in a later run")

    def __init__(self, base_url: str, model: str, *, sentences: int = 3, max_chars: int = 400,
                 concurrency: int = 4, max_tokens: int = 160, max_input_chars: int = 6000,
                 api_key: str | None = None, allow_remote: bool = False, fallback: Summarizer | None = None) -> None:
        if sentences < 1 or max_chars < 2:
            raise ValueError("a summary needs at least one sentence and two characters")
        if concurrency < 1 or max_tokens < 1 or max_input_chars < 100:
            raise ValueError("concurrency and max_tokens must be at least 1, max_input_chars at least 100")
        if not model.strip():
            raise ValueError("the server summarizer needs the server's model name")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._name = f"server/{model}"
        self.sentences = sentences
        self.max_chars = max_chars
        self.concurrency = concurrency
        self.max_tokens = max_tokens
        self.max_input_chars = max_input_chars
        self.fallback = fallback
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # trust_env=False: no proxy from the environment gets the articles; redirects are not followed.
        # Unless allow_remote, every connection checks again that the host is not public (DNS may change).
        limits = httpx.Limits(max_connections=concurrency)
        self._client = httpx.Client(headers=headers, trust_env=False, follow_redirects=False, limits=limits,
                                    transport=None if allow_remote else private_transport(limits))
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._strikes = 0
        self._outage: str | None = None

    @classmethod
    def from_settings(cls, settings: SummarizerSettings, **options: Any) -> ServerSummarizer:
        """The server of `summarizer:` in feeds.yaml (base_url, model, concurrency, key, allow_remote), with `options`
        (sentences, max_chars, max_tokens, fallback...) for what it is asked to write."""
        return cls(settings.base_url or "", settings.model or "", concurrency=settings.concurrency,
                   api_key=settings.api_key, allow_remote=settings.allow_remote, **options)

    @property
    def name(self) -> str:
        """Model name recorded with each generated summary."""
        return self._name

    @property
    def endpoint(self) -> str:
        """The chat-completions URL requests go to."""
        return f"{self.base_url}/chat/completions"

    def outage(self) -> str | None:
        """What kept the server from answering, the last time it failed (None: it never did)."""
        return self._outage

    def summarize(self, title: str, text: str, language: str | None = None) -> Summary:
        """Summarize one article (see the class docstring for caps, checks and fallback)."""
        return self.summarize_many([(title, text, language)])[0]

    def summarize_many(self, docs: Sequence[Doc], deadline: float | None = None) -> Summaries:
        """Summarize (title, text, language) triples, up to `concurrency` requests at once, in order.

        Past `deadline` (time.monotonic()) items are not sent; rejected, deferred and unsent items
        get the fallback's summary (without a fallback the first of them raises SummaryRejected).
        """
        if not docs:
            return Summaries()
        workers = min(self.concurrency, len(docs))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="summarizer-server") as pool:
            outcomes = list(pool.map(lambda doc: self._outcome(doc, deadline), docs))
        return settle(docs, outcomes, self.fallback, self.name)

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def _outcome(self, doc: Doc, deadline: float | None) -> Outcome:
        title, text, language = doc[0] or "", doc[1] or "", doc[2]
        try:
            early = before_model(title, text, deadline, fallback=self.fallback, max_chars=self.max_chars,
                                 model=self.name)
            if early is not None:
                return early
            raw, finished = self._ask(title, text, language, deadline)
            return accept(raw, title, text, language, sentences=self.sentences, max_chars=self.max_chars,
                          model=self.name, finished=finished)
        except SummaryRejected as exc:
            return exc

    def _ask(self, title: str, text: str, language: str | None, deadline: float | None) -> tuple[str, bool]:
        """The summary's text, and whether the model ended it itself; raises Unavailable."""
        return self.complete(chat_messages(title, self.shortened(text), language, self.sentences), deadline)

    def complete(self, messages: list[dict[str, str]], deadline: float | None,
                 max_tokens: int | None = None) -> tuple[str, bool]:
        """The server's answer to `messages` (greedy, at most `max_tokens`), and whether the model ended it itself;
        raises Unavailable (the server failed: left alone for a while), OutOfTime or Refused (this request)."""
        with self._lock:
            if time.monotonic() < self._down_until and self._outage:
                raise Unavailable([f"{self._outage} (not asked again yet)"])
        left = REQUEST_TIMEOUT if deadline is None else min(REQUEST_TIMEOUT, deadline - time.monotonic())
        if left <= 0:
            raise OutOfTime(["time budget spent before this item"])
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens or self.max_tokens,
                "temperature": 0, "stream": False}
        try:
            response = self._client.post(self.endpoint, json=body,
                                         timeout=httpx.Timeout(left, connect=min(left, CONNECT_TIMEOUT)))
        except httpx.TimeoutException as exc:
            what = "unreachable" if isinstance(exc, httpx.ConnectTimeout) else f"gave no answer within {left:.0f} s"
            raise self._down(what, exc, strikes=STRIKES) from None
        except httpx.TransportError as exc:
            if isinstance(exc.__cause__, PublicAddress):
                raise self._down(f"refused: {exc}, and allow_remote is false", exc, strikes=STRIKES) from None
            raise self._down("unreachable", exc, strikes=STRIKES) from None
        if response.status_code in _ITEM_STATUSES:
            raise Refused([f"summarizer server {self.base_url} refused this item: HTTP {response.status_code} "
                           f"{_snippet(response.text)}"])
        if response.status_code != 200:
            raise self._down(f"answered HTTP {response.status_code}", _snippet(response.text))
        answer = self._answer(response)
        with self._lock:
            self._strikes = 0
        return answer

    def _answer(self, response: httpx.Response) -> tuple[str, bool]:
        """Text and finish of a chat-completions answer; anything else marks the server down."""
        try:
            choice = response.json()["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise self._down("answered something that is not a chat completion",
                             f"{type(exc).__name__}: {_snippet(response.text)}") from None
        if content is None:  # a reasoning model that spent max_tokens thinking: an empty answer, for the guard
            content = ""
        if not isinstance(content, str):
            raise self._down("answered something that is not a chat completion", f"content {content!r:.80}")
        return content, choice.get("finish_reason") != "length"

    def _down(self, what: str, detail: Any, strikes: int = 1) -> Unavailable:
        """Note that the server failed (left alone for RETRY_AFTER seconds after STRIKES); the item's rejection."""
        outage = f"summarizer server {self.base_url} {what}"
        with self._lock:
            self._outage = outage
            self._strikes += strikes
            opened = self._strikes >= STRIKES and time.monotonic() >= self._down_until
            if opened:
                self._down_until = time.monotonic() + RETRY_AFTER
                self._strikes = 0
        if not opened:
            log.info("%s (%s): %s", outage, detail, self.consequence[0])
        else:
            log.warning("%s (%s): %s", outage, detail, self.consequence[1])
        return Unavailable([outage])

    def shortened(self, text: str) -> str:
        """The article within max_input_chars, cut at a word boundary (what a request sends of it)."""
        text = text.strip()
        if len(text) <= self.max_input_chars:
            return text
        cut = text[: self.max_input_chars]
        return cut[: cut.rfind(" ")] if " " in cut else cut

    def __repr__(self) -> str:
        return f"ServerSummarizer({self.base_url!r}, {self.model!r})"


def _snippet(text: str, limit: int = 120) -> str:
    """The start of a response body on one line and without control characters, for a log message."""
    return one_line(text)[:limit]
