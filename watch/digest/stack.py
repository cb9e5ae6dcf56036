"""The digest's Your stack section: advisories on pinned versions, major/breaking releases, news on dependencies.

A story names a dependency when the package's name stands in its title or summary as a whole word. A name
that is also an everyday word (`click`, `rich`, `requests`, `black`: an English dictionary word, its plural,
or a name shorter than 4 characters) counts only beside its ecosystem: "Python", "PyPI", "pip" for a PyPI
package, "npm", "Node.js" for npm, "Rust", "crate", "Cargo" for crates.io, "Go", "golang" for a Go module,
within a few words in the same sentence, and used as the name of software: followed by a version or a word
such as "library", "package", "formatter" ("Rich 14", "the requests library", "the Black formatter") or
preceded by one ("package rich"); or it stands in an install command or package address (`pip install
rich`, `pkg:pypi/rich`). So "Click here" and "rich results" never count, even in a text about Python. Such
a name is matched as the package spells it or capitalised ("rich", "Rich"), never in capitals; other names
in any case.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packaging.utils import canonicalize_name

from ..records import (
    AdvisoryItem,
    Dependency,
    DigestItem,
    ReleaseLine,
    Source,
    StackAdvisory,
    StackMention,
    StackRelease,
    YourStack,
)
from ..sources.affected import version_key
from ..sources.versions import level, parse_version

__all__ = ["common_word", "major_bump", "mentioned", "severity", "shown_path", "stack_advisories",
           "stack_dependencies", "stack_mentions", "stack_releases", "upgrade_target", "your_stack"]

WINDOW = 5  # words either side of a common-word name where its ecosystem must be named
SHORT = 4  # names shorter than this are common words
# Everyday words of software prose that dictionaries miss or that name many packages.
_COMMON = frozenset({"api", "app", "cli", "client", "common", "config", "core", "data", "docs", "http", "json",
                     "model", "models", "sdk", "server", "shared", "test", "tests", "tools", "types", "utils", "yaml"})
# Words (lower case) that say which ecosystem a text speaks of; "Go" is matched capitalised only.
_CONTEXT = {
    "PyPI": ("python", "pypi", "pip", "python's"),
    "npm": ("npm", "node", "node.js", "nodejs", "javascript", "typescript", "yarn", "pnpm"),
    "crates.io": ("rust", "rust's", "crate", "crates", "cargo", "crates.io"),
    "Go": ("golang", "go's"),
}
# Commands and addresses that name a package of the ecosystem just before its name.
_BEFORE = {
    "PyPI": r"(?:pip3?\s+install\s+(?:-U\s+)?|uv\s+add\s+|poetry\s+add\s+|pypi\.org/project/|pkg:pypi/)",
    "npm": r"(?:npm\s+(?:install|i)\s+|yarn\s+add\s+|pnpm\s+add\s+|npmjs\.com/package/|pkg:npm/)",
    "crates.io": r"(?:cargo\s+add\s+|crates\.io/crates/|pkg:cargo/)",
    "Go": r"(?:go\s+get\s+|pkg\.go\.dev/|pkg:golang/)",
}
# Words that make a common word the name of software when they stand next to it.
_SOFTWARE = frozenset({"library", "libraries", "package", "packages", "module", "modules", "crate", "crates",
                       "framework", "formatter", "linter", "tool", "cli", "project", "release", "released",
                       "releases", "maintainers", "dependency", "plugin", "api", "sdk", "version"})
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*[a-z0-9.-]*$", re.IGNORECASE)
_WORD = re.compile(r"[\w.'+-]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
# A source's `dependency:` as feeds stack writes it: a package URL without version (pkg:pypi/httpx).
_PURL = re.compile(r"^pkg:(pypi|npm|cargo|golang)/([^@?#\s]+)", re.IGNORECASE)
_PURL_TYPES = {"pypi": "PyPI", "npm": "npm", "cargo": "crates.io", "golang": "Go"}
_VECTORS = (("CVSS:4.", CVSS4), ("CVSS:3.", CVSS3))


def stack_dependencies(sources: Sequence[Source]) -> tuple[Dependency, ...]:
    """The stack's packages: those the advisories sources read from the manifests, then every source's
    `dependency:` (with its `manifest:`), each once."""
    found: dict[tuple[str, str], Dependency] = {}
    for source in sources:
        for package in source.packages:
            found.setdefault(_key(package.ecosystem, package.name), package)
    for source in sources:
        parsed = _PURL.match(source.dependency or "")
        if parsed is not None:
            ecosystem, name = _PURL_TYPES[parsed.group(1).lower()], unquote(parsed.group(2))
            found.setdefault(_key(ecosystem, name), Dependency(ecosystem, name, None, "", source.manifest or ""))
    return tuple(found.values())


def shown_path(manifest: str, base: Path | None) -> str:
    """A manifest's path as the digest shows it: relative to feeds.yaml's folder (`base`) when inside it."""
    if not manifest or base is None or not Path(manifest).is_absolute():
        return manifest
    try:
        return Path(manifest).relative_to(base).as_posix()
    except ValueError:
        return manifest


def stack_advisories(items: Iterable[AdvisoryItem], base: Path | None = None) -> tuple[StackAdvisory, ...]:
    """The advisories that hit a pinned version (withdrawn ones never do), worst first, each once."""
    shown: dict[str, StackAdvisory] = {}
    for item in items:
        advisory = item.advisory
        if not advisory.affects_pinned or advisory.withdrawn or not advisory.pinned:
            continue
        shown.setdefault(advisory.id, StackAdvisory(
            id=advisory.id, aliases=advisory.aliases, ecosystem=advisory.ecosystem, package=advisory.package,
            pinned=advisory.pinned, fixed=upgrade_target(advisory.ecosystem, advisory.pinned, advisory.fixed),
            severity=severity(advisory.severity), summary=advisory.summary, url=item.url,
            manifest=shown_path(advisory.manifest, base)))
    return tuple(sorted(shown.values(), key=lambda a: (-_score(a.severity), a.package.lower(), a.id)))


def upgrade_target(ecosystem: str, pinned: str, fixed: Sequence[str]) -> str | None:
    """The lowest fixed version above `pinned` (the smallest upgrade that fixes it); else the first given."""
    current = version_key(ecosystem, pinned)
    keyed = [(version_key(ecosystem, v), v) for v in fixed]
    above = sorted((k, v) for k, v in keyed if k is not None and current is not None and k > current)
    if above:
        return above[0][1]
    return fixed[0] if fixed else None


def severity(vectors: Sequence[str]) -> str:
    """The worst CVSS base score of an advisory's vectors: "7.2 high (CVSS 3.1)"; the raw text when none reads."""
    best: tuple[float, str] | None = None
    for text in vectors:
        vector = text.split(" ", 1)[-1].strip()
        kind = next((k for prefix, k in _VECTORS if vector.startswith(prefix)), CVSS2)
        try:
            parsed = kind(vector)
        except (CVSSError, ValueError, KeyError):
            continue
        score = float(parsed.base_score)
        rating = parsed.severities()[0].lower()
        label = f"{score:.1f} {rating} (CVSS {vector.split('/')[0].removeprefix('CVSS:') or '2.0'})"
        if kind is CVSS2:
            label = f"{score:.1f} (CVSS 2.0)"
        if best is None or score > best[0]:
            best = (score, label)
    if best is not None:
        return best[1]
    return next((v for v in vectors if v), "")


