"""The readout panel: this frame's numbers in large type, "-" until the solve provides them."""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from kneeviz.anatomy.knee import Anatomy
from kneeviz.app.session import Session
from kneeviz.app.squat_view import SquatView
from kneeviz.app.throttle import Throttle
from kneeviz.mechanics.measures import dislocated_frames

READOUTS: tuple[tuple[str, str, str], ...] = (
    ("knee_flexion_deg", "Knee flexion", "{:.0f} deg"),
    ("femur_rotation_world_deg", "Femur rotation (+ inward)", "{:+.1f} deg"),
    ("tt_tg_mm", "Tendon offset (dynamic TT-TG)", "{:.0f} mm"),
    ("patella_lateral_tilt_deg", "Kneecap tilt (+ outward)", "{:+.1f} deg"),
    ("patella_lateral_shift_mm", "Kneecap shift (+ outward)", "{:+.1f} mm"),
    ("bisect_offset_pct", "Bisect offset", "{:.0f} %"),
    ("contact_area_mm2", "Contact area", "{:.0f} mm\u00b2"),
    ("peak_pressure_mpa", "Peak pressure", "{:.1f} MPa"),
    ("pfjrf_bw", "Joint force", "{:.1f} x body weight"),
)

READOUT_TIPS: dict[str, str] = {
    "tt_tg_mm": (
        "How far outward the kneecap's tendon attaches on the shin bone, measured from the deepest "
        "point of the groove in this frame. On a CT scan in a straight knee, below 15 mm is normal "
        "and above 20 mm counts as an outward-set tendon. It grows as the thigh turns inward over "
        "the planted foot, and falls as the knee bends."
    ),
}


SUBLUXED_BISECT_OFFSET_PCT = 75.0
"""Above 75 % the kneecap is laterally subluxed (shared/reference/literature.md section 7)."""


def frame_note(view: SquatView | None, i: int, solving: bool) -> str:
    """The line under the readouts: why this frame's numbers are not (yet) a result, if so.

    From the first balanced pose with the kneecap off its groove (a dislocation,
    kneeviz.mechanics.measures.dislocated_frames) every frame says its pose is not a result, even a
    balanced one: the model has no tissue or bone shaped to hold a dislocated kneecap. A frame
    whose balance did not settle is approximate, after a subluxation or not."""
    if view is None:
        return ""
    bo = np.asarray(view.measures.get("bisect_offset_pct", np.zeros(0)), dtype=float)
    if (
        view.converged is not None
        and len(bo) == len(view.converged)
        and i < len(bo)
        and dislocated_frames(bo, view.converged)[i]
    ):
        return ("The kneecap has slid off its groove (a dislocation) at this hip setting. "
                "The model cannot hold it there: its pose here is not a result.")
    if view.converged is not None and not view.converged[i]:
        settled = bo[: i + 1][view.converged[: i + 1]] if len(bo) > i else np.zeros(0)
        if np.any(settled > SUBLUXED_BISECT_OFFSET_PCT):
            return ("The kneecap rides on the outer edge of its groove (a subluxation) at this "
                    "hip setting, where its balance did not fully settle: treat its numbers as "
                    "approximate.")
        return ("The kneecap's balance did not fully settle at this frame: treat its numbers "
                "as approximate.")
    if not view.solved and solving:
        return "Solving the kneecap's balance..."
    return ""


KINEMATIC_READOUTS = frozenset({"knee_flexion_deg", "femur_rotation_world_deg", "tt_tg_mm"})
"""Readouts set by the squat's bones alone, true whatever the kneecap does."""


def readout_text(view: SquatView | None, key: str, i: int) -> str:
    """Row `key`'s text at frame i: "-" when unknown, and for the kneecap's numbers once it has
    come off its groove (they would be the solver's, not a result; the note says why)."""
    fmt = dict((k, f) for k, _t, f in READOUTS)[key]
    if view is None:
        return "-"
    if key not in KINEMATIC_READOUTS and view.dislocated[i]:
        return "-"
    return format_readout(fmt, view.value(key, i))


def format_readout(fmt: str, value: float) -> str:
    """The value in its row's format, "-" when unknown; a value that rounds to zero reads as zero
    ("+0.0 deg", not "-0.0 deg": a sign on nothing looks like a direction to a patient)."""
    if not math.isfinite(value):
        return "-"
    text = fmt.format(value)
    try:
        rounded = float(text.split()[0])
    except ValueError:
        return text
    return fmt.format(0.0) if rounded == 0.0 else text


def estimated_note(anatomy: Anatomy | None) -> str:
    """What the readouts rest on that the scan did not hold (a partial bone completed from the
    atlas), or "" for a whole knee."""
    completion = getattr(anatomy, "completion", None)
    if completion is None or not completion.bones:
        return ""
    what = {"femur": "hip centre and femoral axis", "tibia": "ankle centre and tibial axis"}
    parts = " and ".join(what[b] for b in completion.bones)
    return (f"Axes estimated: the {parts} come from the atlas fitted to the partial "
            f"{' and '.join(completion.bones)} (shown ghosted).")


class ReadoutPanel(QGroupBox):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("This frame", parent)
        self.session = session
        form = QFormLayout(self)
        form.setVerticalSpacing(3)
        self.labels: dict[str, QLabel] = {}
        for key, title, _fmt in READOUTS:
            value = QLabel("-")
            value.setObjectName(f"readout-{key}")
            value.setStyleSheet("font-size: 13pt; font-weight: 600;")
            title_label = QLabel(title)
            tip = READOUT_TIPS.get(key, "")
            title_label.setToolTip(tip)
            value.setToolTip(tip)
            form.addRow(title_label, value)
            self.labels[key] = value
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #d9822b;")
        form.addRow(self.note)
        self.throttle = Throttle(self.refresh, self)
        session.frame_changed.connect(self.throttle.call)
        session.view_changed.connect(lambda: self.refresh(session.frame))
        session.solving_changed.connect(lambda _on: self.refresh(session.frame))

    def refresh(self, i: int) -> None:
        view = self.session.view
        for key, _title, _fmt in READOUTS:
            self.labels[key].setText(readout_text(view, key, i))
        notes = (frame_note(view, i, self.session.solving),
                 estimated_note(self.session.anatomy))
        self.note.setText("\n".join(n for n in notes if n))

    def text(self, key: str) -> str:
        return self.labels[key].text()
