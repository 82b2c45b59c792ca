"""Side by side in the window: the healthy squat | this setting, same camera, same frame.

Two 3D pictures, each its own KneeScene with the pressure colours, drawn by ONE 3D widget with two
renderers side by side (a pyvista plotter of shape (1, 2)). Each 3D widget is a QOpenGLWidget of
its own: it renders into a texture that the window composes with every other one on each frame
the window shows, so under software OpenGL every extra 3D widget costs every frame of the main
view too, not only its own updates. One widget for both pictures also renders them in one pass.

The right one (this setting) takes the skyline camera (kneeviz.scene.compare.COMPARE_CAMERA) or
any other preset; the left one always shows the same camera relative to the thigh bone
(kneeviz.scene.compare.carry_camera), also while either is turned by hand, so the two stay
linked. Hidden by default; while shown it follows the frame (during playback a few times a
second, like the axial slice), and it is redrawn only when its frame or camera changed.
"""

from __future__ import annotations

import math
from typing import Any

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.scene.compare import COMPARE_CAMERA, COMPARE_TITLES, carry_plotter_camera
from kneeviz.scene.heatmap import PressureHeatmap
from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET, KneeScene


class SubplotPlotter:
    """One renderer of a multi-renderer pyvista plotter, usable wherever a plotter is: each
    attribute read or written first makes this renderer the plotter's active one (pyvista's
    add_mesh, camera, camera_position ... act on the active renderer), so a KneeScene given it
    draws into its own half of the widget."""

    def __init__(self, plotter: Any, column: int) -> None:
        object.__setattr__(self, "_plotter", plotter)
        object.__setattr__(self, "_column", int(column))

    @property
    def owner(self) -> Any:
        """The whole plotter (its interactor widget, its render window)."""
        return object.__getattribute__(self, "_plotter")

    def _activate(self) -> Any:
        plotter = object.__getattribute__(self, "_plotter")
        plotter.subplot(0, object.__getattribute__(self, "_column"))
        return plotter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._activate(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._activate(), name, value)


class _Side:
    """One picture: its title, its renderer (as a plotter), its scene and heat map."""

    def __init__(self, title: QLabel, plotter: SubplotPlotter, anatomy: Anatomy) -> None:
        self.title = title
        self.plotter = plotter
        self.scene = KneeScene(plotter, anatomy, APP_TRIANGLE_BUDGET)  # type: ignore[arg-type]
        # cut only once the camera is placed for the frame (show_frame, _link): not when posed
        self.scene.set_recut_interval(math.inf)
        self.heatmap = PressureHeatmap(self.scene, visible=True)
        self.heatmap.set_bar_visible(False)

    @property
    def renderer(self) -> Any:
        return self.plotter.renderer


