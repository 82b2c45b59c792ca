"""The clinical and patient views, plugged into the main window in one place.

`ClinicalViews(window)` adds to an existing MainWindow, without changing how it works:
- the pressure heat map on the cartilage (kneeviz.scene.heatmap) and the 3D overlays
  (kneeviz.scene.overlays: healthy ghost, inward-turn arc, groove line, trail, lines of pull,
  labels, see-through kneecap), with a panel of toggles;
- the axial slice view (kneeviz.app.panels.axial_view) in a dock beside the 3D view;
- the 'What if...' controls for groove depth and kneecap height
  (kneeviz.app.panels.anatomy_controls);
- story mode for patients (kneeviz.app.panels.story) in a dock under the 3D view, with a View
  menu entry.

It listens to the session: a new squat (current or healthy) goes to the overlays and the heat
map; every frame moves them (before the window paints the frame, so nothing lags a frame behind);
a new knee rebuilds the overlay actors after the scene rebuilt its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDockWidget,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kneeviz.app.panels.anatomy_controls import AnatomyControls
from kneeviz.app.panels.axial_view import AxialView
from kneeviz.app.panels.compare_view import CompareView
from kneeviz.app.panels.story import StoryController, StoryPanel, StoryStep
from kneeviz.app.panels.underside_view import UndersideView
from kneeviz.app.support.throttle import Throttle
from kneeviz.app.window.window_api import KneeWindow
from kneeviz.scene.heatmap import FemurPainter, PressureHeatmap
from kneeviz.scene.overlays import OVERLAYS, Overlays, SquatPoses
from kneeviz.scene.thigh_ghost import ThighGhost
from kneeviz.view_state import OVERLAYS as OVERLAYS_WORDS

FULL_PANELS_WIDTH_PX = 1280
"""Screens at least this wide (in Qt's device-independent pixels) show the 3D view and both side
panels at full width; 1366x768 is the smallest common clinic laptop."""
OVERLAY_TIPS = {
    "pull": "The quadriceps' and the patellar tendon's lines of pull on the kneecap (drawn once "
            "the squat is solved)",
    "rotation": "How far the thigh bone has turned inward against a healthy squat",
    "ghost": "Where a healthy hip would hold the kneecap, on this thigh bone",
}
PRESET_TITLES = {"healthy": "Healthy (this setting)", "pfp": "Typical PFP",
                 "severe": "Severe", "custom": "This setting"}
"""The underside map's title for this setting (the healthy map beside it is always titled
kneeviz.scene.compare.COMPARE_TITLES[0])."""
SLICE_INTERVAL_MS = 250
"""During playback the axial slice is re-cut at most every SLICE_INTERVAL_MS (it costs tens of ms
a frame in plane sections), in the same event-loop pass as a 3D frame so both share one window
composition. When paused or scrubbed it follows every frame, cut just after the 3D view has shown
it (MainWindow.after_frame), so it never delays the bones."""


def _scrolling(widget: QWidget) -> QScrollArea:
    """The widget in a scroll area that scrolls down only when the window is too short for it (a
    1366x768 clinic laptop), so the panels never force the window taller than the screen. On a
    screen at least FULL_PANELS_WIDTH_PX wide it is never narrower than the widget needs (with
    room for the scroll bar): a panel squeezed by a dock or a splitter cut its words off at the
    right edge. On a narrower screen (a laptop at 200 % scaling) the window must still fit: the
    panel may be squeezed to the width it set itself, and then scrolls sideways rather than cut
    its words off."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(widget)
    style = area.style()
    bar = style.pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) if style else 16
    need = widget.minimumWidth()  # a width the panel asked for itself is always kept
    screen = QApplication.primaryScreen()
    if screen is None or screen.availableGeometry().width() >= FULL_PANELS_WIDTH_PX:
        need = max(need, widget.minimumSizeHint().width())
    area.setMinimumWidth(need + bar + 2)
    return area


