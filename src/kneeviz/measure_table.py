"""Every per-frame quantity kneeviz reports, once: key, words, unit, format and what it needs.

The trajectory's columns (kneeviz.simulation), the data files (kneeviz.trajectory_file), the
app's readouts and plots and the video captions all read this table, so a quantity is named,
rounded and explained the same way everywhere, and a new measure is its computation plus one row:
each row's computation is the function of the same key in kneeviz.mechanics.frame_measures, which
refuses to load when a row has none (docs/development.md has the worked example).

Everything reads the table through the functions below (`measures()`, `keys()`, `readouts()`,
...), never a copy taken at import, so a row added at run time (`added`, used by the tests that
prove no list of measures is written by hand anywhere) reaches every file and view.

`depends` says what a value needs: "kinematics" (the bones alone: true whatever the kneecap does,
known before any solve), "pose" (the kneecap's solved pose), "contact" (the solved contact), or
"solver" (how the solve went). Past a dislocation only the kinematic values are results.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINEMATICS, POSE, CONTACT, SOLVER = "kinematics", "pose", "contact", "solver"


@dataclass(frozen=True)
class Measure:
    key: str
    """Column name in every file (unit in the name)."""
    label: str
    """Plain words for a readout ("Kneecap tilt (+ outward)")."""
    short: str
    """A few words for a plot title or a caption ("kneecap tilt")."""
    unit: str
    """As shown after the number ("deg", "mm", "%", "MPa", ...; "" for none)."""
    fmt: str
    """Python format spec of the shown number ("+.1f")."""
    depends: str
    kind: str = "float"
    """"float", "int" or "bool" (how files write it)."""
    readout: int = 0
    """Place in the app's readout panel (1 first; 0: not shown there)."""
    plot: bool = False
    """Plotted against knee flexion in the app."""
    caption: bool = False
    """Written in the caption strip of videos and screenshots."""
    essential: int = 0
    """Place among the app's three essential numbers, beside the healthy squat's (1 first; 0:
    not one of them)."""
    plain: str = ""
    """Its words for a patient beside the clinician ("Kneecap out from its groove's centre"):
    the essential numbers' labels."""
    tip: str = ""

    def number(self, value: float) -> str:
        """The value in this measure's format, "-" when unknown; a value that rounds to zero
        reads as zero ("+0.0", not "-0.0": a sign on nothing looks like a direction)."""
        if not math.isfinite(value):
            return "-"
        text = format(value, self.fmt)
        if float(text.rstrip("%")) == 0.0:  # a "%" format writes its own sign of percent
            text = format(0.0, self.fmt)
        return text

    def text(self, value: float) -> str:
        """Number and unit ("+3.4 deg"), or "-"."""
        n = self.number(value)
        if n == "-" or not self.unit:
            return n
        return f"{n} {self.unit}"

    @property
    def title(self) -> str:
        """Plot title: the short words with the unit ("Kneecap tilt (deg)")."""
        words = self.short[:1].upper() + self.short[1:]
        return f"{words} ({self.unit})" if self.unit else words


def _m(key: str, label: str, short: str, unit: str, fmt: str, depends: str, **kw: object
       ) -> Measure:
    return Measure(key, label, short, unit, fmt, depends, **kw)  # type: ignore[arg-type]


TT_TG_TIP = (
    "How far outward the kneecap's tendon attaches on the shin bone, measured from the deepest "
    "point of the groove in this frame. On a CT scan in a straight knee, below 15 mm is normal "
    "and above 20 mm counts as an outward-set tendon. It grows as the thigh turns inward over "
    "the planted foot, and falls as the knee bends."
)

FEMUR_UNDER_TIP = (
    "How far the thigh bone has turned inward relative to the kneecap, in the image (world) "
    "frame: the femur's rotation minus the kneecap's. Souza et al. 2010 (weight-bearing MRI) "
    "saw this grow in patellofemoral pain while the kneecap's own rotation barely changed."
)

