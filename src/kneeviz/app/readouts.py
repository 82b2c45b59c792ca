"""The readout panel: this frame's numbers in large type, "-" until the solve provides them."""

from __future__ import annotations

import math

from PyQt6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from kneeviz.app.session import Session
from kneeviz.app.throttle import Throttle

READOUTS: tuple[tuple[str, str, str], ...] = (
    ("knee_flexion_deg", "Knee flexion", "{:.0f} deg"),
    ("femur_rotation_world_deg", "Femur rotation (+ inward)", "{:+.1f} deg"),
    ("patella_lateral_tilt_deg", "Kneecap tilt (+ outward)", "{:+.1f} deg"),
    ("patella_lateral_shift_mm", "Kneecap shift (+ outward)", "{:+.1f} mm"),
    ("bisect_offset_pct", "Bisect offset", "{:.0f} %"),
    ("contact_area_mm2", "Contact area", "{:.0f} mm\u00b2"),
    ("peak_pressure_mpa", "Peak pressure", "{:.1f} MPa"),
    ("pfjrf_bw", "Joint force", "{:.1f} x body weight"),
)


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
            form.addRow(QLabel(title), value)
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
        for key, _title, fmt in READOUTS:
            v = view.value(key, i) if view is not None else math.nan
            self.labels[key].setText(fmt.format(v) if math.isfinite(v) else "-")
        note = ""
        if view is not None and view.converged is not None and not view.converged[i]:
            note = "The kneecap's balance did not fully settle at this frame: treat its numbers "\
                   "as approximate."
        elif view is not None and not view.solved and self.session.solving:
            note = "Solving the kneecap's balance..."
        self.note.setText(note)

    def text(self, key: str) -> str:
        return self.labels[key].text()
