"""Soak test in compressed time: thousands of poll cycles against a local server, bounded, stopping by itself.

Twenty feeds on a real HTTP server on 127.0.0.1 gain items as cycles go by (a few per cycle),
some answer 500 for a while, some answer 304. Every cycle polls every source (`run --all`,
intervals ignored: that is the compressed time), processes what is new with the real models
(loaded once), and every 100 cycles writes a digest. Prints resident memory and database size
at the start, every 500 cycles and at the end, and checks the archive at the end (one row per
item, every item processed, FTS rows match, integrity_check ok).

    .venv/bin/python benchmarks/soak.py [--cycles 2000] [--feeds 20]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from _support import FeedServer, rss, shipped_taxonomy

from watch import pipeline
from watch.config import load_config
from watch.digest.build import parse_period
from watch.http.client import make_client
from watch.store import open_archive

ROOT = Path(__file__).resolve().parent.parent

WORDS = ["model", "agents", "inference", "GPU", "open", "weights", "regulation", "privacy", "cloud", "security",
         "benchmark", "release", "framework", "sovereign", "compliance", "dataset", "training", "serving"]


def rss_mib() -> float:
    """Current resident set size in MiB (from /proc), or the peak where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the soak and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--feeds", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(3)
    server = FeedServer().start()
    items: dict[int, list[dict[str, str]]] = {n: [] for n in range(args.feeds)}
    serial = 0

    def publish(feed: int) -> None:
        nonlocal serial
        serial += 1
        title = " ".join(rng.choices(WORDS, k=6)).capitalize() + f" {serial}"
        body = ". ".join(" ".join(rng.choices(WORDS, k=12)).capitalize() for _ in range(6)) + "."
        items[feed].insert(0, {"title": title, "link": f"https://soak.example/{serial}", "guid": str(serial),
                               "description": f"<p>{body}</p>"})
        del items[feed][30:]  # a feed shows its latest 30 entries, like most do
        server.add(f"/f{feed}.xml", rss(f"Feed {feed}", items[feed]), etag=True)

    for feed in range(args.feeds):
        publish(feed)
    with tempfile.TemporaryDirectory(prefix="techwatch-soak-") as tmp:
        workdir = Path(tmp)
        sources = "\n".join(f"  - name: feed-{n}\n    url: {server.url(f'/f{n}.xml')}\n    extract: never"
                            for n in range(args.feeds))
        (workdir / "feeds.yaml").write_text(
            f"settings:\n  database: watch.db\n  fetch: {{timeout: 5}}\n  digest: {{directory: digests}}\n"
            f"interests: open models; GPU prices\n{shipped_taxonomy()}\nsources:\n{sources}\n", encoding="utf-8")
        config = load_config(workdir / "feeds.yaml", environ={})
        archive = open_archive(config.settings.database)
        models = pipeline.load_once(lambda: pipeline.load_models(config))
        started = time.perf_counter()
        start_rss = None
        with make_client(config.settings.fetch) as client:
            for cycle in range(1, args.cycles + 1):
                for feed in rng.sample(range(args.feeds), k=rng.randint(0, 3)):
                    publish(feed)
                broken = cycle % 97 < 3  # now and then a source fails for a few cycles
                if broken:
                    server.add("/f0.xml", "oops", status=500)
                elif cycle % 97 == 3:
                    server.add("/f0.xml", rss("Feed 0", items[0]), etag=True)
                pipeline.run_cycle(config, archive, client, models, force=True)
                if cycle % 100 == 0:
                    pipeline.write_digest(config, archive, parse_period(week="current"))
                if cycle == 1:
                    start_rss = rss_mib()
                    print(f"cycle 1: {rss_mib():.0f} MiB resident (models loaded), "
                          f"database {config.settings.database.stat().st_size / 2**20:.2f} MiB")
                if cycle % 500 == 0 or cycle == args.cycles:
                    counts = archive.counts()
                    print(f"cycle {cycle}: {rss_mib():.0f} MiB resident, database "
                          f"{config.settings.database.stat().st_size / 2**20:.2f} MiB, {counts['items']} items, "
                          f"{time.perf_counter() - started:.0f} s")
        db = archive.db
        done = db.execute("SELECT COUNT(*) FROM items WHERE status = 'done'").fetchone()[0]
        total = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        fts = db.execute("SELECT COUNT(*) FROM items_fts").fetchone()[0]
        runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        print(f"published {serial} items; archive {total} items ({done} done), {fts} FTS rows, {runs} runs rows; "
              f"integrity_check: {db.execute('PRAGMA integrity_check').fetchone()[0]}")
        print(f"resident memory: {start_rss:.0f} MiB after cycle 1 -> {rss_mib():.0f} MiB after {args.cycles}")
        archive.close()
    server.stop()


if __name__ == "__main__":
    main()
