"""Rendering without a window: screenshots and frame sequences for reports, tests and benchmarks.

Uses a plain offscreen pyvista Plotter (EGL or OSMesa; no X server needed), multisampling off by
default for the same reason as the window (about 3x slower under software rendering).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pyvista as pv

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.scene.knee_scene import KneeScene


class OffscreenRenderer:
    """A KneeScene in an offscreen plotter of a fixed size; `render(poses)` returns RGB pixels."""

    def __init__(
        self,
        anatomy: Anatomy,
        size: tuple[int, int] = (1280, 800),
        multi_samples: int = 0,
        triangle_budget: Mapping[str, int] | None = None,
    ) -> None:
        if "DISPLAY" not in os.environ:
            os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
        self.plotter = pv.Plotter(off_screen=True, window_size=list(size))
        rw = self.plotter.render_window
        if rw is not None:
            rw.SetMultiSamples(int(multi_samples))
        self.scene = KneeScene(self.plotter, anatomy, triangle_budget)
        self._camera: str | None = None

    def render(
        self, poses: Mapping[str, FloatArray], camera: str | None = "front"
    ) -> np.ndarray:
        """Pose the bones, set the camera preset (None keeps the current camera), return the
        (H, W, 3) uint8 image."""
        self.scene.set_poses(poses)
        if camera is not None:
            self.scene.set_camera(camera)
        self.plotter.render()
        return np.asarray(self.plotter.screenshot(return_img=True))

    def close(self) -> None:
        self.plotter.close()

    def __enter__(self) -> OffscreenRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_offscreen(
    anatomy: Anatomy,
    poses: Mapping[str, FloatArray],
    camera: str = "front",
    size: tuple[int, int] = (1280, 800),
) -> np.ndarray:
    """One image of the knee in the given bone poses (see OffscreenRenderer)."""
    with OffscreenRenderer(anatomy, size) as r:
        return r.render(poses, camera)
