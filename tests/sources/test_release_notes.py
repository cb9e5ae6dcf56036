"""Highlights and summaries of release notes: inline notes in each style, then real releases of the corpus."""

from __future__ import annotations

import pytest
from testkit import corpus_path, dedent

from watch.sources.changelog import ChangelogRelease, parse_changelog
from watch.sources.release_notes import ReleaseHighlights, highlights, summarize_release

GITHUB_RELEASE = dedent("""
    ## What's Changed
    * Add streaming support for chat by @alice in https://github.com/o/r/pull/101
    * fix: handle empty body by @bob in https://github.com/o/r/pull/102
    * feat!: drop Python 3.8 by @carol in https://github.com/o/r/pull/103
    * feat(api): batch API ([#104](https://github.com/o/r/issues/104)) ([abc1234](https://github.com/o/r/commit/abc1234def))
    * Bump urllib3 to 2.2.2 to fix CVE-2024-37891 (#105)

    ## New Contributors
    * @dave made their first contribution in https://github.com/o/r/pull/106

    **Full Changelog**: https://github.com/o/r/compare/v1.0.0...v1.1.0
""")


def test_github_release_with_conventional_commits() -> None:
    found = highlights(GITHUB_RELEASE)
    assert found == ReleaseHighlights(
        breaking=("drop Python 3.8",),
        security=("Bump urllib3 to 2.2.2 to fix CVE-2024-37891",),
        # "What's Changed" alone makes nothing a feature: only the "feat" line counts.
        features=("api: batch API",),
    )
    assert summarize_release(GITHUB_RELEASE) == (
        "Breaking: drop Python 3.8. Security: Bump urllib3 to 2.2.2 to fix CVE-2024-37891. New: api: batch API.")


def test_sections_decide_the_kind() -> None:
    notes = dedent("""
        ### ⚠ BREAKING CHANGES

        * **client:** remove legacy `client.count_tokens()` ([#726](https://github.com/a/b/issues/726))
          * This functionality has been replaced by `client.beta.messages.count_tokens()`.

        ### Features

        * **api:** add new haiku model ([#731](https://github.com/a/b/issues/731)) ([77eaaf9](https://github.com/a/b/commit/77eaaf9))
        * **feat:** add the Files API

        * **client:** remove legacy `client.count_tokens()` ([d9acfd4](https://github.com/a/b/commit/d9acfd4))

        ### Bug Fixes

        * fix a crash

        ### Security

        - Patched the template sandbox escape
    """)
    found = highlights(notes)
    # The sub-bullet is detail under a full sentence; the repeat under Features is dropped.
    assert found.breaking == ("client: remove legacy `client.count_tokens()`",)
    assert found.features == ("api: add new haiku model", "add the Files API")
    assert found.security == ("Patched the template sandbox escape",)


@pytest.mark.parametrize(("heading", "kind"), [
    ("## Breaking Changes", "breaking"), ("### ⚠ BREAKING CHANGES", "breaking"), ("### Removed", "breaking"),
    ("Backwards incompatible changes:", "breaking"), ("### Security", "security"), ("## Features", "features"),
    ("### Added", "features"), ("## New", "features"), ("## Highlights", "features"), ("**New Features**", "features"),
    ("Major changes:", "features"), ("### Enhancements", "features"),
    ("## What's Changed", None), ("### Deprecated", None), ("### Fixed", None), ("### Chores", None),
])
def test_section_names(heading: str, kind: str | None) -> None:
    found = highlights(f"{heading}\n\n- The one entry\n")
    kinds = {name for name in ("breaking", "security", "features") if getattr(found, name)}
    assert kinds == ({kind} if kind else set())


@pytest.mark.parametrize(("line", "kind"), [
    ("- BREAKING: `parse()` now returns a list", "breaking"),
    ("- breaking change: the `extract` function reads `output_format` only", "breaking"),
    ("- crawler: new parameter class, **breaking change** for undocumented functions", "breaking"),
    ("- Config loading is now backwards-incompatible with 1.x files", "breaking"),
    ("* **internal:** move error classes (⚠️ breaking)", "breaking"),
    ("* **breaking!:** correct broken type names", "breaking"),
    ("* fix(types)!: rename `Foo` to `Bar`", "breaking"),
    ("- Fix CVE-2024-1234 in the XML parser", "security"),
    ("- Fix GHSA-abcd-efgh-jkmp (advisory)", None),  # not a valid GHSA alphabet: no false match
    ("- Fix GHSA-2c8m-vxqj-7x9w", "security"),
    ("- Fix a vulnerability in cookie handling", "security"),
    ("* **deps:** update dependencies with published security fixes", "security"),
    ("- feat: add retries", "features"),
    ("- feat(cli): add `--json`", "features"),
    # Lowercase mentions of breaking changes in chores are about the tooling, not this release.
    ("* **internal:** improve breaking change detection", None),
    ("* **types:** revert ChatCompletionMessageToolCallUnion breaking change", None),
    ("* strengthen security contribution guidance", None),
    ("- fix: handle empty body", None),
])
def test_keywords_outside_sections(line: str, kind: str | None) -> None:
    found = highlights(f"### Bug Fixes\n\n{line}\n")
    kinds = {name for name in ("breaking", "security", "features") if getattr(found, name)}
    assert kinds == ({kind} if kind else set())


