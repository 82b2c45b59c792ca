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
