"""A realistic week's digest before and after the length budget: stories, sources, floor, size, reading time, junk.

A CTO's week: the AI-vendor feeds (Anthropic, Mistral, OpenAI, xAI, the last with many items) and
general tech news (Hacker News, TechCrunch, NPR Technology) of the corpus, each cut to its newest
entries (WEEK_SOURCES) and re-dated into the last complete ISO week, in feed order, spread over
its seven days. The feeds are served from the test suite's HTTP server on 127.0.0.1, with the
shipped taxonomy and `interests:`; one real cycle (bundled model, CPU) fills the archive; article
pages are not fetched (`extract: never`), so the week is the corpus's own text and needs no network.

The week's digest is then built twice from the same archive:
  before  make_digest with the old behaviour: 25 full stories, every other story a one-line mention,
          no share per source, no relevance floor; its full stories summarized again as before the
          furniture rules (ExtractiveSummarizer(furniture=False), over the same stored text);
  after   pipeline.build_digest: this branch's settings.digest (12 full stories, 30 one-liners, 2 full
          stories per source, the relevance floor measured for the embedding model).

Figures, for each and after/before: full stories, one-line mentions, most full stories from one
source, full stories below the relevance floor (the after floor for both: relevance under it, one
source), HTML size (target 60 KB; Gmail clips a message at 102 KB), reading time, and the junk rate
of the full stories' summaries (summary_junk.py's detectors: bylines, datelines, headings, code, navigation,
fragments).

    .venv/bin/python benchmarks/digest_week.py [--corpus ../shared/corpus] [--keep DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import summary_junk
from _support import FeedServer

from watch import pipeline
from watch.config import load_config
from watch.digest.build import health_lines, make_digest, parse_period
from watch.digest.publish import digest_floor
from watch.digest.render import render
from watch.digest.select import below_floor, lead_source, reading_minutes, shown_texts
from watch.http.client import make_client
from watch.records import Config, Digest, DigestItem, Period
from watch.store import Archive, open_archive

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("TECHWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))

# (source name, corpus feed file, entries kept: the newest, in feed order)
WEEK_SOURCES = (
    ("xAI news", "ai_xai_news.rss.xml", 24),
    ("OpenAI news", "ai_openai_research_news.rss.xml", 10),
    ("Anthropic news", "ai_anthropic_news.rss.xml", 8),
    ("Mistral AI news", "ai_mistral_news.rss.xml", 8),
    ("Hacker News", "hn_frontpage_fullcontent.rss.xml", 12),
    ("TechCrunch", "techcrunch_wordpress_feedburner.rss.xml", 8),
    ("NPR Technology", "npr_technology.jsonfeed.json", 6),
)
# The old digest: 25 full stories, then every other story as a line; no share per source, no floor.
BEFORE = {"max_items": 25, "max_also": 1000, "per_source": 1000, "relevance_floor": None}
HTML_TARGET = 60 * 1024
GMAIL_CLIP = 102 * 1024
SHOWN_BEFORE = 25


def main() -> None:
    """Build the week, run one cycle, build both digests and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="the corpus folder holding feeds/ (default: $TECHWATCH_CORPUS or ../shared/corpus)")
    parser.add_argument("--keep", type=Path,
                        help="write before.html, after.html, feeds.yaml and the archive in this (new) folder")
    args = parser.parse_args()
    feeds = args.corpus / "feeds"
    if not feeds.is_dir():
        sys.exit(f"corpus not found: no folder {feeds} (set TECHWATCH_CORPUS or --corpus)")
    missing = [file for _, file, _ in WEEK_SOURCES if not (feeds / file).is_file()]
    if missing:
        sys.exit(f"corpus not found: {', '.join(missing)} missing under {feeds}")

    period = parse_period(week="last")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="techwatch-digest-week-"))
    if (workdir / "watch.db").exists():
        sys.exit(f"{workdir} already holds an archive (watch.db): give --keep a new folder")
    workdir.mkdir(parents=True, exist_ok=True)
    server = FeedServer()
    paths = {}
    for index, (name, file, keep) in enumerate(WEEK_SOURCES):
        paths[name] = f"/{file}"
        server.add(paths[name], week_feed((feeds / file).read_bytes(), keep, period, index), etag=True)
    server.start()
    config = week_config(workdir, {name: server.url(path) for name, path in paths.items()})
    archive = open_archive(config.settings.database)
    try:
        started = time.perf_counter()
        with make_client(config.settings.fetch) as client:
            report = pipeline.run_cycle(config, archive, client, lambda: pipeline.load_models(config))
        wall = time.perf_counter() - started
    finally:
        server.stop()

    items = archive.items_between(period.start, period.end)
    per_source = Counter(i.source for i in items)
    print(f"week {period.label} ({period.start:%Y-%m-%d} to {period.end - timedelta(days=1):%Y-%m-%d}): "
          f"{len(items)} items from {len(per_source)} sources ({', '.join(f'{s} {n}' for s, n in per_source.items())})")
    print(f"one cycle: {report.processed.processed} processed, {report.processed.failed} failed, "
          f"{report.failed_sources} sources failed, {wall:.1f} s (model included)")

    floor = digest_floor(config)
    before = with_old_summaries(old_digest(config, archive, period), config)
    after = pipeline.build_digest(config, archive, period)
    html_before, html_after = render(before, "html"), render(after, "html")
    print(f"relevance floor (after; used for 'below the floor' in both): {fmt_floor(floor)}; "
          f"after's settings.digest: max_items {config.settings.digest.max_items}, "
          f"max_also {config.settings.digest.max_also}, per_source {config.settings.digest.per_source}")
    print()
    # after: the digest's own estimate; before: the same texts counted here (shown_minutes)
    print_figures(figures(before, html_before, floor, shown_minutes(before)),
                  figures(after, html_after, floor, after.reading_minutes))
    if shown_minutes(after) != after.reading_minutes:
        print(f"note: after's texts counted here give {shown_minutes(after)} min, the digest says "
              f"{after.reading_minutes}: before's estimate is not counted the same way")
    print()
    print_stories("after: the full stories", full_stories(after), floor, with_why=True)
    print()
    print_stories(f"before: the first {SHOWN_BEFORE} full stories", full_stories(before)[:SHOWN_BEFORE], floor)
    if args.keep:
        (workdir / "before.html").write_text(html_before, encoding="utf-8")
        (workdir / "after.html").write_text(html_after, encoding="utf-8")
        print(f"\nkept in {workdir}: before.html, after.html, feeds.yaml, {config.settings.database.name}")
    archive.close()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


