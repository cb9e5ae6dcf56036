"""End-to-end figures on the 40 corpus feeds: items, summaries, tags, wall time, fidelity, a digest excerpt.

Serves ../shared/corpus/feeds (and its feedparser edge cases: undeclared legacy encodings) from a real
HTTP server on 127.0.0.1, builds a feeds.yaml with the shipped taxonomy, runs one full cycle with the
real model, then a second cycle (which must add nothing), and prints the figures. Fidelity counts what
a reader would see wrong: titles showing markup, digest and search links that differ from the link
the feed published, stories that merge untitled items with different links and content, and text
decoded as mojibake.

    .venv/bin/python benchmarks/corpus_run.py [--corpus ../shared/corpus] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from _support import FeedServer

from watch import pipeline
from watch.config import load_config
from watch.dedup import clean_link, is_placeholder_title
from watch.digest.build import make_digest
from watch.digest.render import render
from watch.http.client import make_client
from watch.records import Period
from watch.store import open_archive

ROOT = Path(__file__).resolve().parent.parent

FEED_SUFFIXES = {".xml", ".atom", ".rdf", ".json"}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--keep", type=Path, help="keep the archive and digest in this folder")
    args = parser.parse_args()
    folders = [args.corpus / "feeds", args.corpus / "feeds" / "edge_cases_feedparser"]
    feeds = sorted(p for folder in folders if folder.is_dir() for p in folder.iterdir()
                   if p.is_file() and p.suffix in FEED_SUFFIXES)
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
    print_fidelity(archive, digest, published_links(feeds, server))
    text = render(digest, "md")
    (workdir / "digest.md").write_text(text, encoding="utf-8")
    print(f"\n--- digest excerpt ({workdir / 'digest.md'}) ---")
    print("\n".join(text.splitlines()[:40]))
    archive.close()


# Markup a reader would see in a title: a tag, or an entity left encoded.
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
# UTF-8 read as Latin-1/cp1252 (Ã©, â€™, Ð°...), or bytes no decoder could place.
MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€|Ð[\u0080-\u00bf]|Ñ[\u0080-\u00bf]|\ufffd")


def published_links(feeds: list[Path], server: FeedServer) -> dict[str, set[str]]:
    """Each source's links as its feed published them, read by feedparser itself, minus tracking parameters."""
    links: dict[str, set[str]] = {}
    for path in feeds:
        content = path.read_bytes()
        if content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":  # JSON Feed: feedparser 6 reads none
            items = json.loads(content.decode("utf-8-sig")).get("items") or []
            raw = [str(i.get("url") or i.get("external_url") or "") for i in items if isinstance(i, dict)]
        else:
            parsed = feedparser.parse(content, response_headers={"content-location": server.url("/" + path.name)})
            raw = [e.get("feedburner_origlink") or e.get("link", "") or "" for e in parsed.entries]
        links[path.stem] = {clean_link(url) for url in raw}
    return links


def print_fidelity(archive, digest, links: dict[str, set[str]]) -> None:
    """What the reader sees against what the feeds said (see the module docstring)."""
    db = archive.db
    items = db.execute("SELECT id, title, url, content, cluster_id, source, canonical_url FROM items").fetchall()
    source_of = {row[0]: row[5] for row in items}
    # The published link is what the feed says, not what the archive stored: the stored link is under test.
    published = {row[0]: (row[2] or "") if (row[2] or "") in links.get(row[5], set()) else "(not in the feed)"
                 for row in items}
    strays = [row for row in items if published[row[0]] == "(not in the feed)"]
    print(f"\nfidelity: stored links that are not a link of the feed: {len(strays)} of {len(items)}")
    for row in strays[:3]:
        print(f"    {source_of[row[0]]}: {row[2]!r}")
    markup = [row for row in items if MARKUP.search(row[1] or "")]
    print(f"fidelity: titles with markup: {len(markup)} of {len(items)}")
    for row in markup[:5]:
        print(f"    {row[5]}: {row[1][:90]!r}")
    shown = [i for s in digest.sections for i in s.items] + list(digest.also)
    digest_diff = [i for i in shown if i.url != published.get(i.id)]
    print(f"fidelity: digest links differing from the published link: {len(digest_diff)} of {len(shown)}")
    for i in digest_diff[:3]:
        print(f"    {published.get(i.id)!r} shown as {i.url!r}")
    details = archive.hit_details([row[0] for row in items], None)
    search_diff = [k for k, d in details.items() if d["url"] != published[k]]
    print(f"fidelity: search links differing from the published link: {len(search_diff)} of {len(details)}")
    untitled: dict[str, list] = {}
    for row in items:
        if is_placeholder_title(row[1]) and row[4]:
            untitled.setdefault(row[4], []).append(row)
    merged = [rows for rows in untitled.values()
              if len({r[6] for r in rows}) > 1 and len({(r[3] or "")[:500] for r in rows}) > 1]
    print(f"fidelity: stories merging untitled items with different links and content: {len(merged)} "
          f"({sum(len(r) for r in merged)} items)")
    garbled = [row for row in items if MOJIBAKE.search((row[1] or "") + (row[3] or "")[:2000])]
    print(f"fidelity: items with mojibake or undecodable text: {len(garbled)}")
    for row in garbled[:5]:
        print(f"    {row[5]}: {row[1][:70]!r}")


if __name__ == "__main__":
    main()
