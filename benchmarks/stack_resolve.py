"""How many dependencies `feeds stack` resolves to a GitHub repository, on recorded registry answers.

    .venv/bin/python benchmarks/stack_resolve.py

Serves tests/fixtures/stack/registry/answers.json (PyPI JSON API, npm registry, crates.io answers in the
shape of the real ones) from 127.0.0.1 and resolves this project's own pyproject.toml and the package.json,
go.mod and Cargo.toml fixtures through the real resolver and polite fetcher; prints, per manifest, the
direct dependencies, how many resolved to a repository, and why the others did not.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _support import registry_server, registry_settings

from watch.config.manifests import read_manifests
from watch.feeds.stack.resolve import resolve_dependencies
from watch.http.client import make_client

ROOT = Path(__file__).resolve().parent.parent

FIXTURES = ROOT / "tests" / "fixtures" / "stack"
MANIFESTS = (ROOT / "pyproject.toml", FIXTURES / "node" / "package.json", FIXTURES / "go" / "go.mod",
             FIXTURES / "rust" / "Cargo.toml")


def main() -> None:
    """Print the resolution counts of each manifest."""
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    server = registry_server()
    settings = registry_settings(server.base)
    try:
        for path in MANIFESTS:
            with make_client(settings) as client:
                result = resolve_dependencies(client, read_manifests([path]), settings)
            left = [f"{r.dependency.name} ({r.error or 'no GitHub repository'})"
                    for r in result.resolutions if r.repo is None]
            print(f"{path.relative_to(ROOT)}: {result.resolved}/{len(result.resolutions)} resolved"
                  + (f"; not: {', '.join(left)}" if left else ""))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
