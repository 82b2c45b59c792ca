"""simulate() and `kneeviz simulate`: the frame contract of issue 4 and the output files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from kneeviz.cli import main
from kneeviz.measure_table import all_keys
from kneeviz.scenario import Scenario
from kneeviz.simulation import Trajectory, simulate

pytestmark = pytest.mark.usefixtures("shared_grid_cache")


@pytest.fixture(scope="module")
def traj() -> Trajectory:
    from kneeviz.anatomy.build import load_default_anatomy

    return simulate(load_default_anatomy(), Scenario.from_preset("pfp", frame_rate_hz=10.0))


def test_frames_have_exactly_the_issue_keys_first(traj: Trajectory) -> None:
    frames = traj.frames()
    assert len(frames) == traj.n_frames == Scenario.from_preset("pfp", frame_rate_hz=10.0).n_frames
    for f in frames:
        assert list(f)[: len(all_keys())] == list(all_keys())
        assert isinstance(f["iterations"], int) and isinstance(f["converged"], bool)
        assert all(np.isfinite(v) for k, v in f.items() if k != "converged")
    json.dumps(frames)  # plain JSON types


def test_frame_values_follow_the_scenario(traj: Trajectory) -> None:
    kf = traj["knee_flexion_deg"]
    assert kf[0] == 0.0 and kf.max() == pytest.approx(120.0)
    # the femur turns inward by the preset amount from the first frame
    assert traj["hip_driven_rotation_deg"][0] == pytest.approx(8.0)
    bw = 70.0 * 9.81
    assert np.allclose(traj["pfjrf_bw"], traj["pfjrf_n"] / bw)
    # world patella pose = world femur pose x patella-in-femur pose
    assert np.allclose(traj.T_world_patella, traj.T_world_femur @ traj.T_femur_patella)
    # the heat map matches the contact summary: peak pressure is the hottest vertex (or close to
    # it when the hottest contact point lies on a subdivided edge)
    hottest = traj.patella_pressure_mpa.max(axis=1)
    assert np.all(hottest <= traj["peak_pressure_mpa"] + 1e-4)


def test_cli_writes_json_csv_and_npz(tmp_path: Path) -> None:
    common = ["simulate", "--preset", "healthy", "--max-flexion", "40", "--frame-rate", "5"]
    assert main([*common, "--out", str(tmp_path / "r.json")]) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["format"] == "kneeviz-trajectory" and "poses_mm" in data
    assert data["scenario"]["max_flexion_deg"] == 40.0
    assert data["knee"] and data["kneeviz_version"]
    assert list(data["frames"][0]) == ["frame", *all_keys(), "not_solved_reason"]

    assert main([*common, "--body-mass", "90", "--out", str(tmp_path / "r.csv")]) == 0
    with (tmp_path / "r.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(data["frames"])
    heavier = np.array([float(r["quadriceps_force_n"]) for r in rows])
    lighter = np.array([f["quadriceps_force_n"] for f in data["frames"]])
    assert heavier.max() > lighter.max()  # more body weight, more quadriceps force

    assert main([*common, "--out", str(tmp_path / "r.npz")]) == 0
    with np.load(tmp_path / "r.npz", allow_pickle=False) as z:
        assert z["patella_pressure_mpa"].shape[0] == len(data["frames"])
        assert z["T_femur_patella"].shape == (len(data["frames"]), 4, 4)
        assert json.loads(str(z["meta_json"]))["scenario"]["preset"] == "healthy"


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--out", "r.txt"], "data files end in .json, .csv, .npz, .sto, not .txt"),
        (["--femur", "f.stl", "--out", "r.json"], "all three"),
        (["--max-flexion", "300", "--out", "r.json"], "maximum knee flexion"),
        (["--out", "no/such/folder/r.json"], "does not exist"),
    ],
)
def test_cli_user_errors_are_one_line(
    argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kneeviz: error:") and words in err
    assert "Traceback" not in err
