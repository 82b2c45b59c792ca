"""The readout panel: this frame's numbers in large type, "-" until the solve provides them."""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from kneeviz import measure_table
from kneeviz.anatomy.completion_check import estimated_sentence
from kneeviz.anatomy.knee import Anatomy
from kneeviz.app.state.band_keeper import BandKeeper
from kneeviz.app.state.session import Session
from kneeviz.app.state.squat_view import SquatView
from kneeviz.app.support.throttle import Throttle
from kneeviz.measure_table import no_result_reasons, shown, withheld_by_model
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
    if reason and withheld_by_model(reason):
        return f"Not shown: {reason}; its numbers are not results."
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
                    f"{_with_what(scenario, anatomy)}, where its balance did not settle: its "
                    "numbers are not results and are not shown.")
        return ("The kneecap's balance did not settle at this frame: its numbers are not "
                "results and are not shown.")
    if not view.solved and solving:
        return "Solving the kneecap's balance..."
    return ""


def _with_what(scenario: Scenario | None, anatomy: Anatomy | None) -> str:
    """ "with this setting (thigh turned in 15°, shallow groove ...)": what is off normal."""
    if scenario is None:
        return "at this setting"
    off = off_normal(scenario, anatomy)
    return f"with {', '.join(off)}" if off else "at this setting"


def frame_reason(view: SquatView, i: int) -> str:
    """Why frame i carries no result ("" when it does): kneeviz.measure_table.no_result_reasons."""
    if not view.solved or not 0 <= i < view.n_frames:
        return ""
    return no_result_reasons(1, None if view.converged is None else [view.converged[i]],
                             [view.dislocated[i]],
                             {0: (view.not_solved or {}).get(i, "")})[0]


def check_failed(view: SquatView | None) -> str:
    """The self-check's one line when this squat failed it (kneeviz.result_check), else ""."""
    if view is None or view.trajectory is None:
        return ""
    from kneeviz.result_check import stored_check

    check = stored_check(view.trajectory)
    return check.problem or "" if check is not None else ""


def readout_text(view: SquatView | None, key: str, i: int) -> str:
    """Row `key`'s text at frame i: "-" when unknown, for a frame without a result (not solved,
    not converged, off its groove: the note says why) and for every frame of a squat that failed
    its self-check."""
    if view is None or check_failed(view):
        return "-"
    if not shown(measure_table.by_key()[key], frame_reason(view, i)):
        return "-"
    return measure_table.by_key()[key].text(view.value(key, i))


def band_note(band: object, i: int) -> str:
    """The readouts' range under the "How sure?" band at frame i: each solved measure's 5th and
    95th percentile over the band's squats ("" without a band, or where no squat balanced)."""
    values = getattr(band, "values", None)
    if not values:
        return ""
    kinematic = measure_table.kinematic_keys()
    parts = []
    for m in measure_table.readouts():
        if m.key in kinematic or m.key not in values or i >= values[m.key].shape[1]:
            continue
        lo, hi = float(values[m.key][0, i]), float(values[m.key][-1, i])
        if np.isfinite(lo) and np.isfinite(hi):
            unit = f" {m.unit}" if m.unit else ""
            parts.append(f"{m.short} {m.number(lo)} to {m.number(hi)}{unit}")
    if not parts:
        return ""
    return "How sure (5-95 %): " + "; ".join(parts)


def estimated_note(anatomy: Anatomy | None) -> str:
    """What the readouts rest on that the scan did not hold (a partial bone completed from the
    atlas), and how close such knees came to their whole bones in the validation, or "" for a
    whole knee (completion_check.estimated_sentence)."""
    completion = getattr(anatomy, "completion", None)
    return estimated_sentence(completion.bones if completion is not None else ())


def panel_note(view: SquatView | None, i: int, session: Session) -> tuple[str, bool]:
    """The words under a panel's numbers at frame i, and whether they are the self-check's
    warning: for a squat that failed its self-check, the check's line in place of the numbers
    (never a confident picture); else why this frame has no result, if so, and what the
    numbers rest on that the scan did not hold. Every panel with numbers shows the same."""
    failed = check_failed(view)
    if failed:
        return failed[:1].upper() + failed[1:] + ".", True
    notes = (frame_note(view, i, session.solving, session.scenario, session.anatomy),
             estimated_note(session.anatomy))
    return "\n".join(n for n in notes if n), False


NOTE_STYLE = "color: #d9822b;"
WARNING_STYLE = ("color: #ffffff; background: #a33a2a; padding: 6px; font-size: 11pt; "
                 "font-weight: 600;")


class ReadoutPanel(QGroupBox):
    def __init__(self, session: Session, band: BandKeeper | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("This frame", parent)
        self.session = session
        self.band = band
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
        self.note.setStyleSheet(NOTE_STYLE)
        form.addRow(self.note)
        self.range_note = QLabel("")
        self.range_note.setObjectName("readout-band")
        self.range_note.setWordWrap(True)
        self.range_note.setStyleSheet("color: #ffb066;")
        self.range_note.setVisible(False)
        form.addRow(self.range_note)
        if band is not None:
            band.changed.connect(lambda: self.refresh(session.frame))
        self.throttle = Throttle(self.refresh, self)
        session.frame_changed.connect(self.throttle.call)
        session.view_changed.connect(lambda: self.refresh(session.frame))
        session.solving_changed.connect(lambda _on: self.refresh(session.frame))

    def refresh(self, i: int) -> None:
        view = self.session.view
        for m in self.rows:
            self.labels[m.key].setText(readout_text(view, m.key, i))
        words, warning = panel_note(view, i, self.session)
        self.note.setText(words)
        self.note.setStyleSheet(WARNING_STYLE if warning else NOTE_STYLE)
        if warning:  # a plain warning in place of the numbers, never a confident picture
            self.range_note.setVisible(False)
            return
        shown = self.band.band if self.band is not None else None
        off = view is not None and i < view.n_frames and bool(view.dislocated[i])
        ranges = "" if off else band_note(shown, i)
        self.range_note.setText(ranges)
        self.range_note.setVisible(bool(ranges))

    def text(self, key: str) -> str:
        return self.labels[key].text()
