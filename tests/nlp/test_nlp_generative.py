"""The generative summarizer on tiny models that the tests build and save themselves (nothing downloaded)."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest
import tiny_models as tm
import torch
from nlp_fakes import HashEmbedder

from watch.errors import ModelError
from watch.nlp import embedder, generative, guard
from watch.nlp.embedder import model_version
from watch.nlp.generative import GenerativeSummarizer
from watch.nlp.guard import OutOfTime, UnfaithfulSummary, check_faithful, degenerate, tidy_summary
from watch.nlp.prompt import chat_messages, instruction, plain_prompt, prompt_language
from watch.nlp.sentences import split_sentences
from watch.nlp.summarize import ExtractiveSummarizer
from watch.records import Summary

FR_TITLE = "L'AI Act s'applique depuis le 2 août"
FR_TEXT = ("Le règlement européen sur l'intelligence artificielle, l'AI Act, s'applique depuis le 2 août.\n"
           "Les entreprises doivent documenter leurs modèles et informer la CNIL.")
LONG_SOURCE = tm.MISTRAL_TEXT + "\n" + tm.LONG_SCRIPT  # every fact of LONG_SCRIPT is in the article


class RecordingFallback(ExtractiveSummarizer):
    """The real extractive summarizer on a hashed bag of words, recording what it was given."""

    def __init__(self, sentences: int = 1, max_chars: int = 200) -> None:
        super().__init__(HashEmbedder(), sentences=sentences, max_chars=max_chars)
        self.calls: list[list[tuple[str, str, str | None]]] = []

    def summarize_many(self, docs: Sequence[tuple[str, str, str | None]]) -> list[Summary]:
        """Record the batch, then summarize it."""
        self.calls.append(list(docs))
        return super().summarize_many(docs)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """HF_HUB_OFFLINE=1, and any attempt to open a network connection fails the test."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any, *args: Any) -> None:
        attempts.append(address)
        raise OSError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield attempts
    assert attempts == [], f"the test tried to reach the network: {attempts}"


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models on one torch thread: on two shared vCPUs, thread hand-offs made each tiny step ~20x slower."""
    previous, was_set = torch.get_num_threads(), embedder._threads_set
    torch.set_num_threads(1)
    embedder._threads_set = True  # keep the summarizer's first load from raising it again
    yield
    torch.set_num_threads(previous)
    embedder._threads_set = was_set


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's tiny models are saved."""
    return tmp_path_factory.mktemp("tiny-models")


@pytest.fixture(scope="session")
def causal_faithful(models_dir: Path) -> Path:
    """GPT-2 with a chat template that answers FAITHFUL_SCRIPT, then EOS."""
    return tm.build_causal(models_dir / "causal-faithful", script=tm.FAITHFUL_SCRIPT)


@pytest.fixture(scope="session")
def causal_long(models_dir: Path) -> Path:
    """GPT-2 that writes LONG_SCRIPT: five sentences, far more than small caps allow."""
    return tm.build_causal(models_dir / "causal-long", script=tm.LONG_SCRIPT)


@pytest.fixture(scope="session")
def causal_plain(models_dir: Path) -> Path:
    """GPT-2 whose tokenizer has no chat template."""
    return tm.build_causal(models_dir / "causal-plain", script=tm.FAITHFUL_SCRIPT, chat_template=False)


@pytest.fixture(scope="session")
def seq2seq_faithful(models_dir: Path) -> Path:
    """T5 that answers FAITHFUL_SCRIPT, then EOS."""
    return tm.build_seq2seq(models_dir / "t5-faithful", script=tm.FAITHFUL_SCRIPT)


def spy(summarizer: GenerativeSummarizer) -> list[list[int]]:
    """Load the model and record the input ids of every generate() call."""
    summarizer.load()
    model = summarizer._model
    calls: list[list[int]] = []
    real = model.generate

    def generate(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["input_ids"][0].tolist())
        return real(*args, **kwargs)

    model.generate = generate
    return calls


def decoded(summarizer: GenerativeSummarizer, ids: list[int]) -> str:
    """Prompt ids back to text, special tokens included."""
    return summarizer._tokenizer.decode(ids, skip_special_tokens=False)