def test_security_words_in_documentation_sections_do_not_count() -> None:
    notes = "### Documentation\n\n* add SECURITY.md\n* document how we handle security issues\n"
    assert highlights(notes) == ReleaseHighlights((), (), ())


@pytest.mark.parametrize(("line", "cleaned"), [
    ("* **feat:** add X", "add X"),
    ("- **client:** remove legacy `x()` ([#726](https://github.com/a/b/issues/726))", "client: remove legacy `x()`"),
    ("* fix(parser)!: reject tabs (#12)", "parser: reject tabs"),
    ("- Better Markdown output by @cvl01, @scottwulf and @jonathanavis96 (#899, #902)", "Better Markdown output"),
    ("- Markdown table fixes by @naktinis in #601", "Markdown table fixes"),
    ("* Add retries by @alice in https://github.com/o/r/pull/7", "Add retries"),
    ("* Add retries https://github.com/o/r/pull/7", "Add retries"),
    ("1. [Streaming](https://docs.example/streaming) is now **on** by default", "Streaming is now on by default"),
    ("* **api:** pin mcp extra to &lt;2", "api: pin mcp extra to <2"),
    ("+ New **`--fast`** flag ([abc1234def](https://github.com/o/r/commit/abc1234def))", "New `--fast` flag"),
])
def test_lines_are_cleaned(line: str, cleaned: str) -> None:
    found = highlights(f"### Features\n\n{line}\n")
    assert found.breaking + found.security + found.features == (cleaned,)


def test_long_lines_are_cut_on_a_word_boundary() -> None:
    line = "Add " + " ".join(f"word{i}" for i in range(60))
    (feature,) = highlights(f"## Features\n- {line}\n").features
    assert len(feature) <= 160
    assert feature.endswith("…")
    assert feature[:-1] == line[:len(feature) - 1]
    assert line[len(feature) - 1] == " "  # the cut fell between two words


def test_wrapped_entries_are_joined_and_limit_applies() -> None:
    notes = dedent("""
        Features:
        *   Prevent a TypeError crash that may occur when including a
            username and password in the feed URL. (#276)
        - `bare_extraction()`:
           - now returns a `Document`
           - `as_dict` is deprecated
        - three
        - four
    """)
    found = highlights(notes, limit=3)
    assert found.features == (
        "Prevent a TypeError crash that may occur when including a username and password in the feed URL.",
        "`bare_extraction()`: now returns a `Document`; `as_dict` is deprecated",
        "three",
    )
    assert len(highlights(notes, limit=1).features) == 1


def test_an_unindented_line_after_a_list_item_continues_it() -> None:
    # trafilatura 1.10.0: the module rename sits on its own line right under its list item.
    notes = "Breaking changes:\n- regroup deduplication code\n``hashing`` → ``deduplication``\n\nnot part of it\n"
    assert highlights(notes).breaking == ("regroup deduplication code ``hashing`` → ``deduplication``",
                                          "not part of it")


def test_summary_falls_back_to_the_first_entries() -> None:
    notes = dedent("""
        Full Changelog: [v0.120.1...v0.120.2](https://github.com/a/b/compare/v0.120.1...v0.120.2)

        ### Bug Fixes

        * **mcp:** support mcp sdk v2 alongside v1 ([#300](https://github.com/a/b/issues/300))
        * handle `None` bodies.
        * retry on 529
        * fourth fix
    """)
    assert summarize_release(notes) == "mcp: support mcp sdk v2 alongside v1; handle None bodies; retry on 529."


def test_summary_of_unbulleted_lines() -> None:
    notes = "Changes since 7.1.2:\n\nOverhauled Feedly syncing\nFixed the Feedly mark-as-read backlog\n"
    assert summarize_release(notes) == "Overhauled Feedly syncing; Fixed the Feedly mark-as-read backlog."


def test_summary_is_capped() -> None:
    notes = "## Features\n" + "".join(f"- feature number {i} " + "with many words " * 8 + "\n" for i in range(3))
    summary = summarize_release(notes, max_chars=120)
    assert len(summary) <= 120 and summary.startswith("New: feature number 0 with") and summary.endswith("…")


@pytest.mark.parametrize("notes", ["", "   \n\n", "**Full Changelog**: https://github.com/o/r/compare/v1...v2",
                                   "### Features\n\n"])
def test_empty_notes(notes: str) -> None:
    assert summarize_release(notes) == ""
    assert not highlights(notes)


