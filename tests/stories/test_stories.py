"""One entry per story: items from several sources linked into clusters, shown once in the digest."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from fakes import fake_models
from fixture_dates import last_monday, week_label
from testkit import rss, write_config

from watch.config import load_config
from watch.digest.build import parse_period
from watch.digest.render import render
from watch.http.client import make_client
from watch.pipeline import build_digest, load_models, run_cycle
from watch.store import open_archive

STORY = {
    "Lab blog": ("Nimbus-7B: our open-weights model is out",
                 "Today we release Nimbus-7B, an open-weights language model with seven billion parameters, "
                 "under the Apache 2.0 licence. It beats larger open models on reasoning and coding."),
    "Tech press": ("Example Lab releases open-weights Nimbus-7B model",
                   "Example Lab has published Nimbus-7B, a seven-billion-parameter language model with open "
                   "weights under Apache 2.0, claiming better reasoning and coding than bigger open models."),
    "Aggregator": ("Nimbus-7B open weights released (Apache 2.0)",
                   "Nimbus-7B, a new 7B open-weights LLM from Example Lab, is available under Apache 2.0 "
                   "and outperforms larger open models on coding and reasoning benchmarks."),
}
# Tuesday of last week: in the past whatever today is, and in the week the digests below are built for.
PUBLISHED = last_monday() + timedelta(days=1, hours=10)
WEEK = week_label(PUBLISHED)
OTHER = ("Mistral releases OCR 4 for document parsing",
         "Mistral released OCR 4, a document understanding model with bounding boxes and 170 languages.")
OTHER_TOO = ("Mistral releases Small 4 for chat",
             "Mistral released Small 4, a compact chat model tuned for instruction following and tool use.")


def _rss(server, path: str, items: list[tuple[str, str, str]]) -> str:
    return server.add(path, rss(path, [{"title": t, "link": link, "guid": link, "description": d,
                                        "pubDate": format_datetime(PUBLISHED, usegmt=True)} for t, d, link in items]))


def _serve_story(server) -> list[dict]:
    sources = []
    for n, (name, (title, text)) in enumerate(STORY.items()):
        items = [(title, text, f"https://site{n}.example/nimbus-7b-{n}")]
        if name == "Lab blog":
            items += [(*OTHER, "https://lab.example/ocr-4"), (*OTHER_TOO, "https://lab.example/small-4")]
        sources.append({"name": name, "url": _rss(server, f"/f{n}.xml", items), "extract": "never"})
    return sources


@pytest.mark.model
def test_same_story_from_three_sources_is_one_digest_entry(tmp_path, server):
    # One lab tells all three stories: room for all three as full stories (per_source is tested in tests/digest).
    config = load_config(write_config(tmp_path, _serve_story(server), digest="{directory: digests, per_source: 5}"))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, lambda: load_models(config))
    clusters = archive.db.execute(
        "SELECT cluster_id, COUNT(*), COUNT(DISTINCT source) FROM items GROUP BY cluster_id ORDER BY 2 DESC"
    ).fetchall()
    assert clusters[0][1:] == (3, 3)  # the three reports of Nimbus-7B
    assert len(clusters) == 3  # OCR 4 and Small 4 stay apart, despite near-identical titles
    assert archive.db.execute("SELECT COUNT(*) FROM item_vectors").fetchone()[0] == 5
    assert archive.db.execute("SELECT item_count, source_count FROM clusters WHERE id = ?",
                              [clusters[0][0]]).fetchone() == (3, 3)

    digest = build_digest(config, archive, parse_period(week=WEEK))
    stories = [i for s in digest.sections for i in s.items]
    assert len(stories) == 3
    nimbus = next(i for i in stories if "Nimbus" in i.title)
    assert set(nimbus.sources) == set(STORY)
    section = next(s for s in digest.sections if nimbus in s.items)
    assert section.items[0] is nimbus  # more sources rank first
    text = render(digest, "md")
    assert text.count("Nimbus-7B") >= 1 and text.count("### ") == 3
    assert "Lab blog, Tech press, Aggregator" in text or ("Lab blog" in text and "Aggregator" in text)


@pytest.mark.model
def test_a_later_report_joins_the_existing_cluster(tmp_path, server):
    sources = _serve_story(server)
    late = sources.pop()  # the aggregator reports a day later
    config = load_config(write_config(tmp_path, sources))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, lambda: load_models(config))
        before = dict(archive.db.execute("SELECT title, cluster_id FROM items").fetchall())
        config = load_config(write_config(tmp_path, [*sources, late]))
        run_cycle(config, archive, client, lambda: load_models(config))
    after = dict(archive.db.execute("SELECT title, cluster_id FROM items").fetchall())
    assert {t: c for t, c in after.items() if t in before} == before  # cluster ids never change
    nimbus_cluster = before[STORY["Lab blog"][0]]
    assert after[STORY["Aggregator"][0]] == nimbus_cluster


def test_same_canonical_url_is_one_story_even_without_a_model(tmp_path, server):
    a = _rss(server, "/a.xml", [("Launch day", "First report.", "https://news.example/launch?utm_source=a")])
    b = _rss(server, "/b.xml", [("Launch!", "Second report.", "http://www.news.example/launch/")])
    c = _rss(server, "/c.xml", [("Other news", "Unrelated.", "https://news.example/other")])
    config = load_config(write_config(tmp_path, [{"name": "A", "url": a}, {"name": "B", "url": b},
                                                 {"name": "C", "url": c}]))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, fake_models)
    rows = dict(archive.db.execute("SELECT source, cluster_id FROM items").fetchall())
    assert rows["A"] == rows["B"] != rows["C"]
    assert archive.db.execute("SELECT COUNT(*) FROM items WHERE cluster_id IS NULL").fetchone()[0] == 0
    digest = build_digest(config, archive, parse_period(week=WEEK))
    assert sorted(len(i.sources) for s in digest.sections for i in s.items) == [1, 2]


def test_items_without_text_are_not_one_story(tmp_path, server):
    empty = _rss(server, "/e.xml", [(f"Episode {i}", "", f"https://pod.example/ep{i}") for i in range(4)])
    other = _rss(server, "/o.xml", [("Unrelated", "", "https://other.example/x")])
    config = load_config(write_config(tmp_path, [{"name": "E", "url": empty, "extract": "never"},
                                                 {"name": "O", "url": other, "extract": "never"}]))
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        run_cycle(config, archive, client, fake_models)
    assert archive.db.execute("SELECT COUNT(DISTINCT cluster_id) FROM items").fetchone()[0] == 5