def stack_releases(lines: Sequence[ReleaseLine], sources: Sequence[Source],
                   base: Path | None = None) -> tuple[StackRelease, ...]:
    """The period's releases of dependencies (sources with `dependency:`) that raise the major version or
    whose notes announce a breaking change."""
    manifests = {s.name: shown_path(s.manifest or "", base) for s in sources if s.dependency}
    found = []
    for line in lines:
        if line.source not in manifests:
            continue
        change = "major" if major_bump(line.previous, line.version) else \
            "breaking" if line.note.startswith("breaking:") else ""
        if change:
            found.append(StackRelease(release=line, change=change, manifest=manifests[line.source]))
    return tuple(found)


def major_bump(previous: str | None, version: str) -> bool:
    """Whether `version` raises the major version of `previous` (0.y counts y, as semver 0.x does); without a
    previous release, whether it is a x.0.0 release. Pre-releases and date versions never do."""
    current = parse_version(version)
    if current is None or current.prerelease or current.scheme == "calver":
        return False
    before = parse_version(previous) if previous else None
    if before is None:
        return level(current) == "major" and current.release[0] > 0
    return _major(current.release) > _major(before.release)


def _major(release: tuple[int, ...]) -> tuple[int, int]:
    return (0, release[1] if len(release) > 1 else 0) if release[0] == 0 else (release[0], 0)


def common_word(name: str) -> bool:
    """Whether a package name is an everyday word that prose uses for something else (see the module doc)."""
    word = name.lower()
    if len(word) < SHORT or word in _COMMON:
        return True
    if not word.isalpha():
        return False
    words = _dictionary()
    return word in words or (word.endswith("s") and word[:-1] in words) or \
        (word.endswith("es") and word[:-2] in words)


@functools.lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["gcide"], lower=True, alpha=True))


