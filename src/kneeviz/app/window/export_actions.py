"""File menu actions that take a squat out of the app: video, data, screenshot, scenario files.

- Export video: the squat shown now (its solved frames, the current camera and heat map) rendered
  offscreen by kneeviz.scene.render into an MP4 or GIF. Rendering needs the GL context of this
  (the UI) thread, so it runs in chunks, one frame per event-loop pass (a zero-interval QTimer):
  the window stays responsive, a progress dialog counts frames and Cancel stops between frames,
  leaving no partial file (the video goes to a temp file that is renamed only when complete).
- Export data: the trajectory as CSV, JSON or NPZ through the one writer (kneeviz.trajectory_file),
  the same files `kneeviz simulate --out` writes. A solved squat on screen carries its Trajectory
  (SquatView.trajectory), which is written as it is; only while the squat is still being solved
  is it simulated in the worker thread (deterministic: the same numbers); Cancel stops it at the
  next frame.
- Export screenshot: the current frame rendered offscreen with the caption strip (scenario, knee
  flexion, tilt, shift) at a chosen size, unlike the plain 3D-view screenshot.
- Save scenario / Open scenario: `.kneeviz.json` files (kneeviz.scenario_file), saved atomically;
  opening one loads its knee (in a worker thread if it is not the current one), its parameters
  and its view. Every problem is shown in a dialog that names the file.

The window is used through a small surface: `session` (anatomy, scenario, view, frame,
set_scenario, set_anatomy, set_frame), `scene`, `set_camera(preset)`, `show_error(message)`,
`status_bar`; the current camera preset and heat-map state are read when the window has them
(`camera_preset`, a PressureHeatmap as `heatmap` on the window, its `clinical` views or scene).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QThreadPool, QTimer, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QFileDialog, QMenu, QProgressDialog, QWidget

from kneeviz.anatomy.knee import Anatomy
from kneeviz.app.support.worker import CancelledError, Job
from kneeviz.app.window.window_api import KneeWindow
from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem
from kneeviz.scenario_file import (
    SUFFIX,
    ScenarioFile,
    anatomy_for,
    knee_ref_for,
    load_scenario_file,
    save_scenario_file,
)
from kneeviz.view_state import CAMERAS, ViewState

SCENARIO_FILTER = f"kneeviz scenario (*{SUFFIX});;JSON (*.json);;All files (*)"
VIDEO_FILTER = "MP4 video (*.mp4);;Animated GIF (*.gif)"
DATA_FILTER = "CSV table (*.csv);;JSON (*.json);;NumPy arrays with per-vertex pressures (*.npz)"
VIDEO_SIZE = (1280, 720)
SCREENSHOT_SIZE = (1280, 720)


# -- what the window shows now ----------------------------------------------------------------
def current_camera(window: KneeWindow) -> str:
    """The camera preset the window shows (the session's display state), front if unknown."""
    name = window.session.display.camera
    return name if name in CAMERAS else "front"


def current_heatmap(window: KneeWindow) -> bool:
    return bool(window.session.display.heatmap)


def scenario_document(window: KneeWindow, name: str = "") -> ScenarioFile:
    """The window's scenario, knee, view state, frame and playback speed as a scenario file."""
    s = window.session
    return ScenarioFile(scenario=s.scenario, knee=knee_ref_for(s.anatomy),
                        view=replace(s.display, camera=current_camera(window)), name=name,
                        frame=int(s.frame), playback_speed=float(window.playback.speed))


def with_suffix_for(path: str, default_suffix: str, allowed: tuple[str, ...]) -> str:
    """Add the default suffix when the name has none of the allowed ones."""
    if not any(path.lower().endswith(a) for a in allowed):
        path += default_suffix
    return path


# -- scenario files -----------------------------------------------------------------------------
def save_scenario(window: KneeWindow, path: str | Path) -> Path:
    """Write the current scenario (raises KneevizError)."""
    p = Path(path)
    name = p.name[: -len(SUFFIX)] if p.name.endswith(SUFFIX) else p.stem
    out = save_scenario_file(p, scenario_document(window, name=name))
    window.status_bar.showMessage(f"Saved scenario {out}", 5000)
    return out


def apply_scenario_file(window: KneeWindow, doc: ScenarioFile) -> None:
    """Set the window's scenario and view from a scenario file (its knee already current)."""
    session = window.session
    session.set_scenario(doc.scenario)
    view = doc.view
    if view.camera in CAMERAS:
        window.set_camera(view.camera)
    session.set_display(**{f.name: getattr(view, f.name) for f in fields(ViewState)
                           if f.name != "camera"})
    session.set_frame(doc.frame)


_KEEP: set[Any] = set()
"""Jobs and exports in flight (kept referenced until they finish)."""
_POOLS: list[QThreadPool] = []


def _pool() -> QThreadPool:
    """One worker thread for loads and data exports (created on first use, after QApplication)."""
    if not _POOLS:
        pool = QThreadPool()
        pool.setMaxThreadCount(1)
        _POOLS.append(pool)
    return _POOLS[0]


def wait_for_jobs(timeout_ms: int = 60000) -> bool:
    """Block until the export/load worker is idle (for closing the window and for tests)."""
    return _pool().waitForDone(timeout_ms) if _POOLS else True


def open_scenario(window: KneeWindow, path: str | Path,
                  on_done: Callable[[], None] | None = None) -> None:
    """Open a scenario file: the knee (loaded off the UI thread if it is another one), the
    parameters, the view. Errors go to window.show_error."""
    try:
        doc = load_scenario_file(path)
        same_knee = knee_ref_for(window.session.anatomy) == doc.knee
    except KneevizError as exc:
        window.show_error(str(exc))
        return
    if same_knee:
        apply_scenario_file(window, doc)
        window.status_bar.showMessage(f"Opened scenario {path}", 5000)
        if on_done is not None:
            on_done()
        return
    window.status_bar.showMessage(f"Loading the knee of {Path(path).name}...")
    job = Job(lambda _p, _c: anatomy_for(doc))

    def loaded(anatomy: Anatomy) -> None:
        _KEEP.discard(job)
        window.session.set_anatomy(anatomy)
        apply_scenario_file(window, doc)
        window.status_bar.showMessage(f"Opened scenario {path}", 5000)
        if on_done is not None:
            on_done()

    def failed(message: str) -> None:
        _KEEP.discard(job)
        window.status_bar.showMessage("The scenario could not be opened; nothing changed.")
        window.show_error(f"{path}: {message}" if str(path) not in message else message)

    job.signals.done.connect(loaded)
    job.signals.failed.connect(failed)
    _KEEP.add(job)
    _pool().start(job)


# -- video --------------------------------------------------------------------------------------
class VideoExport(QObject):
    """Renders a squat to a video one frame per event-loop pass; cancel() stops between frames
    and removes the partial file."""

    progressed = pyqtSignal(int, int)
    finished = pyqtSignal(str)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()

    def __init__(self, path: str | Path, anatomy: Any, source: Any, options: Any, fps: float,
                 parent: QObject | None = None, *, reference: Any = None,
                 frames: list[int] | None = None) -> None:
        """`reference`: the healthy squat for the views that show it (side by side);
        `frames`: which of the source's frames, in order (default all)."""
        super().__init__(parent)
        self.path = Path(path)
        self.anatomy = anatomy
        self.source = source
        self.options = options
        self.fps = fps
        self.reference = reference
        self.frames = list(range(int(source.n_frames))) if frames is None else list(frames)
        self.done = 0
        self.running = False
        self._renderer: Any = None
        self._writer: Any = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)

    @property
    def total(self) -> int:
        return len(self.frames)

    def start(self) -> None:
        from kneeviz.scene.render import SquatRenderer, VideoWriter

        try:
            self._writer = VideoWriter(self.path, self.fps)
            self._renderer = SquatRenderer(self.anatomy, self.source, self.options,
                                           self.reference)
        except KneevizError as exc:
            self._cleanup(abort=True)
            self.failed.emit(str(exc))
            return
        self.running = True
        _KEEP.add(self)
        self._timer.start()

    def _step(self) -> None:
        if not self.running:
            return
        try:
            self._writer.append(self._renderer.frame(self.frames[self.done]))
            self.done += 1
            self.progressed.emit(self.done, self.total)
            if self.done >= self.total:
                self._timer.stop()
                self._renderer.close()
                path = self._writer.commit()
                self._writer = None
                self._finish()
                self.finished.emit(str(path))
        except KneevizError as exc:
            self._cleanup(abort=True)
            self.failed.emit(str(exc))
        except Exception as exc:
            traceback.print_exc()
            self._cleanup(abort=True)
            self.failed.emit(f"{self.path}: the video could not be rendered: {exc!r}")

    def cancel(self) -> None:
        if self.running:
            self._cleanup(abort=True)
            self.cancelled.emit()

    def _finish(self) -> None:
        self.running = False
        self._timer.stop()
        _KEEP.discard(self)

    def _cleanup(self, abort: bool) -> None:
        self._finish()
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        if self._writer is not None and abort:
            self._writer.abort()
            self._writer = None


