"""Your stack in feeds.yaml: `stack: {manifests: [...]}` read at load time into release sources not listed.

Each run re-reads the manifests, so a dependency added to one is followed from the next poll on, without
feeds.yaml being rewritten. A dependency a listed source already follows (same repository or package, or its
`dependency:` key) gets no second source. Without the network, a derived source follows the registry's kind
(pypi, npm, crates), or github-releases for a Go module on github.com; `feeds stack` writes better ones
(github-releases wherever the registry names the repository).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from ..dedup import canonical_url
from ..errors import ConfigError
from ..records import Dependency, Source
from ..sources.kinds import KINDS
from .manifests import dependency_key, parse_purl, read_manifests

__all__ = [
    "ADVISORIES_NAME",
    "STACK_TAG",
    "STACK_TAG_DESCRIPTION",
    "dependency_keys",
    "dependency_purl",
    "followed_keys",
    "github_repo",
    "go_repo",
    "is_stack_source",
    "registry_source",
    "stack_packages",
    "stack_sources",
    "with_advisories",
]

STACK_TAG = "stack"
ADVISORIES_NAME = "Security advisories"
STACK_TAG_DESCRIPTION = "Your stack: releases and security advisories of the dependencies your manifests name"
REGISTRY_KINDS = {"PyPI": "pypi", "npm": "npm", "crates.io": "crates"}
PURL_TYPES = {"PyPI": "pypi", "npm": "npm", "Go": "golang", "crates.io": "cargo"}

# Parts of github.com that are not repositories: sponsor pages, organisations, the marketplace.
_NOT_OWNERS = {"sponsors", "orgs", "apps", "features", "marketplace", "topics", "collections", "settings", "about"}
_OWNER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_GOPKG = re.compile(r"^gopkg\.in/(?:([A-Za-z0-9-]+)/)?([A-Za-z0-9_.-]+?)\.v\d+(?:/|$)")


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


def is_stack_source(source: Source) -> bool:
    """Whether a source follows the stack: tagged `stack`, derived from a manifest, naming a `dependency:`, or
    an advisories source (its items are then tagged `stack`, whether the taxonomy lists the tag or not)."""
    return STACK_TAG in source.tags or source.from_stack or bool(source.dependency) or source.kind == "advisories"


def dependency_purl(dependency: Dependency) -> str:
    """The package URL (without version) a source's `dependency:` key holds: pkg:pypi/httpx."""
    name = canonicalize_name(dependency.name) if dependency.ecosystem == "PyPI" else dependency.name
    return f"pkg:{PURL_TYPES[dependency.ecosystem]}/{name}"


def followed_keys(sources: Iterable[Source]) -> dict[tuple[str, str], str]:
    """What sources already follow -> the source's name: (kind, identity), ("dependency", purl), ("url", url)."""
    keys: dict[tuple[str, str], str] = {}
    for source in sources:
        kind = KINDS[source.kind]
        if source.target and kind.target:
            keys.setdefault((source.kind, kind.identity(source.target)), source.name)
        if source.dependency:
            keys.setdefault(("dependency", source.dependency.casefold()), source.name)
        keys.setdefault(("url", canonical_url(source.url)), source.name)
    return keys


def dependency_keys(dependency: Dependency, choice: tuple[str, str, str]) -> list[tuple[str, str]]:
    """Every key (see followed_keys) under which a source already following this dependency would be listed."""
    kind, _, value = choice
    keys = [(kind, KINDS[kind].identity(value)), ("dependency", dependency_purl(dependency).casefold()),
            ("url", canonical_url(KINDS[kind].target_url(value)))]
    registry = REGISTRY_KINDS.get(dependency.ecosystem)
    if registry and registry != kind:
        keys.append((registry, KINDS[registry].identity(dependency.name)))
    return keys


def registry_source(dependency: Dependency) -> tuple[str, str, str] | None:
    """(kind, target key, value) that follows a dependency without asking any registry; None when none can."""
    if dependency.ecosystem == "Go":
        repo = go_repo(dependency.name)
        return ("github-releases", "repo", repo) if repo else None
    kind = REGISTRY_KINDS.get(dependency.ecosystem)
    if kind is None or not KINDS[kind].target_form.match(dependency.name):
        return None
    return kind, "package", dependency.name


