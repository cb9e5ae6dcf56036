"""Splitting changelogs into releases: inline fixtures for each format, then the real files of the corpus."""

from __future__ import annotations

import datetime

import pytest
from testkit import corpus_path, dedent

from watch.sources.changelog import ChangelogRelease, find_date, html_to_markdown, parse_changelog, parse_changelog_html


def versions(releases: list[ChangelogRelease]) -> list[str]:
    return [release.version.text for release in releases]


def by_version(releases: list[ChangelogRelease], text: str) -> ChangelogRelease:
    matches = [release for release in releases if release.version.text == text]
    assert len(matches) == 1, (text, versions(releases))
    return matches[0]


KEEP_A_CHANGELOG = dedent("""
    # Changelog
    All notable changes to this project will be documented in this file.

    ## [Unreleased]
    ### Added
    - Something not released yet

    ## [1.2.3] - 2024-05-01
    ### Added
    - New `--fast` flag
    ### Fixed
    - Crash on empty input

    ## [1.2.2] - 2024-04-02
    ### Security
    - Fix CVE-2024-1234 in the parser

    [Unreleased]: https://github.com/example/project/compare/v1.2.3...HEAD
    [1.2.3]: https://github.com/example/project/compare/v1.2.2...v1.2.3
    [1.2.2]: https://github.com/example/project/releases/tag/v1.2.2
""")


def test_keep_a_changelog_skips_unreleased_and_link_references() -> None:
    releases = parse_changelog(KEEP_A_CHANGELOG)
    assert versions(releases) == ["1.2.3", "1.2.2"]
    newest, older = releases
    assert newest.heading == "[1.2.3] - 2024-05-01"
    assert newest.date == datetime.date(2024, 5, 1)
    assert newest.notes == "### Added\n- New `--fast` flag\n### Fixed\n- Crash on empty input"
    assert older.notes == "### Security\n- Fix CVE-2024-1234 in the parser"
    assert "not released yet" not in newest.notes + older.notes


def test_unreleased_between_releases_ends_the_notes() -> None:
    text = "## 2.0.0\n- new\n\n## Unreleased ideas\n- maybe\n\n## 1.0.0\n- old\n"
    releases = parse_changelog(text)
    assert [(r.version.text, r.notes) for r in releases] == [("2.0.0", "- new"), ("1.0.0", "- old")]


def test_release_please_headings_with_links_and_sections() -> None:
    text = dedent("""
        # Changelog

        ## [1.52.0](https://github.com/openai/openai-python/compare/v1.51.2...v1.52.0) (2024-10-17)


        ### Features

        * **api:** add gpt-4o-audio-preview model ([6b6a9e4](https://github.com/openai/openai-python/commit/6b6a9e4))


        ### Bug Fixes

        * **client:** avoid OverflowError ([#1756](https://github.com/openai/openai-python/issues/1756))

        ## 1.51.2 (2024-10-08)

        ### Chores

        * add repr to PageInfo class ([#1767](https://github.com/openai/openai-python/issues/1767))
    """)
    releases = parse_changelog(text)
    assert versions(releases) == ["1.52.0", "1.51.2"]
    assert releases[0].heading == "1.52.0 (2024-10-17)"
    assert releases[0].date == datetime.date(2024, 10, 17)
    assert releases[0].notes.startswith("### Features\n\n* **api:** add gpt-4o-audio-preview model")
    assert "### Bug Fixes" in releases[0].notes
    assert "1.51.2" not in releases[0].notes
    assert releases[1].notes.startswith("### Chores")


@pytest.mark.parametrize(("heading", "version", "date"), [
    ("# v1.2.3", "1.2.3", None),
    ("## 1.2.3 (2024-05-01)", "1.2.3", datetime.date(2024, 5, 1)),
    ("### 6.1.5 build 6150 - 27 Nov 2023", "6.1.5", datetime.date(2023, 11, 27)),
    ("### 7.1.3 7207 19 Aug 2026 — brent: main tag: mac-7.1.3", "7.1.3", datetime.date(2026, 8, 19)),
    ("## Version 2.0 — May 1, 2024", "2.0", datetime.date(2024, 5, 1)),
    ("## Release 3.1.0, 1 May 2024", "3.1.0", datetime.date(2024, 5, 1)),
    ("## v0.4.0-beta.2 / 2024/03/09", "0.4.0-beta.2", datetime.date(2024, 3, 9)),
    ("### 0.0.5: last version compatible with Python 3.4", "0.0.5", None),
    ("## **1.0.1** (Feb 29, 2024)", "1.0.1", datetime.date(2024, 2, 29)),
    ("## 1.0.2 (Feb 30, 2024)", "1.0.2", None),  # no such day
])
def test_markdown_version_headings(heading: str, version: str, date: datetime.date | None) -> None:
    releases = parse_changelog(f"# Notes\n\n{heading}\n\n- a change\n")
    assert len(releases) == 1
    assert releases[0].version.text == version
    assert releases[0].date == date
    assert releases[0].notes == "- a change"


