"""The axial slice (kneeviz.mechanics.axial) and its view: the geometry is a true plane section,
and the tilt and bisect offset read off the drawing equal the Trajectory's at every frame."""

from __future__ import annotations

import os

import numpy as np
import pytest
import trimesh

from clinical_fixtures import default_anatomy, trajectory
from kneeviz.mechanics.axial import axial_slice, plane_section


def _inside(poly: np.ndarray, pt: np.ndarray) -> bool:
    """Even-odd point-in-polygon test."""
    x, y = pt
    inside = False
    for (x0, y0), (x1, y1) in zip(poly[:-1], poly[1:], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def test_plane_section_of_a_sphere_is_a_closed_circle() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=20.0)
    origin = np.array([0.0, 0.0, 7.0])
    lines = plane_section(sphere.vertices, sphere.faces, origin, np.array([0.0, 0.0, 1.0]))
    assert len(lines) == 1
    loop = lines[0]
    assert np.allclose(loop[0], loop[-1]), "a closed section must close"
    assert np.allclose(loop[:, 2], 7.0)
    r = np.linalg.norm(loop[:, :2], axis=1)
    want = np.sqrt(20.0**2 - 7.0**2)
    assert np.all(np.abs(r - want) < 0.3), (r.min(), r.max(), want)
    # A plane that misses the mesh cuts nothing.
    assert plane_section(sphere.vertices, sphere.faces, np.array([0, 0, 30.0]),
                         np.array([0, 0, 1.0])) == []
    steps = np.linalg.norm(np.diff(loop, axis=0), axis=1)
    assert steps.max() < 3.0, "consecutive points must be neighbours on the circle"


def test_plane_section_of_an_open_mesh_is_one_ordered_open_line() -> None:
    """A cap cut across: one polyline from rim to rim, walked both ways from its first segment,
    every step a neighbour (a chain joined out of order would jump across the cap)."""
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=20.0)
    keep = np.all(sphere.vertices[sphere.faces][:, :, 2] > 5.0, axis=1)  # the cap above z = 5
    faces = sphere.faces[keep]
    lines = plane_section(sphere.vertices, faces, np.zeros(3), np.array([1.0, 0.0, 0.0]))
    assert len(lines) == 1
    line = lines[0]
    assert not np.allclose(line[0], line[-1]), "an open cut must not close"
    assert np.allclose(line[:, 0], 0.0, atol=1e-6)  # vertices on the plane are nudged 1e-9
    assert np.linalg.norm(np.diff(line, axis=0), axis=1).max() < 3.0
    ends_z = sorted([line[0, 2], line[-1, 2]])
    assert ends_z[0] > 5.0 and ends_z[1] < 8.0, ends_z  # both ends on the (jagged) rim
    assert line[:, 2].max() > 19.0  # over the top


@pytest.mark.parametrize("preset", ["healthy", "pfp"])
def test_slice_measures_equal_the_trajectory(preset: str) -> None:
    anatomy = default_anatomy()
    traj = trajectory(preset)
    for i in range(traj.n_frames):
        sl = axial_slice(anatomy, traj.T_femur_patella[i])
        # One closed outline each for the femur and the patella near the joint.
        assert len(sl.femur) >= 1 and len(sl.patella) >= 1
        assert any(_inside(loop, np.zeros(2)) for loop in sl.patella), \
            "the slice's origin (the patella's centre) must lie inside the patella's outline"
        assert sl.tilt_deg == pytest.approx(traj["patella_lateral_tilt_deg"][i], abs=1e-6)
        # The borders and the groove point are brought onto the plane keeping their femur Z, so
        # the offset and the shift read off the drawing are the Trajectory's.
        assert sl.bisect_offset_pct == pytest.approx(traj["bisect_offset_pct"][i], abs=1e-6)
        assert sl.lateral_shift_mm == pytest.approx(traj["patella_lateral_shift_mm"][i],
                                                    abs=1e-6)


