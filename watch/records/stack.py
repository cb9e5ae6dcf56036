"""Your stack: the dependencies read from manifests, where each is developed, and the advisories filed on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The ecosystems techwatch reads manifests of, as OSV names them (https://ossf.github.io/osv-schema/).
ECOSYSTEMS: tuple[str, ...] = ("PyPI", "npm", "Go", "crates.io")


@dataclass(frozen=True)
class Dependency:
    """One direct dependency named by a manifest: its ecosystem (an OSV name), name, pinned version, spec."""

    ecosystem: str  # PyPI | npm | Go | crates.io
    name: str
    pinned: str | None  # the exact version the manifest or its lock file fixes; None for a range
    spec: str  # the requirement as written ("==0.28.1", "^1.2.0", ">=2,<3", "v1.9.0"); "" for none
    manifest: str  # the manifest's path as given (absolute when it came from feeds.yaml)


@dataclass(frozen=True)
class Resolution:
    """Where a dependency's releases are followed: its GitHub repository, or its registry package alone."""

    dependency: Dependency
    repo: str | None  # owner/name on GitHub, normalised to lower case; None when the registry names none
    error: str | None = None  # why the registry could not be asked (unreachable, HTTP 500...); None when it was


@dataclass(frozen=True)
class AffectedRange:
    """One range of versions an advisory affects in one package: introduced (inclusive) up to fixed (exclusive)."""

    introduced: str | None
    fixed: str | None
    last_affected: str | None = None  # inclusive upper bound, when OSV gives no fix


@dataclass(frozen=True)
class Advisory:
    """A security advisory as the archive keeps it (one item, keyed by its OSV id)."""

    id: str  # OSV id: GHSA-..., PYSEC-..., RUSTSEC-..., GO-...
    aliases: tuple[str, ...]  # CVE-..., GHSA-...
    summary: str
    modified: str  # OSV's `modified` timestamp: a revision changes it
    withdrawn: str | None  # when OSV withdrew it; None while it stands
    severity: tuple[str, ...]  # CVSS vectors (and scores when given), as "CVSS_V3 CVSS:3.1/AV:N/..."
    ecosystem: str
    package: str
    ranges: tuple[AffectedRange, ...]
    versions: tuple[str, ...]  # versions listed as affected one by one
    fixed: tuple[str, ...]  # the versions that fix it (what to upgrade to)
    references: tuple[str, ...]
    pinned: str | None  # the version the manifest pins
    affects_pinned: bool | None  # None when nothing is pinned
    manifest: str  # the manifest that brought the package in


@dataclass(frozen=True)
class AdvisoryItem:
    """An archived advisory, as the digest reads it: the item and what the advisory says."""

    item_id: str
    url: str
    source: str
    published: datetime | None
    advisory: Advisory
