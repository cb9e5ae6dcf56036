"""feeds.yaml's stack: manifests read at load time into sources, `manifest`/`dependency` keys, registry settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit import TAXONOMY, write_config

from watch.config import load_config
from watch.errors import ConfigError
from watch.feeds.feedsfile import NewSource, append_sources

STACK_TAXONOMY = TAXONOMY + """  - name: stack
    description: Your stack
"""


def _project(tmp_path: Path) -> Path:
    backend = tmp_path / "backend"
    backend.mkdir()
    (backend / "pyproject.toml").write_text(
        '[project]\nname = "api"\ndependencies = ["httpx==0.28.1", "Django>=4.2", "fastapi"]\n')
    (backend / "go.mod").write_text("module x\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n"
                                    "\tgolang.org/x/net v0.19.0\n)\n")
    return backend


def test_manifests_named_in_feeds_yaml_become_sources_not_already_listed(tmp_path):
    _project(tmp_path)
    conf = tmp_path / "conf"
    conf.mkdir()
    path = write_config(conf, [
        {"name": "HTTPX", "kind": "github-releases", "repo": "encode/httpx", "dependency": "pkg:pypi/httpx"},
        {"name": "django", "kind": "pypi", "package": "Django"},
    ], extra="stack:\n  manifests: [../backend/pyproject.toml, ../backend/go.mod]", taxonomy=STACK_TAXONOMY)
    config = load_config(path, environ={})
    derived = {s.name: s for s in config.sources if s.from_stack}
    # httpx and Django are listed; golang.org/x/net has no kind; the advisories source comes with the stack.
    assert set(derived) == {"fastapi", "github.com/gin-gonic/gin", "Security advisories"}
    advisories = derived["Security advisories"]
    assert (advisories.kind, advisories.url, advisories.tags) == ("advisories", "https://api.osv.dev/v1/querybatch",
                                                                  ("stack",))
    assert {(p.name, p.pinned) for p in advisories.packages} == {
        ("httpx", "0.28.1"), ("Django", None), ("fastapi", None), ("github.com/gin-gonic/gin", "v1.9.1"),
        ("golang.org/x/net", "v0.19.0")}
    fastapi = derived["fastapi"]
    assert (fastapi.kind, fastapi.url, fastapi.tags) == ("pypi", "https://pypi.org/rss/project/fastapi/releases.xml",
                                                         ("stack",))
    assert fastapi.manifest == str(tmp_path / "backend" / "pyproject.toml")
    assert fastapi.dependency == "pkg:pypi/fastapi" and fastapi.extract == "never"
    assert derived["github.com/gin-gonic/gin"].repo == "gin-gonic/gin"
    assert config.stack_manifests == (tmp_path / "backend" / "pyproject.toml", tmp_path / "backend" / "go.mod")
    assert [s.name for s in config.sources if not s.from_stack] == ["HTTPX", "django"]


def test_a_new_dependency_is_followed_at_the_next_load(tmp_path):
    backend = _project(tmp_path)
    path = write_config(tmp_path, [{"name": "a", "url": "https://example.org/a"}],
                        extra="stack: {manifests: [backend]}")  # a folder: its manifests
    before = {s.name for s in load_config(path, environ={}).sources if s.from_stack and s.kind != "advisories"}
    (backend / "pyproject.toml").write_text('[project]\nname = "api"\ndependencies = ["httpx", "rich"]\n')
    after = {s.name for s in load_config(path, environ={}).sources if s.from_stack and s.kind != "advisories"}
    assert "rich" not in before and "rich" in after and "fastapi" not in after
    assert all(not s.tags for s in load_config(path, environ={}).sources if s.from_stack)  # no stack tag defined


def test_a_missing_or_broken_manifest_is_reported_at_its_line(tmp_path):
    (tmp_path / "requirements.txt").write_text("ok==1\nnot valid!!\n")
    path = write_config(tmp_path, [{"name": "a", "url": "https://example.org/a"}],
                        extra="stack:\n  manifests:\n    - nowhere/pyproject.toml\n    - requirements.txt")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    text = str(error.value)
    assert "feeds.yaml:7: stack.manifests: manifest 'nowhere/pyproject.toml' not found" in text
    assert "feeds.yaml:8: stack.manifests: " in text and "requirements.txt:2: invalid requirement" in text


@pytest.mark.parametrize(("extra", "message"), [
    ("stack: {manifest: [x]}", "unknown key 'manifest'"),
    ("stack: {manifests: pyproject.toml}", "manifests must be a list"),
])
def test_bad_stack_sections(tmp_path, extra, message):
    path = write_config(tmp_path, [{"name": "a", "url": "https://example.org/a"}], extra=extra)
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_manifest_and_dependency_keys(tmp_path):
    path = write_config(tmp_path, [{"name": "x", "kind": "npm", "package": "express", "manifest": "web/package.json",
                                    "dependency": "pkg:npm/express"}])
    [source] = load_config(path, environ={}).sources
    assert (source.manifest, source.dependency, source.target) == ("web/package.json", "pkg:npm/express", "express")
    bad = write_config(tmp_path, [{"name": "x", "kind": "npm", "package": "express", "dependency": "express"}])
    with pytest.raises(ConfigError, match="must be a package URL without version"):
        load_config(bad, environ={})


def test_registry_addresses_are_settings(tmp_path):
    path = write_config(tmp_path, [{"name": "a", "url": "https://example.org/a"}],
                        fetch="{pypi_api: 'https://pypi.example.org/pypi/', osv_api: 'http://127.0.0.1:9/'}")
    fetch = load_config(path, environ={}).settings.fetch
    assert fetch.pypi_api == "https://pypi.example.org/pypi" and fetch.osv_api == "http://127.0.0.1:9"
    assert fetch.npm_registry == "https://registry.npmjs.org"
    assert ("http", "127.0.0.1", 9) in fetch.trusted_origins  # written by the user: trusted like github_api
    bad = write_config(tmp_path, [{"name": "a", "url": "https://example.org/a"}], fetch="{crates_api: crates.io}")
    with pytest.raises(ConfigError, match=r"crates_api 'crates\.io' must be an http"):
        load_config(bad, environ={})


def test_feeds_add_still_appends_when_stack_sources_are_derived(tmp_path):
    _project(tmp_path)
    path = write_config(tmp_path, [{"name": "a", "url": "https://example.org/a"}],
                        extra="stack: {manifests: [backend/pyproject.toml]}")
    [line] = append_sources(path, [NewSource(name="b", url="https://example.org/b")])
    config = load_config(path, environ={})
    assert [s.name for s in config.sources if not s.from_stack] == ["a", "b"] and line > 0


def test_a_listed_advisories_source_gets_the_packages_of_the_listed_stack_sources(tmp_path):
    (tmp_path / "package.json").write_text('{"dependencies": {"lodash": "4.17.20"}}')
    path = write_config(tmp_path, [
        {"name": "lodash", "kind": "github-releases", "repo": "lodash/lodash", "manifest": "package.json",
         "dependency": "pkg:npm/lodash"},
        {"name": "gone", "kind": "npm", "package": "left-pad", "manifest": "old/package.json",
         "dependency": "pkg:npm/left-pad"},
        {"name": "OSV", "kind": "advisories", "url": "https://api.osv.dev/v1/querybatch"}])
    config = load_config(path, environ={})
    assert not any(s.from_stack for s in config.sources)  # no stack.manifests: nothing derived
    osv = next(s for s in config.sources if s.kind == "advisories")
    assert {(p.ecosystem, p.name, p.pinned) for p in osv.packages} == {("npm", "lodash", "4.17.20"),
                                                                       ("npm", "left-pad", None)}
