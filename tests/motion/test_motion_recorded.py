"""Reading recorded motions (OpenSim .mot/.sto, CSV) and every bad input a user can give."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from kneeviz.errors import KneevizError
from kneeviz.motion.from_recording import recorded_curves
from kneeviz.motion.recorded import MAX_MOTION_FILE_BYTES, read_recording
from motion_fixtures import JUMP, WALK, mot_text, squat_columns, write_mot


def _needs(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"recorded motions not found at {path.parent}")


def test_reads_the_opencap_jump_as_numpy_does() -> None:
    _needs(JUMP)
    rec = read_recording(JUMP)
    lines = JUMP.read_text().splitlines()
    start = lines.index("endheader") + 1
    labels = lines[start].split("\t")
    table = np.loadtxt(JUMP, skiprows=start + 1)
    assert rec.n_rows == 1419
    np.testing.assert_array_equal(rec.time_s, table[:, 0])
    np.testing.assert_array_equal(rec.angles_deg["knee_angle"],
                                  table[:, labels.index("knee_angle_r")])
    np.testing.assert_array_equal(rec.angles_deg["hip_rotation"],
                                  table[:, labels.index("hip_rotation_r")])
    assert rec.pelvis_ty_m is not None and rec.notes == ()
    left = read_recording(JUMP, "l")
    np.testing.assert_array_equal(left.angles_deg["knee_angle"],
                                  table[:, labels.index("knee_angle_l")])


def test_space_separated_opensim3_header_and_csv_read_the_same(tmp_path: Path) -> None:
    cols = squat_columns(rate_hz=20.0)
    tab = read_recording(write_mot(tmp_path / "a.mot", cols))
    old = write_mot(tmp_path / "b.mot", cols, sep="   ",
                    header="squat\ndatacolumns 10\ndatarows 61\nrange 0 3\ninDegrees=yes\n"
                           "endheader\n")
    spaced = read_recording(old)
    csv = tmp_path / "c.csv"
    csv.write_text(",".join(cols) + "\n" + "\n".join(
        ",".join(f"{cols[k][i]:.8f}" for k in cols) for i in range(len(cols["time"]))) + "\n")
    for other in (spaced, read_recording(csv)):
        np.testing.assert_allclose(other.angles_deg["knee_angle"], tab.angles_deg["knee_angle"])
        np.testing.assert_allclose(other.time_s, tab.time_s)
    rad = write_mot(tmp_path / "r.mot", {k: (np.radians(v) if k not in ("time", "pelvis_ty") else v)
                                        for k, v in cols.items()}, in_degrees="no")
    np.testing.assert_allclose(read_recording(rad).angles_deg["knee_angle"],
                               tab.angles_deg["knee_angle"], atol=1e-5)


def _bad(tmp_path: Path, text: str, suffix: str = ".mot") -> Path:
    p = tmp_path / f"bad{suffix}"
    p.write_text(text, encoding="utf-8")
    return p


def _cols(**change: object) -> dict[str, np.ndarray]:
    cols = squat_columns(rate_hz=20.0)
    for k, v in change.items():
        if v is None:
            del cols[k]
        else:
            cols[k] = np.asarray(v, dtype=float)
    return cols


@pytest.mark.parametrize(
    ("make", "side", "words"),
    [
        (lambda: mot_text(_cols(knee_angle_r=None)), "r", "no knee_angle_r column"),
        (lambda: mot_text(_cols()), "x", "unknown side 'x'"),
        (lambda: mot_text({k: (np.radians(v) if k.endswith("_r") else v)
                           for k, v in _cols().items()}), "r", "these are radians"),
        (lambda: mot_text(_cols(), in_degrees="no"), "r", "these are degrees"),
        (lambda: mot_text(_cols(time=np.r_[np.arange(30) * 0.05, np.arange(31) * 0.05])), "r",
         "time goes back"),
        (lambda: mot_text({k: v[:3] for k, v in _cols().items()}), "r", "only 3 row(s)"),
        (lambda: mot_text(_cols(), header="Coordinates\nversion=1\n"), "r", "no 'endheader'"),
        (lambda: mot_text(_cols()).replace("\t", "\t", 1) + "0.1\t2\n", "r", "has 2 values"),
        (lambda: mot_text(_cols(knee_angle_r=np.r_[np.zeros(20), np.full(10, np.nan),
                                                    np.zeros(31)])), "r",
         "column knee_angle_r has 10 missing value(s)"),
        (lambda: mot_text(_cols()).replace("endheader\ntime", "endheader\ntime").replace(
            "\n0.05000000", "\nabc", 1), "r", "not a number"),
    ],
    ids=["no-knee", "side", "radians-as-degrees", "degrees-as-radians", "time-back", "3-rows",
         "no-endheader", "short-row", "long-gap", "text-value"],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, make, side: str, words: str) -> None:  # type: ignore[no-untyped-def]
    p = _bad(tmp_path, make())
    with pytest.raises(KneevizError) as err:
        read_recording(p, side)
    msg = str(err.value)
    assert words in msg and "\n" not in msg
    if side in ("r", "l"):
        assert str(p) in msg


def test_repeated_rows_dropped_and_short_gaps_filled_with_a_note(tmp_path: Path) -> None:
    cols = _cols()
    knee = cols["knee_angle_r"].copy()
    knee[30:33] = np.nan
    cols["knee_angle_r"] = knee
    text = mot_text(cols)
    lines = text.splitlines()
    row = lines.index(next(ln for ln in lines if ln.startswith("1.00000000")))
    lines.insert(row, lines[row])  # a duplicated sample
    rec = read_recording(_bad(tmp_path, "\n".join(lines) + "\n"))
    assert rec.n_rows == len(cols["time"])
    assert any("repeating the time" in n for n in rec.notes)
    assert any("3 missing value(s)" in n and "interpolated" in n for n in rec.notes)
    expected = squat_columns(rate_hz=20.0)["knee_angle_r"]
    np.testing.assert_allclose(rec.angles_deg["knee_angle"], expected, atol=1.5)


def test_a_huge_file_is_refused_by_its_size_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "huge.mot"
    with p.open("wb") as f:  # sparse: takes no disk space
        f.truncate(2 * 1024**3)
    assert os.path.getsize(p) > MAX_MOTION_FILE_BYTES
    with pytest.raises(KneevizError, match=r"2147 MB, more than the 268 MB"):
        read_recording(p)


def test_jump_flight_frames_are_flagged_and_the_rest_are_not() -> None:
    _needs(JUMP)
    rec = read_recording(JUMP)
    c = recorded_curves(rec, 30.0)
    ty = np.interp(c.time_s, rec.time_s, rec.pelvis_ty_m)
    flagged = np.array([bool(r) for r in c.not_solvable])
    high = ty > 1.25  # the standing pelvis is at 1.06 m: these frames are in the air
    assert high.sum() >= 12
    assert all(c.not_solvable[i].startswith("foot off the ground") for i in np.nonzero(high)[0])
    counter = (c.time_s > 2.35) & (c.time_s < 2.75)  # the countermovement
    landing = (c.time_s > 3.6) & (c.time_s < 4.4)  # landing to 100 deg and standing up
    assert not flagged[counter].any() and not flagged[landing].any()
    assert c.knee_flexion_deg[landing].max() > 95.0


def test_walking_swing_is_off_the_ground_and_stance_is_on_it() -> None:
    _needs(WALK)
    rec = read_recording(WALK)
    c = recorded_curves(rec, 30.0)
    flagged = np.array([bool(r) for r in c.not_solvable])
    swing = c.knee_flexion_deg > 45.0
    stance = c.knee_flexion_deg < 15.0
    assert swing.any() and flagged[swing].all()
    assert not flagged[stance].any()


def test_a_left_leg_reads_as_the_mirrored_right(tmp_path: Path) -> None:
    cols = squat_columns(rate_hz=20.0, hip_rotation_at_depth_deg=10.0)
    u = cols["knee_angle_r"] / cols["knee_angle_r"].max()
    cols["pelvis_list"] = 4.0 * u  # turning and dropping over the planted foot in the squat
    cols["pelvis_rotation"] = 6.0 * u
    left = {(k[:-2] + "_l" if k.endswith("_r") else k): v for k, v in cols.items()}
    left["pelvis_list"] = -cols["pelvis_list"]
    left["pelvis_rotation"] = -cols["pelvis_rotation"]
    r = recorded_curves(read_recording(write_mot(tmp_path / "r.mot", cols)), 20.0)
    ll = recorded_curves(read_recording(write_mot(tmp_path / "l.mot", left), "l"), 20.0)
    np.testing.assert_allclose(ll.femoral_rotation_deg, r.femoral_rotation_deg, atol=1e-9)
    np.testing.assert_allclose(ll.hip_adduction_deg, r.hip_adduction_deg, atol=1e-9)
    deepest = int(np.argmax(cols["knee_angle_r"]))
    # the hip's 10 deg plus the pelvis's 6 deg turn over the foot, less the ~1 deg it had turned
    # by the last standing frame (knee < 15 deg: the foot's reference); adduction likewise
    assert math.isclose(float(r.femoral_rotation_deg[deepest]), 15.0, abs_tol=0.3)
    assert math.isclose(float(r.hip_adduction_deg[deepest]), 4.0 * (1 - 1 / 6), abs_tol=0.3)


def test_a_scenario_file_keeps_the_motion_by_path_and_hash(tmp_path: Path) -> None:
    from kneeviz.motion.from_recording import RecordedScenario, recorded_scenario
    from kneeviz.scenario import Scenario
    from kneeviz.scenario_file import ScenarioFile, load_scenario_file, save_scenario_file

    motion = write_mot(tmp_path / "squat.mot", squat_columns(rate_hz=20.0))
    sc = recorded_scenario(Scenario(body_mass_kg=80.0), str(motion), "r", "single")
    out = save_scenario_file(tmp_path / "s.kneeviz.json", ScenarioFile(scenario=sc))
    back = load_scenario_file(out).scenario
    assert isinstance(back, RecordedScenario)
    assert (back.motion_sha256, back.stance, back.body_mass_kg) == (sc.motion_sha256, "single",
                                                                    80.0)
    motion.write_text(motion.read_text().replace("inDegrees=yes", "inDegrees=yes\n"))
    with pytest.raises(KneevizError, match="motion file .* has changed since the scenario"):
        load_scenario_file(out)
    motion.unlink()
    with pytest.raises(KneevizError, match="motion file .* is missing"):
        load_scenario_file(out)
