"""Which stories a digest shows, and why: score terms, the length budget, each source's share, the relevance floor.

A story's score is the sum of three terms (README, "The weekly digest"):
  coverage   its sources, each counted at its feeds.yaml `weight` (1 by default);
  relevance  RELEVANCE_WEIGHT x its relevance to `interests` (a cosine, mostly 0.1-0.6);
  recency    RECENCY_WEIGHT x how late in the period it came (0 at the start, 1 at the end).
One more source outweighs any difference in relevance; recency only breaks near-ties. In score order,
a story becomes a full story unless the budget is spent, its source already has its share of full
stories (the rest of that source collapses into one line), or it is filler: below the relevance floor,
told by one source. Filler with a tag can still be a one-line mention; untagged filler is only counted.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..records import CollapsedSource, DigestItem, HealthLine, Period, RankedStory, ReleaseLine, StoryScore

RELEVANCE_WEIGHT = 1.5
RECENCY_WEIGHT = 0.25
LEAD_STORIES = 5  # the week in a few lines: at most this many stories at the top
COLLAPSED_NAMED = 5  # a source's collapsed line names this many of its stories
READING_WPM = 230  # words a minute, for the reading-time estimate of the header
TOPIC_WORDS = 6  # an interests topic is quoted by its first words in "relevant to …"
_TRAILING = {"and", "or", "the", "of", "to", "for", "with", "a", "an", "in", "on", "what", "that", "as", "et", "de",
             "la", "le", "les", "des", "du", "pour"}


@dataclass(frozen=True)
class Selection:
    """The stories a digest shows, in rank order, and what it only counts."""

    full: tuple[DigestItem, ...]
    lines: tuple[DigestItem, ...]  # one-line mentions, within the budget
    collapsed: tuple[CollapsedSource, ...]
    off_topic: int
    hidden: int  # one-line mentions past the budget
    ranking: tuple[RankedStory, ...]


def score_terms(story: DigestItem, weights: Mapping[str, float], period: Period) -> StoryScore:
    """The three terms of a story's score."""
    coverage = sum(weights.get(source, 1.0) for source in (story.sources or (story.source,)))
    span = (period.end - period.start).total_seconds() or 1.0
    recency = min(1.0, max(0.0, (story.published - period.start).total_seconds() / span))
    return StoryScore(coverage=coverage, relevance=RELEVANCE_WEIGHT * (story.relevance or 0.0),
                      recency=RECENCY_WEIGHT * recency)


def select(stories: Sequence[DigestItem], weights: Mapping[str, float], period: Period, *, max_items: int,
           max_also: int, per_source: int, relevance_floor: float | None) -> Selection:
    """Rank the period's stories and place each: full story, one-line mention, collapsed, or counted as filler."""
    scored = sorted(((story, score_terms(story, weights, period)) for story in stories),
                    key=lambda pair: (-pair[1].total, -pair[0].published.timestamp(), pair[0].id))
    full: list[DigestItem] = []
    lines: list[DigestItem] = []
    overflow: dict[str, list[DigestItem]] = {}
    shown: Counter[str] = Counter()
    ranking: list[RankedStory] = []
    off_topic = hidden = 0
    for story, score in scored:
        source = lead_source(story)
        filler = below_floor(story, relevance_floor)
        if filler and not story.tags:
            placement = "off-topic"
            reason = f"relevance {story.relevance:.2f} below the floor {relevance_floor:.2f}, one source, no tag"
            off_topic += 1
        elif not filler and shown[source] >= per_source:
            placement, reason = "collapsed", f"{per_source} full stories from {source} already"
            overflow.setdefault(source, []).append(story)
        elif not filler and len(full) < max_items:
            story = dataclasses.replace(story, why=why(story, relevance_floor))
            placement, reason = "full", story.why
            full.append(story)
            shown[source] += 1
        else:
            reason = (f"relevance {story.relevance:.2f} below the floor {relevance_floor:.2f}: never a full story "
                      "from one source" if filler else f"past the {max_items} full stories")
            placement = "one-line" if len(lines) < max_also else "hidden"
            if placement == "hidden":
                hidden += 1
                reason += f"; past the {max_also} one-line mentions"
            else:
                lines.append(story)
        ranking.append(RankedStory(story, score, placement, reason))
    collapsed = tuple(CollapsedSource(source, len(rest), tuple(rest[:COLLAPSED_NAMED]))
                      for source, rest in overflow.items())
    return Selection(tuple(full), tuple(lines), collapsed, off_topic, hidden, tuple(ranking))


def why(story: DigestItem, relevance_floor: float | None = None) -> str:
    """What a reader is told about a full story's place: its coverage and the interest it matches."""
    parts = []
    count = len(story.sources) if story.sources else 1
    if count > 1:
        parts.append(f"covered by {count} sources")
    if story.relevance is not None and story.relevance >= (relevance_floor or 0.0):
        parts.append(f"relevant to “{short_topic(story.relevance_topic)}”" if story.relevance_topic
                     else f"relevance {story.relevance:.2f} to your interests")
    if not parts:
        parts.append("one source, the most recent first")
    return " · ".join(parts)


def short_topic(topic: str) -> str:
    """An interests topic by its first TOPIC_WORDS words: "Open-weights LLMs we could self-host and…"."""
    words = topic.split()
    kept = words[:TOPIC_WORDS]
    while len(kept) > 1 and len(words) > TOPIC_WORDS and (kept[-1].lower().strip(",;:") in _TRAILING
                                                          or not any(c.isalnum() for c in kept[-1])):
        kept.pop()  # "…self-host and…" reads badly: end on a word that says something
    text = " ".join(kept).rstrip(",;:.")
    return text + ("…" if len(words) > len(kept) else "")


def lead_stories(full: Sequence[DigestItem]) -> tuple[DigestItem, ...]:
    """The stories that open the digest: the best third of the full stories, 3 to LEAD_STORIES of them;
    none when there are too few full stories for a lead to say more than the cards right below it."""
    if len(full) < 4:
        return ()
    return tuple(full[:min(LEAD_STORIES, max(3, len(full) // 3 + 1))])


def shown_texts(full: Sequence[DigestItem], lines: Sequence[DigestItem], releases: Sequence[ReleaseLine],
                health: Sequence[HealthLine]) -> list[str]:
    """What a reader reads in the digest: full stories (title, summary, why), one-liners' titles, release
    lines and health causes; the reading-time estimate counts these."""
    texts = [f"{s.title} {s.summary} {s.why}" for s in full] + [s.title for s in lines]
    return texts + [f"{r.project} {r.version} {r.detail}" for r in releases] + [h.cause for h in health]


def reading_minutes(texts: Sequence[str]) -> int:
    """Minutes to read `texts` at READING_WPM words a minute; at least 1 when there is anything."""
    words = sum(len(text.split()) for text in texts)
    return math.ceil(words / READING_WPM) if words else 0


def lead_source(story: DigestItem) -> str:
    """The source a story counts against in the per-source share: its first source."""
    return story.sources[0] if story.sources else story.source


def below_floor(story: DigestItem, relevance_floor: float | None) -> bool:
    """Filler: relevance known and below the floor, and only one source tells it."""
    if not relevance_floor or story.relevance is None:
        return False
    return story.relevance < relevance_floor and len(story.sources or (story.source,)) < 2
