"""The house keeps its floors: aicost/ imports only downwards, at the top of each module, with no circle, and
never imports streamlit (DEVELOPERS.md, "The map of aicost/")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "aicost"
FLOORS = ("base", "config", "ledger", "registry", "pricing", "sources", "analysis", "delivery", "top")
BASE = {"aicost.errors", "aicost.clock", "aicost.display", "aicost.redact", "aicost.throttle"}
REGISTRY = {"aicost.sources.source", "aicost.sources.registry", "aicost.sources.catalog"}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor(module: str) -> str:
    if module in BASE:
        return "base"
    parts = module.split(".")
    if module in REGISTRY or module in _PROVIDER_PACKAGES:
        return "registry"
    if len(parts) > 1 and parts[1] in ("config", "ledger", "pricing", "sources", "analysis", "delivery"):
        return parts[1]
    return "top"


# a provider's package: its __init__ is its descriptor (SOURCE = Source(...)), data only
_PROVIDER_PACKAGES = {m for m, p in MODULES.items() if p.name == "__init__.py" and p.parent.parent.name == "sources"
                      and "SOURCE = Source(" in p.read_text(encoding="utf-8")}


def _imports(path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """(aicost modules imported at the top, (line, module) of imports inside a function or class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top, inner = set(), []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                     for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.split(".")[0] == "streamlit":
                inner.append((node.lineno, name))  # never, anywhere in aicost/
            elif name.split(".")[0] == "aicost":
                (top.add(name) if node.col_offset == 0 else inner.append((node.lineno, name)))
    return top, inner


GRAPH = {m: _imports(p) for m, p in MODULES.items()}


def test_imports_are_at_the_top_and_never_streamlit():
    inside = [f"{m}:{line} imports {name}" for m, (_, inner) in GRAPH.items() for line, name in inner]
    assert not inside


def test_every_import_points_down_or_sideways():
    up = [f"{m} ({floor(m)}) -> {d} ({floor(d)})" for m, (deps, _) in GRAPH.items() for d in deps
          if d in MODULES and FLOORS.index(floor(d)) > FLOORS.index(floor(m))]
    assert not up


def test_no_import_circle():
    seen: dict[str, int] = {}
    circles = []

    def visit(module: str, path: list[str]) -> None:
        seen[module] = 1
        for dep in sorted(GRAPH[module][0]):
            if dep not in MODULES or dep == module:
                continue
            if seen.get(dep) == 1:
                circles.append(" -> ".join([*path[path.index(dep):], dep]))
            elif not seen.get(dep):
                visit(dep, [*path, dep])
        seen[module] = 2

    for module in MODULES:
        if not seen.get(module):
            visit(module, [module])
    assert not circles


def test_the_floors_are_checked_on_the_real_layout():
    """The rules above would pass on an empty graph: they see every floor and each provider package."""
    assert {floor(m) for m in MODULES} == set(FLOORS)
    assert {"aicost.sources.openai", "aicost.sources.anthropic", "aicost.sources.github"} <= _PROVIDER_PACKAGES
    assert ("aicost.sources.registry" in GRAPH["aicost.sources.catalog"][0]
            and "aicost.sources.catalog" in GRAPH["aicost.pricing"][0] | GRAPH["aicost.analysis.queries"][0])


def test_every_module_imports_first():
    """Each module imported before any other of aicost (a package's __init__ that imports its own users would
    fail here, as a static graph cannot see)."""
    code = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "aicost" or m.startswith("aicost.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""
    names = [m for m in MODULES if m != "aicost.__main__"]
    out = subprocess.run([sys.executable, "-c", code, *names], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
