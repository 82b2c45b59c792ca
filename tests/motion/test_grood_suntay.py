"""Grood-Suntay joint coordinate system: signs, axes and exact inversion."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kneeviz.motion.grood_suntay import gs_from_pose, pose_from_gs
from kneeviz.transforms import make_transform
from rotations import rot_x, rot_y, rot_z


def test_aligned_frames_are_zero() -> None:
    gs = gs_from_pose(np.eye(4))
    assert abs(gs.flexion_deg) < 1e-12 and abs(gs.adduction_deg) < 1e-12
    assert abs(gs.tibial_rotation_deg) < 1e-12
    np.testing.assert_allclose(gs.translation_mm, 0.0, atol=1e-12)


def test_flexion_swings_the_distal_tibia_posteriorly() -> None:
    T = pose_from_gs(90.0, 0.0, 0.0)
    # the tibia's long axis (pointing up from the ankle) now points anteriorly in the femur frame
    np.testing.assert_allclose(T[:3, 1], [1.0, 0.0, 0.0], atol=1e-12)
    ankle = T[:3, :3] @ np.array([0.0, -400.0, 0.0])
    assert ankle[0] < -399.0  # the ankle is posterior


def test_adduction_is_varus_and_rotation_is_internal() -> None:
    T = pose_from_gs(0.0, 10.0, 0.0)
    ankle = T[:3, :3] @ np.array([0.0, -400.0, 0.0])
    assert ankle[2] < -60.0  # distal tibia medial (-Z for a right knee): varus
    T = pose_from_gs(0.0, 0.0, 10.0)
    anterior = T[:3, 0]
    assert anterior[2] < -0.15  # the tibia's anterior face turns medially: internal rotation


def test_angles_of_an_independently_built_pose() -> None:
    """A pose made with the plain rotation helpers, in the Z-X-Y order Grood & Suntay imply."""
    R = rot_z(np.radians(-35.0)) @ rot_x(np.radians(4.0)) @ rot_y(np.radians(-12.0))
    gs = gs_from_pose(make_transform(R, np.array([1.0, -25.0, 3.0])))
    assert abs(gs.flexion_deg - 35.0) < 1e-9
    assert abs(gs.adduction_deg - 4.0) < 1e-9
    assert abs(gs.tibial_rotation_deg + 12.0) < 1e-9


def test_translations_lie_along_the_jcs_axes() -> None:
    # q1 along the femur's Z axis, whatever the angles
    T = pose_from_gs(70.0, 5.0, 20.0, (3.0, 0.0, 0.0))
    np.testing.assert_allclose(T[:3, 3], [0.0, 0.0, 3.0], atol=1e-12)
    # q3 along the tibia's long axis
    T = pose_from_gs(70.0, 5.0, 20.0, (0.0, 0.0, -25.0))
    np.testing.assert_allclose(T[:3, 3], -25.0 * T[:3, 1], atol=1e-12)
    # q2 (anterior drawer) along the floating axis, perpendicular to both; at 90 deg flexion and no
    # adduction that is the tibia's anterior direction
    T = pose_from_gs(90.0, 0.0, 0.0, (0.0, 5.0, 0.0))
    np.testing.assert_allclose(T[:3, 3], 5.0 * T[:3, 0], atol=1e-12)
    e2 = T[:3, 3] / 5.0
    assert abs(e2 @ np.array([0.0, 0.0, 1.0])) < 1e-12 and abs(e2 @ T[:3, 1]) < 1e-12


angles = st.tuples(
    st.floats(-30.0, 170.0), st.floats(-60.0, 60.0), st.floats(-80.0, 80.0),
    st.floats(-40.0, 40.0), st.floats(-40.0, 40.0), st.floats(-40.0, 40.0),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(angles)
def test_round_trip_angles_pose_angles(a: tuple[float, ...]) -> None:
    T = pose_from_gs(a[0], a[1], a[2], a[3:])
    R = T[:3, :3]
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) > 0.999999
    gs = gs_from_pose(T)
    np.testing.assert_allclose(
        [gs.flexion_deg, gs.adduction_deg, gs.tibial_rotation_deg], a[:3], atol=1e-8
    )
    np.testing.assert_allclose(gs.translation_mm, a[3:], atol=1e-8)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(angles, min_size=1, max_size=5))
def test_round_trip_pose_angles_pose_batched(batch: list[tuple[float, ...]]) -> None:
    a = np.array(batch)
    T = pose_from_gs(a[:, 0], a[:, 1], a[:, 2], a[:, 3:])
    assert T.shape == (len(batch), 4, 4)
    gs = gs_from_pose(T)
    T2 = pose_from_gs(gs.flexion_deg, gs.adduction_deg, gs.tibial_rotation_deg, gs.translation_mm)
    np.testing.assert_allclose(T2, T, atol=1e-9)
