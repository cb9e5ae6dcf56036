"""Junk rate of techwatch's extractive summaries: bylines, datelines, glued headings and fragments, before and after.

    .venv/bin/python benchmarks/summary_junk.py [--corpus ../shared/corpus] [--per-feed 10] [--show 5]
                                                [--baseline-only] [--new-only]

Inputs, as the pipeline gets them:
  articles  every page of corpus/articles/*/html (Zyte AEB, trafilatura's evaluation set, OrangeSum),
            extracted with `watch.extract.article.extract_article(page, url)` (the page's original URL),
            summarized with the extracted title and language;
  feeds     the first --per-feed items of every feed of corpus/feeds (parsed with
            `watch.sources.parse.parse_feed`, text from `watch.extract.article.article_from_feed`).
Each is summarized by `ExtractiveSummarizer` (bundled MiniLM, 3 sentences, 400 characters) twice:
"before" with `furniture=False` (the summarizer as it was: only `is_boilerplate` and the byline rule,
datelines left in their sentence), "after" with the defaults. Embeddings are shared by both runs.

A summary is junk when one of these detectors fires on it. They are this script's own code, written
from the junk seen in the corpus and independent of the summarizer's filter (watch/nlp/furniture.py,
summarize.is_boilerplate), so that the measure is not the filter grading itself:
  byline     a sentence opening with an author phrase followed by two capitalised words ("By Jane Doe",
             "A post by...", "Posted by...", "Par Jean...", "Written by..."), a label "par : X" / "by: X",
             or "Posted by" + a name anywhere;
  dateline   "(Reuters) -", "(AP) —", "(CNN) --", "(AFP) -" anywhere, or a sentence opening with a place in
             capitals and a dash ("MADRID —", "BUFFALO, N.Y. —");
  heading    a sentence opening with the item's whole title (or its longest part around " | " or " - ", at
             least three words) and going on with a capitalised word, or a sentence opening with three words
             in capitals followed by more text;
  code       two signs of code: braces, a trailing semicolon, operators (=>, ==, !=, &&), a call "name(...)",
             a keyword (def, import, return, function, const, var) followed by a name, markup tags,
             snake_case or camelCase identifiers, a shell prompt;
  navigation share and social buttons (three network names, "Share this", "Tweet"), breadcrumbs
             ("Home >", "a › b › c"), "Related:", "Read more", "Read on", "Lire la suite", "Continue reading",
             cookie and newsletter banners;
  fragment   a summary that does not end a sentence (no final . ! ? after closing quotes, or a final ":"),
             ends with a publisher's cut ("(...)", "[…]"), starts in lower case mid-sentence, or was cut
             mid-word. A summary the summarizer itself cut at a word boundary with "…" (one sentence
             longer than the cap) is counted apart, as "cut", and is not junk.
The junk rate is the share of summaries with at least one kind. "avoidable" counts the junk summaries of
items whose text (first 20 sentences) holds at least one sentence of 5+ words that no detector flags: an
item whose whole text is a commit title or a podcast's "durée : ... par : X" line cannot be summarized
better. Prints each kind's count and rate,
before and after, and with --show N up to N examples per kind of what is left. Prints figures only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _support import CachedEmbedder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("TECHWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
ARTICLE_SETS = {"zyte_aeb": "ground-truth.json", "trafilatura_eval": "truth.json", "orangesum_fr_silver": "truth.json"}
SENTENCES, MAX_CHARS = 3, 400
BATCH = 16
KINDS = ("byline", "dateline", "heading", "code", "navigation", "fragment")


@dataclass(frozen=True)
class Doc:
    """One input of the summarizer: where it comes from, its title, text and language."""

    id: str
    title: str
    text: str
    language: str | None


# ---------------------------------------------------------------- detectors (independent of watch/nlp)
_AUTHOR_PHRASE = re.compile(
    r"^(?:a (?:guest |blog )?post by|posted by|written by|by|par|écrit par|publié par|un article de)\s+"
    r"(?!(?:the|a|an|le|la|les|ailleurs|contre|exemple|rapport|ici|là|mail|email)\b)"
    r"[A-ZÀ-Ý][\w'’-]+[ ,]+(?:(?:and|et|de|van|von|da)\s+)?[A-ZÀ-Ý][\w'’.-]+",
)
_MONTH_OR_DAY = re.compile(r"^(?:by|par)\s+(?:January|February|March|April|May|June|July|August|September|October|"
                           r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_AUTHOR_LABEL = re.compile(r"(?:\b(?:par|by|auteur|author)\s?:\s*[A-ZÀ-Ý])|\bPosted by\s+[A-Z][a-z]+\s+[A-Z]")
_DATELINE_ANY = re.compile(r"\((?:Reuters|AP|AFP|CNN|Bloomberg|dpa|UPI|EFE|ANSA|Xinhua)\)\s*(?:-{1,2}|–|—)")
_DATELINE_START = re.compile(r"^[A-Z]{3,}(?:[ .,]+[A-Z][A-Za-z.]*){0,4}\s*(?:-{1,2}|–|—)\s")
_CAPS_HEADING = re.compile(r"^(?:[A-Z0-9][A-Z0-9'’&-]*\s+){3,}(?=[A-Z]?[a-z])")
_CODE = [re.compile(p) for p in (
    r"[{}]", r";\s*$", r"=>|==|!=|&&|\|\|", r"\b\w+\([^()]*\)", r"\b(?:def|import|return|function|const|var)\s+\w",
    r"<\/?\w+[^>]*>", r"\b[a-z]+(?:_[a-z]+)+\b", r"\b[a-z]+[A-Z][a-z]+\w*\b", r"^\s*(?:\$|>>>|#)\s",
)]
_NETWORKS = re.compile(r"\b(?:Facebook|Twitter|LinkedIn|WhatsApp|Telegram|Reddit|Pinterest|Email|Print|Instagram)\b")
_NAV = re.compile(
    r"(?i)\bshare (?:this|on|via)\b|^\s*(?:share|tweet)\b|^\s*home\s*[>›»/|]|(?:\S[^›]*›){2}|^\s*related\s*:|"
    r"\bread (?:more|on|next)\b|\blire la suite\b|\bcontinue reading\b|"
    r"\bcookies?\b.{0,40}\b(?:accept|consent|use|utilis)|"
    r"\b(?:we|this site) uses? cookies\b|\bsubscribe to\b|\bnewsletter\b|\bclick here\b|\bcliquez ici\b"
)
_END = re.compile(r"[.!?][\"'”’»)\]]*$")
_PUBLISHER_CUT = re.compile(r"(?:\(\s*(?:\.\.\.|…)\s*\)|\[\s*(?:\.\.\.|…)\s*\])\s*$")


def junk_kinds(summary: str, doc: Doc) -> dict[str, str]:
    """Which kinds of junk `summary` holds, each with the piece that shows it."""
    from watch.nlp.sentences import split_sentences  # segmentation only, datelines left in place

    found: dict[str, str] = {}
    pieces = split_sentences(summary, doc.language, datelines=False) or [summary]
    # The title, or its longest part between " | " / " - " separators (a site name is often appended).
    parts = [doc.title, *re.split(r"\s+[|\-–—]\s+", doc.title)]
    title_words = max((re.findall(r"\w+", p.lower()) for p in parts), key=len, default=[])
    for piece in pieces:
        text = piece.strip("\"'“‘« ")
        if (_AUTHOR_PHRASE.match(text) and not _MONTH_OR_DAY.match(text)) or _AUTHOR_LABEL.search(text):
            found.setdefault("byline", piece)
        if _DATELINE_ANY.search(text) or _DATELINE_START.match(text):
            found.setdefault("dateline", piece)
        words = re.findall(r"\w+", text.lower())
        glued = len(title_words) >= 3 and words[:len(title_words)] == title_words \
            and len(words) > len(title_words) + 3 and _after_words(text, len(title_words))[:1].isupper()
        if glued or _CAPS_HEADING.match(text):
            found.setdefault("heading", piece)
        if sum(1 for sign in _CODE if sign.search(text)) >= 2:
            found.setdefault("code", piece)
        if len(set(_NETWORKS.findall(text))) >= 3 or _NAV.search(text):
            found.setdefault("navigation", piece)
    fragment = _fragment(summary, doc)
    if fragment:
        found["fragment"] = fragment
    return found


def _after_words(text: str, count: int) -> str:
    """What follows the first `count` words of `text`, punctuation and spaces skipped."""
    match = re.match(rf"\W*(?:\w+\W+){{{count}}}", text)
    return text[match.end():] if match else ""


def _fragment(summary: str, doc: Doc) -> str:
    """Why `summary` is not made of whole sentences ("" when it is)."""
    if not summary:
        return ""
    if summary.endswith("…"):
        where = doc.text.find(summary[:-1])
        after = doc.text[where + len(summary) - 1: where + len(summary)] if where >= 0 else ""
        return f"cut mid-word: {summary[-60:]}" if after.isalnum() else ""
    if _PUBLISHER_CUT.search(summary):
        return f"publisher's cut: {summary[-60:]}"
    if not _END.search(summary.rstrip()):
        return f"no sentence end: {summary[-60:]}"
    first = re.match(r"[\"'“‘«(]*([^\W\d_]+)\b", summary)
    if first and first.group(1).islower() and len(first.group(1)) > 1:
        return f"starts mid-sentence: {summary[:60]}"
    return ""


def cut_at_word(summary: str) -> bool:
    """True for a summary the summarizer cut at a word boundary (one sentence longer than the cap)."""
    return summary.endswith("…")


# ---------------------------------------------------------------- inputs
def _extract(job: tuple[str, str, str]) -> Doc | None:
    from watch.extract.article import extract_article

    ident, url, path = job
    article = extract_article(gzip.decompress(Path(path).read_bytes()), url)
    if article is None or not article.text.strip():
        return None
    return Doc(ident, article.title or "", article.text, article.language)


def load_articles(corpus: Path) -> list[Doc]:
    """Every corpus article page, extracted as the pipeline does (two processes)."""
    jobs = []
    for name, truth_file in ARTICLE_SETS.items():
        folder = corpus / "articles" / name
        if not (folder / truth_file).is_file():
            continue
        truth = json.loads((folder / truth_file).read_text(encoding="utf-8"))
        for ident, row in sorted(truth.items()):
            page = folder / "html" / f"{ident}.html.gz"
            if page.is_file():
                jobs.append((f"{name}/{ident}", row["url"], str(page)))
    with ProcessPoolExecutor(max_workers=2) as pool:
        return [d for d in pool.map(_extract, jobs, chunksize=8) if d is not None]


def load_feed_items(corpus: Path, per_feed: int) -> list[Doc]:
    """The first `per_feed` items of every corpus feed, with the feed's own text."""
    from watch.errors import ParseError
    from watch.extract.article import article_from_feed
    from watch.sources.parse import parse_feed

    docs: list[Doc] = []
    for path in sorted((corpus / "feeds").glob("*")):
        if not path.is_file():
            continue
        try:
            feed = parse_feed(path.read_bytes(), source_name=path.name, base_url="http://127.0.0.1/")
        except ParseError:
            continue
        for number, entry in enumerate(feed.entries[:per_feed]):
            article = article_from_feed(entry.feed_html, entry.language)
            if article.text.strip():
                docs.append(Doc(f"feeds/{path.name}#{number}", entry.title, article.text, article.language))
    return docs