def stack_sources(manifests: Sequence[tuple[Path, int]], listed: Sequence[Source],
                  known_tags: set[str]) -> tuple[list[Source], list[tuple[int, str]]]:
    """Sources for the manifests' dependencies that no listed source follows, and (line, problem) per bad manifest."""
    followed = followed_keys(listed)
    names = {source.name.casefold() for source in listed}
    tags = (STACK_TAG,) if STACK_TAG in known_tags else ()
    derived: list[Source] = []
    problems: list[tuple[int, str]] = []
    for manifest, line in manifests:
        try:
            dependencies = read_manifests([manifest])
        except ConfigError as exc:
            problems.append((line, f"stack.manifests: {exc}"))
            continue
        for dependency in dependencies:
            choice = registry_source(dependency)
            if choice is None:
                continue
            keys = dependency_keys(dependency, choice)
            if any(key in followed for key in keys):
                continue
            source = _derived(dependency, choice, _unique(dependency.name, names), tags, line)
            names.add(source.name.casefold())
            followed.update(dict.fromkeys(keys, source.name))
            derived.append(source)
    return derived, problems


def _derived(dependency: Dependency, choice: tuple[str, str, str], name: str, tags: tuple[str, ...],
             line: int) -> Source:
    kind_name, key, value = choice
    kind = KINDS[kind_name]
    return Source(name=name, url=kind.target_url(value), kind=kind_name, tags=tags, extract=kind.default_extract,
                  line=line, repo=value if key == "repo" else None, project=dependency.name, target=value,
                  manifest=dependency.manifest, dependency=dependency_purl(dependency), from_stack=True)


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... whichever no source uses (ignoring case)."""
    chosen, number = name, 2
    while chosen.casefold() in taken:
        chosen, number = f"{name} ({number})", number + 1
    return chosen


def stack_packages(manifests: Sequence[Path], sources: Sequence[Source], base: Path) -> tuple[Dependency, ...]:
    """The stack's packages for advisories: the manifests' dependencies, then those of the listed stack sources
    (their `manifest` re-read for its pins; their `dependency` alone when it no longer reads)."""
    paths = list(manifests) + [base / s.manifest for s in sources if s.manifest and not s.from_stack]
    seen: dict[tuple[str, str], Dependency] = {}
    for path in dict.fromkeys(p.resolve() for p in paths):
        try:
            dependencies = read_manifests([path])
        except ConfigError:
            continue  # a source's manifest that moved or broke: its `dependency` below still names the package
        for dependency in dependencies:
            seen.setdefault(dependency_key(dependency), dependency)
    for source in sources:
        parsed = parse_purl(source.dependency) if source.dependency else None
        if parsed is not None:
            ecosystem, name, _ = parsed
            dependency = Dependency(ecosystem, name, None, "", source.manifest or "")
            seen.setdefault(dependency_key(dependency), dependency)
    return tuple(seen.values())


def with_advisories(sources: Sequence[Source], packages: tuple[Dependency, ...], osv_api: str,
                    known_tags: set[str], stack_named: bool, github_api: str | None = None) -> tuple[Source, ...]:
    """Sources with the stack's packages given to each `kind: advisories`; one derived when the stack is named
    in feeds.yaml and none is listed (asking GitHub's advisories at `github_api` when given: a token is set)."""
    result = [dataclasses.replace(s, packages=packages) if s.kind == "advisories" else s for s in sources]
    if stack_named and not any(s.kind == "advisories" for s in sources):
        kind = KINDS["advisories"]
        names = {s.name.casefold() for s in sources}
        url = f"{github_api}/advisories" if github_api else osv_api + "/v1/querybatch"
        result.append(Source(name=_unique(ADVISORIES_NAME, names), url=url, kind=kind.name,
                             tags=(STACK_TAG,) if STACK_TAG in known_tags else (), extract=kind.default_extract,
                             from_stack=True, packages=packages))
    return tuple(result)
