"""Dependency manifests read into `Dependency` records: pyproject, requirements, package.json, go.mod, Cargo, SBOMs.

Only direct dependencies are listed (go.mod's `// indirect` are not; an SBOM lists what it lists). A pin is
the exact version a manifest or its lock file fixes (`==1.2`, npm's `1.2.3`, the lock's version, go.mod's
version, Cargo's `=1.2.3`); a range leaves `pinned` None.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import ConfigError
from ..records import Dependency

__all__ = ["MANIFEST_NAMES", "dependency_key", "find_manifests", "parse_purl", "read_manifest", "read_manifests"]

MANIFEST_NAMES = ("pyproject.toml", "package.json", "go.mod", "Cargo.toml")
_REQUIREMENTS = re.compile(r"^requirements.*\.txt$|.*requirements\.txt$", re.IGNORECASE)
_SBOM_SUFFIXES = (".cdx.json", ".spdx.json", "bom.json", "sbom.json")
_PURL_TYPES = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "cargo": "crates.io"}
_NPM_EXACT = re.compile(r"^v?=?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")
_CARGO_EXACT = re.compile(r"^=\s*(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$")
_POETRY_EXACT = re.compile(r"^=?=?\s*(\d+(?:\.\d+)*(?:[a-z]+\d*)?)$")
_GO_REQUIRE = re.compile(r"^(\S+)\s+(v\S+)\s*(//.*)?$")


def dependency_key(dependency: Dependency) -> tuple[str, str]:
    """(ecosystem, name) under which two dependencies are the same package (PEP 503 names for PyPI)."""
    name = canonicalize_name(dependency.name) if dependency.ecosystem == "PyPI" else dependency.name
    return dependency.ecosystem, name if dependency.ecosystem == "Go" else name.casefold()


def find_manifests(path: Path) -> list[Path]:
    """The manifests a path names: the file itself, or the known manifests directly inside a directory."""
    if not path.is_dir():
        return [path]
    found = [path / name for name in MANIFEST_NAMES if (path / name).is_file()]
    found += sorted(p for p in path.iterdir() if p.is_file() and (_REQUIREMENTS.match(p.name)
                                                                    or p.name.endswith(_SBOM_SUFFIXES)))
    return found


def read_manifests(paths: Iterable[Path]) -> list[Dependency]:
    """The direct dependencies of every manifest (directories searched), each package once, first one kept."""
    seen: dict[tuple[str, str], Dependency] = {}
    for path in paths:
        for manifest in find_manifests(path):
            for dependency in read_manifest(manifest):
                key = dependency_key(dependency)
                if key not in seen or (seen[key].pinned is None and dependency.pinned is not None):
                    seen[key] = dependency
    return list(seen.values())


def read_manifest(path: Path) -> list[Dependency]:
    """The direct dependencies one manifest names; a ConfigError names the file when it cannot be read."""
    name = path.name
    if name == "pyproject.toml":
        return _pyproject(path)
    if _REQUIREMENTS.match(name):
        return _requirements(path, set())
    if name == "package.json":
        return _package_json(path)
    if name == "go.mod":
        return _go_mod(path)
    if name == "Cargo.toml":
        return _cargo(path)
    if name.endswith(".json"):
        return _sbom(path)
    raise ConfigError("not a manifest techwatch reads (pyproject.toml, requirements*.txt, package.json, go.mod, "
                      "Cargo.toml, a CycloneDX or SPDX JSON SBOM)", path=str(path))


# --------------------------------------------------------------------------------------------------
# Reading files


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("manifest not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the manifest: {exc}", path=str(path)) from exc


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from exc


def _json(path: Path) -> Any:
    try:
        return json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", path=str(path), line=exc.lineno) from exc


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --------------------------------------------------------------------------------------------------
# Python


def _pep508(text: str, manifest: Path, line: int | None = None) -> Dependency:
    """A PEP 508 requirement; pinned when its only specifier is == (or ===) an exact version."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]  # packaging adds the text and a caret on two more lines
        raise ConfigError(f"invalid requirement {text!r}: {reason}", path=str(manifest), line=line) from exc
    specs = list(requirement.specifier)
    pinned = specs[0].version if len(specs) == 1 and specs[0].operator in ("==", "===") \
        and "*" not in specs[0].version else None
    return Dependency("PyPI", requirement.name, pinned, str(requirement.specifier), str(manifest))


def _pyproject(path: Path) -> list[Dependency]:
    document = _toml(path)
    project = _table(document.get("project"))
    found: list[Dependency] = []
    requirements = list(project.get("dependencies") or [])
    for group in _table(project.get("optional-dependencies")).values():
        requirements += list(group or [])
    for text in requirements:
        if isinstance(text, str):
            found.append(_pep508(text, path))
    poetry = _table(_table(document.get("tool")).get("poetry"))
    tables = [_table(poetry.get("dependencies")), _table(poetry.get("dev-dependencies"))]
    tables += [_table(_table(group).get("dependencies")) for group in _table(poetry.get("group")).values()]
    for table in tables:
        for name, value in table.items():
            if name.lower() != "python":
                found.append(_poetry(name, value, path))
    return found


def _poetry(name: str, value: Any, manifest: Path) -> Dependency:
    """A Poetry dependency: "^1.2", "1.2.3" (exact), or a table with `version` (git/path ones have none)."""
    spec = value if isinstance(value, str) else str(_table(value).get("version") or "")
    exact = _POETRY_EXACT.match(spec.strip())
    return Dependency("PyPI", name, exact.group(1) if exact else None, spec.strip(), str(manifest))


