"""The "why it matters" lines a server model wrote for top stories, kept so a digest written again asks nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlite_utils

from ..records import ArticleText
from .reader import iso


class WhyLines:
    """The archive's "why it matters" lines (mixed into Archive), keyed by item, interests and model."""

    db: sqlite_utils.Database

    def story_texts(self, ids: Sequence[str]) -> dict[str, ArticleText]:
        """(title, text, language) of these items, the text being what the summarizer read (items.content)."""
        rows = self.rows_in(
            "SELECT i.id, i.title, COALESCE(i.content, ''), i.language FROM items i "
            "WHERE i.id IN ({marks})", dict.fromkeys(ids))
        return {r[0]: (r[1] or "", r[2], r[3]) for r in rows}

    def why_lines(self, ids: Sequence[str], interests_key: str, model: str) -> dict[str, str]:
        """The lines kept for these items under these interests and model ("" where the model had none)."""
        rows = self.rows_in(
            "SELECT item_id, line FROM why_lines WHERE interests_key = ? AND model = ? AND item_id IN ({marks})",
            dict.fromkeys(ids), [interests_key, model])
        return {r[0]: r[1] for r in rows}

    def save_why_lines(self, lines: Mapping[str, str], interests_key: str, model: str, now: datetime) -> None:
        """Keep the lines (item id -> line, "" for none) written under these interests by `model`."""
        with self.db.atomic():
            for item_id, line in lines.items():
                self.db.execute("INSERT OR REPLACE INTO why_lines (item_id, interests_key, model, line, created_at) "
                                "VALUES (?, ?, ?, ?, ?)", [item_id, interests_key, model, line, iso(now)])
