"""Is a solved squat a result? One rule for every output (simulate --out, render, the app's
export and readouts).

Two questions, asked of every squat before anything is shown or written:

1. Did it solve? A frame whose solve did not converge keeps its best pose, flagged; a few such
   frames are honest results. A run in which no frame, or fewer than half, converged is not: the
   knee was not a knee (bones not assembled, a folded or non-manifold surface, a precision loss).
   Frames after the kneecap dislocated count as solved (the dislocation is the finding); a
   recording's frames the model does not answer (kneeviz.motion.from_recording) are left out.
2. Is it a knee? (`self_check`) A squat can converge in every frame and still be wrong: a partial
   femur completed with the wrong axes, a tibia placed off the condyles, a kneecap from another
   knee. Four physical checks and one report, against published or measured ranges with margins
   (each limit's source is beside it in kneeviz.mechanics.self_check; the margins of every knee
   we have are in docs/validation.md, "Self-check"):
   - bones: no bone passes into the femur beyond their cartilage (the kneecap's, the tibia's) by
     more than OVERLAP_LIMIT_MM, in any solved frame;
   - kneecap flexion: the kneecap flexes with the knee, PATELLAR_FLEXION_SLOPE deg per deg of
     knee flexion (fitted over 20-100 deg);
   - tibia: the tibia sits under the femoral condyles in the near-extended frames: not
     translated forward, back or sideways beyond TIBIA_TRANSLATION_LIMIT_MM, not turned beyond
     TIBIA_ROTATION_LIMIT_DEG more than the hip setting turns it;
   - soft tissues: the lateral retinaculum and the patellar tendon each carry load somewhere in a
     squat that reaches from near extension to 60 deg, as every knee's here do (the medial
     patellofemoral ligament is measured too, but a sound knee's can stay slack through a
     healthy squat, so it is not failed on);
   - kneecap path (reported, not failed on): at the same knee flexion and hip setting, how far
     the kneecap's tilt and shift on the ascent are from the descent's; beyond TWO_BALANCES the
     model balances it two ways and those frames are withheld (kneeviz.simulation), so they carry
     no numbers, and a squat left with fewer than half its frames as results is not one.
   A check that a squat cannot judge (too shallow for a flexion slope or for the tissues, no
   near-extended frame) is reported as not judged, never as failed.

A failed check is an error: the commands exit 2 with one line naming the check and the frames,
the app shows a warning in place of its readouts. No Qt here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kneeviz.errors import KneevizError
from kneeviz.measure_table import withheld_by_model
from kneeviz.mechanics import self_check as scm
from kneeviz.mechanics.self_check import (  # noqa: F401  (the limits, re-exported)
    BONES,
    CHECKS,
    KNEECAP_FLEXION,
    KNEECAP_PATH,
    OVERLAP_LIMIT_MM,
    PATELLAR_FLEXION_SLOPE,
    SOFT_TISSUES,
    TIBIA,
    TIBIA_ROTATION_LIMIT_DEG,
    TIBIA_TRANSLATION_LIMIT_MM,
    TISSUE_ENGAGED_N,
    TWO_BALANCES,
    Measured,
    frame_span,
)

MIN_RESULT_FRACTION = 0.5
"""At least this fraction of frames must have converged (or be past a dislocation)."""
NOT_A_RESULT_OPACITY = 0.3
"""The kneecap's opacity in a frame that is not a result (not settled, not solved, or withheld by
the model: two balances, not decided by the scan), in every picture: the window, `kneeviz render`
and the take-home 3D file and page. It is drawn where the solver left it, faded, so that a pose
the model cannot vouch for never looks like one it can; the words beside it say why."""


# -- 1. did it solve? -----------------------------------------------------------------------------
def not_solved_frames(traj: Any, recording_only: bool = False) -> NDArray[np.bool_]:
    """Frames withheld with a reason: a recording's frames the model does not answer (a foot off
    the ground, ...) and, unless `recording_only`, solved frames the model withholds (two
    balances, not decided by the scan: kneeviz.measure_table.MODEL_REASONS)."""
    n = int(np.asarray(traj.converged).size)
    skipped = np.zeros(n, dtype=bool)
    items = getattr(traj, "meta", {}).get("not_solved", {}) if hasattr(traj, "meta") else {}
    for k, reason in items.items():
        if recording_only and withheld_by_model(reason):
            continue
        if 0 <= int(k) < n:
            skipped[int(k)] = True
    return skipped


def dislocated_frames(traj: Any) -> NDArray[np.bool_]:
    n = int(np.asarray(traj.converged).size)
    try:
        return np.asarray(np.nan_to_num(np.asarray(traj["dislocated"], dtype=float)) > 0.5)
    except (KeyError, TypeError):
        return np.zeros(n, dtype=bool)


def converged_frames(traj: Any) -> NDArray[np.bool_]:
    """Frames solved as results or withheld by the model: converged, not past a dislocation,
    not a recording's frame the model does not answer."""
    converged = np.asarray(traj.converged, dtype=bool)
    return converged & ~dislocated_frames(traj) & ~not_solved_frames(traj, recording_only=True)


