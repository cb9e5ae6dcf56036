"""The shape of the house, as docs/architecture.md promises it: checked on the source, so it stays true."""

from __future__ import annotations

import ast
import re

from testkit import ROOT

WATCH = ROOT / "watch"
LIBRARY = sorted([*WATCH.rglob("*.py"), *(ROOT / "jobs").rglob("*.py")])


def test_pipeline_only_orders_the_stages():
    lines = (WATCH / "pipeline.py").read_text(encoding="utf-8").count("\n")
    assert lines < 300, f"pipeline.py has {lines} lines: move stage logic into its package"


def test_few_modules_left_flat():
    flat = sorted(p.name for p in WATCH.glob("*.py"))
    assert len(flat) <= 14, flat


def test_jobs_live_at_the_top_level():
    assert (ROOT / "jobs" / "__init__.py").is_file()
    assert not (WATCH / "jobs").exists()


def test_no_import_after_code():
    offenders = [str(p.relative_to(ROOT)) for p in [*LIBRARY, *(ROOT / "benchmarks").glob("*.py"),
                                                     *(ROOT / "tests").rglob("*.py")]
                 if "noqa: " + "E402" in p.read_text(encoding="utf-8")]  # spelled apart: this file is scanned too
    assert not offenders


def test_collaborators_are_typed_not_probed():
    # Allowed: probes of foreign objects whose shape varies (the os module, a transformers config), each
    # with a comment on the lines just above saying why.
    probes = []
    for path in LIBRARY:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if re.search(r"\bhasattr\(|inspect\.signature\(", line) and not line.lstrip().startswith("#"):
                said = any(lines[n].lstrip().startswith("#") for n in range(max(0, number - 3), number))
                probes.append((str(path.relative_to(ROOT)), number + 1, said))
    assert len(probes) <= 2, probes
    assert all(said for *_, said in probes), f"a probe without a comment saying why: {probes}"


def test_every_public_function_has_a_docstring_and_type_hints():
    missing = []
    for path in LIBRARY:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            public = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
            if public and (ast.get_docstring(node) is None or node.returns is None):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not missing, missing