def _progress_dialog(window: QWidget, label: str, total: int) -> QProgressDialog:
    dlg = QProgressDialog(label, "Cancel", 0, max(1, total), window)
    dlg.setWindowTitle("kneeviz")
    dlg.setMinimumDuration(0)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    dlg.setValue(0)
    return dlg


def start_video_export(window: KneeWindow, path: str | Path, *, size: tuple[int, int] = VIDEO_SIZE,
                       show_progress: bool = True) -> VideoExport | None:
    """Export the squat shown now (needs its solved frames) to `path` (.mp4 or .gif)."""
    from kneeviz.scene.render import RenderOptions

    session = window.session
    view = session.view
    if view is None or not getattr(view, "solved", True):
        window.show_error("The kneecap is still being solved for this scenario: export the video "
                          "when the solve has finished.")
        return None
    from kneeviz.result_check import result_problem

    traj = getattr(view, "trajectory", None)
    problem = result_problem(traj) if traj is not None else None
    if problem is not None:  # a run that did not converge is not a video either
        window.show_error(f"{path}: not written: {problem}")
        return None
    options = RenderOptions(view=current_camera(window), heatmap=current_heatmap(window),
                            size=size, title=session.scenario.preset)
    export = VideoExport(path, session.anatomy, view, options, session.scenario.frame_rate_hz,
                         parent=window)
    return run_video_export(window, export, lambda p: f"Saved video {p}",
                            "Video export cancelled; nothing was written.",
                            show_progress=show_progress)


