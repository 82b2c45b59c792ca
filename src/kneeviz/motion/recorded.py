"""Read a recorded motion: an OpenSim motion/storage file (.mot, .sto) or a CSV with named columns.

OpenSim files (what OpenCap and every OpenSim inverse-kinematics run write): a header of lines up
to one reading `endheader`, then a row of column labels and one row of numbers per sample, columns
separated by tabs or spaces. OpenSim 4 headers carry `version=1`, `nRows=`, `nColumns=` and
`inDegrees=yes|no`; OpenSim 3 headers may instead carry `datacolumns N` / `datarows N` /
`range a b`. Only `inDegrees` matters here: `no` means the rotational coordinates are radians.

CSV (for data from elsewhere): the first line names the columns, separated by commas; `time` in
seconds, the OpenSim coordinate names below in DEGREES, pelvis_ty in metres. Other columns are
ignored. The coordinates used (side s = r or l):

    time                        s, increasing
    knee_angle_s                required; + = flexion
    hip_flexion_s               + = flexion
    hip_adduction_s             + = adduction
    hip_rotation_s              + = internal rotation
    ankle_angle_s               + = dorsiflexion
    pelvis_tilt, pelvis_list, pelvis_rotation   the pelvis in the ground (+ tilt = posterior)
    pelvis_ty                   m, the pelvis height (finds a foot off the ground)

These are the names and sign conventions of the OpenSim models that write such files (gait2392,
Rajagopal 2016, LaiUhlrich 2022 as used by OpenCap). A missing optional coordinate is taken as
zero (or, for pelvis_ty, the check for a foot off the ground is skipped) and a note says so.

Every bad input is one KneevizError naming the file and the column or line: a file too large is
refused by its size before it is read; rows with the same time as the one before are dropped (a
note); a gap of up to MAX_GAP_ROWS missing (NaN) values in a column is interpolated (a note),
a longer one is an error; a file whose angles are plainly in the other unit than its header says
(a knee that never leaves -pi..pi under inDegrees=yes, or reaches 90 under inDegrees=no) is an
error rather than a silently wrong squat.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kneeviz.errors import KneevizError

FloatArray = NDArray[np.float64]

MOTION_SUFFIXES = (".mot", ".sto", ".csv")
MAX_MOTION_FILE_BYTES = 256 * 1024 * 1024
"""A 10-minute trial at 240 Hz with 40 columns is about 90 MB; anything above this is refused by
its size before a byte is read."""
MAX_HEADER_LINES = 200
"""An OpenSim header is about ten lines; a file with no `endheader` in this many is not one."""
MIN_ROWS = 10
"""Fewer samples than this are not a movement the squat can follow."""
MAX_GAP_ROWS = 5
"""Runs of up to this many missing (NaN) samples in a column are interpolated linearly (a few
frames of a lost marker); longer gaps are an error naming the column and rows."""
SIDES = ("r", "l")
ANGLE_COORDINATES = ("knee_angle", "hip_flexion", "hip_adduction", "hip_rotation", "ankle_angle")
"""Per-side rotational coordinates (suffix _r or _l)."""
PELVIS_ANGLES = ("pelvis_tilt", "pelvis_list", "pelvis_rotation")
PELVIS_HEIGHT = "pelvis_ty"
RADIAN_LIKE_LIMIT = math.pi + 0.05
"""A knee column that never leaves +-(this) though it moves by more than MIN_RADIAN_RANGE is in
radians, whatever the header says (a knee in degrees that moves stays within 3 deg only if it
hardly moves)."""
MIN_RADIAN_RANGE = 0.3
DEGREE_LIKE_LIMIT = 2.0 * math.pi + 0.5
"""A knee column under inDegrees=no that reaches beyond this many 'radians' is in degrees."""


@dataclass(frozen=True, eq=False)
class Recording:
    """One side's coordinates of a recorded motion, angles in DEGREES, pelvis height in metres.

    `angles_deg` keys are the side-free names: knee_angle, hip_flexion, hip_adduction,
    hip_rotation, ankle_angle, pelvis_tilt, pelvis_list, pelvis_rotation (all present: a missing
    optional one is zeros, listed in `notes`). `pelvis_ty_m` is None when the file has none.
    """

    path: str
    side: str
    time_s: FloatArray
    angles_deg: dict[str, FloatArray]
    pelvis_ty_m: FloatArray | None
    sha256: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_rows(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0])


def check_side(side: str) -> str:
    s = str(side).strip().lower()
    if s in ("right", "left"):
        s = s[0]
    if s not in SIDES:
        raise KneevizError(f"unknown side {side!r}: use r (right) or l (left)")
    return s


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise KneevizError("no such motion file", path) from exc
    except OSError as exc:
        raise KneevizError(f"cannot read the motion file: {exc.strerror or exc}", path) from exc
    if not path.is_file():
        raise KneevizError("not a file: choose an OpenSim .mot/.sto or a .csv motion", path)
    if size > MAX_MOTION_FILE_BYTES:
        raise KneevizError(
            f"the motion file is {size / 1e6:.0f} MB, more than the "
            f"{MAX_MOTION_FILE_BYTES / 1e6:.0f} MB a recorded trial needs: cut the trial "
            "to the movement of interest", path
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KneevizError(f"cannot read the motion file: {exc.strerror or exc}", path) from exc


def _split_opensim(text: str, path: Path) -> tuple[dict[str, str], list[str], int]:
    """(header keys, lines after the header, line number of the first of them)."""
    lines = text.splitlines()
    header: dict[str, str] = {}
    for i, line in enumerate(lines[:MAX_HEADER_LINES]):
        s = line.strip()
        if s.lower() == "endheader":
            return header, lines[i + 1:], i + 2
        if "=" in s:
            k, _, v = s.partition("=")
            header[k.strip().lower()] = v.strip()
        elif s:
            parts = s.split()
            if len(parts) >= 2:
                header.setdefault(parts[0].lower(), " ".join(parts[1:]))
    raise KneevizError(
        f"no 'endheader' line in the first {MAX_HEADER_LINES} lines: this is not an OpenSim "
        "motion/storage file (a CSV needs the .csv suffix)", path
    )


def _parse_rows(lines: list[str], first_line: int, n_cols: int, sep: str | None,
                path: Path) -> FloatArray:
    rows: list[list[float]] = []
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        parts = line.split(sep) if sep else line.split()
        if len(parts) != n_cols:
            raise KneevizError(
                f"line {first_line + k} has {len(parts)} values, the column labels name {n_cols}",
                path,
            )
        try:
            rows.append([float(p) if p.strip() else math.nan for p in parts])
        except ValueError as exc:
            raise KneevizError(
                f"line {first_line + k} holds a value that is not a number ({exc})", path
            ) from exc
    return np.asarray(rows, dtype=float).reshape(-1, n_cols)


def _table(path: Path, data: bytes) -> tuple[list[str], FloatArray, bool | None, int]:
    """(labels, values, in_degrees (None = not said), line number of the first data row)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KneevizError("not a text file: choose an OpenSim .mot/.sto or a .csv", path) from exc
    if path.suffix.lower() == ".csv":
        lines = text.splitlines()
        if not lines:
            raise KneevizError("the file is empty", path)
        labels = [c.strip() for c in lines[0].split(",")]
        return labels, _parse_rows(lines[1:], 2, len(labels), ",", path), True, 2
    header, rest, first = _split_opensim(text, path)
    while rest and not rest[0].strip():
        rest, first = rest[1:], first + 1
    if not rest:
        raise KneevizError("no column labels after 'endheader'", path)
    labels = rest[0].split("\t") if "\t" in rest[0] else rest[0].split()
    labels = [c.strip() for c in labels]
    sep = "\t" if "\t" in rest[0] and all("\t" in ln for ln in rest[1:3] if ln.strip()) else None
    values = _parse_rows(rest[1:], first + 1, len(labels), sep, path)
    flag = header.get("indegrees")
    in_degrees = None if flag is None else flag.strip().lower() in ("yes", "true", "1")
    return labels, values, in_degrees, first + 1


