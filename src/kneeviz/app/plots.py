"""Live plots against knee flexion: the current setting beside the healthy curve, with a marker at
the current frame (pyqtgraph: fast enough to redraw the marker every frame)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from kneeviz.app.session import Session
from kneeviz.app.squat_view import SquatView

PLOTS: tuple[tuple[str, str], ...] = (
    ("patella_lateral_tilt_deg", "Lateral tilt (deg)"),
    ("patella_lateral_shift_mm", "Lateral shift (mm)"),
)
CURRENT_PEN = pg.mkPen((255, 140, 40), width=3)
HEALTHY_PEN = pg.mkPen((150, 200, 255), width=2, style=pg.QtCore.Qt.PenStyle.DashLine)


def _descent(view: SquatView, key: str) -> tuple[np.ndarray, np.ndarray]:
    """The way down (up to the deepest frame): the way up retraces it, plotting both doubles the
    line without adding information."""
    flex = view.measures["knee_flexion_deg"]
    bottom = int(np.argmax(flex)) + 1
    return flex[:bottom], view.measures[key][:bottom]


class PlotPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotWidget] = {}
        self.current: dict[str, pg.PlotDataItem] = {}
        self.healthy: dict[str, pg.PlotDataItem] = {}
        self.markers: dict[str, pg.ScatterPlotItem] = {}
        for key, title in PLOTS:
            w = pg.PlotWidget()
            w.setBackground((28, 30, 36))
            w.setTitle(title, color=(230, 230, 230), size="11pt")
            w.setLabel("bottom", "knee flexion (deg)")
            w.showGrid(x=True, y=True, alpha=0.25)
            w.setMouseEnabled(x=False, y=False)
            w.hideButtons()
            w.setMinimumHeight(150)
            legend = w.addLegend(offset=(5, 5), labelTextSize="9pt")
            self.healthy[key] = w.plot([], [], pen=HEALTHY_PEN, name="healthy")
            self.current[key] = w.plot([], [], pen=CURRENT_PEN, name="this setting")
            marker = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(255, 230, 60),
                                        pen=pg.mkPen("k"))
            w.addItem(marker)
            legend.setBrush(pg.mkBrush(20, 20, 24, 180))
            self.markers[key] = marker
            self.plots[key] = w
            layout.addWidget(w)
        session.view_changed.connect(self._on_view)
        session.healthy_changed.connect(self._on_healthy)
        session.frame_changed.connect(self._on_frame)

    def _on_view(self) -> None:
        view = self.session.view
        if view is None:
            return
        for key, _ in PLOTS:
            x, y = _descent(view, key)
            self.current[key].setData(x, y, connect="finite")

    def _on_healthy(self) -> None:
        view = self.session.healthy_view
        if view is None:
            return
        for key, _ in PLOTS:
            x, y = _descent(view, key)
            self.healthy[key].setData(x, y, connect="finite")

    def _on_frame(self, i: int) -> None:
        view = self.session.view
        if view is None:
            return
        x = view.value("knee_flexion_deg", i)
        for key, _ in PLOTS:
            y = view.value(key, i)
            if np.isfinite(x) and np.isfinite(y):
                self.markers[key].setData([x], [y])
            else:
                self.markers[key].setData([], [])
