"""The measures behind a solved squat's self-check (kneeviz.result_check holds the rule and the
limits; this module measures). Each function returns result_check.Measured records: the worst
value over the squat, the margin to the limit and the frames beyond it.

Geometry is measured on the bone meshes as the squat poses them (femur frame): a point's depth
inside the femur is its distance below the tangent plane of the nearest femur vertex (the
signed distance that works for open, one-sided surfaces too; shared design notes, "what a quick
prototype taught us"). Everything is vectorised over frames: a 241-frame squat is checked in a
fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from kneeviz.anatomy.completion_check import SHIFT_LIMIT_MM, TILT_LIMIT_DEG
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh, depth_behind_surface
from kneeviz.motion.coupling import walker_coupling
from kneeviz.motion.grood_suntay import gs_from_pose
from kneeviz.motion.squat import femur_adduction
from kneeviz.transforms import invert

OVERLAP_LIMIT_MM = 1.0
"""A bone may not lie deeper than this inside another (the tangent-plane depth of its surface
points below the femur's surface). Between bones there is cartilage (femur 2-3 mm, patella
about 4 mm): any overlap of the bones themselves means the cartilage was crushed to nothing; 1 mm
allows for the meshes' facets (about 1 mm edges)."""
PATELLAR_FLEXION_SLOPE = (0.5, 1.0)
"""Degrees of patellar flexion per degree of knee flexion, fitted over 20-100 deg of knee flexion.
The reference contact model (the Lenhart et al. 2015 knee, prototyped in the design notes) flexes
it 0.67 per degree over 0-90 deg; the bundled, ICL and Lenhart knees here 0.68-0.79 in every
preset and recording (docs/validation.md, "Self-check"). A kneecap flexing at half the knee's
rate or slower rides out of the groove's path (the cut knee of issue 26: 0.33); one flexing
faster than the knee itself turns against its tendon."""
SLOPE_RANGE_DEG = (20.0, 100.0)
MIN_SLOPE_SPAN_DEG = 30.0
"""The slope is judged only over at least this much knee flexion (a shallow recording is not
judged)."""
TIBIA_TRANSLATION_LIMIT_MM = 12.0
"""How far the tibial plateau's centre may sit forward, back or sideways of the femoral
epicondyles' midpoint (Grood-Suntay joint translations, beyond the tibiofemoral coupling), in the
near-extended frames: 1-7 mm in the bundled, ICL and Lenhart knees; the limit leaves 5 mm and more
on every one (docs/validation.md)."""
TIBIA_ROTATION_LIMIT_DEG = 20.0
"""Tibial rotation under the femur beyond what the hip setting and the tibiofemoral coupling
give, in the near-extended frames: standing knees are within 0.4 +- 7.7 deg (weight-bearing CT,
Hirschmann et al. 2015), so 20 deg is 2.5 standard deviations out (docs/validation.md)."""
NEAR_EXTENSION_DEG = 20.0
"""The tibia's placement is judged in the frames up to this knee flexion."""
TISSUE_ENGAGED_N = 0.01
"""A soft tissue that never carries more than this over the squat never engaged (its attachment
points never moved further apart than where it is just taut)."""
TISSUE_RANGE_DEG = (10.0, 60.0)
"""Soft tissues are judged over a squat whose solved frames reach from this little knee flexion
to this much: the medial ligament engages near extension, the lateral retinaculum in flexion."""