def test_non_version_headings_stay_in_the_notes() -> None:
    text = "## 3.0.0\n\n### Features\n\n- one\n\n### Bug Fixes\n\n- two\n\n#### Python 3.12 support\n\n- three\n"
    (release,) = parse_changelog(text)
    assert release.notes == "### Features\n\n- one\n\n### Bug Fixes\n\n- two\n\n#### Python 3.12 support\n\n- three"


def test_a_year_heading_is_not_a_release_but_a_v_prefixed_number_is() -> None:
    assert versions(parse_changelog("## 2023\n\n### 1.4.0\n- x\n\n### 1.3.0\n- y\n")) == ["1.4.0", "1.3.0"]
    assert versions(parse_changelog("## v3\n- big\n\n## v2\n- small\n")) == ["3", "2"]


def test_mixed_heading_levels_are_each_a_release() -> None:
    # trafilatura's HISTORY.md: "## 1.12.2" followed by "### 1.12.1".
    releases = parse_changelog("## 1.12.2\n\n- a\n\n\n### 1.12.1\n\nNavigation:\n- b\n")
    assert [(r.version.text, r.notes) for r in releases] == [("1.12.2", "- a"), ("1.12.1", "Navigation:\n- b")]


def test_headings_inside_code_fences_are_ignored() -> None:
    text = "## 1.1.0\n\n```markdown\n## 9.9.9\n```\n\n## 1.0.0\n- first\n"
    releases = parse_changelog(text)
    assert versions(releases) == ["1.1.0", "1.0.0"]
    assert "## 9.9.9" in releases[0].notes


def test_setext_headings() -> None:
    text = dedent("""
        Changelog
        =========

        2.1.0 (2024-06-01)
        ------------------

        - Added streaming.

          A second paragraph.

        2.0.0 (2024-01-15)
        ------------------

        - Dropped Python 3.8.
    """)
    releases = parse_changelog(text)
    assert versions(releases) == ["2.1.0", "2.0.0"]
    assert [r.date for r in releases] == [datetime.date(2024, 6, 1), datetime.date(2024, 1, 15)]
    assert releases[0].notes == "- Added streaming.\n\n  A second paragraph."
    assert releases[1].notes == "- Dropped Python 3.8."


def test_a_rule_under_a_paragraph_is_not_a_setext_heading() -> None:
    text = "## 1.0.0\n\nSome text\nmore text\n---\n- item\n"
    (release,) = parse_changelog(text)
    assert release.notes == "Some text\nmore text\n---\n- item"


def test_plain_text_news() -> None:
    text = dedent("""
        coming in the next release:

        6.0.2 - 25 October 2020
            *   Stop building Python wheels with ``universal=1`` set. (#251)

                This was causing pip to find and install the feedparser 6.x wheels
                on Python 2 even though Python 2 is no longer supported.

        6.0.1 - 15 September 2020 [YANKED]
            * Remove all Python 2 compatibility code (#228)

        5.2.1 - July 23, 2015
            * Fix #22 (pip package keeps upgrading all the time)
            * Support PyPy

        ==========================================================

        1.0 - 9/27/2002 - MAP - fixed namespace processing on prefixed RSS 2.0 elements,
          added Simon Fell's test suite

        4.1 - MAP - removed socket timeout; added support for chardet library
    """)
    releases = parse_changelog(text)
    assert versions(releases) == ["6.0.2", "6.0.1", "5.2.1", "1.0", "4.1"]
    assert [r.date for r in releases] == [datetime.date(2020, 10, 25), datetime.date(2020, 9, 15),
                                         datetime.date(2015, 7, 23), datetime.date(2002, 9, 27), None]
    assert releases[0].notes.startswith("*   Stop building Python wheels")
    assert "    This was causing pip" in releases[0].notes  # indentation relative to the block is kept
    assert releases[1].heading == "6.0.1 - 15 September 2020 [YANKED]"
    # The "=====" rule at column 0 is dropped and does not keep the notes from being dedented.
    assert releases[2].notes == "* Fix #22 (pip package keeps upgrading all the time)\n* Support PyPy"
    assert releases[3].notes == ("fixed namespace processing on prefixed RSS 2.0 elements,\n"
                                 "added Simon Fell's test suite")
    assert releases[4].notes == "removed socket timeout; added support for chardet library"


