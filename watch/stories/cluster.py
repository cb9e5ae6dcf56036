"""One entry per story: link items that tell the same story across sources into clusters.

Three rules, strongest first:
1. the same canonical URL (unless one source uses it for several differently titled items: a
   landing page), or 2. the same content hash: always the same story;
3. otherwise a similar text (mean of the embedding cosine and the word Jaccard of title + lead,
   zero when the titles carry different version numbers) at or above a measured threshold,
   within a time window, and never between two items of the same source (a feed does not
   repeat itself as a new item: same-source repeats are caught by rules 1-2 or are different items).

Clustering is a leader pass in time order: an item joins the earlier cluster whose first item
(the leader) AND whose members on average are similar enough, so a chain A~B~C cannot glue A to a
C that shares nothing with it. Pure functions over small typed inputs; no SQL, no I/O.

A title that names nothing (a placeholder such as "(untitled)", or one generic title that a source gives
to several different items) and an empty body are no evidence: such an item is compared by its body
alone, and only when that body is substantial; otherwise only rules 1-2 can place it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from watch.dedup import is_placeholder_title
from watch.nlp.embedder import Embedder
from watch.records import LEAD_CHARS, KnownCluster, StoryText

# Measured by `.venv/bin/python benchmarks/cluster_bench.py` on benchmarks/data/cluster_pairs.jsonl
# (513 labelled pairs, 224 same story): the mean of embedding cosine and word Jaccard, with the
# version veto, gives P 0.899 / R 0.830 here (its F1-best, 0.878, is at 0.31). Embedding cosine
# with the veto alone: F1 0.870, P 0.891 at R >= 0.8; word Jaccard / MinHash 1-shingles: F1 0.82;
# SimHash: 0.73; MinHash 2-3-shingles miss nearly every rewrite (F1 <= 0.61).
# Chosen as the highest precision at recall >= 0.8: a false merge hides a story from the digest,
# a missed merge only shows it twice.
DEFAULT_THRESHOLD = 0.37
# Pairs below this cosine are never scored: 2 of 224 labelled same-story pairs fall below it
# (both CNN/DailyMail summary-vs-article paraphrases), and it keeps the candidate set small.
COSINE_FLOOR = 0.30
# Coverage of one announcement (lab post, press, aggregators) lands within a few days; stories a
# month apart are not the same news, and a weekly digest never needs more than its own week.
DEFAULT_WINDOW_DAYS = 4.0
# Shorter texts are not an identity: the same-content rule needs at least this much of them.
MIN_HASHED_TEXT = 120

# A source that gives one title to this many different items in the window uses it as a label. Two is
# still news: a post and its follow-up, or a repost at a new address, keep their title as evidence.
GENERIC_REPEATS = 3

_SECONDS_PER_DAY = 86400.0
_BLOCK = 512
_VERSION = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"\w+")
# A product name followed by its version: "Small 4", "OCR 4", "GPT-5.6", "Grok 4.6", "Opus 5".
_NAMED_VERSION = re.compile(r"\b([A-Z][\w]*)[\s-]+v?(\d+(?:\.\d+)*)\b")


def story_text(item: StoryText) -> str:
    """The text compared between items: the title, then the start of the lead."""
    lead = " ".join(item.lead.split())
    if len(lead) > LEAD_CHARS:
        lead = lead[:LEAD_CHARS].rsplit(" ", 1)[0]
    title = " ".join(item.title.split())
    return f"{title}. {lead}" if lead else title


def placeholder_flags(items: Sequence[StoryText]) -> list[bool]:
    """Per item: True when its title is no evidence of what it is about.

    A placeholder ("(untitled)", empty), or a title that one source gives to GENERIC_REPEATS or more items
    with different links and different content ("News", "Update", the site's name): such a title names
    the feed's habit, not the story.
    """
    seen: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for item in items:
        key = (item.source, " ".join(item.title.split()).casefold())
        seen.setdefault(key, set()).add((item.canonical_url, item.content_hash))
    generic = set()
    for key, identities in seen.items():
        urls = {url for url, _ in identities}
        hashes = {digest for _, digest in identities}
        if len(urls) >= GENERIC_REPEATS and len(hashes) >= GENERIC_REPEATS:
            generic.add(key)
    return [is_placeholder_title(item.title) or (item.source, " ".join(item.title.split()).casefold()) in generic
            for item in items]


def evidence(items: Sequence[StoryText]) -> list[StoryText | None]:
    """What the similarity rule may compare of each item: its title blanked when it is no evidence, and
    None when what is left is not a substantial text (such an item joins a story only by rules 1-2)."""
    out: list[StoryText | None] = []
    for item, blank in zip(items, placeholder_flags(items), strict=True):
        if not blank:
            out.append(item)
        elif len(" ".join(item.lead.split())) >= MIN_HASHED_TEXT:
            out.append(StoryText(item.id, item.source, "", item.lead, item.published, item.canonical_url,
                                 item.content_hash))
        else:
            out.append(None)
    return out


def story_vectors(items: Sequence[StoryText], embedder: Embedder) -> np.ndarray:
    """L2-normalised embeddings of `story_text(item)`, one row per item, float32."""
    vectors = np.asarray(embedder.encode([story_text(item) for item in items]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def version_conflict(title_a: str, title_b: str) -> bool:
    """True when the titles name different versions: numbers with none in common, or, when both
    name a product with its version ("Small 4", "OCR 4"), no such pair in common.

    "Grok 4.5 in GitHub Copilot" vs "Grok 4.6 in GitHub Copilot", or "Mistral releases Small 4" vs
    "Mistral releases OCR 4", read almost alike to an embedding model, yet they are two releases.
    """
    a = set(_VERSION.findall(title_a.replace(",", ".")))
    b = set(_VERSION.findall(title_b.replace(",", ".")))
    if a and b and not (a & b):
        return True
    named_a = {(n.lower(), v) for n, v in _NAMED_VERSION.findall(title_a.replace(",", "."))}
    named_b = {(n.lower(), v) for n, v in _NAMED_VERSION.findall(title_b.replace(",", "."))}
    return bool(named_a) and bool(named_b) and not (named_a & named_b)


def story_words(item: StoryText) -> frozenset[str]:
    """Lower-cased words of `story_text(item)`, for the lexical half of the score."""
    return frozenset(_WORD.findall(story_text(item).lower()))


def same_story_score(cosine: float, words_a: frozenset[str], words_b: frozenset[str],
                     title_a: str, title_b: str) -> float:
    """The final pairwise score: mean of embedding cosine and word Jaccard; 0 on a version conflict.

    The embedding carries paraphrase ("raises EUR 1.7 billion" ~ "1.7B Series C"); the shared words
    keep apart two posts that are about the same product but not the same news.
    """
    if version_conflict(title_a, title_b):
        return 0.0
    union = len(words_a | words_b)
    jaccard = len(words_a & words_b) / union if union else 0.0
    return 0.5 * float(cosine) + 0.5 * jaccard


def cluster_stories(items: Sequence[StoryText], embedder: Embedder | None, *,
                    threshold: float = DEFAULT_THRESHOLD,
                    window_days: float = DEFAULT_WINDOW_DAYS) -> list[list[str]]:
    """Group items telling the same story; every id appears exactly once (singletons included).

    Without an embedder only the exact rules (canonical URL, content hash) apply. Groups come
    in time order of their first item; ids inside a group in time order (ties by id), so the
    result does not depend on the order of `items`.
    """
    _check_unique(items)
    vectors = story_vectors(_compared_texts(items), embedder) if embedder is not None and items else None
    labels, _ = _cluster([], items, vectors, threshold, window_days)
    groups: dict[int, list[str]] = {}
    for index in _time_order(items):
        groups.setdefault(labels[index], []).append(items[index].id)
    return [groups[key] for key in sorted(groups)]


def assign_to_existing(items: Sequence[StoryText], clusters: Sequence[KnownCluster],
                       embedder: Embedder | None, *, threshold: float = DEFAULT_THRESHOLD,
                       window_days: float = DEFAULT_WINDOW_DAYS) -> dict[str, str]:
    """Map each new item's id to the cluster it joins, without re-clustering the archive.

    `clusters` are the archived clusters worth considering (the caller selects those whose
    items fall within `window_days` of the new items, a date query). A new item joins an existing
    cluster's id, or, for a story not seen before, the id of the first new item of its new
    cluster (new items also group among themselves). Existing clusters are never split or merged
    with each other, so a cluster id, once given, stays.
    """
    _check_unique(items)
    known = [item for cluster in clusters for item in cluster.items]
    vectors = None
    if embedder is not None and items:
        texts = _compared_texts([*known, *items])
        parts: list[np.ndarray] = []
        start = 0
        for cluster in clusters:
            own = texts[start:start + len(cluster.items)]
            start += len(cluster.items)
            cached = cluster.vectors
            # Cached rows embed the stored title: an item whose title is no evidence is embedded again.
            if cached is None or len(cached) != len(cluster.items) or any(
                    t.title != i.title for t, i in zip(own, cluster.items, strict=True)):
                cached = story_vectors(own, embedder)
            parts.append(np.asarray(cached, dtype=np.float32))
        parts.append(story_vectors(texts[start:], embedder))
        vectors = np.concatenate(parts) if len(parts) > 1 else parts[0]
    seeds = [len(cluster.items) for cluster in clusters]
    labels, leaders = _cluster(seeds, [*known, *items], vectors, threshold, window_days)
    ids = [cluster.id for cluster in clusters]
    offset = len(known)
    out: dict[str, str] = {}
    everything = [*known, *items]
    for index in range(len(items)):
        label = labels[offset + index]
        out[items[index].id] = ids[label] if label < len(ids) else everything[leaders[label]].id
    return out


# --- internals ------------------------------------------------------------------------------

def _compared_texts(items: Sequence[StoryText]) -> list[StoryText]:
    # What gets embedded; an item with no evidence keeps its text here but never gets a neighbour.
    return [compared or item for compared, item in zip(evidence(items), items, strict=True)]


def _check_unique(items: Sequence[StoryText]) -> None:
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("cluster_stories: item ids must be unique")


def _timestamp(when: datetime | None) -> float:
    if when is None:
        return float("nan")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _time_order(items: Sequence[StoryText]) -> list[int]:
    # Undated items last; the id breaks ties so that input order never matters.
    def key(i: int) -> tuple[bool, float, str]:
        t = _timestamp(items[i].published)
        return (t != t, 0.0 if t != t else t, items[i].id)

    return sorted(range(len(items)), key=key)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _exact_units(items: Sequence[StoryText], order: list[int]) -> list[list[int]]:
    """Items sharing a canonical URL or content hash (transitively), each unit in time order.

    A URL that one source gives to several differently titled items (every episode of a podcast
    linking to the show page, a sponsor post and a review linking to a home page) is a landing
    page, not a story's address: for that source it links nothing.
    """
    uf = _UnionFind(len(items))
    by_url: dict[str, list[int]] = {}
    by_hash: dict[str, list[int]] = {}
    for index in order:
        item = items[index]
        if item.canonical_url:
            by_url.setdefault(item.canonical_url, []).append(index)
        # An empty or one-line body ("Read more", a bare link) hashes alike across unrelated items.
        if item.content_hash and len(item.lead.strip()) >= MIN_HASHED_TEXT:
            by_hash.setdefault(item.content_hash, []).append(index)
    for group in by_url.values():
        titles: dict[str, set[str]] = {}
        for index in group:
            titles.setdefault(items[index].source, set()).add(" ".join(items[index].title.lower().split()))
        usable = [index for index in group if len(titles[items[index].source]) == 1]
        for index in usable[1:]:
            uf.union(usable[0], index)
    for group in by_hash.values():
        for index in group[1:]:
            uf.union(group[0], index)
    units: dict[int, list[int]] = {}
    for index in order:
        units.setdefault(uf.find(index), []).append(index)
    return list(units.values())


def _cluster(seeds: list[int], items: Sequence[StoryText], vectors: np.ndarray | None,
             threshold: float, window_days: float) -> tuple[list[int], list[int]]:
    """Label every item with a cluster number; return (labels, leader item of each cluster).

    The first `sum(seeds)` items are archived clusters (sizes in `seeds`, leader first): cluster
    k < len(seeds) is archived cluster k. The rest are new items, placed by the leader pass.
    """
    n = len(items)
    n_known = sum(seeds)
    labels = [-1] * n
    leaders: list[int] = []
    members: list[list[int]] = []
    sources: list[set[str]] = []
    start = 0
    for k, size in enumerate(seeds):
        block = list(range(start, start + size))
        for index in block:
            labels[index] = k
        leaders.append(block[0] if block else -1)
        members.append(block)
        sources.append({items[i].source for i in block})
        start += size

    order = [n_known + i for i in _time_order(items[n_known:])]
    # Exact rules first, over archived and new items together.
    every = list(range(n_known)) + order
    units = _exact_units(items, every)
    unit_of_new: dict[int, list[int]] = {}
    for unit in units:
        known_here = sorted({labels[i] for i in unit if i < n_known})
        fresh = [i for i in unit if i >= n_known]
        if not fresh:
            continue
        if known_here:
            # An archived story seen again under the same URL or text: it joins that cluster.
            target = known_here[0]
            for index in fresh:
                labels[index] = target
                members[target].append(index)
                sources[target].add(items[index].source)
            continue
        unit_of_new[fresh[0]] = fresh

    times = np.array([_timestamp(item.published) for item in items], dtype=np.float64) / _SECONDS_PER_DAY
    compared = evidence(items)
    if vectors is not None:
        # No evidence, no neighbour: a zero row has cosine 0 with everything, below COSINE_FLOOR.
        blank = [index for index, text in enumerate(compared) if text is None]
        if blank:
            vectors = np.array(vectors, dtype=np.float32, copy=True)
            vectors[blank] = 0.0
    texts = [text or item for text, item in zip(compared, items, strict=True)]
    neighbours = _neighbours([h for h in unit_of_new if compared[h] is not None], vectors, times, window_days)
    words = [story_words(text) for text in texts] if vectors is not None else []

    def score(a: int, b: int) -> float:
        return same_story_score(float(vectors[a] @ vectors[b]), words[a], words[b], texts[a].title, texts[b].title)

    for head in order:
        unit = unit_of_new.get(head)
        if unit is None:
            continue
        unit_sources = {items[i].source for i in unit}
        best, best_score = -1, -np.inf
        # Only clusters whose leader is a neighbour can pass the leader test below.
        for c in sorted({labels[j] for j in neighbours.get(head, ()) if labels[j] >= 0 and leaders[labels[j]] == j}):
            leader = leaders[c]
            if sources[c] & unit_sources or not _within(times[head], times[leader], window_days):
                continue
            if score(leader, head) < threshold:
                continue
            mean = float(np.mean([score(m, head) for m in members[c]]))
            if mean >= threshold and mean > best_score:
                best, best_score = c, mean
        if best < 0:
            best = len(leaders)
            leaders.append(head)
            members.append([])
            sources.append(set())
        for index in unit:
            labels[index] = best
            members[best].append(index)
        sources[best] |= unit_sources
    return labels, leaders


def _within(a: float, b: float, window_days: float) -> bool:
    # An undated item may belong anywhere: the text alone decides.
    return bool(np.isnan(a) or np.isnan(b) or abs(a - b) <= window_days)


def _neighbours(heads: list[int], vectors: np.ndarray | None, times: np.ndarray,
                window_days: float) -> dict[int, list[int]]:
    """For each new unit head, the items (archived or new) with cosine >= COSINE_FLOOR, close in time.

    One matrix product per block of heads: the only part that grows with n squared, and it runs
    in BLAS, not in Python.
    """
    out: dict[int, list[int]] = {}
    if vectors is None or not heads:
        return out
    rows = np.asarray(heads)
    for begin in range(0, len(rows), _BLOCK):
        block = rows[begin:begin + _BLOCK]
        sims = vectors[block] @ vectors.T
        dt = np.abs(times[block][:, None] - times[None, :])
        ok = (sims >= COSINE_FLOOR) & ~(dt > window_days)  # NaN (undated) compares False: kept
        ok[np.arange(len(block)), block] = False
        for r, c in zip(*np.nonzero(ok), strict=True):
            out.setdefault(int(block[r]), []).append(int(c))
    return out