def run_video_export(window: KneeWindow, export: VideoExport, saved: Callable[[str], str],
                     cancelled_message: str, *, show_progress: bool = True) -> VideoExport:
    """Start `export` with a progress dialog whose Cancel stops it between frames; the status
    bar says `saved(path)` or `cancelled_message`, a failure is shown."""
    if show_progress:
        dlg = _progress_dialog(window, f"Rendering {export.path.name}...", export.total)
        export.progressed.connect(lambda d, n: dlg.setValue(d))
        dlg.canceled.connect(export.cancel)
        for sig in (export.finished, export.failed, export.cancelled):
            sig.connect(dlg.close)
    export.finished.connect(lambda p: window.status_bar.showMessage(saved(p), 8000))
    export.failed.connect(window.show_error)
    export.cancelled.connect(lambda: window.status_bar.showMessage(cancelled_message, 5000))
    export.start()
    return export


# -- data ---------------------------------------------------------------------------------------
def start_data_export(window: KneeWindow, path: str | Path, *, show_progress: bool = True,
                      on_done: Callable[[str], None] | None = None) -> Job:
    """Write the current scenario's trajectory to `path` (.csv, .json or .npz) from a worker
    thread: the squat on screen when it is solved, else a new solve."""
    from kneeviz.trajectory_file import write_trajectory

    session = window.session
    anatomy, scenario = session.anatomy, session.scenario
    ready = getattr(session.view, "trajectory", None)
    if ready is not None and getattr(ready, "scenario", None) != scenario:
        ready = None

    def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> str:
        problem = folder_problem(Path(path).parent)
        if problem is not None:  # say so now, not after minutes of solving
            raise KneevizError(f"cannot save here: {problem}", path)
        traj = ready
        if traj is None:
            from kneeviz.simulation import simulate

            n = scenario.n_frames

            def on_frame(i: int, _sol: object) -> None:
                if cancelled():
                    raise CancelledError
                progress(i + 1, n)

            traj = simulate(anatomy, scenario, on_frame=on_frame)
        if cancelled():
            raise CancelledError
        from kneeviz.result_check import check_result

        check_result(traj, str(path), anatomy)  # a run that is not a result is not a file
        return str(write_trajectory(path, traj))

    def done(p: object) -> None:
        window.status_bar.showMessage(f"Saved data {p}", 8000)
        if on_done is not None:
            on_done(str(p))

    return start_job(window, work, f"Computing the squat for {Path(path).name}...",
                     scenario.n_frames, done, "Data export cancelled; nothing was written.",
                     show_progress=show_progress)


def start_job(window: KneeWindow, work: Callable[[Callable[[int, int], None],
                                                  Callable[[], bool]], object],
              label: str, total: int, on_done: Callable[[Any], None], cancelled_message: str,
              *, unexpected: str = "unexpected failure", show_progress: bool = True) -> Job:
    """Run `work(progress, cancelled)` in the export worker with a progress dialog whose Cancel
    stops it; `on_done(result)` runs on the UI thread (its KneevizError is shown), a failure is
    shown, a cancellation says `cancelled_message` in the status bar."""
    job = Job(work, unexpected=unexpected)
    dlg = _progress_dialog(window, label, total) if show_progress else None
    if dlg is not None:
        job.signals.progress.connect(lambda d, n: dlg.setValue(d))
        dlg.canceled.connect(job.cancel)

    def done(result: object) -> None:
        _KEEP.discard(job)
        if dlg is not None:
            dlg.close()
        try:
            on_done(result)
        except KneevizError as exc:
            window.show_error(str(exc))

    def failed(message: str) -> None:
        _KEEP.discard(job)
        if dlg is not None:
            dlg.close()
        if message:
            window.show_error(message)
        else:
            window.status_bar.showMessage(cancelled_message, 5000)

    job.signals.done.connect(done)
    job.signals.failed.connect(failed)
    _KEEP.add(job)
    _pool().start(job)
    return job


