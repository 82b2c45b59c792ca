"""File > Open motion (and a motion file dropped on the window): a recording drives the squat.

The recording replaces the synthetic squat's shape (kneeviz.motion.from_recording); the hip sliders
become changes to it ("the hip turns in X deg more than recorded") and the comparison ghost is the
same recording with a steady hip (Session.healthy_scenario). A bad file is one message in a
dialog; the knee and the squat on screen stay as they were.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QMimeData
from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import QFileDialog, QMenu

from kneeviz.app.window.window_api import KneeWindow
from kneeviz.errors import KneevizError
from kneeviz.motion.from_recording import (
    RecordedScenario,
    base_scenario,
    curves_for,
    not_solved_counts,
    recorded_scenario,
)
from kneeviz.motion.recorded import MOTION_SUFFIXES
from kneeviz.view_state import OVERLAYS

FILE_FILTER = "Recorded motions (*.mot *.sto *.csv);;All files (*)"


class MotionActions:
    """The menu entries and the drop handling, installed on a MainWindow."""

    def __init__(self, window: KneeWindow, file_menu: QMenu) -> None:
        self.window = window
        menu = QMenu("&Motion", window)
        self.open_action = QAction("Open &motion...", window)
        self.open_action.setShortcut("Ctrl+M")
        self.open_action.triggered.connect(self.open_dialog)
        file_menu.insertAction(file_menu.actions()[1] if len(file_menu.actions()) > 1 else None,
                               self.open_action)
        self.close_action = QAction("Back to the synthetic squat", window)
        self.close_action.triggered.connect(self.close_motion)
        self.close_action.setEnabled(False)
        menu.addAction(self.open_action)
        menu.addAction(self.close_action)
        menu.addSeparator()
        self.side_actions = self._choice(menu, "Leg", {"r": "Right leg", "l": "Left leg"}, "r")
        self.stance_actions = self._choice(
            menu, "Stance", {"both": "Weight on both legs", "single": "Weight on one leg"}, "both")
        window.menu_bar().addMenu(menu)  # right after File (the window adds View next)
        self.menu = menu
        window.setAcceptDrops(True)
        window.session.scenario_changed.connect(self._sync)

    def _choice(self, menu: QMenu, title: str, options: dict[str, str], default: str
                ) -> dict[str, QAction]:
        group = QActionGroup(self.window)
        out: dict[str, QAction] = {}
        sub = menu.addMenu(title)
        assert sub is not None
        for key, label in options.items():
            a = QAction(label, self.window)
            a.setCheckable(True)
            a.setChecked(key == default)
            a.triggered.connect(lambda _c=False: self._reapply())
            group.addAction(a)
            sub.addAction(a)
            out[key] = a
        return out

    @staticmethod
    def _chosen(actions: dict[str, QAction]) -> str:
        return next(k for k, a in actions.items() if a.isChecked())

    @property
    def side(self) -> str:
        return self._chosen(self.side_actions)

    @property
    def stance(self) -> str:
        return self._chosen(self.stance_actions)

    # -- opening ---------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a recorded motion", "",
                                              FILE_FILTER)
        if path:
            self.open_motion(path)

    def open_motion(self, path: str | Path) -> bool:
        """Drive the squat with the recording at `path`; False (and a dialog) when it cannot."""
        session = self.window.session
        try:
            scenario = recorded_scenario(base_scenario(session.scenario), str(path), self.side,
                                         self.stance)
        except KneevizError as exc:
            self.window.show_error(str(exc))
            return False
        curves = curves_for(scenario)
        # open on the recording's first frame the model answers (it is solved first)
        first = next((i for i, r in enumerate(curves.not_solvable) if not r), 0)
        self.window.playback.pause()
        session.frame = min(first, curves.n_frames - 1)
        session.set_scenario(scenario)
        counts = not_solved_counts(curves.not_solvable)
        skipped = "; not solved: " + ", ".join(f"{k} ({v} frames)" for k, v in counts.items()) \
            if counts else ""
        notes = ("; " + "; ".join(curves.notes)) if curves.notes else ""
        self.window.status_bar.showMessage(
            f"Motion {Path(path).name}: {curves.n_frames} frames, "
            f"{curves.time_s[-1] - curves.time_s[0]:.1f} s{skipped}{notes}", 15000)
        return True

    def close_motion(self) -> None:
        session = self.window.session
        if isinstance(session.scenario, RecordedScenario):
            session.set_scenario(base_scenario(session.scenario))

    def _reapply(self) -> None:
        sc = self.window.session.scenario
        if isinstance(sc, RecordedScenario) and (sc.side, sc.stance) != (self.side, self.stance):
            self.open_motion(sc.motion_path)

    def _sync(self) -> None:
        sc = self.window.session.scenario
        recorded = isinstance(sc, RecordedScenario)
        self.close_action.setEnabled(recorded)
        self.window.update_title()
        self.window.controls.hip.setTitle(
            "Hip control: change to the recording (deg more / less)" if recorded
            else "Hip control")
        clinical = self.window.clinical
        box = clinical.panel.boxes.get("ghost") if clinical is not None else None
        if box is not None:
            box.setText("Same recording, steady hip (green ghost)" if recorded
                        else OVERLAYS["ghost"])
        if isinstance(sc, RecordedScenario):
            for key, a in self.side_actions.items():
                a.setChecked(key == sc.side)
            for key, a in self.stance_actions.items():
                a.setChecked(key == sc.stance)

    # -- drag and drop ---------------------------------------------------------------------
    @staticmethod
    def dropped_motion(mime: QMimeData | None) -> str | None:
        """The one motion file a drag carries, or None."""
        if mime is None or not mime.hasUrls():
            return None
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        motions = [p for p in paths if Path(p).suffix.lower() in MOTION_SUFFIXES]
        return motions[0] if len(motions) == 1 else None