# --- prompts ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["fr", "fr-FR", "FR_ca", " fr "])
def test_french_items_get_the_french_instruction(language: str) -> None:
    assert prompt_language(language) == "fr"
    assert instruction(language, 3) == ("Résume cet article en 3 phrases au plus, en français, "
                                        "sans rien ajouter qui n'y figure pas.")
    assert instruction(language, 1).startswith("Résume cet article en 1 phrase au plus")
    content = chat_messages("Titre", "Le texte.", language)[0]["content"]
    assert content.startswith("Résume cet article") and "Titre : Titre" in content and "Le texte." in content
    assert plain_prompt("Titre", "Le texte.", language).endswith("Résumé :")


@pytest.mark.parametrize("language", [None, "", "en", "en-GB", "de", "french", "frr"])
def test_other_items_get_the_english_instruction(language: str | None) -> None:
    assert prompt_language(language) == "en"
    assert instruction(language, 2) == ("Summarize this article in at most 2 sentences, in English, "
                                        "without adding anything that is not in it.")
    messages = chat_messages("A title", "Some text.", language)
    assert [m["role"] for m in messages] == ["user"]
    assert plain_prompt("A title", "Some text.", language).endswith("Summary:")


@pytest.mark.model
def test_the_chat_template_carries_the_french_prompt(causal_faithful: Path) -> None:
    summarizer = GenerativeSummarizer(causal_faithful, fallback=RecordingFallback())
    calls = spy(summarizer)
    summarizer.summarize(FR_TITLE, FR_TEXT, "fr-FR")  # the script is not about this article: fallback
    summarizer.summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")
    french, english = (decoded(summarizer, ids) for ids in calls)
    assert french.startswith("<|user|>") and french.endswith("<|end|><|assistant|>")
    assert "Résume cet article en 3 phrases au plus, en français" in french
    assert "Summarize" not in french
    assert "Summarize this article in at most 3 sentences, in English" in english
    assert "Résume" not in english


@pytest.mark.model
def test_without_a_chat_template_the_prompt_is_plain_text(causal_plain: Path) -> None:
    summarizer = GenerativeSummarizer(causal_plain)
    calls = spy(summarizer)
    summary = summarizer.summarize(FR_TITLE + " Mistral", FR_TEXT + "\n" + tm.MISTRAL_TEXT, "fr")
    prompt = decoded(summarizer, calls[0])
    assert "<|user|>" not in prompt and "<|assistant|>" not in prompt
    assert prompt.startswith("Résume cet article") and prompt.endswith("Résumé :")
    assert summary.text == tm.FAITHFUL_SCRIPT  # the prompt is not part of the output


# --- loading and generating ------------------------------------------------------------------------------------

@pytest.mark.model
def test_causal_model_summarizes_end_to_end(causal_faithful: Path) -> None:
    summarizer = GenerativeSummarizer(causal_faithful)
    assert not summarizer.loaded  # lazy: nothing loads before the first item
    summary = summarizer.summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")
    assert summary == Summary(tm.FAITHFUL_SCRIPT, f"generative/{causal_faithful}@{model_version(causal_faithful)}")
    assert summarizer.loaded and not summarizer.seq2seq
    assert summarizer.generated(summary)
    assert summarizer.name == summary.model


@pytest.mark.model
def test_seq2seq_model_summarizes_end_to_end(seq2seq_faithful: Path) -> None:
    summarizer = GenerativeSummarizer(str(seq2seq_faithful))
    calls = spy(summarizer)
    summary = summarizer.summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")
    assert summarizer.seq2seq
    assert summary.text == tm.FAITHFUL_SCRIPT and summarizer.generated(summary)
    assert decoded(summarizer, calls[0]).startswith("summarize: Mistral releases")


@pytest.mark.model
@pytest.mark.parametrize("build", [tm.build_causal, tm.build_seq2seq])
def test_random_weights_give_capped_text_or_the_fallback(build: Any, models_dir: Path) -> None:
    path = build(models_dir / f"random-{build.__name__}")
    fallback = RecordingFallback(sentences=1, max_chars=60)
    summarizer = GenerativeSummarizer(path, sentences=1, max_chars=60, max_new_tokens=40, fallback=fallback)
    calls = spy(summarizer)
    summary = summarizer.summarize(tm.MISTRAL_TITLE, tm.CORPUS + tm.MISTRAL_TEXT, "en")
    assert len(calls) == 1  # real generate() ran on seeded random weights
    assert len(summary.text) <= 60 and len(split_sentences(summary.text)) <= 1
    assert summary.model in (summarizer.name, fallback.name)  # seeded gibberish tends to loop: the fallback


