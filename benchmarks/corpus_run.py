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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's local HTTP server

from httpserver import FeedServer  # noqa: E402

from watch import pipeline  # noqa: E402
from watch.config import load_config  # noqa: E402
from watch.digest import make_digest  # noqa: E402
from watch.fetch import make_client  # noqa: E402
from watch.models import Period  # noqa: E402
from watch.render import render  # noqa: E402
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
    load_calls = []

    def models() -> pipeline.Models:
        load_calls.append(1)
        return pipeline.load_models(config)

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
    print(f"first run wall time: {wall:.1f} s ({first.processed.processed / wall:.1f} items/s, model included)")
    print(f"second run: {second.new_items} new items, {second.processed.processed} processed, "
          f"{second_wall:.2f} s, model loads in total: {len(load_calls)}")
    clusters = db.execute("SELECT COUNT(DISTINCT cluster_id) FROM items").fetchone()[0]
    multi = db.execute("SELECT COUNT(*) FROM clusters WHERE source_count > 1").fetchone()[0]
    from_page = db.execute("SELECT COUNT(*) FROM items WHERE from_page = 1").fetchone()[0]
    decisions = db.execute("SELECT extract_decision, COUNT(*) FROM sources GROUP BY 1").fetchall()
    print(f"stories (clusters): {clusters} for {counts['items']} items; {multi} told by several sources")
    print(f"full text from pages: {from_page} items; extract decisions per source: {decisions}")
    print(f"languages: {langs}")
    print(f"tags: {top_tags}")

    everything = Period(datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC), "corpus")
    digest = make_digest(archive.items_between(everything.start, everything.end), config.tags, everything)
    text = render(digest, "md")
    (workdir / "digest.md").write_text(text, encoding="utf-8")
    print(f"\n--- digest excerpt ({workdir / 'digest.md'}) ---")
    print("\n".join(text.splitlines()[:40]))
    archive.close()


if __name__ == "__main__":
    main()
