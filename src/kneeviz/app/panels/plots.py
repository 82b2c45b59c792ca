"""Live plots against knee flexion: the current setting beside the healthy curve, with a marker at
the current frame (pyqtgraph: fast enough to redraw the marker every frame)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kneeviz import measure_table
from kneeviz.app.panels.readouts import check_failed, frame_reason
from kneeviz.app.state.band_keeper import BandKeeper
from kneeviz.app.state.session import Session
from kneeviz.app.state.squat_view import SquatView
from kneeviz.app.support.throttle import Throttle

CURVE_DELAY_MS = 150
CURRENT_PEN = pg.mkPen((255, 140, 40), width=3)
HEALTHY_PEN = pg.mkPen((150, 200, 255), width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
BAND_BRUSH = pg.mkBrush(255, 140, 40, 70)
BAND_EDGE_PEN = pg.mkPen((255, 140, 40, 110), width=1)
HOW_SURE_TIP = (
    "How sure is this curve? The tissues' properties (cartilage stiffness and thickness, the "
    "ligaments beside the kneecap, the thigh muscle's parts, body weight) are known only within "
    "published ranges. Switched on, kneeviz solves this setting again over those ranges in the "
    "background and shades where 90 % of the answers lie (5-95 %).")


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
    for i in (view.not_solved or {}):
        if i < bottom:
            y[i] = np.nan
    if check_failed(view):  # a squat that failed its self-check draws no curve at all
        y[:] = np.nan
    return flex[:bottom], y


def _legend(recorded: bool) -> str:
    ghost = "same recording, steady hip" if recorded else "healthy"
    return (f"<span style='color:#96c8ff'>- - - {ghost}</span>&nbsp;&nbsp;&nbsp;"
            "<span style='color:#ff8c28'><b>—— this setting</b></span>&nbsp;&nbsp;&nbsp;"
            "<span style='color:#ffe63c'>● now</span>")


def band_descent(band: object, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The band's way down for `key`: (knee flexion, 5th, 95th percentile), or None when the band
    has no such measure."""
    values = getattr(band, "values", {}).get(key)
    if values is None:
        return None
    flex = np.asarray(band.knee_flexion_deg)  # type: ignore[attr-defined]
    bottom = int(np.argmax(flex)) + 1
    return flex[:bottom], values[0, :bottom], values[-1, :bottom]


class PlotPanel(QWidget):
    def __init__(self, session: Session, band: BandKeeper | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.band = band
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        legend = QLabel(_legend(False))
        legend.setStyleSheet("background: #1c1e24; padding: 3px; font-size: 10pt;")
        header.addWidget(legend, 1)
        self.how_sure = QCheckBox("How sure?")
        self.how_sure.setObjectName("how-sure")
        self.how_sure.setToolTip(HOW_SURE_TIP)
        self.how_sure.setVisible(band is not None)
        header.addWidget(self.how_sure)
        layout.addLayout(header)
        self.legend = legend
        self.band_status = QLabel("")
        self.band_status.setWordWrap(True)
        self.band_status.setStyleSheet("color: #ffb066; font-size: 9pt;")
        self.band_status.setVisible(False)
        layout.addWidget(self.band_status)
        self.fills: dict[str, pg.FillBetweenItem] = {}
        self.band_edges: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
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
            low = w.plot([], [], pen=BAND_EDGE_PEN)
            high = w.plot([], [], pen=BAND_EDGE_PEN)
            fill = pg.FillBetweenItem(low, high, brush=BAND_BRUSH)
            w.addItem(fill)
            self.band_edges[key] = (low, high)
            self.fills[key] = fill
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
        if band is not None:
            self.how_sure.toggled.connect(band.set_enabled)
            band.changed.connect(self._on_band)

    def _redraw_curves(self) -> None:
        self._on_view()
        self._on_healthy()
        self._on_band()
        self._on_frame(self.session.frame)

    def _on_band(self) -> None:
        """Shade the band of the setting on screen (none while it is being solved, or off)."""
        keeper = self.band
        band = keeper.band if keeper is not None else None
        self.band_status.setText(keeper.status if keeper is not None else "")
        self.band_status.setVisible(bool(keeper is not None and keeper.status))
        for key, (low, high) in self.band_edges.items():
            part = band_descent(band, key) if band is not None else None
            if part is None:
                low.setData([], [])
                high.setData([], [])
            else:
                x, lo, hi = part
                ok = np.isfinite(lo) & np.isfinite(hi)
                low.setData(x[ok], lo[ok])
                high.setData(x[ok], hi[ok])
        self._repaint()

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
        # a frame without a result (off its groove, not solved, not converged) has no marker
        no_result = bool(frame_reason(view, i)) or bool(check_failed(view))
        for key in self.plots:
            y = view.value(key, i)
            if np.isfinite(x) and np.isfinite(y) and not no_result:
                self.markers[key].setData([x], [y])
            else:
                self.markers[key].setData([], [])
        self._repaint()