HIP_MATCH_DEG = 0.5
"""Frames of the descent and the ascent are compared where the knee's flexion and the hip's
rotation and adduction agree within this (a scenario's squat: everywhere; a recording: where
it passes the same posture twice)."""
BRACKET_DEG = 5.0
"""An ascent frame is compared only where the descent's frames on either side of its flexion
are at most this far apart: between coarser frames a steep stretch of the curve (the kneecap
entering the groove) would read as a second balance. The squat to 120 deg in 2 s steps at most
1.9 / 3.8 / 5.6 deg a frame at 60 / 30 / 20 frames a second: judged everywhere at 30 and more,
all but its fastest stretch at 20."""
TWO_BALANCES = (TILT_LIMIT_DEG, SHIFT_LIMIT_MM)
"""How far the kneecap may sit apart, in tilt (deg) and shift (mm), at the same flexion and hip
setting going down and coming up: what a frame may be off and still be shown (issue 26).
Beyond it the model has two balances there and cannot say which one the knee takes (atlas:08,
17, 19: the kneecap rolled 6-50 deg on the way up, docs/validation.md "Self-check"); the
bundled knee's severe squat snaps 2.3 deg / 1.6 mm apart at 47 deg, where it rides over the
groove's edge."""

BONES, KNEECAP_FLEXION, TIBIA, SOFT_TISSUES = "bones", "kneecap flexion", "tibia", "soft tissues"
KNEECAP_PATH = "kneecap path"
CHECKS = (BONES, KNEECAP_FLEXION, TIBIA, SOFT_TISSUES, KNEECAP_PATH)


@dataclass(frozen=True)
class Measured:
    """One measure of one check: its worst value over the squat, the limit and how far from it."""

    check: str
    """One of CHECKS."""
    what: str
    """In words, e.g. "kneecap into femur"."""
    value: float
    """The worst value (nan when not judged)."""
    limit: str
    """The allowed range in words, e.g. "<= 1.0 mm"."""
    margin: float
    """Distance from the worst value to the limit, in the value's unit: > 0 passes."""
    unit: str
    frames: tuple[int, ...] = ()
    """Frames beyond the limit (empty when passed)."""
    sentence: str = ""
    """What failed, in words (empty when passed)."""
    enforced: bool = True
    """False for a measure reported with its margin but never failed on (see TISSUES)."""

    @property
    def judged(self) -> bool:
        return bool(np.isfinite(self.value))

    @property
    def passed(self) -> bool:
        return not self.judged or not self.enforced or self.margin >= 0.0



MAX_PATELLA_POINTS = 1200
MAX_TIBIA_POINTS = 1000
"""Points of each bone checked against the femur: about 2 mm apart on the kneecap's articular
half and the tibia's proximal end."""
SEARCH_MM = 6.0
"""Depths are measured for points within this distance of the femur's surface."""
TIBIA_TOP_MM = 20.0
"""The tibia's proximal end (its plateau and spines) is what can meet the femur."""


def _subsample(points: FloatArray, n: int) -> FloatArray:
    step = max(1, int(np.ceil(len(points) / n)))
    return np.asarray(points[::step], dtype=float)


@lru_cache(maxsize=4)
def _femur_surface(mesh: SurfaceMesh) -> tuple[cKDTree, FloatArray, FloatArray]:
    v = np.asarray(mesh.vertices_mm, dtype=float)
    return cKDTree(v), v, mesh.vertex_normals()


def _depth_inside(mesh: SurfaceMesh, points: FloatArray) -> FloatArray:
    """How far below the femur's surface each point lies (mm; < 0: how far outside), for points
    within SEARCH_MM of its surface (-SEARCH_MM for the rest: a bone surface reaching deeper
    crosses that band first, so its depth there already tells)."""
    tree, v, n = _femur_surface(mesh)
    depth = depth_behind_surface(v, n, points, SEARCH_MM, tree)
    return np.where(np.isfinite(depth), depth, -SEARCH_MM)


def _posed(points: FloatArray, T: NDArray[np.float64]) -> FloatArray:
    """Points (P, 3) under poses (F, 4, 4): (F, P, 3)."""
    return np.einsum("fij,pj->fpi", T[:, :3, :3], points) + T[:, None, :3, 3]


def femur_tibia_poses(traj: Any) -> NDArray[np.float64]:
    """The tibia in the femur frame, every frame (F, 4, 4)."""
    T_wf = np.asarray(traj.T_world_femur, dtype=float)
    T_wt = np.asarray(traj.T_world_tibia, dtype=float)
    return np.asarray(invert(T_wf) @ T_wt)


