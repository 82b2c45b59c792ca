"""The bundled meshes' welded copies in the cache: a warm start reads them instead of importing
trimesh, and gets exactly the mesh the trimesh path makes; a damaged cache file is ignored and
rewritten, never trusted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kneeviz.anatomy import build


@pytest.fixture
def stl() -> Path:
    return build.assets_dir() / "patella.stl"


def test_cached_weld_equals_the_fresh_one(stl: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(tmp_path))
    fresh = build._read_stl(stl)  # welds with trimesh, writes the cache
    (cached_file,) = tmp_path.glob("welded-*.npz")
    again = build._read_stl(stl)  # from the cache
    np.testing.assert_array_equal(fresh.vertices_mm, again.vertices_mm)
    np.testing.assert_array_equal(fresh.faces, again.faces)
    assert fresh.n_vertices < 3 * fresh.n_triangles  # welded: shared vertices, not a triangle soup
    # A damaged cache file: ignored, the mesh welded again and the file rewritten.
    cached_file.write_bytes(b"not an npz")
    third = build._read_stl(stl)
    np.testing.assert_array_equal(fresh.faces, third.faces)
    with np.load(cached_file, allow_pickle=False) as z:
        np.testing.assert_array_equal(z["faces"], fresh.faces)


def test_an_unwritable_cache_still_loads(stl: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(blocker / "cache"))
    mesh = build._read_stl(stl)
    assert mesh.n_triangles > 0
