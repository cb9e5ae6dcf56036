"""End to end on real third-party feeds from ../shared/corpus: CLI run, digest, run again."""

from __future__ import annotations

import re
import sqlite3

import feedparser
import pytest
from testkit import EVERY_STORY_DIGEST, corpus_path, run_cli, shipped_taxonomy, write_config

# EN + FR (+ DE/IT), RSS 2.0, RSS 1.0 (RDF), Atom, JSON Feed, ISO-8859-1 without declaration, UTF-8 BOM.
FEEDS = [
    "github_releases_gulp.atom",
    "fr_cerclepsy_no_xmldecl_latin1.xml",
    "medium_tag_feed.rss.xml",
    "wordpress_natashatherobot.rss.xml",
    "de_heise_developer.atom",
    "fr_planete_jquery_rss10.rdf",
    "arxiv_rss_cs.LG+cs.AI+cs.CL+stat.ML_trimmed.rss.xml",
    "qemu_release_announcements_jekyll.atom",
    "pappacoda_atom_xslt_xmlbase_it.atom",
    "odd_utf8_bom.rss.xml",
    "fr_sametmax_wordpress.rss.xml",
    "npr_technology.jsonfeed.json",
]
TAG_NAMES = set(re.findall(r"^  - name: (\S+)$", shipped_taxonomy(), flags=re.M))


def _expected_entries(data: bytes, name: str) -> int:
    if name.endswith(".json"):
        import json

        return len(json.loads(data)["items"])
    return len({e.get("id") or e.get("link") or e.get("title") for e in feedparser.parse(data).entries})


@pytest.mark.corpus
@pytest.mark.model
def test_corpus_feeds_end_to_end(tmp_path, server):
    feeds_dir = corpus_path("feeds")
    expected = {}
    sources = []
    for name in FEEDS:
        data = (feeds_dir / name).read_bytes()
        server.add(f"/{name}", data, etag=name.endswith(".atom"))
        expected[name] = _expected_entries(data, name)
        sources.append({"name": name, "url": server.url(f"/{name}")})
    # The budget of earlier versions (25 full stories, every other story a one-liner): this test checks that
    # every corpus item reaches the digest; the budget itself is tested in tests/digest/test_select.py.
    path = write_config(tmp_path, sources, taxonomy=shipped_taxonomy(),
                        digest=EVERY_STORY_DIGEST)

    first = run_cli("run", "--config", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    for name in FEEDS:
        assert f"new        {name}: {expected[name]} new" in first.stdout
    total = sum(expected.values())
    assert f"{total} new items; {total} processed, 0 failed" in first.stdout

    db = sqlite3.connect(tmp_path / "watch.db")
    per_source = dict(db.execute("SELECT source, COUNT(*) FROM items GROUP BY source").fetchall())
    assert per_source == expected
    assert db.execute("SELECT COUNT(*) FROM items WHERE status != 'done'").fetchone()[0] == 0
    empty = db.execute("SELECT COUNT(*) FROM summaries WHERE LENGTH(TRIM(text)) = 0").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0] == total and empty == 0
    assert db.execute("SELECT MAX(LENGTH(text)) FROM summaries").fetchone()[0] <= 400
    used_tags = {r[0] for r in db.execute("SELECT DISTINCT tag FROM item_tags")}
    assert used_tags and used_tags <= TAG_NAMES
    languages = {r[0] for r in db.execute("SELECT DISTINCT language FROM items")}
    assert {"en", "fr"} <= languages
    # the Latin-1 feed without declaration was decoded, not mangled
    latin = [r[0] for r in db.execute("SELECT title FROM items WHERE source = 'fr_cerclepsy_no_xmldecl_latin1.xml'")]
    assert any(re.search("[éèàçê]", t) for t in latin) and not any("\ufffd" in t for t in latin)

    digest = run_cli("digest", "--config", str(path), "--since", "100000d", "--out", "d.md", cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    text = (tmp_path / "d.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### \[(.+)\]\((https?://[^)]+)\)$", text, flags=re.M)
    also_block = text.split("## Also this week")[1].split("\n## ")[0]
    also = re.findall(r"^- .+ — .+$", also_block, flags=re.M)
    assert len(headings) >= 25 - 2  # the top 25 stories, linked when they have a link
    assert text.count("\n### ") == 25 and len(also) == total - 25  # the rest as one-liners: every item is there
    sections = set(re.findall(r"^## (\S+)$", text, flags=re.M))
    assert sections - {"Releases"} <= TAG_NAMES | {"other"} and sections & TAG_NAMES

    second = run_cli("run", "--all", "--config", str(path), cwd=tmp_path)
    assert second.returncode == 0
    assert "0 new items; 0 processed" in second.stdout
    assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == total
    assert db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0] == total
