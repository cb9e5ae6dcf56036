"""Placeholder titles and empty bodies are no evidence of a story: untitled items with different links and
content are never merged, and entries without guid and link are keyed by title, date and content."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import numpy as np
import pytest
from fakes import fake_models
from testkit import run_cli, write_config

from watch.config import load_config
from watch.dedup import entry_id, is_placeholder_title
from watch.digest.build import merge_stories
from watch.http.client import make_client
from watch.pipeline import run_cycle
from watch.records import DigestItem
from watch.store import open_archive
from watch.stories.cluster import (
    KnownCluster,
    StoryText,
    assign_to_existing,
    cluster_stories,
    evidence,
    placeholder_flags,
)

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
LONG = ("The regulator published its guidance on general-purpose models, with a code of practice on "
        "transparency, copyright and the documentation that providers must keep for ten years.")


class SameVector:
    """An embedder that finds every text identical: only the rules' own guards can keep items apart."""

    name = "same-vector"

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 8), dtype=np.float32)


def story(id: str, source: str, title: str, lead: str = "", url: str | None = None, digest: str | None = None,
          hours: float = 0.0) -> StoryText:
    return StoryText(id=id, source=source, title=title, lead=lead, published=T0 + timedelta(hours=hours),
                     canonical_url=url if url is not None else f"https://{source}.example/{id}",
                     content_hash=digest or f"hash-{id}")


@pytest.mark.parametrize("title", ["", "  ", "(untitled)", "Untitled", "No title", "(No Title)", "[no title]", "—"])
def test_placeholder_titles(title: str) -> None:
    assert is_placeholder_title(title)


@pytest.mark.parametrize("title", ["Untitled Goose Game 2 released", "No title fight for the open model",
                                   "Mistral Small 4", "A"])
def test_real_titles_are_not_placeholders(title: str) -> None:
    assert not is_placeholder_title(title)


def test_a_title_one_source_gives_to_different_items_is_generic() -> None:
    items = [story("a", "s1", "News"), story("b", "s1", "news "), story("c", "s1", "News"), story("d", "s2", "News"),
             story("e", "s3", "Launch"), story("f", "s3", "Launch"),
             *[story(f"r{n}", "s4", "Launch", url="https://x/1", digest="h") for n in range(3)]]
    # s1 says "News" of three different items; s2 once; s3 twice (a follow-up is still news); s4 thrice of
    # the same item (a repeat, not a habit).
    assert placeholder_flags(items) == [True, True, True, False, False, False, False, False, False]


def test_untitled_items_without_a_body_are_never_merged_by_similarity() -> None:
    items = [story(f"u{n}", f"src{n}", "(untitled)", "", hours=n) for n in range(6)]
    items += [story("t1", "lab", "Mistral Small 4", hours=1), story("t2", "press", "Mistral Small 4", hours=2)]
    groups = {frozenset(g) for g in cluster_stories(items, SameVector())}
    assert frozenset({"t1", "t2"}) in groups  # the control: real titles, identical vectors, merged
    assert all(len(g) == 1 for g in groups if any(i.startswith("u") for i in g))


def test_generic_titles_are_not_evidence_but_a_substantial_body_is() -> None:
    items = [story("n1", "s1", "Update", "short teaser"), story("n2", "s1", "Update", "another one", hours=1),
             story("n3", "s1", "Update", "a third", hours=1.5),
             story("m1", "s2", "Update", "yet another", hours=2),
             story("b1", "s3", "(untitled)", LONG, hours=3), story("b2", "s4", "", LONG, hours=4)]
    kept = evidence(items)
    assert kept[0] is None and kept[1] is None  # generic in s1 and no body to compare
    assert kept[4] is not None and kept[4].title == ""  # compared by its body alone
    groups = {frozenset(g) for g in cluster_stories(items, SameVector())}
    assert {"b1", "b2"} <= next(g for g in groups if "b1" in g)  # the same substantial content, titles aside
    assert frozenset({"n1"}) in groups and frozenset({"n2"}) in groups  # identical vectors, yet no evidence


def test_untitled_items_join_by_the_same_url_and_new_ones_never_join_old_untitled_clusters() -> None:
    same = [story("a", "s1", "(untitled)", url="https://x/post"), story("b", "s2", "", url="https://x/post", hours=1)]
    assert {frozenset(g) for g in cluster_stories(same, SameVector())} == {frozenset({"a", "b"})}
    known = [KnownCluster(id="k", items=(story("k", "s1", "(untitled)"),))]
    out = assign_to_existing([story("n", "s2", "(untitled)", hours=1)], known, SameVector())
    assert out == {"n": "n"}


def test_a_story_is_headed_by_its_first_titled_report() -> None:
    def item(id: str, title: str, hours: float) -> DigestItem:
        return DigestItem(id=id, title=title, url=f"https://x/{id}", source=id, published=T0 + timedelta(hours=hours),
                          summary="", tags=(), cluster_id="c", sources=(id,))
    merged = merge_stories([item("a", "(untitled)", 0), item("b", "Grok 5 released", 1)])
    assert [(m.title, m.url, m.sources) for m in merged] == [("Grok 5 released", "https://x/b", ("a", "b"))]


