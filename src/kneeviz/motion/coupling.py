"""Tibiofemoral coupled motion: how the tibia rotates, tilts and slides as the knee flexes.

Walker PS, Rovick JS, Robertson DD (1988). The effects of knee brace hinge design and placement on
joint mechanics. J Biomech 21(11):965-974; values as tabulated in the `walker_knee` joint of the
OpenSim Rajagopal 2016 model (docs/literature.md section 3).

Interpolation: monotone piecewise-cubic Hermite (scipy PchipInterpolator), which passes through
every table point, never overshoots between them (the table is smooth and nearly monotone) and has a
continuous first derivative, so the joint moves with a continuous velocity.

Extrapolation past 120 deg: the table is continued FLAT (its 120 deg value is held). Walker's
curves have already flattened by 100-120 deg and in vivo tibial rotation plateaus in deep flexion
(Qi W et al. 2013, J Biomech 46:1576-1582), so holding the last value is the least-assuming
extension. A flat knot beyond 120 deg makes PCHIP give zero slope at 120 deg, so the velocity stays
continuous there too. Below 0 deg (hyperextension) the 0 deg value (zero) is held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.interpolate import PchipInterpolator

from kneeviz.transforms import FloatArray

WALKER_FLEXION_DEG: FloatArray = np.arange(0.0, 121.0, 10.0)
WALKER_TIBIAL_INTERNAL_ROTATION_DEG: FloatArray = np.array(
    [0.0, 3.4, 6.3, 8.6, 10.5, 12.0, 13.2, 14.0, 14.6, 14.9, 15.0, 15.1, 15.0]
)
WALKER_TIBIAL_ADDUCTION_DEG: FloatArray = np.array(
    [0.0, 0.7, 1.3, 1.7, 1.9, 1.9, 1.8, 1.5, 1.1, 0.7, 0.3, 0.0, -0.1]
)
WALKER_ANTERIOR_TRANSLATION_MM: FloatArray = np.array(
    [0.0, 1.0, 1.9, 2.7, 3.5, 4.2, 4.8, 5.3, 5.8, 6.1, 6.4, 6.7, 6.8]
)
PLATEAU_KNOT_DEG = 180.0
"""A flat knot far past the table's end: holds the 120 deg values (see the module docstring)."""


def _interpolator(values: FloatArray) -> PchipInterpolator:
    x = np.append(WALKER_FLEXION_DEG, PLATEAU_KNOT_DEG)
    y = np.append(values, values[-1])
    return PchipInterpolator(x, y, extrapolate=False)


_IR = _interpolator(WALKER_TIBIAL_INTERNAL_ROTATION_DEG)
_ADD = _interpolator(WALKER_TIBIAL_ADDUCTION_DEG)
_ANT = _interpolator(WALKER_ANTERIOR_TRANSLATION_MM)


@dataclass(frozen=True, eq=False)
class Coupling:
    """Coupled tibiofemoral motion at given flexion angles (arrays shaped like the input)."""

    tibial_internal_rotation_deg: FloatArray
    tibial_adduction_deg: FloatArray
    anterior_translation_mm: FloatArray


def walker_coupling(flexion_deg: ArrayLike) -> Coupling:
    """Tibial internal rotation, adduction (varus) and anterior translation relative to the femur,
    as functions of knee flexion (deg), interpolated from the Walker 1988 table."""
    f = np.clip(np.asarray(flexion_deg, dtype=float), 0.0, PLATEAU_KNOT_DEG)
    return Coupling(
        tibial_internal_rotation_deg=np.asarray(_IR(f), dtype=float),
        tibial_adduction_deg=np.asarray(_ADD(f), dtype=float),
        anterior_translation_mm=np.asarray(_ANT(f), dtype=float),
    )