_ROWS: tuple[Measure, ...] = (
    _m("time_s", "Time", "time", "s", ".3f", KINEMATICS),
    _m("knee_flexion_deg", "Knee flexion", "knee flexion", "deg", ".0f", KINEMATICS,
       readout=1, caption=True),
    _m("hip_driven_rotation_deg", "Hip-driven femoral internal rotation, this frame",
       "hip-driven rotation", "deg", "+.1f", KINEMATICS),
    _m("femur_rotation_world_deg", "Femur rotation (+ inward)", "femur rotation", "deg", "+.1f",
       KINEMATICS, readout=2, essential=1, plain="Thigh bone turned in"),
    _m("patella_rotation_world_deg", "Kneecap rotation (+ inward)", "kneecap rotation", "deg",
       "+.1f", POSE),
    _m("patella_flexion_deg", "Kneecap flexion", "kneecap flexion", "deg", ".1f", POSE),
    _m("patella_lateral_tilt_deg", "Kneecap tilt (+ outward)", "kneecap tilt", "deg", "+.1f",
       POSE, readout=4, plot=True, caption=True),
    _m("patella_lateral_shift_mm", "Kneecap shift (+ outward)", "kneecap shift", "mm", "+.1f",
       POSE, readout=5, plot=True, caption=True, essential=2,
       plain="Kneecap out from its groove's centre"),
    _m("bisect_offset_pct", "Bisect offset", "bisect offset", "%", ".0f", POSE, readout=6),
    _m("contact_area_mm2", "Contact area", "contact area", "mm\u00b2", ".0f", CONTACT,
       readout=7),
    _m("mean_pressure_mpa", "Mean pressure", "mean pressure", "MPa", ".2f", CONTACT),
    _m("peak_pressure_mpa", "Peak pressure", "peak pressure", "MPa", ".1f", CONTACT,
       readout=8),
    _m("lateral_force_fraction", "Lateral facet's share of the contact force",
       "lateral share", "", ".0%", CONTACT, essential=3, plain="Load on the kneecap's outer side"),
    _m("quadriceps_force_n", "Quadriceps force", "quadriceps force", "N", ".0f", CONTACT),
    _m("quadriceps_force_bw", "Quadriceps force", "quadriceps force", "x body weight", ".1f",
       CONTACT),
    _m("patellar_tendon_force_n", "Patellar tendon force", "tendon force", "N", ".0f", CONTACT),
    _m("pfjrf_n", "Joint force", "joint force", "N", ".0f", CONTACT),
    _m("pfjrf_bw", "Joint force", "joint force", "x body weight", ".1f", CONTACT,
       readout=9),
    _m("residual_n", "Force left unbalanced", "residual force", "N", ".2g", SOLVER),
    _m("iterations", "Solver iterations", "iterations", "", "d", SOLVER, kind="int"),
    _m("residual_moment_nmm", "Moment left unbalanced", "residual moment", "N mm", ".2g",
       SOLVER),
    _m("hip_driven_adduction_deg", "Hip-driven adduction, this frame", "hip-driven adduction",
       "deg", "+.1f", KINEMATICS),
    _m("converged", "Balance settled", "converged", "", "", SOLVER, kind="bool"),
    _m("mpfl_tension_n", "Medial patellofemoral ligament tension", "MPFL tension", "N", ".0f",
       CONTACT),
    _m("lateral_retinaculum_tension_n", "Lateral retinaculum tension",
       "lateral retinaculum tension", "N", ".0f", CONTACT),
    _m("tt_tg_mm", "Tendon offset (dynamic TT-TG)", "TT-TG", "mm", ".0f", KINEMATICS,
       readout=3, tip=TT_TG_TIP),
    _m("dislocated", "Kneecap off its groove", "dislocated", "", "", POSE, kind="bool"),
    _m("femur_turn_under_kneecap_deg", "Thigh bone's turn under the kneecap (+ inward)",
       "femur turn under kneecap", "deg", "+.1f", POSE, tip=FEMUR_UNDER_TIP),
)
"""The built-in rows in file column order (read them through `measures()`)."""

_added: list[Measure] = []


def measures() -> tuple[Measure, ...]:
    """Every row, in file column order (the built-in rows, then any added at run time)."""
    return (*_ROWS, *_added)


def by_key() -> dict[str, Measure]:
    return {m.key: m for m in measures()}


def all_keys() -> tuple[str, ...]:
    return tuple(m.key for m in measures())


def readouts() -> tuple[Measure, ...]:
    """The app's readout panel, in its order."""
    return tuple(sorted((m for m in measures() if m.readout), key=lambda m: m.readout))


def plots() -> tuple[Measure, ...]:
    """Plotted against knee flexion in the app."""
    return tuple(m for m in measures() if m.plot)


def essentials() -> tuple[Measure, ...]:
    """The app's essential numbers (shown beside the healthy squat's), in their order."""
    return tuple(sorted((m for m in measures() if m.essential), key=lambda m: m.essential))


def caption() -> tuple[Measure, ...]:
    """Written in the caption strip of videos and screenshots."""
    return tuple(m for m in measures() if m.caption)


def kinematic_keys() -> frozenset[str]:
    """Known from the bones alone (before a solve, and past a dislocation)."""
    return frozenset(m.key for m in measures() if m.depends == KINEMATICS)


