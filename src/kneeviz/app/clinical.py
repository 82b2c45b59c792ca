"""The clinical and patient views, plugged into the main window in one place.

`ClinicalViews(window)` adds to an existing MainWindow, without changing how it works:
- the pressure heat map on the cartilage (kneeviz.scene.heatmap) and the 3D overlays
  (kneeviz.scene.overlays: healthy ghost, inward-turn arc, groove line, trail, lines of pull,
  labels, see-through kneecap), with a panel of toggles;
- the axial slice view (kneeviz.app.axial_view) in a dock beside the 3D view;
- the 'What if...' controls for groove depth and kneecap height (kneeviz.app.anatomy_controls);
- story mode for patients (kneeviz.app.story) in a dock under the 3D view, with a View menu entry.

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
    QCheckBox,
    QDockWidget,
    QGridLayout,
    QGroupBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kneeviz.app.anatomy_controls import AnatomyControls
from kneeviz.app.axial_view import AxialView
from kneeviz.app.story import StoryController, StoryPanel, StoryStep
from kneeviz.app.throttle import Throttle
from kneeviz.scene.heatmap import FemurPainter, PressureHeatmap
from kneeviz.scene.overlays import OVERLAYS, Overlays, SquatPoses

OVERLAY_LABELS = {
    "ghost": "Healthy kneecap (green ghost)",
    "rotation": "Thigh bone's inward turn (arc)",
    "groove": "Groove line",
    "trail": "Kneecap's path",
    "pull": "Lines of pull (quadriceps, tendon)",
    "labels": "Bone names",
}
SLICE_INTERVAL_MS = 250
"""During playback the axial slice is re-cut at most every SLICE_INTERVAL_MS (it costs tens of ms
a frame in plane sections), in the same event-loop pass as a 3D frame so both share one window
composition. When paused or scrubbed it follows every frame, cut just after the 3D view has shown
it (MainWindow.after_frame), so it never delays the bones."""


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
            box = QCheckBox(OVERLAY_LABELS[name])
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

    def sync(self) -> None:
        """Reflect the session's display state (after story mode or a scenario file set it)."""
        d = self.views.session.display
        for box, on in [(self.heatmap, d.heatmap), (self.see_through, d.see_through),
                        *[(self.boxes[n], n in d.overlays) for n in OVERLAYS]]:
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)