def test_slice_lateral_axis_points_lateral_and_anterior_up() -> None:
    anatomy = default_anatomy()
    traj = trajectory("healthy")
    sl = axial_slice(anatomy, traj.T_femur_patella[0])
    # The lateral posterior condyle is lateral (+u) of the medial one; both lie posterior (-v) of
    # the patella, and the patella's lateral border lies on the lateral side.
    assert sl.condylar_lateral[0] > sl.condylar_medial[0]
    assert sl.condylar_lateral[1] < -30.0 and sl.condylar_medial[1] < -30.0
    assert sl.patella_lateral_border[0] > sl.patella_medial_border[0]


@pytest.mark.gui
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="Qt widgets need an X server: xvfb-run")
def test_axial_view_shows_the_trajectorys_numbers(qtbot) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.app.panels.axial_view import AxialView

    anatomy = default_anatomy()
    traj, healthy = trajectory("pfp"), trajectory("healthy")
    view = AxialView(anatomy)
    qtbot.addWidget(view)
    view.resize(500, 480)
    view.show()
    qtbot.waitExposed(view)
    i = int(np.argmax(traj["knee_flexion_deg"]))
    view.set_pose(traj.T_femur_patella[i], healthy.T_femur_patella[i])
    assert view.tilt_deg == pytest.approx(traj["patella_lateral_tilt_deg"][i], abs=1e-6)
    assert view.bisect_offset_pct == pytest.approx(traj["bisect_offset_pct"][i], abs=1e-6)
    tilt_text, bisect_text = view.measurement_lines()
    assert f"{abs(traj['patella_lateral_tilt_deg'][i]):.1f}" in tilt_text
    assert f"{view.bisect_offset_pct:.0f}%" in bisect_text
    assert view.ghost is not None and len(view.ghost.patella) >= 1
    img = view.grab().toImage()
    assert not img.isNull() and img.width() == 500
    # a kneecap off its groove: no measurement drawn, a caption says why
    view.set_pose(traj.T_femur_patella[i], healthy.T_femur_patella[i], measurable=False)
    off_text, why = view.measurement_lines()
    assert "off its groove" in off_text and "not a result" in why
    assert f"{view.bisect_offset_pct:.0f}%" not in off_text + why
    view.set_pose(traj.T_femur_patella[i], healthy.T_femur_patella[i])
    assert f"{view.bisect_offset_pct:.0f}%" in view.measurement_lines()[1]
    view.set_show_numbers(False)
    assert view.show_numbers is False


@pytest.mark.gui
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="Qt widgets need an X server: xvfb-run")
def test_axial_view_paints_safely_with_bad_points_or_a_failing_draw(qtbot) -> None:  # type: ignore[no-untyped-def]
    """An outline with a point that is not finite (or absurdly far) is left out, the others are
    drawn; a paint that fails part way still ends its painter (Qt can crash on a painter left
    open past its paint event)."""
    from dataclasses import replace

    from kneeviz.app.panels.axial_view import AxialView

    anatomy = default_anatomy()
    traj = trajectory("pfp")
    view = AxialView(anatomy)
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_pose(traj.T_femur_patella[3])
    good = view.grab().toImage()
    sl = view.slice
    bad = np.array([[0.0, 0.0], [np.nan, 1.0], [1.0, 1.0]])
    far = np.array([[0.0, 0.0], [1e300, 1e300], [1.0, 1.0]])
    view.slice = replace(sl, patella=[*sl.patella, bad], femur=[*sl.femur, bad])
    img = view.grab().toImage()
    assert img.size() == good.size() and img == good  # the bad outlines left out, nothing else
    view.slice = replace(sl, patella=[*sl.patella, far])
    assert not view.grab().toImage().isNull()  # drawn, clipped to a range Qt handles
    assert not view.paintingActive()

    def fail(*_args: object) -> None:
        raise RuntimeError("a drawing step failed")

    view._draw_side_labels = fail  # type: ignore[method-assign]
    with qtbot.capture_exceptions() as raised:
        view.grab()
        del view._draw_side_labels  # the class's own again, before the window repaints
    assert raised and "a drawing step failed" in str(raised[0][1])
    assert not view.paintingActive()