def _scroll_column(window: KneeWindow) -> QWidget | None:
    """Put the window's right-hand column (hip controls, readouts, plots) in a scroll area in
    its place in the splitter (None for a window without one)."""
    column = window.controls.parentWidget()
    splitter = column.parentWidget() if column is not None else None
    if column is None or not isinstance(splitter, QSplitter):
        return column
    index = splitter.indexOf(column)
    sizes = splitter.sizes()
    area = _scrolling(column)
    splitter.insertWidget(index, area)
    splitter.setSizes(sizes)
    return area



def no_result(view: Any, i: int) -> bool:
    """Frame i of `view` shows no measure and no pressure: off its groove, not solved or not
    converged (kneeviz.measure_table.no_result_reasons), or the squat failed its self-check
    (kneeviz.result_check)."""
    from kneeviz.app.panels.readouts import check_failed, frame_reason

    return bool(view.dislocated[i]) or bool(frame_reason(view, i)) or bool(check_failed(view))


def no_result_words(view: Any, i: int) -> tuple[str, str] | None:
    """The axial slice's two caption lines for a frame without a result (None: the slice's
    own words for a dislocation, or a result)."""
    from kneeviz.app.panels.readouts import check_failed, frame_reason
    from kneeviz.measure_table import DISLOCATED

    if check_failed(view):
        return ("This knee's result failed its self-check: nothing to measure",
                "(the readouts say which check failed)")
    reason = frame_reason(view, i)
    if reason and reason != DISLOCATED:
        return (f"This frame has no result ({reason}): nothing to measure",
                "(the pose drawn is the solver's last, not a balance)")
    return None

class ClinicalPanel(QGroupBox):
    """Toggles for the heat map, the overlays and the see-through kneecap; a skyline button."""

    def __init__(self, views: ClinicalViews, parent: QWidget | None = None) -> None:
        super().__init__("Show", parent)
        self.views = views
        grid = QGridLayout(self)
        session = views.session
        self.heatmap = QCheckBox("Pressure colours (MPa)")
        self.heatmap.setChecked(session.display.heatmap)
        self.heatmap.toggled.connect(views.set_heatmap)
        grid.addWidget(self.heatmap, 0, 0)
        self.see_through = QCheckBox("See-through kneecap")
        self.see_through.toggled.connect(views.set_see_through)
        grid.addWidget(self.see_through, 0, 1)
        self.boxes: dict[str, QCheckBox] = {}
        for k, name in enumerate(OVERLAYS):
            box = QCheckBox(OVERLAYS_WORDS[name])
            box.setToolTip(OVERLAY_TIPS.get(name, ""))
            box.setChecked(name in session.display.overlays)
            box.toggled.connect(lambda on, n=name: views.set_overlay(n, on))
            grid.addWidget(box, 1 + k // 2, k % 2)
            self.boxes[name] = box
        self.skyline = QPushButton("Skyline view")
        self.skyline.clicked.connect(lambda: views.window.set_camera("skyline"))
        self.story = QPushButton("Story mode for patients")
        self.story.clicked.connect(views.story.start)
        grid.addWidget(self.skyline, 5, 0)
        grid.addWidget(self.story, 5, 1)
        self.compare = QPushButton("Side by side with healthy")
        self.compare.setCheckable(True)
        self.compare.toggled.connect(views.set_compare)
        grid.addWidget(self.compare, 6, 0, 1, 2)

    def sync(self) -> None:
        """Reflect the session's display state (after story mode or a scenario file set it)."""
        d = self.views.session.display
        for box, on in [(self.heatmap, d.heatmap), (self.see_through, d.see_through),
                        *[(self.boxes[n], n in d.overlays) for n in OVERLAYS]]:
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)