def _overlap(anatomy: Anatomy, points: FloatArray, T: NDArray[np.float64]) -> FloatArray:
    """Per frame, the deepest of `points` (posed by T) inside the femur (mm; < 0: the closest
    is that far outside it, the bones' clearance)."""
    if not len(T):
        return np.zeros(0)
    posed = _posed(points, T)
    depth = _depth_inside(anatomy.femur, posed.reshape(-1, 3)).reshape(len(T), -1)
    return np.asarray(depth.max(axis=1))


def bone_overlaps(traj: Any, anatomy: Anatomy, ok: NDArray[np.bool_]) -> list[Any]:
    """The kneecap's and the tibia's bone inside the femur's, in the solved frames."""
    frames = np.nonzero(ok)[0]
    kf = traj["knee_flexion_deg"]
    # the kneecap's articular (posterior) half and the tibia's proximal end
    pv = np.asarray(anatomy.patella.vertices_mm, dtype=float)
    patella = _subsample(pv[pv[:, 0] <= np.median(pv[:, 0])], MAX_PATELLA_POINTS)
    tv = np.asarray(anatomy.tibia.vertices_mm, dtype=float)
    tibia = _subsample(tv[tv[:, 1] >= tv[:, 1].max() - TIBIA_TOP_MM], MAX_TIBIA_POINTS)
    out = []
    for what, name, points, T in (
        ("kneecap into femur", "the kneecap's bone", patella,
         np.asarray(traj.T_femur_patella, dtype=float)[frames]),
        ("tibia into femur", "the tibia's bone", tibia, femur_tibia_poses(traj)[frames]),
    ):
        depth = _overlap(anatomy, points, T)
        worst = float(depth.max()) if len(depth) else float("nan")
        bad = frames[depth > OVERLAP_LIMIT_MM] if len(depth) else frames[:0]
        sentence = (f"{name} passes {worst:.1f} mm into the femur's, beyond their cartilage "
                    f"(more than {OVERLAP_LIMIT_MM:g} mm), at {frame_span(bad, kf)}"
                    if len(bad) else "")
        out.append(Measured(BONES, what, worst, f"<= {OVERLAP_LIMIT_MM:g}",
                            OVERLAP_LIMIT_MM - worst, "mm", tuple(int(i) for i in bad),
                            sentence))
    return out


def kneecap_flexion(traj: Any, ok: NDArray[np.bool_]) -> Any:
    """The slope of patellar flexion against knee flexion over the solved frames at 20-100 deg."""
    kf = np.asarray(traj["knee_flexion_deg"], dtype=float)
    pf = np.asarray(traj["patella_flexion_deg"], dtype=float)
    lo, hi = PATELLAR_FLEXION_SLOPE
    use = ok & (kf >= SLOPE_RANGE_DEG[0]) & (kf <= SLOPE_RANGE_DEG[1]) & np.isfinite(pf)
    limit = f"{lo:g}-{hi:g}"
    if use.sum() < 5 or np.ptp(kf[use]) < MIN_SLOPE_SPAN_DEG:
        return Measured(KNEECAP_FLEXION, "kneecap flexion per knee flexion", float("nan"),
                        limit, float("nan"), "deg/deg")
    slope = float(np.polyfit(kf[use], pf[use], 1)[0])
    margin = min(slope - lo, hi - slope)
    frames = np.nonzero(use)[0]
    sentence = ""
    if margin < 0:
        sentence = (f"the kneecap flexes {slope:.2f} deg per deg of knee flexion over "
                    f"{frame_span(frames, kf)}, where a knee flexes it {lo:g}-{hi:g} (the "
                    "reference model 0.67)")
    return Measured(KNEECAP_FLEXION, "kneecap flexion per knee flexion", slope, limit, margin,
                    "deg/deg", tuple(int(i) for i in frames) if margin < 0 else (), sentence)


