"""A recorded motion (kneeviz.motion.recorded) as the squat the simulation solves.

What the file gives, frame by frame (resampled linearly to the scenario's frame rate, on the
recording's own clock):
- knee flexion = knee_angle; ankle dorsiflexion = ankle_angle, taken as the shank's forward tilt
  over a flat, planted foot; hip flexion = hip_flexion: the leg is posed from the knee and ankle,
  and the pelvis is tilted so that the hip flexion measured from the poses is the file's
  (kneeviz.motion.squat.planted_kinematics).
- the femur's rotation and adduction RELATIVE TO THE PLANTED FOOT, from the pelvis and hip
  coordinates together. kneeviz's hip parameters are hip joint angles (the presets are Souza &
  Powers 2009's hip internal rotation and Nakagawa et al. 2012's hip adduction), which the model
  realises over a held tibia (kneeviz.motion.squat step 4). The OpenSim models that write these
  files cannot do that themselves: their knee has one degree of freedom, so their tibia turns
  with the femur and a hip turning in over a planted foot shows in their foot joints. In a
  planted-foot squat the foot is set down pointing where the knee points when standing, and
  stays; relative to it the femur turns by the hip's rotation plus the pelvis's own turn over
  the foot (pelvis_rotation), and leans in by the hip's adduction plus the pelvis's side tilt
  (pelvis_list: a pelvis dropping on the other side adducts this hip). The foot's heading is
  the pelvis's in the standing frames (knee below STANDING_KNEE_DEG) of the same ground contact,
  interpolated in time between them (a turn on the spot while standing turns the feet along);
  the hip's own rotation counts whole, as the presets' does. The adduction is taken relative to
  those standing frames: a wide stance's steady abduction (10-15 deg) is the stance, not the
  knee falling in. A whole-body turn in a flexed stance reads as a rotation far beyond range and
  is flagged.
- the quadriceps load: the same quasi-static extensor moment as the synthetic squat
  (kneeviz.mechanics.loads), shared by both legs or carried by one (STANCES; Souza et al. 2010
  imaged single-limb squats).
The scenario's hip parameters become changes to the recording ("the hip turns in X deg more");
`steady_hip` gives the same recording with the femur held over the foot (the comparison).

Frames the model cannot answer are posed but not solved, each with its reason: the knee beyond
KNEE_RANGE_DEG; a foot off the ground (the pelvis higher than the leg's angles allow it to stand,
by more than FOOT_OFF_GROUND_M, as in a jump's flight or a walking step's swing); a femoral
rotation or adduction far beyond the hip sliders' ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.errors import KneevizError
from kneeviz.motion.recorded import FloatArray, Recording, check_side, read_recording
from kneeviz.motion.squat import SquatKinematics, planted_kinematics, squat_kinematics
from kneeviz.scenario import Scenario

STANCES = {"both": 2, "single": 1}
"""Stance name -> legs sharing the body weight."""
KNEE_RANGE_DEG = (-5.0, 140.0)
"""Knee flexion the model answers: slight hyperextension to the deepest synthetic squat."""
ROTATION_RANGE_DEG = (-25.0, 45.0)
"""Femoral rotation relative to the foot the model answers: the hip slider's -10..30 with 15 deg
to spare either way (a recording's rotation is not a slider setting, but far beyond it the
tibiofemoral joint would be twisted past anything the coupling describes)."""
ADDUCTION_RANGE_DEG = (-25.0, 30.0)
"""Femoral adduction (relative to standing) the model answers; the slider's -10..20 and more."""
STANDING_KNEE_DEG = 15.0
FOOT_OFF_GROUND_M = 0.08
"""The pelvis this much higher than the leg's angles let it stand: the foot is off the ground.
A walking stance moves the pelvis about 2-3 cm; a jump's flight 0.3-0.7 m; a swing about 0.2 m."""
NOMINAL_SHANK_M = 0.43
NOMINAL_THIGH_M = 0.40
NOMINAL_ANKLE_HEIGHT_M = 0.06
HIP_IN_PELVIS_M = (-0.0707, -0.0661)
"""The hip centre in the pelvis frame (anterior, up) of the unscaled gait2392 model; the leg
lengths above are that model's too (knee 0.40 m below the hip, ankle 0.43 m below the knee).
They are scaled by the recording's standing pelvis height."""
POSE_LIMITS_DEG = {"dorsiflexion": (-40.0, 50.0), "hip_flexion": (-30.0, 150.0)}
"""Where angles of frames that are not solved are clipped for display."""


