"""Search latency, `stats` time and database size per item on a generated archive of 1,000,000 items.

The archive (300 sources, two years, en/fr, 0-3 tags of the shipped taxonomy, ~10% of the items in
multi-item stories) is generated through the store's own API: Archive.sync_sources, save_refresh,
save_processed and save_clusters, with many items per transaction (the methods' own transactions
nest as savepoints inside one `db.atomic()` per batch). Text is pseudo-words drawn from a Zipf-like
vocabulary made with a seeded RNG, plus ~40 tech terms at fixed document frequencies (rare "vllm",
common "model"..., symbol words C++, C#, .NET). After generation: FTS5 'optimize' and ANALYZE (the statements of
Archive.maintain(); its VACUUM only with --vacuum, as it rewrites the whole file).

Measured with the read-only reader (open_reader): 22 fixed searches through watch.query.search, one
warm-up then --repeat runs each, median per query and p50/p95 over queries and over all runs (target
p95 < 100 ms); baseline in the same process: the plain FTS5 `SELECT rowid FROM items_fts WHERE
items_fts MATCH ? ORDER BY rank LIMIT 20` of the same match expression (filters left out), the least
any search must do. Then archive_stats over 12 weeks and over everything, export throughput without
content, and the file size per item with a per-table breakdown from the dbstat virtual table.

    .venv/bin/python benchmarks/search_bench.py [--items 1000000] [--workdir /tmp/DIR] [--repeat 7] [--vacuum]
    .venv/bin/python benchmarks/search_bench.py --archive /tmp/DIR/watch.db     # measure again, no generation
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from watch.query.search import RANK_NEWEST, archive_stats, export, fts_match, search
from watch.records import Article, Entry, FetchResult, ModelOutput, ParsedFeed, SearchQuery, Source, Summary, TagScore
from watch.store import open_archive, open_reader

ROOT = Path(__file__).resolve().parent.parent

END = datetime(2026, 11, 23, tzinfo=UTC)  # the archive's newest item; "since 30d" is counted from here
DAYS = 730
SOURCES = 300
BATCH = 5000

# (term, share of documents holding it): a few common, most rare, as in a tech news archive.
TERMS = [
    ("model", 0.08), ("ai", 0.10), ("data", 0.06), ("cloud", 0.03), ("open source", 0.02), ("gpu", 0.02),
    ("inference", 0.015), ("llm", 0.03), ("agents", 0.02), ("training", 0.02), ("benchmark", 0.01),
    ("security", 0.02), ("privacy", 0.01), ("regulation", 0.008), ("open weights", 0.004), ("dataset", 0.01),
    ("kubernetes", 0.004), ("openai", 0.01), ("anthropic", 0.004), ("gemini", 0.004), ("llama", 0.005),
    ("mistral", 0.003), ("deepseek", 0.002), ("qwen", 0.0015), ("gpt-4o", 0.002), ("quantization", 0.001),
    ("quantized", 0.0008), ("vllm", 0.0005), ("sglang", 0.0002), ("rag", 0.003), ("mcp", 0.002),
    ("fine-tuning", 0.003), ("large language model", 0.006), ("transformer", 0.003), ("h100", 0.001),
    ("cuda", 0.001), ("tpu", 0.0008), ("ai act", 0.002), ("gdpr", 0.002), ("pytorch", 0.002),
    # Symbol words (indexed again as cplusplus, csharp, dotnet) and a lone letter c, which C++ must not find.
    ("C++", 0.002), ("C#", 0.001), (".NET", 0.001), ("series c", 0.001),
]
FR_TERMS = [("modèle", 0.08), ("données", 0.06), ("souveraineté", 0.01), ("réglementation", 0.01),
            ("intelligence artificielle", 0.05), ("apprentissage", 0.02)]
STOPWORDS = ["the", "of", "and", "to", "a", "in", "for", "is", "on", "that", "with", "as", "by", "at", "from",
             "this", "are", "be", "it", "an", "new", "its", "has", "will", "more"]
FR_STOPWORDS = ["le", "la", "les", "des", "de", "du", "une", "un", "et", "pour", "dans", "sur", "est", "avec"]
TAG_WEIGHTS = {"llm": 5, "agents": 3, "mlops": 2, "research": 3, "security": 2, "devtools": 2, "cloud-ai": 2,
               "regulation": 2, "privacy": 1, "sovereignty": 1}
SYLLABLES = ["ka", "lo", "mi", "ne", "ra", "to", "vu", "si", "de", "po", "ar", "en", "il", "or", "us", "ex",
             "tri", "pla", "gon", "ber", "cal", "dor", "fen", "gri", "hal", "jun", "kor", "lis", "mun", "nor"]


def taxonomy() -> list[str]:
    """The tag names of the shipped feeds.yaml (its `tags:` section)."""
    text = (ROOT / "feeds.yaml").read_text(encoding="utf-8")
    section = text[text.index("\ntags:"):text.index("\nsources:")]
    return re.findall(r"^  - name: (\S+)", section, flags=re.MULTILINE)


def vocabulary(rng: np.random.Generator, size: int = 4000) -> list[str]:
    """Stopwords first, then pseudo-words (longer as they get rarer), all distinct."""
    words, seen = list(STOPWORDS), set(STOPWORDS)
    while len(words) < size:
        syllables = 1 + min(4, int(len(words) / size * 4 + rng.integers(0, 2)))
        word = "".join(rng.choice(SYLLABLES, size=syllables + 1))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class TextMaker:
    """Titles and bodies as token-index matrices over vocabulary + tech terms, joined into strings."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        vocab = vocabulary(self.rng)
        self.base = len(vocab)
        self.words = np.array(vocab + [t for t, _ in TERMS] + [t for t, _ in FR_TERMS] + FR_STOPWORDS, dtype=object)
        ranks = np.arange(1, self.base + 1)
        self.p = (1 / ranks**1.05) / (1 / ranks**1.05).sum()
        self.terms = [(self.base + k, share) for k, (_, share) in enumerate(TERMS)]
        self.fr_terms = [(self.base + len(TERMS) + k, share) for k, (_, share) in enumerate(FR_TERMS)]
        self.fr_stop = self.base + len(TERMS) + len(FR_TERMS)

    def texts(self, n: int, width: int, lengths: np.ndarray, french: np.ndarray, title: bool) -> list[str]:
        """n texts of the given lengths (<= width tokens); tech terms put in at their document frequency
        (half as often in titles), French function words and terms in French texts."""
        rng = self.rng
        tokens = rng.choice(self.base, size=(n, width), p=self.p)
        fr_rows = np.flatnonzero(french)
        if len(fr_rows):
            mask = rng.random((len(fr_rows), width)) < 0.3
            stop = self.fr_stop + rng.integers(0, len(FR_STOPWORDS), size=(len(fr_rows), width))
            tokens[fr_rows] = np.where(mask, stop, tokens[fr_rows])
        for term_list, rows_of in ((self.terms, None), (self.fr_terms, fr_rows)):
            for index, share in term_list:
                pool = n if rows_of is None else len(rows_of)
                hits = np.flatnonzero(rng.random(pool) < (share / 2 if title else share))
                rows = hits if rows_of is None else rows_of[hits]
                cols = (rng.random(len(rows)) * lengths[rows]).astype(int)
                tokens[rows, cols] = index
        words = self.words[tokens]
        out = [" ".join(row[:length]) for row, length in zip(words.tolist(), lengths.tolist(), strict=True)]
        return [t[:1].upper() + t[1:] for t in out] if title else out