def week_feed(content: bytes, keep: int, period: Period, index: int) -> bytes:
    """A corpus feed cut to its first `keep` entries, re-dated into `period` in feed order (see entry_dates)."""
    if content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":  # JSON Feed
        document = json.loads(content.decode("utf-8-sig"))
        entries = document["items"][:keep]
        for entry, when in zip(entries, entry_dates(len(entries), period, index), strict=True):
            entry["date_published"] = entry["date_modified"] = when.isoformat()
        document["items"] = entries
        return json.dumps(document, ensure_ascii=False).encode("utf-8")
    blocks = list(re.finditer(rb"<item[\s>].*?</item>", content, re.DOTALL))
    if not blocks:
        raise ValueError("not an RSS feed with <item> entries")
    dates = entry_dates(min(keep, len(blocks)), period, index)
    parts = [content[:blocks[0].start()]]
    for n, block in enumerate(blocks):
        if n < len(dates):
            stamp = format_datetime(dates[n], usegmt=True).encode()
            parts.append(re.sub(rb"<pubDate>[^<]*</pubDate>", b"<pubDate>" + stamp + b"</pubDate>", block.group(0)))
        parts.append(content[block.end():blocks[n + 1].start()] if n + 1 < len(blocks) else content[block.end():])
    newest = format_datetime(dates[0], usegmt=True).encode()
    parts[0] = re.sub(rb"<lastBuildDate>[^<]*</lastBuildDate>", b"<lastBuildDate>" + newest + b"</lastBuildDate>",
                      parts[0])
    return b"".join(parts)


def entry_dates(count: int, period: Period, index: int) -> list[datetime]:
    """`count` dates in `period`, newest first (the first entry of a feed is its newest): one slot of the
    week each, shifted per source (`index`) so that the sources' items do not all share an hour."""
    slot = (period.end - period.start) / max(count, 1)
    offset = timedelta(minutes=53 * (index + 1)) % slot
    return [(period.start + slot * (count - 1 - n) + offset).replace(second=0, microsecond=0) for n in range(count)]