class ClinicalViews:
    """See the module docstring. `window` is a kneeviz.app.window.main_window.MainWindow."""

    def __init__(self, window: KneeWindow) -> None:
        self.window = window
        self.session = window.session
        display = self.session.display
        self.heatmap = PressureHeatmap(window.scene, visible=display.heatmap)
        self._painter: FemurPainter | None = None
        self._painter_for: Any = None
        self.overlays = Overlays(window.scene)
        self.overlays.set_all(display.overlays)
        self.overlays.set_see_through(display.see_through)
        self.thigh_ghost = ThighGhost(window.scene)
        self.axial = AxialView(self.session.anatomy)
        self.anatomy_controls = AnatomyControls(self.session)
        self.story = StoryController(self)
        self.story_slice = AxialView(self.session.anatomy)
        self.story_slice.set_show_numbers(False)
        self.underside = UndersideView(self.session.anatomy)
        self.story_underside = UndersideView(self.session.anatomy)
        self.story_underside.set_show_numbers(False)
        self.story_side = QWidget()
        ss = QHBoxLayout(self.story_side)
        ss.setContentsMargins(0, 0, 0, 0)
        self.story_slice.setMinimumSize(220, 200)
        ss.addWidget(self.story_slice, 3)
        ss.addWidget(self.story_underside, 4)
        self.story_panel = StoryPanel(self.story, side_widget=self.story_side)
        self.panel = ClinicalPanel(self)
        self._numbers_widgets: list[QWidget] = [window.readouts, window.plots]

        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addWidget(self.panel)
        sv.addWidget(self.anatomy_controls)
        self.pictures = QTabWidget()
        self.pictures.addTab(self.axial, "Axial slice")
        self.pictures.addTab(self.underside, "Kneecap's underside")
        self.pictures.setCurrentIndex(1 if display.underside else 0)
        self.pictures.currentChanged.connect(
            lambda i: self.session.set_display(underside=i == 1))
        sv.addWidget(self.pictures, 1)
        self.dock = QDockWidget("Axial slice and clinical views", window)
        self.dock.setObjectName("clinical-dock")
        self.dock.setWidget(_scrolling(side))
        self._column_holder = _scroll_column(window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.story_dock = QDockWidget("Story", window)
        self.story_dock.setObjectName("story-dock")
        self.story_dock.setWidget(self.story_panel)
        self.story_dock.setTitleBarWidget(QWidget())
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.story_dock)
        self.story_dock.hide()
        self.compare: CompareView | None = None
        self._before_story: dict[QWidget, bool] = {}
        """Which hidden panels were visible before story mode hid them."""
        """The side-by-side 3D views (made when first shown: two more 3D views cost memory)."""
        self.compare_dock = QDockWidget("Side by side: healthy | this setting", window)
        self.compare_dock.setObjectName("compare-dock")
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.compare_dock)
        self.compare_dock.hide()
        self.compare_dock.visibilityChanged.connect(self._on_compare_visible)
        self._add_menu()

        self.slice_throttle = Throttle(self._update_slices, window)
        window.playback.playing_changed.connect(self._on_playing)
        s = self.session
        window.frame_arriving.connect(self.on_frame)  # placed before the window renders
        # A new squat on screen is followed by frame_changed (Session._show), which places
        # everything once; a new healthy reference is not.
        s.view_changed.connect(lambda: self.on_squats(place=False))
        s.healthy_changed.connect(self.on_squats)
        s.anatomy_changed.connect(self.on_anatomy)
        s.display_changed.connect(self.on_display)
        self.on_squats()

    # -- menus -----------------------------------------------------------------------------------
    def _add_menu(self) -> None:
        menu = QMenu("&Clinical", self.window)
        self.window.menu_bar().addMenu(menu)
        a = QAction("Story mode for patients", self.window)
        a.setShortcut(QKeySequence("F5"))
        a.triggered.connect(self.story.start)
        menu.addAction(a)
        a = QAction("Skyline view", self.window)
        a.triggered.connect(lambda: self.window.set_camera("skyline"))
        menu.addAction(a)
        menu.addAction(self.dock.toggleViewAction())
        a = QAction("Side by side with healthy", self.window)
        a.triggered.connect(lambda: self.set_compare(True))
        menu.addAction(a)

    # -- session -----------------------------------------------------------------------------------
    def on_squats(self, place: bool = True) -> None:
        """The squat on screen or the healthy one changed; `place` the views at the frame on
        screen (not when frame_changed follows and does it)."""
        view = self.session.view
        if view is None:
            return
        healthy = self.session.healthy_view
        self.overlays.set_squats(SquatPoses.of(view),
                                 SquatPoses.of(healthy) if healthy is not None else None)
        if self.compare is not None:
            self.compare.invalidate()  # a new squat: its frame i is a new picture
        if place:
            self.on_frame(self.session.frame, paint=False)

    def on_frame(self, i: int, paint: bool = False) -> None:
        view = self.session.view
        if view is None:
            return
        i = min(max(int(i), 0), view.n_frames - 1)
        pat = getattr(view, "patella_pressure_mpa", None)
        fem = getattr(view, "femur_pressure_mpa", None)
        pat_i = None if pat is None else np.asarray(pat[i])
        if pat_i is not None and no_result(view, i):
            # off its groove, not solved, or a squat that failed its self-check: the pressures
            # are the solver's, not a result: paint none
            pat_i = np.zeros_like(pat_i)
            fem = None
        if fem is not None:
            fem_i = np.asarray(fem[i])
        elif pat_i is not None and self.heatmap.visible:
            fem_i = self._femur_painter()(view.T_femur_patella[i], pat_i)
        else:
            fem_i = None
        self.heatmap.set_pressures(pat_i, fem_i)
        self.overlays.update(i)
        if self.thigh_ghost.visible:
            healthy = self.session.healthy_view
            self.thigh_ghost.set_pose(
                None if healthy is None or healthy is view else
                healthy.T_world["femur"][SquatPoses.of(healthy).index(i, view.n_frames)],
                view.T_world["femur"][i])
        if self.slice_throttle.interval_ms > 0:
            self.slice_throttle.call(i)  # playing: in this frame's pass, a few times a second
        else:
            # Paused (a scrub, a step, a new hip setting): the 3D frame goes on screen first.
            self.window.after_frame("axial-slice",
                                    lambda: self._update_slices(self.session.frame))
        if paint:
            self._repaint()

    def _update_slices(self, i: int) -> None:
        """Cut the axial slice (and the story's) at frame i: tens of ms of plane sections, so
        during playback it runs a few times a second (see SLICE_INTERVAL_MS), not every frame."""
        view = self.session.view
        if view is None:
            return
        i = min(max(int(i), 0), view.n_frames - 1)
        pat = getattr(view, "patella_pressure_mpa", None)
        pat_i = None if pat is None or no_result(view, i) else np.asarray(pat[i])
        healthy = self.session.healthy_view
        ghost = None
        if healthy is not None and healthy is not view:
            ghost = healthy.T_femur_patella[SquatPoses.of(healthy).index(i, view.n_frames)]
        measurable = not no_result(view, i)
        why = no_result_words(view, i)
        for slice_view in (self.axial, self.story_slice):
            if slice_view.isVisible():
                slice_view.set_pose(view.T_femur_patella[i], ghost, pat_i, measurable=measurable,
                                    why=why)
        self._update_undersides(i)
        self._update_compare(i)

    def set_compare(self, on: bool) -> None:
        """Show or hide the side-by-side 3D views (healthy | this setting)."""
        self.session.set_display(side_by_side=bool(on))

    def _show_compare(self, on: bool) -> None:
        if on and self.compare is None:
            self.compare = CompareView(self.session.anatomy)
            self.compare.set_playing(self.window.playback.playing)
            self.compare_dock.setWidget(self.compare)
        self.compare_dock.setVisible(on)
        if on:
            self._update_compare(self.session.frame)

    def _on_compare_visible(self, on: bool) -> None:
        self.session.set_display(side_by_side=bool(on))  # the dock closed by its own button
        box = self.panel.compare
        box.blockSignals(True)
        box.setChecked(on)
        box.blockSignals(False)
        if on:
            self._update_compare(self.session.frame)

    def _update_compare(self, i: int) -> None:
        view, healthy = self.session.view, self.session.healthy_view
        cmp = self.compare
        if cmp is None or view is None or not self.compare_dock.isVisible():
            return
        i = min(max(int(i), 0), view.n_frames - 1)

        def pressures(v: Any, k: int) -> tuple[Any, Any]:
            pat = getattr(v, "patella_pressure_mpa", None)
            if pat is None:
                return None, None
            p = np.zeros_like(pat[k]) if no_result(v, k) else np.asarray(pat[k])
            return p, self._femur_painter()(v.T_femur_patella[k], p)

        hp = None
        hm: tuple[Any, Any] = (None, None)
        j = -1
        if healthy is not None:
            j = SquatPoses.of(healthy).index(i, view.n_frames)
            hp, hm = healthy.poses(j), pressures(healthy, j)
        title = PRESET_TITLES.get(self.session.scenario.preset, PRESET_TITLES["custom"])
        # the same frames of the same squats as on screen: nothing to draw (a paused window
        # asks again after each 3D frame)
        key = (id(view), i, id(healthy), j)
        cmp.show_frame(hp, hm, view.poses(i), pressures(view, i), title, key=key)

    def _update_undersides(self, i: int) -> None:
        """The underside maps at frame i: the healthy squat's pressures at the same frame beside
        this setting's (none painted off the groove, as in the 3D view)."""
        shown = [u for u in (self.underside, self.story_underside) if u.isVisible()]
        view = self.session.view
        if not shown or view is None:
            return
        def frame_pressures(v: Any, k: int) -> Any:
            pat = getattr(v, "patella_pressure_mpa", None)
            if pat is None:
                return None
            k = min(max(int(k), 0), v.n_frames - 1)
            return np.zeros_like(pat[k]) if no_result(v, k) else np.asarray(pat[k])
        healthy = self.session.healthy_view
        h = None
        if healthy is not None:
            h = frame_pressures(healthy, SquatPoses.of(healthy).index(i, view.n_frames))
        title = PRESET_TITLES.get(self.session.scenario.preset, PRESET_TITLES["custom"])
        for u in shown:
            u.set_pressures(h, frame_pressures(view, i), title)

    def _on_playing(self, on: bool) -> None:
        self.slice_throttle.set_interval(SLICE_INTERVAL_MS if on else 0)
        # the skyline's capped cut (15 ms) at the same pace as the slice; exact when paused
        self.window.scene.set_recut_interval(SLICE_INTERVAL_MS / 1000.0 if on else 0.0)
        if self.compare is not None:
            self.compare.set_playing(on)  # its cuts: only once paused
            if not on:
                self._update_compare(self.session.frame)
        if not on:
            self.window.request_render()

    def _femur_painter(self) -> FemurPainter:
        """The trochlear pressures from the patellar ones (the squat view carries only those)."""
        anatomy = self.session.anatomy
        if self._painter is None or self._painter_for is not anatomy:
            self._painter, self._painter_for = FemurPainter(anatomy), anatomy
        return self._painter

    def on_anatomy(self) -> None:
        anatomy = self.session.anatomy
        self.heatmap.reattach()
        self.overlays.set_anatomy(anatomy)
        self.thigh_ghost.remove()
        self.thigh_ghost = ThighGhost(self.window.scene)
        self.thigh_ghost.set_visible(self.session.display.thigh_ghost)
        self.axial.set_anatomy(anatomy)
        self.story_slice.set_anatomy(anatomy)
        self.underside.set_anatomy(anatomy)
        self.story_underside.set_anatomy(anatomy)
        if self.compare is not None:
            self.compare.set_anatomy(anatomy)

    # -- toggles: through the session's display state ----------------------------------------------
    def set_heatmap(self, on: bool) -> None:
        self.session.set_display(heatmap=bool(on))

    def set_see_through(self, on: bool) -> None:
        self.session.set_display(see_through=bool(on))

    def set_overlay(self, name: str, on: bool) -> None:
        self.session.set_overlay(name, bool(on))

    def on_display(self, new: Any, old: Any) -> None:
        """Show the session's display state in the scene (whoever changed it)."""
        changed = False
        if new.heatmap != old.heatmap:
            self.heatmap.set_visible(new.heatmap)
            self.on_frame(self.session.frame)
            changed = True
        if new.overlays != old.overlays:
            self.overlays.set_all(new.overlays)
            changed = True
        if new.see_through != old.see_through:
            self.overlays.set_see_through(new.see_through)
            self.window.scene.update_culling()  # a see-through kneecap shows its back faces
            changed = True
        if new.side_by_side != old.side_by_side:
            self._show_compare(new.side_by_side)
        if new.underside != old.underside:
            self.pictures.setCurrentIndex(1 if new.underside else 0)
            self._update_slices(self.session.frame)
        if new.thigh_ghost != old.thigh_ghost:
            self.thigh_ghost.set_visible(new.thigh_ghost)
            self.on_frame(self.session.frame)
            changed = True
        if changed:
            self.panel.sync()
            self._repaint()

    def set_camera(self, name: str) -> None:
        """A window camera preset, or "swing" (down the axis of the thigh bone's turn against the
        healthy one: the turn's arc face-on, kneeviz.scene.thigh_ghost), "above" (front and well
        above) or "kneecap" (close on the kneecap and the groove beneath it)."""
        if name == "swing":
            plotter = self.window.plotter
            w, h = plotter.window_size
            pose = self.thigh_ghost.swing_camera(float(plotter.camera.view_angle),
                                                 w / max(h, 1))
            if pose is None:  # no healthy squat to turn against (yet): from above instead
                pose = self.overlays.turn_camera()
            pos, focal, up = pose
        elif name == "above":
            pos, focal, up = self.overlays.turn_camera()
        elif name == "kneecap":
            pos, focal, up = self.overlays.kneecap_camera()
        else:
            self.window.set_camera(name)
            return
        plotter = self.window.plotter
        plotter.camera_position = [tuple(pos), tuple(focal), tuple(up)]
        plotter.reset_camera_clipping_range()
        self._repaint()

    def _repaint(self) -> None:
        w = self.window
        if hasattr(w, "request_render"):
            w.request_render()
        else:
            w.plotter.render()

    # -- story (StoryTarget) ------------------------------------------------------------------
    def story_started(self, on: bool) -> None:
        """Story mode hides every number (readouts, plots, the axial view's measurements) and
        shows the large captions; leaving it brings them back."""
        if on:
            self._before_story = {w: w.isVisible() for w in self._hidden_in_story()}
            for w in self._before_story:
                w.setVisible(False)
        else:
            for w, was in self._before_story.items():
                w.setVisible(was)
        self.axial.set_show_numbers(not on)
        self.heatmap.set_bar_visible(not on)
        if not on:
            self.session.set_display(thigh_ghost=False)
        self.story_dock.setVisible(on)
        if not on:
            self.window.playback.pause()

    def _hidden_in_story(self) -> list[QWidget]:
        """The technical panels: every number (readouts, plots), the controls, the clinical dock.
        The 3D view and the captions are what a patient sees."""
        out: list[QWidget] = [*self._numbers_widgets, self.dock, self.compare_dock,
                              self.window.timeline]  # the timeline shows seconds and degrees
        if self._column_holder is not None:
            out.append(self._column_holder)
        return out

    def story_apply(self, step: StoryStep) -> None:
        w = self.window
        s = self.session
        if s.scenario.preset != step.preset:
            s.set_scenario(s.scenario_for_preset(step.preset))
        s.set_display(overlays=step.overlays, heatmap=step.heatmap, see_through=step.see_through,
                      thigh_ghost=step.thigh_ghost)
        self.story_slice.setVisible(step.slice_view)
        self.story_underside.setVisible(step.underside)
        self.story_side.setVisible(step.slice_view or step.underside)
        self._size_story_dock(step.slice_view or step.underside)
        playback = w.playback
        if step.play:
            playback.play()
        else:
            if playback.playing:
                playback.pause()
            view = s.view
            if view is not None:
                flex = np.asarray(view.measures["knee_flexion_deg"], dtype=float)
                half = flex[: max(1, (len(flex) + 1) // 2)]  # on the way down
                s.set_frame(int(np.argmin(np.abs(half - step.rest_at_flexion_deg))))
        self.set_camera(step.camera)
        self.on_frame(s.frame)
        self._repaint()

    def _size_story_dock(self, pictures: bool) -> None:
        """A step with pictures (the cut, the underside) gets about 45 % of the window's height
        for them; the others a caption's worth (about 30 %)."""
        h = max(1, self.window.height())
        self.window.resizeDocks([self.story_dock], [int((0.45 if pictures else 0.3) * h)],
                                Qt.Orientation.Vertical)

    def shutdown(self) -> None:
        self.story.stop()
        if self.compare is not None:
            self.compare.close_views()
        self.anatomy_controls.shutdown()
