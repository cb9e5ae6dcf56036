"""Tiny generative models built and saved by the tests themselves: nothing is downloaded.

Two kinds, each either random (seeded) or "scripted":

- `build_seq2seq`: a T5 encoder-decoder (AutoModelForSeq2SeqLM);
- `build_causal`: a GPT-2 decoder-only LM (AutoModelForCausalLM), with a chat template or without.

A random model generates seeded gibberish. A scripted model makes real `generate()` output
predictable: every residual branch (attention, cross-attention, MLP) writes zeros and position
embeddings are zero, so the hidden state of the last position is just the embedding of the last
token. Embeddings are one-hot for the tokens of the script, and the output head maps each of
them to the next one: a bigram chain. Greedy decoding then writes the script after the prompt
(or after the decoder start token) and stops with EOS, whatever the input; `loop=True` goes
back to the script's first token instead of EOS, so generation runs until `max_new_tokens`.

The tokenizer is a word-level vocabulary (SentencePiece-style "▁" word pieces, punctuation kept
on its word) built in-process from a small English+French text, the prompt texts of
`watch.nlp.prompt`, and the script; unknown words map to <unk>.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration
from transformers.utils import logging as hf_logging

from watch.nlp.prompt import chat_messages, plain_prompt, seq2seq_prompt

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
CHAT_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

CORPUS = """
Mistral AI released Mistral Small 4, an open-weights language model, on Tuesday in Paris.
The weights are free to download under the Apache 2.0 licence and the model runs on a single GPU.
Companies in banking and healthcare asked for models they can host on their own servers.
The company also cut the price of its hosted API by 40 percent, and Meta shipped Llama 4.
Agents use tools, call functions and plan long workflows; inference costs keep falling.
Le règlement européen sur l'intelligence artificielle, l'AI Act, s'applique depuis le 2 août.
Les entreprises doivent documenter leurs modèles, évaluer les risques et informer la CNIL.
La souveraineté numérique et le cloud souverain sont au cœur du débat en France et en Europe.
Les modèles ouverts comme Mistral permettent aux banques d'héberger l'IA sur leurs propres serveurs.
Selon le gouvernement, le coût des GPU a baissé de moitié cette année pour les laboratoires publics.
"""

MISTRAL_TITLE = "Mistral releases Mistral Small 4, an open-weights model"
MISTRAL_TEXT = (
    "Paris-based Mistral AI on Tuesday released Mistral Small 4, a language model whose weights are free "
    "to download under the Apache 2.0 licence.\n"
    "The company says the model runs on a single GPU and matches larger systems on reasoning benchmarks.\n"
    "Banks and hospitals have asked for models they can host on their own servers.\n"
    "Mistral also cut the price of its hosted API by 40 percent."
)
FAITHFUL_SCRIPT = "Mistral released Small 4 on Tuesday. Its weights are free under the Apache 2.0 licence."
# Five sentences, 26 distinct words (a bigram chain needs each token once); far above small caps.
LONG_SCRIPT = (
    "Mistral released Small 4 today. The weights are free. It runs on one GPU. "
    "Banks asked for models they host themselves. Prices fell by 40 percent, according to company."
)


def _vocabulary(text: str) -> dict[str, int]:
    """Special tokens first, then every "▁word" of `text` in order of appearance."""
    words = [word for word, _ in _pre_tokenizer().pre_tokenize_str(text)]
    vocab = {token: i for i, token in enumerate((PAD, EOS, UNK, *CHAT_TOKENS))}
    for word in words:
        vocab.setdefault(word, len(vocab))
    return vocab


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                    pre_tokenizers.Metaspace(prepend_scheme="always")])


def _prompt_text() -> str:
    """Every prompt the summarizer can build, so its words are in the vocabulary."""
    parts = []
    for language in ("en", "fr"):
        for sentences in (1, 2, 3):
            parts.append(plain_prompt("t", "x", language, sentences))
            parts.extend(m["content"] for m in chat_messages("t", "x", language, sentences))
    parts.append(seq2seq_prompt("t", "x"))
    return "\n".join(parts)


def build_tokenizer(extra: str = "", *, chat_template: bool = True) -> PreTrainedTokenizerFast:
    """A word-level fast tokenizer over CORPUS + the prompt texts + `extra`, built offline."""
    vocab = _vocabulary("\n".join((CORPUS, MISTRAL_TITLE, MISTRAL_TEXT, _prompt_text(), extra)))
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    core.pre_tokenizer = _pre_tokenizer()
    core.decoder = decoders.Metaspace(prepend_scheme="always")
    core.add_special_tokens([PAD, EOS, UNK, *CHAT_TOKENS])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token=PAD, eos_token=EOS, unk_token=UNK)
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _chain(tokenizer: PreTrainedTokenizerFast, starts: list[int], script: str, loop: bool) -> dict[int, int]:
    """Next token for each token of the chain: each start -> the script's first token -> ... -> EOS."""
    ids = tokenizer(script, add_special_tokens=False)["input_ids"]
    unk = tokenizer.convert_tokens_to_ids(UNK)
    if unk in ids or len(set(ids)) != len(ids) or set(ids) & set(starts):
        raise ValueError(f"a script needs known, distinct words that are not prompt ends: {script!r}")
    table = dict.fromkeys(starts, ids[0])
    table.update(itertools.pairwise(ids))
    table[ids[-1]] = ids[0] if loop else tokenizer.convert_tokens_to_ids(EOS)
    return table


