"""kind: npm and kind: crates — registry version lists as releases; their addresses and feeds.yaml checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testkit import write_config

from watch.config import load_config
from watch.errors import ConfigError, ParseError
from watch.records import Source
from watch.sources.kinds import KINDS, RELEASE_KINDS, parse_source

# Shaped like https://registry.npmjs.org/express (only `name`, `versions` and `time` kept).
NPM_EXPRESS = {
    "name": "express",
    "versions": {"4.18.2": {}, "4.19.0": {}, "5.0.0-beta.1": {}, "5.0.0": {}},
    "time": {"created": "2010-12-29T19:38:25.450Z", "modified": "2026-11-20T10:00:00.000Z",
             "4.18.2": "2022-10-08T20:00:00.000Z", "4.19.0": "2024-03-20T10:00:00.000Z",
             "5.0.0-beta.1": "2024-06-01T10:00:00.000Z", "5.0.0": "2024-09-10T10:00:00.000Z"},
}
# Shaped like https://crates.io/api/v1/crates/serde/versions (only `crate`, `num`, `created_at`, `yanked` kept).
CRATES_SERDE = {"versions": [
    {"crate": "serde", "num": "1.0.195", "created_at": "2024-01-03T00:00:00.000000+00:00", "yanked": False},
    {"crate": "serde", "num": "1.0.194", "created_at": "2024-01-02T00:00:00.000000+00:00", "yanked": True},
    {"crate": "serde", "num": "1.0.193", "created_at": "2023-11-20T00:00:00.000000+00:00", "yanked": False},
]}


def _source(kind: str, **kw) -> Source:
    return Source(name=kw.pop("name", "src"), url="https://example.org/x", kind=kind, **kw)


def test_both_kinds_are_release_kinds_with_their_addresses():
    assert {"npm", "crates"} <= set(RELEASE_KINDS)
    assert KINDS["npm"].target_url("@angular/core") == "https://registry.npmjs.org/@angular%2Fcore"
    assert KINDS["crates"].target_url("serde") == "https://crates.io/api/v1/crates/serde/versions"
    assert KINDS["crates"].identity("Serde_JSON") == KINDS["crates"].identity("serde-json")


def test_npm_versions_become_dated_releases_newest_first_prereleases_left_out():
    feed = parse_source(_source("npm", project="express"), json.dumps(NPM_EXPRESS).encode(),
                        base_url="https://registry.npmjs.org/express")
    assert [e.release.version for e in feed.entries] == ["5.0.0", "4.19.0", "4.18.2"]
    first = feed.entries[0]
    assert first.url == "https://www.npmjs.com/package/express/v/5.0.0"
    assert first.title == "express 5.0.0" and first.published.isoformat() == "2024-09-10T10:00:00+00:00"
    assert first.release.level == "major"
    again = parse_source(_source("npm", project="express"), json.dumps(NPM_EXPRESS).encode(), base_url="")
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]  # one id per version, run after run
    with_pre = parse_source(_source("npm", project="express", prereleases=True), json.dumps(NPM_EXPRESS).encode(),
                            base_url="")
    assert "5.0.0-beta.1" in [e.release.version for e in with_pre.entries]


def test_crates_versions_skip_yanked_ones():
    feed = parse_source(_source("crates", project="serde"), json.dumps(CRATES_SERDE).encode(), base_url="")
    assert [e.release.version for e in feed.entries] == ["1.0.195", "1.0.193"]
    assert feed.entries[0].url == "https://crates.io/crates/serde/1.0.195"


@pytest.mark.parametrize(("kind", "body"), [("npm", b"[]"), ("npm", b"{nope"), ("crates", b'{"crate": {}}')])
def test_other_documents_are_parse_errors(kind, body):
    with pytest.raises(ParseError):
        parse_source(_source(kind), body, base_url="")


def test_feeds_yaml_accepts_scoped_npm_packages_and_refuses_bad_names(tmp_path: Path):
    path = write_config(tmp_path, [{"name": "angular", "kind": "npm", "package": "'@angular/core'"},
                                   {"name": "serde", "kind": "crates", "package": "serde"}])
    sources = {s.name: s for s in load_config(path, environ={}).sources}
    assert sources["angular"].url == "https://registry.npmjs.org/@angular%2Fcore"
    assert sources["serde"].project == "serde"
    bad = write_config(tmp_path, [{"name": "x", "kind": "npm", "package": "'@/nope'"}])
    with pytest.raises(ConfigError, match="an npm package name"):
        load_config(bad, environ={})
