"""Article-list detection of `kind: page` on the corpus listing pages: precision/recall of entry URLs, titles, dates.

Serves every page of ../shared/corpus/listings/pages at its own path on 127.0.0.1, fetches it through
watch.http.client as a refresh does, and parses it with the `page` kind from the registry, resolving links
against the address the page was saved from (truth.jsonl's page_url). Entry URLs are compared without their
fragment and trailing slash. Prints per page and overall (micro and macro) figures, and the naive baseline
(every same-site link whose text has 4+ words) in the same run.

    .venv/bin/python benchmarks/listing_bench.py [--corpus ../shared/corpus] [--page FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
from _support import FeedServer

from watch.errors import ParseError
from watch.http.client import fetch, make_client
from watch.http.egress import origin_of
from watch.records import FetchSettings, Source
from watch.sources.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Score:
    """Counts of one page (or of all of them) for one method."""

    found: int = 0
    true: int = 0
    hits: int = 0
    titles: int = 0
    dated: int = 0
    dates: int = 0
    pages: list[tuple[float, float]] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Add a page's counts to the totals."""
        self.found += other.found
        self.true += other.true
        self.hits += other.hits
        self.titles += other.titles
        self.dated += other.dated
        self.dates += other.dates
        self.pages.append((other.precision, other.recall))

    @property
    def precision(self) -> float:
        """Share of found URLs that are entries."""
        return self.hits / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        """Share of entries found."""
        return self.hits / self.true if self.true else 0.0


def key(url: str) -> str:
    """A URL as compared: no fragment, no trailing slash, http and https alike."""
    parts = urlsplit(url.split("#")[0])
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}{'?' + parts.query if parts.query else ''}"


def score(found: list[tuple[str, str, str | None]], truth: list[dict]) -> Score:
    """Compare found (url, title, date) triples with the page's truth."""
    expected = {key(e["url"]): e for e in truth}
    result = Score(found=len({key(u) for u, _, _ in found}), true=len(expected))
    seen = set()
    for url, title, day in found:
        k = key(url)
        if k in seen or k not in expected:
            continue
        seen.add(k)
        result.hits += 1
        entry = expected[k]
        result.titles += " ".join(title.split()) == " ".join(entry["title"].split())
        if entry["date"]:
            result.dated += 1
            result.dates += day == entry["date"]
    return result


def naive(html: bytes, page_url: str) -> list[tuple[str, str, str | None]]:
    """The baseline: every same-site link whose text has 4 or more words."""
    root = lxml.html.document_fromstring(html)
    host = (urlsplit(page_url).hostname or "").removeprefix("www.")
    found = []
    for a in root.iter("a"):
        url = urljoin(page_url, (a.get("href") or "").strip())
        text = " ".join(a.text_content().split())
        if (urlsplit(url).hostname or "").removeprefix("www.") == host and len(text.split()) >= 4:
            found.append((url, text, None))
    return found


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--page", help="only this file (and show its misses)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the kind's "this page has a feed" notes
    folder = args.corpus / "listings"
    truths = [json.loads(line) for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines() if line]
    if args.page:
        truths = [t for t in truths if t["file"] == args.page]
    if not truths:
        sys.exit(f"no listing pages under {folder}")
    server = FeedServer()
    for truth in truths:
        server.add(f"/{truth['file']}", (folder / "pages" / truth["file"]).read_bytes(), content_type="text/html")
    server.start()
    settings = FetchSettings(trusted_origins=frozenset({origin_of(server.base)}))
    kind = KINDS["page"]
    page_total, naive_total = Score(), Score()
    print(f"{'page':34} {'method':10} {'found':>5} {'true':>4}  {'P':>5} {'R':>5} {'title':>5} {'date':>5}"
          f"   naive P/R")
    try:
        with make_client(settings) as client:
            for truth in truths:
                result = fetch(client, server.url(f"/{truth['file']}"), max_bytes=settings.max_bytes)
                source = Source(name=truth["site"], url=truth["page_url"], kind="page")
                try:
                    feed = kind.parse(source, result.content, base_url=truth["page_url"],
                                      content_type=result.content_type)
                    found = [(e.url, e.title, e.published.date().isoformat() if e.published else None)
                             for e in feed.entries]
                    method = feed.format.split(" ")[0].removeprefix("page:")
                except ParseError as exc:
                    found, method = [], f"error: {exc}"
                page = score(found, truth["entries"])
                base = score(naive(result.content, truth["page_url"]), truth["entries"])
                page_total.add(page)
                naive_total.add(base)
                titles = page.titles / page.hits if page.hits else 0.0
                dates = f"{page.dates / page.dated:5.2f}" if page.dated else "    -"
                print(f"{truth['file']:34} {method[:10]:10} {page.found:5} {page.true:4}  {page.precision:5.2f} "
                      f"{page.recall:5.2f} {titles:5.2f} {dates}   {base.precision:.2f}/{base.recall:.2f}")
                if args.page:
                    expected = {key(e["url"]): e for e in truth["entries"]}
                    for url, title, day in found:
                        entry = expected.get(key(url))
                        mark = "ok " if entry else "XX "
                        print(f"  {mark}{url} | {title} | {day}"
                              + (f"  [want {entry['title']!r} {entry['date']}]" if entry and
                                 (entry['title'] != title or entry['date'] != day) else ""))
                    for k, entry in expected.items():
                        if k not in {key(u) for u, _, _ in found}:
                            print(f"  MISSING {entry['url']} | {entry['title']} | {entry['date']}")
    finally:
        server.stop()
    for name, total in (("kind: page", page_total), ("naive 4+ words", naive_total)):
        macro_p = sum(p for p, _ in total.pages) / len(total.pages)
        macro_r = sum(r for _, r in total.pages) / len(total.pages)
        line = (f"{name:15} micro P {total.precision:.3f} R {total.recall:.3f} | macro P {macro_p:.3f} "
                f"R {macro_r:.3f}")
        if total is page_total:
            line += (f" | titles {total.titles / max(total.hits, 1):.3f} ({total.titles}/{total.hits})"
                     f" | dates {total.dates / max(total.dated, 1):.3f} ({total.dates}/{total.dated})")
        print(line)


if __name__ == "__main__":
    main()
