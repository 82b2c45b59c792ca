"""The main window: a line saying which setting and knee are on, the camera bar, the 3D view and
the timeline on the left; on the right one panel of tabs (the clinical views put their essentials
first: kneeviz.app.window.clinical), so at 1366x768 the 3D view gets most of the width and nothing
that matters needs scrolling."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QElapsedTimer, Qt, QThreadPool, QTimer
from PyQt6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from pyvistaqt import QtInteractor

from kneeviz.anatomy.knee import Anatomy
from kneeviz.app.panels.controls import CameraControls, ControlPanel, Timeline
from kneeviz.app.panels.plots import PlotPanel
from kneeviz.app.panels.readouts import ReadoutPanel
from kneeviz.app.state.band_keeper import BandKeeper
from kneeviz.app.state.playback import Playback
from kneeviz.app.state.session import Session
from kneeviz.app.state.solver import Solver
from kneeviz.app.support.scroll import scrolling
from kneeviz.app.support.worker import Job
from kneeviz.app.window.about import ABOUT_HTML
from kneeviz.app.window.open_knee import OpenKneeDialog
from kneeviz.app.window.window_api import KneeWindow
from kneeviz.scenario import Scenario
from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET, KneeScene
from kneeviz.setting_words import knee_name, recording_name, setting_name, title
from kneeviz.view_state import CAMERA_FRAMES, DEFAULT_CAMERA_FRAME

PANEL_WIDTH_PX = 440
"""The side panel's width: the 3D view takes the rest (about 900 px at 1366x768)."""
HEADER_STYLE = ("background: #1d2127; color: #f2f2f2; font-size: 12pt; padding: 3px 8px;")
PROGRESS_DELAY_MS = 300
"""Show the progress bar only when a solve takes longer than this."""
MULTISAMPLES = 4
SWITCH_INTERVAL_S = 0.001
PANEL_INTERVAL_MS = 120
PROGRESS_INTERVAL_MS = 250
"""Side-panel refresh interval during playback (about 8 per second)."""
AFTER_FRAME_FALLBACK_MS = 300
"""Work queued with `after_frame` runs at the latest this long after it was queued, even when no
frame reaches the screen (a hidden or minimised window)."""


def load_anatomy_from_files(femur: str, patella: str, tibia: str,
                            warnings: list[str] | None = None) -> Anatomy:
    """The knee from three files through the one knee loader (raises KneevizError); repairs made
    are added to `warnings`."""
    from kneeviz.anatomy.knee_spec import KneeSpec
    from kneeviz.anatomy.loader import load_knee

    return load_knee(KneeSpec.from_files(femur, patella, tibia), warnings)


def load_knee_mri(femur: str, patella: str, tibia: str, extra: dict[str, str],
                  warnings: list[str]) -> Anatomy:
    """The knee File > Open knee names with knee-MRI inputs (OpenKneeDialog.knee_mri): a label map
    and its labels, or the bone files with segmented cartilage; through the one knee loader."""
    from kneeviz.anatomy.knee_spec import KneeSpec
    from kneeviz.anatomy.labelmap import parse_label_specs
    from kneeviz.anatomy.loader import load_knee

    specs = extra.get("label_values", "").replace(",", " ").split()
    spec = KneeSpec.from_files(
        femur, patella, tibia, femur_cartilage=extra.get("femur_cartilage"),
        patella_cartilage=extra.get("patella_cartilage"), labels=extra.get("labels"),
        label_values=parse_label_specs(specs, "labels"))
    return load_knee(spec, warnings)


