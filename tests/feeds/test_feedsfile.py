"""Appending sources to feeds.yaml: the old text is kept byte for byte, the new one validated first."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from testkit import FIXTURES, ROOT, dedent, write_config

from watch.config import load_config
from watch.errors import ConfigError
from watch.feeds import feedsfile
from watch.feeds.feedsfile import NewSource, append_sources, render_sources

COMMENTED = FIXTURES / "feedsfile" / "commented.yaml"
TAXONOMY = """\
tags:
  - name: llm
    description: Large language models
  - name: regulation
    description: AI regulation
"""


@pytest.fixture
def commented(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    shutil.copyfile(COMMENTED, path)
    return path


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != "feeds.yaml")


def test_append_keeps_the_old_text_as_an_exact_prefix(commented):
    old = commented.read_bytes()
    lines = append_sources(commented, [
        NewSource("Model Makers", "https://models.example.com/rss.xml", ("llm", "regulation"), "1h30m"),
        NewSource("Plain", "https://plain.example.org/feed"),
    ])
    new = commented.read_bytes()
    assert new.startswith(old)
    # The file separates entries with blank lines: so do the new ones. The commented-out source
    # indented under the list stays above them, as part of the list.
    added = new[len(old):].decode().splitlines()
    assert added == ["", "  - name: Model Makers", "    url: https://models.example.com/rss.xml",
                     "    tags: [llm, regulation]", "    interval: 1h30m", "",
                     "  - name: Plain", "    url: https://plain.example.org/feed"]
    config = load_config(commented)
    assert [s.name for s in config.sources] == ["Lab news", "Veille FR", "Model Makers", "Plain"]
    makers = config.sources[2]
    assert (makers.tags, makers.interval_seconds, makers.url) == (
        ("llm", "regulation"), 5400, "https://models.example.com/rss.xml")
    text_lines = new.decode().splitlines()
    assert lines == [s.line for s in config.sources[2:]]
    assert text_lines[lines[0] - 1] == "  - name: Model Makers"
    assert text_lines[lines[1] - 1] == "  - name: Plain"
    assert leftovers(commented.parent) == []


def test_entries_without_blank_lines_between_get_none(tmp_path):
    path = write_config(tmp_path, [{"name": "A", "url": "https://a.example/feed"},
                                   {"name": "B", "url": "https://b.example/feed"}])
    old = path.read_text()
    append_sources(path, [NewSource("C", "https://c.example/feed", ("llm",))])
    assert path.read_text() == old + "  - name: C\n    url: https://c.example/feed\n    tags: [llm]\n"


def test_sources_followed_by_other_sections_get_entries_inserted_at_the_end_of_the_list(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(dedent("""
        sources:
          - name: A
            url: https://a.example/feed
            # a comment inside the last entry
            tags: [llm]
          # a commented-out entry, indented: part of the list

        # --- the taxonomy, after the sources (comment at column 0: belongs to what follows)
        """) + TAXONOMY, encoding="utf-8")
    old_lines = path.read_text().splitlines(keepends=True)
    [line] = append_sources(path, [NewSource("B", "https://b.example/feed", ("regulation",))])
    new_lines = path.read_text().splitlines(keepends=True)
    assert line == 7
    inserted = ["  - name: B\n", "    url: https://b.example/feed\n", "    tags: [regulation]\n"]
    assert new_lines == [*old_lines[:6], *inserted, *old_lines[6:]]
    assert [s.name for s in load_config(path).sources] == ["A", "B"]


def test_indentless_list_and_wider_item_indentation_are_followed(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(TAXONOMY + "sources:\n- name: A\n  url: https://a.example/feed\n", encoding="utf-8")
    append_sources(path, [NewSource("B", "https://b.example/feed")])
    assert path.read_text().endswith("- name: A\n  url: https://a.example/feed\n- name: B\n  url: https://b.example/feed\n")

    path.write_text(TAXONOMY + "sources:\n    -   name: A\n        url: https://a.example/feed\n", encoding="utf-8")
    append_sources(path, [NewSource("B", "https://b.example/feed")])
    assert path.read_text().endswith("    -   name: B\n        url: https://b.example/feed\n")
    assert [s.name for s in load_config(path).sources] == ["A", "B"]


def test_crlf_bom_and_missing_final_newline_are_preserved(tmp_path):
    path = tmp_path / "feeds.yaml"
    old = ("\ufeff# windows file\r\n" + TAXONOMY.replace("\n", "\r\n")
           + "sources:\r\n  - name: A\r\n    url: https://a.example/feed").encode("utf-8")
    path.write_bytes(old)
    append_sources(path, [NewSource("B", "https://b.example/feed", ("llm",))])
    new = path.read_bytes()
    assert new == old + b"\r\n  - name: B\r\n    url: https://b.example/feed\r\n    tags: [llm]\r\n"
    assert [s.name for s in load_config(path).sources] == ["A", "B"]


def test_sources_key_with_only_comments_or_missing(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(TAXONOMY + "sources:\n  # none yet\n\n# end of file\n", encoding="utf-8")
    [line] = append_sources(path, [NewSource("First", "https://first.example/feed")])
    assert path.read_text() == (TAXONOMY + "sources:\n  # none yet\n  - name: First\n"
                                "    url: https://first.example/feed\n\n# end of file\n")
    assert line == 8

    path.write_text(TAXONOMY, encoding="utf-8")
    append_sources(path, [NewSource("First", "https://first.example/feed")])
    assert path.read_text() == TAXONOMY + "\nsources:\n  - name: First\n    url: https://first.example/feed\n"
    assert load_config(path).sources[0].name == "First"


def test_flow_style_sources_are_refused_untouched(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text(TAXONOMY + "sources: [{name: A, url: 'https://a.example/feed'}]\n", encoding="utf-8")
    old = path.read_bytes()
    with pytest.raises(ConfigError, match="block list") as caught:
        append_sources(path, [NewSource("B", "https://b.example/feed")])
    assert caught.value.line == 6 and caught.value.exit_code == 2
    assert path.read_bytes() == old


@pytest.mark.parametrize("name", [
    'Foo: "bar" & <baz> #1', "yes", "null", "123", "*star", "&anchor", "- dash", "O'Reilly Radar",
    "Siècle Digital", "a # not a comment", "[bracketed]", "{braced}", "@at", "`tick", "%percent",
])
def test_awkward_names_round_trip_through_load_config(tmp_path, name):
    path = write_config(tmp_path, [{"name": "A", "url": "https://a.example/feed"}])
    append_sources(path, [NewSource(name, "https://x.example/feed?a=1&b=2#frag")])
    added = load_config(path).sources[-1]
    assert (added.name, added.url) == (name, "https://x.example/feed?a=1&b=2#frag")


def test_render_sources_quotes_what_must_be_quoted():
    text = render_sources([NewSource("Key: value", "https://a.example/f", ("llm",), "6h")], dash_column=0)
    assert text == "- name: 'Key: value'\n  url: https://a.example/f\n  tags: [llm]\n  interval: 6h\n"


def test_render_sources_writes_a_kind_other_than_feed_after_the_name():
    assert render_sources([NewSource("News", "https://a.example/news", kind="page")], dash_column=0) == (
        "- name: News\n  kind: page\n  url: https://a.example/news\n")


@pytest.mark.parametrize(("new", "match"), [
    (NewSource("lab NEWS", "https://new.example/feed"), r"named 'Lab news' already exists \(line 23"),
    (NewSource("Other", "http://www.lab.example.org/feed.xml/"), r"already in the file as 'Lab news' \(line 23\)"),
])
def test_duplicate_name_or_url_is_refused_and_the_file_untouched(commented, new, match):
    old = commented.read_bytes()
    with pytest.raises(ConfigError, match=match) as caught:
        append_sources(commented, [new])
    assert caught.value.exit_code == 2 and caught.value.line == 23
    assert str(caught.value).startswith(f"{commented}:23: ")
    assert commented.read_bytes() == old and leftovers(commented.parent) == []


def test_duplicates_among_the_new_sources_are_refused(commented):
    old = commented.read_bytes()
    with pytest.raises(ConfigError, match="already"):
        append_sources(commented, [NewSource("X", "https://x.example/a"), NewSource("x", "https://x.example/b")])
    with pytest.raises(ConfigError, match="already"):
        append_sources(commented, [NewSource("X", "https://x.example/a"), NewSource("Y", "https://x.example/a")])
    assert commented.read_bytes() == old


def test_validation_error_names_the_users_file_and_leaves_it_untouched(commented):
    old = commented.read_bytes()
    with pytest.raises(ConfigError) as caught:
        append_sources(commented, [NewSource("New", "https://new.example/feed", ("nope",), "5s")])
    message = str(caught.value)
    assert message.startswith(f"{commented}:")
    assert "unknown tag 'nope'" in message and "minimum" in message  # every problem, as load_config reports
    assert "the file was not changed" in message
    assert ".tmp" not in message
    assert commented.read_bytes() == old and leftovers(commented.parent) == []


def test_invalid_existing_file_is_reported_and_untouched(tmp_path):
    path = tmp_path / "feeds.yaml"
    path.write_text("sources:\n  - name: A\n    url: https://a.example/feed\n  bad: [\n", encoding="utf-8")
    old = path.read_bytes()
    with pytest.raises(ConfigError, match="YAML syntax error"):
        append_sources(path, [NewSource("B", "https://b.example/feed")])
    assert path.read_bytes() == old


def test_dry_run_validates_and_returns_lines_but_writes_nothing(commented):
    old, mtime = commented.read_bytes(), commented.stat().st_mtime_ns
    assert append_sources(commented, [NewSource("New", "https://new.example/feed")], dry_run=True) == [35]
    assert commented.read_bytes() == old and commented.stat().st_mtime_ns == mtime
    with pytest.raises(ConfigError, match="unknown tag"):
        append_sources(commented, [NewSource("New", "https://new.example/feed", ("nope",))], dry_run=True)
    assert leftovers(commented.parent) == []


def test_permissions_and_symlinks_are_kept(commented):
    commented.chmod(0o640)
    link = commented.parent / "link.yaml"
    link.symlink_to(commented.name)
    append_sources(link, [NewSource("New", "https://new.example/feed")])
    assert link.is_symlink() and os.readlink(link) == commented.name
    assert load_config(commented).sources[-1].name == "New"
    assert stat.S_IMODE(commented.stat().st_mode) == 0o640


def test_a_concurrent_edit_is_not_overwritten(commented, monkeypatch):
    def edit_meanwhile(path):
        commented.write_text(commented.read_text() + "# edited by hand meanwhile\n", encoding="utf-8")
        return load_config(path)

    monkeypatch.setattr(feedsfile, "load_config", edit_meanwhile)
    with pytest.raises(ConfigError, match="changed while"):
        append_sources(commented, [NewSource("New", "https://new.example/feed")])
    assert commented.read_text().endswith("# edited by hand meanwhile\n")


def test_nothing_to_add_changes_nothing(commented):
    old = commented.read_bytes()
    assert append_sources(commented, []) == []
    assert commented.read_bytes() == old


def test_the_shipped_feeds_yaml_keeps_its_text(tmp_path):
    # The real default file: multi-line flow lists, aligned comments, `null`s and folded text that a
    # ruamel round-trip dump would reformat.
    path = tmp_path / "feeds.yaml"
    shutil.copyfile(ROOT / "feeds.yaml", path)
    old = path.read_bytes()
    before = load_config(path)
    tag = before.tags[0].name
    [line] = append_sources(path, [NewSource("Brand new", "https://brand-new.example/feed", (tag,), "12h")])
    assert path.read_bytes().startswith(old)
    after = load_config(path)
    assert after.sources[:-1] == before.sources
    assert (after.sources[-1].name, after.sources[-1].line) == ("Brand new", line)
