"""A frame that was not solved carries no measures in any output, each with its reason beside it:
empty in CSV, null in JSON, NaN in NPZ and .sto (kneeviz.trajectory_file), a dash in the app's
readouts and the renders' captions.

The OpenCap countermovement jump (../shared/motions, test data only) has a flight (the foot off
the ground) between a countermovement and a landing that are solved: before issue 26 its flight
frames were written with numbers (a tilt of 0.72 deg, a tendon force of 23,480 N) and only a
`converged` column said otherwise.
"""

from __future__ import annotations

import csv
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kneeviz import measure_table
from motion_fixtures import JUMP

WITHHELD = ("patella_lateral_tilt_deg", "patella_lateral_shift_mm", "bisect_offset_pct",
            "patellar_tendon_force_n", "pfjrf_n", "contact_area_mm2", "mpfl_tension_n",
            "quadriceps_force_n")
"""Measures of the kneecap's balance: none may be written for a frame that was not solved."""


@lru_cache(maxsize=1)
def _jump() -> Any:
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.motion.from_recording import recorded_scenario, scenario_kinematics
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    a = load_default_anatomy()
    sc = recorded_scenario(Scenario(frame_rate_hz=20.0), str(JUMP))
    return simulate(a, sc, kinematics=scenario_kinematics(a, sc))


@pytest.fixture(scope="module")
def jump() -> Any:
    if not JUMP.is_file():
        pytest.skip(f"the OpenCap jump is not at {JUMP} (shared test data)")
    traj = _jump()
    off = [int(k) for k, r in traj.meta["not_solved"].items() if r.startswith("foot off")]
    assert len(off) >= 5  # the flight
    # the unsolved frames do hold numbers in the trajectory (the held pose's evaluation)
    assert np.isfinite(np.asarray(traj["patellar_tendon_force_n"])[off]).all()
    return traj


def _flight(traj: Any) -> list[int]:
    return sorted(int(k) for k, r in traj.meta["not_solved"].items()
                  if r.startswith("foot off the ground"))


def _solved(traj: Any) -> list[int]:
    conv = np.asarray(traj.converged, dtype=bool)
    disl = np.asarray(traj["dislocated"]) > 0.5
    return [i for i in range(traj.n_frames) if conv[i] and not disl[i]]


def _write(traj: Any, path: Path) -> Path:
    from kneeviz.trajectory_file import write_trajectory

    return write_trajectory(path, traj)


def test_csv_leaves_them_empty_with_the_reason(jump: Any, tmp_path: Path) -> None:
    rows = list(csv.DictReader(_write(jump, tmp_path / "jump.csv").open()))
    for i in _flight(jump):
        row = rows[i]
        assert row["not_solved_reason"] == "foot off the ground"
        assert all(row[k] == "" for k in WITHHELD), {k: row[k] for k in WITHHELD}
        assert row["knee_flexion_deg"] != "" and row["time_s"] != ""  # the bones' own numbers
        assert row["converged"] == "0"
    for i in _solved(jump):
        assert rows[i]["not_solved_reason"] == ""
        assert all(rows[i][k] != "" for k in WITHHELD)


def test_json_writes_null_with_the_reason(jump: Any, tmp_path: Path) -> None:
    doc = json.loads(_write(jump, tmp_path / "jump.json").read_text())
    for i in _flight(jump):
        frame = doc["frames"][i]
        assert frame["not_solved_reason"] == "foot off the ground"
        assert all(frame[k] is None for k in WITHHELD), {k: frame[k] for k in WITHHELD}
        assert frame["knee_flexion_deg"] is not None
    for i in _solved(jump):
        assert doc["frames"][i]["not_solved_reason"] is None
        assert all(isinstance(doc["frames"][i][k], float) for k in WITHHELD)


def test_npz_writes_nan_with_the_reason(jump: Any, tmp_path: Path) -> None:
    with np.load(_write(jump, tmp_path / "jump.npz"), allow_pickle=False) as z:
        reasons = z["not_solved_reason"]
        flight, solved = _flight(jump), _solved(jump)
        assert all(str(reasons[i]) == "foot off the ground" for i in flight)
        assert all(str(reasons[i]) == "" for i in solved)
        for k in WITHHELD:
            assert np.isnan(z[k][flight]).all(), k
            assert np.isfinite(z[k][solved]).all(), k
        assert np.isfinite(z["knee_flexion_deg"]).all()


