"""The one trajectory writer: `kneeviz simulate --out` and File > Export data write these files.

- .csv: one row per frame: `frame`, then every column of kneeviz.measure_table (units in the
  names), numbers in Python's shortest round-trip form (reading back gives the Trajectory's
  floats exactly); an unknown value is an empty cell; last, `not_solved_reason`.
- .json: format name and version, the kneeviz version, the knee, the scenario, every frame's
  measures (unknown values null) with its `not_solved_reason` (null for a result) and the
  bones' world poses (4x4, mm).
- .npz (numpy, read with allow_pickle=False): every column (unknown values NaN), the reasons as
  text, the poses and the per-vertex cartilage pressures (MPa) for a heat map, with the JSON
  header as `meta_json`.
- .sto: an OpenSim storage file, time and every other column (kneeviz.opensim_storage), unknown
  values NaN and the reasons as numbered codes (OpenSim's tables hold numbers only), for
  OpenSim's tools and plotting.
A frame that was not solved carries no measures in any of them (kneeviz.measure_table.shown):
not a recording's frame the model does not answer ("foot off the ground", ...), not one whose
solve did not converge, not one at or after the kneecap came off its groove ("dislocated"); only
what the bones alone give (time, knee flexion, the hip's setting, TT-TG) and the solver's flags.
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
TRAJECTORY_VERSION = 3
"""2: one layout for the command line and the app; per-frame hip values named hip_driven_*.
3: a frame that was not solved carries no measures (empty, null, NaN), its reason in the
`not_solved_reason` column (.sto: `not_solved_reason_code`)."""
POSE_KEYS = ("T_world_pelvis", "T_world_femur", "T_world_tibia", "T_world_patella",
             "T_femur_patella")
PRESSURE_KEYS = ("patella_pressure_mpa", "femur_pressure_mpa")
SUFFIXES = (".json", ".csv", ".npz", ".sto")


def columns() -> list[str]:
    """CSV column order: the frame number, the measure table's keys, the reason for no result."""
    return ["frame", *measure_table.all_keys(), measure_table.REASON_COLUMN]


def frame_reasons(traj: Trajectory) -> list[str]:
    """Why each frame carries no measures ("" for a result): kneeviz.measure_table."""
    not_solved = {int(k): str(v) for k, v in traj.meta.get("not_solved", {}).items()}
    return measure_table.no_result_reasons(traj.n_frames, traj.converged, traj["dislocated"],
                                           not_solved)


def reported_values(traj: Trajectory, reasons: list[str] | None = None
                    ) -> dict[str, np.ndarray]:
    """Every column as files write it: a frame's withheld measures are NaN (see the module
    docstring)."""
    reasons = frame_reasons(traj) if reasons is None else reasons
    kept = measure_table.withheld({m.key: traj.values[m.key] for m in measure_table.measures()},
                                  reasons)
    return {k: np.asarray(v, dtype=float) for k, v in kept.items()}


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
    reasons = frame_reasons(traj)
    values = reported_values(traj, reasons)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns())
    for i in range(traj.n_frames):
        w.writerow([str(i), *(_csv_cell(m, values[m.key][i]) for m in measure_table.measures()),
                    reasons[i]])
    return buf.getvalue()


def trajectory_dict(traj: Trajectory) -> dict[str, Any]:
    reasons = frame_reasons(traj)
    values = reported_values(traj, reasons)
    rows = measure_table.measures()
    frames = [{"frame": i, **{m.key: measure_table.plain(m, values[m.key][i]) for m in rows},
               measure_table.REASON_COLUMN: reasons[i] or None}
              for i in range(traj.n_frames)]
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
    reasons = frame_reasons(traj)
    values = reported_values(traj, reasons)
    for m in measure_table.measures():
        v = np.asarray(values[m.key])
        arrays[m.key] = v.astype(bool) if m.kind == "bool" else v.astype(
            np.int64 if m.kind == "int" else float)
    arrays[measure_table.REASON_COLUMN] = np.array(reasons, dtype=str)  # text, no pickle
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

        reasons = frame_reasons(traj)
        text = storage_text(traj, name=f"kneeviz {traj.knee_name}",
                            values=reported_values(traj, reasons), reasons=reasons)
    else:
        text = trajectory_csv(traj) if suffix == ".csv" else trajectory_json(traj)
    atomic_write_text(p, text)
    return p
