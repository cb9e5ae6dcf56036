"""Tags that learn: the labelled items (corrections, feeds.yaml `examples:`), refitted when they change.

Labels: an item a user corrected is labelled whole (the tags it has after the correction are its
tags, every other tag is not); an item named by `examples:` has that tag, the others are unknown. The
prototypes (watch/nlp/labels.py) are fitted again only when the labels change (their hash is kept with
the fitted model in the archive); the items of the last RETAG_DAYS days are then tagged again from
their stored vectors, except corrected items, which keep the tags the user gave them. Older items keep
their tags: a digest already sent said what it said.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import numpy as np

from ..records import Config, TagLearning
from ..store import Archive
from .labels import TagModel, fit_prototypes, labels_hash
from .loading import ModelLoader
from .tagger import EmbeddingTagger

log = logging.getLogger(__name__)

RETAG_DAYS = 30


def example_items(config: Config, archive: Archive) -> tuple[dict[str, set[str]], list[str]]:
    """Item ids named by each tag's `examples:`, and a warning (file:line) for each example matching none."""
    texts = [example.text for tag in config.tags for example in tag.examples]
    found = archive.ids_by_title_or_link(texts) if texts else {}
    ids: dict[str, set[str]] = {}
    warnings = []
    for tag in config.tags:
        for example in tag.examples:
            matches = found.get(example.text, [])
            ids.setdefault(tag.name, set()).update(matches)
            if not matches:
                warnings.append(f"{config.path}:{example.line}: tag {tag.name!r}: example {example.text!r} matches "
                                "no archived item (give its exact title or URL)")
    return ids, warnings


def labelled_set(config: Config, archive: Archive, model: str) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """(item ids, their vectors of `model`, items x tags positive matrix, unmatched-example warnings)."""
    names = [tag.name for tag in config.tags]
    examples, warnings = example_items(config, archive)
    corrected = archive.corrections()
    wanted = sorted(set(corrected) | {item_id for ids in examples.values() for item_id in ids})
    rows = archive.labelled_rows(wanted, model) if wanted else []
    positive = np.zeros((len(rows), len(names)), dtype=bool)
    for n, (item_id, _title, _text, _vector, tags) in enumerate(rows):
        have = set(tags) if item_id in corrected else set()
        have |= {name for name, ids in examples.items() if item_id in ids}
        positive[n] = [name in have for name in names]
    vectors = np.stack([row[3] for row in rows]) if rows else np.zeros((0, 0), dtype=np.float32)
    return [row[0] for row in rows], vectors, positive, warnings


def learn_tags(config: Config, archive: Archive, models: ModelLoader, now: datetime | None = None) -> TagLearning:
    """Give the tagger what the labelled items teach, refitting (and re-tagging the recent window) when the
    labels changed; without labels nothing is loaded and the tagger keeps its descriptions alone."""
    if not any(tag.examples for tag in config.tags) and not archive.corrections():
        return TagLearning()
    tagger = models().tagger
    if not isinstance(tagger, EmbeddingTagger):
        return TagLearning()
    now = now or datetime.now(UTC)
    model_name = tagger.embedder.name
    ids, vectors, positive, warnings = labelled_set(config, archive, model_name)
    for warning in warnings:
        log.warning("%s", warning)
    if not ids:
        tagger.learn(None)
        return TagLearning(unmatched=tuple(warnings))
    names = [tag.name for tag in config.tags]
    key = labels_hash(model_name, names, ids, vectors, positive)
    stored = archive.tag_model(model_name)
    if stored is not None and stored[0] == key:
        try:
            learned = TagModel.from_bytes(stored[1])
        except (ValueError, KeyError, OSError) as exc:  # unreadable: fitted again below
            log.warning("stored tag model unreadable (%s); fitting it again", exc)
        else:
            tagger.learn(learned)
            return TagLearning(len(ids), tuple(learned.learned_tags()), unmatched=tuple(warnings))
    learned = fit_prototypes(names, vectors, positive)
    archive.save_tag_model(model_name, key, learned.to_bytes(), now)
    tagger.learn(learned)
    retagged = retag_recent(archive, tagger, now - timedelta(days=RETAG_DAYS))
    log.info("tags learned from %d labelled items (%s); %d recent items re-tagged", len(ids),
             ", ".join(learned.learned_tags()) or "no tag", retagged)
    return TagLearning(len(ids), tuple(learned.learned_tags()), True, retagged, tuple(warnings))


def retag_recent(archive: Archive, tagger: EmbeddingTagger, since: datetime) -> int:
    """Tag the items dated since `since` again from their stored vectors (not corrected ones); return how many
    changed."""
    rows = archive.retag_window(tagger.embedder.name, since)
    if not rows:
        return 0
    results = tagger.tag_vectors([(title, text) for _id, title, text, _v, _t in rows],
                                 np.stack([row[3] for row in rows]))
    return archive.replace_tags({row[0]: tags for row, tags in zip(rows, results, strict=True)}, tagger.name)


def unmatched_examples(config: Config, archive: Archive) -> list[str]:
    """A warning (file:line) for each `examples:` entry that matches no archived item."""
    return example_items(config, archive)[1] if any(tag.examples for tag in config.tags) else []
