"""The one trajectory writer: `kneeviz simulate --out` and File > Export data write these files.

- .csv: one row per frame: `frame`, then every column of kneeviz.measure_table (units in the
  names), numbers in Python's shortest round-trip form (reading back gives the Trajectory's
  floats exactly); an unknown value is an empty cell.
- .json: format name and version, the kneeviz version, the knee, the scenario, every frame's
  measures (unknown values null) and the bones' world poses (4x4, mm).
- .npz (numpy, read with allow_pickle=False): every column, the poses and the per-vertex cartilage
  pressures (MPa) for a heat map, with the JSON header as `meta_json`.
- .sto: an OpenSim storage file, time and every other column (kneeviz.opensim_storage), for
  OpenSim's tools and plotting.
Every file is written atomically (kneeviz.atomic): an existing file is replaced only by a
complete new one. No Qt, VTK or pyvista: the command line and the app share it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from kneeviz import measure_table
from kneeviz.atomic import atomic_path, atomic_write_text
from kneeviz.errors import KneevizError
from kneeviz.simulation import Trajectory

TRAJECTORY_FORMAT = "kneeviz-trajectory"
TRAJECTORY_VERSION = 2
"""2: one layout for the command line and the app; per-frame hip values named hip_driven_*."""
POSE_KEYS = ("T_world_pelvis", "T_world_femur", "T_world_tibia", "T_world_patella",
             "T_femur_patella")
PRESSURE_KEYS = ("patella_pressure_mpa", "femur_pressure_mpa")
SUFFIXES = (".json", ".csv", ".npz", ".sto")


def columns() -> list[str]:
    """CSV column order: the frame number, then the measure table's keys."""
    return ["frame", *measure_table.all_keys()]


def header(traj: Trajectory) -> dict[str, Any]:
    """What every file says about the squat besides its frames."""
    from kneeviz import __version__

    return {
        "format": TRAJECTORY_FORMAT,
        "version": TRAJECTORY_VERSION,
        "kneeviz_version": __version__,
        "knee": traj.knee_name,
        "side": traj.meta.get("side"),
        "scenario": traj.scenario.to_dict(),
        "n_frames": traj.n_frames,
        "frames_converged": int(np.asarray(traj.converged).sum()),
        "n_contact_points": int(traj.n_contact_points),
        **_recording(traj),
    }


def _recording(traj: Trajectory) -> dict[str, Any]:
    """A recorded squat's file and its frames not solved, with why (kneeviz.motion)."""
    motion = getattr(traj.scenario, "motion_dict", None)
    out: dict[str, Any] = {"motion": motion()} if motion is not None else {}
    if traj.meta.get("not_solved"):
        out["not_solved"] = traj.meta["not_solved"]
    return out


def _csv_cell(m: measure_table.Measure, value: float) -> str:
    v = measure_table.plain(m, value)
    if isinstance(v, bool):
        return "1" if v else "0"
    return "" if v is None else repr(v)


def trajectory_csv(traj: Trajectory) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns())
    for i in range(traj.n_frames):
        w.writerow([str(i), *(_csv_cell(m, traj.values[m.key][i])
                              for m in measure_table.measures())])
    return buf.getvalue()


def trajectory_dict(traj: Trajectory) -> dict[str, Any]:
    frames = [{"frame": i, **traj.frame(i)} for i in range(traj.n_frames)]
    return {
        **header(traj),
        "frames": frames,
        "poses_mm": {k: np.asarray(getattr(traj, k), dtype=float).tolist() for k in POSE_KEYS},
    }


def trajectory_json(traj: Trajectory) -> str:
    # compact: with indentation every pose number would take a line of its own
    return json.dumps(trajectory_dict(traj), allow_nan=False, separators=(",", ":")) + "\n"


def _write_npz(traj: Trajectory, tmp: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    for m in measure_table.measures():
        v = np.asarray(traj.values[m.key])
        arrays[m.key] = v.astype(bool) if m.kind == "bool" else v.astype(
            np.int64 if m.kind == "int" else float)
    for k in POSE_KEYS:
        arrays[k] = np.asarray(getattr(traj, k), dtype=float)
    for k in PRESSURE_KEYS:
        arrays[k] = np.asarray(getattr(traj, k), dtype=np.float32)
    arrays["meta_json"] = np.array(json.dumps(header(traj), allow_nan=False))
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, allow_pickle=False, **arrays)


def check_suffix(path: str | Path) -> Path:
    """The path, or KneevizError when its extension is not a data format."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise KneevizError(
            f"data files end in {', '.join(SUFFIXES)}, not {p.suffix or '(nothing)'}", p)
    return p


def write_trajectory(path: str | Path, traj: Trajectory) -> Path:
    """Write a .json, .csv, .npz or .sto by the file's extension, atomically; returns the path."""
    p = check_suffix(path)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        with atomic_path(p) as tmp:
            _write_npz(traj, tmp)
        return p
    if suffix == ".sto":
        from kneeviz.opensim_storage import storage_text

        text = storage_text(traj, name=f"kneeviz {traj.knee_name}")
    else:
        text = trajectory_csv(traj) if suffix == ".csv" else trajectory_json(traj)
    atomic_write_text(p, text)
    return p