def generate(db_path: Path, items: int, seed: int = 11) -> None:
    """Fill a new archive at db_path with `items` processed items over two years, through the store API."""
    rng = np.random.default_rng(seed)
    maker = TextMaker(seed)
    names = [f"source-{n:03d}" for n in range(SOURCES)]
    source_p = 1 / (np.arange(SOURCES) + 5.0)
    source_p /= source_p.sum()
    tags = [t for t in taxonomy() if t in TAG_WEIGHTS] or list(TAG_WEIGHTS)
    tag_p = np.array([TAG_WEIGHTS[t] for t in tags], dtype=float)
    tag_p /= tag_p.sum()
    start = END - timedelta(days=DAYS)
    # Item dates sorted, so that every batch covers a stretch of time (as a real archive fills up).
    seconds = np.sort(rng.uniform(0, DAYS * 86400, size=items))
    archive = open_archive(db_path)
    archive.sync_sources([Source(name=name, url=f"https://{name}.example/feed.xml") for name in names], start)
    ok = FetchResult(url="u", final_url="u", status=200)
    started = time.perf_counter()
    story_left, story_id = 0, ""
    for first in range(0, items, BATCH):
        n = min(BATCH, items - first)
        french = rng.random(n) < 0.15
        titles = maker.texts(n, 10, rng.integers(6, 11, size=n), french, title=True)
        bodies = maker.texts(n, 120, rng.integers(80, 121, size=n), french, title=False)
        sources = rng.choice(SOURCES, size=n, p=source_p)
        tag_counts = rng.choice(4, size=n, p=[0.3, 0.4, 0.2, 0.1])
        entries: dict[str, list[Entry]] = {}
        rows = []
        for k in range(n):
            number = first + k
            item_id = f"i{number:07d}"
            when = start + timedelta(seconds=float(seconds[number]))
            source = names[sources[k]]
            language = "fr" if french[k] else "en"
            if story_left == 0 and rng.random() < 0.035:  # a story told by 2-4 items close in time
                story_left, story_id = int(rng.integers(2, 5)), item_id
            cluster = story_id if story_left else item_id
            title = titles[k]
            if story_left:
                story_left -= 1
                if cluster != item_id:  # same story, nearly the same title
                    title = titles[int(story_id[1:]) - first] if int(story_id[1:]) >= first else title
            entry = Entry(id=item_id, source=source, guid=str(number), url=f"https://{source}.example/{number}",
                          canonical_url=f"https://{source}.example/{number}", title=title, author=None,
                          published=when, feed_html="<p>" + bodies[k][:100] + "</p>", language=language)
            entries.setdefault(source, []).append(entry)
            chosen = rng.choice(len(tags), size=tag_counts[k], replace=False, p=tag_p) if tag_counts[k] else []
            scores = tuple(TagScore(tags[t], round(float(rng.uniform(0.5, 0.9)), 3)) for t in chosen)
            summary = " ".join(bodies[k].split()[:30])
            rows.append((item_id, bodies[k], language, ModelOutput(Summary(summary, "bench"), scores, "bench",
                                                                   relevance=round(float(rng.random()), 3)),
                         cluster))
        now = start + timedelta(seconds=float(seconds[first + n - 1]))
        with archive.db.atomic():
            for source, batch in entries.items():
                archive.save_refresh(source, ok, ParsedFeed(source, "", None, tuple(batch)), source, now, now)
            for item_id, body, language, output, _ in rows:
                archive.save_processed(item_id, Article(text=body, language=language), output, now)
            archive.save_clusters({r[0]: r[4] for r in rows}, {}, None, now)
        done = first + n
        if done % 100_000 == 0 or done == items:
            elapsed = time.perf_counter() - started
            print(f"  {done:>9,} items  {elapsed:6.0f} s  {done / elapsed:6.0f} items/s", flush=True)
    archive.close()


