"""The Grood-Suntay joint coordinate system of the knee (Grood ES, Suntay WJ 1983, J Biomech Eng
105:136-144), right-knee convention (X anterior, Y proximal, Z lateral; a left knee is mirrored in).

Axes: e1 = the femur's Z (mediolateral) axis, fixed in the femur; e3 = the tibia's Y (long) axis,
fixed in the tibia; e2 = e3 x e1 normalised, the floating axis (anterior when the frames align).
Angles, all zero when the two frames are aligned:
- flexion about e1, + = flexion (the tibia's distal end swings posteriorly);
- adduction about e2, + = adduction / varus (the tibia's distal end swings medially);
- tibial rotation about e3, + = internal (the tibia's anterior face turns medially).
This is the intrinsic Z-X-Y Cardan sequence R_femur_tibia = Rz(-flexion) Rx(adduction)
Ry(tibial_rotation). Translations: the tibial origin in the femur frame written along the three
(non-orthogonal) JCS axes, t = q1 e1 + q2 e2 + q3 e3: q1 mediolateral shift (+ lateral), q2 anterior
drawer (+ anterior), q3 distraction along the tibial axis (+ proximal).

Both functions take and return degrees, accept one pose or many (arrays), and are exact inverses of
each other for |adduction| < 90 deg and flexion in (-180, 180] deg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from kneeviz.transforms import FloatArray


@dataclass(frozen=True, eq=False)
class GSAngles:
    """Grood-Suntay angles (deg) and translations (mm, (..., 3) as q1, q2, q3)."""

    flexion_deg: FloatArray
    adduction_deg: FloatArray
    tibial_rotation_deg: FloatArray
    translation_mm: FloatArray


def _rotation(flex_rad: FloatArray, add_rad: FloatArray, rot_rad: FloatArray) -> FloatArray:
    """Rz(-flex) Rx(add) Ry(rot), broadcast over leading dimensions -> (..., 3, 3)."""
    a = -flex_rad
    ca, sa = np.cos(a), np.sin(a)
    cb, sb = np.cos(add_rad), np.sin(add_rad)
    cc, sc = np.cos(rot_rad), np.sin(rot_rad)
    R = np.empty(np.shape(a) + (3, 3))
    R[..., 0, 0] = ca * cc - sa * sb * sc
    R[..., 0, 1] = -sa * cb
    R[..., 0, 2] = ca * sc + sa * sb * cc
    R[..., 1, 0] = sa * cc + ca * sb * sc
    R[..., 1, 1] = ca * cb
    R[..., 1, 2] = sa * sc - ca * sb * cc
    R[..., 2, 0] = -cb * sc
    R[..., 2, 1] = sb
    R[..., 2, 2] = cb * cc
    return R


def _jcs_axes(R: FloatArray, flex_rad: FloatArray) -> FloatArray:
    """Columns e1, e2, e3 in the femur frame -> (..., 3, 3)."""
    E = np.zeros(R.shape)
    E[..., 2, 0] = 1.0
    E[..., 0, 1] = np.cos(flex_rad)
    E[..., 1, 1] = -np.sin(flex_rad)
    E[..., :, 2] = R[..., :, 1]
    return E


def pose_from_gs(
    flexion_deg: ArrayLike,
    adduction_deg: ArrayLike,
    tibial_rotation_deg: ArrayLike,
    translation_mm: ArrayLike = (0.0, 0.0, 0.0),
) -> FloatArray:
    """T_femur_tibia (4,4) or (N,4,4) from Grood-Suntay angles (deg) and JCS translations (mm)."""
    f, b, c = np.broadcast_arrays(
        np.radians(np.asarray(flexion_deg, dtype=float)),
        np.radians(np.asarray(adduction_deg, dtype=float)),
        np.radians(np.asarray(tibial_rotation_deg, dtype=float)),
    )
    q = np.broadcast_to(np.asarray(translation_mm, dtype=float), f.shape + (3,))
    R = _rotation(f, b, c)
    E = _jcs_axes(R, f)
    T = np.zeros(f.shape + (4, 4))
    T[..., :3, :3] = R
    T[..., :3, 3] = np.einsum("...ij,...j->...i", E, q)
    T[..., 3, 3] = 1.0
    return T


def gs_from_pose(T_femur_tibia: ArrayLike) -> GSAngles:
    """Grood-Suntay angles (deg) and JCS translations (mm) of T_femur_tibia, (4,4) or (N,4,4)."""
    T = np.asarray(T_femur_tibia, dtype=float)
    R = T[..., :3, :3]
    add = np.arcsin(np.clip(R[..., 2, 1], -1.0, 1.0))
    flex = -np.arctan2(-R[..., 0, 1], R[..., 1, 1])
    rot = np.arctan2(-R[..., 2, 0], R[..., 2, 2])
    E = _jcs_axes(R, flex)
    q = np.linalg.solve(E, T[..., :3, 3][..., None])[..., 0]
    return GSAngles(
        flexion_deg=np.degrees(flex),
        adduction_deg=np.degrees(add),
        tibial_rotation_deg=np.degrees(rot),
        translation_mm=q,
    )
