"""The default knee's distance grid is shipped beside its meshes (kneeviz.cache's shipped
entries): a new user's first start reads it instead of building it (10-25 s), and it is verified
exactly as a cache entry is, so a damaged or stale shipped grid is rebuilt, never trusted."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from clinical_fixtures import default_anatomy
from kneeviz import cache
from kneeviz.anatomy.build import load_anatomy_folder
from kneeviz.mechanics import contact


def _shipped(folder: Path) -> Path:
    grids = list(folder.glob("femoral-sdf-*.npz"))
    assert len(grids) == 1, f"one shipped grid expected in {folder}: {grids}"
    return grids[0]


def test_an_empty_cache_reads_the_shipped_grid_and_builds_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails when the default knee's meshes or the grid's version changed without
    `kneeviz build-default-knee --grid-only` (the shipped grid no longer verifies)."""
    a = default_anatomy()
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(tmp_path))

    def no_build(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the grid was built: the shipped one did not verify")

    monkeypatch.setattr(contact, "build_distance_grid", no_build)
    grid = contact.load_or_build_grid(a.femur_cartilage, a.femur)
    assert grid.values.shape[-1] == 5
    assert not list(tmp_path.glob("femoral-sdf-*")), "a shipped grid is read in place"
    assert _shipped(cache.shipped_dir()).stat().st_size < 5e6  # compressed: 22 MB -> ~3 MB


def test_a_damaged_shipped_grid_is_rebuilt_and_the_rebuilt_grid_is_the_shipped_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    real = cache.shipped_dir()
    shipped = _shipped(real)
    knee = tmp_path / "knee"
    shutil.copytree(real, knee)
    damaged = knee / shipped.name
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the compressed arrays
    damaged.write_bytes(bytes(data))
    monkeypatch.setenv("KNEEVIZ_ASSETS", str(knee))
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(tmp_path / "cache"))
    a = load_anatomy_folder(knee)
    rebuilt = contact.load_or_build_grid(a.femur_cartilage, a.femur)
    assert "shipped with kneeviz" in capsys.readouterr().err  # said once, on stderr
    assert (tmp_path / "cache" / shipped.name).is_file(), "the rebuilt grid is cached"
    # the real shipped grid is exactly what the build gives (as stored: float32)
    monkeypatch.setenv("KNEEVIZ_ASSETS", str(real))
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(tmp_path / "empty"))
    read = contact.load_or_build_grid(a.femur_cartilage, a.femur)
    assert not (tmp_path / "empty").exists()  # read from the shipped file, nothing built
    np.testing.assert_array_equal(read.origin_mm, rebuilt.origin_mm)
    np.testing.assert_array_equal(read.values, rebuilt.values)
