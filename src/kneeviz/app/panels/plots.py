"""Live plots against knee flexion: the current setting beside the healthy curve, with a marker at
the current frame (pyqtgraph: fast enough to redraw the marker every frame)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kneeviz import measure_table
from kneeviz.app.state.session import Session
from kneeviz.app.state.squat_view import SquatView
from kneeviz.app.support.throttle import Throttle

CURVE_DELAY_MS = 150
CURRENT_PEN = pg.mkPen((255, 140, 40), width=3)
HEALTHY_PEN = pg.mkPen((150, 200, 255), width=2, style=pg.QtCore.Qt.PenStyle.DashLine)


def _descent(view: SquatView, key: str) -> tuple[np.ndarray, np.ndarray]:
    """The way down (up to the deepest frame): the way up retraces it, plotting both doubles the
    line without adding information. Frames where the solver did not settle, or where the kneecap
    has come off its groove, are left out (a gap), so the curve never shows such a number as if
    it were a result."""
    flex = view.measures["knee_flexion_deg"]
    # a recording: all of it, each repetition its own loop (frames not solved are gaps)
    bottom = len(flex) if view.recorded else int(np.argmax(flex)) + 1
    y = view.measures[key][:bottom].copy()
    if view.converged is not None:
        y[~view.converged[:bottom]] = np.nan
    y[view.dislocated[:bottom]] = np.nan
    return flex[:bottom], y


def _legend(recorded: bool) -> str:
    ghost = "same recording, steady hip" if recorded else "healthy"
    return (f"<span style='color:#96c8ff'>- - - {ghost}</span>&nbsp;&nbsp;&nbsp;"
            "<span style='color:#ff8c28'><b>—— this setting</b></span>&nbsp;&nbsp;&nbsp;"
            "<span style='color:#ffe63c'>● now</span>")


class PlotPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        legend = QLabel(_legend(False))
        legend.setStyleSheet("background: #1c1e24; padding: 3px; font-size: 10pt;")
        layout.addWidget(legend)
        self.legend = legend
        self.plots: dict[str, pg.PlotWidget] = {}
        self.current: dict[str, pg.PlotDataItem] = {}
        self.healthy: dict[str, pg.PlotDataItem] = {}
        self.markers: dict[str, pg.ScatterPlotItem] = {}
        for m in measure_table.plots():  # the table's plotted rows, as it is when the panel opens
            key, title = m.key, m.title
            w = pg.PlotWidget()
            w.setBackground((28, 30, 36))
            w.setTitle(title, color=(230, 230, 230), size="11pt")
            w.setLabel("bottom", "knee flexion (deg)")
            w.showGrid(x=True, y=True, alpha=0.25)
            w.setMouseEnabled(x=False, y=False)
            w.hideButtons()
            w.setMinimumHeight(150)
            # The panel repaints the plots itself, in the event-loop pass that changed them
            # (`_repaint`), so they share the window composition of that pass's 3D frame. Left to
            # the scene, each marker move reached the viewport through queued calls after that
            # composition and the window composed once more for the plots alone (measured: 40
            # extra compositions in 6 s of playback, about 13 ms each in software OpenGL).
            w.setViewportUpdateMode(pg.QtWidgets.QGraphicsView.ViewportUpdateMode.NoViewportUpdate)
            self.healthy[key] = w.plot([], [], pen=HEALTHY_PEN, name="healthy")
            self.current[key] = w.plot([], [], pen=CURRENT_PEN, name="this setting")
            marker = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(255, 230, 60),
                                        pen=pg.mkPen("k"))
            w.addItem(marker)
            self.markers[key] = marker
            self.plots[key] = w
            layout.addWidget(w)
        # Curves redraw a moment after a new squat arrives, so the 3D view (the frame the user
        # is waiting for) is painted first; a drag's rapid changes coalesce into one redraw.
        self._curve_timer = QTimer(self)
        self._curve_timer.setSingleShot(True)
        self._curve_timer.setInterval(CURVE_DELAY_MS)
        self._curve_timer.timeout.connect(self._redraw_curves)
        session.view_changed.connect(self._curve_timer.start)
        session.healthy_changed.connect(self._curve_timer.start)
        self.throttle = Throttle(self._on_frame, self)
        session.frame_changed.connect(self.throttle.call)

    def _redraw_curves(self) -> None:
        self._on_view()
        self._on_healthy()
        self._on_frame(self.session.frame)

    def _repaint(self) -> None:
        for w in self.plots.values():
            w.viewport().update()

    def _on_view(self) -> None:
        view = self.session.view
        if view is None:
            return
        self.legend.setText(_legend(view.recorded))
        for key in self.plots:
            x, y = _descent(view, key)
            self.current[key].setData(x, y, connect="finite")

    def _on_healthy(self) -> None:
        view = self.session.healthy_view
        if view is None:
            return
        for key in self.plots:
            x, y = _descent(view, key)
            self.healthy[key].setData(x, y, connect="finite")

    def _on_frame(self, i: int) -> None:
        view = self.session.view
        if view is None:
            return
        x = view.value("knee_flexion_deg", i)
        off_groove = bool(view.dislocated[i])  # its numbers are not results: no marker
        for key in self.plots:
            y = view.value(key, i)
            if np.isfinite(x) and np.isfinite(y) and not off_groove:
                self.markers[key].setData([x], [y])
            else:
                self.markers[key].setData([], [])
        self._repaint()