@contextlib.contextmanager
def added(measure: Measure) -> Iterator[Measure]:
    """The table with one more row while the block runs (its computation must be registered in
    kneeviz.mechanics.frame_measures too: `frame_measures.added` does both)."""
    if measure.key in by_key():
        raise ValueError(f"measure {measure.key!r} is in the table already")
    _added.append(measure)
    try:
        yield measure
    finally:
        _added.remove(measure)


def plain(measure: Measure, value: float) -> float | int | bool | None:
    """A value as files write it: bool and int kinds as such, an unknown float as None."""
    if measure.kind == "bool":
        return bool(value)
    if measure.kind == "int":
        return int(value)
    v = float(value)
    return v if math.isfinite(v) else None


# -- frames without a result ---------------------------------------------------------------------
# A frame that was not solved carries no measures in any output (files, readouts, plots,
# captions): only what the bones alone give (KINEMATICS), the solver's own flags and, for a frame
# whose solve did not converge, how far from balance it stopped. Its reason is written beside it.
NOT_CONVERGED = "did not converge"
DISLOCATED = "dislocated"
TWO_BALANCES = "two balances"
"""The kneecap balances another way coming up than going down at this knee flexion and hip
setting (kneeviz.mechanics.self_check.two_balance_frames): the model cannot say which way the
knee takes."""
NOT_DECIDED_BY_SCAN = "not decided by the scan"
"""A completed knee's frame whose kneecap would move beyond what may be shown had the knee stood
anywhere within the estimated axes' uncertainty (kneeviz.anatomy.completion_check)."""
MODEL_REASONS = (TWO_BALANCES, NOT_DECIDED_BY_SCAN)
"""Reasons the model gives for withholding a solved frame (the others are a recording's)."""
REASON_COLUMN = "not_solved_reason"
"""The files' column holding why a frame has no measures ("" when it has them)."""
REASON_CODES: tuple[str, ...] = (
    "", NOT_CONVERGED, DISLOCATED, "foot off the ground", "knee beyond range",
    "hip rotation beyond range", "hip adduction beyond range", TWO_BALANCES, NOT_DECIDED_BY_SCAN,
)
"""Numbered reasons, for formats that hold only numbers (.sto): the code is the index; the
recording's kinds are kneeviz.motion.from_recording's (the words before its reason's colon)."""
OTHER_REASON_CODE = 99


def reason_kind(reason: str) -> str:
    """A recording's reason ("foot off the ground: about 12 cm up") as its kind, the words
    before the colon ("foot off the ground")."""
    return reason.split(":", 1)[0].strip()


def withheld_by_model(reason: str) -> bool:
    """Is `reason` one the model gives for withholding a solved frame (MODEL_REASONS), not a
    recording's frame it cannot answer?"""
    return reason_kind(str(reason)) in MODEL_REASONS


def reason_code(reason: str) -> int:
    kind = reason_kind(reason)
    return REASON_CODES.index(kind) if kind in REASON_CODES else OTHER_REASON_CODE


def no_result_reasons(n: int, converged: Iterable[Any] | None = None,
                      dislocated: Iterable[Any] | None = None,
                      not_solved: Mapping[int, str] | None = None) -> list[str]:
    """Why each of n frames carries no measures, "" for a result: a recording's frame the model
    does not answer (its kind: "foot off the ground", ...), else "dislocated" (at or after the
    kneecap came off its groove), else "did not converge". `converged` None: not solved yet (no
    reason: the values are unknown, not withheld)."""
    out = [""] * n
    conv = None if converged is None else [bool(c) for c in converged]
    disl = None if dislocated is None else [float(d) > 0.5 for d in dislocated]
    for i in range(n):
        if not_solved and not_solved.get(i):
            out[i] = reason_kind(not_solved[i])
        elif disl is not None and disl[i]:
            out[i] = DISLOCATED
        elif conv is not None and not conv[i]:
            out[i] = NOT_CONVERGED
    return out


def shown(measure: Measure, reason: str) -> bool:
    """Whether `measure` is a result in a frame with this no-result reason ("" for a solved
    frame): the bones' own numbers always, the flags always, the residual force of a solve that
    did not converge (how far from balance it stopped), nothing else."""
    if not reason or measure.depends == KINEMATICS or measure.kind in ("bool", "int"):
        return True
    return measure.depends == SOLVER and reason == NOT_CONVERGED


def withheld(values: Mapping[str, Iterable[Any]], reasons: Sequence[str]
             ) -> dict[str, list[float]]:
    """`values` (key -> per-frame numbers) with every measure a frame does not carry (`shown`)
    replaced by NaN."""
    out: dict[str, list[float]] = {}
    table = by_key()
    for key, column in values.items():
        m = table.get(key)
        col = [float(v) for v in column]
        if m is not None:
            col = [v if shown(m, r) else math.nan for v, r in zip(col, reasons, strict=True)]
        out[key] = col
    return out
