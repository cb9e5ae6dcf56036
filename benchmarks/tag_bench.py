"""Tagger quality on hand-labelled feed items, English and French, with both bundled encoders.

    .venv/bin/python benchmarks/tag_bench.py [--encoder minilm] [--encoder use] [--corpus ../shared/corpus]
                                             [--no-sweep] [--folds 5]

Data (see benchmarks/data/tag_labels.md for the labelling rules):
  corpus EN / corpus FR   benchmarks/data/tag_labels.jsonl: 223 items of the corpus feeds (145 EN, 78 FR),
                          text read from the corpus exactly as the pipeline reads it. The French feeds
                          date from 2013-14: they have NO positive for llm, agents, mlops or cloud-ai.
  parallel FR (TRANSLATED) benchmarks/data/tag_labels_fr_parallel.jsonl: 60 English items (every tag,
                          10 without a tag) rendered in French by a techwatch developer: a French title
                          and the opening 4-6 sentences translated (not machine translated), same labels.
  parallel EN (cut)       the same 60 items in English, title + the opening that was translated
                          (`en_chars` characters of the text), so both sides say the same thing.

Each subset is scored on all its items and on two fixed halves: "tune" (crc32 of the item id is even;
the tagger's defaults were chosen on it) and "held-out" (odd). Micro-F1 counts every (item, tag)
decision; macro-F1 averages the per-tag F1 over the tags that have positives in the subset.

Speed: documents per second of tagging the 223 corpus items in one call, as the pipeline does it
(`encode` of `doc_text`, then `tag_vectors`), after the model has loaded and tagged 8 items.

Learning from labels (--folds K, default 5; 0 skips it): k-fold cross-validation. Every item goes to
fold crc32(id) % K (an English item and its French translation share the id, so they share a fold);
for each fold the others' labels are given to the tagger as if they were corrections (the library's
own `fit_prototypes` and `EmbeddingTagger.learn`, then `tag_vectors`), and the held fold is tagged.
Micro-F1 is printed for the corpus items (EN+FR, EN, FR) and the parallel set, beside the zero-label
tagger on the same items, for two training sets: the corpus items only, and the corpus plus the
parallel set (the only French labels on AI topics). No item ever helps tag itself. The ceiling line
is an oracle on the same held-fold scores (trained on the corpus): each item gets its best-scored tags,
exactly as many as its label has; no threshold, margin or cap can do better with these scores.

Sweep: each text is embedded once per encoder; thresholds, keyword boosts, margin, max_tags and tag
text variants are then tried in memory with the tagger's own scoring (`similarities`, `keyword_hits`,
`select_tags`). For the shipped tag text ("name: description. keywords") and max_tags 3 (the default
of feeds.yaml), the setting with the best micro-F1 on the tuning halves of the four subsets pooled
(the parallel set is the only French data on AI topics) is printed with its held-out scores; other
tag texts and fewer tags are shown for comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from watch.config import load_config
from watch.nlp.embedder import Embedder, load_embedder
from watch.nlp.labels import fit_prototypes
from watch.nlp.tagger import EmbeddingTagger, _tag_text, combine, select_tags
from watch.records import Tag

ROOT = Path(__file__).resolve().parent.parent

CORPUS = Path(os.environ.get("TECHWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
DATA = ROOT / "benchmarks" / "data"
ENCODERS = {"minilm": None, "use": "use-multilingual"}
SUBSETS = ("corpus EN", "corpus FR", "parallel EN (cut)", "parallel FR (translated)")
CORPUS_SUBSETS = SUBSETS[:2]


@dataclass(frozen=True)
class Item:
    """One labelled document."""

    id: str
    title: str
    text: str
    tags: frozenset[str]

    @property
    def tune(self) -> bool:
        """In the tuning half (the other half is held out)."""
        return zlib.crc32(self.id.encode()) % 2 == 0


def load_items(corpus: Path) -> dict[str, list[Item]]:
    """The four subsets, texts read from the corpus the way the pipeline reads them."""
    from watch.extract.article import article_from_feed
    from watch.sources.parse import parse_feed

    labels = [json.loads(line) for line in (DATA / "tag_labels.jsonl").read_text(encoding="utf-8").splitlines()]
    parallel = [json.loads(line) for line in
                (DATA / "tag_labels_fr_parallel.jsonl").read_text(encoding="utf-8").splitlines()]
    entries: dict[str, dict] = {}
    texts: dict[tuple[str, str], tuple[str, str]] = {}
    # The parallel set also holds items outside the 223: their text is read from the same feeds.
    for label in labels + parallel:
        name = label["feed"]
        if name not in entries:
            path = corpus / "feeds" / name
            feed = parse_feed(path.read_bytes(), source_name=path.name, base_url="https://example.org/")
            entries[name] = {entry.id: entry for entry in feed.entries}
        entry = entries[name][label["id"]]
        texts[(name, label["id"])] = (entry.title, article_from_feed(entry.feed_html, entry.language).text)
    subsets: dict[str, list[Item]] = {name: [] for name in SUBSETS}
    for label in labels:
        title, text = texts[(label["feed"], label["id"])]
        subset = "corpus EN" if label["lang"] == "en" else "corpus FR"
        subsets[subset].append(Item(label["id"], title, text, frozenset(label["tags"])))
    for row in parallel:
        title, text = texts[(row["feed"], row["id"])]
        subsets["parallel EN (cut)"].append(Item(row["id"], title, text[: row["en_chars"]], frozenset(row["tags"])))
        subsets["parallel FR (translated)"].append(Item(row["id"], row["title"], row["text"], frozenset(row["tags"])))
    return subsets


def truth(items: Sequence[Item], names: Sequence[str]) -> np.ndarray:
    """Items x tags, True where the label has the tag."""
    return np.array([[name in item.tags for name in names] for item in items], dtype=bool).reshape(len(items),
                                                                                                  len(names))


def prf(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of boolean predictions (0 where undefined)."""
    tp = int((pred & gold).sum())
    fp = int((pred & ~gold).sum())
    fn = int((~pred & gold).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def macro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    """Mean per-tag F1 over the tags with at least one positive."""
    scores = [prf(pred[:, j], gold[:, j])[2] for j in range(gold.shape[1]) if gold[:, j].any()]
    return float(np.mean(scores)) if scores else 0.0


class Bench:
    """Embeddings of every subset for one encoder, and the tagger's score components."""

    def __init__(self, embedder: Embedder, tags: Sequence[Tag], subsets: dict[str, list[Item]]) -> None:
        self.embedder = embedder
        self.tags = tuple(tags)
        self.names = [tag.name for tag in self.tags]
        self.subsets = subsets
        self.tagger = EmbeddingTagger(embedder, self.tags)  # the shipped defaults
        docs = {name: [(item.title, item.text) for item in items] for name, items in subsets.items()}
        warm = docs["corpus EN"][:8]
        self.tagger.tag_vectors(warm, embedder.encode([self.tagger.doc_text(*d) for d in warm]))
        started = time.perf_counter()
        corpus_docs = docs["corpus EN"] + docs["corpus FR"]
        corpus_vectors = embedder.encode([self.tagger.doc_text(*d) for d in corpus_docs])
        self.tagger.tag_vectors(corpus_docs, corpus_vectors)
        self.seconds = time.perf_counter() - started
        self.speed = len(corpus_docs) / self.seconds
        self.vectors = {"corpus EN": corpus_vectors[: len(docs["corpus EN"])],
                        "corpus FR": corpus_vectors[len(docs["corpus EN"]):]}
        for name in SUBSETS[2:]:
            self.vectors[name] = embedder.encode([self.tagger.doc_text(*d) for d in docs[name]])
        self.docs = docs
        self.gold = {name: truth(items, self.names) for name, items in subsets.items()}
        self.tune = {name: np.array([item.tune for item in items]) for name, items in subsets.items()}
        self.hits = {name: self.tagger.keyword_hits(docs[name]) for name in SUBSETS}

    def shipped(self) -> dict[str, np.ndarray]:
        """Predictions of the tagger with its defaults, through its public `tag_vectors`."""
        out = {}
        for name in SUBSETS:
            results = self.tagger.tag_vectors(self.docs[name], self.vectors[name])
            out[name] = np.array([[n in {s.tag for s in r} for n in self.names] for r in results], dtype=bool)
        return out

    def similarities(self, tag_texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Cosine of every document with each of `tag_texts` (one per tag), per subset."""
        matrix = self.embedder.encode(list(tag_texts))
        return {name: self.vectors[name] @ matrix.T for name in SUBSETS}


def table(bench: Bench, pred: dict[str, np.ndarray]) -> list[str]:
    """Per-tag precision / recall / F1 (and support) for every subset, then micro and macro lines."""
    head = f"{'tag':12}" + "".join(f" | {name[:26]:^26}" for name in SUBSETS)
    sub = f"{'':12}" + " | P    R    F1    n " * len(SUBSETS)
    lines = [head, sub]
    for j, tag in enumerate(bench.names):
        row = f"{tag:12}"
        for name in SUBSETS:
            gold = bench.gold[name][:, j]
            p, r, f = prf(pred[name][:, j], gold)
            row += f" | {p:.2f} {r:.2f} {f:.2f} {int(gold.sum()):3d}" if gold.any() else \
                f" |    -    - {'-':>4} {0:3d}" if not pred[name][:, j].any() else f" | 0.00    - {'-':>4} {0:3d}"
        lines.append(row)
    for label, part in (("micro all", None), ("micro tune", True), ("micro held", False)):
        row = f"{label:12}"
        for name in SUBSETS:
            mask = np.ones(len(bench.gold[name]), dtype=bool) if part is None else bench.tune[name] == part
            p, r, f = prf(pred[name][mask], bench.gold[name][mask])
            row += f" | {p:.2f} {r:.2f} {f:.2f} {int(mask.sum()):3d}"
        lines.append(row)
    lines.append(f"{'macro F1':12}" + "".join(f" | {'':9} {macro_f1(pred[n], bench.gold[n]):.2f} {'':3}"
                                               for n in SUBSETS))
    return lines


def summary(bench: Bench, pred: dict[str, np.ndarray]) -> dict[str, float]:
    """Micro-F1 of corpus EN+FR (all, tune, held-out) and of each subset."""
    out = {}
    for label, part in (("all", None), ("tune", True), ("held", False)):
        masks = [np.ones(len(bench.gold[n]), dtype=bool) if part is None else bench.tune[n] == part
                 for n in CORPUS_SUBSETS]
        out[label] = prf(np.vstack([pred[n][m] for n, m in zip(CORPUS_SUBSETS, masks, strict=True)]),
                         np.vstack([bench.gold[n][m] for n, m in zip(CORPUS_SUBSETS, masks, strict=True)]))[2]
    for label, part in (("pooled tune", True), ("pooled held", False)):
        out[label] = prf(np.vstack([pred[n][bench.tune[n] == part] for n in SUBSETS]),
                         np.vstack([bench.gold[n][bench.tune[n] == part] for n in SUBSETS]))[2]
    for name in SUBSETS:
        out[name] = prf(pred[name], bench.gold[name])[2]
    return out


def fold_of(item_id: str, folds: int) -> int:
    """The cross-validation fold of an item: crc32 of its id."""
    return zlib.crc32(item_id.encode()) % folds


def held_out(bench: Bench, folds: int, train_on: Sequence[str]) -> Iterator[tuple[EmbeddingTagger, str, np.ndarray]]:
    """For each fold, a tagger that learned from the other folds of `train_on`, with each subset's held items
    (indices into the subset) in that fold: no item ever helps tag itself."""
    fold = {name: np.array([fold_of(item.id, folds) for item in bench.subsets[name]], dtype=int) for name in SUBSETS}
    for k in range(folds):
        train = [(name, fold[name] != k) for name in train_on]
        model = fit_prototypes(bench.names, np.vstack([bench.vectors[n][m] for n, m in train]),
                               np.vstack([bench.gold[n][m] for n, m in train]))
        tagger = EmbeddingTagger(bench.embedder, bench.tags)
        tagger.learn(model)
        for name in SUBSETS:
            held = np.flatnonzero(fold[name] == k)
            if len(held):
                yield tagger, name, held


def cross_validate(bench: Bench, folds: int, train_on: Sequence[str]) -> dict[str, np.ndarray]:
    """Predictions of every subset, each fold tagged by a tagger that learned from the other folds of `train_on`."""
    out = {name: np.zeros_like(bench.gold[name]) for name in SUBSETS}
    for tagger, name, held in held_out(bench, folds, train_on):
        results = tagger.tag_vectors([bench.docs[name][i] for i in held], bench.vectors[name][held])
        out[name][held] = [[n in {s.tag for s in r} for n in bench.names] for r in results]
    return out


def ranking_ceiling(bench: Bench, folds: int, train_on: Sequence[str]) -> dict[str, np.ndarray]:
    """An oracle on the same held-fold scores: each item gets its best-scored tags, as many as its label has.
    What no threshold, margin or cap can beat without scoring the tags better."""
    out = {name: np.zeros_like(bench.gold[name]) for name in SUBSETS}
    for tagger, name, held in held_out(bench, folds, train_on):
        scores = tagger.scores([bench.docs[name][i] for i in held], bench.vectors[name][held])
        for row, i in zip(scores, held, strict=True):
            out[name][i, np.argsort(-row, kind="stable")[:int(bench.gold[name][i].sum())]] = True
    return out


def cv_figures(bench: Bench, pred: dict[str, np.ndarray]) -> str:
    """Micro-F1 of the corpus (EN+FR, EN, FR, FR - EN) and of the parallel set, in one line."""
    corpus = prf(np.vstack([pred[n] for n in CORPUS_SUBSETS]), np.vstack([bench.gold[n] for n in CORPUS_SUBSETS]))[2]
    en, fr = (prf(pred[n], bench.gold[n])[2] for n in CORPUS_SUBSETS)
    par_en, par_fr = (prf(pred[n], bench.gold[n])[2] for n in SUBSETS[2:])
    return (f"corpus EN+FR {corpus:.3f} | EN {en:.3f} FR {fr:.3f} (FR - EN {fr - en:+.3f}) | "
            f"parallel EN {par_en:.3f} FR {par_fr:.3f} (FR - EN {par_fr - par_en:+.3f})")


def tag_text_variants(tags: Sequence[Tag]) -> dict[str, list[str]]:
    """Texts embedded for each tag: the shipped recipe first, then the alternatives the sweep compares."""
    def halves(tag: Tag) -> tuple[str, str]:
        english, _, french = tag.description.partition(" / ")
        return english, french or english
    keywords = {t.name: (". " + ", ".join(t.keywords)) if t.keywords else "" for t in tags}
    return {
        "shipped": [_tag_text(t) for t in tags],
        "no keywords": [f"{t.name}: {t.description}" for t in tags],
        "English half": [f"{t.name}: {halves(t)[0]}{keywords[t.name]}" for t in tags],
        "French half": [f"{t.name}: {halves(t)[1]}{keywords[t.name]}" for t in tags],
    }


def sweep(bench: Bench) -> tuple[dict, dict[str, float], list[str]]:
    """Grid search on the tuning half of all four subsets pooled (the parallel set is the only French
    data on AI topics); returns the best setting with max_tags 3, its summary and a report."""
    thresholds = np.round(np.arange(0.15, 0.70, 0.01), 2)
    boosts = tuple(np.round(np.arange(0.0, 0.81, 0.05), 2))
    lates = tuple(np.round(np.arange(0.0, 0.41, 0.05), 2))
    margins = (math.inf, 0.05, 0.1, 0.15, 0.2)
    tune_gold = np.vstack([bench.gold[n][bench.tune[n]] for n in SUBSETS])
    best: dict[tuple[str, int], tuple[float, dict]] = {}
    variants = tag_text_variants(bench.tags)
    for variant, texts in variants.items():
        cosines = bench.similarities(texts)
        for boost in boosts:
            for late in (x for x in lates if x <= boost):
                scores = {n: combine(cosines[n], *bench.hits[n], boost, late) for n in SUBSETS}
                tune_scores = np.vstack([scores[n][bench.tune[n]] for n in SUBSETS])
                for max_tags in (1, 2, 3):
                    for margin in margins:
                        f1 = np.array([prf(select_tags(tune_scores, t, max_tags, margin), tune_gold)[2]
                                       for t in thresholds])
                        # Neighbouring thresholds averaged: a lone spike on ~200 items is luck, not a setting.
                        smooth = np.convolve(np.pad(f1, 1, mode="edge"), np.ones(3) / 3, mode="valid")
                        k = int(np.argmax(smooth))
                        setting = {"variant": variant, "threshold": float(thresholds[k]), "keyword_boost": boost,
                                   "late_keyword_boost": late, "max_tags": max_tags, "margin": margin}
                        key = (variant, max_tags)
                        if key not in best or smooth[k] > best[key][0] + 1e-9:
                            best[key] = (float(smooth[k]), setting)
    report = []
    for variant in variants:
        with_three = best[(variant, 3)]
        overall = max((best[(variant, m)] for m in (1, 2, 3)), key=lambda b: b[0])
        for _, setting in [with_three] + ([overall] if overall[0] > with_three[0] + 1e-9 else []):
            result = summary(bench, predict(bench, bench.similarities(variants[variant]), setting))
            report.append(f"  {variant:18} {describe(setting)}  ->  " + figures(result))
    cosines = bench.similarities(variants["shipped"])
    alone = best_threshold(bench, cosines, 0.0, 0.0)
    report.append(f"  {'embedding alone':18} {describe(alone)}  ->  "
                  + figures(summary(bench, predict(bench, cosines, alone))))
    for label, window in (("title+300 chars", 0), ("title+1000 chars", None)):
        hits = {n: bench.hits[n][0] > 0 if window == 0 else (bench.hits[n][0] + bench.hits[n][1]) > 0
                for n in SUBSETS}
        p, r, f = prf(np.vstack([hits[n] for n in CORPUS_SUBSETS]), np.vstack([bench.gold[n] for n in CORPUS_SUBSETS]))
        report.append(f"  keywords alone, {label}: corpus EN+FR precision {p:.2f} recall {r:.2f} F1 {f:.2f}")
    # The defaults are chosen for the shipped tag text, with max_tags 3: max_tags is a setting of
    # feeds.yaml (3 by default). The other variants only show what the tag text is worth.
    _, chosen = best[("shipped", 3)]
    return chosen, summary(bench, predict(bench, bench.similarities(variants[chosen["variant"]]), chosen)), report


def best_threshold(bench: Bench, cosines: dict[str, np.ndarray], boost: float, late: float) -> dict:
    """The best threshold, margin and max_tags 3 on the pooled tuning halves for fixed boosts."""
    tune_gold = np.vstack([bench.gold[n][bench.tune[n]] for n in SUBSETS])
    tune_scores = np.vstack([combine(cosines[n], *bench.hits[n], boost, late)[bench.tune[n]] for n in SUBSETS])
    candidates = [(prf(select_tags(tune_scores, t, 3, m), tune_gold)[2], t, m)
                  for t in np.round(np.arange(0.15, 0.70, 0.01), 2) for m in (math.inf, 0.05, 0.1, 0.15, 0.2)]
    _, threshold, margin = max(candidates)
    return {"variant": "shipped", "threshold": float(threshold), "keyword_boost": boost, "late_keyword_boost": late,
            "max_tags": 3, "margin": margin}


def predict(bench: Bench, cosines: dict[str, np.ndarray], setting: dict) -> dict[str, np.ndarray]:
    """Predictions of every subset for one setting of the sweep."""
    out = {}
    for name in SUBSETS:
        scores = combine(cosines[name], *bench.hits[name], setting["keyword_boost"], setting["late_keyword_boost"])
        out[name] = select_tags(scores, setting["threshold"], setting["max_tags"], setting["margin"])
    return out


def describe(setting: dict) -> str:
    """A setting in one short line."""
    return (f"threshold {setting['threshold']:.2f}, boost {setting['keyword_boost']:.2f}/"
            f"{setting['late_keyword_boost']:.2f}, max_tags {setting['max_tags']}, margin {setting['margin']:.2f}")


def figures(result: dict[str, float]) -> str:
    """Micro-F1 figures of a summary in one line."""
    return (f"4 sets tune {result['pooled tune']:.3f} held {result['pooled held']:.3f} | "
            f"corpus tune {result['tune']:.3f} held {result['held']:.3f} all {result['all']:.3f} | "
            f"EN {result['corpus EN']:.3f} FR {result['corpus FR']:.3f} | "
            f"par EN {result['parallel EN (cut)']:.3f} FR {result['parallel FR (translated)']:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", action="append", choices=sorted(ENCODERS), help="default: both")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-sweep", action="store_true", help="only the shipped defaults")
    parser.add_argument("--folds", type=int, default=5, metavar="K",
                        help="k-fold cross-validation of learning from labels (default 5; 0: skip)")
    args = parser.parse_args(argv)
    if not (args.corpus / "feeds").is_dir():
        sys.exit(f"corpus not found at {args.corpus} (set TECHWATCH_CORPUS or pass --corpus); "
                 "this benchmark reads the labelled items' text from its feeds")
    tags = load_config(ROOT / "feeds.yaml").tags
    subsets = load_items(args.corpus)
    print("Labelled items: " + ", ".join(f"{name} {len(items)}" for name, items in subsets.items()))
    print("parallel FR is a human TRANSLATION of 60 English items (benchmarks/data/tag_labels_fr_parallel.jsonl);"
          " parallel EN is the same English opening.")
    print("Taxonomy: feeds.yaml (" + ", ".join(t.name for t in tags) + ")\n")
    for key in args.encoder or list(ENCODERS):
        embedder = load_embedder(ENCODERS[key])
        bench = Bench(embedder, tags, subsets)
        tagger = bench.tagger
        print(f"=== {key}: {embedder.name}")
        print(f"shipped defaults: threshold {tagger.threshold:.2f}, boost {tagger.keyword_boost:.2f}/"
              f"{tagger.late_keyword_boost:.2f}, max_tags {tagger.max_tags}, margin {tagger.margin:.2f}")
        print(f"speed: {bench.speed:.1f} docs/s ({len(subsets['corpus EN']) + len(subsets['corpus FR'])} corpus "
              f"items in {bench.seconds:.1f} s: encode doc_text + tag_vectors)")
        shipped = bench.shipped()
        for line in table(bench, shipped):
            print("  " + line)
        result = summary(bench, shipped)
        print("  " + figures(result))
        print(f"  French - English micro-F1: corpus {result['corpus FR'] - result['corpus EN']:+.3f}, "
              f"parallel {result['parallel FR (translated)'] - result['parallel EN (cut)']:+.3f}")
        if args.folds >= 2:
            print(f"  learning from labels, {args.folds}-fold cross-validation (held folds only):")
            print(f"    {'zero labels':34} " + cv_figures(bench, shipped))
            for label, train_on in (("labels: corpus", CORPUS_SUBSETS), ("labels: corpus + parallel", SUBSETS)):
                print(f"    {label:34} " + cv_figures(bench, cross_validate(bench, args.folds, train_on)))
            print(f"    {'ceiling: true tag count (oracle)':34} "
                  + cv_figures(bench, ranking_ceiling(bench, args.folds, CORPUS_SUBSETS)))
        if not args.no_sweep:
            setting, best, report = sweep(bench)
            print("  sweep (best micro-F1 on the tuning half of all four subsets pooled, per tag text variant,\n"
                  "  with max_tags 3 and, where better, fewer):")
            for line in report:
                print(line)
            print(f"  best with max_tags 3: {setting['variant']!r}, {describe(setting)}")
            print("        " + figures(best))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
