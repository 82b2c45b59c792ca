"""The essentials, in one panel beside the 3D view: which setting is on (its buttons), the three
numbers that matter beside the healthy squat's (kneeviz.measure_table.essentials: how far the
thigh bone turned in, how far the kneecap sits out from its groove's centre, how much of the load
its outer side carries) and the kneecap's underside map. Everything else is a tab away.

At 1366x768 the whole panel is on screen without scrolling (tests/app/test_fits_a_laptop.py).
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from kneeviz import measure_table
from kneeviz.app.panels.controls import PresetButtons
from kneeviz.app.panels.readouts import NOTE_STYLE, WARNING_STYLE, panel_note, readout_text
from kneeviz.app.state.session import Session
from kneeviz.app.support.throttle import Throttle
from kneeviz.setting_words import setting_name

VALUE_STYLE = "font-size: 16pt; font-weight: 700; color: #ffb060;"
HEALTHY_STYLE = "color: #9fb3c8;"


class EssentialsPanel(QWidget):
    """Setting, the three numbers (this setting | healthy) and the underside map."""

    def __init__(self, session: Session, underside: QWidget,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.underside = underside
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 4, 4, 4)
        col.setSpacing(6)
        box = QGroupBox("Setting")
        bl = QVBoxLayout(box)
        self.presets = PresetButtons(session, "essential-preset")
        self.preset_buttons = self.presets.buttons
        bl.addWidget(self.presets)
        self.setting = QLabel()
        self.setting.setWordWrap(True)
        bl.addWidget(self.setting)
        col.addWidget(box)

        numbers = QGroupBox("This frame")
        grid = QGridLayout(numbers)
        grid.setVerticalSpacing(2)
        grid.addWidget(QLabel("<i>this setting</i>"), 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(QLabel("<i>healthy</i>"), 0, 2, Qt.AlignmentFlag.AlignRight)
        self.rows = measure_table.essentials()
        self.values: dict[str, QLabel] = {}
        self.healthy_values: dict[str, QLabel] = {}
        for k, m in enumerate(self.rows, start=1):
            words = QLabel(m.plain or m.label)
            words.setWordWrap(True)
            words.setToolTip(m.tip or m.label)
            value = QLabel("-")
            value.setObjectName(f"essential-{m.key}")
            value.setStyleSheet(VALUE_STYLE)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            healthy = QLabel("-")
            healthy.setStyleSheet(HEALTHY_STYLE)
            healthy.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(words, k, 0)
            grid.addWidget(value, k, 1)
            grid.addWidget(healthy, k, 2)
            self.values[m.key] = value
            self.healthy_values[m.key] = healthy
        grid.setColumnStretch(0, 1)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        grid.addWidget(self.note, len(self.rows) + 1, 0, 1, 3)
        col.addWidget(numbers)
        col.addWidget(underside, 1)

        self.throttle = Throttle(self.refresh, self)
        session.frame_changed.connect(self.throttle.call)
        session.view_changed.connect(lambda: self.refresh(session.frame))
        session.healthy_changed.connect(lambda: self.refresh(session.frame))
        session.solving_changed.connect(lambda _on: self.refresh(session.frame))
        session.scenario_changed.connect(self._sync_setting)
        self._sync_setting()

    def _sync_setting(self) -> None:
        self.setting.setText(f"On: <b>{setting_name(self.session.scenario)}</b>")

    def refresh(self, i: int) -> None:
        s = self.session
        view, healthy = s.view, s.healthy_view
        j = frame_index(view.n_frames, healthy.n_frames, i) \
            if view is not None and healthy is not None else -1
        for m_ in self.rows:
            self.values[m_.key].setText(readout_text(view, m_.key, i))
            self.healthy_values[m_.key].setText(
                readout_text(healthy, m_.key, j) if j >= 0 and healthy is not None else "-")
        words, warning = panel_note(view, i, s)
        self.note.setText(words)
        self.note.setStyleSheet(WARNING_STYLE if warning else NOTE_STYLE)

    def text(self, key: str) -> str:
        return self.values[key].text()

    def healthy_text(self, key: str) -> str:
        return self.healthy_values[key].text()


def frame_index(n: int, m: int, i: int) -> int:
    """Frame i of an n-frame squat at the same phase in an m-frame one."""
    if n == m or n <= 1:
        return min(max(i, 0), m - 1)
    return int(np.clip(round(i * (m - 1) / (n - 1)), 0, m - 1))
