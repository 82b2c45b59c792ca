"""Data export: CSV and JSON files parse back to exactly the Trajectory's numbers."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from export_fixtures import short_trajectory
from kneeviz.errors import KneevizError
from kneeviz.measure_table import all_keys
from kneeviz.scenario import Scenario
from kneeviz.trajectory_file import POSE_KEYS, columns, write_trajectory


def test_csv_matches_the_trajectory(tmp_path: Path) -> None:
    traj = short_trajectory("pfp")
    path = write_trajectory(tmp_path / "squat.csv", traj)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == columns()
    assert len(rows) == traj.n_frames
    assert [int(r["frame"]) for r in rows] == list(range(traj.n_frames))
    for key in all_keys():
        parsed = np.array([float(r[key]) if r[key] != "" else np.nan for r in rows])
        np.testing.assert_array_equal(parsed, traj.values[key].astype(float), err_msg=key)
    # the numbers move over the squat (a constant column would hide a wrong index)
    assert len({r["knee_flexion_deg"] for r in rows}) > 2


def test_json_matches_the_trajectory(tmp_path: Path) -> None:
    traj = short_trajectory("pfp")
    path = write_trajectory(tmp_path / "squat.json", traj)
    data = json.loads(path.read_text())
    assert data["format"] == "kneeviz-trajectory" and data["version"] == 3
    assert Scenario.from_dict(data["scenario"]) == traj.scenario
    assert len(data["frames"]) == traj.n_frames == data["n_frames"]
    for key in all_keys():
        got = np.array([f[key] for f in data["frames"]], dtype=float)
        np.testing.assert_array_equal(got, traj.values[key].astype(float), err_msg=key)
    for key in POSE_KEYS:
        np.testing.assert_array_equal(np.array(data["poses_mm"][key]), getattr(traj, key),
                                      err_msg=key)


def test_unknown_values_are_empty_not_nan(tmp_path: Path) -> None:
    traj = short_trajectory("pfp")
    values = dict(traj.values)
    values["bisect_offset_pct"] = values["bisect_offset_pct"].copy()
    values["bisect_offset_pct"][1] = np.nan
    broken = replace(traj, values=values)
    data = json.loads(write_trajectory(tmp_path / "n.json", broken).read_text())
    assert data["frames"][1]["bisect_offset_pct"] is None
    with open(write_trajectory(tmp_path / "n.csv", broken), newline="") as f:
        assert list(csv.DictReader(f))[1]["bisect_offset_pct"] == ""


def test_a_failed_export_keeps_the_old_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "squat.csv"
    path.write_text("old,data\n")

    def crash(*_a: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KneevizError, match="could not save"):
        write_trajectory(path, short_trajectory("pfp"))
    assert path.read_text() == "old,data\n"
    assert [p.name for p in tmp_path.iterdir()] == ["squat.csv"]


def test_wrong_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KneevizError, match=r"\.json, \.csv, \.npz"):
        write_trajectory(tmp_path / "squat.xlsx", short_trajectory("pfp"))


@pytest.mark.parametrize("module", ["kneeviz.scenario_file", "kneeviz.trajectory_file"])
def test_headless_modules_import_no_gui(module: str) -> None:
    """Scenario files and data export are model-layer code: usable with no Qt, VTK or pyvista."""
    import subprocess
    import sys

    code = (f"import sys, importlib\nimportlib.import_module({module!r})\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PyQt6', 'pyvista', 'pyvistaqt', 'vtk', 'vtkmodules'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"
