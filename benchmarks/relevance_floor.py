"""Relevance floor per embedding model: where on-topic and off-topic items of the labelled set part.

Data: benchmarks/data/tag_labels.jsonl (223 corpus items, hand-labelled; an item with no tag is off-topic
for the watch, see tag_labels.md), texts read from the corpus feeds as the pipeline reads them. Relevance
is what the pipeline stores: the best cosine between an item's document vector (the tagger's doc_text)
and the topics of the shipped feeds.yaml `interests`.

For each model it prints the share of off-topic items below each candidate floor and the share of
on-topic items kept above it, and the floor chosen: the one that parts the two best (Youden's J, the
largest "off-topic below + on-topic kept - 1"). The floor only keeps a story from being a full story; a
tagged story below it can still be a one-line mention, so a miss costs a line, not the story.
watch/nlp/relevance.py's RELEVANCE_FLOORS holds the result.

    .venv/bin/python benchmarks/relevance_floor.py [--corpus ../shared/corpus] [--models minilm use]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from watch.config import load_config
from watch.extract.article import article_from_feed
from watch.nlp.embedder import load_embedder
from watch.nlp.relevance import RelevanceScorer, relevance_floor
from watch.nlp.tagger import doc_text
from watch.sources.parse import parse_feed

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
CORPUS = Path(os.environ.get("TECHWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
MODELS = {"minilm": None, "use": "use-multilingual"}  # None: the bundled default


def labelled(corpus: Path) -> list[tuple[str, str, bool]]:
    """(title, text, on_topic) of every labelled item."""
    rows = [json.loads(line) for line in (DATA / "tag_labels.jsonl").read_text(encoding="utf-8").splitlines()]
    feeds: dict[str, dict] = {}
    out = []
    for row in rows:
        if row["feed"] not in feeds:
            path = corpus / "feeds" / row["feed"]
            feed = parse_feed(path.read_bytes(), source_name=path.name, base_url="https://example.org/")
            feeds[row["feed"]] = {entry.id: entry for entry in feed.entries}
        entry = feeds[row["feed"]][row["id"]]
        out.append((entry.title, article_from_feed(entry.feed_html, entry.language).text, bool(row["tags"])))
    return out


def best_floor(scores: np.ndarray, on_topic: np.ndarray) -> float:
    """The floor (2 decimals) with the largest Youden's J; the lowest of equals."""
    grid = np.round(np.arange(0.0, 1.0, 0.01), 2)
    j = [(scores[~on_topic] < f).mean() + (scores[on_topic] >= f).mean() - 1 for f in grid]
    return float(grid[int(np.argmax(j))])


def main() -> None:
    """Score the labelled set with each model and print the floors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS))
    args = parser.parse_args()
    if not (args.corpus / "feeds").is_dir():
        sys.exit(f"corpus not found at {args.corpus} (set TECHWATCH_CORPUS); this benchmark needs its feeds")
    interests = load_config(ROOT / "feeds.yaml").interests
    items = labelled(args.corpus)
    on_topic = np.array([on for *_, on in items])
    print(f"labelled items: {len(items)} ({int(on_topic.sum())} on-topic, {int((~on_topic).sum())} off-topic)")
    for key in args.models:
        embedder = load_embedder(MODELS[key])
        vectors = embedder.encode([doc_text(title, text) for title, text, _ in items])
        scores = np.array(RelevanceScorer(embedder, interests).score(vectors))
        print(f"\n{embedder.name}: relevance on-topic median {np.median(scores[on_topic]):.3f}, "
              f"off-topic median {np.median(scores[~on_topic]):.3f}")
        print("  floor   off-topic below   on-topic kept")
        for floor in np.arange(0.10, 0.46, 0.02):
            below = float((scores[~on_topic] < floor).mean())
            kept = float((scores[on_topic] >= floor).mean())
            print(f"  {floor:.2f}   {below:6.1%}            {kept:6.1%}")
        chosen = best_floor(scores, on_topic)
        print(f"  chosen (largest J): {chosen:.2f}; off-topic below it: {(scores[~on_topic] < chosen).mean():.1%}, "
              f"on-topic kept: {(scores[on_topic] >= chosen).mean():.1%}; "
              f"shipped for this model: {relevance_floor(embedder.name)}")


if __name__ == "__main__":
    main()
