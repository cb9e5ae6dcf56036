"""Polling benchmark: 1,000 feeds (copies of the corpus feeds) on a local server, 50 ms per response.

Prints: first poll wall time against a sequential `feedparser.parse(url)` loop over the same URLs
(measured in the same run), the second poll with nothing changed (share of 304s, wall time, and the
time beyond the network delays), and peak memory of the polling process.

    .venv/bin/python benchmarks/fetch_bench.py [--feeds 1000] [--delay 0.05] [--hosts 100] [--concurrency 16]

The server runs in a child process (so its memory and CPU are not counted as techwatch's) and
listens on many loopback addresses (127.0.1.1, 127.0.1.2, ...) so that per-host politeness
applies as it would across real sites.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FEED_SUFFIXES = {".xml", ".atom", ".rdf", ".json"}


def serve(feeds: list[Path], count: int, hosts: int, delay: float, urls: multiprocessing.Queue,
          stop: multiprocessing.Event) -> None:
    """Child process: start `hosts` servers and spread `count` feed copies over them."""
    from _support import FeedServer

    servers = [FeedServer(f"127.0.1.{i + 1}").start() for i in range(hosts)]
    out = []
    for n in range(count):
        path = feeds[n % len(feeds)]
        server = servers[n % hosts]
        out.append(server.add(f"/{n}/{path.name}", path.read_bytes(), etag=True, delay=delay))
    urls.put(out)
    stop.wait()
    for server in servers:
        server.stop()


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    feeds = sorted(p for p in (args.corpus / "feeds").iterdir() if p.is_file() and p.suffix in FEED_SUFFIXES)

    urls_q: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=serve, args=(feeds, args.feeds, args.hosts, args.delay, urls_q, stop))
    child.start()
    urls = urls_q.get(timeout=120)

    from watch.config import load_config
    from watch.http.client import make_client
    from watch.pipeline import refresh_all
    from watch.store import open_archive

    workdir = Path(tempfile.mkdtemp(prefix="techwatch-fetchbench-"))
    sources = "\n".join(f"  - name: feed-{n}\n    url: {url}" for n, url in enumerate(urls))
    (workdir / "feeds.yaml").write_text(
        f"settings:\n  database: watch.db\n  fetch: {{concurrency: {args.concurrency}, per_host: {args.per_host}}}\n"
        f"sources:\n{sources}\n", encoding="utf-8")
    config = load_config(workdir / "feeds.yaml")
    archive = open_archive(config.settings.database)
    rss_before = peak_rss_mib()

    with make_client(config.settings.fetch) as client:
        t = time.perf_counter()
        first = refresh_all(config, archive, client)
        first_wall = time.perf_counter() - t
        t = time.perf_counter()
        second = refresh_all(config, archive, client, force=True)
        second_wall = time.perf_counter() - t
    rss_after = peak_rss_mib()
    items = archive.counts()["items"]
    statuses = archive.db.execute("SELECT last_status, COUNT(*) FROM sources GROUP BY last_status").fetchall()
    archive.close()

    baseline_wall = None
    if not args.skip_baseline:
        import feedparser

        t = time.perf_counter()
        baseline_items = sum(len(feedparser.parse(url).entries) for url in urls)
        baseline_wall = time.perf_counter() - t
    stop.set()
    child.join(timeout=30)

    n = len(urls)
    network_floor = n * args.delay / min(args.concurrency, args.hosts * args.per_host)
    failed = [r for r in first if r.status not in ("new", "unchanged")]
    print(f"feeds: {n} on {args.hosts} hosts, {args.delay * 1000:.0f} ms per response, "
          f"concurrency {args.concurrency}, per host {args.per_host}")
    print(f"first poll:  {first_wall:.2f} s, {items} items stored, {len(failed)} failures")
    if baseline_wall is not None:
        print(f"sequential feedparser.parse(url) loop: {baseline_wall:.2f} s ({baseline_items} entries) -> "
              f"techwatch is {baseline_wall / first_wall:.1f}x faster")
    not_modified = sum(1 for r in second if r.status == "unchanged")
    print(f"second poll: {second_wall:.2f} s, {not_modified}/{n} unchanged ({100 * not_modified / n:.1f}%), "
          f"HTTP statuses stored {dict(statuses)}; network floor {network_floor:.2f} s -> "
          f"{second_wall - network_floor:.2f} s of work beyond the delays")
    print(f"peak RSS: {rss_after:.0f} MiB (before polling {rss_before:.0f} MiB)")


if __name__ == "__main__":
    main()
