"""Where the iliotibial band (ITB) runs past the knee: the anchor of the iliopatellar band.

The lateral retinaculum's superficial fibres come off the ITB (Merican AM, Amis AA 2008, J Bone
Joint Surg Br 90:527), and ITB tension tilts and shifts the patella laterally (Merican AM, Amis AA
2009, J Biomech 42:1539). Near the knee the ITB is a band from the distal Kaplan fibres, which tie
it to the femur about 27.5 mm proximal and posterior of the lateral epicondyle (The anatomy of
Kaplan fibers, Arch Orthop Trauma Surg 2021, 141:447-454), down to Gerdy's tubercle on the tibia.
So the point where the iliopatellar band joins it is carried partly by the femur and partly by the
tibia: it slides backwards over the lateral epicondyle as the knee flexes (in extension the ITB lies
anterior of the epicondyle and crosses it near 30 deg: Orchard JW et al. 1996, Am J Sports Med
24:375), and backwards too when the hip turns the femur inward over the planted tibia. That second
motion is how a weak hip tilts the kneecap relative to the groove (Souza et al. 2010).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.transforms import apply

DISTAL_KAPLAN_PROXIMAL_MM = 27.5
"""Distal Kaplan fibres: 27.54 +- 7.69 mm proximal and posterior of the lateral epicondyle (Arch
Orthop Trauma Surg 2021, 141:447-454); taken here as straight up the femur's axis."""

GERDY_BAND_BELOW_PLATEAU_MM = (5.0, 25.0)
"""Gerdy's tubercle lies on the anterolateral tibia just below the lateral plateau's rim."""

GERDY_DIRECTION_DEG = 50.0
"""The tubercle is the tibia's most prominent point in this direction (from anterior towards
lateral, in the tibia's axial plane) within that band."""


@dataclass(frozen=True, eq=False)
class ItbAnchor:
    """The iliopatellar band's anchor on the ITB: a fixed fraction `tibia_weight` of the way from
    the femoral (Kaplan) point to the tibial (Gerdy) point."""

    femur_mm: FloatArray  # femur frame
    tibia_mm: FloatArray  # tibia frame
    tibia_weight: float

    def in_femur(self, T_femur_tibia: FloatArray) -> FloatArray:
        return (1.0 - self.tibia_weight) * self.femur_mm + self.tibia_weight * apply(
            T_femur_tibia, self.tibia_mm
        )


def gerdy_tubercle_mm(anatomy: Anatomy) -> FloatArray:
    """Gerdy's tubercle (tibia frame) found on the tibia's surface: the most anterolateral point
    5-25 mm below the lateral plateau."""
    v = np.asarray(anatomy.tibia.vertices_mm, dtype=float)
    lp = np.asarray(anatomy.tibia_landmarks.lateral_plateau_mm, dtype=float)
    lo, hi = GERDY_BAND_BELOW_PLATEAU_MM
    band = v[(v[:, 1] < lp[1] - lo) & (v[:, 1] > lp[1] - hi) & (v[:, 2] > 0.0)]
    if not len(band):
        band = v[v[:, 2] > 0.0] if np.any(v[:, 2] > 0.0) else v
    a = np.radians(GERDY_DIRECTION_DEG)
    return band[int(np.argmax(band @ np.array([np.cos(a), 0.0, np.sin(a)])))].copy()


def itb_anchor(anatomy: Anatomy, join_height_mm: float) -> ItbAnchor:
    """The anchor where the iliopatellar band joins the ITB: on the Kaplan-Gerdy line at the
    height `join_height_mm` (femur Y) in the standing pose (the band runs across from the patella's
    lateral border)."""
    epi = np.asarray(anatomy.femur_landmarks.lateral_epicondyle_mm, dtype=float)
    kaplan = epi + np.array([0.0, DISTAL_KAPLAN_PROXIMAL_MM, 0.0])
    gerdy_t = gerdy_tubercle_mm(anatomy)
    gerdy_f = apply(np.asarray(anatomy.T_femur_tibia_ref, dtype=float), gerdy_t)
    span = kaplan[1] - gerdy_f[1]
    u = (kaplan[1] - join_height_mm) / span if abs(span) > 1e-6 else 0.5
    return ItbAnchor(kaplan, gerdy_t, float(np.clip(u, 0.05, 0.95)))
