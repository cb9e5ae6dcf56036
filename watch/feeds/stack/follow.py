"""`feeds stack`: a release source for each dependency not yet followed, written to feeds.yaml in one go.

A dependency whose repository is known is followed by `github-releases`, else by its registry's kind
(`pypi`, `npm`, `crates`). The new sources go at the end of `sources:` under a `# stack: ...` comment, tagged
`stack` (the tag is added to `tags:` when missing), each with the `manifest` that brought it in and the
`dependency` it follows. Nothing is written when a registry could not be asked (all or nothing).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from packaging.utils import canonicalize_name

from ...config.manifests import read_manifests
from ...config.stack import (
    ADVISORIES_NAME,
    STACK_TAG,
    STACK_TAG_DESCRIPTION,
    dependency_keys,
    dependency_purl,
    followed_keys,
    registry_source,
)
from ...records import Config, Dependency, Resolution
from ...sources.kinds import KINDS
from ..feedsfile import NewSource, append_sources
from ..subscribe import check_tags, unique_name
from .resolve import resolve_dependencies

__all__ = ["StackPlan", "follow_stack", "release_source_of"]

@dataclass(frozen=True)
class StackPlan:
    """What `feeds stack` found: sources added (or that would be), dependencies already followed or skipped."""

    added: tuple[tuple[NewSource, Resolution], ...]
    present: tuple[tuple[Resolution, str], ...]  # (dependency, the source that already follows it)
    skipped: tuple[tuple[Resolution, str], ...]  # (dependency, why no source follows it)
    failures: dict[str, str] = field(default_factory=dict)  # registry -> why it could not be asked
    lines: tuple[int, ...] = ()
    dry_run: bool = False
    tag_added: bool = False
    advisories: NewSource | None = None  # the `kind: advisories` source added, when the file had none
    advisories_line: int = 0

    @property
    def written(self) -> bool:
        """Whether feeds.yaml was changed."""
        return bool(self.lines or self.advisories_line) and not self.dry_run and not self.failures


def release_source_of(resolution: Resolution) -> tuple[str, str, str] | None:
    """(kind, target key, value) of the release source that follows a resolved dependency; None when none can."""
    if resolution.repo:
        return "github-releases", "repo", resolution.repo
    if resolution.error:  # unknown to its registry (a private or path dependency), or the registry failed
        return None
    return registry_source(resolution.dependency)


def follow_stack(path: Path, config: Config, client: httpx.Client, manifests: Sequence[Path], *,
                 tags: Sequence[str] = (), only: Sequence[str] = (), exclude: Sequence[str] = (),
                 dry_run: bool = False) -> StackPlan:
    """Read the manifests, resolve their dependencies and add a release source for each one not yet followed."""
    known = {tag.name for tag in config.tags}
    check_tags(path, config, [tag for tag in tags if tag != STACK_TAG])  # the stack tag is added when missing
    dependencies = [d for d in read_manifests(manifests) if _selected(d, only, exclude)]
    resolution = resolve_dependencies(client, dependencies, config.settings.fetch)
    followed = followed_keys([s for s in config.sources if not s.from_stack])
    names = {source.name for source in config.sources if not source.from_stack}  # derived ones give way
    added: list[tuple[NewSource, Resolution]] = []
    present: list[tuple[Resolution, str]] = []
    skipped: list[tuple[Resolution, str]] = []
    source_tags = tuple(dict.fromkeys([STACK_TAG, *tags]))
    for item in resolution.resolutions:
        choice = release_source_of(item)
        if choice is None:
            skipped.append((item, item.error or "no release source: not on GitHub and no registry kind"))
            continue
        keys = dependency_keys(item.dependency, choice)
        already = next((followed[key] for key in keys if key in followed), None)
        if already is not None:
            present.append((item, already))
            continue
        source = _new_source(path, item, choice, unique_name(item.dependency.name, names), source_tags)
        names.add(source.name)
        followed.update(dict.fromkeys(keys, source.name))
        added.append((source, item))
    advisories = None
    if not any(s.kind == "advisories" for s in config.sources if not s.from_stack):
        advisories = NewSource(name=unique_name(ADVISORIES_NAME, names), kind="advisories", tags=source_tags,
                               url=f"{config.settings.fetch.osv_api}/v1/querybatch")
    plan = StackPlan(tuple(added), tuple(present), tuple(skipped), resolution.failures, dry_run=dry_run,
                     advisories=advisories)
    if resolution.failures or not (added or advisories):
        return plan
    new_tags = [] if STACK_TAG in known else [(STACK_TAG, STACK_TAG_DESCRIPTION)]
    shown = ", ".join(sorted({_relative(path, Path(d.manifest)) for d in dependencies}))
    new = [source for source, _ in added] + ([advisories] if advisories else [])
    lines = append_sources(path, new, dry_run=dry_run, new_tags=new_tags,
                           comment=f"stack: dependencies of {shown} (techwatch feeds stack)")
    return StackPlan(plan.added, plan.present, plan.skipped, {}, tuple(lines[:len(added)]), dry_run, bool(new_tags),
                     advisories, lines[-1] if advisories else 0)


def _selected(dependency: Dependency, only: Sequence[str], exclude: Sequence[str]) -> bool:
    """--only and --exclude, by package name (PEP 503 names for PyPI, case ignored)."""
    def same(name: str) -> bool:
        if dependency.ecosystem == "PyPI":
            return canonicalize_name(name) == canonicalize_name(dependency.name)
        return name.casefold() == dependency.name.casefold()
    return (not only or any(map(same, only))) and not any(map(same, exclude))


def _new_source(path: Path, resolution: Resolution, choice: tuple[str, str, str], name: str,
                tags: tuple[str, ...]) -> NewSource:
    kind, key, value = choice
    dependency = resolution.dependency
    fields = [(key, value)]
    if KINDS[kind].default_project(value).casefold() != dependency.name.casefold():
        fields.append(("project", dependency.name))
    fields += [("manifest", _relative(path, Path(dependency.manifest))), ("dependency", dependency_purl(dependency))]
    return NewSource(name=name, url=KINDS[kind].target_url(value), tags=tags, kind=kind, fields=tuple(fields),
                     write_url=False)


def _relative(config_path: Path, manifest: Path) -> str:
    """A manifest's path as feeds.yaml writes it: relative to the file's directory when that is shorter."""
    base = Path(os.path.abspath(config_path)).parent
    absolute = Path(os.path.abspath(manifest))
    relative = os.path.relpath(absolute, base)
    return relative if len(relative) <= len(str(absolute)) else str(absolute)
