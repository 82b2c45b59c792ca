"""The clinical and patient views, plugged into the main window in one place.

`ClinicalViews(window)` adds to an existing MainWindow, without changing how it works:
- the pressure heat map on the cartilage (kneeviz.scene.heatmap) and the 3D overlays
  (kneeviz.scene.overlays: the healthy kneecap's outline and the drawn offset, the groove and
  kneecap lines, the thigh bone's turn, trail, lines of pull, labels, see-through kneecap), with
  a tab of toggles ("Show");
- the side panel's first tab, the essentials (kneeviz.app.panels.essentials: the setting, the
  three numbers that matter beside the healthy squat's, the kneecap's underside map); the axial
  slice (kneeviz.app.panels.axial_view) in a tab of its own; the 'What if...' controls for groove
  depth, kneecap height and the inner thigh muscle (kneeviz.app.panels.anatomy_controls) under the
  hip's;
- side by side (healthy | this setting) in the 3D view's place, the side panel kept;
- story mode for patients (kneeviz.app.panels.story) in a dock under the 3D view, with a menu
  entry; leaving it puts back the clinician's setting, view and frame.

It listens to the session: a new squat (current or healthy) goes to the overlays and the heat
map; every frame moves them (before the window paints the frame, so nothing lags a frame behind);
a new knee rebuilds the overlay actors after the scene rebuilt its own.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
from PyQt6.QtCore import Qt, QThreadPool
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLayout,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kneeviz.app.panels.anatomy_controls import AnatomyControls
from kneeviz.app.panels.axial_view import AxialView
from kneeviz.app.panels.compare_view import CompareView
from kneeviz.app.panels.essentials import EssentialsPanel
from kneeviz.app.panels.story import StoryController, StoryPanel, StoryStep
from kneeviz.app.panels.underside_view import UndersideView
from kneeviz.app.support.scroll import scrolling
from kneeviz.app.support.throttle import Throttle
from kneeviz.app.support.worker import Job
from kneeviz.app.window.window_api import KneeWindow
from kneeviz.scene.heatmap import FemurPainter, PressureHeatmap
from kneeviz.scene.overlays import OVERLAYS, Overlays, SquatPoses
from kneeviz.scene.thigh_ghost import ThighGhost
from kneeviz.view_state import OVERLAYS as OVERLAYS_WORDS
from kneeviz.view_state import ViewState

OVERLAY_TIPS = {
    "pull": "The quadriceps' and the patellar tendon's lines of pull on the kneecap (drawn once "
            "the squat is solved)",
    "rotation": "In the room view: how far the thigh bone has turned inward against a healthy "
                "squat, on a ring at the groove's level",
    "ghost": "Where a healthy hip holds the kneecap (in the thigh bone's view: on this thigh "
             "bone), and how far this one sits from it",
    "groove": "The groove's deepest line (pink) and the kneecap's centre line (orange)",
}
TABS = {"essentials": "Essentials", "slice": "Slice", "show": "Show"}
"""The clinical views' tabs in the side panel, with their words."""
PRESET_TITLES = {"healthy": "Healthy (this setting)", "pfp": "Typical PFP",
                 "severe": "Severe", "custom": "This setting"}
