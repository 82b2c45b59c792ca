"""Shared pytest fixtures (kept tiny and generic)."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def anatomy():  # type: ignore[no-untyped-def]
    """The bundled default knee (skips when its assets are not built); one for the whole run."""
    from clinical_fixtures import default_anatomy

    return default_anatomy()