def tibia_offsets(traj: Any, anatomy: Anatomy) -> dict[str, NDArray[np.float64]]:
    """Per frame, where the tibia sits under the femur beyond what the tibiofemoral coupling and
    the hip setting put there (Grood-Suntay joint coordinates, Grood & Suntay 1983): the knee's
    own, scanned placement. "forward": the tibial plateau centre's translation along the joint's
    anteroposterior (floating) axis from the femoral epicondyles' midpoint, minus the coupling's
    anterior translation (mm); "sideways": along the femur's epicondylar axis (mm); "rotation":
    tibial rotation minus the coupling's and plus the hip-driven femoral rotation (deg). The
    hip-driven adduction is undone first (motion.squat.femur_adduction): it turns the femur about
    its own anteroposterior axis, which is not a Grood-Suntay axis, so read through it the
    scan's own rotation drifted with the hip setting (atlas:13, scanned 18.1 deg outward: 19.5
    deg in the typical-PFP squat, 20.9 in the severe one, past the limit) though the knee's
    placement is the same in every squat."""
    add = np.nan_to_num(np.asarray(traj["hip_driven_adduction_deg"], dtype=float))
    gs = gs_from_pose(femur_adduction(anatomy, add) @ femur_tibia_poses(traj))
    kf = np.asarray(traj["knee_flexion_deg"], dtype=float)
    hip = np.nan_to_num(np.asarray(traj["hip_driven_rotation_deg"], dtype=float))
    walker = walker_coupling(kf)
    q = np.asarray(gs.translation_mm, dtype=float)
    return {
        "forward": q[:, 1] - walker.anterior_translation_mm,
        "sideways": q[:, 0],
        "rotation": np.asarray(gs.tibial_rotation_deg - walker.tibial_internal_rotation_deg + hip),
    }


def tibia_placement(traj: Any, anatomy: Anatomy) -> list[Measured]:
    """The tibia under the condyles in the near-extended frames (NEAR_EXTENSION_DEG), solved or
    not (the bones' placement is the squat's kinematics): what the scan put there, read with
    the coupling and the hip setting taken out (tibia_offsets)."""
    kf = np.asarray(traj["knee_flexion_deg"], dtype=float)
    near = np.isfinite(kf) & (kf <= NEAR_EXTENSION_DEG)
    offsets = {k: np.where(near, x, np.nan) for k, x in tibia_offsets(traj, anatomy).items()}
    out = []
    for key, what, limit, unit, words in (
        ("forward", "tibia forward under the condyles", TIBIA_TRANSLATION_LIMIT_MM, "mm",
         ("in front of", "behind")),
        ("sideways", "tibia sideways under the condyles", TIBIA_TRANSLATION_LIMIT_MM, "mm",
         ("lateral of", "medial of")),
        ("rotation", "tibia rotation under the femur", TIBIA_ROTATION_LIMIT_DEG, "deg",
         ("inward", "outward")),
    ):
        x = offsets[key]
        finite = np.isfinite(x)
        if not finite.any():
            out.append(Measured(TIBIA, what, float("nan"), f"|x| <= {limit:g}", float("nan"),
                                unit))
            continue
        k = int(np.nanargmax(np.abs(x)))
        worst = float(x[k])
        bad = np.nonzero(finite & (np.abs(x) > limit))[0]
        way = words[0] if worst > 0 else words[1]
        sentence = ""
        if len(bad):
            sentence = (f"the tibia is turned {abs(worst):.0f} deg {way} under the femur beyond "
                        f"the hip setting (more than {limit:g} deg)" if key == "rotation" else
                        f"the tibia sits {abs(worst):.0f} mm {way} the femoral condyles' centre "
                        f"(more than {limit:g} mm)") + f" at {frame_span(bad, kf)}"
        out.append(Measured(TIBIA, what, worst, f"|x| <= {limit:g}", limit - abs(worst), unit,
                            tuple(int(i) for i in bad), sentence))
    return out