def result_frames(traj: Any) -> NDArray[np.bool_]:
    """Frames whose numbers are results: solved (converged), not past a dislocation, not
    withheld (a recording's frame the model does not answer, or one the model withholds)."""
    converged = np.asarray(traj.converged, dtype=bool)
    return converged & ~dislocated_frames(traj) & ~not_solved_frames(traj)


def result_problem(traj: Any) -> str | None:
    """Why `traj` is not a result, in words; None when it is. A self-check already stored with
    the squat (`self_check`) is part of the answer."""
    converged = np.asarray(traj.converged, dtype=bool)
    n = int(converged.size)
    if n == 0:
        return "the squat has no frames"
    skipped = not_solved_frames(traj, recording_only=True)
    ok = ((converged | dislocated_frames(traj)) & ~not_solved_frames(traj))[~skipped]
    n = int(ok.size)
    n_ok = int(ok.sum())
    if not (n_ok >= MIN_RESULT_FRACTION * n and int(converged.sum()) > 0):
        withheld = int((converged & not_solved_frames(traj) & ~skipped).sum())
        why = (f"{n_ok} of {n} frames are results ({withheld} withheld where the kneecap "
               "balances two ways or the scan does not decide it)" if withheld else
               f"only {int(converged.sum())} of {n} frames converged (the kneecap found no "
               "balance of forces in the rest)")
        return (f"{why}, so there is no result to write: check that the femur, patella and "
                "tibia are whole, closed bone surfaces from one scan (kneeviz check-mesh shows "
                "what was found in each)")
    stored = stored_check(traj)
    return stored.problem if stored is not None else None


def check_result(traj: Any, output: str | None = None, anatomy: Any = None) -> None:
    """Raise a KneevizError (naming `output`, which is then not written) when `traj` is not a
    result; with `anatomy`, the squat's self-check is run first (see the module docstring)."""
    if anatomy is not None and result_problem(traj) is None:
        self_check(traj, anatomy)
    problem = result_problem(traj)
    if problem is not None:
        name = getattr(traj, "meta", {}).get("knee") if hasattr(traj, "meta") else None
        knee = f"the knee {name!r}: " if isinstance(name, str) and name else ""
        raise KneevizError(f"not written: {knee}{problem}", output)


# -- 2. is it a knee? -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SelfCheck:
    """Every measure of a squat's self-check."""

    measures: tuple[Measured, ...]

    @property
    def failures(self) -> tuple[Measured, ...]:
        return tuple(m for m in self.measures if not m.passed)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def problem(self) -> str | None:
        """One line naming the first failed check and its frames, None when all passed."""
        if self.passed:
            return None
        m = self.failures[0]
        more = len(self.failures) - 1
        also = (f" (and {more} more: " + ", ".join(f.what for f in self.failures[1:]) + ")"
                if more else "")
        return (f"this knee's result failed a check: {m.check}: {m.sentence}{also}; "
                f"{ADVICE}")

    def margins(self) -> dict[str, float]:
        """Measure -> margin to its limit (> 0 passes; nan: not judged)."""
        return {m.what: m.margin for m in self.measures}

    def to_meta(self) -> list[dict[str, Any]]:
        return [asdict(m) for m in self.measures]

    @staticmethod
    def from_meta(items: Sequence[dict[str, Any]]) -> SelfCheck:
        return SelfCheck(tuple(Measured(**{**d, "frames": tuple(d.get("frames", ()))})
                               for d in items))


META_KEY = "self_check"
ADVICE = ("check that the femur, patella and tibia are one knee's, from one scan (kneeviz "
          "check-mesh shows what was found and completed in each)")


def stored_check(traj: Any) -> SelfCheck | None:
    """The self-check stored with `traj` by `self_check`, if it ran."""
    meta = getattr(traj, "meta", None)
    items = meta.get(META_KEY) if isinstance(meta, dict) else None
    return SelfCheck.from_meta(items) if items is not None else None


def self_check(traj: Any, anatomy: Any) -> SelfCheck:
    """Check a solved squat of the knee `anatomy` (see the module docstring); the outcome is also
    stored in `traj.meta`, so whoever shows or writes the squat later sees it."""
    stored = stored_check(traj)
    if stored is not None:
        return stored
    ok = result_frames(traj)
    measures = (*scm.bone_overlaps(traj, anatomy, ok), scm.kneecap_flexion(traj, ok),
                *scm.tibia_placement(traj, anatomy), *scm.soft_tissues(traj, ok),
                *scm.kneecap_path(traj, converged_frames(traj)))
    out = SelfCheck(tuple(measures))
    if isinstance(getattr(traj, "meta", None), dict):
        traj.meta[META_KEY] = out.to_meta()
    return out