@dataclass(frozen=True, eq=False)
class RecordedCurves:
    """A recording resampled and read as a planted-foot movement (no knee geometry yet)."""

    time_s: FloatArray
    knee_flexion_deg: FloatArray
    hip_flexion_deg: FloatArray
    dorsiflexion_deg: FloatArray
    femoral_rotation_deg: FloatArray
    """The femur's rotation relative to the planted foot, + = internal (module doc)."""
    hip_adduction_deg: FloatArray
    """The femur's adduction relative to standing, + = the knee falling in."""
    foot_height_m: FloatArray | None
    """How far the pelvis stands above what the leg's angles allow (0 = foot on the ground)."""
    not_solvable: tuple[str, ...]
    """Per frame, why it is not solved ("kind: detail"), "" where it is."""
    notes: tuple[str, ...]

    @property
    def n_frames(self) -> int:
        return int(self.time_s.shape[0])


def check_stance(stance: str) -> int:
    if stance not in STANCES:
        raise KneevizError(f"unknown stance {stance!r}: use {' or '.join(STANCES)}")
    return STANCES[stance]


def _resample(rec: Recording, rate_hz: float) -> tuple[FloatArray, dict[str, FloatArray],
                                                        FloatArray | None]:
    t0, t1 = float(rec.time_s[0]), float(rec.time_s[-1])
    n = int(np.floor((t1 - t0) * rate_hz + 1e-9)) + 1
    t = t0 + np.arange(n) / rate_hz
    ang = {k: np.interp(t, rec.time_s, v) for k, v in rec.angles_deg.items()}
    ty = None if rec.pelvis_ty_m is None else np.interp(t, rec.time_s, rec.pelvis_ty_m)
    return t, ang, ty


def _foot_height_m(ang: dict[str, FloatArray], ty: FloatArray) -> FloatArray:
    """Pelvis height minus the height the leg's angles give it, with the floor at the median."""
    knee, df = np.radians(ang["knee_angle"]), np.radians(ang["ankle_angle"])
    tilt = np.radians(ang["pelvis_tilt"])
    standing = ang["knee_angle"] < 10.0
    hx, hy = HIP_IN_PELVIS_M
    nominal = NOMINAL_ANKLE_HEIGHT_M + NOMINAL_SHANK_M + NOMINAL_THIGH_M - hy
    scale = float(np.median(ty[standing])) / nominal if standing.any() else 1.0
    hip_h = scale * (NOMINAL_ANKLE_HEIGHT_M + NOMINAL_SHANK_M * np.cos(df)
                     + NOMINAL_THIGH_M * np.cos(knee - df))
    pelvis_h = hip_h - scale * (hx * np.sin(tilt) + hy * np.cos(tilt))
    h = ty - pelvis_h
    return np.asarray(h - np.median(h), dtype=float)