class ClinicalViews:
    """See the module docstring. `window` is a kneeviz.app.main_window.MainWindow."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.session = window.session
        display = self.session.display
        self.heatmap = PressureHeatmap(window.scene, visible=display.heatmap)
        self._painter: FemurPainter | None = None
        self._painter_for: Any = None
        self.overlays = Overlays(window.scene)
        self.overlays.set_all(display.overlays)
        self.overlays.set_see_through(display.see_through)
        self.axial = AxialView(self.session.anatomy)
        self.anatomy_controls = AnatomyControls(self.session)
        self.story = StoryController(self)
        self.story_slice = AxialView(self.session.anatomy)
        self.story_slice.set_show_numbers(False)
        self.story_panel = StoryPanel(self.story, side_widget=self.story_slice)
        self.panel = ClinicalPanel(self)
        self._numbers_widgets: list[QWidget] = [
            w for w in (getattr(window, "readouts", None), getattr(window, "plots", None))
            if w is not None
        ]

        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addWidget(self.panel)
        sv.addWidget(self.anatomy_controls)
        sv.addWidget(self.axial, 1)
        self.dock = QDockWidget("Axial slice and clinical views", window)
        self.dock.setObjectName("clinical-dock")
        self.dock.setWidget(side)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.story_dock = QDockWidget("Story", window)
        self.story_dock.setObjectName("story-dock")
        self.story_dock.setWidget(self.story_panel)
        self.story_dock.setTitleBarWidget(QWidget())
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.story_dock)
        self.story_dock.hide()
        self._add_menu()

        self.slice_throttle = Throttle(self._update_slices, window)
        playback = getattr(window, "playback", None)
        if playback is not None:
            playback.playing_changed.connect(self._on_playing)
        s = self.session
        # Frames: ours must run before the window paints, so reconnect the window's slot after.
        s.frame_changed.disconnect(window._render_frame)
        s.frame_changed.connect(self.on_frame)
        s.frame_changed.connect(window._render_frame)
        s.view_changed.connect(self.on_squats)
        s.healthy_changed.connect(self.on_squats)
        s.anatomy_changed.connect(self.on_anatomy)
        s.display_changed.connect(self.on_display)
        self.on_squats()

    # -- menus -----------------------------------------------------------------------------------
    def _add_menu(self) -> None:
        bar = self.window.menuBar()
        menu = bar.addMenu("&Clinical")
        a = QAction("Story mode for patients", self.window)
        a.setShortcut(QKeySequence("F5"))
        a.triggered.connect(self.story.start)
        menu.addAction(a)
        a = QAction("Skyline view", self.window)
        a.triggered.connect(lambda: self.window.set_camera("skyline"))
        menu.addAction(a)
        menu.addAction(self.dock.toggleViewAction())

    # -- session -----------------------------------------------------------------------------------
    def on_squats(self) -> None:
        view = self.session.view
        if view is None:
            return
        healthy = self.session.healthy_view
        self.overlays.set_squats(SquatPoses.of(view),
                                 SquatPoses.of(healthy) if healthy is not None else None)
        self.on_frame(self.session.frame, paint=False)

    def on_frame(self, i: int, paint: bool = False) -> None:
        view = self.session.view
        if view is None:
            return
        i = min(max(int(i), 0), view.n_frames - 1)
        pat = getattr(view, "patella_pressure_mpa", None)
        fem = getattr(view, "femur_pressure_mpa", None)
        pat_i = None if pat is None else np.asarray(pat[i])
        if pat_i is not None and bool(view.dislocated[i]):
            # off its groove the pressures are the solver's, not a result: paint none
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
        after_frame = getattr(self.window, "after_frame", None)
        if self.slice_throttle.interval_ms > 0 or after_frame is None:
            self.slice_throttle.call(i)  # playing: in this frame's pass, a few times a second
        else:
            # Paused (a scrub, a step, a new hip setting): the 3D frame goes on screen first.
            after_frame("axial-slice", lambda: self._update_slices(self.session.frame))
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
        pat_i = None if pat is None else np.asarray(pat[i])
        healthy = self.session.healthy_view
        ghost = None
        if healthy is not None and healthy is not view:
            ghost = healthy.T_femur_patella[SquatPoses.of(healthy).index(i, view.n_frames)]
        measurable = not bool(view.dislocated[i])
        for slice_view in (self.axial, self.story_slice):
            if slice_view.isVisible():
                slice_view.set_pose(view.T_femur_patella[i], ghost, pat_i, measurable=measurable)

    def _on_playing(self, on: bool) -> None:
        self.slice_throttle.set_interval(SLICE_INTERVAL_MS if on else 0)

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
        self.axial.set_anatomy(anatomy)
        self.story_slice.set_anatomy(anatomy)

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
        if changed:
            self.panel.sync()
            self._repaint()

    def set_camera(self, name: str) -> None:
        """A window camera preset, or "above" (front and well above: the thigh bone's inward turn
        opened out) or "kneecap" (close on the kneecap and the groove beneath it)."""
        if name == "above":
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
            for w, was in getattr(self, "_before_story", {}).items():
                w.setVisible(was)
        self.axial.set_show_numbers(not on)
        self.heatmap.set_bar_visible(not on)
        self.story_dock.setVisible(on)
        playback = getattr(self.window, "playback", None)
        if not on and playback is not None:
            playback.pause()

    def _hidden_in_story(self) -> list[QWidget]:
        """The technical panels: every number (readouts, plots), the controls, the clinical dock.
        The 3D view and the captions are what a patient sees."""
        out: list[QWidget] = [*self._numbers_widgets, self.dock]
        timeline = getattr(self.window, "timeline", None)
        if timeline is not None:  # it shows seconds and degrees
            out.append(timeline)
        controls = getattr(self.window, "controls", None)
        column = controls.parentWidget() if controls is not None else None
        if column is not None:
            out.append(column)
        return out

    def story_apply(self, step: StoryStep) -> None:
        w = self.window
        s = self.session
        if s.scenario.preset != step.preset:
            s.set_scenario(s.scenario_for_preset(step.preset))
        s.set_display(overlays=step.overlays, heatmap=step.heatmap, see_through=step.see_through)
        self.story_slice.setVisible(step.slice_view)
        playback = getattr(w, "playback", None)
        if step.play:
            if playback is not None:
                playback.play()
        else:
            if playback is not None and playback.playing:
                playback.pause()
            view = s.view
            if view is not None:
                flex = np.asarray(view.measures["knee_flexion_deg"], dtype=float)
                half = flex[: max(1, (len(flex) + 1) // 2)]  # on the way down
                s.set_frame(int(np.argmin(np.abs(half - step.rest_at_flexion_deg))))
        self.set_camera(step.camera)
        self.on_frame(s.frame)
        self._repaint()

    def shutdown(self) -> None:
        self.story.stop()
        self.anatomy_controls.shutdown()
