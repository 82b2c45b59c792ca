"""4x4 homogeneous transforms as plain numpy arrays (names follow T_to_from).

Arrays of frames are (N, 4, 4). Angles in radians inside this module.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def identity() -> FloatArray:
    return np.eye(4)


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


def apply_vector(T: FloatArray, vectors: FloatArray) -> FloatArray:
    """Rotate direction vectors (..., 3) by a 4x4 transform (no translation)."""
    return np.asarray(vectors) @ T[:3, :3].T


def rot_x(a: float) -> FloatArray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(a: float) -> FloatArray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(a: float) -> FloatArray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def axis_angle(axis: FloatArray, angle: float) -> FloatArray:
    """Rotation matrix for a turn of `angle` rad about a unit `axis` (Rodrigues)."""
    k = np.asarray(axis, dtype=float)
    k = k / np.linalg.norm(k)
    K = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle) * K + (1.0 - np.cos(angle)) * (K @ K)


def rotation_about_point(R: FloatArray, point: FloatArray) -> FloatArray:
    """4x4 transform that rotates by R about a fixed point."""
    p = np.asarray(point, dtype=float)
    return make_transform(R, p - R @ p)


def frame_from_axes(
    origin: FloatArray, y_axis: FloatArray, z_hint: FloatArray
) -> FloatArray:
    """T_parent_frame for a frame at `origin` with Y along `y_axis` and Z as close to `z_hint`
    as orthogonality allows; X = Y x Z (ISB: X anterior, Y proximal, Z lateral for a right knee)."""
    y = np.asarray(y_axis, dtype=float)
    y = y / np.linalg.norm(y)
    z = np.asarray(z_hint, dtype=float)
    z = z - np.dot(z, y) * y
    z = z / np.linalg.norm(z)
    x = np.cross(y, z)
    return make_transform(np.column_stack([x, y, z]), np.asarray(origin, dtype=float))


MIRROR_Z: FloatArray = np.diag([1.0, 1.0, -1.0, 1.0])
"""Mirror across the sagittal plane of a frame (left knee <-> right-knee convention)."""
