"""What every take-home file says: this setting's squat against the healthy one, at the angles the
MRI study imaged, in the story's words. Pure data and numpy (no Qt): the report, the glTF file and
the page read it.

Frames: the four angles are the knee flexions Souza et al. 2010 imaged (0, 15, 30 and 45 deg, on
the way down). Each is the solved frame of the descent nearest that angle; the healthy squat has
the same timing (kneeviz.motion.from_recording.healthy_counterpart), so the same frame index is
the same knee flexion in both. A frame the model could not answer (not converged, the kneecap off
its groove, a recording's frame not solved) is never shown as a result.

Sentences: the story's (kneeviz.story_steps), chosen by what the two squats show, never by the
preset's name: "the kneecap rides toward the outside" is printed only when this squat's kneecap
sits further out than the healthy one's at the compared angles.
"""

from __future__ import annotations

import datetime as _dt
import math
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kneeviz import __version__, measure_table
from kneeviz.anatomy.completion_check import estimated_sentence
from kneeviz.errors import KneevizError
from kneeviz.result_check import result_frames
from kneeviz.scenario import HIP_PARAMETERS, PARAMETERS, PRESET_LABELS
from kneeviz.story_steps import (
    GROOVE,
    HEALTHY_SQUAT,
    KNEECAP_RIDES_OUT,
    STRONGER_HIP,
    THIGH_TURNS_IN,
    StoryStep,
)

if TYPE_CHECKING:
    from kneeviz.anatomy.knee import Anatomy
    from kneeviz.simulation import Trajectory

ANGLES_DEG = (0.0, 15.0, 30.0, 45.0)
"""The knee flexions of the axial MRI images of Souza et al. 2010 (JOSPT 40:277)."""
UNDERSIDE_AT_DEG = 30.0
"""The kneecap's underside is shown here: seated in the groove, where the outer facet's share
differs between healthy and typical PFP on the default knee (87 % against 100 %, docs/guide.md
"Seeing the maltracking: the kneecap's underside, the skyline, side by side")."""
FADED_KNEECAP_WORDS = "kneecap faded: the model cannot say where it sits at this bend"
"""What the take-home 3D file and page say of a frame that is not a result (TakeHome.usable
False), where they draw the kneecap faded (kneeviz.takehome.parts.faded), as the window does."""
ANGLE_TOLERANCE_DEG = 3.0
"""A frame further than this from an angle does not stand for it (a recording that never gets
there, a squat that stops short)."""
TABLE_KEYS = (
    "patella_lateral_tilt_deg",
    "patella_lateral_shift_mm",
    "bisect_offset_pct",
    "tt_tg_mm",
    "contact_area_mm2",
    "peak_pressure_mpa",
    "pfjrf_bw",
)
"""The readouts the report tabulates (labels, units and formats from kneeviz.measure_table)."""
CURVE_KEYS = ("patella_lateral_tilt_deg", "patella_lateral_shift_mm")
TURNED_IN_DEG = 1.0
"""The thigh bone turns in more than a healthy one's when its world rotation at the deepest
frame exceeds the healthy squat's by this much."""
FURTHER_OUT_MM = 0.5
"""The kneecap rides further out when its shift at the compared angles exceeds the healthy
kneecap's by this much on average (the slice view's own threshold for "further out")."""
NOTE_MAX_CHARS = 1500
NAME_MAX_CHARS = 120

LIMITS_LINE = (
    "A computer model to explain, not a diagnosis: a simulated squat with typical (not this "
    "patient's) soft tissues; its kneecap shifts and turns less than MRI studies found."
)
"""The model's limits in one line (docs/model.md section 8, "Known limits", at length)."""


def clean_text(text: str | None, what: str, limit: int) -> str:
    """A note or a name as typed, checked: printable characters and line breaks only, at most
    `limit` characters (one clear message otherwise)."""
    value = (text or "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise KneevizError(f"the {what} is {len(value)} characters long: at most {limit} fit "
                           "on the page; shorten it")
    for ch in value:
        if ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise KneevizError(f"the {what} holds a control or unassigned character "
                               f"(U+{ord(ch):04X}): type plain text")
    return value


