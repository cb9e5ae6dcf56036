"""Extraction quality, language and speed of `watch.extract.article.extract_article` on the corpus articles.

Every page is served from a real HTTP server on 127.0.0.1, fetched with techwatch's own client
(`watch.http.client.make_client` + `fetch`), then extracted with `extract_article(page.content, url)`,
as `pipeline.PageFetcher.article` does. The URL handed to the extractor is the page's original
URL (what `final_url` would be in production; the local one would hide the real host from
trafilatura's metadata and URL-date heuristics). Prints figures, asserts nothing.

Metrics, reproduced from the benchmarks' own evaluation code:
- zyte_aeb: scrapinghub/article-extraction-benchmark `evaluate.py` (commit 7d95432): tokens are
  `re.findall(r"\\w+")` (case kept), 4-token shingles counted as multisets; per document
  tp/fp/fn are normalised by their sum; precision and recall are the means over documents
  (precision over docs with tp+fp > 0, recall over docs with tp+fn > 0); F1 = harmonic mean
  of those two means. "accuracy" = share of docs whose token lists are identical.
- trafilatura_eval: adbar/trafilatura `tests/eval_common.py` (`count_item`, `ConfusionMatrix`):
  each `with` snippet found in the output (whitespace-normalised substring) is a TP, missing is
  a FN; each `without` snippet found is a FP, absent a TN; no output = all FN / all TN. Counts
  are summed over documents; P = tp/(tp+fp), R = tp/(tp+fn), F1 = 2tp/(2tp+fp+fn),
  accuracy = (tp+tn)/all.
- orangesum_fr_silver: bag of lower-cased `\\w+` words (multiset), per-document precision and
  recall against the silver text, averaged over documents.

    .venv/bin/python benchmarks/extract_bench.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _support import FeedServer

from watch.extract.article import extract_article
from watch.http.client import fetch, make_client, trusting
from watch.records import FetchSettings

ROOT = Path(__file__).resolve().parent.parent

PUBLISHED_ZYTE_F1 = {"trafilatura": 0.958, "newspaper4k": 0.949, "readability.js": 0.947}

# ---------------------------------------------------------------- Zyte AEB metric (evaluate.py)
_ZYTE_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def zyte_tokens(text: str | None) -> list[str]:
    """Tokenisation of the Zyte benchmark: runs of word characters, case kept."""
    return _ZYTE_TOKEN.findall(text or "")


def _shingles(text: str | None, n: int = 4) -> Counter:
    tokens = zyte_tokens(text)
    grams = (tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)))
    return Counter(g for g in grams if g)


def zyte_tp_fp_fn(true: str | None, pred: str | None) -> tuple[float, float, float]:
    """Shingle TP/FP/FN for one document, normalised so that every document weighs the same."""
    t, p = _shingles(true), _shingles(pred)
    tp = fp = fn = 0.0
    for key in set(t) | set(p):
        tp += min(t[key], p[key])
        fp += max(0, p[key] - t[key])
        fn += max(0, t[key] - p[key])
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total > 0 else (tp, fp, fn)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def zyte_scores(truth: dict[str, str], pred: dict[str, str | None]) -> dict[str, float]:
    """Precision, recall, F1 and accuracy exactly as the Zyte benchmark aggregates them."""
    triples = [zyte_tp_fp_fn(truth[k], pred.get(k)) for k in truth]
    precision = statistics.mean(_precision(*t) for t in triples if t[0] + t[1] > 0)
    recall = statistics.mean(_recall(*t) for t in triples if t[0] + t[2] > 0)
    accuracy = statistics.mean(float(zyte_tokens(truth[k]) == zyte_tokens(pred.get(k))) for k in truth)
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall),
            "accuracy": accuracy}


# ------------------------------------------------- trafilatura snippet metric (eval_common.py)
def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Confusion:
    """Snippet counts summed over documents."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, item: dict, result: str | None) -> None:
        """Count one document's `with` / `without` snippets against the extracted text."""
        text = _norm(result) if isinstance(result, str) else None
        hits = sum(1 for s in item["with"] if text is not None and _norm(s) in text)
        leaks = sum(1 for s in item["without"] if text is not None and _norm(s) in text)
        self.tp += hits
        self.fn += len(item["with"]) - hits
        self.fp += leaks
        self.tn += len(item["without"]) - leaks

    def scores(self) -> dict[str, float]:
        """precision, recall, accuracy, f1 (0.0 on an empty denominator)."""
        total = self.tp + self.fp + self.fn + self.tn
        return {
            "precision": self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0,
            "recall": self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0,
            "f1": 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 0.0,
            "accuracy": (self.tp + self.tn) / total if total else 0.0,
        }


