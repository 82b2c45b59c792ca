"""A solved squat in a few numbers: the study table's figures at fixed knee angles.

A study compares hundreds of squats, so each is summarised by the measures clinicians and papers
quote (kneecap tilt and shift, bisect offset, peak pressure, the lateral facet's share of the
load; the femur's and kneecap's turns in the image frame, as the weight-bearing MRI studies
report them; the retinacula's loads and the joint force) at the angles they quote them
(SUMMARY_ANGLES_DEG), read on the way DOWN (the descent, to the deepest frame) by linear
interpolation between the two frames that straddle the angle. Only frames that are results count:
a frame that did not balance, or one past a dislocation, is skipped, and an angle with no result
within MAX_GAP_DEG on either side is NaN (empty in the table), never a guess.

The words, units and rounding of each measure are kneeviz.measure_table's; the column of
measure `key` at angle `a` is `column(key, a)`, e.g. "patella_lateral_tilt_deg_at30".
"""

from __future__ import annotations

import numpy as np

from kneeviz.measure_table import by_key

SUMMARY_MEASURES: tuple[str, ...] = (
    "patella_lateral_tilt_deg",
    "patella_lateral_shift_mm",
    "bisect_offset_pct",
    "peak_pressure_mpa",
    "lateral_force_fraction",
    "patella_rotation_world_deg",
    "femur_rotation_world_deg",
    "mpfl_tension_n",
    "lateral_retinaculum_tension_n",
    "pfjrf_bw",
)
"""The measures a study table summarises (kneeviz.measure_table keys)."""
SUMMARY_ANGLES_DEG: tuple[int, ...] = (0, 15, 30, 45, 60, 90)
"""Knee flexion angles (deg) of the summary: the weight-bearing MRI studies' 0-45 and beyond."""
MAX_GAP_DEG = 10.0
"""An angle is read only between result frames at most this far from it."""


def column(key: str, angle_deg: float) -> str:
    """The table column of measure `key` at knee flexion `angle_deg`."""
    return f"{key}_at{angle_deg:g}"


def summary_columns() -> list[str]:
    """Every summary column, measure by measure, angle by angle."""
    return [column(k, a) for k in SUMMARY_MEASURES for a in SUMMARY_ANGLES_DEG]


def _check_measures() -> None:
    known = by_key()
    missing = [k for k in SUMMARY_MEASURES if k not in known]
    if missing:
        raise RuntimeError(f"summary measures not in the measure table: {missing}")


_check_measures()


def value_at(flexion_deg: np.ndarray, values: np.ndarray, ok: np.ndarray,
             angle_deg: float) -> float:
    """`values` at knee flexion `angle_deg` on the descent (see the module docstring)."""
    flexion = np.asarray(flexion_deg, dtype=float)
    if flexion.size == 0:
        return float("nan")
    deepest = int(np.argmax(flexion))
    f = flexion[:deepest + 1]
    v = np.asarray(values, dtype=float)[:deepest + 1]
    good = np.asarray(ok, dtype=bool)[:deepest + 1] & np.isfinite(v)
    f, v = f[good], v[good]
    if f.size == 0:
        return float("nan")
    below = np.nonzero(f <= angle_deg + 1e-9)[0]
    above = np.nonzero(f >= angle_deg - 1e-9)[0]
    if not below.size or not above.size:
        return float("nan")
    i = below[np.argmax(f[below])]  # the result frame just below the angle ...
    j = above[np.argmin(f[above])]  # ... and just above it
    if angle_deg - f[i] > MAX_GAP_DEG or f[j] - angle_deg > MAX_GAP_DEG:
        return float("nan")
    if f[j] - f[i] < 1e-9:
        return float(v[i])
    u = (angle_deg - f[i]) / (f[j] - f[i])
    return float((1.0 - u) * v[i] + u * v[j])


def summarise(values: dict[str, np.ndarray], results: np.ndarray) -> dict[str, float]:
    """Every summary column of one squat: a Trajectory's `values`, read only at the frames that
    are results (`results`: kneeviz.result_check.result_frames, which leaves out the frames the
    model withholds as well as those that did not converge or came off the groove)."""
    flexion = np.asarray(values["knee_flexion_deg"], dtype=float)
    dislocated = np.asarray(values.get("dislocated", np.zeros_like(flexion)), dtype=float) > 0.5
    ok = np.asarray(results, dtype=bool) & ~dislocated
    return {column(k, a): value_at(flexion, values[k], ok, a)
            for k in SUMMARY_MEASURES for a in SUMMARY_ANGLES_DEG}
