"""Side by side in the window: the healthy squat | this setting, same camera, same frame.

Two small 3D views, each its own KneeScene with the pressure colours. The right one (this setting)
takes the skyline camera (kneeviz.scene.compare.COMPARE_CAMERA) or any other preset; the left one
always shows the same camera relative to the thigh bone (kneeviz.scene.compare.carry_camera), also
while the right one is turned by hand, so the two stay linked. Hidden by default; while shown it
follows the frame (during playback a few times a second, like the axial slice).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.scene.compare import COMPARE_CAMERA, COMPARE_TITLES, carry_camera
from kneeviz.scene.heatmap import PressureHeatmap
from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET, KneeScene


class _Side(QWidget):
    def __init__(self, title: str, anatomy: Anatomy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: bold;")
        lay.addWidget(self.title)
        self.plotter = QtInteractor(self, multi_samples=0, auto_update=False)
        lay.addWidget(self.plotter.interactor, 1)
        self.scene = KneeScene(self.plotter, anatomy, APP_TRIANGLE_BUDGET)
        self.heatmap = PressureHeatmap(self.scene, visible=True)
        self.heatmap.set_bar_visible(False)


class CompareView(QWidget):
    """Healthy | this setting. `show_frame(healthy_poses, healthy_mpa, poses, mpa)` poses both."""

    def __init__(self, anatomy: Anatomy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera = COMPARE_CAMERA
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 2, 2, 2)
        self.healthy = _Side(COMPARE_TITLES[0], anatomy)
        self.current = _Side(COMPARE_TITLES[1], anatomy)
        row.addWidget(self.healthy, 1)
        row.addWidget(self.current, 1)
        self._camera_set = False
        self._syncing = False
        self.current.plotter.iren.add_observer("InteractionEvent", self._on_interaction)
        self.setMinimumSize(360, 220)

    @property
    def sides(self) -> tuple[_Side, _Side]:
        return self.healthy, self.current

    def set_anatomy(self, anatomy: Anatomy) -> None:
        for side in self.sides:
            side.scene.set_anatomy(anatomy)
            side.heatmap.reattach()
        self._camera_set = False

    def set_camera(self, preset: str) -> None:
        self.camera = preset
        self._camera_set = False

    def show_frame(self, healthy_poses: dict[str, FloatArray] | None,
                   healthy_mpa: tuple[Any, Any], poses: dict[str, FloatArray],
                   mpa: tuple[Any, Any], title: str | None = None) -> None:
        """Pose both scenes at one frame (the healthy one at the matching frame) and render."""
        if title is not None:
            self.current.title.setText(title)
        self.current.scene.set_poses(poses)
        self.current.heatmap.set_pressures(*mpa)
        if healthy_poses is not None:
            self.healthy.scene.set_poses(healthy_poses)
            self.healthy.heatmap.set_pressures(*healthy_mpa)
        # the preset at this frame (the skyline moves with the flexion); a hand-turned camera
        # is kept until the preset is chosen again
        if not self._camera_set or self.camera == COMPARE_CAMERA:
            self.current.scene.set_camera(self.camera)
            self._camera_set = True
        self._link()

    def _on_interaction(self, *_args: object) -> None:
        self._link()

    def _link(self) -> None:
        """The healthy view takes this setting's camera relative to the thigh bone."""
        if self._syncing:
            return
        self._syncing = True
        try:
            h, c = self.healthy, self.current
            D = c.scene.T_display_model
            cam = c.plotter.camera
            pos, foc, up = carry_camera(np.array(cam.position), np.array(cam.focal_point),
                                        np.array(cam.up), D @ c.scene.pose_of("femur"),
                                        D @ h.scene.pose_of("femur"))
            h.plotter.camera_position = [tuple(pos), tuple(foc), tuple(up)]
            h.scene.set_preset_parts(self.camera)
            h.plotter.reset_camera_clipping_range()
            c.scene.set_preset_parts(self.camera)
            for side in self.sides:
                side.plotter.interactor.update()
        finally:
            self._syncing = False

    def close_views(self) -> None:
        for side in self.sides:
            side.plotter.close()