def week_config(workdir: Path, urls: dict[str, str]) -> Config:
    """feeds.yaml of the week in `workdir`: the shipped taxonomy and interests, the week's sources, this
    branch's default settings (the database in `workdir`); loaded."""
    shipped_path = ROOT / "feeds.yaml"
    shipped = shipped_path.read_text(encoding="utf-8")
    taxonomy = shipped[shipped.index("\ntags:"):shipped.index("\nsources:")]
    interests = load_config(shipped_path).interests
    sources = "\n".join(f"  - name: {json.dumps(name)}\n    url: {url}\n    extract: never"
                        for name, url in urls.items())
    path = workdir / "feeds.yaml"
    path.write_text(f"settings:\n  database: watch.db\ninterests: {json.dumps(interests)}\n{taxonomy}\n"
                    f"sources:\n{sources}\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k != "TECHWATCH_DATABASE"}  # the week's own archive
    return load_config(path, environ)


def old_digest(config: Config, archive: Archive, period: Period) -> Digest:
    """The period's digest as it was before the budget (BEFORE), from the inputs publish.build_digest reads."""
    items = archive.items_between(period.start, period.end)
    previous = archive.items_between(period.start - (period.end - period.start), period.start)
    releases = archive.releases_between(period.start, period.end)
    earlier = archive.versions_before(sorted({r.project for r in releases}), period.start)
    return make_digest(items, config.tags, period, sources=config.sources, previous=previous,
                       health=health_lines(archive.source_health()), releases=releases, earlier_versions=earlier,
                       **BEFORE)


def with_old_summaries(digest: Digest, config: Config) -> Digest:
    """The digest with each full story summarized as before this change: the summarizer without its
    furniture rules (`furniture=False`), over the same stored article text."""
    from watch.nlp.embedder import load_embedder
    from watch.nlp.summarize import ExtractiveSummarizer
    from watch.store import open_reader

    settings = config.settings.summarizer
    old = ExtractiveSummarizer(load_embedder(settings.model), sentences=settings.sentences,
                               max_chars=settings.max_chars, furniture=False)
    reader = open_reader(config.settings.database)
    try:
        details = {r.story.id: reader.item_detail(r.story.id) for r in digest.ranking if r.placement == "full"}
    finally:
        reader.close()
    made = old.summarize_many([(d.title, d.content, d.language) for d in details.values() if d])
    summaries = dict(zip([i for i, d in details.items() if d], (s.text for s in made), strict=True))
    ranking = tuple(dataclasses.replace(r, story=dataclasses.replace(r.story, summary=summaries[r.story.id]))
                    if r.story.id in summaries else r for r in digest.ranking)
    sections = tuple(dataclasses.replace(s, items=tuple(dataclasses.replace(i, summary=summaries.get(i.id, i.summary))
                                                        for i in s.items)) for s in digest.sections)
    return dataclasses.replace(digest, ranking=ranking, sections=sections)


def full_stories(digest: Digest) -> list[DigestItem]:
    """The digest's full stories in rank order (as placed by digest.select)."""
    return [r.story for r in digest.ranking if r.placement == "full"]


def shown_minutes(digest: Digest) -> int:
    """The reading-time estimate over the texts make_digest counts (digest.select.shown_texts)."""
    full = [i for s in digest.sections for i in s.items]
    return reading_minutes(shown_texts(full, digest.also, digest.releases, digest.health))


def figures(digest: Digest, html: str, floor: float | None, minutes: int) -> dict[str, float]:
    """The benchmark's figures of one digest (`minutes`: its reading-time estimate)."""
    full = full_stories(digest)
    shares = Counter(lead_source(s) for s in full)
    junk = [junk_kinds(s.summary, s.title) for s in full]
    kinds = Counter(k for found in junk for k in found)
    return {
        "full stories": len(full),
        "one-line mentions": len(digest.also),
        "max full stories from one source": max(shares.values(), default=0),
        "full stories below the floor": sum(below_floor(s, floor) for s in full),
        "HTML bytes": len(html.encode("utf-8")),
        "reading minutes": minutes,
        "summary junk rate (%)": 100 * sum(bool(k) for k in junk) / len(full) if full else 0.0,
        "  with a byline": kinds["byline"],
        "  with a dateline": kinds["dateline"],
        "  with a glued heading": kinds["heading"],
        "  fragments": kinds["fragment"],
        "collapsed source lines": len(digest.collapsed),
        "stories only counted (off-topic, hidden)": digest.off_topic + digest.hidden,
    }


def print_figures(before: dict[str, float], after: dict[str, float]) -> None:
    """One line per figure: before, after, after/before."""
    print(f"{'figure':44} {'before':>9} {'after':>9} {'after/before':>13}")
    for name, old in before.items():
        new = after[name]
        ratio = f"{new / old:.2f}" if old else "-"
        print(f"{name:44} {fmt_value(old):>9} {fmt_value(new):>9} {ratio:>13}")
    size = after["HTML bytes"]
    verdict = ("within" if size <= HTML_TARGET
               else "OVER, under Gmail's clip" if size <= GMAIL_CLIP else "OVER Gmail's clip and")
    print(f"after's HTML: {size / 1024:.1f} KB, {verdict} the {HTML_TARGET // 1024} KB target "
          f"(Gmail clips at {GMAIL_CLIP // 1024} KB); before: {before['HTML bytes'] / 1024:.1f} KB")


def print_stories(heading: str, stories: Sequence[DigestItem], floor: float | None, *, with_why: bool = False) -> None:
    """Numbered stories: title, source(s), relevance (and why), flags for the floor and summary junk."""
    print(f"--- {heading} ({len(stories)}) ---")
    for n, story in enumerate(stories, 1):
        relevance = "-" if story.relevance is None else f"{story.relevance:.2f}"
        flags = [*junk_kinds(story.summary, story.title), *(["below floor"] if below_floor(story, floor) else [])]
        print(f"{n:2}. {story.title[:90]}")
        print(f"    {', '.join(story.sources or (story.source,))} · relevance {relevance}"
              + (f" · {story.why}" if with_why else "") + (f"  [{', '.join(flags)}]" if flags else ""))


def fmt_value(value: float) -> str:
    """An integer as such, a rate with one decimal."""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def fmt_floor(floor: float | None) -> str:
    """The floor, or why there is none."""
    return "none (no interests)" if floor is None else f"{floor:.2f}"


def junk_kinds(summary: str, title: str = "") -> list[str]:
    """The kinds of junk in a summary, by benchmarks/summary_junk.py's detectors (which share no code with the
    summarizer): byline, dateline, heading, code, navigation, fragment."""
    return list(summary_junk.junk_kinds(summary, summary_junk.Doc("", title, "", None)))


if __name__ == "__main__":
    main()
