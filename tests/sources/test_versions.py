"""Version parsing, finding a version in a release title, ordering, classification and filters."""

from __future__ import annotations

import pytest

from watch.sources.versions import Version, classify, find_version, level, parse_version, passes_filter


def v(text: str) -> Version:
    parsed = parse_version(text)
    assert parsed is not None, text
    return parsed


@pytest.mark.parametrize(("text", "display", "release", "prerelease", "scheme"), [
    ("v1.2.3", "1.2.3", (1, 2, 3), False, "pep440"),
    ("V1.2", "1.2", (1, 2), False, "pep440"),
    ("  1.2.3  ", "1.2.3", (1, 2, 3), False, "pep440"),
    ("1.2.3rc1", "1.2.3rc1", (1, 2, 3), True, "pep440"),
    ("1.2.3-rc.1", "1.2.3-rc.1", (1, 2, 3), True, "semver"),
    ("2.0.0-beta.1", "2.0.0-beta.1", (2, 0, 0), True, "semver"),
    ("1.2.3-beta.1+build.5", "1.2.3-beta.1+build.5", (1, 2, 3), True, "semver"),
    ("0.6.3.post1", "0.6.3.post1", (0, 6, 3), False, "pep440"),
    ("2.0.0.dev20240101", "2.0.0.dev20240101", (2, 0, 0), True, "pep440"),
    ("1.0a1", "1.0a1", (1, 0), True, "pep440"),
    ("1.0.0-alpha", "1.0.0-alpha", (1, 0, 0), True, "semver"),
    ("release-1.2", "1.2", (1, 2), False, "pep440"),
    ("Release 1.4", "1.4", (1, 4), False, "pep440"),
    ("version 3.1", "3.1", (3, 1), False, "pep440"),
    ("2024.05.01", "2024.05.01", (2024, 5, 1), False, "calver"),
    ("24.1.0", "24.1.0", (24, 1, 0), False, "calver"),
    ("2024-05-01", "2024-05-01", (2024, 5, 1), False, "calver"),
    ("5.1d3", "5.1d3", (5, 1), True, "other"),  # NetNewsWire development build
    ("3.0fc1", "3.0fc1", (3, 0), True, "other"),  # feedparser "final candidate"
    ("1.0-SNAPSHOT", "1.0-SNAPSHOT", (1, 0), True, "other"),
])
def test_parse_version(text: str, display: str, release: tuple[int, ...], prerelease: bool, scheme: str) -> None:
    parsed = v(text)
    assert (parsed.text, parsed.release, parsed.prerelease, parsed.scheme) == (display, release, prerelease, scheme)
    assert str(parsed) == display


@pytest.mark.parametrize("text", ["latest", "nightly", "", "   ", "main", "vllm-0.6.0", "v", "release-",
                                  "2024-13-01", "1.2.", "1..2", "abc1.2", "1.2.3 and more"])
def test_parse_version_rejects_non_versions(text: str) -> None:
    assert parse_version(text) is None


def test_post_release_is_not_a_prerelease_but_dev_is() -> None:
    assert not v("1.0.post1").prerelease
    assert v("1.0.dev1").prerelease
    assert v("1.0.0-rc.1").prerelease


def test_ordering_follows_pep440_and_semver() -> None:
    ordered = ["0.9", "1.0.0.dev1", "1.0.0a1", "1.0.0b2", "1.0.0rc1", "1.0.0", "1.0.0.post1", "1.0.1", "1.1", "2.0.0"]
    shuffled = [ordered[i] for i in (5, 2, 9, 0, 7, 3, 1, 8, 4, 6)]
    assert [x.text for x in sorted(map(v, shuffled))] == ordered


def test_semver_prerelease_precedence() -> None:
    # The example list of the semver specification, item 11.
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0"]
    assert [x.text for x in sorted(map(v, reversed(ordered)))] == ordered


def test_netnewswire_development_builds_sort_before_alphas_and_betas() -> None:
    assert v("5.1d3") < v("5.1a2") < v("5.1b2") < v("5.1")
    assert v("3.0b23") < v("3.0fc1") < v("3.0")


def test_equality_ignores_spelling() -> None:
    assert v("1.2") == v("v1.2.0")
    assert v("1.2.3-rc.1") == v("1.2.3rc1")
    assert hash(v("1.2")) == hash(v("1.2.0"))
    assert v("1.2") != v("1.2.1")
    assert v("1.10") > v("1.9")
    assert max(map(v, ["0.9.9", "0.10.0", "0.10.0rc1"])).text == "0.10.0"


