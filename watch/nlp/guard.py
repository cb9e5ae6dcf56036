"""The guard on generated summaries: output caps in code, the faithfulness check, and the fallback.

Every generative backend (a local model, an inference server) hands its raw text to `accept`, which
caps it and rejects it when it is empty, degenerate, or names numbers or names the article does not
contain; `settle` gives the items that were not generated the fallback summarizer's summary.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Sequence

from watch.nlp.base import Doc, Summaries, Summarizer
from watch.nlp.prompt import instruction
from watch.nlp.sentences import split_sentences
from watch.nlp.summarize import _cut
from watch.records import Summary

log = logging.getLogger(__name__)

# What chat models put before the summary itself.
_LEADING_LABEL = re.compile(
    r"^(?:(?:here\s+is|here's)\s+(?:a|the|your)\s+(?:short\s+|brief\s+)?summary(?:\s+of\s+(?:the|this)\s+article)?"
    r"|voici\s+(?:un|le)\s+(?:court\s+|bref\s+)?résumé(?:\s+de\s+(?:l'|cet\s+)article)?"
    r"|summary|résumé|resume|tl;?\s?dr)\s*[:：]\s*",
    re.IGNORECASE,
)
# Reasoning models think aloud first; an unclosed block is thinking that ran out of tokens.
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)]|#{1,6})\s+", re.MULTILINE)
_EMPHASIS = re.compile(r"\*\*|__|`")
_TERMINAL = re.compile(r"[.!?‽…][\"'”’»)\]]*$")
_WORDCHARS = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
# Digit groups with their separators; a space only separates thousands ("128 000").
_NUMBER = re.compile(r"\d+(?:(?:[.,'’]|[ \u00a0\u202f\u2009](?=\d{3}(?!\d)))\d+)*")
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "hundred": "100",
    "un": "1", "une": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7",
    "huit": "8", "neuf": "9", "dix": "10", "onze": "11", "douze": "12", "vingt": "20", "cent": "100",
}
# Capitalised function words ("The", "Selon" after a colon or a quote) name nothing: not checked.
_STOP = frozenset({
    "i", "a", "an", "the", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "you",
    "his", "her", "their", "our", "your", "my", "in", "on", "at", "for", "and", "but", "or", "of", "to",
    "with", "as", "by", "from", "after", "before", "according", "however", "also", "there", "while",
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "ce", "cet", "cette", "ces", "il", "elle",
    "ils", "elles", "nous", "vous", "je", "et", "mais", "ou", "en", "dans", "pour", "par", "avec",
    "sur", "selon", "au", "aux", "son", "sa", "ses", "leur", "leurs", "qui", "que", "y", "s", "n", "c", "j",
})



class SummaryRejected(Exception):
    """A generated summary was not used; `reasons` says why (per item, not a broken model)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


class UnfaithfulSummary(SummaryRejected):
    """The output names numbers or names absent from the article, or is empty or degenerate."""


class OutOfTime(SummaryRejected):
    """The run's time budget was spent before (or while) generating this item."""


class Refused(SummaryRejected):
    """The model's server refused this item itself (its prompt too long for the context...): not asked again."""


class Unavailable(SummaryRejected):
    """The model could not be asked (a server down, slow, or answering errors): retry in a later run."""


Outcome = Summary | SummaryRejected


def before_model(title: str, text: str, deadline: float | None, *, fallback: Summarizer | None,
                 max_chars: int, model: str) -> Summary | None:
    """What an item gets without asking the model: the title when it has no text and there is no
    fallback, None when the model is to be asked; raises SummaryRejected (no text) or OutOfTime."""
    if not text.strip():
        if fallback is None:
            return Summary(_cut(" ".join(title.split()), max_chars), model)
        raise SummaryRejected(["no article text"])
    if deadline is not None and time.monotonic() >= deadline:
        raise OutOfTime(["time budget spent before this item"])
    return None


def accept(raw: str, title: str, text: str, language: str | None, *, sentences: int, max_chars: int,
           model: str, finished: bool = True) -> Summary:
    """The model's raw answer, capped (`tidy_summary`) and checked; raises UnfaithfulSummary when it is
    degenerate or names numbers or names that the title and text do not contain."""
    summary = tidy_summary(raw, sentences=sentences, max_chars=max_chars, language=language, finished=finished)
    # The raw text too: tidying drops repeated sentences, which would hide a model stuck in a loop.
    problems = degenerate(summary, instruction(language, sentences)) or degenerate(raw)
    if not problems:
        unsupported = check_faithful(summary, f"{title}\n{text}")
        if unsupported:
            problems = [f"not in the article: {', '.join(unsupported)}"]
    if problems:
        raise UnfaithfulSummary(problems)
    return Summary(summary, model)


def settle(docs: Sequence[Doc], outcomes: Sequence[Outcome], fallback: Summarizer | None, model: str) -> Summaries:
    """One summary per doc from its outcome: the generated one, else the fallback's (one call for all).

    Without a fallback the first rejection is raised. The result's `rejections` holds why unfaithful
    or degenerate output, or the item itself, was refused (asking again would give the same); `deferred` the items
    that ran out of time or could not reach the model, to be tried again in a later run.
    """
    out: list[Summary | None] = []
    rejected: list[int] = []
    rejections: dict[int, str] = {}
    deferred: set[int] = set()
    for n, outcome in enumerate(outcomes):
        if isinstance(outcome, Summary):
            out.append(outcome)
            continue
        if fallback is None:
            raise outcome
        if isinstance(outcome, UnfaithfulSummary | Refused):
            rejections[n] = str(outcome)
        elif isinstance(outcome, OutOfTime | Unavailable):
            deferred.add(n)
        level = logging.WARNING if isinstance(outcome, UnfaithfulSummary) else logging.INFO
        log.log(level, "summary of %r by %s not used (%s); using %s", (docs[n][0] or "")[:80], model, outcome,
                fallback.name)
        rejected.append(n)
        out.append(None)
    if rejected:
        assert fallback is not None
        for index, summary in zip(rejected, fallback.summarize_many([docs[i] for i in rejected]), strict=True):
            out[index] = summary
    return Summaries((summary for summary in out if summary is not None), rejections, deferred)


