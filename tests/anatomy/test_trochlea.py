"""Trochlear groove measures: exact on synthetic grooves of known shape, sane on a real femur."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.anatomy.trochlea import measure_trochlea

ICL_FEMUR = (Path(__file__).resolve().parents[3] / "shared" / "meshes" / "ICL_MRI"
             / "ICL_MRI_femur_r.stl")


def prism(profile_zx: list[tuple[float, float]], y0: float = -30.0, y1: float = 60.0,
          inside: tuple[float, float] = (0.0, -20.0)) -> SurfaceMesh:
    """A closed prism: a (z, x) cross-section (counter-clockwise, star-shaped about `inside`)
    extruded along Y. Femur-frame axes: X anterior, Y proximal, Z lateral."""
    n = len(profile_zx)
    ring = np.array([[x, 0.0, z] for z, x in profile_zx])
    centre = np.array([inside[1], 0.0, inside[0]])
    bottom = ring + [0.0, y0, 0.0]
    top = ring + [0.0, y1, 0.0]
    v = np.vstack([bottom, top, centre + [0.0, y0, 0.0], centre + [0.0, y1, 0.0]])
    cb, ct = 2 * n, 2 * n + 1
    faces = []
    for i in range(n):
        j = (i + 1) % n
        faces += [[i, j, n + j], [i, n + j, n + i], [cb, j, i], [ct, n + i, n + j]]
    return SurfaceMesh(v, np.array(faces))


def v_groove(angle_deg: float, depth_mm: float, lateral_extra_mm: float = 0.0,
             groove_z: float = 0.0) -> SurfaceMesh:
    """A femur-like block whose front has a V groove: peaks `depth_mm` above the groove (the
    lateral one `lateral_extra_mm` higher), the angle between the two facets `angle_deg`."""
    half = np.radians(angle_deg) / 2.0
    w = depth_mm * np.tan(half)
    xg = 20.0
    lat_x = xg + depth_mm + lateral_extra_mm
    lat_w = lat_x - xg  # keep the lateral facet's slope: it reaches further when higher
    lat_z = groove_z + lat_w * np.tan(half)
    med_z = groove_z - w
    W = 45.0
    profile = [(-W, -40.0), (W, -40.0), (W, lat_x - 10.0), (lat_z, lat_x), (groove_z, xg),
               (med_z, xg + depth_mm), (-W, xg + depth_mm - 10.0)]
    return prism(profile)


@pytest.mark.parametrize(("angle", "depth"), [(138.0, 5.5), (120.0, 8.0), (150.0, 3.0)])
def test_symmetric_v_groove_gives_its_angle_and_depth(angle: float, depth: float) -> None:
    m = measure_trochlea(v_groove(angle, depth))
    assert m.sulcus_angle_deg == pytest.approx(angle, abs=2.0)
    assert m.groove_depth_mm == pytest.approx(depth, abs=0.5)
    # every cut of a prism is the same: a straight groove line along Y, proximal to distal
    assert len(m.groove_line_mm) > 20
    assert np.allclose(m.groove_line_mm[:, [0, 2]], [20.0, 0.0], atol=0.3)
    assert np.all(np.diff(m.groove_line_mm[:, 1]) < 0)
    # symmetric facets: lateral facet inclination is half the supplement of the sulcus angle
    assert m.lateral_trochlear_inclination_deg == pytest.approx((180 - angle) / 2, abs=1.0)


def test_higher_lateral_facet_and_off_centre_groove() -> None:
    angle, depth, extra, gz = 140.0, 5.0, 3.0, 4.0
    m = measure_trochlea(v_groove(angle, depth, lateral_extra_mm=extra, groove_z=gz))
    # both facets keep the half-angle slope, so the angle at the groove is unchanged
    assert m.sulcus_angle_deg == pytest.approx(angle, abs=2.0)
    # standard depth: mean facet height above the groove
    assert m.groove_depth_mm == pytest.approx(depth + extra / 2, abs=0.5)
    assert np.allclose(m.groove_line_mm[:, 2], gz, atol=0.3)


def test_flat_front_has_no_groove() -> None:
    m = measure_trochlea(prism([(-45.0, -40.0), (45.0, -40.0), (45.0, 20.0), (-45.0, 20.0)]))
    assert np.isnan(m.sulcus_angle_deg) and len(m.groove_line_mm) == 0


@pytest.mark.skipif(not ICL_FEMUR.is_file(), reason=f"ICL test femur not found at {ICL_FEMUR}")
def test_real_femur_sulcus_angle_and_depth_are_in_the_healthy_range() -> None:
    import trimesh

    from kneeviz.anatomy.landmarks import find_femur
    from kneeviz.transforms import invert

    tm = trimesh.load(ICL_FEMUR, force="mesh")
    mesh = SurfaceMesh(np.asarray(tm.vertices), np.asarray(tm.faces))
    fit = find_femur(mesh)
    m = measure_trochlea(mesh.transformed(invert(fit.T_input_femur)),
                         fit.landmarks.posterior_condylar_axis)
    assert 120.0 < m.sulcus_angle_deg < 160.0
    assert 3.0 < m.groove_depth_mm < 10.0  # above the 3 mm dysplasia threshold
    assert m.lateral_trochlear_inclination_deg > 11.0  # not dysplastic (Carrillon 2000)
    # the groove line is smooth (the raw deepest points jump where the groove bottom is flat)
    gl = m.groove_line_mm
    assert np.abs(np.diff(gl[:, 2])).max() < 1.0
    assert np.abs(gl[:, 2]).max() < 10.0
    assert np.median(np.abs(gl[:, 2] - m.groove_points_raw_mm[:, 2])) < 1.5
    # the groove deepens distally (sharper angle), as in every healthy trochlea
    top, bottom = m.sulcus_angles_deg[:5].mean(), m.sulcus_angles_deg[-5:].mean()
    assert bottom < top
