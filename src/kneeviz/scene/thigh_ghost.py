"""The healthy thigh bone as a green see-through ghost, where a steady hip would hold it.

Story mode's "the thigh bone turns in" is a turn of a few to 15 degrees about the bone's own long
axis: beside nothing to compare with, it cannot be seen. Drawn over the healthy squat's thigh bone
at the same frame, the real bone visibly stands turned (and, with hip adduction, drifted inward)
against it. One actor, made once, posed by a matrix every frame like the bones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kneeviz.anatomy.mesh import FloatArray
from kneeviz.scene.knee_scene import polydata_from_mesh, reduce_for_display

GHOST_RGB = (0.35, 0.85, 0.45)
"""The healthy kneecap ghost's green (kneeviz.scene.overlays)."""
GHOST_OPACITY = 0.35
GHOST_TRIANGLES = 6000


class ThighGhost:
    """A see-through green femur on a KneeScene's plotter, hidden until shown."""

    def __init__(self, scene: Any) -> None:
        self.scene = scene
        mesh, _ = reduce_for_display(scene.anatomy.femur, GHOST_TRIANGLES)
        self.actor = scene.plotter.add_mesh(
            polydata_from_mesh(mesh), color=GHOST_RGB, opacity=GHOST_OPACITY, ambient=0.3,
            diffuse=0.7, specular=0.1, smooth_shading=True, name="kneeviz-thigh-ghost",
            reset_camera=False, render=False, pickable=False,
        )
        self.actor.GetProperty().SetBackfaceCulling(True)  # a thin green shell, no inside
        self.visible = False
        self.actor.SetVisibility(False)

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        self.actor.SetVisibility(self.visible)

    def set_pose(self, T_world_femur_healthy: FloatArray | None) -> None:
        """Where the healthy squat holds the thigh bone at this frame (None: hidden)."""
        if T_world_femur_healthy is None:
            self.actor.SetVisibility(False)
            return
        self.actor.SetVisibility(self.visible)
        self.actor.user_matrix = (self.scene.T_display_model
                                  @ np.asarray(T_world_femur_healthy, dtype=float))

    def remove(self) -> None:
        self.scene.plotter.remove_actor(self.actor, render=False)
