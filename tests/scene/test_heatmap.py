"""The pressure heat map: it shows the solver's numbers unchanged on a fixed, colour-blind-safe
scale, the toggle works, and the real squat puts the contact where the issue says it should be."""

from __future__ import annotations

import numpy as np
import pytest

from clinical_fixtures import default_anatomy, trajectory
from kneeviz.mechanics.measures import nearest_groove_point
from kneeviz.scene.heatmap import (
    CONTACT_MIN_MPA,
    NO_CONTACT_COLOUR,
    PRESSURE_MAX_MPA,
    SCALAR_BAR_TITLE,
    FemurPainter,
    PressureHeatmap,
    colour_of,
    pressure_centre,
    ramp,
    relative_luminance,
)
from kneeviz.transforms import apply


def _frame_at(traj, flexion_deg: float) -> int:  # type: ignore[no-untyped-def]
    return int(np.argmin(np.abs(traj["knee_flexion_deg"] - flexion_deg)))


def test_ramp_is_monotonic_in_lightness_and_blue_to_yellow() -> None:
    c = ramp(256)
    lum = relative_luminance(c)
    assert np.all(np.diff(lum) > 0), "lightness must rise steadily (readable in greyscale)"
    # Blue at the bottom, yellow at the top: no red-green opposition carries the meaning.
    assert c[0, 2] > c[0, 0] and c[-1, 0] > c[-1, 2] and c[-1, 1] > c[-1, 2]
    assert np.allclose(colour_of(np.array([0.0]))[0], NO_CONTACT_COLOUR)
    assert np.allclose(colour_of(np.array([3 * PRESSURE_MAX_MPA]))[0], c[-1])


def test_heatmap_scalars_equal_the_solvers_pressures() -> None:
    from kneeviz.scene.offscreen import OffscreenRenderer

    anatomy = default_anatomy()
    traj = trajectory("pfp")
    with OffscreenRenderer(anatomy, (320, 240)) as r:
        hm = PressureHeatmap(r.scene)
        for i in (0, _frame_at(traj, 30.0), traj.n_frames - 1):
            hm.set_pressures(traj.patella_pressure_mpa[i], traj.femur_pressure_mpa[i])
            r.render(traj_poses(traj, i), camera="closeup")
            pat = hm.scalars("patella_cartilage")
            fem = hm.scalars("femur_cartilage")
            assert pat is not None and fem is not None
            np.testing.assert_array_equal(pat, traj.patella_pressure_mpa[i])
            np.testing.assert_array_equal(fem, traj.femur_pressure_mpa[i])
            assert pat.max() > CONTACT_MIN_MPA, "the squat must load the patella"
        mapper = r.scene.actors["patella_cartilage"].mapper
        assert mapper.GetScalarVisibility()
        assert SCALAR_BAR_TITLE in r.plotter.scalar_bars
        assert mapper.GetLookupTable().GetRange() == pytest.approx(
            (CONTACT_MIN_MPA, PRESSURE_MAX_MPA))
        hm.set_visible(False)
        assert not mapper.GetScalarVisibility()
        assert SCALAR_BAR_TITLE not in r.plotter.scalar_bars
        hm.set_visible(True)
        assert mapper.GetScalarVisibility()


def test_femur_painter_reproduces_the_solvers_femoral_pressures() -> None:
    """For a squat view that carries only the patellar pressures, the trochlear heat map is
    painted from them; it must give the solver's own femoral pressures."""
    anatomy = default_anatomy()
    traj = trajectory("pfp")
    paint = FemurPainter(anatomy)
    for i in range(traj.n_frames):
        got = paint(traj.T_femur_patella[i], traj.patella_pressure_mpa[i])
        want = traj.femur_pressure_mpa[i]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-4)
        assert got.max() > 0.0


def test_heatmap_colours_reach_the_screen() -> None:
    """A uniform top-of-scale pressure paints the patellar cartilage in the top colour."""
    from kneeviz.scene.offscreen import OffscreenRenderer

    anatomy = default_anatomy()
    traj = trajectory("healthy")
    with OffscreenRenderer(anatomy, (320, 240)) as r:
        for name in ("femur", "femur_cartilage", "tibia", "pelvis"):
            if name in r.scene.actors:
                r.scene.actors[name].visibility = False
        hm = PressureHeatmap(r.scene)
        poses = traj_poses(traj, 0)
        r.scene.set_poses(poses)
        Tp = traj.T_world_patella[0]
        c, x, y = Tp[:3, 3], Tp[:3, 0], Tp[:3, 1]
        r.plotter.camera_position = [tuple(c - 180.0 * x), tuple(c), tuple(y)]  # from behind
        r.plotter.reset_camera_clipping_range()
        before = r.render(poses, camera=None)
        n = anatomy.patella_cartilage.n_vertices
        hm.set_pressures(np.full(n, 2 * PRESSURE_MAX_MPA), None)
        after = r.render(poses, camera=None)
    yellow = (after[..., 0] > 150) & (after[..., 1] > 130) & (after[..., 2] < 110)
    assert yellow.mean() > 0.02, "the heat colours did not reach the rendered image"
    yellow_before = (before[..., 0] > 150) & (before[..., 1] > 130) & (before[..., 2] < 110)
    assert yellow_before.mean() < 0.005


def traj_poses(traj, i: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    return {"femur": traj.T_world_femur[i], "tibia": traj.T_world_tibia[i],
            "patella": traj.T_world_patella[i], "pelvis": traj.T_world_pelvis[i]}


def _ridge_z(anatomy, y_mm: float) -> float:  # type: ignore[no-untyped-def]
    ridge = np.asarray(anatomy.patella_landmarks.ridge_line_mm, dtype=float)
    order = np.argsort(ridge[:, 1])
    return float(np.interp(y_mm, ridge[order, 1], ridge[order, 2]))


def test_pfp_contact_at_30deg_lies_lateral_and_further_lateral_than_healthy() -> None:
    """The physics the heat map shows (real simulate() on the default knee, no shortcuts).

    On the patella, the pressure-weighted centre of the contact lies lateral of the median ridge
    (the lateral facet carries the load), and the lateral facet's share of the load is at least as
    large in the typical-PFP squat (once it carries all of it, where on that facet the centre lies
    depends on the tilt, not on the maltracking). Against the femur, the PFP squat carries the
    contact further lateral of the deepest groove point: the kneecap, and its contact, ride
    outward in the groove.
    """
    anatomy = default_anatomy()
    V = anatomy.patella_cartilage.vertices_mm
    lateral_on_femur = {}
    lateral_of_ridge = {}
    lateral_share = {}
    for preset in ("healthy", "pfp"):
        traj = trajectory(preset)
        i = _frame_at(traj, 30.0)
        assert abs(traj["knee_flexion_deg"][i] - 30.0) < 1.0
        c = pressure_centre(V, traj.patella_pressure_mpa[i])
        assert c is not None
        lateral_of_ridge[preset] = c[2] - _ridge_z(anatomy, c[1])
        assert lateral_of_ridge[preset] > 0.0, f"{preset}: contact centre medial of the ridge"
        assert traj["lateral_force_fraction"][i] > 0.5
        lateral_share[preset] = float(traj["lateral_force_fraction"][i])
        c_femur = apply(traj.T_femur_patella[i], c)
        lateral_on_femur[preset] = c_femur[2] - nearest_groove_point(c_femur, anatomy)[2]
    assert lateral_share["pfp"] >= lateral_share["healthy"] - 0.01, lateral_share
    assert lateral_on_femur["pfp"] > lateral_on_femur["healthy"], lateral_on_femur
