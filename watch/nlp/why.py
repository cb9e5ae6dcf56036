""""Why it matters": one sentence under each lead story, written by the summarizer server, under the summaries' guard.

With `summarizer: {backend: server, why_it_matters: true}` the server is asked, in the article's language,
why the article matters to a team following the digest profile's `interests` (prompt.py). The answer
goes through the guard of generated summaries (guard.accept: one sentence, capped, not degenerate, no
number or name that neither the article nor the interests contain), and is refused when it holds a web
or e-mail address: an article may try to make the model advertise one. "NONE" (not on the topics) and
a refused answer give "" (no line, and not asked again); a server that is down, slow or answering
garbage gives None: the story has no line this time and is asked at the next digest.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from watch.nlp.guard import OutOfTime, Refused, SummaryRejected, Unavailable, accept
from watch.nlp.prompt import NOTHING_TO_SAY, why_messages
from watch.nlp.server import ServerSummarizer
from watch.records import ArticleText, SummarizerSettings
from watch.text.textsafe import one_line

log = logging.getLogger(__name__)

WHY_MAX_CHARS = 220  # about 30 words: one line under the summary
WHY_MAX_TOKENS = 80
WHY_BUDGET_SECONDS = 120.0  # server time for one digest's lines at most; the rest waits for the next digest
_ADDRESS = re.compile(r"://|\bwww\.|[\w.+-]+@[\w-]+\.\w|\b[\w-]+\.(?:com|net|org|io|ai|dev|app|xyz|info|biz)\b",
                      re.IGNORECASE)

# What chat models put before the line itself (the digest shows its own label).
_LABEL = re.compile(r"^\W*(?:why\s+(?:it|this)\s+matters|pourquoi\s+(?:c'est|cela\s+est)\s+important|"
                    r"pourquoi\s+(?:ça|cela)\s+compte)\W*?[:：]\s*", re.IGNORECASE)


def interests_key(interests: str) -> str:
    """What a kept line depends on besides the item and the model: the interests, whitespace aside."""
    return hashlib.sha256(" ".join(interests.split()).encode()).hexdigest()[:16]


def why_server(settings: SummarizerSettings) -> ServerSummarizer | None:
    """The server that writes the lines (None unless `why_it_matters` is on; config allows it with backend
    'server' only, the one that has a base_url)."""
    if not (settings.why_it_matters and settings.base_url and settings.model):
        return None
    server = ServerSummarizer.from_settings(settings, sentences=1, max_chars=WHY_MAX_CHARS, max_tokens=WHY_MAX_TOKENS)
    server.consequence = ("this story has no why-it-matters line this time",
                          "lead stories have no why-it-matters line; asked again at the next digest")
    return server


def write_why_lines(server: ServerSummarizer, stories: Mapping[str, ArticleText], interests: str,
                    budget: float = WHY_BUDGET_SECONDS) -> dict[str, str | None]:
    """Each story's line: the sentence, "" when the model has none (or the guard refused it), None when the
    server could not be asked (down, slow, out of `budget` seconds); up to the server's concurrency at once."""
    if not stories or not interests.strip():
        return dict.fromkeys(stories)
    deadline = time.monotonic() + budget
    ids = list(stories)

    def one(item_id: str) -> str | None:
        title, text, language = stories[item_id]
        try:
            raw, finished = server.complete(why_messages(title, server.shortened(text), language, interests),
                                            deadline, WHY_MAX_TOKENS)
        except (Unavailable, OutOfTime) as exc:
            log.info("no why-it-matters line for %r this time: %s", title, exc)
            return None
        except Refused as exc:
            log.info("no why-it-matters line for %r: %s", title, exc)
            return ""
        return guarded_line(raw, title, text, language, interests, finished=finished)

    with ThreadPoolExecutor(max_workers=min(server.concurrency, len(ids)), thread_name_prefix="why") as pool:
        return dict(zip(ids, pool.map(one, ids), strict=True))


def guarded_line(raw: str, title: str, text: str, language: str | None, interests: str, *,
                 finished: bool = True) -> str:
    """The model's answer as the line to show, or "" when it says NONE or the guard refuses it."""
    raw = _LABEL.sub("", raw.strip())
    if raw.strip(".!").strip().upper() == NOTHING_TO_SAY:
        return ""
    try:
        line = accept(raw, title, f"{text}\n{interests}", language, sentences=1, max_chars=WHY_MAX_CHARS,
                      model="why", finished=finished).text
    except SummaryRejected as exc:
        log.info("why-it-matters line for %r refused: %s", title, exc)
        return ""
    if NOTHING_TO_SAY in line.split():
        return ""
    if _ADDRESS.search(line):
        log.info("why-it-matters line for %r refused: it holds an address", title)
        return ""
    return one_line(line)
