"""The bundled default knee: anatomical, sculpted to a healthy groove, and reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from kneeviz.anatomy.build import assets_dir, load_anatomy_folder, load_default_anatomy
from kneeviz.anatomy.default_knee import DefaultKneeOptions, build_default_knee, save_built_knee
from kneeviz.anatomy.trochlea import measure_trochlea
from kneeviz.transforms import apply


@pytest.fixture(scope="module")
def knee():  # type: ignore[no-untyped-def]
    return load_default_anatomy()


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("rebuilt")
    save_built_knee(build_default_knee(), folder)
    return folder


def test_assets_equal_a_fresh_build_from_the_atlas_package(rebuilt: Path) -> None:
    shipped = load_anatomy_folder(assets_dir())
    fresh = load_anatomy_folder(rebuilt)
    for name in ("femur", "patella", "tibia", "pelvis", "femur_cartilage", "patella_cartilage"):
        a, b = getattr(shipped, name), getattr(fresh, name)
        assert a.faces.shape == b.faces.shape, name
        assert np.abs(a.vertices_mm - b.vertices_mm).max() < 1e-3, name
    assert np.allclose(shipped.T_femur_tibia_ref, fresh.T_femur_tibia_ref, atol=1e-4)
    assert np.allclose(shipped.femur_landmarks.hip_centre_mm, fresh.femur_landmarks.hip_centre_mm)


def test_meshes_are_watertight_and_outward(knee) -> None:  # type: ignore[no-untyped-def]
    for name in ("femur", "patella", "femur_cartilage", "patella_cartilage", "pelvis"):
        m = getattr(knee, name)
        tm = trimesh.Trimesh(m.vertices_mm, m.faces, process=False)
        tm.merge_vertices()
        assert tm.is_watertight, name
        assert tm.volume > 0, name


def test_healthy_trochlea_in_published_range(knee) -> None:  # type: ignore[no-untyped-def]
    m = measure_trochlea(knee.femur, knee.femur_landmarks.posterior_condylar_axis)
    assert 130.0 <= m.sulcus_angle_deg <= 145.0  # Merchant 1974: 138 +/- 6
    assert 4.0 <= m.groove_depth_mm <= 7.0
    # the lateral facet stands higher than the medial one at the mid trochlea
    mid = int(np.argmin(np.abs(m.heights_mm - m.mid_height_mm)))
    assert m.lateral_peaks_mm[mid, 0] > m.medial_peaks_mm[mid, 0]


def test_dysplastic_option_flattens_the_groove() -> None:
    knee = build_default_knee(DefaultKneeOptions(sulcus_angle_deg=158.0))
    m = measure_trochlea(knee.meshes["femur"])
    assert m.sulcus_angle_deg > 150.0
    assert m.groove_depth_mm < 4.0


def test_cartilage_resolution_and_placement(knee) -> None:  # type: ignore[no-untyped-def]
    fc, pc = knee.femur_cartilage, knee.patella_cartilage
    v = fc.vertices_mm
    theta = np.degrees(np.arctan2(-v[:, 1], v[:, 0]))
    trochlear = theta[fc.faces].mean(axis=1) < 60.0
    assert trochlear.sum() // 2 >= 10_000  # outer + inner surfaces: count one
    assert pc.n_triangles // 2 >= 3_000
    # femoral cartilage lies on the anterior/distal femur, patellar on the posterior patella
    assert np.median(fc.vertices_mm[:, 1]) < 30.0
    assert np.median(pc.vertices_mm[:, 0]) < 0.0


def test_patella_has_a_larger_lateral_facet(knee) -> None:  # type: ignore[no-untyped-def]
    lm = knee.patella_landmarks
    ridge_z = float(np.median(lm.ridge_line_mm[:, 2]))
    lateral = lm.lateral_border_mm[2] - ridge_z
    medial = ridge_z - lm.medial_border_mm[2]
    assert lateral > 1.1 * medial
    assert 28.0 < lm.height_mm < 48.0 and 32.0 < lm.width_mm < 58.0


def test_tibiofemoral_joint_is_open_not_overlapping(knee) -> None:  # type: ignore[no-untyped-def]
    tib = apply(knee.T_femur_tibia_ref, knee.tibia.vertices_mm)
    tm = trimesh.Trimesh(knee.femur.vertices_mm, knee.femur.faces, process=False)
    proximal = tib[tib[:, 1] > -60.0]
    assert tm.contains(proximal).sum() == 0
    # and the tibia sits under the femur, not beside it
    origin = knee.T_femur_tibia_ref[:3, 3]
    assert -45.0 < origin[1] < -15.0 and abs(origin[2]) < 12.0


def test_check_mesh_prints_the_default_femurs_healthy_groove() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "kneeviz", "check-mesh", str(assets_dir() / "femur.stl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    facts = dict(
        line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line
    )
    assert facts["bone"] == "femur" and facts["side"] == "right" and facts["units"] == "mm"
    assert 130.0 <= float(facts["sulcus angle"].split()[0]) <= 145.0
    assert 4.0 <= float(facts["groove depth"].split()[0]) <= 7.0
