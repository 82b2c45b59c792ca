"""Rotations about the frame axes for building test poses (scipy's Rotation, radians)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def rot_x(a: float) -> np.ndarray:
    return np.asarray(Rotation.from_euler("x", a).as_matrix())


def rot_y(a: float) -> np.ndarray:
    return np.asarray(Rotation.from_euler("y", a).as_matrix())


def rot_z(a: float) -> np.ndarray:
    return np.asarray(Rotation.from_euler("z", a).as_matrix())
