"""The import rules of docs/architecture.md, checked on the source: each package imports only from layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

from testkit import ROOT

# Lowest first. A module may import from its own package and from any lower layer, never from a higher one.
LAYERS: list[set[str]] = [
    {"errors", "records", "files", "text", "dedup", "machine"},  # records, errors, text utilities, item identity
    {"http", "store", "logs", "durations", "progress"},
    {"nlp", "extract", "retention"},
    {"sources", "stories"},
    {"config", "digest", "scheduler"},  # config checks feeds.yaml against sources.kinds' registry
    {"feeds", "pipeline", "query"},
    {"__init__"},  # the package's public API (watch/__init__.py)
    {"cli", "jobs"},
    {"__main__"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}

# (importing unit, imported unit) pairs allowed to break the rule: none today.
ALLOWED: set[tuple[str, str]] = set()


def _unit(module: str) -> str:
    """The layer unit of a module: jobs, or the first part under watch (watch.store.archive -> store)."""
    parts = module.split(".")
    if parts[0] == "jobs":
        return "jobs"
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("watch", "jobs"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(module: str, path: Path) -> set[str]:
    """Absolute names of the watch/jobs modules or packages that `module` imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module:  # `from .. import pipeline` imports watch.pipeline, not the facade
                found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in ("watch", "jobs")}


def _violations() -> set[tuple[str, str, str]]:
    modules = _modules()
    bad = set()
    for module, path in modules.items():
        here = _unit(module)
        for name in _imports(module, path):
            while name not in modules and "." in name:
                name = name.rpartition(".")[0]
            there = _unit(name) if name in modules else None
            if there is None or there == here:
                continue
            if RANK.get(there, 0) >= RANK[here]:
                bad.add((here, there, module))
    return bad


def test_every_package_and_flat_module_has_a_layer():
    units = {_unit(m) for m in _modules()}
    assert units <= set(RANK), f"add these to LAYERS: {sorted(units - set(RANK))}"


def test_packages_import_only_from_layers_below():
    bad = {(here, there, module) for here, there, module in _violations() if (here, there) not in ALLOWED}
    assert not bad, "imports against the layers:\n" + "\n".join(f"{m}: {h} -> {t}" for h, t, m in sorted(bad))


def test_the_allow_list_holds_only_what_is_still_there():
    still = {(here, there) for here, there, _module in _violations()}
    assert still >= ALLOWED, f"paid off, remove from ALLOWED: {sorted(ALLOWED - still)}"


def test_only_the_cli_imports_click_and_watch_never_imports_jobs():
    for module, path in _modules().items():
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
        if "click" in names:
            assert module.startswith("watch.cli"), f"{module} imports click"
        if module.startswith("watch"):
            assert "jobs" not in names, f"{module} imports jobs/"


def test_no_import_circle_among_modules():
    # Every import counts, also those inside functions: a circle there is a circle in the design.
    from graphlib import CycleError, TopologicalSorter

    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in _imports(module, path):
            while name not in modules and "." in name:
                name = name.rpartition(".")[0]
            # A package's __init__ re-exports its modules; importing a module imports its package first.
            if name in modules and name != module and not module.startswith(name + "."):
                targets.add(name)
        graph[module] = targets
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None
