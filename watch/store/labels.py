"""Tag corrections and what the tagger learns from them: the user's labels, the items they are about, the fit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import sqlite_utils

from ..records import TagCorrection, TagScore
from .reader import chunks, iso

CORRECTION_MODEL = "correction"  # item_tags.model of a tag a user added; its score is 1
SOURCE_MODEL = "source"  # item_tags.model of a tag every item of its source gets (a stack source's "stack")
LabelRow = tuple[str, str, str, np.ndarray, frozenset[str]]  # id, title, text, vector, current tags


class TagLabels:
    """The archive's tag labels (mixed into Archive): corrections, labelled vectors, the fitted weights."""

    db: sqlite_utils.Database

    def correct_tags(self, corrections: Sequence[TagCorrection], now: datetime) -> None:
        """Record corrections and apply them to the items' tags at once, all in one transaction."""
        with self.db.atomic():
            for c in corrections:
                self.db.execute("INSERT OR REPLACE INTO tag_corrections (item_id, tag, present, created_at) "
                                "VALUES (?, ?, ?, ?)", [c.item_id, c.tag, int(c.present), iso(now)])
            for item_id in dict.fromkeys(c.item_id for c in corrections):
                self._apply_corrections(item_id)

    def _apply_corrections(self, item_id: str) -> None:
        """Make an item's tags say what its corrections say (inside the caller's transaction)."""
        self.db.execute("DELETE FROM item_tags WHERE item_id = ? AND tag IN "
                        "(SELECT tag FROM tag_corrections WHERE item_id = ? AND present = 0)", [item_id, item_id])
        self.db.execute("INSERT OR REPLACE INTO item_tags (item_id, tag, score, model) "
                        "SELECT item_id, tag, 1.0, ? FROM tag_corrections WHERE item_id = ? AND present = 1",
                        [CORRECTION_MODEL, item_id])

    def corrections(self) -> dict[str, dict[str, bool]]:
        """Every correction: item id -> {tag: present}."""
        out: dict[str, dict[str, bool]] = {}
        for item_id, tag, present in self.db.execute(
                "SELECT item_id, tag, present FROM tag_corrections ORDER BY item_id, tag").fetchall():
            out.setdefault(item_id, {})[tag] = bool(present)
        return out

    def item_tags_of(self, item_id: str) -> list[str]:
        """An item's tags as stored, best first."""
        return [r[0] for r in self.db.execute("SELECT tag FROM item_tags WHERE item_id = ? ORDER BY score DESC, tag",
                                              [item_id]).fetchall()]

    def ids_by_link(self, url: str) -> list[str]:
        """Ids of the items whose published or canonical link is `url` (at most 5)."""
        return [r[0] for r in self.db.execute("SELECT id FROM items WHERE url = ? OR canonical_url = ? ORDER BY id "
                                              "LIMIT 5", [url, url]).fetchall()]

    def ids_by_title_or_link(self, texts: Sequence[str]) -> dict[str, list[str]]:
        """For each text, the ids of the items with that exact title, published link or canonical link."""
        out: dict[str, list[str]] = {text: [] for text in texts}
        for chunk in chunks(list(dict.fromkeys(texts))):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT id, title, url, canonical_url FROM items WHERE title IN ({marks}) "
                                   f"OR url IN ({marks}) OR canonical_url IN ({marks}) ORDER BY id",
                                   chunk * 3).fetchall()
            for item_id, *keys in rows:
                for key in dict.fromkeys(keys):
                    if key in out and item_id not in out[key]:
                        out[key].append(item_id)
        return out

    def labelled_rows(self, ids: Sequence[str], model: str) -> list[LabelRow]:
        """(id, title, text, document vector of `model`, current tags) of these processed items that have a vector."""
        rows = self.rows_in(
            "SELECT i.id, i.title, COALESCE(i.content, ''), v.vector, "
            "(SELECT group_concat(t.tag, char(31)) FROM item_tags t WHERE t.item_id = i.id) FROM items i "
            "JOIN doc_vectors v ON v.input_hash = i.doc_hash AND v.model = ? "
            "WHERE i.status = 'done' AND i.id IN ({marks}) ORDER BY i.id", dict.fromkeys(ids), [model])
        return [(r[0], r[1] or "", r[2], np.frombuffer(r[3], dtype=np.float16).astype(np.float32),
                 frozenset((r[4] or "").split("\x1f")) - {""}) for r in rows]

    def retag_window(self, model: str, since: datetime) -> list[LabelRow]:
        """Processed items dated since `since` with a vector of `model` and no correction, to tag again."""
        rows = self.db.execute(
            "SELECT i.id, i.title, COALESCE(i.content, ''), v.vector FROM items i "
            "JOIN doc_vectors v ON v.input_hash = i.doc_hash AND v.model = ? "
            "WHERE i.status = 'done' AND i.day >= ? AND NOT EXISTS "
            "(SELECT 1 FROM tag_corrections c WHERE c.item_id = i.id) ORDER BY i.id", [model, iso(since)]).fetchall()
        return [(r[0], r[1] or "", r[2], np.frombuffer(r[3], dtype=np.float16).astype(np.float32), frozenset())
                for r in rows]

    def give_source_tag(self, sources: Sequence[str], tag: str) -> int:
        """Give `tag` (from their source) to the processed items of `sources` that lack it, unless a correction
        took it away; return how many got it. Items archived before their source was a stack source get it so."""
        if not sources:
            return 0
        marks = ",".join("?" * len(sources))
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT OR REPLACE INTO item_tags (item_id, tag, score, model) "
                f"SELECT i.id, ?, 1.0, ? FROM items i WHERE i.status = 'done' AND i.source IN ({marks}) "
                "AND NOT EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id AND t.tag = ? AND t.model = ?) "
                "AND NOT EXISTS (SELECT 1 FROM tag_corrections c WHERE c.item_id = i.id AND c.tag = ?)",
                [tag, SOURCE_MODEL, *sources, tag, SOURCE_MODEL, tag])
        return cursor.rowcount

    def replace_tags(self, tags: dict[str, Sequence[TagScore]], tagger: str) -> int:
        """Give items new tagger tags (items with a correction are left alone); return how many changed."""
        changed = 0
        with self.db.atomic():
            for item_id, scores in tags.items():
                if self.db.execute("SELECT 1 FROM tag_corrections WHERE item_id = ? LIMIT 1", [item_id]).fetchone():
                    continue
                # A tag the item has from its source stays whatever the tagger says now.
                given = {r[0] for r in self.db.execute("SELECT tag FROM item_tags WHERE item_id = ? AND model = ?",
                                                       [item_id, SOURCE_MODEL]).fetchall()}
                before = self.db.execute("SELECT tag, score FROM item_tags WHERE item_id = ? AND model IS NOT ? "
                                         "ORDER BY tag", [item_id, SOURCE_MODEL]).fetchall()
                kept = [s for s in scores if s.tag not in given]
                after = sorted((s.tag, s.score) for s in kept)
                if [tuple(r) for r in before] == after:
                    continue
                self.db.execute("DELETE FROM item_tags WHERE item_id = ? AND model IS NOT ?", [item_id, SOURCE_MODEL])
                self.db.conn.executemany("INSERT INTO item_tags (item_id, tag, score, model) VALUES (?, ?, ?, ?)",
                                         [(item_id, s.tag, s.score, tagger) for s in kept])
                changed += 1
        return changed

    def tag_model(self, model: str) -> tuple[str, bytes] | None:
        """(labels hash, weights) of the tag model fitted for the embedding `model`, if any."""
        row = self.db.execute("SELECT labels_hash, weights FROM tag_models WHERE model = ?", [model]).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def save_tag_model(self, model: str, labels_hash: str, weights: bytes | None, now: datetime) -> None:
        """Keep the tag model fitted for `model` and the hash of the labels it was fitted on (None: forget it)."""
        with self.db.atomic():
            if weights is None:
                self.db.execute("DELETE FROM tag_models WHERE model = ?", [model])
            else:
                self.db.execute("INSERT OR REPLACE INTO tag_models (model, labels_hash, weights, created_at) "
                                "VALUES (?, ?, ?, ?)", [model, labels_hash, weights, iso(now)])