def _down_against_up(knee_flexion_deg: FloatArray, value: FloatArray,
                     posture: tuple[FloatArray, ...], ok: NDArray[np.bool_]
                     ) -> tuple[FloatArray, NDArray[np.int64], FloatArray]:
    """For each solved frame of the ascent (after the deepest solved frame) that the descent
    passed in the same posture (knee flexion within the descent's range, between descent frames
    at most BRACKET_DEG apart; hip rotation and adduction within HIP_MATCH_DEG): |value - the
    descent's value at that flexion|; the frames; and the descent's flexions in order."""
    kf = np.asarray(knee_flexion_deg, dtype=float)
    value = np.asarray(value, dtype=float)
    use = np.asarray(ok, dtype=bool) & np.isfinite(kf) & np.isfinite(value)
    none = (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0))
    if use.sum() < 4:
        return none
    deepest = int(np.argmax(np.where(use, kf, -np.inf)))
    down = np.nonzero(use[: deepest + 1])[0]
    up = deepest + 1 + np.nonzero(use[deepest + 1:])[0]
    if len(down) < 2 or not len(up):
        return none
    order = np.argsort(kf[down])
    f_down = kf[down][order]
    inside = up[(kf[up] >= f_down[0]) & (kf[up] <= f_down[-1])]
    k = np.clip(np.searchsorted(f_down, kf[inside]), 1, len(f_down) - 1)
    same = (f_down[k] - f_down[k - 1]) <= BRACKET_DEG
    for x in posture:
        x = np.nan_to_num(np.asarray(x, dtype=float))
        same &= np.abs(np.interp(kf[inside], f_down, x[down][order]) - x[inside]) <= HIP_MATCH_DEG
    frames = inside[same]
    diff = np.abs(np.interp(kf[frames], f_down, value[down][order]) - value[frames])
    return diff, frames, f_down


def _columns(traj: Any) -> tuple[FloatArray, FloatArray, FloatArray, tuple[FloatArray, ...]]:
    posture = tuple(np.asarray(traj[k], dtype=float)
                    for k in ("hip_driven_rotation_deg", "hip_driven_adduction_deg"))
    return (np.asarray(traj["knee_flexion_deg"], dtype=float),
            np.asarray(traj["patella_lateral_tilt_deg"], dtype=float),
            np.asarray(traj["patella_lateral_shift_mm"], dtype=float), posture)


def two_balance_frames(knee_flexion_deg: FloatArray, tilt_deg: FloatArray, shift_mm: FloatArray,
                       posture: tuple[FloatArray, ...], ok: NDArray[np.bool_]
                       ) -> NDArray[np.bool_]:
    """Frames where the model balances the kneecap two ways: the ascent's frames whose tilt or
    shift is beyond TWO_BALANCES of the descent's at the same flexion and posture, and the
    descent's frames over the same flexions (which of the two the knee takes is not known)."""
    kf = np.asarray(knee_flexion_deg, dtype=float)
    out = np.zeros(len(kf), dtype=bool)
    for value, limit in ((tilt_deg, TWO_BALANCES[0]), (shift_mm, TWO_BALANCES[1])):
        diff, frames, _ = _down_against_up(kf, value, posture, ok)
        out[frames[diff > limit]] = True
    if out.any():
        ok_ = np.asarray(ok, dtype=bool)
        deepest = int(np.argmax(np.where(ok_ & np.isfinite(kf), kf, -np.inf)))
        lo, hi = float(np.min(kf[out])), float(np.max(kf[out]))
        down = np.arange(len(kf)) <= deepest
        out |= down & ok_ & (kf >= lo) & (kf <= hi)
    return out