def finish(db_path: Path, vacuum: bool) -> None:
    """Merge the full-text index and ANALYZE (Archive.maintain() also VACUUMs: only with --vacuum)."""
    archive = open_archive(db_path)
    started = time.perf_counter()
    if vacuum:
        archive.maintain()
        print(f"maintain() (FTS optimize, ANALYZE, VACUUM): {time.perf_counter() - started:.0f} s")
    else:
        archive.maintain(vacuum=False)
        print(f"FTS optimize + ANALYZE (no VACUUM): {time.perf_counter() - started:.0f} s")
    archive.close()


def queries() -> list[tuple[str, SearchQuery]]:
    """The 22 searches measured: (label, query)."""
    month = END - timedelta(days=30)
    return [
        ("rare term", SearchQuery(text="vllm")),
        ("rarest term", SearchQuery(text="sglang")),
        ("common term", SearchQuery(text="model")),
        ("very common term", SearchQuery(text="ai")),
        ("two terms AND", SearchQuery(text="gpu inference")),
        ("two common terms", SearchQuery(text="model data")),
        ("phrase", SearchQuery(text='"open weights"')),
        ("3-word phrase", SearchQuery(text='"large language model"')),
        ("prefix*", SearchQuery(text="quantiz*")),
        ("OR", SearchQuery(text="llama OR mistral OR qwen")),
        ("NOT", SearchQuery(text="model NOT gpu")),
        ("common + --tag llm", SearchQuery(text="model", tags=("llm",))),
        ("rare + --tag mlops", SearchQuery(text="vllm", tags=("mlops",))),
        ("common + --since 30d", SearchQuery(text="model", since=month)),
        ("common + --source", SearchQuery(text="model", sources=("source-042",))),
        ("common --sort recent", SearchQuery(text="model", sort="recent")),
        ("French word", SearchQuery(text="souveraineté")),
        ("fr + --language fr", SearchQuery(text="modèle", language="fr")),
        ("no-hit word", SearchQuery(text="zyxwvutsrq")),
        ("hyphenated gpt-4o", SearchQuery(text="gpt-4o")),
        ("symbol C++", SearchQuery(text="C++")),
        ("symbol .NET + word", SearchQuery(text=".NET cloud")),
    ]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def timed(call, repeat: int) -> list[float]:
    """Seconds of `repeat` calls after one warm-up."""
    call()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return runs


