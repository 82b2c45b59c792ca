"""The skyline view's two marks: the groove's deepest point and the kneecap's ridge (small spheres
drawn through the bones, so the joint's two reference points show even where a condyle's edge
would hide them), with a one-line key in the view's corner (the sides are named by the scene:
kneeviz.scene.side_labels).

Actors are made once and moved by matrices every frame, like the bones (kneeviz.scene.knee_scene).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv

from kneeviz.scene.skyline import GROOVE_MARK_RGB, MARK_RADIUS_MM, RIDGE_MARK_RGB, marks_femur
from kneeviz.transforms import invert

KEY_TEXT = "magenta: deepest point of the groove     yellow: the kneecap's ridge"
KEY_NAME = "kneeviz-skyline-key"


class SkylineMarks:
    """Two sphere actors and a text key on a KneeScene's plotter."""

    def __init__(self, scene: Any) -> None:
        self.scene = scene
        plotter = scene.plotter
        self.actors: dict[str, pv.Actor] = {}
        for name, rgb in (("groove", GROOVE_MARK_RGB), ("ridge", RIDGE_MARK_RGB)):
            sphere = pv.Sphere(radius=MARK_RADIUS_MM, theta_resolution=16, phi_resolution=12)
            actor = plotter.add_mesh(sphere, color=rgb, ambient=0.5, diffuse=0.6, specular=0.0,
                                     name=f"kneeviz-skyline-{name}", reset_camera=False,
                                     render=False, pickable=False)
            # drawn over the bones: the marks sit in the joint, often just behind a condyle's rim
            actor.mapper.SetResolveCoincidentTopologyToPolygonOffset()
            actor.mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(0.0, -66000.0)
            self.actors[name] = actor
        self.key = plotter.add_text(KEY_TEXT, position="lower_left", font_size=9,
                                    color="white", name=KEY_NAME, render=False)
        self.visible = False
        self.set_visible(False)

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        for actor in self.actors.values():
            actor.SetVisibility(self.visible)
        self.key.SetVisibility(self.visible)
        if self.visible:
            self.update()

    def update(self) -> None:
        """Follow the frame's poses (groove point with the femur, ridge point with the kneecap)."""
        if not self.visible:
            return
        s = self.scene
        T_wf, T_wp = s.pose_of("femur"), s.pose_of("patella")
        groove, ridge = marks_femur(s.anatomy, invert(T_wf) @ T_wp)
        D = s.T_display_model
        for name, p in (("groove", groove), ("ridge", ridge)):
            T = np.eye(4)
            T[:3, 3] = p
            self.actors[name].user_matrix = D @ T_wf @ T

    def remove(self) -> None:
        plotter = self.scene.plotter
        for actor in self.actors.values():
            plotter.remove_actor(actor, render=False)
        plotter.remove_actor(self.key, render=False)
        self.actors = {}
