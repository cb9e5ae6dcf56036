"""Digest build time on a generated archive of 100,000 items over two years (and on any given archive).

The archive is generated through the store's own API (sources, items, summaries, tags, story
clusters, relevance), then a weekly digest is built and rendered in every format several times;
the figures are the median. A baseline in the same process: the same week's items read with one
plain SELECT (what any digest must at least do).

    .venv/bin/python benchmarks/digest_bench.py [--items 100000] [--archive path/to/watch.db --config feeds.yaml]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watch.config import load_config
from watch.digest.build import parse_period
from watch.digest.render import render, render_atom
from watch.pipeline import build_digest
from watch.records import Article, Entry, FetchResult, ModelOutput, ParsedFeed, Summary, TagScore
from watch.store import open_archive

ROOT = Path(__file__).resolve().parent.parent

TAGS = ["llm", "agents", "mlops", "cloud-ai", "security", "privacy", "regulation", "sovereignty", "research",
        "devtools"]
WORDS = ["model", "agents", "inference", "GPU", "open", "weights", "regulation", "privacy", "cloud", "security",
         "benchmark", "release", "framework", "sovereign", "compliance", "dataset", "training", "serving"]


def generate(directory: Path, items: int, sources: int = 200, seed: int = 7) -> Path:
    """Write feeds.yaml and fill watch.db with `items` processed items over two years; return the config path."""
    rng = random.Random(seed)
    taxonomy = ROOT / "feeds.yaml"
    shipped = taxonomy.read_text(encoding="utf-8")
    names = [f"source-{n:03d}" for n in range(sources)]
    lines = [shipped[shipped.index("\ntags:"):shipped.index("\nsources:")].strip(), "sources:"]
    lines += [f"  - name: {name}\n    url: https://{name}.example/feed.xml" for name in names]
    config_path = directory / "feeds.yaml"
    config_path.write_text("settings:\n  database: watch.db\ninterests: open models; AI Act\n" + "\n".join(lines)
                           + "\n", encoding="utf-8")
    config = load_config(config_path, environ={})
    archive = open_archive(config.settings.database)
    end = datetime(2026, 11, 23, tzinfo=UTC)
    start = end - timedelta(days=730)
    archive.sync_sources(config.sources, start)
    entries: dict[str, list[Entry]] = {name: [] for name in names}
    for n in range(items):
        when = start + timedelta(seconds=rng.uniform(0, 730 * 86400))
        title = " ".join(rng.choices(WORDS, k=8)).capitalize()
        source = rng.choice(names)
        entries[source].append(Entry(id=f"i{n:07d}", source=source, guid=str(n), url=f"https://x.example/{n}",
                                     canonical_url=f"https://x.example/{n}", title=title, author=None,
                                     published=when, feed_html="<p>x</p>"))
    for source, batch in entries.items():
        archive.save_refresh(source, FetchResult(url="u", final_url="u", status=200),
                             ParsedFeed(source, "", "en", tuple(batch)), source, end, end)
    clusters: dict[str, str] = {}
    for batch in entries.values():
        for entry in batch:
            text = " ".join(rng.choices(WORDS, k=60)) + "."
            tags = tuple(TagScore(t, round(rng.uniform(0.5, 0.9), 3)) for t in rng.sample(TAGS, rng.randint(0, 2)))
            output = ModelOutput(Summary(text[:300], "bench"), tags, "bench", relevance=round(rng.random(), 3))
            archive.save_processed(entry.id, Article(text=text), output, end)
            # about one story in ten is told by two items
            clusters[entry.id] = f"c{int(entry.id[1:]) // 2:07d}" if rng.random() < 0.1 else entry.id
    archive.save_clusters(clusters, {}, None, end)
    archive.close()
    return config_path


def measure(config_path: Path, week: str, repeat: int = 5) -> None:
    """Print the median time to build the week's digest and render it (md, html, text, atom)."""
    config = load_config(config_path, environ={})
    archive = open_archive(config.settings.database)
    period = parse_period(week=week)
    counts = archive.counts()
    build, rendered, baseline = [], [], []
    for _ in range(repeat):
        started = time.perf_counter()
        archive.db.execute("SELECT id, title, url, source, published FROM items WHERE published >= ? AND "
                           "published < ?", [period.start.isoformat(), period.end.isoformat()]).fetchall()
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        digest = build_digest(config, archive, period)
        build.append(time.perf_counter() - started)
        started = time.perf_counter()
        for fmt in ("md", "html", "text"):
            render(digest, fmt)
        render_atom(archive.digest_records(), feed_id="urn:bench")
        rendered.append(time.perf_counter() - started)
    total = statistics.median(b + r for b, r in zip(build, rendered, strict=True))
    print(f"archive: {counts['items']} items; week {week}: {digest.item_count} items, {digest.story_count} stories")
    print(f"  build digest  : {statistics.median(build) * 1000:8.1f} ms (median of {repeat})")
    print(f"  render 3 + feed: {statistics.median(rendered) * 1000:8.1f} ms")
    print(f"  total         : {total * 1000:8.1f} ms   (target < 3000 ms)")
    print(f"  baseline: one SELECT of the week's items {statistics.median(baseline) * 1000:.1f} ms "
          f"(digest = {total / max(statistics.median(baseline), 1e-9):.0f}x that)")
    archive.close()


def main() -> None:
    """Generate (or take) an archive and print digest build figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--config", type=Path, help="measure an existing archive: its feeds.yaml")
    parser.add_argument("--week", default="2026-W47")
    args = parser.parse_args()
    if args.config:
        measure(args.config, args.week)
        return
    with tempfile.TemporaryDirectory(prefix="techwatch-digest-") as tmp:
        started = time.perf_counter()
        config_path = generate(Path(tmp), args.items)
        size = (Path(tmp) / "watch.db").stat().st_size
        print(f"generated {args.items} items in {time.perf_counter() - started:.0f} s, {size / 2**20:.0f} MiB")
        measure(config_path, args.week)
        measure(config_path, "2025-W20")


if __name__ == "__main__":
    main()
