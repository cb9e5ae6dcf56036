"""The digest built from a fixed real archive: ranking, grouping, releases, health, trends, golden file."""

from __future__ import annotations

import os

import pytest
from digest_archive import WEEK, build
from testkit import FIXTURES

from watch.digest.build import parse_period
from watch.digest.render import render
from watch.pipeline import build_digest, write_digest

GOLDEN = FIXTURES / "digest"


@pytest.fixture
def built(tmp_path):
    config, archive = build(tmp_path)
    yield config, archive
    archive.close()


def test_stories_are_ranked_grouped_and_capped(built):
    config, archive = built
    digest = build_digest(config, archive, parse_period(week=WEEK))
    assert (digest.label, digest.item_count, digest.source_count) == (WEEK, 13, 6)
    assert digest.story_count == 11  # 9 stories (3 items in one) + 2 releases
    sections = {s.tag: [i.title for i in s.items] for s in digest.sections}
    assert [s.tag for s in digest.sections] == ["llm", "agents", "regulation"]  # taxonomy order
    nimbus = digest.sections[0].items[0]
    assert nimbus.sources == ("Lab Blog", "Wire", "Veille FR")  # one entry, every source
    assert sum(len(v) for v in sections.values()) == 6  # max_items
    assert sections["regulation"] == ["EU AI Office publishes the code of practice",
                                      "La CNIL précise ses recommandations sur l'IA"]  # relevance decides
    # Wire already has its two full stories: its third collapses into one line, and appears nowhere else
    collapsed = [(c.source, c.count, c.stories[0].title) for c in digest.collapsed]
    assert collapsed == [("Wire", 1, "Agent framework adds tool sandboxes")]
    assert all("Agent framework" not in t for titles in sections.values() for t in titles)
    # the weight-2 lab's off-topic post scores high, but it is filler (relevance 0.05, one source, no tag):
    # counted, never shown; so is Wire's GPU prices post (0.12); the small blog's on-topic posts take the room
    assert digest.off_topic == 2
    assert "Hiring: research engineers" not in str(digest.sections) + str(digest.also)
    assert sections["agents"][1:] == ["My agent wrote my weekly report", "Another small agents post"]
    assert digest.also == ()
    # releases are not stories: their own section, by project
    assert [(r.project, r.previous, r.version) for r in digest.releases] == [
        ("transformers", "5.23.0", "5.24.0"), ("vllm", "0.11.2", "0.12.0")]  # the previous from the week before
    vllm = digest.releases[1]
    assert vllm.note == "breaking: Drop support for Python 3.9"  # the notes' own line, PR number dropped
    assert vllm.detail == vllm.note and digest.releases[0].detail == ""
    assert not any("v0.12.0" in t for titles in sections.values() for t in titles)


def test_health_and_trends(built):
    config, archive = built
    digest = build_digest(config, archive, parse_period(week=WEEK))
    assert [(h.source, h.state) for h in digest.health] == [("Gone", "gone"), ("Broken", "failing"),
                                                            ("Sleepy", "stale")]
    assert "HTTP 500" in digest.health[1].cause and "2 attempts" in digest.health[1].cause
    trends = {t.tag: (t.count, t.previous, t.change) for t in digest.trends}
    assert trends["agents"] == (4, 1, 3.0)  # +300%
    assert trends["llm"] == (2, 2, 0.0)
    assert trends["regulation"] == (2, 0, None)  # new this week


def test_same_archive_same_digest(built, tmp_path):
    config, archive = built
    period = parse_period(week=WEEK)
    first = render(build_digest(config, archive, period), "md")
    again = render(build_digest(config, archive, period), "md")
    assert first == again


@pytest.mark.parametrize("fmt", ["md", "text"])
def test_golden_digest(built, fmt):
    """The whole rendered digest of the fixed archive; UPDATE_GOLDEN=1 rewrites the golden files."""
    config, archive = built
    text = render(build_digest(config, archive, parse_period(week=WEEK)), fmt)
    golden = GOLDEN / f"{WEEK}.{'txt' if fmt == 'text' else fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_write_digest_writes_every_format_and_the_feed(built):
    import feedparser

    config, archive = built
    paths = write_digest(config, archive, parse_period(week=WEEK))
    names = sorted(p.name for p in paths)
    assert names == sorted([f"{WEEK}.md", f"{WEEK}.html", f"{WEEK}.txt", "feed.atom"])
    write_digest(config, archive, parse_period(week="2026-W46"), formats=["atom"])
    feed = feedparser.parse((config.settings.digest.directory / "feed.atom").read_bytes())
    assert feed.bozo == 0
    assert feed.entries[0].title.endswith("2026-W47")  # newest period first
    assert len(feed.entries) == 2 and "Nimbus 3" in feed.entries[0].content[0].value


def test_the_feed_of_past_digests_links_each_entry_to_its_html_page(built):
    import feedparser

    config, archive = built
    write_digest(config, archive, parse_period(week="2026-W46"))
    write_digest(config, archive, parse_period(week=WEEK))
    directory = config.settings.digest.directory
    feed = feedparser.parse((directory / "feed.atom").read_bytes())
    assert feed.bozo == 0
    links = [e.link for e in feed.entries]  # relative to the feed, which sits next to the pages
    assert links == [f"{WEEK}.html", "2026-W46.html"]
    assert all((directory / f"{label}.html").is_file() for label in (WEEK, "2026-W46"))  # the pages exist
    assert feed.feed.link == links[0]
    # Without HTML among the formats there is no page to link to: no alternate links at all.
    write_digest(config, archive, parse_period(week=WEEK), formats=["atom"])
    assert "rel=\"alternate\"" not in (directory / "feed.atom").read_text(encoding="utf-8")