"""The underside map's title for this setting (the healthy map beside it is always titled
kneeviz.scene.compare.COMPARE_TITLES[0])."""
SLICE_INTERVAL_MS = 250
"""During playback the axial slice is re-cut at most every SLICE_INTERVAL_MS (it costs tens of ms
a frame in plane sections), in the same event-loop pass as a 3D frame so both share one window
composition. When paused or scrubbed it follows every frame, cut just after the 3D view has shown
it (MainWindow.after_frame), so it never delays the bones."""


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
        grid.setRowStretch(7, 1)  # the boxes together at the top

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
        self.overlays.camera_frame = display.camera_frame
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
        self.essentials = EssentialsPanel(self.session, self.underside)
        self._numbers_widgets: list[QWidget] = [window.readouts, window.plots]

        # the side panel: the essentials first, the what-if sliders under the hip's, the slice
        # and the overlays' toggles a tab away
        tabs = window.panel_tabs
        tabs.insertTab(0, self.essentials, TABS["essentials"])
        controls_layout = window.controls.layout()
        if isinstance(controls_layout, QLayout):
            controls_layout.addWidget(self.anatomy_controls)
        self.slice_tab = self.axial
        tabs.addTab(self.axial, TABS["slice"])
        self.show_tab = scrolling(self.panel)
        tabs.addTab(self.show_tab, TABS["show"])
        tabs.setCurrentWidget(self.essentials if display.underside else self.axial)
        tabs.currentChanged.connect(self._on_tab)
        self.dock: QDockWidget = window.panel_dock
        """The side panel (hidden in story mode)."""
        self.story_dock = QDockWidget("Story", window)
        self.story_dock.setObjectName("story-dock")
        self.story_dock.setWidget(self.story_panel)
        self.story_dock.setTitleBarWidget(QWidget())
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.story_dock)
        self.story_dock.hide()
        self.compare: CompareView | None = None
        """The side-by-side 3D views (made when first shown: two more 3D views cost memory)."""
        self.compare_dock = QWidget()
        """Side by side's page in the 3D view's place (window.views): shown, the side panel and
        its numbers stay beside it."""
        self.compare_dock.setObjectName("compare-page")
        QVBoxLayout(self.compare_dock).setContentsMargins(0, 0, 0, 0)
        window.views.addWidget(self.compare_dock)
        self._before_story: dict[QWidget, bool] = {}
        """Which hidden panels were visible before story mode hid them."""
        self._clinician: tuple[Any, ViewState, int, QWidget | None] | None = None
        """The clinician's scenario, view state, frame and side-panel tab before story mode."""
        self._story_waiting: Any = None
        self._model_jobs: dict[Any, Job] = {}
        """Mechanics models being built for the lines of pull (by model key)."""
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(1)
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
        s.solving_changed.connect(self._on_solving)
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
        self._want_pull_model()
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
        if self.thigh_ghost.visible:  # first: the bones' names keep clear of its words
            healthy = self.session.healthy_view
            self.thigh_ghost.set_pose(
                None if healthy is None or healthy is view else
                healthy.T_world["femur"][SquatPoses.of(healthy).index(i, view.n_frames)],
                view.T_world["femur"][i])
        self.overlays.other_words = (self.thigh_ghost.shown_words()
                                     if self.thigh_ghost.visible else [])
        self.overlays.update(i)
        if self.compare_dock.isVisible():
            self._update_compare(i)  # in the 3D view's place: every frame, as the 3D view
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
        if self.compare_dock.isVisible() and not self.window.playback.playing:
            self._update_compare(i)

    def set_compare(self, on: bool) -> None:
        """Show or hide the side-by-side 3D views (healthy | this setting)."""
        self.session.set_display(side_by_side=bool(on))

    def _show_compare(self, on: bool) -> None:
        """Side by side in the 3D view's place (the side panel stays), or the 3D view back."""
        if on and self.compare is None:
            self.compare = CompareView(self.session.anatomy)
            self.compare.set_playing(self.window.playback.playing)
            layout = self.compare_dock.layout()
            assert layout is not None
            layout.addWidget(self.compare)
            # in the 3D view's place: its pictures are the window's 3D frames
            self.compare.plotter.interactor.frameSwapped.connect(self.window.count_frame)
        views = self.window.views
        views.setCurrentWidget(self.compare_dock if on else self.window.plotter.interactor)
        box = self.panel.compare
        box.blockSignals(True)
        box.setChecked(on)
        box.blockSignals(False)
        if on:
            self._update_compare(self.session.frame)
        else:
            self.window.request_render()

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
        if new.overlays != old.overlays and "pull" in new.overlays:
            self._want_pull_model()
        if new.camera_frame != old.camera_frame:
            self.overlays.set_camera_frame(new.camera_frame)
            changed = True
        if new.side_by_side != old.side_by_side:
            self._show_compare(new.side_by_side)
        if new.underside != old.underside:
            tabs = self.window.panel_tabs
            tabs.blockSignals(True)
            tabs.setCurrentWidget(self.essentials if new.underside else self.axial)
            tabs.blockSignals(False)
            self._update_slices(self.session.frame)
        if new.thigh_ghost != old.thigh_ghost:
            self.thigh_ghost.set_visible(new.thigh_ghost)
            self.on_frame(self.session.frame)
            changed = True
        if changed:
            self.panel.sync()
            self._repaint()

    def set_camera(self, name: str) -> None:
        """A window camera preset (in its default frame), or "leg-turn" (the whole leg from the
        front and above: the thigh bone's turn against the healthy one's ghost seen opened out,
        the shin planted below it, kneeviz.scene.thigh_ghost), "above" (front and well above) or
        "kneecap" (close on the kneecap and the groove beneath it). The named ones stay in the
        room."""
        if name == "leg-turn":
            w, h = self.window.plotter.window_size
            pose = self.thigh_ghost.leg_camera(float(self.window.plotter.camera.view_angle),
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
        if self.session.display.camera_frame != "room":
            self.session.set_display(camera_frame="room")
        plotter = self.window.plotter
        plotter.camera_position = [tuple(pos), tuple(focal), tuple(up)]
        plotter.reset_camera_clipping_range()
        self.window.scene.camera_placed("room")
        self._repaint()

    def _on_tab(self, index: int) -> None:
        """The essentials (with the underside map) or the slice chosen: the view state says
        which picture the panel shows, and the newly shown one is drawn for this frame."""
        widget = self.window.panel_tabs.widget(index)
        if widget is self.essentials:
            self.session.set_display(underside=True)
        elif widget is self.axial:
            self.session.set_display(underside=False)
        self._update_slices(self.session.frame)

    def _want_pull_model(self) -> None:
        """The lines of pull need the mechanics model of the squat on screen (its muscles'
        attachments and wrap). The squat is solved in the worker process, so the model is built
        here too, off the UI thread (kneeviz.simulation.model_for: the same model for the same
        knee and tissue setting, its contact grid from the disk cache, about half a second),
        once per knee and setting; then the lines are drawn."""
        view = self.session.view
        if (view is None or "pull" not in self.session.display.overlays
                or self.overlays.extensor() is not None):
            return
        from kneeviz.simulation import model_for, model_key

        anatomy, scenario = self.session.anatomy, view.scenario
        key = model_key(anatomy, scenario)
        if key in self._model_jobs:
            return
        job = Job(lambda _p, _c: model_for(anatomy, scenario),
                  "the lines of pull could not be drawn")
        job.signals.done.connect(lambda _m, k=key: self._on_pull_model(k))
        job.signals.failed.connect(lambda _msg, k=key: self._model_jobs.pop(k, None))
        self._model_jobs[key] = job
        self._pool.start(job)

    def _on_pull_model(self, key: Any) -> None:
        self._model_jobs.pop(key, None)
        self.overlays.update(self.session.frame)
        self._repaint()

    def _repaint(self) -> None:
        w = self.window
        if hasattr(w, "request_render"):
            w.request_render()
        else:
            w.plotter.render()

    # -- story (StoryTarget) ------------------------------------------------------------------
    def story_started(self, on: bool) -> None:
        """Story mode hides every number (the side panel, the timeline, the axial view's
        measurements) and shows the large captions; leaving it brings them back, with the
        clinician's setting, view (camera, overlays, pressure colours) and frame as they were."""
        w = self.window
        if on:
            tabs = w.panel_tabs
            s = self.session
            self._clinician = (s.scenario, s.display, s.frame, tabs.currentWidget())
            self._before_story = {x: x.isVisible() for x in self._hidden_in_story()}
            for x in self._before_story:
                x.setVisible(False)
            if s.display.side_by_side:
                s.set_display(side_by_side=False)  # the story's pictures are the 3D view's
        else:
            for x, was in self._before_story.items():
                x.setVisible(was)
        self.axial.set_show_numbers(not on)
        self.heatmap.set_bar_visible(not on)
        self.overlays.show_numbers = not on
        self.story_dock.setVisible(on)
        if not on:
            w.playback.pause()
            self._story_waiting = None
            self._restore_clinician()

    def _restore_clinician(self) -> None:
        """The clinician's setting and frame first (the bones posed as they were), then their
        view, then their camera placed on those bones."""
        if self._clinician is None:
            return
        scenario, display, frame, tab = self._clinician
        self._clinician = None
        s = self.session
        if s.scenario != scenario:
            s.set_scenario(scenario)
        s.set_frame(frame)
        s.set_display(**{f.name: getattr(display, f.name) for f in fields(ViewState)})
        self.window.set_camera_frame(display.camera_frame)  # the preset placed again, as it was
        if tab is not None:
            self.window.panel_tabs.setCurrentWidget(tab)

    def _hidden_in_story(self) -> list[QWidget]:
        """The technical parts: the side panel (every number, the controls), the timeline (it
        shows seconds and degrees) and the camera bar. The 3D view and the captions are what a
        patient sees."""
        w = self.window
        return [self.dock, w.timeline, w.camera_bar]

    def story_when_ready(self, fn: Any) -> None:
        """Call fn once the step just applied is on screen: its squat solved (not the bones-only
        preview) and the 3D frame showing it painted. The story's words wait for their
        picture."""
        self._story_waiting = fn
        if not self.session.solving:
            self.window.after_frame("story-words", self._story_ready)

    def _on_solving(self, on: bool) -> None:
        if not on and self._story_waiting is not None:
            self.window.after_frame("story-words", self._story_ready)

    def _story_ready(self) -> None:
        fn, self._story_waiting = self._story_waiting, None
        if fn is not None:
            fn()

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
