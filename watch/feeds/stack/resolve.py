"""Where each dependency is developed: its GitHub repository, from PyPI, npm, crates.io or the Go module path.

Every call goes through the polite fetcher (http.client.fetch, the client's egress policy). A registry that
cannot be reached is reported once and not asked again in the run; a package the registry does not know
(HTTP 404) is simply unresolved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from packaging.utils import canonicalize_name

from ...config.stack import github_repo, go_repo
from ...errors import FetchError
from ...http.client import fetch
from ...records import Dependency, FetchSettings, Resolution

__all__ = ["StackResolution", "github_repo", "go_repo", "resolve_dependencies"]

# PyPI's project_urls labels, most telling first: the code, then the home page, then anything else.
_PREFERRED_LABELS = ("source", "source code", "repository", "code", "github", "homepage", "home")


@dataclass(frozen=True)
class StackResolution:
    """The resolution of every dependency, and the registries that could not be asked (name -> why)."""

    resolutions: tuple[Resolution, ...]
    failures: dict[str, str]

    @property
    def resolved(self) -> int:
        """How many dependencies were traced to a GitHub repository."""
        return sum(1 for r in self.resolutions if r.repo)


def resolve_dependencies(client: httpx.Client, dependencies: Sequence[Dependency],
                         settings: FetchSettings) -> StackResolution:
    """Each dependency's GitHub repository, asked of its registry (addresses from `settings`)."""
    failures: dict[str, str] = {}
    resolutions = []
    for dependency in dependencies:
        resolutions.append(_resolve(client, dependency, settings, failures))
    return StackResolution(tuple(resolutions), failures)


def _resolve(client: httpx.Client, dependency: Dependency, settings: FetchSettings,
             failures: dict[str, str]) -> Resolution:
    if dependency.ecosystem == "Go":
        return Resolution(dependency, go_repo(dependency.name))
    registry = _REGISTRIES.get(dependency.ecosystem)
    if registry is None:
        return Resolution(dependency, None, f"no registry for {dependency.ecosystem}")
    label, address, repo_of = registry
    if label in failures:
        return Resolution(dependency, None, f"{label} unreachable: {failures[label]}")
    url = address(settings, dependency.name)
    try:
        result = fetch(client, url, max_bytes=settings.max_bytes, total_timeout=settings.total_timeout_seconds,
                       headers={"Accept": "application/json"})
    except FetchError as exc:
        if exc.status == 404:
            return Resolution(dependency, None, f"not found on {label}")
        failures[label] = str(exc)
        return Resolution(dependency, None, f"{label} unreachable: {exc}")
    try:
        document = json.loads(result.content.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return Resolution(dependency, None, f"{label} answered something that is not JSON")
    return Resolution(dependency, repo_of(document if isinstance(document, dict) else {}))


def _pypi_repo(document: dict[str, Any]) -> str | None:
    """The repository among PyPI's project_urls (code links first) and home_page."""
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    urls = info.get("project_urls") if isinstance(info.get("project_urls"), dict) else {}
    labelled = sorted(((str(label).strip().lower(), str(url)) for label, url in urls.items() if url),
                      key=lambda pair: _PREFERRED_LABELS.index(pair[0]) if pair[0] in _PREFERRED_LABELS
                      else len(_PREFERRED_LABELS))
    candidates = [url for _, url in labelled] + [str(info.get("home_page") or "")]
    return next((repo for repo in map(github_repo, candidates) if repo), None)


def _npm_repo(document: dict[str, Any]) -> str | None:
    """npm's `repository`: a string (github:owner/name, owner/name, a git URL) or {type, url, directory}."""
    repository = document.get("repository")
    url = repository.get("url") if isinstance(repository, dict) else repository
    if not isinstance(url, str):
        return None
    if re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9_.-]+", url.strip()):  # npm's shorthand for GitHub
        url = "github:" + url.strip()
    return github_repo(url)


def _crates_repo(document: dict[str, Any]) -> str | None:
    """crates.io's `crate.repository`."""
    crate = document.get("crate") if isinstance(document.get("crate"), dict) else {}
    return github_repo(str(crate.get("repository") or ""))


_REGISTRIES = {
    "PyPI": ("PyPI", lambda s, name: f"{s.pypi_api}/{quote(canonicalize_name(name), safe='')}/json", _pypi_repo),
    "npm": ("npm", lambda s, name: f"{s.npm_registry}/{quote(name, safe='@')}", _npm_repo),
    "crates.io": ("crates.io", lambda s, name: f"{s.crates_api}/crates/{quote(name, safe='')}", _crates_repo),
}
