"""Synthetic recorded motions for tests: OpenSim .mot text written the way OpenSim writes it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SHARED_MOTIONS = Path(__file__).resolve().parents[2] / "shared" / "motions"
JUMP = SHARED_MOTIONS / "opencap_jump.mot"
WALK = SHARED_MOTIONS / "opencap_walking.mot"

COLUMNS = ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvis_ty", "hip_flexion_r",
           "hip_adduction_r", "hip_rotation_r", "knee_angle_r", "ankle_angle_r")


def squat_columns(duration_s: float = 3.0, rate_hz: float = 60.0, depth_deg: float = 90.0,
                  hip_rotation_at_depth_deg: float = 0.0, reps: int = 1) -> dict[str, np.ndarray]:
    """A heels-down bodyweight squat: knee 0 -> depth -> 0 (reps times), ankle at a quarter of
    the knee, hip flexion = knee - ankle + pelvic anterior tilt (a sixth of the knee), the pelvis
    sinking as the leg folds, the hip turning in by hip_rotation_at_depth_deg x depth fraction."""
    t = np.arange(int(round(duration_s * rate_hz)) + 1) / rate_hz
    u = 0.5 - 0.5 * np.cos(2.0 * np.pi * reps * t / duration_s)  # 0 -> 1 -> 0 per rep
    knee = depth_deg * u
    ankle = 0.25 * knee
    tilt_anterior = knee / 6.0
    hip = knee - ankle + tilt_anterior
    shank, thigh = 0.43, 0.40
    ty = (0.06 + shank * np.cos(np.radians(ankle)) + thigh * np.cos(np.radians(knee - ankle))
          + 0.0661)
    return {
        "time": t,
        "pelvis_tilt": -tilt_anterior,
        "pelvis_list": np.zeros_like(t),
        "pelvis_rotation": np.zeros_like(t),
        "pelvis_ty": ty,
        "hip_flexion_r": hip,
        "hip_adduction_r": np.zeros_like(t),
        "hip_rotation_r": hip_rotation_at_depth_deg * u,
        "knee_angle_r": knee,
        "ankle_angle_r": ankle,
    }


def mot_text(cols: dict[str, np.ndarray], in_degrees: str = "yes", sep: str = "\t",
             header: str | None = None) -> str:
    names = list(cols)
    n = len(cols[names[0]])
    head = header if header is not None else (
        f"Coordinates\nversion=1\nnRows={n}\nnColumns={len(names)}\ninDegrees={in_degrees}\n\n"
        "Units are S.I. units (second, meters, Newtons, ...)\nendheader\n"
    )
    rows = [sep.join(f"{cols[k][i]:.8f}" for k in names) for i in range(n)]
    return head + sep.join(names) + "\n" + "\n".join(rows) + "\n"


def write_mot(path: Path, cols: dict[str, np.ndarray], **kw: str) -> Path:
    path.write_text(mot_text(cols, **kw), encoding="utf-8")
    return path
