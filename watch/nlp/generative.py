"""Opt-in generative summaries from a local seq2seq or causal LM, capped in code and checked against the article.

Small chat models take 12-19 s per article on two CPU cores and may invent facts, so this backend
is opt-in (`summarizer: {backend: generative, model: ...}`), never downloads anything, caps its
output in code, rejects output naming numbers or names the article does not contain, and can
hand items to a fallback summarizer (the extractive one) when a run's time budget is spent.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from watch.errors import ModelError
from watch.nlp.base import Summaries, Summarizer
from watch.nlp.embedder import _HF_ID, _cached_config, _set_threads, model_version
from watch.nlp.sentences import split_sentences
from watch.nlp.summarize import _cut
from watch.records import Summary

log = logging.getLogger(__name__)

Doc = tuple[str, str, str | None]  # (title, text, language), as ExtractiveSummarizer takes them

_INSTRUCTIONS = {
    "en": "Summarize this article in at most {n} {unit}, in English, without adding anything that is not in it.",
    "fr": "Résume cet article en {n} {unit} au plus, en français, sans rien ajouter qui n'y figure pas.",
}
_UNITS = {"en": ("sentence", "sentences"), "fr": ("phrase", "phrases")}
_TITLE_LABELS = {"en": "Title:", "fr": "Titre :"}
_ARTICLE_LABELS = {"en": "Article:", "fr": "Article :"}
_ANSWER_LABELS = {"en": "Summary:", "fr": "Résumé :"}
SEQ2SEQ_PREFIX = "summarize: "  # T5's task prefix; BART-style models read it as one more line of text

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




def prompt_language(language: str | None) -> str:
    """'fr' for French items ('fr', 'fr-FR', 'fr_CA'...), else 'en'."""
    return "fr" if re.split(r"[-_]", (language or "").strip().lower())[0] == "fr" else "en"


def instruction(language: str | None, sentences: int = 3) -> str:
    """The summarizing instruction, written in the item's language (French or English)."""
    lang = prompt_language(language)
    unit = _UNITS[lang][0 if sentences == 1 else 1]
    return _INSTRUCTIONS[lang].format(n=sentences, unit=unit)


def chat_messages(title: str, text: str, language: str | None, sentences: int = 3) -> list[dict[str, str]]:
    """Chat messages for a causal LM: one user turn (some templates have no system role)."""
    lang = prompt_language(language)
    content = (f"{instruction(lang, sentences)}\n\n{_TITLE_LABELS[lang]} {title.strip()}\n\n"
               f"{_ARTICLE_LABELS[lang]}\n{text.strip()}")
    return [{"role": "user", "content": content}]


def plain_prompt(title: str, text: str, language: str | None, sentences: int = 3) -> str:
    """Prompt for a causal LM without a chat template; it ends with the answer label."""
    lang = prompt_language(language)
    return f"{chat_messages(title, text, lang, sentences)[0]['content']}\n\n{_ANSWER_LABELS[lang]}"


def seq2seq_prompt(title: str, text: str, prefix: str = SEQ2SEQ_PREFIX) -> str:
    """Encoder input for a seq2seq model: task prefix, title, article."""
    return f"{prefix}{title.strip()}\n{text.strip()}"