# ------------------------------------------------------------------- bag of words (OrangeSum)
def bow_scores(truth: dict[str, str], pred: dict[str, str | None]) -> dict[str, float]:
    """Mean per-document bag-of-words precision/recall (lower-cased \\w+ multisets) and their F1."""
    precisions, recalls = [], []
    for key, reference in truth.items():
        ref = Counter(w.lower() for w in re.findall(r"\w+", reference))
        out = Counter(w.lower() for w in re.findall(r"\w+", pred.get(key) or ""))
        common = sum((ref & out).values())
        precisions.append(common / sum(out.values()) if out else 0.0)
        recalls.append(common / sum(ref.values()) if ref else 0.0)
    p, r = statistics.mean(precisions), statistics.mean(recalls)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


# ------------------------------------------------------------------------------ corpus access
@dataclass
class Doc:
    """One corpus page: its id, original URL, HTML bytes and its ground-truth record."""

    subset: str
    doc_id: str
    url: str
    html: bytes
    truth: dict


def load_docs(corpus: Path) -> list[Doc]:
    """All pages of the three article sets that have ground truth."""
    sets = (("zyte", "zyte_aeb", "ground-truth.json"), ("traf", "trafilatura_eval", "truth.json"),
            ("orange", "orangesum_fr_silver", "truth.json"))
    docs = []
    for subset, folder, truth_name in sets:
        root = corpus / "articles" / folder
        for doc_id, item in json.loads((root / truth_name).read_text(encoding="utf-8")).items():
            html = gzip.decompress((root / "html" / f"{doc_id}.html.gz").read_bytes())
            docs.append(Doc(subset, doc_id, item["url"], html, item))
    return docs


def serve_and_fetch(docs: Iterable[Doc]) -> tuple[dict[tuple[str, str], bytes], float]:
    """Serve every page on 127.0.0.1 and fetch it back with techwatch's client; (bodies, seconds)."""
    docs = list(docs)
    server = FeedServer()
    for doc in docs:
        # No charset: the real servers' headers were not recorded, so the extractor must sniff.
        server.add(f"/{doc.subset}/{doc.doc_id}.html", doc.html, content_type="text/html")
    server.start()
    settings = trusting(FetchSettings(), [server.base])  # the benchmark's own server stands for the web

    bodies = {}
    started = time.perf_counter()
    try:
        with make_client(settings) as client:
            for doc in docs:
                page = fetch(client, server.url(f"/{doc.subset}/{doc.doc_id}.html"), max_bytes=settings.max_bytes,
                             total_timeout=settings.total_timeout_seconds)
                bodies[(doc.subset, doc.doc_id)] = page.content
    finally:
        server.stop()
    return bodies, time.perf_counter() - started


def run_extraction(docs: list[Doc], bodies: dict[tuple[str, str], bytes],
                   extractor: Callable = extract_article) -> tuple[dict[tuple[str, str], object], float]:
    """extract_article over every fetched page; (articles by key, seconds spent extracting)."""
    results = {}
    started = time.perf_counter()
    for doc in docs:
        results[(doc.subset, doc.doc_id)] = extractor(bodies[(doc.subset, doc.doc_id)], doc.url)
    return results, time.perf_counter() - started


