"""digest.py: periods, grouping, ordering, Markdown rendering and escaping."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from watch.digest.build import make_digest, parse_period, write_text
from watch.digest.render import md_escape, render, safe_url
from watch.records import DigestItem, Tag

TAGS = (Tag("llm", "Language models"), Tag("regulation", "AI rules"))


def render_markdown(digest):
    return render(digest, "md")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _item(i, tags, day, title=None, url="https://e.org/{i}"):
    return DigestItem(id=str(i), title=title or f"Item {i}", url=url.format(i=i), source="S",
                      published=datetime(2026, 11, day, tzinfo=UTC), summary=f"Summary {i}.", tags=tags)


def test_parse_period_week_forms():
    p = parse_period(week="2026-W48")
    assert (p.start, p.end, p.label) == (datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC),
                                         "2026-W48")
    assert parse_period(now=NOW).label == "2026-W47"  # default: the last complete week
    assert parse_period(week="current", now=NOW).label == "2026-W48"
    assert parse_period(week="last", now=NOW).label == "2026-W47"
    assert parse_period(week="2020W53").label == "2020-W53"


def test_parse_period_since():
    p = parse_period(since="7d", now=NOW)
    assert p.end == NOW and (p.end - p.start).days == 7


@pytest.mark.parametrize(("week", "since"), [("2026-W60", None), ("nov", None), (None, "7x"), ("2026-W01", "7d")])
def test_parse_period_rejects_bad_input(week, since):
    with pytest.raises(ValueError):
        parse_period(week=week, since=since, now=NOW)


def test_make_digest_groups_by_best_tag_in_taxonomy_order_newest_first():
    items = [_item(1, ("regulation", "llm"), 23), _item(2, ("llm",), 24), _item(3, (), 25), _item(4, ("llm",), 26)]
    digest = make_digest(items, TAGS, parse_period(week="2026-W48"), per_source=10)  # one source "S" tells all
    assert [s.tag for s in digest.sections] == ["llm", "regulation", "other"]
    assert [i.id for i in digest.sections[0].items] == ["4", "2"]
    assert [i.id for i in digest.sections[1].items] == ["1"]
    assert digest.item_count == 4 and digest.source_count == 1


def test_relevance_to_interests_orders_stories_with_equal_coverage():
    items = [dataclasses.replace(_item(1, ("llm",), 26), relevance=0.21),  # newest, off-interest
             dataclasses.replace(_item(2, ("llm",), 24), relevance=0.62),  # on-interest
             dataclasses.replace(_item(3, ("llm",), 25), relevance=0.61),  # as relevant (same 0.05 step): newer wins
             _item(4, ("llm",), 23)]                                       # no score at all: last
    # a story two sources cover still beats any single-source one
    items += [dataclasses.replace(_item(5, ("llm",), 22), cluster_id="c", relevance=0.1),
              dataclasses.replace(_item(6, ("llm",), 22), cluster_id="c", source="T", relevance=0.3)]
    section = make_digest(items, TAGS, parse_period(week="2026-W48"), per_source=10).sections[0]
    assert [i.id for i in section.items] == ["5", "3", "2", "1", "4"]
    assert section.items[0].relevance == 0.3  # a story's relevance is its best item's


def test_sections_show_the_first_phrase_of_a_long_bilingual_description():
    tags = (Tag("llm", "Large language models; A new model is released / Grands modèles de langage; Sortie"),)
    digest = make_digest([_item(1, ("llm",), 24)], tags, parse_period(week="2026-W48"))
    assert digest.sections[0].description == "Large language models"


def test_render_markdown_content():
    items = [_item(1, ("llm",), 24)]
    text = render_markdown(make_digest(items, TAGS, parse_period(week="2026-W48")))
    assert text.startswith("# Tech watch — 2026-W48")
    assert "2026-11-23 → 2026-11-29 · 1 item from 1 source" in text
    assert "## llm" in text
    assert "### [Item 1](https://e.org/1)" in text
    assert "S · 2026-11-24 · `llm`\n\nSummary 1." in text
    assert "Summary 1." in text


def test_render_markdown_empty_period():
    text = render_markdown(make_digest([], TAGS, parse_period(week="2026-W48")))
    assert "Nothing new" in text


def test_hostile_titles_and_urls_are_neutralised():
    items = [_item(1, ("llm",), 24, title="<script>alert(1)</script> [x](javascript:alert(1))",
                   url="javascript:alert(1)")]
    text = render_markdown(make_digest(items, TAGS, parse_period(week="2026-W48")))
    assert "<script>" not in text
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # a ']' that would close a link text
    assert "\\[x\\](javascript:alert(1))" in text
    assert "\\<script\\>" in text


def test_md_escape_and_safe_url():
    assert md_escape("a *b* _c_\n# d") == "a \\*b\\* \\_c\\_ \\# d"
    assert safe_url("https://e.org/a_(b)") == "https://e.org/a_%28b%29"
    assert safe_url("data:text/html,x") == ""
    assert safe_url("https://e.org/a b") == ""


def test_write_text_is_atomic_and_creates_dirs(tmp_path):
    path = write_text(tmp_path / "d" / "x.md", "hello")
    assert path.read_text() == "hello"
    assert [p.name for p in path.parent.iterdir()] == ["x.md"]