def _requirements(path: Path, visited: set[Path]) -> list[Dependency]:
    """requirements.txt: one PEP 508 line each, `-r` files included; editables, URLs and options skipped."""
    visited.add(path.resolve())
    found: list[Dependency] = []
    for line_number, line in _logical_lines(_text(path)):
        if line.startswith(("-r", "--requirement")):
            included = line.removeprefix("--requirement").removeprefix("-r").strip(" =")
            target = (path.parent / included).resolve()
            if target not in visited:
                found += _requirements(target, visited)
            continue
        if line.startswith("-") or "://" in line.split("@")[0] or line.startswith((".", "/")):
            continue  # -e, -c, --index-url...; a bare URL or path names no package
        # Per-requirement options (--hash=..., --config-settings) follow the requirement.
        found.append(_pep508(re.split(r"\s--?[a-z]", line, maxsplit=1)[0], path, line_number))
    return found


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each non-empty line, comments removed and backslash continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            yield start, line


# --------------------------------------------------------------------------------------------------
# JavaScript, Go, Rust


def _package_json(path: Path) -> list[Dependency]:
    document = _table(_json(path))
    locked = _lock_versions(path.with_name("package-lock.json"))
    found = []
    for section in ("dependencies", "devDependencies"):
        for name, spec in _table(document.get(section)).items():
            spec = str(spec).strip()
            pinned = locked.get(name) or (spec.lstrip("v=") if _NPM_EXACT.match(spec) else None)
            found.append(Dependency("npm", name, pinned, spec, str(path)))
    return found


def _lock_versions(lock: Path) -> dict[str, str]:
    """name -> version installed, from package-lock.json (v2/v3 `packages`, v1 `dependencies`); {} without one."""
    if not lock.is_file():
        return {}
    document = _table(_json(lock))
    versions: dict[str, str] = {}
    for key, entry in _table(document.get("packages")).items():
        # Top-level installs only: node_modules/a/node_modules/b is a's own copy of b.
        if key.startswith("node_modules/") and "/node_modules/" not in key and _table(entry).get("version"):
            versions[key.removeprefix("node_modules/")] = str(entry["version"])
    if not versions:
        for name, entry in _table(document.get("dependencies")).items():
            if _table(entry).get("version"):
                versions[name] = str(entry["version"])
    return versions


def _go_mod(path: Path) -> list[Dependency]:
    found = []
    block = False
    for number, raw in enumerate(_text(path).splitlines(), 1):
        line = raw.strip()
        if block and line == ")":
            block = False
            continue
        if line.startswith("require") and line.removeprefix("require").strip() == "(":
            block = True
            continue
        if line.startswith("require "):
            line = line.removeprefix("require ").strip()
        elif not block:
            continue
        match = _GO_REQUIRE.match(line)
        if match is None:
            if line and not line.startswith("//"):
                raise ConfigError(f"cannot read the require line {line!r}", path=str(path), line=number)
            continue
        module, version, comment = match.groups()
        if comment and "indirect" in comment:
            continue
        found.append(Dependency("Go", module, version, version, str(path)))
    return found


def _cargo(path: Path) -> list[Dependency]:
    document = _toml(path)
    tables = [_table(document.get(key)) for key in ("dependencies", "dev-dependencies", "build-dependencies")]
    for target in _table(document.get("target")).values():
        tables += [_table(_table(target).get(key)) for key in ("dependencies", "dev-dependencies",
                                                                 "build-dependencies")]
    tables.append(_table(_table(document.get("workspace")).get("dependencies")))
    found = []
    for table in tables:
        for key, value in table.items():
            name = str(_table(value).get("package") or key)  # `foo = { package = "bar" }` renames bar
            spec = value if isinstance(value, str) else str(_table(value).get("version") or "")
            exact = _CARGO_EXACT.match(spec.strip())
            found.append(Dependency("crates.io", name, exact.group(1) if exact else None, spec.strip(), str(path)))
    return found


# --------------------------------------------------------------------------------------------------
# SBOMs


def _sbom(path: Path) -> list[Dependency]:
    document = _table(_json(path))
    purls: list[str] = []
    if document.get("bomFormat") == "CycloneDX":
        purls = [str(c.get("purl")) for c in _components(document.get("components")) if c.get("purl")]
    elif document.get("spdxVersion"):
        for package in document.get("packages") or []:
            for ref in _table(package).get("externalRefs") or []:
                ref = _table(ref)
                if ref.get("referenceType") == "purl" and ref.get("referenceLocator"):
                    purls.append(str(ref["referenceLocator"]))
    else:
        raise ConfigError("not a CycloneDX or SPDX JSON SBOM (no bomFormat: CycloneDX, no spdxVersion)",
                          path=str(path))
    found = []
    for purl in purls:
        parsed = parse_purl(purl)
        if parsed is not None:
            ecosystem, name, version = parsed
            found.append(Dependency(ecosystem, name, version, f"=={version}" if version else "", str(path)))
    return found


def _components(components: Any) -> Iterator[dict[str, Any]]:
    """CycloneDX components, nested ones included."""
    for component in components or []:
        if isinstance(component, dict):
            yield component
            yield from _components(component.get("components"))


def parse_purl(purl: str) -> tuple[str, str, str | None] | None:
    """(OSV ecosystem, name, version) of a package URL (pkg:pypi/httpx@0.28.1); None for other ecosystems."""
    if not purl.startswith("pkg:"):
        return None
    body = purl[4:].split("#", 1)[0].split("?", 1)[0].lstrip("/")
    kind, _, rest = body.partition("/")
    ecosystem = _PURL_TYPES.get(kind.lower())
    if ecosystem is None or not rest:
        return None
    path, _, version = rest.rpartition("@") if "@" in rest.lstrip("@") else (rest, "", "")
    if not path:
        path, version = rest, ""
    name = "/".join(unquote(part) for part in path.split("/"))
    return ecosystem, name, unquote(version) or None
