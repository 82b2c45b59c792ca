"""The 3D view names the knee's sides: "outer side" and "inner side" in its upper corners, on
the sides of the picture they are on for the camera as it is (view_state.outer_side_on_right is
the convention of the presets: seen from the front or the feet, a right knee's outer side is on
the left). Seen from the side, where neither lies to the left or right, they are hidden.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kneeviz.transforms import apply
from kneeviz.view_state import SIDE_WORDS

FONT_SIZE = 9
SIDEWAYS_MIN = 0.35
"""The knee's outward direction must lie at least this much across the picture (cosine with
the screen's right) for the sides to be named."""
NAME = "kneeviz-sides"


class SideLabels:
    """Two text actors on a KneeScene's plotter, placed by `update()`."""

    def __init__(self, scene: Any) -> None:
        self.scene = scene
        plotter = scene.plotter
        self.left = plotter.add_text(" ", position="upper_left", font_size=FONT_SIZE,
                                     color="white", name=f"{NAME}-left", render=False)
        self.right = plotter.add_text(" ", position="upper_right", font_size=FONT_SIZE,
                                      color="white", name=f"{NAME}-right", render=False)
        self.outer_on_right: bool | None = None
        """Where the outer side is on screen now (None: the sides are not named)."""

    def update(self) -> None:
        """Name the sides for the camera and the thigh bone's pose now."""
        s = self.scene
        fl = s.anatomy.femur_landmarks
        T = s.display_femur()
        lateral = apply(T, np.asarray(fl.lateral_epicondyle_mm, dtype=float)) - apply(
            T, np.asarray(fl.medial_epicondyle_mm, dtype=float))
        cam = s.plotter.camera
        look = np.subtract(cam.focal_point, cam.position)
        right = np.cross(look, np.asarray(cam.up, dtype=float))
        n = float(np.linalg.norm(right) * np.linalg.norm(lateral))
        across = float(right @ lateral) / n if n > 1e-9 else 0.0
        outer, inner = SIDE_WORDS
        if abs(across) < SIDEWAYS_MIN:
            self.outer_on_right = None
            texts = (" ", " ")
        else:
            self.outer_on_right = across > 0
            texts = (inner, outer) if self.outer_on_right else (outer, inner)
        # corner annotations: 2 is the upper left corner, 3 the upper right
        for actor, corner, text in ((self.left, 2, texts[0]), (self.right, 3, texts[1])):
            if actor.GetText(corner) != text:
                actor.SetText(corner, text)

    def remove(self) -> None:
        for actor in (self.left, self.right):
            self.scene.plotter.remove_actor(actor, render=False)
