"""Opt-in generative summaries from a local seq2seq or causal LM, capped in code and checked against the article.

Small chat models take 12-19 s per article on two CPU cores and may invent facts, so this backend
is opt-in (`summarizer: {backend: generative, model: ...}`), never downloads anything, caps its
output in code, rejects output naming numbers or names the article does not contain, and can
hand items to a fallback summarizer (the extractive one) when a run's time budget is spent.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from watch.errors import ModelError
from watch.nlp.base import Doc, Summaries, Summarizer
from watch.nlp.embedder import _HF_ID, _cached_config, _set_threads, model_version
from watch.nlp.guard import (
    Outcome,
    OutOfTime,
    SummaryRejected,
    accept,
    before_model,
    settle,
    tidy_summary,
)
from watch.nlp.prompt import SEQ2SEQ_PREFIX, chat_messages, plain_prompt, seq2seq_prompt
from watch.records import Summary


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
        outcomes: list[Outcome] = []
        for title, text, language in docs:
            title, text = title or "", text or ""
            try:
                early = before_model(title, text, deadline, fallback=self.fallback, max_chars=self.max_chars,
                                     model=self.name)
                outcomes.append(early if early is not None else self._summarize_one(title, text, language, deadline))
            except SummaryRejected as exc:
                if self.fallback is None:
                    raise
                outcomes.append(exc)
        return settle(docs, outcomes, self.fallback, self.name)

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
        return accept(raw, title, text, language, sentences=self.sentences, max_chars=self.max_chars,
                      model=self.name, finished=finished)

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