# ---------------------------------------------------------------- running
def summarize(embedder: CachedEmbedder, docs: Sequence[Doc], furniture: bool) -> list[str]:
    """Summaries of `docs`, BATCH per `summarize_many` call as the pipeline does."""
    from watch.nlp.summarize import ExtractiveSummarizer

    summarizer = ExtractiveSummarizer(embedder, SENTENCES, MAX_CHARS, furniture=furniture)
    out: list[str] = []
    for begin in range(0, len(docs), BATCH):
        chunk = docs[begin:begin + BATCH]
        out += [s.text for s in summarizer.summarize_many([(d.title, d.text, d.language) for d in chunk])]
    return out


def report(label: str, groups: dict[str, list[Doc]], summaries: dict[str, list[str]], show: int) -> float:
    """Print each kind's count per input group and overall; return the overall junk rate."""
    print(f"\n{label}")
    from watch.nlp.sentences import split_sentences

    print(f"{'input':10} {'n':>5} " + " ".join(f"{k:>10}" for k in KINDS) + f" {'junk':>11} {'avoidable':>13} "
          f"{'cut…':>5}")
    total_n = total_junk = total_avoidable = 0
    examples: dict[str, list[tuple[str, str]]] = {k: [] for k in KINDS}
    for group, docs in groups.items():
        counts = dict.fromkeys(KINDS, 0)
        junk = cuts = avoidable = 0
        for doc, summary in zip(docs, summaries[group], strict=True):
            kinds = junk_kinds(summary, doc)
            junk += bool(kinds)
            if kinds:
                avoidable += any(len(s.split()) >= 5 and not junk_kinds(s, doc)
                                 for s in split_sentences(doc.text, doc.language, datelines=False)[:20])
            cuts += cut_at_word(summary)
            for kind, piece in kinds.items():
                counts[kind] += 1
                examples[kind].append((doc.id, piece))
        total_n += len(docs)
        total_junk += junk
        total_avoidable += avoidable
        print(f"{group:10} {len(docs):5} " + " ".join(f"{counts[k]:10}" for k in KINDS)
              + f" {junk:4} {100 * junk / max(1, len(docs)):5.1f}% {avoidable:5} "
              f"{100 * avoidable / max(1, len(docs)):5.1f}% {cuts:5}")
    rate = total_junk / max(1, total_n)
    print(f"{'all':10} {total_n:5} {'':{11 * len(KINDS) - 1}} {total_junk:4} {100 * rate:5.1f}% {total_avoidable:5} "
          f"{100 * total_avoidable / max(1, total_n):5.1f}%")
    if show:
        for kind in KINDS:
            for ident, piece in examples[kind][:show]:
                print(f"  [{kind}] {ident}: {piece[:160]}")
    return rate


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; prints a message and returns 0 when the corpus is absent."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder (default: $TECHWATCH_CORPUS "
                                                                   "or ../shared/corpus)")
    parser.add_argument("--per-feed", type=int, default=10, help="items taken from each feed (default 10)")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print up to N examples of each kind left")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--baseline-only", action="store_true", help="only the summarizer without its furniture filter")
    which.add_argument("--new-only", action="store_true", help="only the summarizer as it is now")
    args = parser.parse_args(argv)
    if not (args.corpus / "articles").is_dir() and not (args.corpus / "feeds").is_dir():
        print(f"summary_junk: skipped, no corpus at {args.corpus} (set TECHWATCH_CORPUS or --corpus)", file=sys.stderr)
        return 0
    sys.path.insert(0, str(ROOT))
    from watch.nlp.embedder import load_embedder

    start = time.perf_counter()
    groups = {"articles": load_articles(args.corpus), "feeds": load_feed_items(args.corpus, args.per_feed)}
    print(f"Inputs: {len(groups['articles'])} extracted articles, {len(groups['feeds'])} feed items "
          f"(first {args.per_feed} per feed); {time.perf_counter() - start:.0f} s to extract")
    print(f"Summarizer: ExtractiveSummarizer, bundled MiniLM, {SENTENCES} sentences, {MAX_CHARS} characters")
    embedder = CachedEmbedder(load_embedder(None))
    runs: dict[str, Callable[[], float]] = {}
    rates: dict[str, float] = {}
    if not args.new_only:
        runs["before (furniture=False)"] = lambda: report(
            "before (furniture=False)", groups, {g: summarize(embedder, d, False) for g, d in groups.items()},
            args.show)
    if not args.baseline_only:
        runs["after (default)"] = lambda: report(
            "after (default)", groups, {g: summarize(embedder, d, True) for g, d in groups.items()}, args.show)
    for label, run in runs.items():
        rates[label] = run()
    if len(rates) == 2:
        before, after = rates.values()
        ratio = f"{before / after:.1f}x fewer" if after else "none left"
        print(f"\njunk rate: before {100 * before:.1f}%, after {100 * after:.1f}% ({ratio})")
    print(f"{time.perf_counter() - start:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
