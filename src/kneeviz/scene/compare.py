"""Side by side: the healthy squat beside this setting's, same camera, same frame.

Healthy and typical patellofemoral pain differ by 1-3 mm and 2-3 degrees at the kneecap: invisible
at whole-knee scale unless the two are shown together. "Same camera" means the same camera
relative to the thigh bone: the groove lands on the same pixels in both pictures, so the kneecap's
shift and tilt relative to it read directly (a camera fixed in the world would instead show the
whole thigh bone turned in, which the front view's arc shows already). The camera is this
setting's preset, carried into the healthy squat's femur frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kneeviz.anatomy.mesh import FloatArray
from kneeviz.transforms import apply, invert

COMPARE_CAMERA = "skyline"
"""The camera of `--view compare` and of the window's side-by-side view unless one is chosen:
the kneecap over its groove."""
COMPARE_TITLES = ("Healthy hip control", "This setting")


def carry_camera(position: FloatArray, focal: FloatArray, up: FloatArray,
                 T_display_femur_from: FloatArray, T_display_femur_to: FloatArray
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A camera (display coordinates) moved with the thigh bone from one squat's femur pose to
    another's: the same camera relative to the femur."""
    M = np.asarray(T_display_femur_to, dtype=float) @ invert(np.asarray(T_display_femur_from,
                                                                       dtype=float))
    pos = apply(M, np.asarray(position, dtype=float))
    foc = apply(M, np.asarray(focal, dtype=float))
    return pos, foc, M[:3, :3] @ np.asarray(up, dtype=float)


def carry_plotter_camera(src: Any, dst: Any, T_display_femur_src: FloatArray,
                         T_display_femur_dst: FloatArray) -> None:
    """Give plotter `dst` the camera of plotter `src`, relative to the thigh bone (carry_camera
    on the plotters' own cameras), and fit dst's clipping range to it."""
    cam = src.camera
    pos, foc, up = carry_camera(np.array(cam.position), np.array(cam.focal_point),
                                np.array(cam.up), T_display_femur_src, T_display_femur_dst)
    dst.camera_position = [tuple(pos), tuple(foc), tuple(up)]
    dst.reset_camera_clipping_range()