def test_plain_text_does_not_take_running_text_for_a_version() -> None:
    text = "1.1 - 2024-02-01\n2.5 times faster parsing\n\n1.0 - 2024-01-01\nfirst\n"
    releases = parse_changelog(text)
    assert versions(releases) == ["1.1", "1.0"]
    assert releases[0].notes == "2.5 times faster parsing"


def test_no_releases() -> None:
    assert parse_changelog("") == []
    assert parse_changelog("# Changelog\n\nNothing yet.\n\n## Unreleased\n- soon\n") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-05-01", datetime.date(2024, 5, 1)),
    ("released May 1, 2024", datetime.date(2024, 5, 1)),
    ("27 Nov 2023", datetime.date(2023, 11, 27)),
    ("1 May 2024", datetime.date(2024, 5, 1)),
    ("03 Dec 2025 - branch", datetime.date(2025, 12, 3)),
    ("Sept 9th, 2021", datetime.date(2021, 9, 9)),
    ("9/27/2002", datetime.date(2002, 9, 27)),
    ("27/9/2002", datetime.date(2002, 9, 27)),
    ("build 6150", None),
    ("1.2.3", None),
    ("2024-02-30", None),
    ("", None),
])
def test_find_date(text: str, expected: datetime.date | None) -> None:
    assert find_date(text) == expected


RELEASE_PAGE = """
<html><head><title>Releases</title><style>h2 {color: red}</style><script>var x = "## 9.9.9";</script></head>
<body>
<nav><a href="/">Home</a></nav>
<h1>Release notes</h1>
<section>
  <h2>v2.1.0 <small>2024-06-01</small></h2>
  <p>This release adds <strong>streaming</strong>.</p>
  <h3>Features</h3>
  <ul>
    <li>Streaming for <code>Client.send</code> (<a href="https://github.com/x/y/pull/12">#12</a>)</li>
    <li>Batch API
      <ul><li>up to 1000 requests</li></ul>
    </li>
  </ul>
  <h3>Breaking changes</h3>
  <ol><li>Drop Python 3.8</li></ol>
</section>
<section>
  <h2>v2.0.0 <small>January 15, 2024</small></h2>
  <p>First line<br>second line</p>
</section>
</body></html>
"""


def test_html_to_markdown() -> None:
    markdown = html_to_markdown(RELEASE_PAGE)
    assert "9.9.9" not in markdown and "Home" not in markdown and "color" not in markdown
    assert "## v2.1.0 2024-06-01" in markdown
    assert "- Streaming for `Client.send` (#12)\n- Batch API\n  - up to 1000 requests" in markdown
    assert "### Breaking changes\n\n- Drop Python 3.8" in markdown
    assert "First line\nsecond line" in markdown
    assert html_to_markdown("") == ""


def test_parse_changelog_html() -> None:
    releases = parse_changelog_html(RELEASE_PAGE)
    assert versions(releases) == ["2.1.0", "2.0.0"]
    assert [r.date for r in releases] == [datetime.date(2024, 6, 1), datetime.date(2024, 1, 15)]
    assert releases[0].notes.startswith("This release adds streaming.\n\n### Features\n\n- Streaming for")
    assert releases[0].notes.endswith("### Breaking changes\n\n- Drop Python 3.8")
    assert releases[1].notes == "First line\nsecond line"


# The real files. Facts below were checked by reading them (grep for the headings, then the text).

def corpus_changelog(name: str) -> list[ChangelogRelease]:
    return parse_changelog(corpus_path("pages", "changelogs", name).read_text(encoding="utf-8"))


@pytest.mark.corpus
def test_corpus_anthropic_release_please() -> None:
    releases = corpus_changelog("anthropic-sdk-python_CHANGELOG.md")
    # 194 "## 0.x.y (date)" headings and 8 old "## [0.3.x](compare link) (date)" ones.
    assert len(releases) == 202
    assert (releases[0].version.text, releases[0].date) == ("0.121.0", datetime.date(2026, 8, 7))
    assert (releases[-1].version.text, releases[-1].date) == ("0.3.4", datetime.date(2023, 7, 11))
    assert all(r.date is not None for r in releases)
    assert by_version(releases, "0.3.7").heading == "0.3.7 (2023-07-29)"
    newest = releases[0].notes
    assert newest.startswith("Full Changelog: [v0.120.2...v0.121.0]")
    assert "### Features" in newest and "### Chores" in newest
    assert newest.endswith("([d52999b](https://github.com/anthropics/anthropic-sdk-python/commit/"
                           "d52999b4f66002ffe8263756c59ab0e276c74264))")
    assert "0.120.2" not in newest.split("\n", 1)[1]
    assert "### ⚠ BREAKING CHANGES" in by_version(releases, "0.39.0").notes
    assert versions(releases) == sorted(versions(releases), key=lambda t: by_version(releases, t).version,
                                        reverse=True)


