"""Which frames of a completed knee's squat its scan does not decide (issue 26).

A knee completed from the atlas (kneeviz.anatomy.completion) has estimated mechanical axes: the hip
and ankle centres come from the shape model, not from the scan. The squat's knee flexion is
measured between those axes, so where a completed knee says 85 deg the knee may stand at
82 or 88: leave-one-out over the LLP26 limbs and the ICL and bundled knees (docs/validation.md,
"Partial knees") puts the tibia's long axis, seen from the femur, up to FLEXION_UNCERTAINTY_DEG
off the whole knee's. That matters little where the kneecap's tilt and shift change slowly with
flexion, and everything where they change fast: several population knees drop their kneecap's
tilt by 10 deg between 78 and 86 deg of flexion (the kneecap entering the notch), and the
completed knee does the same 2-3 deg later: 6-12 deg of tilt off at those frames though every
bone fits within 1.5 mm.

`undetermined_frames` marks the frames whose tilt or shift would differ by more than
TILT_LIMIT_DEG / SHIFT_LIMIT_MM had the knee stood anywhere within FLEXION_UNCERTAINTY_DEG of its
flexion there (the squat's own curve, read on either side of each frame along the same
descent or ascent). Only completed knees are judged; a whole knee's axes are its own. No Qt, no
solver: arrays in, a mask out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kneeviz.anatomy.mesh import FloatArray

FLEXION_UNCERTAINTY_DEG = 3.0
"""How far a completed knee's flexion may be from the whole knee's: the angle between the
tibia's long axes seen from the femur, completed against whole (the validation's
joint_axis_err_deg), at the 90th percentile over the population table (docs/validation.md)."""
TILT_LIMIT_DEG = 3.0
SHIFT_LIMIT_MM = 3.0
"""What a frame may be off and still be shown (issue 26: a result off by more is refused)."""
GRID_STEP_DEG = 0.25

VALIDATED_WITHIN_FLOORS_PCT = 69
VALIDATED_WORST_TILT_DEG = 4.1
VALIDATED_WORST_SHIFT_MM = 2.5
"""How close knees completed from the atlas came to the same knees whole (docs/validation.md,
"Partial knees across a population", 2026-12-07; benchmarks/validate_partial_knees.py): at femur
>= 100 / tibia >= 80 mm, 69 % of the cases within 1.5 deg / 1.5 mm at every frame of 0-90 deg;
the worst frame shown, over every cut, 4.1 deg of tilt and 2.5 mm of shift off. What the window
tells a reader of a completed knee's numbers (app.panels.readouts.estimated_note); rerun the
validation and set these again when the model changes."""


def _spread(flexion: FloatArray, value: FloatArray, half_width: float) -> FloatArray:
    """For each sample of one monotonic run of the squat: the largest difference between its
    value and the run's value anywhere within `half_width` deg of its flexion."""
    order = np.argsort(flexion)
    f, v = flexion[order], value[order]
    if len(f) < 2 or float(f[-1] - f[0]) <= 0.0:
        return np.zeros(len(flexion))
    grid = np.arange(f[0], f[-1] + GRID_STEP_DEG, GRID_STEP_DEG)
    curve = np.interp(grid, f, v)
    out = np.zeros(len(flexion))
    for k, (fk, vk) in enumerate(zip(flexion, value, strict=True)):
        near = np.abs(grid - fk) <= half_width
        out[k] = float(np.abs(curve[near] - vk).max()) if near.any() else 0.0
    return out


def undetermined_frames(knee_flexion_deg: FloatArray, tilt_deg: FloatArray, shift_mm: FloatArray,
                        solved: NDArray[np.bool_] | None = None,
                        half_width_deg: float = FLEXION_UNCERTAINTY_DEG) -> NDArray[np.bool_]:
    """Frames of a completed knee's squat its scan does not decide (see the module docstring):
    True where tilt or shift would move beyond their limits within `half_width_deg` of the
    frame's knee flexion. The descent (to the deepest frame) and the ascent are read apart;
    unsolved frames (`solved` False) neither count nor are judged."""
    flexion = np.asarray(knee_flexion_deg, dtype=float)
    tilt = np.asarray(tilt_deg, dtype=float)
    shift = np.asarray(shift_mm, dtype=float)
    ok = np.ones(len(flexion), bool) if solved is None else np.asarray(solved, dtype=bool)
    ok &= np.isfinite(flexion) & np.isfinite(tilt) & np.isfinite(shift)
    out = np.zeros(len(flexion), dtype=bool)
    if not ok.any():
        return out
    deepest = int(np.argmax(np.where(ok, flexion, -np.inf)))
    for run in (np.arange(0, deepest + 1), np.arange(deepest, len(flexion))):
        idx = run[ok[run]]
        if len(idx) < 2:
            continue
        t = _spread(flexion[idx], tilt[idx], half_width_deg)
        s = _spread(flexion[idx], shift[idx], half_width_deg)
        out[idx] |= (t > TILT_LIMIT_DEG) | (s > SHIFT_LIMIT_MM)
    return out


def undetermined_sentence(knee_flexion_deg: FloatArray, mask: NDArray[np.bool_]) -> str | None:
    """One line saying which frames a completed knee's scan does not decide, or None."""
    if not np.any(mask):
        return None
    f = np.asarray(knee_flexion_deg, dtype=float)[np.asarray(mask, dtype=bool)]
    return (f"{int(np.sum(mask))} frames ({f.min():.0f}-{f.max():.0f} deg of knee flexion) depend "
            f"on where the estimated hip and ankle put the knee's flexion: within "
            f"{FLEXION_UNCERTAINTY_DEG:g} deg of it the kneecap's tilt or shift changes by more "
            f"than {TILT_LIMIT_DEG:g} deg / {SHIFT_LIMIT_MM:g} mm; a scan holding more of the "
            f"femur and tibia (or the whole bones) decides them")


def estimated_sentence(completed_bones: tuple[str, ...]) -> str:
    """What a knee's numbers rest on that its scan did not hold, for the bones completed from the
    atlas ("femur", "tibia"), and how close knees completed so came to their whole bones (the
    VALIDATED_* figures); "" for a whole knee. The window's readouts and the take-home files say
    it in these words."""
    if not completed_bones:
        return ""
    what = {"femur": "the hip centre and femoral axis",
            "tibia": "the ankle centre and tibial axis"}
    parts = ", and ".join(what[b] for b in completed_bones)
    return (f"Axes estimated: {parts} come from the atlas fitted to the partial "
            f"{' and '.join(completed_bones)}. Knees completed so came within "
            f"1.5 deg / 1.5 mm of their whole bones in {VALIDATED_WITHIN_FLOORS_PCT} % of the "
            f"validation's cases, and up to {VALIDATED_WORST_TILT_DEG:g} deg / "
            f"{VALIDATED_WORST_SHIFT_MM:g} mm off.")