def _read_sto(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    lines = path.read_text().splitlines()
    end = lines.index("endheader")
    labels = lines[end + 1].split("\t")
    table = np.array([[float(x) for x in ln.split("\t")] for ln in lines[end + 2:]])
    return labels, table, lines[:end]


def test_sto_writes_nan_with_a_reason_code(jump: Any, tmp_path: Path) -> None:
    labels, table, header = _read_sto(_write(jump, tmp_path / "jump.sto"))
    col = {k: table[:, labels.index(k)] for k in labels}
    flight, solved = _flight(jump), _solved(jump)
    code = measure_table.REASON_CODES.index("foot off the ground")
    assert (col["not_solved_reason_code"][flight] == code).all()
    assert (col["not_solved_reason_code"][solved] == 0).all()
    assert any(f"{code} foot off the ground" in h for h in header)  # the codes are explained
    for k in WITHHELD:
        assert np.isnan(col[k][flight]).all(), k
        assert np.isfinite(col[k][solved]).all(), k


def test_opensim_reads_the_nan_and_the_codes(jump: Any, tmp_path: Path) -> None:
    osim = pytest.importorskip("opensim", reason="the opensim package (test extras) is needed")
    table = osim.TimeSeriesTable(str(_write(jump, tmp_path / "jump.sto")))
    tilt = table.getDependentColumn("patella_lateral_tilt_deg").to_numpy()
    codes = table.getDependentColumn("not_solved_reason_code").to_numpy()
    assert np.isnan(tilt[_flight(jump)]).all()
    assert (codes[_flight(jump)] == 3).all() and (codes[_solved(jump)] == 0).all()


def test_every_reason_the_recording_gives_has_a_code(jump: Any) -> None:
    for r in jump.meta["not_solved"].values():
        assert measure_table.reason_code(r) != measure_table.OTHER_REASON_CODE, r


def test_a_frame_that_did_not_converge_or_came_off_its_groove_is_withheld_too() -> None:
    """The rule on a solved squat's flags: an unconverged frame keeps only its residual (how far
    from balance it stopped), a dislocated one nothing of the kneecap's."""
    reasons = measure_table.no_result_reasons(
        4, converged=[True, False, True, True], dislocated=[0.0, 0.0, 1.0, 0.0],
        not_solved={3: "knee beyond range: flexion 150 deg, the model answers -5..140"})
    assert reasons == ["", "did not converge", "dislocated", "knee beyond range"]
    for key in WITHHELD:
        m = measure_table.by_key()[key]
        assert measure_table.shown(m, "") and not any(measure_table.shown(m, r)
                                                      for r in reasons[1:])
    for key in measure_table.kinematic_keys():
        assert all(measure_table.shown(measure_table.by_key()[key], r) for r in reasons)
    residual = measure_table.by_key()["residual_n"]
    assert measure_table.shown(residual, "did not converge")
    assert not measure_table.shown(residual, "foot off the ground")
    values = measure_table.withheld({"patella_lateral_tilt_deg": [1.0, 2.0, 3.0, 4.0]}, reasons)
    assert values["patella_lateral_tilt_deg"][0] == 1.0
    assert all(math.isnan(v) for v in values["patella_lateral_tilt_deg"][1:])


def test_readouts_and_captions_show_a_dash(jump: Any) -> None:
    from kneeviz.app.panels.readouts import readout_text
    from kneeviz.app.state.squat_view import view_from_trajectory
    from kneeviz.scene.render import TrajectoryFrames, caption_lines

    view = view_from_trajectory(jump)
    source = TrajectoryFrames(jump)
    i = _flight(jump)[len(_flight(jump)) // 2]
    j = _solved(jump)[0]
    for m in measure_table.readouts():
        if m.key not in measure_table.kinematic_keys():
            assert readout_text(view, m.key, i) == "-", m.key
            assert readout_text(view, m.key, j) != "-", m.key
    line = "".join(text for text, _c in caption_lines(source, i, "jump")[1])
    assert "kneecap tilt -" in line and "kneecap shift -" in line, line
    assert "not solved: foot off the ground" in line
    solved = "".join(text for text, _c in caption_lines(source, j, "jump")[1])
    assert "kneecap tilt -" not in solved and "deg" in solved


def test_frames_past_a_dislocation_are_written_without_the_kneecap(tmp_path: Path) -> None:
    """Far beyond the severe preset the kneecap comes off its groove: from that frame on no
    file carries its numbers, each frame says "dislocated"."""
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    traj = simulate(load_default_anatomy(), Scenario(
        femoral_internal_rotation_deg=25.0, hip_adduction_deg=4.0, max_flexion_deg=90.0,
        frame_rate_hz=10.0, preset="custom"))
    flags = np.asarray(traj["dislocated"]) > 0.5
    assert flags.any() and not flags.all()
    doc = json.loads(_write(traj, tmp_path / "off.json").read_text())
    for i, frame in enumerate(doc["frames"]):
        if flags[i]:
            assert frame["not_solved_reason"] == "dislocated"
            assert frame["dislocated"] is True
            assert all(frame[k] is None for k in WITHHELD)
        elif traj.converged[i]:
            assert frame["not_solved_reason"] is None
            assert all(frame[k] is not None for k in WITHHELD)
