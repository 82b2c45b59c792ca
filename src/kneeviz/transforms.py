"""4x4 homogeneous transforms as plain numpy arrays (names follow T_to_from).

Arrays of frames are (N, 4, 4). Angles in radians inside this module.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def make_transform(R: FloatArray, t: FloatArray) -> FloatArray:
    """A 4x4 transform from a 3x3 rotation and a translation (mm)."""
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = t
    return T


def invert(T: FloatArray) -> FloatArray:
    """Inverse of a rigid (or mirrored rigid) transform, for one (4,4) or many (N,4,4)."""
    R = T[..., :3, :3]
    t = T[..., :3, 3]
    Rt = np.swapaxes(R, -1, -2)
    out = np.zeros_like(T)
    out[..., :3, :3] = Rt
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", Rt, t)
    out[..., 3, 3] = 1.0
    return out


def apply(T: FloatArray, points: FloatArray) -> FloatArray:
    """Map points (..., 3) by one 4x4 transform."""
    return np.asarray(points) @ T[:3, :3].T + T[:3, 3]


def unit(v: FloatArray) -> FloatArray:
    """v scaled to length 1 along its last axis (one vector or many)."""
    v = np.asarray(v, dtype=float)
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True), dtype=float)


def axis_angle(axis: FloatArray, angle: float | FloatArray) -> FloatArray:
    """Rotation matrix (3, 3) for a turn of `angle` rad about `axis`, or (N, 3, 3) for N angles.

    Rodrigues' formula in plain numpy rather than scipy's Rotation: the equilibrium solver calls
    it at every Newton step, where Rotation's object overhead costs more than the arithmetic."""
    k = unit(np.asarray(axis, dtype=float))
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    a = np.asarray(angle, dtype=float)
    s = np.sin(a)[..., None, None]
    c = np.cos(a)[..., None, None]
    return np.asarray(np.eye(3) + s * K + (1.0 - c) * (K @ K), dtype=float)


def rotation_about_point(R: FloatArray, point: FloatArray) -> FloatArray:
    """4x4 transform(s) that rotate by R ((3, 3) or (N, 3, 3)) about a fixed point."""
    R = np.asarray(R, dtype=float)
    p = np.asarray(point, dtype=float)
    T = np.zeros(R.shape[:-2] + (4, 4))
    T[..., :3, :3] = R
    T[..., :3, 3] = p - R @ p
    T[..., 3, 3] = 1.0
    return T


def nearest_rotation(R: FloatArray) -> FloatArray:
    """The proper rotation closest to R (SVD): poses read from files, or extrapolated from frame
    to frame, drift off orthonormality."""
    U, _, Vt = np.linalg.svd(np.asarray(R, dtype=float))
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))])
    return np.asarray(U @ D @ Vt, dtype=float)


MIRROR_Z: FloatArray = np.diag([1.0, 1.0, -1.0, 1.0])
"""Mirror across the sagittal plane of a frame (left knee <-> right-knee convention)."""