def measure_search(db_path: Path, repeat: int) -> None:
    """Print per-query medians of search() and of the bare FTS5 baseline, and the percentiles."""
    reader = open_reader(db_path)
    items = reader.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    print(f"\nsearch over {items:,} items ({repeat} runs per query after one warm-up; ms)")
    print(f"  {'query':<22} {'text':<26} {'matches':>8} {'hits':>4} {'search':>8} {'p-max':>7} "
          f"{'baseline':>8} {'ratio':>6}")
    medians, every, base_medians = [], [], []
    for label, query in queries():
        match = fts_match(query.text or "")
        matches = reader.db.execute("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH ?", [match]).fetchone()[0]
        result = search(reader, query)
        runs = timed(lambda q=query: search(reader, q), repeat)
        base = timed(lambda m=match: reader.db.execute(
            "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rank LIMIT 20", [m]).fetchall(), repeat)
        median, base_median = statistics.median(runs), statistics.median(base)
        medians.append(median)
        base_medians.append(base_median)
        every += runs
        print(f"  {label:<22} {query.text:<26} {matches:>8,} {len(result.hits):>4} {median * 1000:8.1f} "
              f"{max(runs) * 1000:7.1f} {base_median * 1000:8.1f} {median / max(base_median, 1e-6):5.1f}x",
              flush=True)
    print(f"  over the {len(medians)} query medians: p50 {percentile(medians, .5) * 1000:.1f} ms, "
          f"p95 {percentile(medians, .95) * 1000:.1f} ms   (target p95 < 100 ms)")
    print(f"  over all {len(every)} runs    : p50 {percentile(every, .5) * 1000:.1f} ms, "
          f"p95 {percentile(every, .95) * 1000:.1f} ms")
    print(f"  baseline (bare FTS5)    : p50 {percentile(base_medians, .5) * 1000:.1f} ms, "
          f"p95 {percentile(base_medians, .95) * 1000:.1f} ms")
    # Past RANK_NEWEST matches a search ranks the newest ones (and says so); ranking them all costs this:
    print(f"  not in the {len(medians)}: every match ranked (--all-matches) instead of the newest {RANK_NEWEST:,}")
    for text, extra in (("model", {}), ("ai", {}), ("model", {"sources": ("source-042",)})):
        query = SearchQuery(text=text, all_matches=True, **extra)
        runs = timed(lambda q=query: search(reader, q), repeat)
        label = f"{text} --all-matches" + (" --source" if extra else "")
        print(f"  {label:<49} {statistics.median(runs) * 1000:8.1f} ms")
    reader.close()