@pytest.mark.parametrize(("title", "expected"), [
    ("v0.6.3", "0.6.3"),
    ("Release v5.24.0", "5.24.0"),
    ("transformers 5.24.0", "5.24.0"),
    ("Patch release: v4.46.1", "4.46.1"),
    ("vllm-project/vllm v0.6.0", "0.6.0"),
    ("1.12.0 (2024-07-01)", "1.12.0"),
    ("NetNewsWire 6.1.5 for Mac", "6.1.5"),
    ("[1.2.3] - 2024-05-01", "1.2.3"),
    ("2024-05-01 [1.2.3]", "1.2.3"),
    ("gulp v4.0.2", "4.0.2"),
    ("Add GPT-4.5 support in 1.3", "1.3"),
    ("Support GPT-4o and GPT-4 in v2", "2"),
    ("Drop Python 3.8 (2.0.0)", "2.0.0"),
    ("mac-7.1.3b1", "7.1.3b1"),
    ("v2.0.0-beta.1: the big one.", "2.0.0-beta.1"),
    ("Version 6.2.", "6.2"),
    ("2024.05.01", "2024.05.01"),
])
def test_find_version(title: str, expected: str) -> None:
    found = find_version(title)
    assert found is not None and found.text == expected


@pytest.mark.parametrize("title", ["GPT-4 is here", "Fixes 2 bugs in build 6150", "latest", "", "main branch"])
def test_find_version_none(title: str) -> None:
    assert find_version(title) is None


def test_find_version_prefers_the_token_after_the_project() -> None:
    title = "torch 2.5.0 compatibility for vllm 0.6.0"
    assert find_version(title).text == "2.5.0"
    assert find_version(title, project="vllm").text == "0.6.0"
    assert find_version("vllm-project/vllm v0.6.0 needs torch-2.4.1", project="vllm-project/vllm").text == "0.6.0"
    assert find_version("torch-2.4.1 and vllm-0.6.0", project="vllm").text == "0.6.0"


@pytest.mark.parametrize(("text", "expected"), [
    ("2.0.0", "major"), ("2", "major"), ("2.0", "major"), ("2.1.0", "minor"), ("2.1", "minor"),
    ("2.1.1", "patch"), ("2.0.1", "patch"), ("1.2.3.4", "patch"),
    ("0.7.0", "major"), ("0.7", "major"), ("0.7.1", "patch"), ("0.0.3", "patch"),
    ("2024.05.01", "minor"), ("24.1.0", "minor"), ("24.1.1", "patch"),
    ("3.0.0rc1", "major"),
])
def test_level(text: str, expected: str) -> None:
    assert level(v(text)) == expected


def test_classify() -> None:
    assert classify(None, v("1.0.0")) == "first"
    assert classify(v("1.9.3"), v("2.0.0")) == "major"
    assert classify(v("2.0.0"), v("2.1.0")) == "minor"
    assert classify(v("2.1.0"), v("2.1.1")) == "patch"
    assert classify(v("2.1.1"), v("2.2.0rc1")) == "pre"
    assert classify(v("2.1.1"), v("2.2.0-beta.1")) == "pre"
    # A backport on an older line is judged by its own number, not by the distance to the newest release.
    assert classify(v("3.1.0"), v("2.0.5")) == "patch"
    assert classify(v("0.6.3"), v("0.7.0")) == "major"


def test_passes_filter() -> None:
    major, minor, patch, pre = v("2.0.0"), v("2.1.0"), v("2.1.1"), v("2.2.0rc1")
    everything = [major, minor, patch, pre]
    assert [x.text for x in everything if passes_filter(x, include_prereleases=False, min_level="patch")] == [
        "2.0.0", "2.1.0", "2.1.1"]
    assert [x.text for x in everything if passes_filter(x, include_prereleases=True, min_level="patch")] == [
        "2.0.0", "2.1.0", "2.1.1", "2.2.0rc1"]
    assert [x.text for x in everything if passes_filter(x, include_prereleases=True, min_level="minor")] == [
        "2.0.0", "2.1.0", "2.2.0rc1"]
    assert [x.text for x in everything if passes_filter(x, include_prereleases=True, min_level="major")] == ["2.0.0"]
    assert passes_filter(v("0.121.0"), include_prereleases=False, min_level="major")
    assert not passes_filter(v("0.120.2"), include_prereleases=False, min_level="minor")


def test_passes_filter_rejects_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="min_level"):
        passes_filter(v("1.0"), include_prereleases=False, min_level="huge")