# Real releases. Facts checked by reading the files.

def corpus_release(name: str, version: str) -> ChangelogRelease:
    releases = parse_changelog(corpus_path("pages", "changelogs", name).read_text(encoding="utf-8"))
    return next(release for release in releases if release.version.text == version)


@pytest.mark.corpus
def test_corpus_openai_3_0_0_breaking_change() -> None:
    found = highlights(corpus_release("openai-python_CHANGELOG.md", "3.0.0").notes)
    (breaking,) = found.breaking
    assert breaking.startswith("api: HTTPX2 is now the default HTTP client, and `httpx` is no longer installed")
    assert len(breaking) <= 160 and breaking.endswith("…")
    assert found.features == ("api: migrate to HTTPX2",)
    assert found.security == ()
    summary = summarize_release(corpus_release("openai-python_CHANGELOG.md", "3.0.0").notes)
    # Plain text (no backticks); a line cut at 160 characters keeps its ellipsis instead of gaining a full stop.
    assert summary.startswith("Breaking: api: HTTPX2 is now the default HTTP client, and httpx is no longer")
    assert summary.endswith("custom HTTPX clients, transports, or… New: api: migrate to HTTPX2.")


@pytest.mark.corpus
def test_corpus_openai_3_3_1_security_fix() -> None:
    notes = corpus_release("openai-python_CHANGELOG.md", "3.3.1").notes
    assert highlights(notes) == ReleaseHighlights((), ("deps: update dependencies with published security fixes",), ())
    assert summarize_release(notes) == "Security: deps: update dependencies with published security fixes."
    # 3.3.0's "security contribution guidance" is a Documentation entry, not a security fix.
    assert highlights(corpus_release("openai-python_CHANGELOG.md", "3.3.0").notes).security == ()


@pytest.mark.corpus
def test_corpus_openai_1_3_0_bold_breaking_scope() -> None:
    found = highlights(corpus_release("openai-python_CHANGELOG.md", "1.3.0").notes)
    assert found.breaking == ("correct broken type names in moderation categories",)
    assert found.features[0] == "api: add gpt-3.5-turbo-1106"


@pytest.mark.corpus
def test_corpus_anthropic_breaking_listed_once() -> None:
    # 0.28.0 lists "remove old event_handler API" under BREAKING CHANGES and again under Refactors.
    found = highlights(corpus_release("anthropic-sdk-python_CHANGELOG.md", "0.28.0").notes)
    assert found == ReleaseHighlights(("streaming: remove old event_handler API",), (), ())
    found = highlights(corpus_release("anthropic-sdk-python_CHANGELOG.md", "0.39.0").notes)
    assert found.breaking == ("client: remove legacy `client.count_tokens()` & `client.get_tokenizer()` methods",)
    assert "project: drop support for Python 3.7" in found.features


@pytest.mark.corpus
def test_corpus_anthropic_tooling_chores_are_not_breaking() -> None:
    # "improve breaking change detection" (0.65.0) and "remove class causing breaking change" (0.77.0).
    for version in ("0.65.0", "0.77.0", "0.56.0"):
        assert highlights(corpus_release("anthropic-sdk-python_CHANGELOG.md", version).notes).breaking == ()


@pytest.mark.corpus
def test_corpus_trafilatura_label_sections() -> None:
    found = highlights(corpus_release("trafilatura_HISTORY.md", "2.0.0").notes)
    assert found.breaking == (
        "Python 3.6 and 3.7 deprecated",
        "`bare_extraction()`: now returns an instance of the `Document` class by default; `as_dict` deprecation "
        "warning → use `.as_dict()` method on return value",
        "`bare_extraction()` and `extract()`: `no_fallback` deprecation warning → use `fast` instead",
    )
    assert highlights(corpus_release("trafilatura_HISTORY.md", "1.10.0").notes).breaking == (
        "raise errors on deprecated CLI and function arguments",
        "regroup classes and functions linked to deduplication ``trafilatura.hashing`` → ``trafilatura.deduplication``",
    )
    summary = summarize_release(corpus_release("trafilatura_HISTORY.md", "2.3.0").notes)
    assert summary.startswith("New: Downloads and decompression overhaul; Simplified document handling code")
    assert "@adbar" not in summary and "#921" not in summary


@pytest.mark.corpus
def test_corpus_netnewswire_and_feedparser_fall_back_to_first_lines() -> None:
    summary = summarize_release(corpus_release("netnewswire_ReleaseNotes-Mac.md", "7.1.3b5").notes)
    assert summary == "Fixed bug where feeds could lose their names and display as Untitled."
    summary = summarize_release(corpus_release("feedparser_NEWS.txt", "6.0.13").notes)
    assert summary == ("Drop support for Python 3.9 and lower; Migrate from sgmllib3k to feedparser-sgmllib; "
                       "Resolve package build warnings.")
