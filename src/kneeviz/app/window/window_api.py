"""What the window's parts may use of the main window: one typed interface.

The clinician's layout (clinical.py), the menu actions (export_actions, motion_actions), the saved
settings (settings.py) and the take-home files all hang on the main window. They take a
`KneeWindow` and use only what it declares here, checked by mypy: no attribute reached for by
name, no private slot of the window's rewired from outside. MainWindow is the implementation; a
part that needs something more of the window adds it here first, where a reader sees the whole
surface at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QStackedWidget,
    QStatusBar,
    QTabWidget,
)

if TYPE_CHECKING:
    from pyvistaqt import QtInteractor

    from kneeviz.app.panels.controls import CameraControls, ControlPanel, Timeline
    from kneeviz.app.panels.plots import PlotPanel
    from kneeviz.app.panels.readouts import ReadoutPanel
    from kneeviz.app.state.playback import Playback
    from kneeviz.app.state.session import Session
    from kneeviz.app.window.clinical import ClinicalViews
    from kneeviz.app.window.settings import Settings
    from kneeviz.scene.knee_scene import KneeScene


class KneeWindow(QMainWindow):
    """The main window as its parts see it (see the module docstring)."""

    frame_arriving = pyqtSignal(int)
    """Frame i is about to be drawn: the window's parts place what they add to the 3D view
    (heat map, overlays) before the window renders, in the same repaint."""
    knee_opened = pyqtSignal(tuple)
    """(femur, patella, tibia, knee-MRI inputs) of a knee opened from files (File > Recent
    knees); the inputs are OpenKneeDialog.knee_mri's dict (empty for bone files alone)."""

    session: Session
    playback: Playback
    plotter: QtInteractor
    scene: KneeScene
    timeline: Timeline
    header: QLabel
    """The line over the 3D view saying which setting and knee are on (update_title)."""
    camera_bar: CameraControls
    views: QStackedWidget
    """The 3D view (its first page); the clinical views may show another picture in its
    place (side by side)."""
    panel_tabs: QTabWidget
    """The side panel's tabs: the parts add theirs (the clinical views put their essentials
    first)."""
    panel_dock: QDockWidget
    controls: ControlPanel
    readouts: ReadoutPanel
    plots: PlotPanel
    status_bar: QStatusBar
    file_menu: QMenu
    """File: the parts add their actions here (export, motion, recent knees)."""
    msaa_action: QAction
    clinical: ClinicalViews | None
    """The clinical and patient views (None in the bare player the benchmark measures)."""
    settings: Settings | None
    """The saved settings (None until install_settings)."""
    recent_menu: QMenu | None
    open_dir: str
    """The folder File > Open starts in (kept across runs by settings.py)."""
    export_dir: str
    """The folder exports start in."""

    def menu_bar(self) -> QMenuBar:
        """The menu bar (the window makes it in its constructor)."""
        bar = self.menuBar()
        assert bar is not None, "the window makes its menu bar before its parts"
        return bar

    def set_camera(self, preset: str) -> None:
        raise NotImplementedError

    def set_camera_frame(self, frame: str) -> None:
        """Hold the camera to the thigh bone or to the room (view_state.CAMERA_FRAMES)."""
        raise NotImplementedError

    def count_frame(self) -> None:
        """A picture shown in the 3D view's place (side by side) was painted: counted with the
        3D view's frames (frames_rendered)."""
        raise NotImplementedError

    def update_title(self) -> None:
        """Say again which setting and knee are on (the title and the line over the 3D view)."""
        raise NotImplementedError

    def request_render(self) -> None:
        """Schedule one repaint of the 3D view."""
        raise NotImplementedError

    def after_frame(self, key: str, fn: Callable[[], None]) -> None:
        """Run fn once the next 3D frame is on screen (a newer fn of the same key replaces it)."""
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        raise NotImplementedError

    def open_knee_files(self, femur: str, patella: str, tibia: str,
                        extra: dict[str, str] | None = None) -> None:
        raise NotImplementedError
