"""Version numbers of software releases: parse, find in a title, order, classify and filter.

PEP 440 is left to `packaging`; hand code covers what it cannot say: semver pre-release and build
strings kept as written, dates used as versions, and odd suffixes such as NetNewsWire's "5.1d3".
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field

from packaging.version import InvalidVersion
from packaging.version import Version as _Pep440

LEVELS = ("patch", "minor", "major")

# "Release v1.2", "version 1.2", "release-1.2", "v1.2": a prefix naming the thing itself, never a project name.
_PREFIX = re.compile(r"^(?:(?:version|release)(?:\s+|[-_:]\s*)?)?v?(?=\d)", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SEMVER = re.compile(
    r"^(\d+)\.(\d+)\.(\d+)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
_LOOSE = re.compile(r"^(\d+(?:\.\d+)*)(?:[-_.]?([A-Za-z][0-9A-Za-z.-]*))?$")
# Words that mark a build as not-yet-final; "d" is NetNewsWire's development build (5.1d3).
_PRE_WORDS = re.compile(
    r"^(?:a|alpha|b|beta|c|fc|rc|pre|preview|dev|d|nightly|snapshot|canary|next|insiders|ea|m|milestone)\d*$",
    re.IGNORECASE,
)
_PEP440_PRE_NAMES = {"a": "alpha", "b": "beta", "rc": "rc"}


# Known pre-release words by maturity, so NetNewsWire's 5.1d3 < 5.1a2 and "-dev" < "-alpha" (plain ASCII order,
# as semver has it, would put "dev" after "beta"); unknown words come after and sort by their text.
_PRE_RANK = {"dev": 0, "d": 0, "nightly": 0, "snapshot": 0, "canary": 0, "a": 1, "alpha": 1, "ea": 1,
             "m": 1, "milestone": 1, "b": 2, "beta": 2, "c": 3, "fc": 3, "pre": 3, "preview": 3, "rc": 3}


def _identifier_key(part: str) -> tuple[int, int, str]:
    """Semver precedence for one pre-release identifier: numbers sort before words, numbers numerically."""
    if part.isdigit():
        return (0, int(part), "")
    word = part.lower()
    return (1, _PRE_RANK.get(word, 9), word)


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A parsed version; equality and order follow `key` (so "1.2" == "1.2.0"), not the display text."""

    text: str
    release: tuple[int, ...]
    prerelease: bool
    scheme: str
    key: tuple = field(repr=False)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key < other.key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    """Drop trailing zeros so 1.2 and 1.2.0 compare equal, as PEP 440 says."""
    trimmed = list(release)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
    return tuple(trimmed)


# Key layout: (release, stage, pre-release identifiers, post number, dev marker).
# stage 0 = dev-only build, 1 = pre-release, 2 = final; dev marker (0, n) sorts a ".devN" before its base.
_NO_DEV = (1, 0)


def _is_calver(release: tuple[int, ...]) -> bool:
    """Year-first versions (2024.05.01) and YY.MM ones (24.1.0) are calendar versions."""
    if len(release) < 2:
        return False
    first, second = release[0], release[1]
    return 2000 <= first <= 2999 or (20 <= first <= 99 and 1 <= second <= 12)


def _from_pep440(text: str) -> Version | None:
    try:
        parsed = _Pep440(text)
    except InvalidVersion:
        return None
    stage = 2
    pre_ids: tuple = ()
    if parsed.pre is not None:
        stage = 1
        letter, number = parsed.pre
        pre_ids = (_identifier_key(_PEP440_PRE_NAMES[letter]), _identifier_key(str(number)))
    elif parsed.dev is not None and parsed.post is None:
        stage = 0
    dev = (0, parsed.dev) if parsed.dev is not None else _NO_DEV
    key = (_trim(parsed.release), stage, pre_ids, parsed.post or 0, dev)
    scheme = "calver" if _is_calver(parsed.release) else "pep440"
    # A calendar version keeps its zero padding (2024.05.01), which PEP 440 normalisation would drop.
    display = text if scheme == "calver" else str(parsed)
    return Version(display, parsed.release, parsed.is_prerelease, scheme, key)


def _from_semver(text: str) -> Version | None:
    match = _SEMVER.match(text)
    if not match or not match.group(4):
        return None
    release = tuple(int(match.group(i)) for i in (1, 2, 3))
    pre_ids = tuple(_identifier_key(part) for part in match.group(4).split("."))
    key = (_trim(release), 1, pre_ids, 0, _NO_DEV)
    return Version(text, release, True, "semver", key)