@pytest.mark.model
def test_long_output_obeys_the_sentence_cap(causal_long: Path) -> None:
    summary = GenerativeSummarizer(causal_long, sentences=2, max_chars=400).summarize(
        tm.MISTRAL_TITLE, LONG_SOURCE, "en")
    assert summary.text == "Mistral released Small 4 today. The weights are free."


@pytest.mark.model
@pytest.mark.parametrize(("max_chars", "expected"), [
    (40, "Mistral released Small 4 today."),  # a second whole sentence would not fit
    (20, "Mistral released…"),  # the first sentence alone is too long: cut at a word, with "…"
])
def test_long_output_obeys_the_character_cap(causal_long: Path, max_chars: int, expected: str) -> None:
    summary = GenerativeSummarizer(causal_long, sentences=5, max_chars=max_chars).summarize(
        tm.MISTRAL_TITLE, LONG_SOURCE, "en")
    assert summary.text == expected and len(summary.text) <= max_chars


@pytest.mark.model
def test_a_sentence_cut_by_max_new_tokens_is_dropped(causal_long: Path) -> None:
    summarizer = GenerativeSummarizer(causal_long, max_new_tokens=8)  # stops inside "The weights are free."
    assert summarizer.summarize(tm.MISTRAL_TITLE, LONG_SOURCE).text == "Mistral released Small 4 today."


@pytest.mark.model
@pytest.mark.parametrize("build", [tm.build_causal, tm.build_seq2seq])
def test_long_articles_are_truncated_not_the_instruction(build: Any, models_dir: Path) -> None:
    path = build(models_dir / f"truncation-{build.__name__}", script=tm.FAITHFUL_SCRIPT)
    summarizer = GenerativeSummarizer(path, max_input_tokens=64)
    calls = spy(summarizer)
    summary = summarizer.summarize(tm.MISTRAL_TITLE, "\n".join([tm.MISTRAL_TEXT] * 40), "en")
    assert summary.text == tm.FAITHFUL_SCRIPT
    prompt = decoded(summarizer, calls[0])
    assert 32 < len(calls[0]) <= 64
    if summarizer.seq2seq:
        assert prompt.startswith("summarize: Mistral releases")
    else:
        assert prompt.startswith("<|user|>") and prompt.endswith("<|end|><|assistant|>")
        assert "Summarize this article in at most 3 sentences" in prompt[:60]


@pytest.mark.model
def test_input_stays_within_the_model_positions(causal_faithful: Path) -> None:
    summarizer = GenerativeSummarizer(causal_faithful)  # 1024 input tokens asked; GPT-2 here has 512 positions
    calls = spy(summarizer)
    summarizer.summarize(tm.MISTRAL_TITLE, "\n".join([tm.MISTRAL_TEXT] * 60), "en")
    assert 300 < len(calls[0]) <= 512 - summarizer.max_new_tokens


# --- model errors ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["/nonexistent/model", "./no/such/model", "~/no-such-model-dir", "a/b/c"])
def test_missing_model_directory(model: str) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        GenerativeSummarizer(model)


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"\0")
    with pytest.raises(ModelError, match="is a file; expected a model directory"):
        GenerativeSummarizer(path)


def test_a_directory_without_config_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        GenerativeSummarizer(tmp_path)


def test_an_uncached_hub_id_is_not_downloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match="neither a local directory nor in the Hugging Face cache"):
        GenerativeSummarizer("nobody/no-such-summarizer")


