"""File menu actions that give a patient something to take home (kneeviz.takehome does the work;
the same functions as `kneeviz report`, `export-3d` and `take-home`):

- Save report (PDF)...: a dialog for the clinician's name, a note and the paper size, then the
  file name; the one-page report of the setting on screen against healthy hip control;
- Export 3D (.glb)...: the knee and its squat as a glTF file for a phone;
- Take home...: the same dialog, then a folder: the report, the 3D page and the side-by-side
  video (drawn one frame per event-loop pass, as Export video; Cancel stops it and removes the
  partial video).

The two squats come from the session when both are solved (this setting and the healthy
reference, same frames); otherwise they are solved in the export worker, with a progress dialog
whose Cancel stops the solve. A dialog cancelled writes nothing; every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QWidget,
)

from kneeviz.app.support.worker import CancelledError, Job
from kneeviz.app.window.export_actions import (
    ask_save_path,
    run_video_export,
    start_job,
    with_suffix_for,
)
from kneeviz.errors import KneevizError

if TYPE_CHECKING:
    from kneeviz.app.window.window_api import KneeWindow
    from kneeviz.simulation import Trajectory
    from kneeviz.takehome.content import TakeHome


class NoteDialog(QDialog):
    """The clinician's name, a note for the patient, the paper size (remembered for the
    session)."""

    def __init__(self, parent: QWidget | None, title: str, clinician: str = "", note: str = "",
                 page: str = "a4") -> None:
        from kneeviz.takehome.content import NAME_MAX_CHARS

        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        self.clinician = QLineEdit(clinician)
        self.clinician.setMaxLength(NAME_MAX_CHARS)
        self.clinician.setPlaceholderText("printed on the report")
        self.note = QPlainTextEdit(note)
        self.note.setPlaceholderText("A note for the patient (plain text), printed on the "
                                     "report and the 3D page")
        self.note.setMinimumSize(420, 120)
        self.page = QComboBox()
        self.page.addItems(["A4", "Letter"])
        self.page.setCurrentIndex(1 if page == "letter" else 0)
        form.addRow("Clinician's name:", self.clinician)
        form.addRow("Note:", self.note)
        form.addRow("Paper:", self.page)
        form.addRow(QLabel("Nothing leaves this computer: the files are written where you "
                           "choose."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, str]:
        return (self.clinician.text(), self.note.toPlainText(),
                "letter" if self.page.currentIndex() == 1 else "a4")


def ready_trajectories(window: KneeWindow) -> tuple[Trajectory, Trajectory] | None:
    """This setting's and the healthy squat's Trajectory when the session has both solved for
    the scenario on screen (same frames), else None."""
    s = window.session
    this = getattr(s.view, "trajectory", None)
    healthy = getattr(s.healthy_view, "trajectory", None)
    if this is None or healthy is None:
        return None
    if this.scenario != s.scenario or healthy.scenario != s.healthy_scenario():
        return None
    return (this, healthy) if this.n_frames == healthy.n_frames else None


class TakeHomeActions:
    """The three File menu actions (see the module docstring)."""

    def __init__(self, window: KneeWindow, menu: QMenu) -> None:
        self.window = window
        self.clinician = ""
        self.note = ""
        self.page = "a4"
        self.video: Any = None
        """The take-home video being drawn (an export_actions.VideoExport), if any."""
        self.actions: dict[str, QAction] = {}
        for key, text, slot in (("report", "Save report (PDF)...", self.report_dialog),
                                ("export_3d", "Export 3D (.glb)...", self.export_3d_dialog),
                                ("take_home", "Take home...", self.take_home_dialog)):
            a = QAction(text, window)
            a.triggered.connect(slot)
            menu.addAction(a)
            self.actions[key] = a
        menu.addSeparator()

    # -- the squats ------------------------------------------------------------------------------
    def with_content(self, what: str, then: Callable[[TakeHome], None]) -> Job | None:
        """Call `then(content)` on the UI thread with this setting and the healthy squat (solved
        in the worker when the session does not have both); errors go to show_error."""
        from kneeviz.result_check import check_result
        from kneeviz.takehome.content import TakeHome

        w = self.window
        anatomy, scenario = w.session.anatomy, w.session.scenario
        healthy_scenario = w.session.healthy_scenario()
        ready = ready_trajectories(w)
        clinician, note = self.clinician, self.note

        def make(trajs: tuple[Trajectory, Trajectory]) -> TakeHome:
            for t in trajs:
                check_result(t, what, anatomy)  # a run that is not a result is no file either
            return TakeHome(anatomy, trajs[0], trajs[1], note=note, clinician=clinician)

        if ready is not None:
            try:
                then(make(ready))
            except KneevizError as exc:
                w.show_error(str(exc))
            return None

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> Any:
            from kneeviz.simulation import simulate

            n = scenario.n_frames
            out = []
            for k, sc in enumerate((scenario, healthy_scenario)):
                def on_frame(i: int, _sol: object, k: int = k) -> None:
                    if cancelled():
                        raise CancelledError
                    progress(k * n + i + 1, 2 * n)

                out.append(simulate(anatomy, sc, on_frame=on_frame))
            return make((out[0], out[1]))

        return start_job(w, work, f"Computing the squats for {Path(what).name}...",
                         2 * scenario.n_frames, then, "Cancelled; nothing was written.",
                         unexpected=f"{what}: could not be made")

    def _ask_note(self, title: str) -> bool:
        dlg = NoteDialog(self.window, title, self.clinician, self.note, self.page)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            self.window.status_bar.showMessage(f"{title}: cancelled; nothing was written.", 5000)
            return False
        self.clinician, self.note, self.page = dlg.values()
        return True

    def _cancelled(self, what: str) -> None:
        self.window.status_bar.showMessage(f"{what}: cancelled; nothing was written.", 5000)

    # -- the actions -----------------------------------------------------------------------------
    def report_dialog(self) -> None:
        if not self._ask_note("Save report (PDF)"):
            return
        path = ask_save_path(self.window, "Save report (PDF)",
                          f"kneeviz-report-{self.window.session.scenario.preset}.pdf",
                          "PDF report (*.pdf)")
        if not path:
            self._cancelled("Save report (PDF)")
            return
        self.save_report(with_suffix_for(path, ".pdf", (".pdf",)))

    def save_report(self, path: str | Path) -> Job | None:
        from kneeviz.atomic import preflight
        from kneeviz.takehome.report import check_report_path, write_report

        try:
            out = preflight(check_report_path(path), what="write the report")
        except KneevizError as exc:
            self.window.show_error(str(exc))
            return None

        def write(c: TakeHome) -> None:
            written, pages = write_report(out, c, self.page)
            self.window.status_bar.showMessage(
                f"Saved report {written} ({pages} page{'s' if pages > 1 else ''})", 8000)
        return self.with_content(str(out), write)

    def export_3d_dialog(self) -> None:
        path = ask_save_path(self.window, "Export 3D",
                          f"kneeviz-{self.window.session.scenario.preset}.glb",
                          "glTF binary, for phones (*.glb)")
        if not path:
            self._cancelled("Export 3D")
            return
        self.export_3d(with_suffix_for(path, ".glb", (".glb",)))

    def export_3d(self, path: str | Path) -> Job | None:
        from kneeviz.atomic import preflight
        from kneeviz.takehome.gltf import check_glb_path, write_glb

        try:
            out = preflight(check_glb_path(path), what="write the 3D file")
        except KneevizError as exc:
            self.window.show_error(str(exc))
            return None

        def write(c: TakeHome) -> None:
            s = write_glb(out, c)
            self.window.status_bar.showMessage(
                f"Saved 3D file {s.path} ({s.size_bytes / 1e6:.1f} MB)", 8000)
        return self.with_content(str(out), write)

    def take_home_dialog(self) -> None:
        if not self._ask_note("Take home"):
            return
        folder = QFileDialog.getExistingDirectory(self.window, "Take home: choose a folder",
                                                  self.window.export_dir)
        if not folder:
            self._cancelled("Take home")
            return
        self.window.export_dir = folder
        self.take_home(folder)

    def take_home(self, folder: str | Path, *, video: bool = True) -> Job | None:
        """The report and the page, then the video drawn in event-loop chunks."""
        from kneeviz.takehome.folder import (
            PAGE_NAME,
            REPORT_NAME,
            VIDEO_NAME,
            check_folder,
            write_take_home,
        )

        try:
            out = check_folder(folder)
        except KneevizError as exc:
            self.window.show_error(str(exc))
            return None

        def write(c: TakeHome) -> None:
            write_take_home(out, c, page_size=self.page, video=False)
            done = f"Saved {REPORT_NAME} and {PAGE_NAME} in {out}"
            self.window.status_bar.showMessage(done, 8000)
            if video:
                self.video = self._start_video(out / VIDEO_NAME, c, done)
        return self.with_content(str(out / REPORT_NAME), write)

    def _start_video(self, path: Path, c: TakeHome, done: str) -> Any:
        from kneeviz.app.window.export_actions import VideoExport
        from kneeviz.scene.render import TrajectoryFrames
        from kneeviz.takehome.folder import video_plan

        w = self.window
        options, frames, fps = video_plan(c)
        export = VideoExport(path, c.anatomy, TrajectoryFrames(c.this), options, fps, parent=w,
                             reference=TrajectoryFrames(c.healthy), frames=frames)
        return run_video_export(w, export, lambda p: f"{done}, and {p}",
                                f"{done}; the video was cancelled (no video written).")
