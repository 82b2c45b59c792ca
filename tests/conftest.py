"""Shared pytest fixtures (kept tiny and generic)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SHARED_MESHES = Path(__file__).resolve().parents[2] / "shared" / "meshes"


@pytest.fixture
def shared_meshes_dir() -> Path:
    """../shared/meshes beside the repository (real test meshes); skips when it is absent."""
    if not SHARED_MESHES.is_dir():
        pytest.skip(
            f"real test meshes not found at {SHARED_MESHES} (shared/ is not beside the repo)"
        )
    return SHARED_MESHES


_SESSION_CACHE: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Every test run starts with an empty kneeviz cache of its own (KNEEVIZ_CACHE_DIR, numba's
    compiled kernel inside it), removed at the end; the commands and apps the tests start
    inherit it. Why: the user's cache (~/.cache/kneeviz) is shared with other checkouts and
    other developers, and tests passed or failed by what earlier runs had left there (the window
    took 15 s to close on an empty cache; a warm one hid it). Set before collection, so modules
    that keep a cache path of their own at import (lenhart_fixture.TEST_CACHE) see it."""
    if "KNEEVIZ_CACHE_DIR" in _SESSION_CACHE:
        return
    _SESSION_CACHE["KNEEVIZ_CACHE_DIR"] = os.environ.get("KNEEVIZ_CACHE_DIR")
    _SESSION_CACHE["folder"] = tempfile.mkdtemp(prefix="kneeviz-test-cache-")
    os.environ["KNEEVIZ_CACHE_DIR"] = _SESSION_CACHE["folder"]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = _SESSION_CACHE.pop("folder", None)
    if folder is None:
        return
    before = _SESSION_CACHE.pop("KNEEVIZ_CACHE_DIR")
    if before is None:
        os.environ.pop("KNEEVIZ_CACHE_DIR", None)
    else:
        os.environ["KNEEVIZ_CACHE_DIR"] = before
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def private_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The app's saved settings (app/window/settings.py) go to a temporary folder, never the
    user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KNEEVIZ_CONFIG_DIR", str(tmp_path_factory.mktemp("kneeviz-config")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def anatomy():  # type: ignore[no-untyped-def]
    """The bundled default knee (skips when its assets are not built); one for the whole run."""
    from clinical_fixtures import default_anatomy

    return default_anatomy()


@pytest.fixture(scope="module")
def shared_grid_cache():  # type: ignore[no-untyped-def]
    """Distance grids go to one cache shared by the mechanics test modules (entries are keyed by
    mesh content, so sharing is safe): built once per run, reused by later modules.
    Use with `pytestmark = pytest.mark.usefixtures("shared_grid_cache")`."""
    from lenhart_fixture import TEST_CACHE

    mp = pytest.MonkeyPatch()
    mp.setenv("KNEEVIZ_CACHE_DIR", str(TEST_CACHE))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def widgets_live_until_closed(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Widgets given to qtbot.addWidget stay referenced until pytest-qt has closed and deleted
    them. pytest-qt holds them only weakly: once a test returns, a window referenced by nothing
    but its own reference cycles was deleted by a garbage collection that happened to run inside
    one of its paint events (pytest-qt processes the pending events after every test), and Qt
    crashed painting with the deleted window's paint engine (a segmentation fault in CI)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    qtbot = request.getfixturevalue("qtbot")
    kept: list[object] = []
    add = qtbot.addWidget

    def add_and_keep(widget, *args, **kwargs):  # type: ignore[no-untyped-def]
        kept.append(widget)
        return add(widget, *args, **kwargs)

    qtbot.addWidget = add_and_keep
    qtbot.add_widget = add_and_keep
    yield
    kept.clear()  # after pytest-qt's own teardown has closed and deleted them