def _fmt(scores: dict[str, float]) -> str:
    return "  ".join(f"{k[:4]}={v:.3f}" for k, v in scores.items())


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    if not (args.corpus / "articles").is_dir():
        sys.exit(f"no articles under {args.corpus}")
    import trafilatura

    docs = load_docs(args.corpus)
    bodies, fetch_seconds = serve_and_fetch(docs)
    print(f"fetched {len(bodies)} pages from 127.0.0.1 with watch.http.client in {fetch_seconds:.1f} s")
    results, seconds = run_extraction(docs, bodies)

    def text(doc: Doc) -> str | None:
        art = results[(doc.subset, doc.doc_id)]
        return art.text if art is not None else None

    # --- Zyte AEB
    zyte = [d for d in docs if d.subset == "zyte"]
    truth = {d.doc_id: d.truth.get("articleBody") or "" for d in zyte}
    ours = {d.doc_id: text(d) for d in zyte}
    recorded = json.loads((args.corpus / "articles" / "zyte_aeb" / "baseline_trafilatura_output.json")
                          .read_text(encoding="utf-8"))
    baseline = {k: (recorded["output"].get(k) or {}).get("articleBody") for k in truth}
    defaults = {d.doc_id: trafilatura.extract(bodies[("zyte", d.doc_id)], include_comments=False) for d in zyte}
    print(f"\n== zyte_aeb ({len(zyte)} docs here; 4-gram shingle metric of article-extraction-benchmark evaluate.py)")
    print(f"  techwatch extract_article            {_fmt(zyte_scores(truth, ours))}")
    print(f"  recorded trafilatura {recorded['version']:<6} (corpus) {_fmt(zyte_scores(truth, baseline))}")
    print(f"  trafilatura {trafilatura.__version__} extract() as Zyte runs it {_fmt(zyte_scores(truth, defaults))}")
    print(f"  published on all 181 docs: {PUBLISHED_ZYTE_F1}")
    print(f"  empty extractions (techwatch): {sum(1 for v in ours.values() if not v)}")

    # --- trafilatura eval
    print("\n== trafilatura_eval (with/without snippets, eval_common.py counting)")
    traf = [d for d in docs if d.subset == "traf"]
    for lang in ("en", "fr", "all"):
        subset = [d for d in traf if lang in ("all", d.truth["lang"])]
        ours_cm, ref_cm = Confusion(), Confusion()
        for d in subset:
            ours_cm.add(d.truth, text(d))
            ref_cm.add(d.truth, trafilatura.extract(bodies[("traf", d.doc_id)], include_comments=False,
                                                    include_tables=True, include_formatting=False))
        print(f"  {lang:<3} n={len(subset):<3} techwatch {_fmt(ours_cm.scores())}")
        print(f"  {'':<9} trafilatura {trafilatura.__version__} eval settings {_fmt(ref_cm.scores())}")

    # --- OrangeSum silver
    orange = [d for d in docs if d.subset == "orange"]
    silver = {d.doc_id: d.truth["articleBody"] for d in orange}
    print(f"\n== orangesum_fr_silver ({len(orange)} docs, bag of words vs silver text)")
    print(f"  techwatch {_fmt(bow_scores(silver, {d.doc_id: text(d) for d in orange}))}")
    print(f"  trafilatura {trafilatura.__version__} defaults "
          f"{_fmt(bow_scores(silver, {d.doc_id: trafilatura.extract(bodies[('orange', d.doc_id)]) for d in orange}))}")

    # --- language
    print("\n== language assigned by extract_article (.language)")
    for name, subset in (("trafilatura_eval", traf), ("orangesum", orange)):
        by_lang: dict[str, list[int]] = {}
        wrong = []
        for d in subset:
            art = results[(d.subset, d.doc_id)]
            got = art.language if art is not None else None
            expected = d.truth["lang"]
            by_lang.setdefault(expected, []).append(int(got == expected))
            if got != expected:
                wrong.append(f"{d.doc_id}:{got}")
        parts = [f"{lang} {sum(v)}/{len(v)}" for lang, v in sorted(by_lang.items())]
        total = sum(sum(v) for v in by_lang.values()), sum(len(v) for v in by_lang.values())
        print(f"  {name:<17} {' '.join(parts)}  overall {total[0]}/{total[1]} = {total[0] / total[1]:.3f}"
              + (f"  wrong: {wrong[:8]}" if wrong else ""))

    # --- throughput
    extracted = sum(1 for a in results.values() if a is not None)
    print(f"\n== throughput: {len(docs)} pages extracted in {seconds:.1f} s = {len(docs) / seconds:.1f} pages/s "
          f"(one process; {extracted} with text, {len(docs) - extracted} None)")
    mb = sum(len(b) for b in bodies.values()) / 1e6
    print(f"   {mb:.1f} MB of HTML, {mb / seconds:.2f} MB/s")
    workers = os.cpu_count() or 1
    if workers > 1:
        started = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_extract_pair, [(bodies[(d.subset, d.doc_id)], d.url) for d in docs], chunksize=8))
        both = time.perf_counter() - started
        print(f"   {workers} processes: {len(docs) / both:.1f} pages/s (process start-up included)")


def _extract_pair(pair: tuple[bytes, str]) -> bool:
    return extract_article(*pair) is not None


if __name__ == "__main__":
    main()