@pytest.mark.model
def test_a_hub_id_in_the_local_cache_loads(models_dir: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = tmp_path / "models--tiny--t5-summarizer" / "snapshots" / "0123abcd"
    tm.build_seq2seq(snapshot, script=tm.FAITHFUL_SCRIPT)
    (tmp_path / "models--tiny--t5-summarizer" / "refs").mkdir()
    (tmp_path / "models--tiny--t5-summarizer" / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    summarizer = GenerativeSummarizer("tiny/t5-summarizer")
    summary = summarizer.summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")
    assert summary.text == tm.FAITHFUL_SCRIPT and summary.model.startswith("generative/tiny/t5-summarizer@")


@pytest.mark.model
def test_a_model_that_does_not_load_is_a_model_error_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "no-such-architecture"}')
    summarizer = GenerativeSummarizer(tmp_path, fallback=RecordingFallback())
    with pytest.raises(ModelError, match=re.escape(f"cannot load generative model {tmp_path}")):
        summarizer.summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT)
    monkeypatch.setattr(summarizer, "_load", lambda: pytest.fail("a broken model is loaded again"))
    with pytest.raises(ModelError, match="cannot load generative model"):
        summarizer.load()


@pytest.mark.model
def test_weights_missing_is_a_model_error(models_dir: Path, tmp_path: Path) -> None:
    source = tm.build_causal(models_dir / "to-break", script=tm.FAITHFUL_SCRIPT)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    with pytest.raises(ModelError, match="cannot load generative model"):
        GenerativeSummarizer(tmp_path).load()


