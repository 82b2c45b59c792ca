"""Files kneeviz ships: the default knee, the icon, the desktop entry.

Why importlib.resources: an installed kneeviz (a wheel from pip/pipx/uv, or the PyInstaller
bundle) carries the default knee inside the package (kneeviz/default_knee, copied there from the
checkout's assets/meshes when the wheel is built), so it must be found from the package, never
from a path relative to a source tree that an installed copy does not have. In a source checkout
with an editable install the package has no copy (the build step has not run): there, and only
there, the checkout's own assets/meshes is the knee (it is what `kneeviz build-default-knee`
writes).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

KNEE_DIR_NAME = "default_knee"
"""The default knee's folder inside the installed package (see pyproject.toml's force-include)."""


def package_dir() -> Path:
    """The kneeviz package's folder (site-packages/kneeviz, src/kneeviz or the bundle's copy)."""
    return Path(str(files("kneeviz").joinpath("__init__.py"))).parent


def package_path(name: str) -> Path:
    """A file or folder shipped in the package, as a filesystem path (joinpath copes with the
    bundle, where the package's data may be a MultiplexedPath)."""
    return Path(str(files("kneeviz").joinpath(name)))


def checkout_knee_dir() -> Path | None:
    """assets/meshes of the source checkout this package runs from (editable install), or None
    when kneeviz is installed (no pyproject.toml two levels above the package)."""
    root = package_dir().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "assets").is_dir():
        return root / "assets" / "meshes"
    return None


def default_knee_dir() -> Path:
    """Folder of the default knee: $KNEEVIZ_ASSETS, else the copy in the installed package, else
    the checkout's assets/meshes (a missing folder is reported by the loader)."""
    env = os.environ.get("KNEEVIZ_ASSETS")
    if env:
        return Path(env)
    packaged = package_path(KNEE_DIR_NAME)
    if (packaged / "landmarks.json").is_file():
        return packaged
    checkout = checkout_knee_dir()
    return checkout if checkout is not None else packaged


def icon_dir() -> Path:
    """The application icon (kneeviz.svg and PNGs rendered from it)."""
    return package_path("icons")
