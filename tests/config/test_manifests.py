"""Manifest readers: each format's direct dependencies, pins from lock files, includes, SBOM purls."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit import ROOT

from watch.config.manifests import find_manifests, parse_purl, read_manifest, read_manifests
from watch.errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stack"


def _by_name(path: Path) -> dict[str, tuple[str | None, str]]:
    return {d.name: (d.pinned, d.spec) for d in read_manifest(path)}


def test_this_projects_pyproject_lists_every_pinned_dependency_and_the_extras():
    deps = read_manifest(ROOT / "pyproject.toml")
    names = {d.name for d in deps}
    assert {"httpx", "feedparser", "ruamel.yaml", "packaging", "datasette", "pytest"} <= names
    httpx = next(d for d in deps if d.name == "httpx")
    assert (httpx.ecosystem, httpx.pinned, httpx.spec) == ("PyPI", "0.28.1", "==0.28.1")
    assert all(d.pinned for d in deps)  # the project pins everything exactly
    assert all(d.manifest == str(ROOT / "pyproject.toml") for d in deps)


def test_poetry_exact_versions_are_pins_carets_are_ranges_python_is_no_dependency():
    deps = _by_name(FIXTURES / "poetry" / "pyproject.toml")
    assert deps == {"fastapi": (None, "^0.110.0"), "pydantic": ("2.6.1", "2.6.1"),
                    "uvicorn": ("0.27.0", "0.27.0"), "mylib": (None, ""), "black": (None, "^24.1")}


def test_requirements_with_comments_ranges_includes_and_options():
    deps = read_manifest(FIXTURES / "python" / "requirements.txt")
    found = {d.name: (d.pinned, d.spec) for d in deps}
    assert found == {"httpx": ("0.28.1", "==0.28.1"), "Django": (None, "<5,>=4.2"), "pytest": ("8.0.0", "==8.0.0"),
                     "requests": ("2.31.0", "==2.31.0")}
    pytest_dep = next(d for d in deps if d.name == "pytest")
    assert pytest_dep.manifest.endswith("requirements-dev.txt")  # the file that names it


def test_package_json_takes_pins_from_the_lock_file():
    deps = _by_name(FIXTURES / "node" / "package.json")
    assert deps["express"] == ("4.18.2", "^4.18.2")
    assert deps["@angular/core"] == ("16.0.3", "~16.0.0")
    assert deps["typescript"] == ("5.3.3", "^5.3.0")  # devDependencies too
    assert deps["left-pad-unknown-xyz"] == (None, "^1.0.0")  # not in the lock
    assert "debug" not in deps  # a nested install is not a direct dependency


def test_package_lock_v1_and_no_lock(tmp_path):
    (tmp_path / "package.json").write_text('{"dependencies": {"a": "1.2.3", "b": "^2.0.0"}}')
    assert _by_name(tmp_path / "package.json") == {"a": ("1.2.3", "1.2.3"), "b": (None, "^2.0.0")}
    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 1, "dependencies": {"b": {"version": "2.1.0"}}}')
    assert _by_name(tmp_path / "package.json")["b"] == ("2.1.0", "^2.0.0")


def test_go_mod_require_lines_and_blocks_without_indirect():
    deps = _by_name(FIXTURES / "go" / "go.mod")
    assert deps == {"github.com/gin-gonic/gin": ("v1.9.1", "v1.9.1"), "github.com/spf13/cobra": ("v1.8.0", "v1.8.0"),
                    "golang.org/x/net": ("v0.19.0", "v0.19.0"),
                    "github.com/stretchr/testify": ("v1.8.4", "v1.8.4")}


def test_cargo_strings_tables_renames_and_targets():
    deps = _by_name(FIXTURES / "rust" / "Cargo.toml")
    assert deps == {"serde": (None, "1.0"), "tokio": ("1.35.1", "=1.35.1"), "regex": (None, "1.10"),
                    "local-thing": (None, ""), "serde_json": (None, "1"), "proptest": (None, "1.4"),
                    "libc": (None, "0.2")}


def test_sboms_give_ecosystem_name_and_version_from_purls():
    cdx = {(d.ecosystem, d.name, d.pinned) for d in read_manifest(FIXTURES / "sbom" / "bom.cdx.json")}
    assert cdx == {("PyPI", "flask", "2.2.0"), ("npm", "@angular/core", "16.0.0"), ("npm", "rxjs", "7.8.1")}
    spdx = {(d.ecosystem, d.name, d.pinned) for d in read_manifest(FIXTURES / "sbom" / "app.spdx.json")}
    assert spdx == {("Go", "github.com/gin-gonic/gin", "v1.9.1"), ("crates.io", "serde", "1.0.195")}


@pytest.mark.parametrize(("purl", "expected"), [
    ("pkg:pypi/httpx@0.28.1", ("PyPI", "httpx", "0.28.1")),
    ("pkg:npm/%40scope/name@1.0.0?arch=x#sub", ("npm", "@scope/name", "1.0.0")),
    ("pkg:golang/golang.org/x/net", ("Go", "golang.org/x/net", None)),
    ("pkg:maven/org.apache/log4j@2.0", None),
    ("not-a-purl", None),
])
def test_parse_purl(purl, expected):
    assert parse_purl(purl) == expected


def test_a_directory_is_searched_and_packages_are_listed_once(tmp_path):
    (tmp_path / "requirements.txt").write_text("httpx>=0.27\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["HTTPX==0.28.1"]\n')
    assert [p.name for p in find_manifests(tmp_path)] == ["pyproject.toml", "requirements.txt"]
    [dep] = read_manifests([tmp_path])
    assert (dep.name, dep.pinned) == ("HTTPX", "0.28.1")


def test_broken_manifests_name_the_file(tmp_path):
    bad = tmp_path / "requirements.txt"
    bad.write_text("ok==1\nnot a requirement!!\n")
    with pytest.raises(ConfigError) as error:
        read_manifest(bad)
    assert error.value.line == 2 and str(bad) in str(error.value)
    with pytest.raises(ConfigError, match="manifest not found"):
        read_manifest(tmp_path / "go.mod")
    (tmp_path / "package.json").write_text("{nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_manifest(tmp_path / "package.json")
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a CycloneDX or SPDX"):
        read_manifest(tmp_path / "notes.json")