def mentioned(text: str, dependency: Dependency) -> bool:
    """Whether `text` names the dependency (whole word; a common word only beside its ecosystem)."""
    for name in _names(dependency):
        before = _BEFORE.get(dependency.ecosystem)
        if before and re.search(before + re.escape(name) + r"(?![\w-])", text, re.IGNORECASE):
            return True
        common = common_word(name)
        for match in _pattern(name, common).finditer(text):
            if not common or (_in_context(text, match.start(), match.end(), dependency.ecosystem)
                              and _software_use(text, match.start(), match.end())):
                return True
    return False


def _names(dependency: Dependency) -> list[str]:
    """The forms a text names the package by: its name; a Go module's last path part too."""
    names = [dependency.name]
    if dependency.ecosystem == "Go" and "/" in dependency.name:
        parts = [p for p in dependency.name.split("/") if not re.fullmatch(r"v\d+", p)]
        names.append(parts[-1])
    return list(dict.fromkeys(n for n in names if n))


@functools.lru_cache(maxsize=512)
def _pattern(name: str, common: bool) -> re.Pattern[str]:
    """The name as a whole word: no letter, digit, '-', '/', '@' or '.' joined to it (".js" aside)."""
    edge_before, edge_after = r"(?<![\w@/.-])", r"(?![\w-]|\.(?!js\b)\w)"
    if common:  # as the package spells it, or capitalised: "rich", "Rich", never "RICH" (a heading's shouting)
        lower = name.lower()
        forms = dict.fromkeys([name, lower, lower[:1].upper() + lower[1:]])
        return re.compile(edge_before + "(?:" + "|".join(re.escape(f) for f in forms) + ")" + edge_after)
    return re.compile(edge_before + re.escape(name) + edge_after, re.IGNORECASE)


def _in_context(text: str, start: int, end: int, ecosystem: str) -> bool:
    """Whether the ecosystem is named within WINDOW words of text[start:end], in its sentence."""
    sentence_start = max((m.end() for m in _SENTENCE.finditer(text, 0, start)), default=0)
    following = _SENTENCE.search(text, end)
    sentence_end = following.start() if following else len(text)
    before = _WORD.findall(text[sentence_start:start])[-WINDOW:]
    after = [w for w in _WORD.findall(text[end:sentence_end]) if w.lower() != ".js"][:WINDOW]
    words = _CONTEXT.get(ecosystem, ())
    for word in (*before, *after):
        bare = word.strip(".,;:'\"()").lower()
        if bare in words or (ecosystem == "Go" and word.strip(".,;:'\"()") == "Go"):
            return True
    return False


def _software_use(text: str, start: int, end: int) -> bool:
    """Whether the word at text[start:end] is used as a name of software: a version or a software word next to it."""
    after = [w for w in _WORD.findall(text[end:end + 60]) if w.lower() != ".js"][:1]
    before = _WORD.findall(text[max(start - 40, 0):start])[-1:]
    following = after[0].strip(".,;:()") if after else ""
    previous = before[0].strip(".,;:()").lower() if before else ""
    return bool(_VERSION.match(following)) or following.lower() in _SOFTWARE or previous in _SOFTWARE


def stack_mentions(stories: Sequence[DigestItem], dependencies: Sequence[Dependency],
                   base: Path | None = None) -> tuple[StackMention, ...]:
    """The stories whose title or summary names a dependency (the first one it names), newest first."""
    found = []
    for story in stories:
        text = f"{story.title}. {story.summary}" if story.summary else story.title
        dependency = next((d for d in dependencies if mentioned(text, d)), None)
        if dependency is not None:
            found.append(StackMention(story=story, dependency=dependency.name,
                                      manifest=shown_path(dependency.manifest, base)))
    return tuple(sorted(found, key=lambda m: (m.story.published, m.story.id), reverse=True))


def your_stack(advisories: Iterable[AdvisoryItem], releases: Sequence[ReleaseLine], stories: Sequence[DigestItem],
               sources: Sequence[Source], dependencies: Sequence[Dependency] = (),
               base: Path | None = None) -> YourStack:
    """The Your stack section of a period (`dependencies`: stack_dependencies(sources) when not given;
    manifests shown relative to `base`, feeds.yaml's folder)."""
    return YourStack(advisories=stack_advisories(advisories, base), releases=stack_releases(releases, sources, base),
                     mentions=stack_mentions(stories, dependencies or stack_dependencies(sources), base))


def _key(ecosystem: str, name: str) -> tuple[str, str]:
    return ecosystem, canonicalize_name(name) if ecosystem == "PyPI" else name


def _score(label: str) -> float:
    match = re.match(r"\d+(?:\.\d+)?", label)
    return float(match.group()) if match else 0.0