# -- screenshot ---------------------------------------------------------------------------------
def export_screenshot(window: KneeWindow, path: str | Path,
                      size: tuple[int, int] = SCREENSHOT_SIZE) -> Path:
    """The current frame with its caption strip, rendered offscreen (raises KneevizError)."""
    from kneeviz.scene.render import RenderOptions, render_still

    session = window.session
    if session.view is None:
        raise KneevizError("nothing to export yet: the squat is still being computed")
    options = RenderOptions(view=current_camera(window), heatmap=current_heatmap(window),
                            size=size, title=session.scenario.preset)
    out = render_still(path, session.anatomy, session.view, options, int(session.frame))
    window.status_bar.showMessage(f"Saved screenshot {out}", 5000)
    return out


# -- menu ---------------------------------------------------------------------------------------
def ask_save_path(window: KneeWindow, title: str, default: str, filt: str) -> str:
    """A save dialog starting in the last export folder (remembered for next time); "" when
    cancelled."""
    folder = window.export_dir  # the last export folder (app/window/settings.py)
    path, _ = QFileDialog.getSaveFileName(window, title, str(Path(folder) / default)
                                          if folder else default, filt)
    if path:
        window.export_dir = str(Path(path).parent)
    return path


def _guard(window: KneeWindow, fn: Callable[[], object]) -> None:
    try:
        fn()
    except KneevizError as exc:
        window.show_error(str(exc))


def install_export_actions(window: KneeWindow, menu: QMenu, before: QAction | None = None
                           ) -> dict[str, QAction]:
    """Add Open/Save scenario and the Export actions to the File menu (before `before`, e.g.
    Quit); returns them by name."""
    def preset() -> str:
        return str(window.session.scenario.preset)

    def open_dialog() -> None:
        path, _ = QFileDialog.getOpenFileName(window, "Open scenario",
                                              window.open_dir, SCENARIO_FILTER)
        if path:
            window.open_dir = str(Path(path).parent)
            open_scenario(window, path)

    def save_dialog() -> None:
        path = ask_save_path(window, "Save scenario", f"{preset()}{SUFFIX}", SCENARIO_FILTER)
        if path:
            path = with_suffix_for(path, SUFFIX, (SUFFIX, ".json"))
            _guard(window, lambda: save_scenario(window, path))

    def video_dialog() -> None:
        path = ask_save_path(window, "Export video", f"kneeviz-{preset()}.mp4", VIDEO_FILTER)
        if path:
            start_video_export(window, with_suffix_for(path, ".mp4", (".mp4", ".gif")))

    def data_dialog() -> None:
        path = ask_save_path(window, "Export data", f"kneeviz-{preset()}.csv", DATA_FILTER)
        if path:
            start_data_export(window, with_suffix_for(path, ".csv", (".csv", ".json", ".npz")))

    def screenshot_dialog() -> None:
        path = ask_save_path(window, "Export screenshot", f"kneeviz-{preset()}.png",
                          "PNG image (*.png)")
        if path:
            _guard(window, lambda: export_screenshot(window, with_suffix_for(path, ".png",
                                                                           (".png",))))

    specs: list[tuple[str | None, str, str | None, Callable[[], None] | None]] = [
        ("open_scenario", "Open scenario...", "Ctrl+Shift+O", open_dialog),
        ("save_scenario", "Save scenario...", "Ctrl+Shift+S", save_dialog),
        (None, "", None, None),
        ("export_video", "Export video...", None, video_dialog),
        ("export_data", "Export data (CSV, JSON, NPZ)...", None, data_dialog),
        ("export_screenshot", "Export screenshot with caption...", None, screenshot_dialog),
        (None, "", None, None),
    ]
    actions: dict[str, QAction] = {}
    for key, text, shortcut, slot in specs:
        if key is None or slot is None:
            if before is not None:
                menu.insertSeparator(before)
            else:
                menu.addSeparator()
            continue
        a = QAction(text, window)
        if shortcut:
            a.setShortcut(shortcut)
        a.triggered.connect(slot)
        if before is not None:
            menu.insertAction(before, a)
        else:
            menu.addAction(a)
        actions[key] = a
    return actions