def _contacts(on_ground: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of frames with the foot on the ground."""
    edges = np.diff(np.concatenate([[0], on_ground.astype(int), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0], strict=True))


def recorded_curves(rec: Recording, frame_rate_hz: float) -> RecordedCurves:
    """Resample `rec` and read it as a planted-foot movement, flagging what cannot be solved."""
    t, ang, ty = _resample(rec, frame_rate_hz)
    if rec.side == "l":  # mirrored into a right leg: the pelvis's turn and side tilt flip
        ang["pelvis_rotation"] = -ang["pelvis_rotation"]
        ang["pelvis_list"] = -ang["pelvis_list"]
    n = len(t)
    notes = list(rec.notes)
    foot = _foot_height_m(ang, ty) if ty is not None else None
    off = foot > FOOT_OFF_GROUND_M if foot is not None else np.zeros(n, dtype=bool)
    # the femur relative to the ground, as kneeviz's hip parameters: the hip's joint angles plus
    # the pelvis's own turn and side tilt over the planted foot (module doc)
    lean = ang["hip_adduction"] + ang["pelvis_list"]
    rot = np.zeros(n)
    add = np.zeros(n)
    knee = ang["knee_angle"]
    for a, b in _contacts(~off):
        seg = slice(a, b)
        stand = knee[seg] < STANDING_KNEE_DEG
        if not stand.any():
            stand = knee[seg] <= np.percentile(knee[seg], 10.0)
        # the foot: set down where the knee points standing, interpolated in time between the
        # standing frames of this contact (a turn on the spot while standing turns it along)
        ts = t[seg]
        pelvis = ang["pelvis_rotation"][seg]
        rot[seg] = ang["hip_rotation"][seg] + pelvis - np.interp(ts, ts[stand], pelvis[stand])
        add[seg] = lean[seg] - np.interp(ts, ts[stand], lean[seg][stand])
    reasons: list[str] = []
    for i in range(n):
        if off[i]:
            assert foot is not None
            reasons.append(f"foot off the ground: about {100.0 * foot[i]:.0f} cm up")
        elif not KNEE_RANGE_DEG[0] <= knee[i] <= KNEE_RANGE_DEG[1]:
            reasons.append(f"knee beyond range: flexion {knee[i]:.0f} deg, the model answers "
                           f"{KNEE_RANGE_DEG[0]:g}..{KNEE_RANGE_DEG[1]:g}")
        elif not ROTATION_RANGE_DEG[0] <= rot[i] <= ROTATION_RANGE_DEG[1]:
            lo, hi = ROTATION_RANGE_DEG
            reasons.append(f"hip rotation beyond range: {rot[i]:.0f} deg relative to the foot, "
                           f"the model answers {lo:g}..{hi:g}")
        elif not ADDUCTION_RANGE_DEG[0] <= add[i] <= ADDUCTION_RANGE_DEG[1]:
            reasons.append(f"hip adduction beyond range: {add[i]:.0f} deg from standing, the "
                           f"model answers {ADDUCTION_RANGE_DEG[0]:g}..{ADDUCTION_RANGE_DEG[1]:g}")
        else:
            reasons.append("")
    if all(reasons):
        raise KneevizError(
            f"no frame of the recording can be solved (the first: {reasons[0]})", rec.path
        )
    return RecordedCurves(
        time_s=t, knee_flexion_deg=knee, hip_flexion_deg=ang["hip_flexion"],
        dorsiflexion_deg=ang["ankle_angle"], femoral_rotation_deg=rot, hip_adduction_deg=add,
        foot_height_m=foot, not_solvable=tuple(reasons), notes=tuple(notes),
    )


def recorded_kinematics(
    anatomy: Anatomy,
    curves: RecordedCurves,
    scenario: Scenario,
    *,
    stance: str = "both",
    steady_hip: bool = False,
) -> SquatKinematics:
    """The SquatKinematics of a recording on this knee (module doc). The scenario's femoral
    internal rotation and hip adduction are added to the recording's; `steady_hip` replaces both
    with zero (the femur held over the foot, as in the healthy synthetic squat)."""
    legs = check_stance(stance)
    scenario.validate()
    if steady_hip:
        ir = np.zeros(curves.n_frames)
        add = np.zeros(curves.n_frames)
    else:
        ir = curves.femoral_rotation_deg + scenario.femoral_internal_rotation_deg
        add = curves.hip_adduction_deg + scenario.hip_adduction_deg
    return planted_kinematics(
        anatomy,
        curves.time_s,
        np.clip(curves.knee_flexion_deg, *KNEE_RANGE_DEG),
        femoral_internal_rotation_deg=np.clip(ir, *ROTATION_RANGE_DEG),
        hip_adduction_deg=np.clip(add, *ADDUCTION_RANGE_DEG),
        dorsiflexion_deg=np.clip(curves.dorsiflexion_deg, *POSE_LIMITS_DEG["dorsiflexion"]),
        hip_flexion_deg=np.clip(curves.hip_flexion_deg, *POSE_LIMITS_DEG["hip_flexion"]),
        legs_loaded=legs,
        not_solvable=curves.not_solvable,
    )


@dataclass(frozen=True)
class RecordedScenario(Scenario):
    """A Scenario whose squat is a recording: every Scenario parameter keeps its meaning (the
    knee's tissues, body mass, frame rate) except the squat's own shape (depth, descent, ascent),
    which the recording replaces, and the hip parameters, which become changes to it.
    `steady_hip`: the same recording with the femur held over the foot (the comparison ghost).
    Frozen and hashable like Scenario, so the app caches its solves by it; the file's content
    hash is part of it, so an edited file is a different squat."""

    motion_path: str = ""
    motion_sha256: str = ""
    side: str = "r"
    stance: str = "both"
    steady_hip: bool = False

    def validate(self) -> RecordedScenario:
        super().validate()
        check_side(self.side)
        check_stance(self.stance)
        if not self.motion_path:
            raise KneevizError("a recorded squat needs its motion file")
        return self

    def motion_dict(self) -> dict[str, object]:
        """What a results file says of the recording (plain JSON types)."""
        return {"path": self.motion_path, "sha256": self.motion_sha256, "side": self.side,
                "stance": self.stance, "steady_hip": bool(self.steady_hip)}

    @property
    def title(self) -> str:
        from pathlib import Path

        return Path(self.motion_path).name + (" (steady hip)" if self.steady_hip else "")


def recorded_scenario(base: Scenario, path: str, side: str = "r", stance: str = "both"
                      ) -> RecordedScenario:
    """`base` driven by the recording at `path` (read once here, so a bad file fails now)."""
    rec = read_recording(path, side)
    s = RecordedScenario(
        **{f.name: getattr(base, f.name) for f in fields(Scenario)},
        motion_path=str(path), motion_sha256=rec.sha256, side=rec.side, stance=stance,
    ).validate()
    _remember(s, recorded_curves(rec, s.frame_rate_hz))
    return s


def healthy_counterpart(scenario: Scenario) -> Scenario:
    """What a scenario is compared with: the same squat with healthy hip control; for a
    recording, the same recording with the femur held steady over the foot."""
    healthy = scenario.for_preset("healthy")
    if isinstance(healthy, RecordedScenario):
        healthy = replace(healthy, steady_hip=True)
    return healthy


def base_scenario(scenario: Scenario) -> Scenario:
    """The plain Scenario under a RecordedScenario (for files and presets)."""
    return Scenario(**{f.name: getattr(scenario, f.name) for f in fields(Scenario)})


_CURVES: dict[tuple[str, str, str, float], RecordedCurves] = {}


def _remember(s: RecordedScenario, curves: RecordedCurves) -> None:
    if len(_CURVES) > 8:
        _CURVES.clear()
    _CURVES[(s.motion_path, s.side, s.motion_sha256, float(s.frame_rate_hz))] = curves


def curves_for(s: RecordedScenario) -> RecordedCurves:
    """The scenario's recording read as a squat (kept in memory; re-read and checked against its
    content hash when not)."""
    key = (s.motion_path, s.side, s.motion_sha256, float(s.frame_rate_hz))
    c = _CURVES.get(key)
    if c is None:
        rec = read_recording(s.motion_path, s.side)
        if s.motion_sha256 and rec.sha256 != s.motion_sha256:
            raise KneevizError(
                f"the motion file has changed since it was opened (sha256 {rec.sha256[:12]}... "
                f"is not {s.motion_sha256[:12]}...): open it again", s.motion_path
            )
        c = recorded_curves(rec, s.frame_rate_hz)
        _remember(s, c)
    return c


def scenario_kinematics(anatomy: Anatomy, scenario: Scenario) -> SquatKinematics:
    """The kinematics a scenario describes: its recording's, or the synthetic squat."""
    if isinstance(scenario, RecordedScenario):
        return recorded_kinematics(anatomy, curves_for(scenario), scenario,
                                   stance=scenario.stance, steady_hip=scenario.steady_hip)
    return squat_kinematics(anatomy, scenario)


def not_solved_counts(reasons: tuple[str, ...]) -> dict[str, int]:
    """How many frames are not solved, by kind ("foot off the ground": 40, ...)."""
    counts: dict[str, int] = {}
    for r in reasons:
        if r:
            kind = r.split(":", 1)[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


__all__ = [
    "RecordedScenario",
    "base_scenario",
    "curves_for",
    "not_solved_counts",
    "recorded_scenario",
    "scenario_kinematics",
    "STANCES",
    "RecordedCurves",
    "check_stance",
    "recorded_curves",
    "recorded_kinematics",
]