def tidy_summary(text: str, *, sentences: int, max_chars: int, language: str | None = None,
                 finished: bool = True) -> str:
    """Generated text capped in code: thinking, label, bullets and markup removed, at most `sentences`
    whole sentences (repeats dropped) within `max_chars`; a too-long first sentence is cut with "…"."""
    text = _EMPHASIS.sub("", _BULLET.sub("", _THINKING.sub("", text or "")))
    text = _LEADING_LABEL.sub("", text.strip(), count=1)
    kept: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(text, language):
        sentence = " ".join(sentence.split())
        key = " ".join(_WORDCHARS.findall(sentence.lower()))
        if key and key not in seen:
            seen.add(key)
            kept.append(sentence)
    if not finished and len(kept) > 1 and not _TERMINAL.search(kept[-1]):
        kept.pop()  # cut off by max_new_tokens mid-sentence
    out: list[str] = []
    used = 0
    for sentence in kept[:sentences]:
        if not out and len(sentence) > max_chars:
            return _cut(sentence, max_chars)
        if used + len(sentence) + (1 if out else 0) > max_chars:
            break  # a summary reads in order: no skipping to a shorter later sentence
        used += len(sentence) + (1 if out else 0)
        out.append(sentence)
    return " ".join(out)


def degenerate(summary: str, prompt: str = "") -> list[str]:
    """Reasons why `summary` is not a summary at all (empty, one word repeated, a loop, the prompt echoed)."""
    words = _WORDCHARS.findall(summary.lower())
    if sum(len(word) for word in words) < 3:
        return ["empty output"]
    if len(words) == 1:
        return [f"a single word: {words[0]!r}"]
    if len(words) >= 2 and len(set(words)) == 1:
        return [f"the same word repeated: {words[0]!r}"]
    if len(words) >= 8 and len(set(words)) / len(words) < 0.4:
        return ["repetitive output"]
    if prompt and _fold(prompt)[:40] in _fold(summary):
        return ["the output repeats the prompt"]
    return []


def check_faithful(summary: str, source: str) -> list[str]:
    """Numbers and capitalised words of `summary` that `source` does not contain, once each, in order.

    Comparison ignores case and accents; numbers match whatever their separators ("128,000",
    "128 000", "3.5" = "3,5"); the first word of each sentence and capitalised function words are
    not checked (they are capitalised by position, not because they name something).
    """
    folded = _fold(source)
    words = set(_LETTERS.findall(folded))
    numbers = {form for match in _NUMBER.finditer(source) for form in _number_forms(match.group(0), lenient=True)}
    numbers |= {value for word, value in _NUMBER_WORDS.items() if word in words}
    unsupported: list[str] = []

    def flag(token: str) -> None:
        if token not in unsupported:
            unsupported.append(token)

    for sentence in split_sentences(summary):
        for match in _NUMBER.finditer(sentence):
            if not _number_supported(match.group(0), numbers):
                flag(match.group(0))
        first = True
        for match in _LETTERS.finditer(sentence):
            word = match.group(0)
            # Only a word with nothing alphanumeric before it in the sentence opens the sentence.
            opening = first and not any(ch.isalnum() for ch in sentence[: match.start()])
            first = False
            if opening or not word[0].isupper() or len(word) < 2:
                continue
            key = _fold(word)
            if key in _STOP or key in words or key + "s" in words or (key.endswith("s") and key[:-1] in words):
                continue
            flag(word)
    return unsupported


def _fold(text: str) -> str:
    """Lower case without accents: "Élysée" and "elysee" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _number_supported(raw: str, numbers: set[str]) -> bool:
    """True when `numbers` holds a reading of `raw`, or of each of its space-separated groups."""
    if _number_forms(raw) & numbers:
        return True
    groups = [g for g in re.split(r"[ \u00a0\u202f\u2009]", raw) if g]
    return len(groups) > 1 and all(_number_forms(g) & numbers for g in groups)


def _number_forms(raw: str, lenient: bool = False) -> set[str]:
    """Canonical readings of a written number ("1,500" is 1500, or 1.5 in French); `lenient` adds
    each space-separated group, for source text where a space may just separate two numbers."""
    compact = re.sub(r"[ \u00a0\u202f\u2009'’]", "", raw)
    forms: set[str] = set()
    separators = set(re.findall(r"[.,]", compact))
    if not separators:
        forms.add(_canonical(compact, ""))
    elif len(separators) == 2:
        decimal = compact[max(compact.rfind("."), compact.rfind(","))]
        integer, _, fraction = compact.rpartition(decimal)
        forms.add(_canonical(re.sub(r"[.,]", "", integer), fraction))
    else:
        mark = separators.pop()
        parts = compact.split(mark)
        if len(parts) > 2 or all(len(part) == 3 for part in parts[1:]):
            forms.add(_canonical("".join(parts), ""))  # thousands: "1,500", "1.000.000"
        if len(parts) == 2:
            forms.add(_canonical(parts[0], parts[1]))  # decimal: "3.5", "3,5", and maybe "1,500"
    if lenient:
        for group in re.split(r"[ \u00a0\u202f\u2009]", raw):
            if group and group != raw:
                forms |= _number_forms(group)
    return forms


def _canonical(integer: str, fraction: str) -> str:
    integer = integer.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{integer}.{fraction}" if fraction else integer