def measure_stats(db_path: Path, export_rows: int) -> None:
    """Print archive_stats time over 12 weeks and over everything (median of 3), and export throughput."""
    reader = open_reader(db_path)
    until = END + timedelta(days=1)
    print("\nstats (archive_stats, median of 3 after one warm-up)")
    for label, since in (("last 12 weeks", until - timedelta(weeks=12)), ("all", None)):
        stats = archive_stats(reader, since, until)
        runs = timed(lambda s=since: archive_stats(reader, s, until), 3)
        print(f"  {label:<14} {stats.items:>9,} items  {len(stats.weeks):>3} weeks  "
              f"{statistics.median(runs) * 1000:8.0f} ms")
    if export_rows:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            got = sum(1 for _ in itertools.islice(export(reader, SearchQuery(), content=False), export_rows))
            runs.append(time.perf_counter() - started)
        rate = got / statistics.median(runs)
        print(f"  export --no-content: {got:,} rows in {statistics.median(runs):.2f} s = {rate:,.0f} rows/s "
              "(median of 3)")
    reader.close()


def measure_size(db_path: Path) -> None:
    """Print file size per item and, with dbstat, the space of each table and index."""
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    size = db_path.stat().st_size
    wal = Path(f"{db_path}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    print(f"\ndatabase size: {size / 2**30:.2f} GiB (+ WAL {wal_size / 2**20:.0f} MiB) for {items:,} items = "
          f"{size / max(items, 1):,.0f} bytes/item")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page_size
    print(f"  free pages (reclaimed by VACUUM): {free / 2**20:.0f} MiB; in use: {(size - free) / max(items, 1):,.0f} "
          "bytes/item")
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat WHERE aggregate = TRUE GROUP BY name "
                            "ORDER BY 2 DESC").fetchall()
    except sqlite3.Error as exc:
        print(f"  (no breakdown: dbstat unavailable: {exc})")
        conn.close()
        return
    for name, pages in rows:
        if pages >= size / 1000:
            print(f"  {name:<34} {pages / 2**20:9.1f} MiB  {pages / max(items, 1):7.0f} B/item  "
                  f"{pages / size:6.1%}")
    conn.close()


def main() -> None:
    """Generate (or take) an archive and print search, stats and size figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--archive", type=Path, help="measure an existing archive (no generation)")
    parser.add_argument("--workdir", type=Path, help="where to generate watch.db (default: a new dir under /tmp)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per query after the warm-up")
    parser.add_argument("--export-rows", type=int, default=100_000, help="0 skips the export figure")
    parser.add_argument("--vacuum", action="store_true", help="run Archive.maintain() (with VACUUM)")
    parser.add_argument("--only", choices=("search", "stats", "size"), help="measure only this")
    args = parser.parse_args()
    db_path = args.archive
    if db_path is None:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="techwatch-search-", dir="/tmp"))
        workdir.mkdir(parents=True, exist_ok=True)
        db_path = workdir / "watch.db"
        if db_path.exists():
            sys.exit(f"{db_path} exists: measure it with --archive {db_path}, or give another --workdir")
        print(f"generating {args.items:,} items into {db_path}", flush=True)
        started = time.perf_counter()
        generate(db_path, args.items)
        print(f"generated in {time.perf_counter() - started:.0f} s, {db_path.stat().st_size / 2**30:.2f} GiB",
              flush=True)
        finish(db_path, args.vacuum)
        print(f"reuse with: --archive {db_path}")
    print(f"sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cpus")
    if args.only in (None, "search"):
        measure_search(db_path, args.repeat)
    if args.only in (None, "stats"):
        measure_stats(db_path, args.export_rows)
    if args.only in (None, "size"):
        measure_size(db_path)


if __name__ == "__main__":
    main()