def test_caps_must_make_sense(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="at least one sentence"):
        GenerativeSummarizer(tmp_path, sentences=0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        GenerativeSummarizer(tmp_path, max_new_tokens=0)


# --- faithfulness guard ----------------------------------------------------------------------------------------

SOURCE = ("Paris-based Mistral AI released Mistral Small 4 on Tuesday. It cut API prices by 40 percent; "
          "the model has 128,000 tokens of context and scores 3.5 points higher. The Élysée and the CNIL "
          "welcomed three new rules.")


def test_a_number_not_in_the_source_is_flagged() -> None:
    assert check_faithful("Mistral cut prices by 50 percent.", SOURCE) == ["50"]
    assert check_faithful("Mistral released Small 5 in 2025 with 64,000 tokens.", SOURCE) == ["5", "2025", "64,000"]


def test_numbers_match_whatever_their_separators() -> None:
    summary = "It has 128 000 tokens (128000, or 128,000) and gains 3,5 points, in three rules: 3."
    assert check_faithful(summary, SOURCE) == []


def test_a_name_not_in_the_source_is_flagged() -> None:
    assert check_faithful("Mistral beat Google and OpenAI.", SOURCE) == ["Google", "OpenAI"]
    assert check_faithful("The model of Mistral AI. And Meta too.", SOURCE) == ["Meta"]


def test_accents_and_case_do_not_make_a_word_unsupported() -> None:
    assert check_faithful("Welcomed by the ELYSEE and the Cnil, says MISTRAL in paris.", SOURCE) == []
    assert check_faithful("Accueilli par l'Elysée.", "l'élysée a salué la décision") == []


def test_sentence_openers_and_function_words_are_not_checked() -> None:
    # "Google" opens a sentence, "The"/"Le" are function words, "Her" is in the stop list.
    assert check_faithful("Google noted it. Mistral said: The model is out. Her team agreed.", SOURCE) == []
    assert check_faithful("« Le modèle est ouvert », selon Le Monde.", "le modèle est ouvert") == ["Monde"]


def test_degenerate_outputs() -> None:
    assert degenerate("") == ["empty output"]
    assert degenerate(" . , ") == ["empty output"]
    assert degenerate("ok") == ["empty output"]
    assert degenerate("licence.") == ["a single word: 'licence'"]
    assert degenerate("model model model model") == ["the same word repeated: 'model'"]
    assert degenerate("the model is the model is the model is the model") == ["repetitive output"]
    prompt = instruction("en", 3)
    assert degenerate(f"{prompt} Mistral.", prompt) == ["the output repeats the prompt"]
    assert degenerate("Mistral released an open-weights model on Tuesday.") == []


@pytest.mark.parametrize(("raw", "expected"), [
    ("Summary: Mistral released a model.", "Mistral released a model."),
    ("  Résumé : Le modèle est sorti.\n", "Le modèle est sorti."),
    ("Here is a summary of the article:\n- **Mistral** released a model.\n- It runs   on one GPU.",
     "Mistral released a model. It runs on one GPU."),
    ("It is open. It is open. It is cheap. It is fast.", "It is open. It is cheap. It is fast."),
    ("One. Two. Three. Four.", "One. Two. Three."),
    ("<think>The user wants a summary.</think>\n\nMistral released a model.", "Mistral released a model."),
    ("<think>Let me count the sentences first", ""),
])
def test_tidy_strips_labels_markup_and_repeats(raw: str, expected: str) -> None:
    assert tidy_summary(raw, sentences=3, max_chars=400) == expected


# --- fallback and time budget ----------------------------------------------------------------------------------

@pytest.mark.model
@pytest.mark.parametrize(("script", "loop", "reason"), [
    ("Mistral released Small 7 with Google.", False, "not in the article: 7, Google"),
    ("Mistral", True, "the same word repeated: 'mistral'"),
])
def test_unfaithful_or_degenerate_output_gets_the_fallback(models_dir: Path, script: str, loop: bool, reason: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    path = tm.build_causal(models_dir / f"bad-{len(script)}", script=script, loop=loop)
    fallback = RecordingFallback()
    summarizer = GenerativeSummarizer(path, fallback=fallback)
    with caplog.at_level(logging.WARNING, logger=guard.__name__):
        summary = summarizer.summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")
    assert summary.model == fallback.name == "extractive/hash-bow"
    assert not summarizer.generated(summary)
    assert fallback.calls == [[(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")]]
    assert summary.text in tm.MISTRAL_TEXT  # the extractive summary: a sentence of the article
    assert reason in caplog.text

    with pytest.raises(UnfaithfulSummary, match=reason) as raised:
        GenerativeSummarizer(path).summarize(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")
    assert raised.value.reasons == (reason,)


@pytest.mark.model
def test_a_batch_mixes_generated_and_fallback_summaries_in_order(causal_faithful: Path) -> None:
    fallback = RecordingFallback()
    summarizer = GenerativeSummarizer(causal_faithful, fallback=fallback)
    docs = [(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en"),
            ("Llama 4 ships", "Meta shipped Llama 4 on Saturday with a long context window for agents.", "en"),
            ("Empty", "", None)]
    summaries = summarizer.summarize_many(docs)
    assert [summarizer.generated(s) for s in summaries] == [True, False, False]
    assert summaries[0].text == tm.FAITHFUL_SCRIPT
    assert summaries[1].text == docs[1][1]
    assert summaries[2].text == "Empty"
    assert fallback.calls == [docs[1:]]  # one call for every item the model could not do


@pytest.mark.model
def test_an_empty_article_without_fallback_gives_the_title(causal_faithful: Path) -> None:
    summarizer = GenerativeSummarizer(causal_faithful, max_chars=12)
    assert summarizer.summarize("A long title here", "  ") == Summary("A long…", summarizer.name)
    assert not summarizer.loaded


@pytest.mark.model
def test_a_passed_deadline_gives_every_item_the_fallback_without_generating(causal_faithful: Path) -> None:
    fallback = RecordingFallback()
    summarizer = GenerativeSummarizer(causal_faithful, fallback=fallback)
    docs = [(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en"), (FR_TITLE, FR_TEXT, "fr")]
    summaries = summarizer.summarize_many(docs, deadline=time.monotonic() - 1)
    assert [s.model for s in summaries] == [fallback.name] * 2
    assert fallback.calls == [docs]
    assert not summarizer.loaded  # not even loaded, let alone generate() called

    with pytest.raises(OutOfTime, match="time budget spent"):
        GenerativeSummarizer(causal_faithful).summarize_many(docs, deadline=time.monotonic() - 1)


@pytest.mark.model
def test_the_deadline_stops_a_batch_midway(causal_faithful: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(generative.time, "monotonic", lambda: clock[0])
    fallback = RecordingFallback()
    summarizer = GenerativeSummarizer(causal_faithful, fallback=fallback)
    calls = spy(summarizer)
    real = summarizer._model.generate

    def slow_generate(*args: Any, **kwargs: Any) -> Any:
        assert 0 < kwargs["generation_config"].max_time <= 30  # generation itself is bounded by the time left
        clock[0] += 60  # this item took a minute
        return real(*args, **kwargs)

    summarizer._model.generate = slow_generate
    docs = [(tm.MISTRAL_TITLE, tm.MISTRAL_TEXT, "en")] * 3
    summaries = summarizer.summarize_many(docs, deadline=130.0)
    assert len(calls) == 1
    assert [summarizer.generated(s) for s in summaries] == [True, False, False]
    assert fallback.calls == [docs[1:]]
