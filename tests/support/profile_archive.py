"""An archive for digest profiles: a real SQLite file whose items carry document vectors of a real embedding model.

Week 2026-W47 has three machine-learning stories and three security stories, one source each, all
at about the same time, so relevance decides the ranking. feeds.yaml has two profiles, `ml-team` and
`security`, with interests of their own and no tag filter: what each digest leads with comes only
from ranking the stored vectors against its interests.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from digest_archive import MONDAY, WEEK, open_with, save_entries

from watch.nlp.relevance import RelevanceScorer
from watch.records import (
    Article,
    Config,
    DocVector,
    Entry,
    ModelOutput,
    Summary,
    TagScore,
)
from watch.store import Archive

__all__ = ["ML", "SECURITY", "WEEK", "build"]

CONFIG = """\
settings:
  database: watch.db
  digest: {directory: digests, max_items: 3, max_also: 0, per_source: 3, relevance_floor: 0,
           formats: [md, html, text, atom]}
interests: European cloud providers and digital sovereignty
tags:
  - name: llm
    description: Large language models
  - name: security
    description: Security vulnerabilities and privacy
sources:
  - name: Wire
    url: https://wire.example/rss
  - name: Blog
    url: https://blog.example/feed
  - name: Veille
    url: https://veille.example/atom
digests:
  - name: ml-team
    title: ML watch
    interests: "open-weights language models we could self-host; GPU inference cost"
  - name: security
    title: Security watch
    interests: "software vulnerabilities and security advisories; data protection and privacy fines"
"""

ML = ("Open-weights 70B language model released for self-hosting",
      "Cheaper GPU inference for large language models",
      "Fine-tuning an open model on a single GPU")
SECURITY = ("Critical vulnerability in OpenSSL patched",
            "Privacy regulator fines a data broker for GDPR violations",
            "Security advisory: supply-chain attack on npm packages")

# (source, id, title, hour, tag, summary)
ITEMS = [
    ("Wire", "ml-1", ML[0], 9, "llm", "The lab published the weights of a 70B model that runs on two GPUs."),
    ("Blog", "ml-2", ML[1], 10, "llm", "A new serving engine cuts the cost of inference on GPUs."),
    ("Veille", "ml-3", ML[2], 11, "llm", "Fine-tuning with adapters fits a language model on one GPU."),
    ("Wire", "sec-1", SECURITY[0], 12, "security", "A remote code execution flaw affects OpenSSL servers."),
    ("Blog", "sec-2", SECURITY[1], 13, "security", "The data protection authority fined a data broker."),
    ("Veille", "sec-3", SECURITY[2], 14, "security", "Malicious npm packages stole credentials from developers."),
]


def build(tmp_path: Path, embedder) -> tuple[Config, Archive]:
    """Write the config and fill the archive, each item's document vector computed by `embedder`."""
    config, archive, fetched = open_with(tmp_path, CONFIG)
    by_source: dict[str, list[Entry]] = {}
    for source, item_id, title, hour, _tag, _summary in ITEMS:
        by_source.setdefault(source, []).append(Entry(
            id=item_id, source=source, guid=item_id, url=f"https://{item_id}.example/post",
            canonical_url=f"https://{item_id}.example/post", title=title, author=None,
            published=MONDAY + timedelta(days=2, hours=hour), feed_html="<p>text</p>"))
    save_entries(archive, by_source, fetched)
    texts = [f"{title}. {summary}" for _s, _i, title, _h, _t, summary in ITEMS]
    vectors = embedder.encode(texts)
    stored = RelevanceScorer(embedder, config.interests).best(vectors)  # relevance to the top-level interests
    for (_source, item_id, _title, _hour, tag, summary), text, vector, (score, topic) in zip(
            ITEMS, texts, vectors, stored, strict=True):
        doc = DocVector(hashlib.sha256(text.encode()).hexdigest(), embedder.name, vector)
        archive.save_processed(item_id, Article(text=summary), ModelOutput(
            Summary(summary, "test"), (TagScore(tag, 0.8),), "test", doc=doc, relevance=score,
            relevance_topic=topic), fetched)
    archive.save_clusters({item_id: item_id for _s, item_id, *_ in ITEMS}, {}, None, fetched)
    return config, archive