def kneecap_path(traj: Any, ok: NDArray[np.bool_]) -> list[Measured]:
    """Does the kneecap come up the way it went down? Its tilt and shift at the same knee
    flexion and hip setting, descent against ascent, over the solved frames `ok` (those the
    model withholds for it included). Reported, not failed on: the squat withholds the frames
    where it does not (kneeviz.simulation, two_balance_frames), so they show no numbers."""
    kf, tilt, shift, posture = _columns(traj)
    out = []
    for value, what, limit, unit in (
        (tilt, "kneecap tilt, down against up", TWO_BALANCES[0], "deg"),
        (shift, "kneecap shift, down against up", TWO_BALANCES[1], "mm"),
    ):
        diff, frames, _ = _down_against_up(kf, value, posture, ok)
        if not len(diff):
            out.append(Measured(KNEECAP_PATH, what, float("nan"), f"<= {limit:g}",
                                float("nan"), unit, enforced=False))
            continue
        worst = float(diff.max())
        bad = frames[diff > limit]
        sentence = ""
        if len(bad):
            name = "tilt" if unit == "deg" else "shift"
            sentence = (f"the kneecap's {name} differs by {worst:.1f} {unit} going down and "
                        f"coming up at the same knee flexion and hip setting (more than "
                        f"{limit:g} {unit}), at {frame_span(bad, kf)}: the model balances the "
                        "kneecap two ways there and cannot say which the knee takes")
        out.append(Measured(KNEECAP_PATH, what, worst, f"<= {limit:g}", limit - worst, unit,
                            tuple(int(i) for i in bad), sentence, enforced=False))
    return out


TISSUES = (("mpfl_tension_n", "medial patellofemoral ligament", False),
           ("lateral_retinaculum_tension_n", "lateral retinaculum", True),
           ("patellar_tendon_force_n", "patellar tendon", True))
"""(column, name, enforced). The medial ligament is measured but not failed on: a healthy squat
can leave it slack throughout in a real knee (the Lenhart 2015 knee with its own cartilage:
0.00 N over the healthy squat, engaging with the hip turned in), so its silence does not tell a
broken knee from a sound one (docs/validation.md, "Self-check"). The lateral retinaculum engages
in flexion in every knee we have (2.9 N and more); the patellar tendon balances the quadriceps."""


def soft_tissues(traj: Any, ok: NDArray[np.bool_]) -> list[Any]:
    """Each soft tissue's largest tension over the solved frames."""
    frames = np.nonzero(ok)[0]
    kf = np.asarray(traj["knee_flexion_deg"], dtype=float)
    covered = bool(len(frames)) and (float(np.nanmin(kf[frames])) <= TISSUE_RANGE_DEG[0]
                                     and float(np.nanmax(kf[frames])) >= TISSUE_RANGE_DEG[1])
    out = []
    for key, name, enforced in TISSUES:
        t = np.asarray(traj[key], dtype=float)[frames]
        if not covered:
            out.append(Measured(SOFT_TISSUES, name, float("nan"),
                                f">= {TISSUE_ENGAGED_N:g}", float("nan"), "N",
                                enforced=enforced))
            continue
        worst = float(np.nanmax(t))
        margin = worst - TISSUE_ENGAGED_N
        failed = margin < 0 and enforced
        sentence = (f"the {name} never engages over {frame_span(frames, kf)}: {worst:.2f} N at "
                    "most, where the bundled, ICL and Lenhart knees' do" if failed else "")
        out.append(Measured(SOFT_TISSUES, name, worst, f">= {TISSUE_ENGAGED_N:g}", margin, "N",
                            tuple(int(i) for i in frames) if failed else (), sentence,
                            enforced))
    return out


def frame_span(frames: Iterable[Any], knee_flexion_deg: Any = None) -> str:
    """ "frames 95-146 (knee flexion 104-120 deg)", with runs: "frames 3-9, 40-52"."""
    idx = sorted(int(i) for i in frames)
    if not idx:
        return "no frame"
    runs: list[tuple[int, int]] = []
    for i in idx:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    shown = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:4])
    if len(runs) > 4:
        shown += ", ..."
    text = f"frame{'s' if len(idx) > 1 else ''} {shown}"
    if knee_flexion_deg is not None:
        kf = np.asarray(knee_flexion_deg, dtype=float)[idx]
        lo, hi = float(np.nanmin(kf)), float(np.nanmax(kf))
        text += (f" (knee flexion {lo:.0f} deg)" if round(lo) == round(hi)
                 else f" (knee flexion {lo:.0f}-{hi:.0f} deg)")
    return text
