"""End-to-end figures on the 40 corpus feeds: items, summaries, tags, wall time, a digest excerpt.

Serves ../shared/corpus/feeds from a real HTTP server on 127.0.0.1, builds a feeds.yaml with the
shipped taxonomy, runs one full cycle with the real model, then a second cycle (which must add
nothing), and prints the figures.

    .venv/bin/python benchmarks/corpus_run.py [--corpus ../shared/corpus] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's local HTTP server

from httpserver import FeedServer  # noqa: E402

from watch import pipeline  # noqa: E402
from watch.config import load_config  # noqa: E402
from watch.digest import make_digest, parse_period, render_markdown  # noqa: E402
from watch.fetch import make_client  # noqa: E402
from watch.store import open_archive  # noqa: E402

FEED_SUFFIXES = {".xml", ".atom", ".rdf", ".json"}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--keep", type=Path, help="keep the archive and digest in this folder")
    args = parser.parse_args()
    feeds = sorted(p for p in (args.corpus / "feeds").iterdir() if p.is_file() and p.suffix in FEED_SUFFIXES)
    if not feeds:
        sys.exit(f"no feeds under {args.corpus / 'feeds'}")

    server = FeedServer()
    for path in feeds:
        server.add(f"/{path.name}", path.read_bytes(), etag=True)
    server.start()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="techwatch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    shipped = (ROOT / "feeds.yaml").read_text(encoding="utf-8")
    taxonomy = shipped[shipped.index("\ntags:"):shipped.index("\nsources:")]
    sources = "\n".join(f"  - name: {p.stem}\n    url: {server.url('/' + p.name)}" for p in feeds)
    config_path = workdir / "feeds.yaml"
    config_path.write_text(f"settings:\n  database: watch.db\n{taxonomy}\nsources:\n{sources}\n", encoding="utf-8")
    config = load_config(config_path)
    archive = open_archive(config.settings.database)

    started = time.perf_counter()
    load_seconds = []

    def models() -> pipeline.Models:
        t = time.perf_counter()
        loaded = pipeline.load_models(config)
        load_seconds.append(time.perf_counter() - t)
        return loaded

    with make_client(config.settings.fetch) as client:
        first = pipeline.run_cycle(config, archive, client, models)
        wall = time.perf_counter() - started
        t = time.perf_counter()
        second = pipeline.run_cycle(config, archive, client, models)
        second_wall = time.perf_counter() - t
    server.stop()

    counts = archive.counts()
    db = archive.db
    tagged = db.execute("SELECT COUNT(DISTINCT item_id) FROM item_tags").fetchone()[0]
    langs = db.execute("SELECT language, COUNT(*) FROM items GROUP BY language ORDER BY 2 DESC").fetchall()
    top_tags = db.execute("SELECT tag, COUNT(*) FROM item_tags GROUP BY tag ORDER BY 2 DESC").fetchall()
    print(f"feeds served: {len(feeds)}; sources failed: {first.failed_sources} "
          f"{[s.source + ': ' + (s.error or '') for s in first.sources if s.status == 'failed']}")
    print(f"items: {counts['items']}  summaries: {counts['summaries']}  tag rows: {counts['item_tags']} "
          f"(items with >=1 tag: {tagged})  processed: {first.processed.processed}  failed: {first.processed.failed}")
    print(f"first run wall time: {wall:.1f} s (model load {sum(load_seconds):.1f} s; "
          f"{first.processed.processed / max(wall - sum(load_seconds), 1e-9):.1f} items/s after load)")
    print(f"second run: {second.new_items} new items, {second.processed.processed} processed, "
          f"{second_wall:.2f} s, model loads in total: {len(load_seconds)}")
    print(f"languages: {langs}")
    print(f"tags: {top_tags}")

    items = archive.items_between(parse_period(since="100000d").start, parse_period(since="1d").end)
    digest = make_digest(items, config.tags, parse_period(since="100000d"))
    text = render_markdown(digest)
    (workdir / "digest.md").write_text(text, encoding="utf-8")
    print(f"\n--- digest excerpt ({workdir / 'digest.md'}) ---")
    print("\n".join(text.splitlines()[:40]))
    archive.close()


if __name__ == "__main__":
    main()
