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
from urllib.parse import quote, urlsplit

import httpx
from packaging.utils import canonicalize_name

from ...errors import FetchError
from ...http.client import fetch
from ...records import Dependency, FetchSettings, Resolution

__all__ = ["StackResolution", "github_repo", "go_repo", "resolve_dependencies"]

# Parts of github.com that are not repositories: sponsor pages, organisations, the marketplace.
_NOT_OWNERS = {"sponsors", "orgs", "apps", "features", "marketplace", "topics", "collections", "settings", "about"}
_OWNER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# PyPI's project_urls labels, most telling first: the code, then the home page, then anything else.
_PREFERRED_LABELS = ("source", "source code", "repository", "code", "github", "homepage", "home")
_GOPKG = re.compile(r"^gopkg\.in/(?:([A-Za-z0-9-]+)/)?([A-Za-z0-9_.-]+?)\.v\d+(?:/|$)")


@dataclass(frozen=True)
class StackResolution:
    """The resolution of every dependency, and the registries that could not be asked (name -> why)."""

    resolutions: tuple[Resolution, ...]
    failures: dict[str, str]

    @property
    def resolved(self) -> int:
        """How many dependencies were traced to a GitHub repository."""
        return sum(1 for r in self.resolutions if r.repo)


def github_repo(url: str) -> str | None:
    """owner/name of a GitHub repository URL (git+https, git@, /tree/main, .git, #readme), lower case; else None."""
    text = url.strip()
    text = re.sub(r"^(?:git\+)?(?:ssh://)?git@github\.com[:/]", "https://github.com/", text)
    text = re.sub(r"^github:", "https://github.com/", text)
    text = re.sub(r"^git\+", "", text)
    text = re.sub(r"^git://", "https://", text)
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host not in ("github.com", "www.github.com"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if owner.lower() in _NOT_OWNERS or not _OWNER_NAME.match(owner) or not _REPO_NAME.match(name) \
            or name in (".", ".."):
        return None
    return f"{owner}/{name}".lower()


def go_repo(module: str) -> str | None:
    """The GitHub repository of a Go module path: github.com/owner/repo/..., or gopkg.in's documented mapping.

    golang.org/x/... and other vanity paths are left unresolved: only their `go-get` page says where they
    live (go.googlesource.com for golang.org/x), and no fixed rule maps them to GitHub.
    """
    if module.startswith("github.com/"):
        return github_repo("https://" + module)
    gopkg = _GOPKG.match(module)
    if gopkg:  # gopkg.in/pkg.v3 -> github.com/go-pkg/pkg; gopkg.in/user/pkg.v3 -> github.com/user/pkg
        owner, name = gopkg.groups()
        return f"{owner or 'go-' + name}/{name}".lower()
    return None


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
