"""A measure is one row and its computation: a row added here (with its function) appears in the
solved trajectory, the bones-only preview, the early kneecap-pose measures and every data file,
with nothing else touched. If any of them kept a hand-written list of measures, the new row would
be missing there and these tests would fail."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from export_fixtures import default_knee, short_scenario
from kneeviz import measure_table
from kneeviz.app.state import squat_view as sv
from kneeviz.mechanics import frame_measures
from kneeviz.mechanics.equilibrium import resting_patella_pose
from kneeviz.simulation import simulate
from kneeviz.trajectory_file import write_trajectory

POSE_ROW = measure_table.Measure(
    "test_kneecap_height_mm", "Kneecap height above the femur origin (test)",
    "test kneecap height", "mm", ".1f", measure_table.POSE, readout=20)
BONES_ROW = measure_table.Measure(
    "test_knee_flexion_rad", "Knee flexion in radians (test)", "test flexion", "rad", ".3f",
    measure_table.KINEMATICS)


def _height(f: frame_measures.SquatFacts) -> np.ndarray:
    return f.per_pose(lambda T: float(T[1, 3]))


def _flexion_rad(f: frame_measures.SquatFacts) -> np.ndarray:
    return np.deg2rad(f.kinematic("knee_flexion_deg"))


def test_every_row_has_one_computation() -> None:
    assert set(measure_table.all_keys()) == set(frame_measures._COMPUTE)
    with measure_table.added(POSE_ROW), pytest.raises(RuntimeError, match="disagree"):
        frame_measures.values(frame_measures.SquatFacts(default_knee()))


def test_a_new_measure_reaches_the_trajectory_and_every_file(tmp_path: Path) -> None:
    knee = default_knee()
    with frame_measures.added(POSE_ROW, _height), frame_measures.added(BONES_ROW, _flexion_rad):
        traj = simulate(knee, short_scenario("pfp"))
        expected = traj.T_femur_patella[:, 1, 3]
        np.testing.assert_allclose(traj.values[POSE_ROW.key], expected)
        np.testing.assert_allclose(traj.values[BONES_ROW.key],
                                   np.deg2rad(traj.values["knee_flexion_deg"]))
        assert traj.frame(0)[POSE_ROW.key] == pytest.approx(expected[0])

        rows = list(csv.DictReader(io.StringIO(
            write_trajectory(tmp_path / "t.csv", traj).read_text())))
        assert float(rows[2][POSE_ROW.key]) == pytest.approx(expected[2], abs=1e-6)
        frames = json.loads(write_trajectory(tmp_path / "t.json", traj).read_text())["frames"]
        assert frames[3][POSE_ROW.key] == pytest.approx(expected[3])
        with np.load(write_trajectory(tmp_path / "t.npz", traj)) as z:
            np.testing.assert_allclose(z[POSE_ROW.key], expected)
        sto = write_trajectory(tmp_path / "t.sto", traj).read_text()
        assert POSE_ROW.key in sto.split("endheader", 1)[1].splitlines()[1].split("\t")


def test_a_new_measure_reaches_the_preview_and_the_early_measures() -> None:
    knee = default_knee()
    scenario = short_scenario("pfp")
    with frame_measures.added(POSE_ROW, _height), frame_measures.added(BONES_ROW, _flexion_rad):
        kin = sv.kinematics(knee, scenario)
        bones = sv.view_from_kinematics(kin, scenario, resting_patella_pose(knee), knee)
        # the bones' own rows are known at once; the kneecap's wait for its pose
        np.testing.assert_allclose(bones.measures[BONES_ROW.key],
                                   np.deg2rad(kin.knee_flexion_deg))
        assert np.all(np.isnan(bones.measures[POSE_ROW.key]))
        T = np.array(resting_patella_pose(knee), dtype=float)
        T[1, 3] += 7.0
        early = sv.with_patella_poses(bones, knee, [1, 3], np.stack([T, T]))
        assert early.measures[POSE_ROW.key][1] == pytest.approx(T[1, 3])
        assert early.measures[POSE_ROW.key][3] == pytest.approx(T[1, 3])
        assert np.isnan(early.measures[POSE_ROW.key][0])
