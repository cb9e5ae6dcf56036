"""A digest profile's view of a period: its sources and tags kept, its stories ranked by its own `interests`.

A profile's relevance comes from the document vectors the archive already stores: only the profile's
interests topics are embedded (a few short texts, once per digest), never an item.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

import numpy as np

from ..nlp.relevance import RelevanceScorer
from ..records import DigestItem, DigestProfile, HealthLine, ReleaseItem
from ..store import Archive


def from_sources(source: str, profile: DigestProfile) -> bool:
    """Whether `source` is one the profile reads: one of its `sources:`, or any without that key."""
    return not profile.sources or source in profile.sources


def story_kept(tags: Collection[str], profile: DigestProfile) -> bool:
    """Whether a story with these tags (all its items' together) belongs in the profile's digest."""
    if profile.tags and not set(tags) & set(profile.tags):
        return False
    return not set(tags) & set(profile.exclude_tags)


def profile_items(items: Sequence[DigestItem], profile: DigestProfile,
                  release_sources: Collection[str] = ()) -> list[DigestItem]:
    """The period's items the profile shows: those of its `sources:` (all without), in the stories its tags
    keep. A story is judged on the tags of all its items, so its other reports still count as coverage;
    release items are picked by source only (they go to Releases, which is not by tag)."""
    chosen = [i for i in items if from_sources(i.source, profile)]
    if not profile.tags and not profile.exclude_tags:
        return chosen
    story_tags: dict[str, set[str]] = {}
    for item in chosen:
        story_tags.setdefault(item.cluster_id or item.id, set()).update(item.tags)
    return [i for i in chosen
            if i.source in release_sources or story_kept(story_tags[i.cluster_id or i.id], profile)]


def profile_releases(releases: Sequence[ReleaseItem], profile: DigestProfile) -> list[ReleaseItem]:
    """The period's releases from the profile's sources (all without `sources:`)."""
    return [r for r in releases if from_sources(r.source, profile)]


def profile_health(health: Sequence[HealthLine], profile: DigestProfile) -> tuple[HealthLine, ...]:
    """The sources needing attention among the profile's sources (all without `sources:`)."""
    return tuple(h for h in health if from_sources(h.source, profile))


def rescored(items: Sequence[DigestItem], archive: Archive, scorer: RelevanceScorer | None) -> list[DigestItem]:
    """The items with their relevance to the scorer's interests, from their stored document vectors (an
    item without one has none); without a scorer (no interests), no relevance at all."""
    if scorer is None:
        return [dataclasses.replace(i, relevance=None, relevance_topic=None) for i in items]
    vectors = archive.doc_vectors_of([i.id for i in items], scorer.embedder.name)
    ids = [i.id for i in items if i.id in vectors]
    best = scorer.best(np.stack([vectors[i] for i in ids])) if ids else []
    scores = dict(zip(ids, best, strict=True))
    return [dataclasses.replace(i, relevance=scores.get(i.id, (None, None))[0],
                                relevance_topic=scores.get(i.id, (None, None))[1]) for i in items]
