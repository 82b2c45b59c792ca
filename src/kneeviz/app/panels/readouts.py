"""The readout panel: this frame's numbers in large type, "-" until the solve provides them."""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from kneeviz import measure_table
from kneeviz.anatomy.knee import Anatomy
from kneeviz.app.state.session import Session
from kneeviz.app.state.squat_view import SquatView
from kneeviz.app.support.throttle import Throttle
from kneeviz.mechanics.measures import SUBLUXED_BISECT_OFFSET_PCT
from kneeviz.scenario import Scenario
from kneeviz.setting_words import off_normal


def frame_note(view: SquatView | None, i: int, solving: bool, scenario: Scenario | None = None,
               anatomy: Anatomy | None = None) -> str:
    """The line under the readouts: why this frame's numbers are not (yet) a result, if so.

    From the first balanced pose with the kneecap off its groove (a dislocation,
    kneeviz.mechanics.measures.dislocated_frames) every frame says its pose is not a result, even a
    balanced one: the model has no tissue or bone shaped to hold a dislocated kneecap; the note
    names what in the setting is off normal (the hip, the groove, the kneecap's height, the inner
    thigh muscle: kneeviz.setting_words.off_normal), not the hip alone. A frame whose balance did
    not settle is approximate, after a subluxation or not."""
    if view is None:
        return ""
    reason = (view.not_solved or {}).get(i)
    if reason:
        return f"Not solved: {reason} (the model answers a planted foot within its ranges)."
    bo = np.asarray(view.measures.get("bisect_offset_pct", np.zeros(0)), dtype=float)
    if i < view.n_frames and view.dislocated[i]:
        return ("The kneecap has slid off its groove (a dislocation) "
                f"{_with_what(scenario, anatomy)}. The model cannot hold it there: its pose here "
                "is not a result, so it is not drawn.")
    if view.converged is not None and not view.converged[i]:
        settled = bo[: i + 1][view.converged[: i + 1]] if len(bo) > i else np.zeros(0)
        if np.any(settled > SUBLUXED_BISECT_OFFSET_PCT):
            return ("The kneecap rides on the outer edge of its groove (a subluxation) "
                    f"{_with_what(scenario, anatomy)}, where its balance did not fully settle: "
                    "treat its numbers as approximate.")
        return ("The kneecap's balance did not fully settle at this frame: treat its numbers "
                "as approximate.")
    if not view.solved and solving:
        return "Solving the kneecap's balance..."
    return ""


def _with_what(scenario: Scenario | None, anatomy: Anatomy | None) -> str:
    """ "with this setting (thigh turned in 15°, shallow groove ...)": what is off normal."""
    if scenario is None:
        return "at this setting"
    off = off_normal(scenario, anatomy)
    return f"with {', '.join(off)}" if off else "at this setting"


def readout_text(view: SquatView | None, key: str, i: int) -> str:
    """Row `key`'s text at frame i: "-" when unknown, and for the kneecap's numbers once it has
    come off its groove (they would be the solver's, not a result; the note says why)."""
    if view is None:
        return "-"
    off = view.dislocated[i] or i in (view.not_solved or {})
    if off and key not in measure_table.kinematic_keys():
        return "-"  # off its groove, or a recorded frame the model does not answer
    return measure_table.by_key()[key].text(view.value(key, i))


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
        self.rows = measure_table.readouts()
        for m in self.rows:
            key = m.key
            value = QLabel("-")
            value.setObjectName(f"readout-{key}")
            value.setStyleSheet("font-size: 13pt; font-weight: 600;")
            # a long title takes two lines, so the number beside it is never cut off ("(+ inward)"
            # stays in one piece)
            title_label = QLabel(m.label.replace("(+ ", "(+\u00a0"))
            title_label.setWordWrap(True)
            tip = m.tip
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
        for m in self.rows:
            self.labels[m.key].setText(readout_text(view, m.key, i))
        s = self.session
        notes = (frame_note(view, i, s.solving, s.scenario, s.anatomy),
                 estimated_note(self.session.anatomy))
        self.note.setText("\n".join(n for n in notes if n))

    def text(self, key: str) -> str:
        return self.labels[key].text()