class MainWindow(KneeWindow):
    """The window (see kneeviz.app.window.window_api for what its parts may use of it)."""

    def __init__(
        self,
        anatomy: Anatomy,
        scenario: Scenario | None = None,
        *,
        solver: Solver | None = None,
        multisampling: bool = False,
        clinical: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        """clinical=False leaves out the clinical and patient views (issue 6): the bare player,
        used by the benchmark to separate their cost from the window's."""
        super().__init__(parent)
        # The solve thread runs Python code: hand the interpreter lock over more often than the
        # default 5 ms so the UI thread (painting, events) never waits long for it.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.session = Session(anatomy, scenario or Scenario(), solver)
        self.playback = Playback(self.session, self)
        self._closed = False
        self.open_dir = ""  # last folders used (kept across runs by app/window/settings.py)
        self.export_dir = ""
        self.settings = None
        self.recent_menu = None
        self._loading_paths: tuple[str, str, str] = ("", "", "")
        self._loading_extra: dict[str, str] = {}

        # 3D view: multisampling off unless asked (3x slower under software rendering).
        self.plotter = QtInteractor(self, multi_samples=MULTISAMPLES if multisampling else 0,
                                    auto_update=False)
        self.scene = KneeScene(self.plotter, anatomy, APP_TRIANGLE_BUDGET)
        self.scene.camera_frame = self.session.display.camera_frame
        self.timeline = Timeline(self.session, self.playback)
        self.header = QLabel()
        self.header.setObjectName("setting-line")
        self.header.setStyleSheet(HEADER_STYLE)
        self.camera_bar = CameraControls()
        self.views = QStackedWidget()
        """The 3D view, or in its place the side-by-side views (kneeviz.app.window.clinical)."""
        self.views.addWidget(self.plotter.interactor)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(0)
        lv.addWidget(self.header)
        lv.addWidget(self.camera_bar)
        lv.addWidget(self.views, 1)
        lv.addWidget(self.timeline)
        self.setCentralWidget(left)

        self.controls = ControlPanel(self.session)
        self.band = BandKeeper(self.session, self)
        self.readouts = ReadoutPanel(self.session, self.band)
        self.plots = PlotPanel(self.session, self.band)
        self.panel_tabs = QTabWidget()
        self.panel_tabs.setObjectName("panel-tabs")
        self.panel_tabs.setDocumentMode(True)
        self.panel_tabs.addTab(scrolling(self.controls), "Hip and knee")
        self.panel_tabs.addTab(scrolling(self.readouts), "Numbers")
        self.panel_tabs.addTab(self.plots, "Plots")
        self.panel_dock = QDockWidget("Panel", self)
        self.panel_dock.setObjectName("panel-dock")
        self.panel_dock.setWidget(self.panel_tabs)
        self.panel_dock.setTitleBarWidget(QWidget())  # its tabs say what it holds
        self.panel_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel_dock)
        self.resizeDocks([self.panel_dock], [PANEL_WIDTH_PX], Qt.Orientation.Horizontal)
        self.update_title()

        self.status_bar = QStatusBar()
        self.setStatusBar(self.status_bar)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.progress.setFormat("solving %v/%m")
        self.progress.hide()
        self.status_bar.addPermanentWidget(self.progress)
        self.repairs_label = QLabel()
        self.repairs_label.hide()
        self.status_bar.addPermanentWidget(self.repairs_label)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_DELAY_MS)
        self._progress_timer.timeout.connect(self._maybe_show_progress)
        self._progress_clock = QElapsedTimer()

        self._build_menus(multisampling)
        self._build_shortcuts()
        bar = self.camera_bar
        bar.camera_requested.connect(self.set_camera)
        bar.frame_requested.connect(self.set_camera_frame)
        bar.follow_toggled.connect(lambda on: self.session.set_display(follow=bool(on)))
        bar.follow.setChecked(self.session.display.follow)
        bar.show_state(self.session.display.camera, self.session.display.camera_frame)
        self.session.display_changed.connect(self._on_display)
        self.session.scenario_changed.connect(self.update_title)

        self.session.frame_changed.connect(self._render_frame)
        self.playback.playing_changed.connect(self._on_playing)
        self.session.view_changed.connect(self._on_view)
        self.session.anatomy_changed.connect(self._on_anatomy)
        self.session.solving_changed.connect(self._on_solving)
        self.session.progress.connect(self._on_progress)
        self.session.error.connect(self.show_error)

        self._load_pool = QThreadPool()
        self._load_pool.setMaxThreadCount(1)
        self._load_job: Job | None = None
        self.loading = False
        self._load_warnings: list[str] = []
        self.load_warnings: tuple[str, ...] = ()
        """What the loader repaired or assumed in the last knee opened from files."""
        self.frames_rendered = 0
        """3D frames actually painted (counted after each paint that followed a request)."""
        self._render_pending = False
        self.plotter.interactor.frameSwapped.connect(self._after_paint)
        # a camera turned by hand: the sides named again for it
        self.plotter.iren.add_observer("EndInteractionEvent",
                                       lambda *_a: self.scene.update_sides())
        self._after_frame: dict[str, tuple[Callable[[], None], int]] = {}
        """Work waiting for a frame: key -> (fn, the frames_rendered count it waits for)."""
        self._after_frame_timer = QTimer(self)
        self._after_frame_timer.setSingleShot(True)
        self._after_frame_timer.timeout.connect(self._run_after_frame)

        self._camera_set = False
        # Clinical and patient views (issue 6): heat map, overlays, axial slice, story mode.
        from kneeviz.app.window.clinical import ClinicalViews

        self.clinical: ClinicalViews | None = ClinicalViews(self) if clinical else None
        self.session.start()
        self.resize(*first_size_px(self))
        self.resizeDocks([self.panel_dock], [PANEL_WIDTH_PX], Qt.Orientation.Horizontal)

    # -- menus and keys --------------------------------------------------------------------
    def _build_menus(self, multisampling: bool) -> None:
        bar = QMenuBar(self)
        self.setMenuBar(bar)
        file_menu = QMenu("&File", self)
        self.file_menu = file_menu
        bar.addMenu(file_menu)
        a = QAction("&Open knee...", self)
        a.setShortcut(QKeySequence.StandardKey.Open)
        a.triggered.connect(self.open_knee_dialog)
        file_menu.addAction(a)
        a = QAction("&Save screenshot...", self)
        a.setShortcut(QKeySequence("Ctrl+S"))
        a.triggered.connect(self.save_screenshot_dialog)
        file_menu.addAction(a)
        from kneeviz.app.window.export_actions import install_export_actions

        self.export_actions = install_export_actions(self, file_menu)
        from kneeviz.app.window.takehome_actions import TakeHomeActions

        self.takehome_actions = TakeHomeActions(self, file_menu)
        from kneeviz.app.window.motion_actions import MotionActions

        self.motion_actions = MotionActions(self, file_menu)
        a = QAction("&Quit", self)
        a.setShortcut(QKeySequence.StandardKey.Quit)
        a.triggered.connect(self.close)
        file_menu.addAction(a)

        view_menu = QMenu("&View", self)
        bar.addMenu(view_menu)
        self.msaa_action = QAction("Smooth edges (multisampling; slower in software rendering)",
                                   self)
        self.msaa_action.setCheckable(True)
        self.msaa_action.setChecked(multisampling)
        self.msaa_action.toggled.connect(self.set_multisampling)
        view_menu.addAction(self.msaa_action)
        panel = self.panel_dock.toggleViewAction()
        assert panel is not None
        panel.setText("Side panel (the 3D view alone when off)")
        view_menu.addAction(panel)

        help_menu = QMenu("&Help", self)
        bar.addMenu(help_menu)
        a = QAction("&About kneeviz", self)
        a.triggered.connect(self.show_about)
        help_menu.addAction(a)

    def _build_shortcuts(self) -> None:
        for key, slot in (("Space", self.playback.toggle),
                          ("Left", lambda: self.playback.step(-1)),
                          ("Right", lambda: self.playback.step(1))):
            QShortcut(QKeySequence(key), self).activated.connect(slot)

    # -- rendering -------------------------------------------------------------------------
    def _render_frame(self, i: int) -> None:
        view = self.session.view
        if view is None or self._closed:
            return
        self.frame_arriving.emit(i)  # the parts' own actors first, then one render of it all
        self.scene.set_poses(view.poses(i))
        if not self._camera_set:
            self._camera_set = True
            self.scene.set_camera(self.session.display.camera)
            self.scene.set_follow(self.session.display.follow)
        self.request_render()

    def request_render(self) -> None:
        """Schedule one repaint of the 3D view. The QOpenGLWidget renders the scene in its paint,
        together with every other widget changed in this event-loop pass (plots, readouts), so a
        frame costs one render and one window composition, not several."""
        self._render_pending = True
        self.plotter.interactor.update()

    def _after_paint(self) -> None:
        if self._render_pending:
            self._render_pending = False
            self.frames_rendered += 1
        if self._after_frame:
            # Next event-loop pass: let the compositor return first.
            self._after_frame_timer.start(0)

    def count_frame(self) -> None:
        """A picture in the 3D view's place was painted (side by side): one more frame shown,
        and the work waiting for a frame (after_frame) may go (the hidden 3D view paints none)."""
        self._render_pending = True
        self._after_paint()

    def after_frame(self, key: str, fn: Callable[[], None]) -> None:
        """Run fn once the 3D frame requested now is on screen (at once, in the next event-loop
        pass, when none is pending). For work that would otherwise delay that frame without being
        part of it: the axial slice (tens of ms of plane sections) after a hip slider change or a
        scrub is cut after the re-posed bones are shown, not before. A later call with the same
        key replaces an earlier one still waiting (only the latest frame's work is done). While
        the squat plays a new frame is always pending: fn runs once the frame that was pending
        when it was queued has been painted (it once waited for a pass with none pending, which
        never came while playing)."""
        target = self.frames_rendered + (1 if self._render_pending else 0)
        self._after_frame[key] = (fn, target)
        if not self._render_pending:
            self._after_frame_timer.start(0)
        elif not self._after_frame_timer.isActive():
            self._after_frame_timer.start(AFTER_FRAME_FALLBACK_MS)

    def _run_after_frame(self) -> None:
        fallback = self._after_frame_timer.interval() > 0  # no frame came in time: run anyway
        due = {k: fn for k, (fn, target) in self._after_frame.items()
               if fallback or self.frames_rendered >= target}
        for k in due:
            del self._after_frame[k]
        if self._after_frame:  # frames still on their way
            self._after_frame_timer.start(AFTER_FRAME_FALLBACK_MS)
        for fn in due.values():
            if not self._closed:
                fn()

    def _on_playing(self, on: bool) -> None:
        """While playing, the side panels refresh at most every PANEL_INTERVAL_MS."""
        for panel in (self.plots, self.readouts, self.timeline):
            panel.throttle.set_interval(PANEL_INTERVAL_MS if on else 0)

    def _on_view(self) -> None:
        view = self.session.view
        if view is None:
            return
        msg = ("" if view.solved else
               "Bones moved; the kneecap's balance is being solved..." if self.session.solving
               else "Bones only: the kneecap rides with the thigh bone (no mechanics).")
        self.status_bar.showMessage(msg)

    @property
    def camera_preset(self) -> str:
        """The camera preset shown (the Session's display state: saved in scenario files, used
        by Export video)."""
        return str(self.session.display.camera)

    def set_camera(self, preset: str) -> None:
        """Show a camera preset, held to the thigh bone or the room as the preset is by default
        (DEFAULT_CAMERA_FRAME: the close-up and the skyline ride with the thigh bone)."""
        frame = DEFAULT_CAMERA_FRAME.get(preset, "room")
        d = self.session.display
        if (d.camera, d.camera_frame) == (preset, frame):
            self._apply_camera(preset)  # asked again: back onto the preset after a drag
        else:
            self.session.set_display(camera=preset, camera_frame=frame)  # _on_display applies

    def set_camera_frame(self, frame: str) -> None:
        """Hold the camera to the thigh bone or to the room (CAMERA_FRAMES)."""
        if frame not in CAMERA_FRAMES:
            raise ValueError(f"unknown camera frame {frame!r}: one of {tuple(CAMERA_FRAMES)}")
        if self.session.display.camera_frame == frame:
            self._apply_camera(self.session.display.camera)
        else:
            self.session.set_display(camera_frame=frame)

    def _apply_camera(self, preset: str) -> None:
        self.scene.camera_frame = self.session.display.camera_frame
        self.scene.set_camera(preset)
        self.request_render()

    def update_title(self) -> None:
        """The window's title and the line over the 3D view: which setting and knee are on."""
        s = self.session
        self.setWindowTitle(title(s.scenario, s.anatomy))
        rec = recording_name(s.scenario)
        view = CAMERA_FRAMES.get(s.display.camera_frame, "")
        line = f"<b>{setting_name(s.scenario)}</b> &nbsp;·&nbsp; {knee_name(s.anatomy)}"
        if rec:
            line += f" &nbsp;·&nbsp; recording {rec}"
        line += f" &nbsp;·&nbsp; <span style='color:#b8c4d6'>{view}</span>"
        self.header.setText(line)

    def _on_display(self, new: Any, old: Any) -> None:
        if (new.camera, new.camera_frame) != (old.camera, old.camera_frame):
            self._apply_camera(new.camera)
            self.camera_bar.show_state(new.camera, new.camera_frame)
            self.update_title()
        if new.follow != old.follow:
            self.scene.set_follow(new.follow)
            box = self.camera_bar.follow
            box.blockSignals(True)
            box.setChecked(new.follow)
            box.blockSignals(False)

    def set_multisampling(self, on: bool) -> None:
        if on:
            self.plotter.enable_anti_aliasing("msaa", multi_samples=MULTISAMPLES)
        else:
            self.plotter.disable_anti_aliasing()
        self.request_render()

    # -- solving ----------------------------------------------------------------------------
    def _on_solving(self, on: bool) -> None:
        if on:
            self._progress_timer.start()
        else:
            self._progress_timer.stop()
            self.progress.hide()
            self._on_view()

    def _maybe_show_progress(self) -> None:
        if self.session.solving:
            self.progress.show()

    def _on_progress(self, done: int, total: int) -> None:
        # A repaint costs a window composition under software OpenGL: a few per second suffice.
        if done < total and self._progress_clock.isValid() and \
                self._progress_clock.elapsed() < PROGRESS_INTERVAL_MS:
            return
        self._progress_clock.start()
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def show_error(self, message: str) -> None:
        QMessageBox.critical(self, "kneeviz", message)

    # -- files --------------------------------------------------------------------------------
    def open_knee_dialog(self) -> None:
        dialog = OpenKneeDialog(self, start_dir=self.open_dir)
        if dialog.exec():
            self.open_dir = dialog.start_dir
            self.open_knee_files(*dialog.paths(), extra=dialog.knee_mri())

    def open_knee_files(self, femur: str, patella: str, tibia: str,
                        extra: dict[str, str] | None = None) -> None:
        """Load a knee in the background; on success it replaces the current one, on failure an
        error dialog names the file and the current knee stays. `extra`: the knee-MRI inputs
        (cartilage files, or a label map and its labels: OpenKneeDialog.knee_mri)."""
        missing = [name for name, p in (("femur", femur), ("patella", patella), ("tibia", tibia))
                   if not p]
        if extra:
            if missing and not extra.get("labels"):
                self.show_error(f"choose the {', '.join(missing)} file(s) to open a knee")
                return
            self.loading = True
            name = Path(extra.get("labels") or femur).name
            self.status_bar.showMessage(f"Loading {name} (a partial bone takes a few seconds "
                                         "more: it is completed from the atlas)...")
            mri_warnings: list[str] = []
            self._load_warnings = mri_warnings
            self._loading_paths = (femur, patella, tibia)
            self._loading_extra = dict(extra)
            mri_job = Job(lambda _p, _c: load_knee_mri(femur, patella, tibia, extra,
                                                       mri_warnings),
                          "the knee could not be loaded")
            mri_job.signals.done.connect(self._on_knee_loaded)
            mri_job.signals.failed.connect(self._on_knee_failed)
            self._load_job = mri_job
            self._load_pool.start(mri_job)
            return
        if missing:
            self.show_error(f"choose the {', '.join(missing)} file(s) to open a knee")
            return
        self.loading = True
        self.status_bar.showMessage(f"Loading {Path(femur).name}, {Path(patella).name}, "
                                     f"{Path(tibia).name}...")
        warnings: list[str] = []
        self._load_warnings = warnings
        self._loading_paths = (femur, patella, tibia)
        self._loading_extra = {}
        job = Job(lambda _p, _c: load_anatomy_from_files(femur, patella, tibia, warnings),
                  "the knee could not be loaded")
        job.signals.done.connect(self._on_knee_loaded)
        job.signals.failed.connect(self._on_knee_failed)
        self._load_job = job  # kept referenced until it reports
        self._load_pool.start(job)

    def _on_knee_loaded(self, anatomy: Anatomy) -> None:
        self.loading = False
        if self._closed:
            return
        self.playback.pause()
        self.session.set_anatomy(anatomy)
        self.show_load_warnings(self._load_warnings)
        if all(self._loading_paths) or self._loading_extra.get("labels"):
            self.knee_opened.emit((*self._loading_paths, dict(self._loading_extra)))

    def show_load_warnings(self, warnings: Sequence[str], status_ms: int = 0) -> None:
        """Repaired or rescaled knee files: a note in the status bar (hover for every warning),
        never a modal dialog; cleared by a clean knee. With `status_ms`, the first warning is
        also the status message for that long (the app started on a patient's files)."""
        self.load_warnings = tuple(warnings)
        n = len(self.load_warnings)
        self.repairs_label.setText(f"Knee files repaired or rescaled ({n}): hover for details"
                                   if n else "")
        self.repairs_label.setToolTip("\n".join(self.load_warnings))
        self.repairs_label.setVisible(bool(n))
        if n and status_ms:
            more = f" (and {n - 1} more: hover the note on the right)" if n > 1 else ""
            self.status_bar.showMessage(f"{self.load_warnings[0]}{more}", status_ms)

    def _on_knee_failed(self, message: str) -> None:
        self.loading = False
        if self._closed:
            return
        self.status_bar.showMessage("The knee could not be opened; the current knee is kept.")
        self.show_error(message)

    def _on_anatomy(self) -> None:
        self.update_title()
        self.scene.set_anatomy(self.session.anatomy)
        self._camera_set = False

    def save_screenshot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "kneeviz.png",
                                              "PNG image (*.png)")
        if path:
            self.save_screenshot(path)

    def save_screenshot(self, path: str, whole_window: bool = False) -> None:
        if whole_window:
            self.grab().save(path)
        else:
            self.plotter.screenshot(path)

    def show_about(self) -> None:
        QMessageBox.about(self, "About kneeviz", ABOUT_HTML)

    # -- teardown --------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:  # noqa: N802 (Qt name)
        if event is not None and self.motion_actions.dropped_motion(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:  # noqa: N802 (Qt name)
        path = self.motion_actions.dropped_motion(event.mimeData()) if event else None
        if event is not None and path:
            event.acceptProposedAction()
            self.motion_actions.open_motion(path)

    def closeEvent(self, event: QCloseEvent | None) -> None:  # noqa: N802 (Qt name)
        if not self._closed:
            self._closed = True
            self.playback.pause()
            self._progress_timer.stop()
            if self.clinical is not None:
                self.clinical.shutdown()
            self.band.shutdown()
            self.session.close()
            self._load_pool.waitForDone(60000)
            self.plotter.close()
        super().closeEvent(event)


PREFERRED_SIZE_PX = (1400, 860)
"""The window's first size where the screen has room for it."""
WINDOW_FRAME_PX = (16, 48)
"""Room left for the window manager's frame and title bar when the screen is smaller."""


def first_size_px(window: QMainWindow) -> tuple[int, int]:
    """PREFERRED_SIZE_PX, made smaller to fit the screen's free area (a 1366x768 clinic laptop:
    at 1400x860 the right-hand panels lay past the screen's edge)."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return PREFERRED_SIZE_PX
    free = screen.availableGeometry()
    return (min(PREFERRED_SIZE_PX[0], free.width() - WINDOW_FRAME_PX[0]),
            min(PREFERRED_SIZE_PX[1], free.height() - WINDOW_FRAME_PX[1]))