def _fill_gaps(name: str, v: FloatArray, line_of: NDArray[np.int_], path: Path,
               notes: list[str]) -> FloatArray:
    """v with short interior NaN runs interpolated; `line_of[k]` is row k's line number."""
    bad = ~np.isfinite(v)
    if not bad.any():
        return v
    idx = np.nonzero(bad)[0]
    runs = np.split(idx, np.nonzero(np.diff(idx) > 1)[0] + 1)
    for run in runs:
        a, b = int(run[0]), int(run[-1])
        if a == 0 or b == len(v) - 1 or len(run) > MAX_GAP_ROWS:
            raise KneevizError(
                f"column {name} has {len(run)} missing value(s) at lines "
                f"{line_of[a]}-{line_of[b]}"
                + (" at the start or end of the trial" if a == 0 or b == len(v) - 1 else
                   f", more than the {MAX_GAP_ROWS} that can be filled in")
                + ": re-export the trial with the gap filled or cut", path
            )
    good = ~bad
    out = v.copy()
    out[bad] = np.interp(np.nonzero(bad)[0], np.nonzero(good)[0], v[good])
    notes.append(f"{name}: {int(bad.sum())} missing value(s) in {len(runs)} short gap(s) "
                 "interpolated")
    return out


def read_recording(path: str | Path, side: str = "r") -> Recording:
    """Read one side of a recorded motion (see the module doc); KneevizError on any bad input."""
    s = check_side(side)
    p = Path(path)
    if p.suffix.lower() not in MOTION_SUFFIXES:
        raise KneevizError(
            f"unknown motion format {p.suffix or '(none)'!r}: use {', '.join(MOTION_SUFFIXES)}", p
        )
    data = _read_bytes(p)
    labels, values, in_degrees, first_line = _table(p, data)
    col = {name: i for i, name in enumerate(labels)}
    if "time" not in col:
        raise KneevizError(f"no 'time' column (columns: {', '.join(labels[:12])})", p)
    knee = f"knee_angle_{s}"
    if knee not in col:
        other = f"knee_angle_{'l' if s == 'r' else 'r'}"
        hint = f"; the file has {other}: choose that side" if other in col else ""
        raise KneevizError(
            f"no {knee} column: a recorded knee needs OpenSim's knee_angle_r or knee_angle_l"
            f"{hint}", p
        )
    if len(values) < MIN_ROWS:
        raise KneevizError(
            f"only {len(values)} row(s) of samples: a recorded motion needs at least {MIN_ROWS}", p
        )
    notes: list[str] = []
    t = values[:, col["time"]]
    if not np.isfinite(t).all():
        k = int(np.nonzero(~np.isfinite(t))[0][0])
        raise KneevizError(f"line {first_line + k}: the time is not a number", p)
    dt = np.diff(t)
    back = np.nonzero(dt < 0)[0]
    if len(back):
        k = int(back[0]) + 1
        raise KneevizError(
            f"line {first_line + k}: time goes back from {t[k - 1]:g} s to {t[k]:g} s; the "
            "samples must be in increasing time", p
        )
    keep = np.concatenate([[True], dt > 0])
    if not keep.all():
        notes.append(f"{int((~keep).sum())} row(s) repeating the time of the row before dropped")
    rows = np.nonzero(keep)[0]
    values, t = values[keep], t[keep]
    if len(t) < MIN_ROWS:
        raise KneevizError(
            f"only {len(t)} distinct time(s): a recorded motion needs at least {MIN_ROWS}", p
        )

    def column(name: str) -> FloatArray:
        v = values[:, col[name]].astype(float)
        if not np.isfinite(v).all():
            v = _fill_gaps(name, v, rows + first_line, p, notes)
        return v

    knee_v = column(knee)
    scale = 1.0
    knee_abs = float(np.max(np.abs(knee_v)))
    knee_range = float(np.ptp(knee_v))
    looks_radians = knee_abs <= RADIAN_LIKE_LIMIT and knee_range >= MIN_RADIAN_RANGE
    if in_degrees is None:
        in_degrees = not looks_radians
        notes.append("the header does not say inDegrees: the angles read as "
                     + ("degrees" if in_degrees else "radians") + " from their size")
    elif in_degrees and looks_radians:
        raise KneevizError(
            f"the header says inDegrees=yes but {knee} stays within {knee_v.min():.2f}.."
            f"{knee_v.max():.2f}: these are radians; set inDegrees=no in the header", p
        )
    elif not in_degrees and knee_abs > DEGREE_LIKE_LIMIT:
        raise KneevizError(
            f"the header says inDegrees=no (radians) but {knee} reaches {knee_abs:.0f}: these "
            "are degrees; set inDegrees=yes in the header", p
        )
    if not in_degrees:
        scale = 180.0 / math.pi
    angles: dict[str, FloatArray] = {"knee_angle": knee_v * scale}
    missing: list[str] = []
    for base in ANGLE_COORDINATES[1:]:
        name = f"{base}_{s}"
        if name in col:
            angles[base] = column(name) * scale
        else:
            angles[base] = np.zeros_like(t)
            missing.append(name)
    for name in PELVIS_ANGLES:
        if name in col:
            angles[name] = column(name) * scale
        else:
            angles[name] = np.zeros_like(t)
            missing.append(name)
    if missing:
        notes.append(f"no {', '.join(missing)} column(s): taken as 0 deg")
    ty = column(PELVIS_HEIGHT) if PELVIS_HEIGHT in col else None
    if ty is None:
        notes.append("no pelvis_ty column: a foot off the ground cannot be detected")
    return Recording(
        path=str(p), side=s, time_s=t, angles_deg=angles, pelvis_ty_m=ty,
        sha256=hashlib.sha256(data).hexdigest(), notes=tuple(notes),
    )


def file_sha256(path: str | Path) -> str:
    """The content hash a scenario file keeps for a motion (bounded like the reader)."""
    return hashlib.sha256(_read_bytes(Path(path))).hexdigest()


__all__ = [
    "MAX_MOTION_FILE_BYTES",
    "MOTION_SUFFIXES",
    "Recording",
    "check_side",
    "file_sha256",
    "read_recording",
]