@pytest.mark.corpus
def test_corpus_openai_release_please() -> None:
    releases = corpus_changelog("openai-python_CHANGELOG.md")
    assert len(releases) == 341
    assert (releases[0].version.text, releases[0].date) == ("3.3.1", datetime.date(2026, 8, 19))
    assert (releases[-1].version.text, releases[-1].date) == ("1.1.2", datetime.date(2023, 11, 8))
    assert releases[0].heading == "3.3.1 (2026-08-19)"
    assert releases[0].notes.startswith("### Bug Fixes\n\n* **deps:** update dependencies with published security")
    assert "### Build System" in releases[0].notes
    major = by_version(releases, "3.0.0")
    assert major.date == datetime.date(2026, 8, 12)
    assert major.notes.startswith("### ⚠ BREAKING CHANGES")
    assert "### Features" in major.notes


@pytest.mark.corpus
def test_corpus_netnewswire_release_notes() -> None:
    releases = corpus_changelog("netnewswire_ReleaseNotes-Mac.md")
    assert len(releases) == 132  # every heading but the "# Mac Release Notes" title
    first, last = releases[0], releases[-1]
    assert (first.version.text, first.date, first.version.prerelease) == ("7.1.3", datetime.date(2026, 8, 19), False)
    assert first.notes.startswith("Changes since 7.1.2:\n\nOverhauled Feedly syncing")
    assert (last.version.text, last.date, last.version.prerelease) == ("5.0.4d2", datetime.date(2020, 7, 9), True)
    assert all(r.date is not None for r in releases)
    # "### 7.0b3 build 7003 10 Jan 2026: - branch: ..." and the misprinted "### 6.2. build 6201 29 Nov 2025".
    assert by_version(releases, "7.0b3").date == datetime.date(2026, 1, 10)
    assert [(r.heading[:14], r.date) for r in releases if r.version.text == "6.2"] == [
        ("6.2. build 620", datetime.date(2025, 11, 29)), ("6.2 build 6200", datetime.date(2025, 11, 1))]
    assert sum(r.version.text == "6.1.1" for r in releases) == 2  # builds 6112 and 6111 share a number
    assert sum(r.version.prerelease for r in releases) > 80
    # "## 5.0.4 build 2622" is one level up from its neighbours and still a release of its own.
    assert by_version(releases, "5.0.4").date == datetime.date(2020, 8, 8)


@pytest.mark.corpus
def test_corpus_trafilatura_history() -> None:
    releases = corpus_changelog("trafilatura_HISTORY.md")
    assert len(releases) == 54
    assert versions(releases)[:3] == ["2.3.1", "2.3.0", "2.2.0"]
    assert versions(releases)[-1] == "0.0.1"
    assert all(r.date is None for r in releases)  # headings carry no dates
    assert "History" not in " ".join(r.heading for r in releases)
    assert releases[1].notes.startswith("Major changes:\n- Downloads and decompression overhaul by @adbar (#921)")
    assert by_version(releases, "1.12.1").notes.startswith("Navigation:")  # "### 1.12.1" under "## 1.12.2"
    early = by_version(releases, "0.0.5")
    assert early.heading == "0.0.5: last version compatible with Python 3.4"
    assert early.notes == "- optional dependencies\n- bugs in parsing removed"


@pytest.mark.corpus
def test_corpus_feedparser_news() -> None:
    releases = corpus_changelog("feedparser_NEWS.txt")
    assert len(releases) == 74
    assert (releases[0].version.text, releases[0].date) == ("6.0.14", datetime.date(2026, 7, 30))
    assert releases[0].notes == "*   Upgrade to feedparser-sgmllib 2.0.0. (#585)"
    assert "coming in the next release" not in " ".join(r.notes for r in releases)
    # The file is newest first down to 5.0, then a "=====" rule and the old history oldest first.
    five = by_version(releases, "5.0")
    assert five.date == datetime.date(2011, 1, 25)
    assert five.notes.startswith("* Improved MathML support\n* Support microformats")
    assert five.notes.endswith("* Bug fixes, bug fixes, bug fixes")
    index = versions(releases).index("5.0")
    assert versions(releases)[index + 1:index + 3] == ["1.0", "1.1"]
    assert versions(releases)[-1] == "4.1" and releases[-1].date is None
    assert by_version(releases, "1.0").notes.startswith("fixed namespace processing on prefixed RSS 2.0 elements")
    assert by_version(releases, "3.0b3").date == datetime.date(2004, 1, 23)
    assert by_version(releases, "3.0fc1").version.prerelease
    assert by_version(releases, "6.0.1").heading == "6.0.1 - 15 September 2020 [YANKED]"
