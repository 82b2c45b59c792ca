"""How hard the quadriceps pulls in each frame of a bodyweight squat.

Quasi-static sagittal balance of the body above the knee (Nisell R 1985, Acta Orthop Scand Suppl
216; the standard squat estimate): the knee extensor moment equals the share of body weight one leg
carries (half, in a two-legged squat) times the horizontal distance from the knee centre to the line
of gravity, which stands over the foot. The quadriceps force follows from that moment and the
extensor mechanism's effective moment arm about the knee's flexion axis (the femur's epicondylar Z
axis), taken from the solved patella: r_eff = patellar tendon force x tendon moment arm /
quadriceps force, so quadriceps force, tendon force and moment agree with each other.
"""

from __future__ import annotations

import numpy as np

from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics.measures import GRAVITY_M_S2

LINE_OF_GRAVITY_ANTERIOR_TO_ANKLE_MM = 0.0
"""Where the line of gravity meets the floor, relative to the ankle centre. A squatter keeps the
centre of mass over the foot; we take it over the ankle, which gives knee extensor moments of about
0.25 N m/kg per leg at 30 deg and 0.75 N m/kg at 90 deg of knee flexion for a heels-down squat
(the shank inclination comes from kneeviz.motion). Moving it 5 cm forward to the midfoot would
leave the quadriceps unloaded below about 30 deg."""
QUADRICEPS_TONE_FRACTION_BW = 0.1
"""Floor on the quadriceps force, in body weights: near full extension the line of gravity passes
close to the knee and the squat needs almost no extensor moment, but the quadriceps keeps a resting
tone that seats the patella; without a floor the patella's pose would be undefined."""
DEFAULT_EXTENSOR_MOMENT_ARM_MM = 45.0
"""A first estimate of the effective extensor moment arm before any frame is solved."""


def extensor_moment_nmm(
    knee_centre_world_mm: FloatArray,
    ankle_centre_world_mm: FloatArray,
    body_mass_kg: float,
    legs: int = 2,
) -> float:
    """Knee extensor moment (N mm) one leg supplies. World: Y up, X anterior (kneeviz.motion)."""
    gravity_x = ankle_centre_world_mm[0] + LINE_OF_GRAVITY_ANTERIOR_TO_ANKLE_MM
    lever = max(float(knee_centre_world_mm[0] - gravity_x), 0.0)
    return body_mass_kg * GRAVITY_M_S2 / legs * lever


def quadriceps_force_n(moment_nmm: float, moment_arm_mm: float, body_mass_kg: float) -> float:
    arm = float(np.clip(moment_arm_mm, 15.0, 80.0))
    return max(moment_nmm / arm, QUADRICEPS_TONE_FRACTION_BW * body_mass_kg * GRAVITY_M_S2)


def effective_moment_arm_mm(
    tendon_points_mm: list[FloatArray], tendon_forces_n: list[FloatArray], quadriceps_force: float
) -> float:
    """Extension moment of the patellar tendon bundles about the femur's Z axis through the knee
    centre (femur frame), divided by the quadriceps force (mm). The tendon pulls the tibia with the
    opposite of its pull on the patella; flexion of a right knee is a negative turn about +Z, so
    extension is a positive moment about Z. Any point on a bundle's line gives the same moment."""
    if quadriceps_force <= 0:
        return DEFAULT_EXTENSOR_MOMENT_ARM_MM
    m_z = sum(float(np.cross(p, -f)[2]) for p, f in zip(tendon_points_mm, tendon_forces_n,
                                                          strict=True))
    return m_z / quadriceps_force