def _from_loose(text: str) -> Version | None:
    match = _LOOSE.match(text)
    if not match:
        return None
    release = tuple(int(part) for part in match.group(1).split("."))
    suffix = match.group(2) or ""
    parts = [part for part in re.split(r"[.-]", suffix) if part]
    # "5.1d3" is one word+number; split it so the number orders numerically.
    identifiers: list[str] = []
    for part in parts:
        identifiers.extend(piece for piece in re.split(r"(\d+)", part) if piece)
    prerelease = bool(parts) and bool(_PRE_WORDS.match(parts[0]))
    stage = 1 if prerelease else 2
    pre_ids = tuple(_identifier_key(part) for part in identifiers)
    key = (_trim(release), stage, pre_ids, 0, _NO_DEV)
    scheme = "calver" if _is_calver(release) else "other"
    return Version(text, release, prerelease, scheme, key)


def parse_version(text: str) -> Version | None:
    """Parse a bare version ("v1.2.3", "1.2.3-rc.1", "0.6.3.post1", "2024-05-01"); None for anything else."""
    cleaned = _PREFIX.sub("", text.strip(), count=1)
    if not cleaned or not cleaned[0].isdigit():
        return None
    date = _DATE.match(cleaned)
    if date:
        try:
            datetime.date(*(int(part) for part in date.groups()))
        except ValueError:
            return None
        release = tuple(int(part) for part in date.groups())
        return Version(cleaned, release, False, "calver", (release, 2, (), 0, _NO_DEV))
    # Semver first for hyphenated pre-releases: packaging would accept "2.0.0-beta.1" but rewrite it as "2.0.0b1".
    if "-" in cleaned or "+" in cleaned:
        semver = _from_semver(cleaned)
        if semver:
            return semver
    return _from_pep440(cleaned) or _from_loose(cleaned)


# A version-looking token inside free text: optional name prefix ("vllm-", "mac-"), optional v.
_TOKEN = re.compile(r"[^\s\[\](){}<>,;\"'`|]+")
_NAME_PREFIX = re.compile(r"^(.*?[A-Za-z][\w.]*?)[-_@/]+(?=v?\d)", re.IGNORECASE)
_YEAR_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$")


@dataclass
class _Candidate:
    version: Version
    score: int
    position: int


def _token_candidate(token: str, previous: str, project: str | None, position: int) -> _Candidate | None:
    token = token.strip(".:!?*#").strip()
    name = ""
    prefix = _NAME_PREFIX.match(token)
    if prefix and not _PREFIX.match(token):
        name = prefix.group(1).rsplit("/", 1)[-1]
        token = token[prefix.end():]
    explicit_v = token[:1] in "vV"
    version = parse_version(token)
    if version is None:
        return None
    # A lone number ("GPT-4", "build 6150", "Fixes 2 bugs") is only a version when written "v4".
    if len(version.release) < 2 and not explicit_v:
        return None
    score = 0
    project_key = project.lower().rsplit("/", 1)[-1] if project else None
    previous_key = previous.strip(":").lower().rsplit("/", 1)[-1]
    if project_key and (name.lower() == project_key or (not name and previous_key == project_key)):
        score += 4
    if name and name.lower() != (project_key or ""):
        score -= 3  # attached to another name: a model ("GPT-4.5") or a dependency ("python-3.12")
    if explicit_v:
        score += 2
    if len(version.release) >= 3:
        score += 1
    if _YEAR_DATE.match(token):
        score -= 5  # a date beside a real version is the release date, not the version
    return _Candidate(version, score, position)


def find_version(title: str, project: str | None = None) -> Version | None:
    """The version named in a release title or tag ("Release v5.24.0", "vllm 0.6.0 (2024-07-01)")."""
    candidates: list[_Candidate] = []
    previous = ""
    for position, match in enumerate(_TOKEN.finditer(title)):
        token = match.group(0)
        candidate = _token_candidate(token, previous, project, position)
        if candidate:
            candidates.append(candidate)
        previous = token
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.score, -c.position)).version


def level(version: Version) -> str:
    """"major", "minor" or "patch" from the number alone; 0.y.z counts y as major and z as patch (semver 0.x)."""
    release = version.release
    if version.scheme == "calver":
        # A date says nothing about compatibility: YY.MM.N micro bumps are patches, the rest minor.
        if len(release) >= 3 and release[0] < 100 and release[2] != 0:
            return "patch"
        return "minor"
    if release[0] == 0 and len(release) > 1:
        rest = release[1:]
        return "major" if not any(rest[1:]) else "patch"
    padded = release + (0,) * (3 - len(release))
    if not any(padded[1:]):
        return "major"
    if not any(padded[2:]):
        return "minor"
    return "patch"


def classify(previous: Version | None, current: Version) -> str:
    """"first" without a previous release, "pre" for a pre-release, else the level of `current`."""
    if previous is None:
        return "first"
    if current.prerelease:
        return "pre"
    return level(current)


def passes_filter(v: Version, *, include_prereleases: bool, min_level: str) -> bool:
    """Whether a source configured with these options reports `v`; min_level is "patch", "minor" or "major"."""
    if min_level not in LEVELS:
        raise ValueError(f"min_level must be one of {', '.join(LEVELS)}, not {min_level!r}")
    if v.prerelease and not include_prereleases:
        return False
    return LEVELS.index(level(v)) >= LEVELS.index(min_level)
