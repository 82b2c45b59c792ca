"""The skyline (Merchant / Laurin) view as a clinician knows it, in 3D.

The Merchant radiograph's beam runs tangent to the patellofemoral joint of the flexed knee, close
to the patellar tendon's line. So the camera stands on that line, on the side of the feet
(kneecap's lower pole -> tibial tuberosity, carried on), and looks up it at that frame's flexion:
the kneecap sits over its groove, the front of the knee up on screen, as on the film. Seen from
the feet, a right knee's outer side is on the picture's left, as in every picture of the app
(the 3D view from the front, the axial slice, the kneecap's underside): one convention, so the
kneecap moves the same way on screen in all of them. Looking down the tendon's line, the
thigh's shaft runs off behind the kneecap and out of the picture; the tibia (with the fibula of a
segmentation that has one) lies beyond the joint and is hidden rather than cut with a clipping
plane (cutting opened the bones and showed their inside): every surface shown is closed and seen
from outside. Two marks help the eye: the deepest point of the groove
at the kneecap's level (magenta, the axial view's groove colour) and the kneecap's median ridge
(yellow, the axial view's kneecap-axis colour).

Pure geometry here (numpy); knee_scene.py applies it to the actors.
"""

from __future__ import annotations

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics.measures import nearest_groove_point
from kneeviz.transforms import apply, invert, unit

SKYLINE_DISTANCE_MM = 190.0
"""Camera distance from the focal point: the kneecap and both condyles fill the view."""
HIDDEN_PARTS = ("tibia", "pelvis")
"""Parts the skyline view does not draw: the tibia lies between the camera and the joint, the
pelvis far beyond it along the line of sight."""
GROOVE_MARK_RGB = (235 / 255, 90 / 255, 200 / 255)
RIDGE_MARK_RGB = (250 / 255, 215 / 255, 60 / 255)
MARK_RADIUS_MM = 2.2


def marks_femur(anatomy: Anatomy, T_femur_patella: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(groove point, ridge point) in the femur frame: the deepest groove point at the kneecap's
    level (the one its shift and bisect offset are measured from) and the point of the kneecap's
    median ridge nearest to it."""
    T = np.asarray(T_femur_patella, dtype=float)
    groove = nearest_groove_point(T[:3, 3], anatomy)
    ridge = np.asarray(anatomy.patella_landmarks.ridge_line_mm, dtype=float)
    g_p = apply(invert(T), groove)
    r = ridge[int(np.argmin(np.linalg.norm(ridge - g_p, axis=1)))] if len(ridge) else np.zeros(3)
    return np.asarray(groove, dtype=float), np.asarray(apply(T, r), dtype=float)


def skyline_camera(anatomy: Anatomy, T_world_femur: FloatArray, T_world_patella: FloatArray,
                   T_world_tibia: FloatArray, T_display_model: FloatArray
                   ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(position, focal point, view up) in display coordinates: on the patellar tendon's line
    on the side of the feet (lower pole -> tibial tuberosity, carried on), looking up it at the
    middle of the joint between the ridge and the groove, the kneecap's front up."""
    D = np.asarray(T_display_model, dtype=float)
    Tf, Tp, Tt = (D @ np.asarray(T, dtype=float)
                  for T in (T_world_femur, T_world_patella, T_world_tibia))
    apex = apply(Tp, np.asarray(anatomy.patella_landmarks.apex_mm, dtype=float))
    tub = apply(Tt, np.asarray(anatomy.tibia_landmarks.tuberosity_mm, dtype=float))
    look = unit(tub - apex)  # down the tendon: the camera stands beyond the tuberosity
    groove, ridge = marks_femur(anatomy, invert(np.asarray(T_world_femur, dtype=float))
                                @ np.asarray(T_world_patella, dtype=float))
    focal = 0.5 * (apply(Tf, groove) + apply(Tf, ridge))
    anterior = Tp[:3, 0]  # the patella's X: out of its front face (also when mirrored)
    up = unit(anterior - float(anterior @ look) * look)
    return focal + SKYLINE_DISTANCE_MM * look, focal, up