class GenerativeSummarizer(Summarizer):
    """Summaries written by a local Hugging Face generation model, capped and checked in code.

    `model` is a local model directory or a Hugging Face id already in the local cache; nothing
    is downloaded. Encoder-decoder models (t5, bart, mt5...) and causal LMs (chat template when
    the tokenizer has one) both work; decoding is greedy. The output keeps at most `sentences`
    sentences and `max_chars` characters, and is rejected when it is empty, degenerate, or names
    numbers or capitalised words that the title and text do not contain (`check_faithful`).
    A rejected item, or any item once the `deadline` of `summarize_many` has passed, gets the
    `fallback` summarizer's summary, whose `model` is the fallback's name; without a fallback,
    `SummaryRejected` (UnfaithfulSummary or OutOfTime) is raised. `generated(summary)` tells
    which summaries this model wrote.

    The path is checked when the summarizer is built (ModelError); weights load on first use.
    """

    generative = True

    def __init__(self, model: str | os.PathLike[str], *, sentences: int = 3, max_chars: int = 400,
                 max_input_tokens: int = 1024, max_new_tokens: int = 120,
                 fallback: Summarizer | None = None) -> None:
        if sentences < 1 or max_chars < 2:
            raise ValueError("a summary needs at least one sentence and two characters")
        if max_input_tokens < 16 or max_new_tokens < 1:
            raise ValueError("max_input_tokens must be at least 16 and max_new_tokens at least 1")
        self.model_ref = str(model)
        self.path = resolve_model(self.model_ref)
        self._name = f"generative/{self.model_ref}@{model_version(self.path)}"  # the version: which weights
        self.sentences = sentences
        self.max_chars = max_chars
        self.max_input_tokens = max_input_tokens
        self.max_new_tokens = max_new_tokens
        self.fallback = fallback
        self._tokenizer: Any = None
        self._model: Any = None
        self._generation: Any = None
        self._seq2seq = False
        self._prefix = SEQ2SEQ_PREFIX
        self._input_limit = max_input_tokens
        self._error: ModelError | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """Model name recorded with each generated summary."""
        return self._name

    @property
    def loaded(self) -> bool:
        """True once the tokenizer and weights are in memory."""
        return self._model is not None

    @property
    def seq2seq(self) -> bool:
        """True for an encoder-decoder model (known once loaded)."""
        return self._seq2seq

    def load(self) -> None:
        """Load tokenizer and weights now; later calls do nothing. Raises ModelError."""
        with self._lock:
            if self._model is not None:
                return
            if self._error is not None:
                raise self._error  # a broken model fails the same way for every item: say it once
            try:
                self._load()
            except ModelError as exc:
                self._error = exc
                raise

    def summarize(self, title: str, text: str, language: str | None = None) -> Summary:
        """Summarize one article (see the class docstring for caps, checks and fallback)."""
        return self.summarize_many([(title, text, language)])[0]

    def summarize_many(self, docs: Sequence[Doc], deadline: float | None = None) -> Summaries:
        """Summarize (title, text, language) triples one by one, in order.

        `deadline` is a `time.monotonic()` value: once it has passed, the remaining items get the
        fallback's summary without generating (generation in progress stops at the deadline too).
        Items whose output is rejected get the fallback's summary as well; the fallback is called
        once, for all of them. Without a fallback, the first rejection raises SummaryRejected.
        The result's `rejections` says why each unfaithful or degenerate output was refused: greedy
        decoding would refuse it again, so callers can stop retrying that item.
        """
        out: list[Summary | None] = []
        rejected: list[int] = []
        rejections: dict[int, str] = {}
        for title, text, language in docs:
            title, text = title or "", text or ""
            try:
                if not text.strip():
                    if self.fallback is None:
                        out.append(Summary(_cut(" ".join(title.split()), self.max_chars), self.name))
                        continue
                    raise SummaryRejected(["no article text"])
                if deadline is not None and time.monotonic() >= deadline:
                    raise OutOfTime(["time budget spent before this item"])
                out.append(self._summarize_one(title, text, language, deadline))
            except SummaryRejected as exc:
                if self.fallback is None:
                    raise
                if isinstance(exc, UnfaithfulSummary):
                    rejections[len(out)] = str(exc)
                level = logging.WARNING if isinstance(exc, UnfaithfulSummary) else logging.INFO
                log.log(level, "generative summary of %r not used (%s); using %s", (title or "")[:80], exc,
                        self.fallback.name)
                rejected.append(len(out))
                out.append(None)
        if rejected:
            assert self.fallback is not None
            for index, summary in zip(rejected, self.fallback.summarize_many([docs[i] for i in rejected]),
                                      strict=True):
                out[index] = summary
        return Summaries((summary for summary in out if summary is not None), rejections)

    def tidy(self, text: str, language: str | None = None, *, finished: bool = True) -> str:
        """Generated text capped in code: no label or markup, whole sentences, caps obeyed.

        With `finished` False (generation hit max_new_tokens), an unterminated last sentence is dropped.
        """
        return tidy_summary(text, sentences=self.sentences, max_chars=self.max_chars, language=language,
                            finished=finished)

    def _summarize_one(self, title: str, text: str, language: str | None, deadline: float | None) -> Summary:
        self.load()
        raw, finished = self._generate(title, text, language, deadline)
        if not finished and deadline is not None and time.monotonic() >= deadline:
            raise OutOfTime(["time budget ran out during generation"])
        summary = self.tidy(raw, language, finished=finished)
        # The raw text too: tidying drops repeated sentences, which would hide a model stuck in a loop.
        problems = degenerate(summary, instruction(language, self.sentences)) or degenerate(raw)
        if not problems:
            unsupported = check_faithful(summary, f"{title}\n{text}")
            if unsupported:
                problems = [f"not in the article: {', '.join(unsupported)}"]
        if problems:
            raise UnfaithfulSummary(problems)
        return Summary(summary, self.name)

    def _load(self) -> None:
        try:
            import torch
            from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ModelError(f"torch and transformers are needed for the generative summarizer: {exc}") from exc
        _set_threads(torch)
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # it would land in the CLI output and in job logs
        try:
            config = AutoConfig.from_pretrained(self.path, local_files_only=True)
            self._seq2seq = bool(getattr(config, "is_encoder_decoder", False))
            auto = AutoModelForSeq2SeqLM if self._seq2seq else AutoModelForCausalLM
            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            model = auto.from_pretrained(self.path, local_files_only=True)
        except Exception as exc:
            raise ModelError(f"cannot load generative model {self.model_ref} as a text generation model "
                             f"(seq2seq or causal LM): {exc}") from exc
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        model.eval()
        self._prefix = _task_prefix(config)
        self._input_limit = self._limit(config)
        self._generation = self._generation_config(model, tokenizer)
        self._tokenizer, self._model = tokenizer, model

    def _limit(self, config: Any) -> int:
        """Input tokens allowed: the setting, within the model's position range."""
        positions = getattr(config, "max_position_embeddings", None)
        if not isinstance(positions, int) or positions <= 0:
            return self.max_input_tokens
        room = positions if self._seq2seq else positions - self.max_new_tokens
        return max(16, min(self.max_input_tokens, room))

    def _generation_config(self, model: Any, tokenizer: Any) -> Any:
        """The model's own generation settings, made greedy and bounded."""
        generation = copy.deepcopy(model.generation_config)
        generation.do_sample = False
        generation.num_beams = 1
        # Sampling and beam settings are meaningless when greedy, and transformers warns about them. Which of
        # these fields a GenerationConfig has depends on the transformers version, hence hasattr.
        for field in ("temperature", "top_p", "top_k", "min_p", "typical_p", "early_stopping", "length_penalty"):
            if hasattr(generation, field):
                setattr(generation, field, None)
        generation.max_new_tokens = self.max_new_tokens
        generation.max_length = None
        generation.min_length = 0
        generation.min_new_tokens = None
        if generation.eos_token_id is None:
            generation.eos_token_id = tokenizer.eos_token_id
        if generation.pad_token_id is None:
            generation.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (
                _first(generation.eos_token_id))
        return generation

    def _generate(self, title: str, text: str, language: str | None, deadline: float | None) -> tuple[str, bool]:
        """Raw generated text, and whether the model ended it itself (EOS) rather than a limit."""
        import torch

        ids = self._input_ids(title, text, language)
        generation = self._generation
        if deadline is not None:  # a generation in progress stops at the deadline too
            generation = copy.deepcopy(generation)
            generation.update(max_time=max(0.001, deadline - time.monotonic()))
        inputs = torch.tensor([ids], dtype=torch.long)
        try:
            with torch.inference_mode():
                output = self._model.generate(input_ids=inputs, attention_mask=torch.ones_like(inputs),
                                              generation_config=generation)
        except Exception as exc:
            raise ModelError(f"generative model {self.model_ref} failed: {exc}") from exc
        new = output[0].tolist()
        new = new if self._seq2seq else new[len(ids):]  # a causal LM returns the prompt too
        # Only EOS means the model ended the text; max_new_tokens and max_time cut it.
        eos = _ids(self._generation.eos_token_id)
        finished = any(token in eos for token in new)
        return self._tokenizer.decode(new, skip_special_tokens=True), finished

    def _input_ids(self, title: str, text: str, language: str | None) -> list[int]:
        """Prompt token ids within the input limit; the article text is what gets shortened."""
        build = self._prompt_builder(title, language)
        ids = build(text)
        for _ in range(3):
            excess = len(ids) - self._input_limit
            if excess <= 0:
                return ids
            budget = len(self._tokenizer(text, add_special_tokens=False)["input_ids"]) - excess
            text = self._truncate(text, max(0, budget))
            ids = build(text)
        # Tokenization at the cut moved a few tokens: drop them at the article's end of the prompt.
        return ids[: self._input_limit] if self._seq2seq else ids[-self._input_limit:]

    def _prompt_builder(self, title: str, language: str | None) -> Any:
        tokenizer = self._tokenizer

        def encode(text: str) -> list[int]:
            if self._seq2seq:
                return list(tokenizer(seq2seq_prompt(title, text, self._prefix))["input_ids"])
            if getattr(tokenizer, "chat_template", None):
                # enable_thinking: templates of reasoning models (Qwen3...) read it; the others ignore it.
                prompt = tokenizer.apply_chat_template(chat_messages(title, text, language, self.sentences),
                                                       tokenize=False, add_generation_prompt=True,
                                                       enable_thinking=False)
                return list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
            return list(tokenizer(plain_prompt(title, text, language, self.sentences))["input_ids"])

        return encode

    def _truncate(self, text: str, tokens: int) -> str:
        """The first `tokens` tokens of `text`, cut in the original string."""
        try:
            offsets = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        except (NotImplementedError, ValueError, TypeError):
            offsets = None  # a slow tokenizer: about four characters a token
        if offsets is None:
            return text[: tokens * 4]
        if tokens >= len(offsets):
            return text
        return text[: offsets[tokens][0]] if tokens > 0 else ""

    def __repr__(self) -> str:
        return f"GenerativeSummarizer({self.model_ref!r}, loaded={self.loaded})"


