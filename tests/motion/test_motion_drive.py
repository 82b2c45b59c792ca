"""A recorded motion drives the simulated knee; results go back to OpenSim (.sto)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kneeviz.cli import main
from kneeviz.motion.from_recording import recorded_curves, recorded_kinematics
from kneeviz.motion.recorded import read_recording
from kneeviz.opensim_storage import storage_columns
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate
from kneeviz.trajectory_file import write_trajectory
from motion_fixtures import JUMP, squat_columns, write_mot


@pytest.fixture(scope="module")
def squats(tmp_path_factory, anatomy):  # type: ignore[no-untyped-def]
    """The same recorded squat with the hip turning in 15 deg at depth, and with a steady hip."""
    folder = tmp_path_factory.mktemp("motions")
    path = write_mot(folder / "turning.mot", squat_columns(hip_rotation_at_depth_deg=15.0))
    sc = Scenario(frame_rate_hz=10.0)
    curves = recorded_curves(read_recording(path), sc.frame_rate_hz)
    turning = simulate(anatomy, sc, kinematics=recorded_kinematics(anatomy, curves, sc))
    steady = simulate(anatomy, sc, kinematics=recorded_kinematics(anatomy, curves, sc,
                                                                 steady_hip=True))
    single = simulate(anatomy, sc, kinematics=recorded_kinematics(anatomy, curves, sc,
                                                                 stance="single", steady_hip=True))
    return path, turning, steady, single


def test_a_hip_turning_in_tilts_and_shifts_the_kneecap_more_than_a_steady_hip(squats) -> None:  # type: ignore[no-untyped-def]
    _, turning, steady, _ = squats
    assert turning.converged.all() and steady.converged.all()
    knee = turning["knee_flexion_deg"]
    turned = turning["hip_driven_rotation_deg"] > 2.0
    assert turned.sum() >= 20 and turning["hip_driven_rotation_deg"].max() > 14.0
    assert np.abs(steady["hip_driven_rotation_deg"]).max() == 0.0
    d_tilt = turning["patella_lateral_tilt_deg"] - steady["patella_lateral_tilt_deg"]
    d_shift = turning["patella_lateral_shift_mm"] - steady["patella_lateral_shift_mm"]
    assert (d_shift[turned] > 0.05).all() and d_shift[turned].mean() > 0.4
    assert d_tilt[turned].mean() > 0.3
    # where the trochlea guides the kneecap the tilt grows in every frame; deeper it sits in the
    # notch and the tilt changes by less than 0.2 deg either way
    guided = turned & (knee > 10.0) & (knee < 70.0)
    assert guided.sum() >= 10 and (d_tilt[guided] > 0.1).all()
    assert (d_tilt[turned] > -0.2).all()


def test_one_leg_carries_twice_the_load_of_two(squats) -> None:  # type: ignore[no-untyped-def]
    _, _, steady, single = squats
    deep = steady["knee_flexion_deg"] > 60.0
    ratio = single["quadriceps_force_n"][deep] / steady["quadriceps_force_n"][deep]
    assert np.all((ratio > 1.7) & (ratio < 2.3))
    # the same kinematics: the kneecap's path differs only through the load
    np.testing.assert_allclose(single["knee_flexion_deg"], steady["knee_flexion_deg"])


def test_opensim_reads_the_storage_file_with_the_same_numbers(squats, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    osim = pytest.importorskip("opensim", reason="the opensim package (test extras) is needed")
    _, turning, _, _ = squats
    out = write_trajectory(tmp_path / "turning.sto", turning)
    table = osim.TimeSeriesTable(str(out))
    labels = list(table.getColumnLabels())
    assert labels == storage_columns(turning)
    assert table.getNumRows() == turning.n_frames
    np.testing.assert_allclose(np.asarray(table.getIndependentColumn()), turning["time_s"],
                               rtol=1e-9)
    for key in ("knee_flexion_deg", "patella_lateral_tilt_deg", "patella_lateral_shift_mm",
                "pfjrf_n", "converged"):
        got = table.getDependentColumn(key).to_numpy()
        np.testing.assert_allclose(got, turning[key], rtol=1e-9, atol=1e-12)
    assert table.getTableMetaDataAsString("inDegrees") == "yes"


def test_kneeviz_reads_a_motion_written_by_opensim(tmp_path: Path) -> None:
    osim = pytest.importorskip("opensim", reason="the opensim package (test extras) is needed")
    cols = squat_columns(rate_hz=30.0, hip_rotation_at_depth_deg=8.0)
    names = [k for k in cols if k != "time"]
    table = osim.TimeSeriesTable()
    table.setColumnLabels(names)
    for i, t in enumerate(cols["time"]):
        table.appendRow(float(t), osim.RowVector([float(cols[k][i]) for k in names]))
    table.addTableMetaDataString("inDegrees", "yes")
    path = tmp_path / "from_opensim.mot"
    osim.STOFileAdapter.write(table, str(path))
    rec = read_recording(path)
    np.testing.assert_allclose(rec.time_s, cols["time"], atol=1e-12)
    np.testing.assert_allclose(rec.angles_deg["knee_angle"], cols["knee_angle_r"], atol=1e-9)
    np.testing.assert_allclose(rec.angles_deg["hip_rotation"], cols["hip_rotation_r"], atol=1e-9)
    assert rec.pelvis_ty_m is not None


@pytest.mark.slow
def test_the_jump_is_solved_on_the_ground_and_flagged_in_the_air(anatomy) -> None:  # type: ignore[no-untyped-def]
    if not JUMP.is_file():
        pytest.skip(f"recorded motions not found at {JUMP.parent}")
    rec = read_recording(JUMP)
    sc = Scenario(frame_rate_hz=20.0)
    curves = recorded_curves(rec, sc.frame_rate_hz)
    kin = recorded_kinematics(anatomy, curves, sc)
    traj = simulate(anatomy, sc, kinematics=kin)
    t = traj["time_s"]
    flagged = np.array([bool(r) for r in curves.not_solvable])
    ty = np.interp(t, rec.time_s, rec.pelvis_ty_m)
    assert (flagged[ty > 1.25]).all() and not traj.converged[ty > 1.25].any()
    ground = (((t > 2.35) & (t < 2.75)) | ((t > 3.6) & (t < 4.4)))  # countermovement, landing
    assert traj.converged[ground].mean() >= 0.9
    solved = traj.converged & ~flagged
    # the knee flexion of the output poses (Grood-Suntay) follows the file
    knee_file = np.interp(t, rec.time_s, rec.angles_deg["knee_angle"])
    assert np.abs(kin.gs_flexion_deg[solved] - knee_file[solved]).max() < 0.5
    np.testing.assert_allclose(traj["knee_flexion_deg"][solved], knee_file[solved], atol=1e-9)
    hip_rot = np.interp(t, rec.time_s, rec.angles_deg["hip_rotation"])
    r_in = np.corrcoef(traj["hip_driven_rotation_deg"][solved], hip_rot[solved])[0, 1]
    r_world = np.corrcoef(traj["femur_rotation_world_deg"][solved], hip_rot[solved])[0, 1]
    print(f"jump: {int(solved.sum())} solved of {traj.n_frames}; femoral rotation vs the file's "
          f"hip rotation r = {r_in:.3f} (input), {r_world:.3f} (femur in the world)")
    assert r_in > 0.85 and r_world > 0.75


def test_cli_simulates_a_recording_to_sto_and_refuses_a_bad_one(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    motion = write_mot(tmp_path / "squat.mot", squat_columns(duration_s=2.0, depth_deg=60.0))
    out = tmp_path / "squat.sto"
    assert main(["simulate", "--motion", str(motion), "--frame-rate", "5", "--stance", "single",
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("kneeviz") and "\nendheader\ntime\t" in text
    # a hop at the end: the last frames are in the air, flagged with why, in the JSON header
    cols = squat_columns(duration_s=2.0, depth_deg=60.0)
    cols["pelvis_ty"] = cols["pelvis_ty"] + np.where(cols["time"] > 1.6, 0.3, 0.0)
    hop = write_mot(tmp_path / "hop.mot", cols)
    js = tmp_path / "hop.json"
    assert main(["simulate", "--motion", str(hop), "--frame-rate", "5", "--out", str(js)]) == 0
    import json

    data = json.loads(js.read_text())
    assert data["motion"]["path"] == str(hop) and data["motion"]["stance"] == "both"
    air = [i for i, f in enumerate(data["frames"]) if f["time_s"] > 1.65]
    assert sorted(int(k) for k in data["not_solved"]) == air
    assert all(data["not_solved"][str(i)].startswith("foot off the ground") for i in air)
    assert not any(data["frames"][i]["converged"] for i in air)
    bad = tmp_path / "bad.mot"
    bad.write_text("Coordinates\ninDegrees=yes\nendheader\ntime\thip_flexion_r\n" +
                   "".join(f"{i / 10}\t{i}\n" for i in range(20)))
    capsys.readouterr()
    assert main(["simulate", "--motion", str(bad), "--out", str(tmp_path / "x.sto")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no knee_angle_r column" in err[0] and str(bad) in err[0]
    assert not (tmp_path / "x.sto").exists()
