"""Whether a pinned version falls in an advisory's affected ranges: PEP 440 for PyPI, SemVer for npm, Go, crates.io.

No SemVer library is pinned by the project, so SemVer 2.0 precedence is written out here (major.minor.patch,
then pre-release identifiers, numeric ones below alphanumeric ones, build metadata ignored; a leading `v`
is allowed, as Go writes it). A version neither grammar reads compares by its text alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from packaging.version import InvalidVersion, Version

from ..records import AffectedRange

__all__ = ["affects", "semver_key", "version_key"]

_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def semver_key(text: str) -> tuple | None:
    """A sort key of a SemVer version (1.2.3, v1.2.3-rc.1); None when it is not one."""
    match = _SEMVER.match(text.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    release = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return (release, 1, ())  # a release sorts after each of its pre-releases
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (release, 0, parts)


def version_key(ecosystem: str, text: str) -> tuple | None:
    """A sort key of a version in its ecosystem's grammar; None when it does not read."""
    if ecosystem == "PyPI":
        try:
            return (Version(text),)
        except InvalidVersion:
            return None
    return semver_key(text)


def affects(ecosystem: str, pinned: str, ranges: Sequence[AffectedRange], versions: Sequence[str]) -> bool:
    """Whether `pinned` is one of `versions` or within a range: introduced <= pinned < fixed (or <= last_affected)."""
    if pinned in versions or pinned.lstrip("v") in {v.lstrip("v") for v in versions}:
        return True
    key = version_key(ecosystem, pinned)
    if key is None:
        return False
    for affected in ranges:
        low = None if affected.introduced in (None, "0") else version_key(ecosystem, affected.introduced)
        if affected.introduced not in (None, "0") and low is None:
            continue  # a bound that does not read: no conclusion from this range
        if low is not None and key < low:
            continue
        if affected.fixed is not None:
            high = version_key(ecosystem, affected.fixed)
            if high is not None and key < high:
                return True
        elif affected.last_affected is not None:
            high = version_key(ecosystem, affected.last_affected)
            if high is not None and key <= high:
                return True
        else:
            return True  # no fix yet: everything from `introduced` on
    return False