@dataclass(frozen=True, eq=False)
class TakeHome:
    """This setting's squat and the healthy one on the same knee, with who made it and when."""

    anatomy: Anatomy
    this: Trajectory
    healthy: Trajectory
    title: str = ""
    """The setting's name (a saved scenario's, a recording's file name); "" = from its preset."""
    note: str = ""
    clinician: str = ""
    made_on: _dt.date = field(default_factory=_dt.date.today)

    def __post_init__(self) -> None:
        if self.this.n_frames != self.healthy.n_frames:
            raise ValueError("the healthy squat must have this squat's frames (same timing)")
        object.__setattr__(self, "note", clean_text(self.note, "note", NOTE_MAX_CHARS))
        object.__setattr__(self, "clinician",
                           clean_text(self.clinician, "clinician's name", NAME_MAX_CHARS))

    # -- names -----------------------------------------------------------------------------------
    @property
    def setting_name(self) -> str:
        if self.title:
            return self.title
        preset = self.this.scenario.preset
        return PRESET_LABELS.get(preset, preset.capitalize())

    def hip_words(self) -> str:
        """The hip settings in words ("femoral internal rotation 8 deg, hip adduction 4 deg")."""
        s = self.this.scenario
        parts = []
        for name in HIP_PARAMETERS:
            p = PARAMETERS[name]
            parts.append(f"{p.label} {float(getattr(s, name)):g} {p.unit}".rstrip())
        return ", ".join(parts)

    @property
    def knee_name(self) -> str:
        return str(self.anatomy.name)

    @property
    def is_healthy(self) -> bool:
        """This setting is the healthy hip control itself (nothing to compare)."""
        s, h = self.this.scenario, self.healthy.scenario
        return all(float(getattr(s, n)) == float(getattr(h, n)) for n in HIP_PARAMETERS) and \
            getattr(s, "steady_hip", False) == getattr(h, "steady_hip", False)

    # -- frames ----------------------------------------------------------------------------------
    def usable(self, traj: Trajectory) -> np.ndarray:
        """Frames whose kneecap numbers are results: converged, on the groove and not withheld
        (a recording's frame not solved, or one the model withholds: two balances, not decided
        by the scan): kneeviz.result_check.result_frames. A withheld frame keeps the solver's
        numbers in memory; the files blank them (kneeviz.trajectory_file), and so must the
        take-home."""
        return result_frames(traj)

    def descent(self) -> np.ndarray:
        """Frame indices of the way down: from the start to the deepest frame."""
        flex = np.asarray(self.this["knee_flexion_deg"], dtype=float)
        bottom = int(np.nanargmax(flex)) if np.isfinite(flex).any() else len(flex) - 1
        return np.arange(bottom + 1)

    def frame_at(self, flexion_deg: float) -> int | None:
        """The descent frame nearest `flexion_deg` where both squats are results, or None when
        none lies within ANGLE_TOLERANCE_DEG."""
        idx = self.descent()
        ok = (self.usable(self.this) & self.usable(self.healthy))[idx]
        if not ok.any():
            return None
        flex = np.asarray(self.this["knee_flexion_deg"], dtype=float)[idx]
        err = np.where(ok, np.abs(flex - flexion_deg), np.inf)
        k = int(np.argmin(err))
        return int(idx[k]) if err[k] <= ANGLE_TOLERANCE_DEG else None

    def why_no_frame(self, flexion_deg: float) -> str:
        """Why no frame stands for `flexion_deg` (frame_at gave None), in a few words."""
        idx = self.descent()
        flex = np.asarray(self.this["knee_flexion_deg"], dtype=float)[idx]
        near = np.abs(flex - flexion_deg) <= ANGLE_TOLERANCE_DEG
        if not near.any():
            return "not reached in this squat"
        for traj in (self.this, self.healthy):
            if np.asarray(traj["dislocated"], dtype=bool)[idx][near].all():
                return "the kneecap is off its groove here (not a result)"
            withheld = traj.meta.get("not_solved", {}) or {}
            if all(measure_table.withheld_by_model(withheld.get(str(int(k)), ""))
                   for k in idx[near]):
                return "the model cannot say where the kneecap sits here (not a result)"
        return "not solved here"

    def caveats(self) -> list[str]:
        """What the reader must know about this squat's results: a kneecap that came off its
        groove, frames of a recording not solved, frames that found no balance."""
        out = []
        n = self.this.n_frames
        flex = np.asarray(self.this["knee_flexion_deg"], dtype=float)
        for traj, who in ((self.this, "this setting"), (self.healthy, "the healthy squat")):
            off = np.asarray(traj["dislocated"], dtype=bool)
            if off.any():
                i = int(np.argmax(off))
                t = float(traj["time_s"][i] - traj["time_s"][0])
                out.append(f"In {who} the kneecap came off its groove {t:.1f} s into the "
                           f"movement ({flex[i]:.0f}\u00b0 of knee bend): the model cannot hold "
                           "a dislocated kneecap, so from there on its numbers are not results.")
        not_solved = self.this.meta.get("not_solved", {}) or {}
        by_model = [k for k, r in not_solved.items()
                    if measure_table.withheld_by_model(r)]
        if len(not_solved) > len(by_model):
            out.append(f"{len(not_solved) - len(by_model)} of {n} frames of the recording could "
                       "not be solved (the model answers a planted foot within its joint ranges) "
                       "and are left out.")
        if by_model:
            out.append(f"{len(by_model)} of {n} frames are left out because the model cannot "
                       "say where the kneecap sits there (it balances two ways, or the scan "
                       "does not decide it).")
        healthy_by_model = [k for k, r in (self.healthy.meta.get("not_solved", {}) or {}).items()
                            if measure_table.withheld_by_model(r)]
        if healthy_by_model:
            out.append(f"In the healthy squat {len(healthy_by_model)} of {n} frames are left out "
                       "for the same reason.")
        skipped = np.zeros(n, dtype=bool)
        for k in not_solved:
            if 0 <= int(k) < n:
                skipped[int(k)] = True
        stuck = ~np.asarray(self.this.converged, dtype=bool) & ~skipped & \
            ~np.asarray(self.this["dislocated"], dtype=bool)
        if stuck.any():
            out.append(f"{int(stuck.sum())} of {n} frames found no balance of forces and are "
                       "left out.")
        completion = self.anatomy.completion
        estimated = estimated_sentence(completion.bones if completion is not None else ())
        if estimated:
            out.append(estimated)
        return out

    def frames_at(self) -> dict[float, int | None]:
        return {a: self.frame_at(a) for a in ANGLES_DEG}

    def value(self, traj: Trajectory, key: str, i: int | None) -> float:
        if i is None:
            return math.nan
        return float(traj[key][i])

    # -- words -----------------------------------------------------------------------------------
    def thigh_turns_in(self) -> bool:
        """This squat's thigh bone turns further in than the healthy one's (at the deepest)."""
        i = int(self.descent()[-1])
        d = self.value(self.this, "femur_rotation_world_deg", i) - \
            self.value(self.healthy, "femur_rotation_world_deg", i)
        return bool(math.isfinite(d) and d >= TURNED_IN_DEG)

    def shift_difference_mm(self) -> float:
        """Mean of (this - healthy) kneecap shift over the compared angles (nan: none usable)."""
        diffs = [self.value(self.this, "patella_lateral_shift_mm", i)
                 - self.value(self.healthy, "patella_lateral_shift_mm", i)
                 for i in self.frames_at().values() if i is not None]
        diffs = [d for d in diffs if math.isfinite(d)]
        return float(np.mean(diffs)) if diffs else math.nan

    def rides_out(self) -> bool:
        d = self.shift_difference_mm()
        return bool(math.isfinite(d) and d >= FURTHER_OUT_MM)

    def sentences(self) -> list[str]:
        """Two or three of the story's sentences that this squat shows (see the module doc)."""
        steps: tuple[StoryStep, ...]
        if self.thigh_turns_in() and self.rides_out():
            steps = (THIGH_TURNS_IN, KNEECAP_RIDES_OUT, STRONGER_HIP)
        elif self.thigh_turns_in():
            steps = (GROOVE, THIGH_TURNS_IN)
        else:
            steps = (GROOVE, HEALTHY_SQUAT)
        return [s.message for s in steps]

    # -- numbers ---------------------------------------------------------------------------------
    def numbers(self) -> list[tuple[measure_table.Measure, list[tuple[str, str]]]]:
        """Per TABLE_KEYS measure, per angle: (this setting's number, the healthy squat's),
        formatted by the measure table ("-" where no frame stands for the angle)."""
        frames = self.frames_at()
        rows = []
        for key in TABLE_KEYS:
            m = measure_table.by_key()[key]
            cells = [(m.number(self.value(self.this, key, i)),
                      m.number(self.value(self.healthy, key, i))) for i in frames.values()]
            rows.append((m, cells))
        return rows

    def footer(self) -> str:
        return f"{self.made_on.isoformat()} \u00b7 kneeviz {__version__} \u00b7 {LIMITS_LINE}"
