"""The model layers must run without Qt, VTK or pyvista (docs/architecture.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE_MODULES = [
    "kneeviz",
    "kneeviz.errors",
    "kneeviz.transforms",
    "kneeviz.anatomy",
    "kneeviz.anatomy.mesh",
    "kneeviz.anatomy.knee",
    "kneeviz.motion",
    "kneeviz.mechanics",
]
FORBIDDEN = ("PyQt6", "pyvista", "pyvistaqt", "vtk", "vtkmodules", "qtpy")


def _all_pure_modules() -> list[str]:
    """Every module under the pure packages, found on disk so new modules are covered too."""
    import pkgutil

    import kneeviz

    names = set(PURE_MODULES)
    for info in pkgutil.walk_packages(kneeviz.__path__, "kneeviz."):
        top = info.name.split(".")[1]
        if top in {"anatomy", "motion", "mechanics", "simulation", "transforms", "errors"}:
            names.add(info.name)
    return sorted(names)


@pytest.mark.parametrize("module", _all_pure_modules())
def test_model_layer_imports_no_gui_or_vtk(module: str) -> None:
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"


def test_forbidden_check_can_fail() -> None:
    """The probe itself detects a GUI import (so the test above is not vacuous)."""
    code = "import sys, pyvista\nprint('pyvista' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_no_import_circles_between_files() -> None:
    """No import circles between kneeviz's files: the layers contract (lint-imports) keeps the
    packages one way, this keeps the files inside a package one way too. Imports made only for
    type checking (under TYPE_CHECKING) are not run and are left out. The same check from a shell:
    `python -m pytest tests/test_layers.py -k circles`."""
    grimp = pytest.importorskip("grimp")  # import-linter's own import graph (test extra)
    graph = grimp.build_graph("kneeviz", exclude_type_checking_imports=True)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("kneeviz")}
             for m in graph.modules}
    assert _cycles(edges) == []


def test_the_circle_finder_finds_circles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                group: list[str] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    group.append(w)
                    if w == v:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return sorted(found)