def _dims(table: dict[int, int]) -> dict[int, int]:
    """One hidden dimension for each token of the chain, predecessors and successors alike."""
    return {token: dim for dim, token in enumerate(dict.fromkeys([*table, *table.values()]))}


def _width(table: dict[int, int], minimum: int) -> int:
    """Hidden size: one dimension per token of the chain, rounded up to a multiple of 8."""
    return max(minimum, -(-len(_dims(table)) // 8) * 8)


@torch.no_grad()
def _wire_untied(embedding: torch.Tensor, head: torch.Tensor, table: dict[int, int]) -> None:
    """One-hot embeddings for the chain's tokens and an output head mapping each one to its successor."""
    dims = _dims(table)
    embedding.zero_()
    head.zero_()
    for token, dim in dims.items():
        embedding[token, dim] = 1.0
    for token, following in table.items():
        head[following, dims[token]] = 10.0


@torch.no_grad()
def _wire_tied(embedding: torch.Tensor, wi: torch.Tensor, wo: torch.Tensor, table: dict[int, int]) -> None:
    """Tied input/output embeddings (T5 always ties them): a feed-forward layer adds the successor's
    one-hot, ten times stronger than the token's own, so the output head picks the successor."""
    dims = _dims(table)
    embedding.zero_()
    wi.zero_()
    wo.zero_()
    for token, dim in dims.items():
        embedding[token, dim] = 1.0
        wi[dim, dim] = 1.0
    for token, following in table.items():
        wo[dims[following], dims[token]] = 10.0


def build_causal(directory: Path, *, script: str | None = None, loop: bool = False,
                 chat_template: bool = True) -> Path:
    """Save a tiny GPT-2 causal LM and its tokenizer in `directory`: random, or scripted (see module doc)."""
    torch.manual_seed(0)
    tokenizer = build_tokenizer(script or "", chat_template=chat_template)
    table: dict[int, int] = {}
    if script:
        ends = [plain_prompt("t", "x", lang) for lang in ("en", "fr")]
        starts = [tokenizer.convert_tokens_to_ids("<|assistant|>")]
        starts += sorted({tokenizer(end, add_special_tokens=False)["input_ids"][-1] for end in ends})
        table = _chain(tokenizer, starts, script, loop)
    width = _width(table, 32)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=512, n_embd=width, n_layer=2, n_head=2,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=not script)
    model = GPT2LMHeadModel(config).eval()
    if script:
        with torch.no_grad():
            model.transformer.wpe.weight.zero_()
            for block in model.transformer.h:
                for layer in (block.attn.c_proj, block.mlp.c_proj):
                    layer.weight.zero_()
                    layer.bias.zero_()
        _wire_untied(model.transformer.wte.weight, model.lm_head.weight, table)
    return _save(model, tokenizer, directory)


def build_seq2seq(directory: Path, *, script: str | None = None, loop: bool = False) -> Path:
    """Save a tiny T5 encoder-decoder and its tokenizer in `directory`: random, or scripted (see module doc)."""
    torch.manual_seed(0)
    tokenizer = build_tokenizer(script or "", chat_template=False)
    pad = tokenizer.pad_token_id
    table = _chain(tokenizer, [pad], script, loop) if script else {}
    width = _width(table, 32)
    config = T5Config(vocab_size=len(tokenizer), d_model=width, d_kv=16, d_ff=width, num_layers=2,
                      num_decoder_layers=2, num_heads=2, pad_token_id=pad, eos_token_id=tokenizer.eos_token_id,
                      decoder_start_token_id=pad)
    model = T5ForConditionalGeneration(config).eval()
    if script:
        with torch.no_grad():
            for stack in (model.encoder, model.decoder):
                for block in stack.block:
                    block.layer[0].SelfAttention.o.weight.zero_()
                    if stack.is_decoder:
                        block.layer[1].EncDecAttention.o.weight.zero_()
                    block.layer[-1].DenseReluDense.wo.weight.zero_()
            last = model.decoder.block[-1].layer[-1].DenseReluDense
            _wire_tied(model.shared.weight, last.wi.weight, last.wo.weight, table)
    return _save(model, tokenizer, directory)


def _save(model: torch.nn.Module, tokenizer: PreTrainedTokenizerFast, directory: Path) -> Path:
    """save_pretrained for both, without the weight-writing progress bar in test output."""
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
    return directory