# --- through the feeds, the store and the real pipeline -------------------------------------------------

def _rss(items: list[tuple[str, str, str]], when: datetime, stamp: str = "") -> str:
    """Items of (title, link, description); an empty link or title is left out, and no guid is given.

    `stamp` changes the document without changing an entry, so a re-fetch reads the entries again."""
    body = ""
    for title, link, text in items:
        body += ("<item>" + (f"<title>{title}</title>" if title else "") + (f"<link>{link}</link>" if link else "")
                 + f"<pubDate>{format_datetime(when)}</pubDate>"
                 + (f"<description>{text}</description>" if text else "") + "</item>")
    return f"<rss version='2.0'><channel><title>T</title><description>{stamp}</description>{body}</channel></rss>"


def _cycle(tmp_path, server, names: list[str]):
    config = load_config(write_config(tmp_path, [{"name": n, "url": server.url(f"/{n}.xml"), "extract": "never"}
                                                 for n in names]))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        report = run_cycle(config, archive, client, fake_models, force=True)
    archive.close()
    return report


def test_entries_without_guid_and_link_are_keyed_by_their_content(tmp_path, server):
    when = datetime.now(UTC).replace(microsecond=0)
    texts = ["First note on the inference server release.", "Second note, on GPU prices.", ""]
    server.add("/notes.xml", _rss([("", "", t) for t in texts] + [("Same title", "", "one"),
                                                                  ("Same title", "", "two")], when))
    first = _cycle(tmp_path, server, ["notes"])
    assert first.new_items == 5
    server.add("/notes.xml", _rss([("", "", t) for t in texts] + [("Same title", "", "one"),
                                                                  ("Same title", "", "two")], when, "again"))
    again = _cycle(tmp_path, server, ["notes"])
    assert again.sources[0].error is None, again.sources
    assert again.new_items == 0
    db = sqlite3.connect(tmp_path / "watch.db")
    assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 5
    db.close()


def test_an_archive_keyed_by_title_and_date_is_adopted_not_duplicated(tmp_path, server):
    when = datetime.now(UTC).replace(microsecond=0)
    server.add("/old.xml", _rss([("Weekly note", "", "The same entry as before.")], when))
    assert _cycle(tmp_path, server, ["old"]).new_items == 1
    # Rewrite the row as the previous version stored it: id from title|date only.
    db = sqlite3.connect(tmp_path / "watch.db")
    legacy = entry_id("old", f"Weekly note|{when.isoformat()}")
    db.execute("UPDATE items SET id = ?", [legacy])
    db.commit()
    db.close()
    server.add("/old.xml", _rss([("Weekly note", "", "The same entry as before.")], when, "refetched"))
    adopted = _cycle(tmp_path, server, ["old"])
    assert adopted.sources[0].error is None and (adopted.new_items, adopted.sources[0].updated_items) == (0, 0)
    # A different entry that shared the old key (same title and date) is a new item, the old row stays.
    server.add("/old.xml", _rss([("Weekly note", "", "The same entry as before."),
                                 ("Weekly note", "", "A different entry, same title and date.")], when))
    assert _cycle(tmp_path, server, ["old"]).new_items == 1
    server.add("/old.xml", _rss([("Weekly note", "", "The same entry as before."),
                                 ("Weekly note", "", "A different entry, same title and date.")], when, "3"))
    settled = _cycle(tmp_path, server, ["old"])
    assert (settled.new_items, settled.sources[0].updated_items) == (0, 0)
    db = sqlite3.connect(tmp_path / "watch.db")
    ids = [r[0] for r in db.execute("SELECT id FROM items ORDER BY fetched_at, id")]
    assert len(ids) == 2 and legacy in ids
    db.close()


@pytest.mark.model
def test_untitled_entries_of_many_feeds_stay_apart_with_the_real_model(tmp_path, server):
    when = datetime.now(UTC) - timedelta(hours=2)
    names = [f"feed{n}" for n in range(4)]
    for n, name in enumerate(names):
        server.add(f"/{name}.xml", _rss([("", f"https://site{n}.example.org/{k}", "") for k in range(3)]
                                        + [("", "https://shared.example.org/same-post", "")], when))
    path = write_config(tmp_path, [{"name": n, "url": server.url(f"/{n}.xml"), "extract": "never"} for n in names])
    run = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    db = sqlite3.connect(tmp_path / "watch.db")
    rows = db.execute("SELECT canonical_url, COALESCE(cluster_id, id) FROM items").fetchall()
    db.close()
    assert len(rows) == 16
    stories: dict[str, set[str]] = {}
    for url, story_id in rows:
        stories.setdefault(story_id, set()).add(url)
    # Untitled items with different links and no content: never one story. The same link: one story.
    assert all(len(urls) == 1 for urls in stories.values())
    shared = [s for s, urls in stories.items() if urls == {"https://shared.example.org/same-post"}]
    assert len(shared) == 1