def resolve_model(model: str) -> str:
    """Local directory for `model` (a directory, or a Hugging Face id in the local cache); raises ModelError."""
    if not model.strip():
        raise ModelError("the generative summarizer needs a model: a local directory or a cached Hugging Face id")
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"model directory {model} has no config.json: not a Hugging Face model")
        return str(path)
    if path.exists():
        raise ModelError(f"model path {model} is a file; expected a model directory")
    if model.startswith((".", "~", "/")) or not _HF_ID.match(model):
        raise ModelError(f"model directory {model} does not exist")
    # Loading from the snapshot directory keeps transformers away from the hub altogether.
    return str(_cached_config(model).parent)


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


def _task_prefix(config: Any) -> str:
    """The model's own summarization prefix when its config names one ("" for BART-style), else T5's."""
    params = getattr(config, "task_specific_params", None)
    if isinstance(params, dict) and isinstance(params.get("summarization"), dict):
        return str(params["summarization"].get("prefix", ""))
    return SEQ2SEQ_PREFIX


def _ids(value: Any) -> set[int]:
    if value is None:
        return set()
    return {int(v) for v in value} if isinstance(value, list | tuple) else {int(value)}


def _first(value: Any) -> int | None:
    ids = value if isinstance(value, list | tuple) else [value]
    return int(ids[0]) if ids and ids[0] is not None else None
