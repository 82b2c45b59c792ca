"""The app's one adapter to the model (kneeviz.app.state.squat_view): what the window shows is
what the model computed, frame by frame. No Qt needed."""

from __future__ import annotations

import numpy as np
import pytest

from kneeviz import measure_table
from kneeviz.app.state import squat_view as sv
from kneeviz.mechanics.equilibrium import resting_patella_pose
from kneeviz.scenario import Scenario

SHORT = Scenario(max_flexion_deg=60.0, descent_s=0.6, ascent_s=0.6, frame_rate_hz=5.0)



@pytest.fixture(scope="module")
def solved(anatomy):  # type: ignore[no-untyped-def]
    kin = sv.kinematics(anatomy, SHORT)
    return kin, sv.simulate(anatomy, SHORT, kin)


def test_solved_view_is_the_trajectory(solved) -> None:  # type: ignore[no-untyped-def]
    kin, traj = solved
    view = sv.view_from_trajectory(traj)
    assert view.solved and view.n_frames == traj.n_frames == kin.n_frames
    for key in measure_table.all_keys():
        np.testing.assert_array_equal(view.measures[key], traj.values[key])
    np.testing.assert_array_equal(view.T_world["patella"], traj.T_world_patella)
    np.testing.assert_array_equal(view.T_world["femur"], traj.T_world_femur)
    np.testing.assert_array_equal(view.converged, traj.converged)
    for i in range(view.n_frames):
        poses = view.poses(i)
        np.testing.assert_allclose(poses["patella"], poses["femur"] @ traj.T_femur_patella[i],
                                   atol=1e-9)


def test_kinematics_view_carries_the_patella_with_the_femur(anatomy, solved) -> None:  # type: ignore[no-untyped-def]
    kin, _ = solved
    T_fp = resting_patella_pose(anatomy)
    view = sv.view_from_kinematics(kin, SHORT, T_fp, anatomy)
    assert not view.solved
    np.testing.assert_allclose(view.T_world["patella"], kin.T_world_femur @ T_fp, atol=1e-9)
    np.testing.assert_array_equal(view.measures["knee_flexion_deg"], kin.knee_flexion_deg)
    assert np.all(np.isnan(view.measures["patella_lateral_tilt_deg"]))
    # The resting pose puts the kneecap in front of the groove, not inside the femur.
    ridge = anatomy.patella_landmarks.ridge_line_mm
    ridge_mid = ridge[len(ridge) // 2]
    groove = anatomy.femur_landmarks.groove_line_mm
    p = T_fp[:3, :3] @ ridge_mid + T_fp[:3, 3]
    assert np.min(np.linalg.norm(groove - p, axis=1)) < 5.0


def test_frame_at_time_follows_the_clock(solved) -> None:  # type: ignore[no-untyped-def]
    _, traj = solved
    view = sv.view_from_trajectory(traj)
    assert view.frame_at_time(-1.0) == 0
    assert view.frame_at_time(view.duration_s + 5.0) == view.n_frames - 1
    for i, t in enumerate(view.time_s):
        assert view.frame_at_time(float(t)) == i
        if i + 1 < view.n_frames:
            assert view.frame_at_time(float(0.5 * (t + view.time_s[i + 1]))) == i


def test_partial_results_replace_only_their_frames(anatomy, solved) -> None:  # type: ignore[no-untyped-def]
    kin, traj = solved
    base = sv.view_from_kinematics(kin, SHORT, resting_patella_pose(anatomy), anatomy)
    frames = [0, 2]
    part = sv.view_from_trajectory(sv.simulate(anatomy, SHORT, sv.slice_kinematics(kin, frames)))
    merged = sv.merge_solved(base, part, frames)
    np.testing.assert_array_equal(merged.T_femur_patella[frames], part.T_femur_patella)
    np.testing.assert_array_equal(merged.T_femur_patella[1], base.T_femur_patella[1])
    assert np.isnan(merged.measures["patella_lateral_tilt_deg"][1])
    np.testing.assert_array_equal(merged.measures["patella_lateral_tilt_deg"][frames],
                                  part.measures["patella_lateral_tilt_deg"])
    # Poses streamed from the solver give the same pose measures as the finished trajectory.
    streamed = sv.with_patella_poses(base, anatomy, range(traj.n_frames), traj.T_femur_patella)
    for key in ("patella_lateral_tilt_deg", "patella_lateral_shift_mm", "bisect_offset_pct"):
        np.testing.assert_allclose(streamed.measures[key], traj.values[key], atol=1e-9)