class CompareView(QWidget):
    """Healthy | this setting. `show_frame(healthy_poses, healthy_mpa, poses, mpa)` poses both."""

    def __init__(self, anatomy: Anatomy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera = COMPARE_CAMERA
        col = QVBoxLayout(self)
        col.setContentsMargins(2, 2, 2, 2)
        col.setSpacing(2)
        titles = QHBoxLayout()
        labels = [QLabel(t) for t in COMPARE_TITLES]
        for label in labels:
            label.setStyleSheet("font-weight: bold;")
            titles.addWidget(label, 1)
        col.addLayout(titles)
        self.plotter = QtInteractor(self, shape=(1, 2), border=False, multi_samples=0,
                                    auto_update=False)
        col.addWidget(self.plotter.interactor, 1)
        self.healthy = _Side(labels[0], SubplotPlotter(self.plotter, 0), anatomy)
        self.current = _Side(labels[1], SubplotPlotter(self.plotter, 1), anatomy)
        self._camera_set = False
        self._syncing = False
        self.renders = 0
        """Pictures drawn (each a render of both halves): tests see unchanged frames skipped."""
        self._shown: tuple[Any, ...] | None = None
        self.playing = False
        """While the squat plays the two slabs are not cut again: each rides with its bones
        (two cuts are about 60 ms of a frame under software OpenGL, four times a second), and
        `set_playing(False)` cuts the paused frame exactly."""
        self.plotter.iren.add_observer("InteractionEvent", self._on_interaction)
        self.setMinimumSize(360, 220)

    @property
    def sides(self) -> tuple[_Side, _Side]:
        return self.healthy, self.current

    def set_anatomy(self, anatomy: Anatomy) -> None:
        for side in self.sides:
            side.scene.set_anatomy(anatomy)
            side.heatmap.reattach()
        self._camera_set = False
        self._shown = None

    def set_playing(self, on: bool) -> None:
        self.playing = bool(on)
        if not self.playing:
            self._shown = None  # the paused frame is drawn again, cut exactly

    def invalidate(self) -> None:
        """Draw the next frame asked for even if its key is the one on screen (a new squat)."""
        self._shown = None

    def set_camera(self, preset: str) -> None:
        self.camera = preset
        self._camera_set = False
        self._shown = None

    def show_frame(self, healthy_poses: dict[str, FloatArray] | None,
                   healthy_mpa: tuple[Any, Any], poses: dict[str, FloatArray],
                   mpa: tuple[Any, Any], title: str | None = None,
                   key: tuple[Any, ...] | None = None) -> None:
        """Pose both scenes at one frame (the healthy one at the matching frame) and render.
        `key` names what is shown (the squats and frames): the same key as the picture on
        screen changes nothing and draws nothing."""
        if title is not None:
            self.current.title.setText(title)
        if key is not None and key == self._shown and self._camera_set:
            return
        self._shown = key
        self.current.scene.set_poses(poses)
        self.current.heatmap.set_pressures(*mpa)
        if healthy_poses is not None:
            self.healthy.scene.set_poses(healthy_poses)
            self.healthy.heatmap.set_pressures(*healthy_mpa)
        # the preset at this frame (the skyline moves with the flexion); a hand-turned camera
        # is kept until the preset is chosen again
        exact = not self.playing
        if not self._camera_set or self.camera == COMPARE_CAMERA:
            self.current.scene.set_camera(self.camera, recut=exact)
            self._camera_set = True
        elif exact:
            self.current.scene.recut()
        self._link(recut=exact)

    def _on_interaction(self, *_args: object) -> None:
        """A camera turned by hand: the healthy picture's carried over to this setting's first
        when it was the one turned, then both linked."""
        iren = self.plotter.iren.interactor
        style = iren.GetInteractorStyle()
        turned = style.GetCurrentRenderer() if style is not None else None
        if turned is None:
            turned = iren.FindPokedRenderer(*iren.GetEventPosition())
        if turned is self.healthy.renderer:
            self._carry(self.healthy, self.current)
        self.current.scene.recut()
        self._link()

    def _carry(self, src: _Side, dst: _Side) -> None:
        """dst's camera: src's, relative to the thigh bone."""
        D = src.scene.T_display_model
        carry_plotter_camera(src.plotter, dst.plotter, D @ src.scene.pose_of("femur"),
                             D @ dst.scene.pose_of("femur"))

    def _link(self, recut: bool = True) -> None:
        """The healthy view takes this setting's camera relative to the thigh bone (its cut
        following it unless `recut` is off); both are drawn in one render."""
        if self._syncing:
            return
        self._syncing = True
        try:
            h, c = self.healthy, self.current
            self._carry(c, h)
            if recut:
                h.scene.recut()  # the healthy cut follows the carried camera (when shown) ...
            h.scene.set_preset_parts(self.camera)  # ... or is made here (shown anew)
            c.scene.set_preset_parts(self.camera)
            for side in (h, c):
                side.scene.update_sides()  # its sides named for the camera it now has
            self.renders += 1
            self.plotter.interactor.update()
        finally:
            self._syncing = False

    def close_views(self) -> None:
        self.plotter.close()
