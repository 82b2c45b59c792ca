"""Measures of the bones alone (no kneecap): known as soon as the squat's kinematics are.

The dynamic TT-TG distance belongs here, not with the kneecap's measures in kneeviz.mechanics:
it is the tibia's pose relative to the femur's groove, whatever the kneecap does.
"""

from __future__ import annotations

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.transforms import apply

TT_TG_GROOVE_FRACTION = 0.25
"""Where on the groove line (0 = proximal end, 1 = distal end) the TT-TG reference is taken: the
proximal trochlea, as on axial CT (the first slice with a complete trochlear cartilage)."""


def tt_tg_mm(T_femur_tibia: FloatArray, anatomy: Anatomy) -> float:
    """Tibial tuberosity - trochlear groove distance (mm), + when the tuberosity lies lateral:
    from the deepest point of the proximal trochlear groove to the tuberosity (the patellar
    tendon's insertion), along the femur's posterior condylar line (docs/literature.md section 5:
    below 15 mm normal, above 20 mm abnormal). With the tibia in this frame's pose it is the
    "dynamic" TT-TG: a femur turning inward over the planted tibia carries the groove medially, away
    from the tuberosity."""
    g = np.asarray(anatomy.femur_landmarks.groove_line_mm, dtype=float)
    if g.ndim != 2 or not len(g):
        return float("nan")
    groove = g[int(round(TT_TG_GROOVE_FRACTION * (len(g) - 1)))]
    tub = apply(T_femur_tibia, np.asarray(anatomy.tibia_landmarks.tuberosity_mm, dtype=float))
    axis = np.asarray(anatomy.femur_landmarks.posterior_condylar_axis, dtype=float)
    return float((tub - groove) @ axis)
