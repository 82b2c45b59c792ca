"""A simulated squat as data a student can open in a spreadsheet (CSV) or a program (JSON).

CSV: one row per frame, one column per measure (units in the column names: `_deg`, `_mm`, `_n`,
`_mpa` ...), numbers written with Python's shortest round-trip repr, so reading the file back gives
exactly the Trajectory's floats. JSON: the scenario, the knee, every frame's measures and the world
poses of the bones (4x4, mm), under a format name and version. Per-vertex pressures are not
included (tens of thousands of numbers per frame); they belong in a binary format.

Both are written atomically (kneeviz.atomic.atomic_write_text). Model-layer code: no Qt,
VTK or pyvista.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from kneeviz.atomic import atomic_write_text
from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem
from kneeviz.simulation import EXTRA_KEYS, FRAME_KEYS, Trajectory

TRAJECTORY_FORMAT = "kneeviz-trajectory"
TRAJECTORY_VERSION = 1
POSE_KEYS = ("T_world_pelvis", "T_world_femur", "T_world_tibia", "T_world_patella",
             "T_femur_patella")
INT_KEYS = ("iterations",)
BOOL_KEYS = ("converged", "dislocated")


def columns() -> list[str]:
    """CSV column order: the frame number, then the measures in simulation.FRAME_KEYS order."""
    return ["frame", *FRAME_KEYS, *EXTRA_KEYS]


def _csv_cell(key: str, value: float) -> str:
    if key in BOOL_KEYS:
        return "1" if value else "0"
    if key in INT_KEYS:
        return str(int(value))
    v = float(value)
    return repr(v) if math.isfinite(v) else ""


def trajectory_csv(traj: Trajectory) -> str:
    """The CSV text (header row, then one row per frame; an unknown value is an empty cell)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = [*FRAME_KEYS, *EXTRA_KEYS]
    w.writerow(columns())
    for i in range(traj.n_frames):
        w.writerow([str(i), *(_csv_cell(k, traj.values[k][i]) for k in keys)])
    return buf.getvalue()


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def trajectory_dict(traj: Trajectory, *, include_poses: bool = True) -> dict[str, Any]:
    """The JSON object: format, version, knee, scenario, frames (and poses)."""
    frames = []
    for i in range(traj.n_frames):
        row: dict[str, Any] = {"frame": i}
        for k in (*FRAME_KEYS, *EXTRA_KEYS):
            v = traj.values[k][i]
            if k in BOOL_KEYS:
                row[k] = bool(v)
            elif k in INT_KEYS:
                row[k] = int(v)
            else:
                row[k] = _finite_or_none(float(v))
        frames.append(row)
    out: dict[str, Any] = {
        "format": TRAJECTORY_FORMAT,
        "version": TRAJECTORY_VERSION,
        "knee": traj.knee_name,
        "side": traj.meta.get("side"),
        "scenario": traj.scenario.to_dict(),
        "n_frames": traj.n_frames,
        "frames_converged": int(np.asarray(traj.converged).sum()),
        "frames": frames,
    }
    if include_poses:
        out["poses_mm"] = {
            k: np.asarray(getattr(traj, k), dtype=float).tolist() for k in POSE_KEYS
        }
    return out


def trajectory_json(traj: Trajectory, *, include_poses: bool = True) -> str:
    # compact: with indentation every pose number would take a line of its own
    return json.dumps(trajectory_dict(traj, include_poses=include_poses), allow_nan=False,
                      separators=(",", ":")) + "\n"


def write_trajectory(path: str | Path, traj: Trajectory) -> Path:
    """Write a .csv or .json by the file's extension (atomically)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise KneevizError(f"data files end in .csv or .json, not {suffix or '(nothing)'}", p)
    problem = folder_problem(p.parent)
    if problem is not None:
        raise KneevizError(f"cannot save here: {problem}", p)
    text = trajectory_csv(traj) if suffix == ".csv" else trajectory_json(traj)
    atomic_write_text(p, text)
    return p
