"""The archive's tag labels: corrections applied at once and kept through re-tagging, the fitted model kept."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from testkit import fixture_bytes

from watch.records import Article, DocVector, FetchResult, ModelOutput, Source, Summary, TagCorrection, TagScore
from watch.sources.parse import parse_feed
from watch.store import open_archive
from watch.store.labels import CORRECTION_MODEL, SOURCE_MODEL

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
RESULT = FetchResult(url="u", final_url="u", status=200, etag=None, last_modified=None)


def _processed(tmp_path):
    """An archive whose four fixture items are processed with tags llm (and mlops for the first)."""
    archive = open_archive(tmp_path / "a.db")
    archive.sync_sources([Source("Lab", "http://x/feed")], NOW)
    feed = parse_feed(fixture_bytes("ai_lab.rss.xml"), source_name="Lab", base_url="http://x/", now=NOW)
    archive.save_refresh("Lab", RESULT, feed, "h", NOW, NOW)
    ids = [item.id for item in archive.pending_items()]
    for n, item_id in enumerate(ids):
        vector = np.eye(8, dtype=np.float32)[n]
        tags = (TagScore("llm", 0.8),) + ((TagScore("mlops", 0.6),) if n == 0 else ())
        archive.save_processed(item_id, Article(text=f"Text {n}.", language="en"),
                               ModelOutput(Summary(f"Text {n}.", "m"), tags, "tagger",
                                           doc=DocVector(f"hash{n}", "emb", vector)), NOW)
    return archive, ids


def test_a_correction_changes_the_items_tags_at_once(tmp_path):
    archive, ids = _processed(tmp_path)
    archive.correct_tags([TagCorrection(ids[0], "security", True), TagCorrection(ids[0], "llm", False)], NOW)
    assert archive.item_tags_of(ids[0]) == ["security", "mlops"]
    row = archive.db.execute("SELECT score, model FROM item_tags WHERE item_id = ? AND tag = 'security'",
                             [ids[0]]).fetchone()
    assert tuple(row) == (1.0, CORRECTION_MODEL)
    assert archive.corrections() == {ids[0]: {"llm": False, "security": True}}
    assert archive.item_tags_of(ids[1]) == ["llm"]  # other items untouched


def test_a_correction_wins_over_processing_again_and_over_re_tagging(tmp_path):
    archive, ids = _processed(tmp_path)
    archive.correct_tags([TagCorrection(ids[0], "security", True), TagCorrection(ids[0], "llm", False)], NOW)
    # the feed changed the item: it is processed again and the tagger says llm again
    archive.save_processed(ids[0], Article(text="New text.", language="en"),
                           ModelOutput(Summary("New text.", "m"), (TagScore("llm", 0.9),), "tagger"), NOW)
    assert archive.item_tags_of(ids[0]) == ["security"]
    changed = archive.replace_tags({ids[0]: [TagScore("llm", 0.9)], ids[1]: [TagScore("agents", 0.7)]}, "tagger")
    assert changed == 1
    assert archive.item_tags_of(ids[0]) == ["security"]
    assert archive.item_tags_of(ids[1]) == ["agents"]
    window = [row[0] for row in archive.retag_window("emb", datetime(2000, 1, 1, tzinfo=UTC))]
    assert ids[0] not in window and set(ids[1:]) <= set(window)


def test_labelled_rows_carry_the_stored_vector_and_current_tags(tmp_path):
    archive, ids = _processed(tmp_path)
    archive.correct_tags([TagCorrection(ids[2], "security", True)], NOW)
    rows = archive.labelled_rows([ids[2]], "emb")
    assert len(rows) == 1
    item_id, _title, text, vector, tags = rows[0]
    assert (item_id, text, tags) == (ids[2], "Text 2.", frozenset({"llm", "security"}))
    assert np.array_equal(vector, np.eye(8, dtype=np.float32)[2])
    assert archive.labelled_rows([ids[2]], "another-model") == []


def test_items_are_found_by_exact_title_or_link(tmp_path):
    archive, ids = _processed(tmp_path)
    title, url = archive.db.execute("SELECT title, url FROM items WHERE id = ?", [ids[1]]).fetchone()
    found = archive.ids_by_title_or_link([title, url, "No such title"])
    assert found == {title: [ids[1]], url: [ids[1]], "No such title": []}
    assert archive.ids_by_link(url) == [ids[1]]


def test_the_fitted_model_is_kept_by_embedding_model_and_replaced(tmp_path):
    archive, _ids = _processed(tmp_path)
    assert archive.tag_model("emb") is None
    archive.save_tag_model("emb", "k1", b"one", NOW)
    archive.save_tag_model("emb", "k2", b"two", NOW)
    assert archive.tag_model("emb") == ("k2", b"two")
    archive.save_tag_model("emb", "k2", None, NOW)
    assert archive.tag_model("emb") is None


def test_pruning_an_item_drops_its_corrections(tmp_path):
    archive, ids = _processed(tmp_path)
    archive.correct_tags([TagCorrection(ids[0], "security", True)], NOW)
    deleted = archive.prune(datetime(2100, 1, 1, tzinfo=UTC), None)
    assert deleted["tag_corrections"] == 1
    assert archive.corrections() == {}


def test_a_tag_given_by_the_source_wins_over_the_tagger_and_stays_through_re_tagging(tmp_path):
    archive, ids = _processed(tmp_path)
    # a stack source's item: the tagger says stack 0.3 and llm; the source says stack
    archive.save_processed(ids[0], Article(text="Text 0.", language="en"),
                           ModelOutput(Summary("Text 0.", "m"), (TagScore("llm", 0.8), TagScore("stack", 0.3)),
                                       "tagger", source_tags=("stack",)), NOW)
    rows = archive.db.execute("SELECT tag, score, model FROM item_tags WHERE item_id = ? ORDER BY tag",
                              [ids[0]]).fetchall()
    assert [tuple(r) for r in rows] == [("llm", 0.8, "tagger"), ("stack", 1.0, SOURCE_MODEL)]
    assert archive.replace_tags({ids[0]: [TagScore("agents", 0.7), TagScore("stack", 0.2)]}, "tagger") == 1
    assert sorted(archive.item_tags_of(ids[0])) == ["agents", "stack"]
    assert archive.db.execute("SELECT score, model FROM item_tags WHERE item_id = ? AND tag = 'stack'",
                              [ids[0]]).fetchone() == (1.0, SOURCE_MODEL)
    assert archive.replace_tags({ids[0]: [TagScore("agents", 0.7)]}, "tagger") == 0  # nothing changed


def test_items_archived_before_their_source_joined_the_stack_get_its_tag_unless_corrected(tmp_path):
    archive, ids = _processed(tmp_path)
    archive.correct_tags([TagCorrection(ids[1], "stack", False)], NOW)
    assert archive.give_source_tag(["Lab"], "stack") == len(ids) - 1
    assert [("stack" in archive.item_tags_of(i)) for i in ids] == [True, False] + [True] * (len(ids) - 2)
    assert archive.give_source_tag(["Lab"], "stack") == 0  # once
    assert archive.give_source_tag([], "stack") == 0
