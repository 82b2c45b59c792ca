"""The deep squat: planted foot, rigid bones, prescribed joint angles, hip-driven femoral rotation,
smoothness, literature ranges and left/right mirroring (runs on the synthetic knee)."""

from __future__ import annotations

import numpy as np
import pytest

from anatomy_fixtures import mirror_anatomy, synthetic_anatomy
from kneeviz.anatomy.knee import Anatomy
from kneeviz.motion.coupling import (
    WALKER_ANTERIOR_TRANSLATION_MM,
    WALKER_FLEXION_DEG,
    WALKER_TIBIAL_ADDUCTION_DEG,
    WALKER_TIBIAL_INTERNAL_ROTATION_DEG,
    walker_coupling,
)
from kneeviz.motion.grood_suntay import gs_from_pose
from kneeviz.motion.squat import SquatKinematics, minimum_jerk, squat_kinematics
from kneeviz.scenario import PRESETS, Scenario
from kneeviz.transforms import MIRROR_Z, apply, axis_angle, invert, make_transform


def _rotation_angle_deg(R: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip((np.trace(R, axis1=-2, axis2=-1) - 1.0) / 2.0, -1, 1)))


def _rotation_axis(R: np.ndarray) -> np.ndarray:
    w = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    return w / np.linalg.norm(w)


@pytest.fixture(scope="module", params=["synthetic", "default"])
def knee(request: pytest.FixtureRequest) -> Anatomy:
    """The synthetic knee and the bundled default (atlas) knee: the motion works on any knee."""
    if request.param == "default":
        from kneeviz.anatomy.build import load_default_anatomy

        return load_default_anatomy()
    return synthetic_anatomy("right")


def _lengths(knee: Anatomy) -> tuple[float, float]:
    tl = knee.tibia_landmarks
    return knee.femur_length_mm, float(np.linalg.norm(tl.plateau_centre_mm - tl.ankle_centre_mm))


@pytest.fixture(scope="module")
def squats(knee: Anatomy) -> dict[str, SquatKinematics]:
    """Frame rate 120 Hz keeps every knee-flexion step under 1 deg ("1 deg resolution")."""
    out = {}
    for name in ("healthy", "pfp", "severe"):
        out[name] = squat_kinematics(knee, Scenario.from_preset(name, frame_rate_hz=120.0))
    out["ir_only"] = squat_kinematics(
        knee, Scenario(femoral_internal_rotation_deg=8.0, preset="custom", frame_rate_hz=120.0)
    )
    out["add_only"] = squat_kinematics(
        knee, Scenario(hip_adduction_deg=4.0, preset="custom", frame_rate_hz=120.0)
    )
    return out


# --- Walker coupling -------------------------------------------------------------------------


def test_walker_coupling_passes_through_the_table() -> None:
    c = walker_coupling(WALKER_FLEXION_DEG)
    np.testing.assert_allclose(c.tibial_internal_rotation_deg, WALKER_TIBIAL_INTERNAL_ROTATION_DEG)
    np.testing.assert_allclose(c.tibial_adduction_deg, WALKER_TIBIAL_ADDUCTION_DEG)
    np.testing.assert_allclose(c.anterior_translation_mm, WALKER_ANTERIOR_TRANSLATION_MM)
    # spot values from docs/literature.md section 3
    c = walker_coupling([30.0, 90.0])
    np.testing.assert_allclose(c.tibial_internal_rotation_deg, [8.6, 14.9])
    np.testing.assert_allclose(c.anterior_translation_mm, [2.7, 6.1])


def test_walker_coupling_is_monotone_between_points_and_flat_past_120() -> None:
    f = np.linspace(0.0, 100.0, 1001)
    ir = walker_coupling(f).tibial_internal_rotation_deg
    assert np.all(np.diff(ir) >= 0.0)  # the table rises to 100 deg: no overshoot wiggles
    deep = walker_coupling([120.0, 125.0, 130.0, 140.0, 160.0])
    for values, last in (
        (deep.tibial_internal_rotation_deg, 15.0),
        (deep.tibial_adduction_deg, -0.1),
        (deep.anterior_translation_mm, 6.8),
    ):
        np.testing.assert_allclose(values, last, atol=1e-12)
    # continuous velocity at 120 deg: the slope just below matches the plateau's zero slope
    below = walker_coupling([119.99, 120.0]).anterior_translation_mm
    assert abs(below[1] - below[0]) / 0.01 < 0.01


def test_minimum_jerk_profile_shape() -> None:
    u = np.linspace(0.0, 1.0, 101)
    s = minimum_jerk(u)
    assert s[0] == 0.0 and s[-1] == 1.0 and abs(s[50] - 0.5) < 1e-12
    assert np.all(np.diff(s) >= 0.0)
    v = np.gradient(s, u)
    assert abs(v[0]) < 1e-3 and abs(v[-1]) < 1e-3 and abs(v.max() - 1.875) < 1e-3


# --- the squat --------------------------------------------------------------------------------


def test_flexion_goes_down_and_up(squats: dict[str, SquatKinematics]) -> None:
    k = squats["healthy"]
    assert k.n_frames == 481  # 4 s at 120 Hz, both ends
    assert k.knee_flexion_deg[0] == 0.0 and abs(k.knee_flexion_deg[-1]) < 1e-12
    i = int(np.argmax(k.knee_flexion_deg))
    assert abs(k.time_s[i] - 2.0) < 1e-9 and abs(k.knee_flexion_deg[i] - 120.0) < 1e-9


@pytest.mark.parametrize("name", ["healthy", "pfp", "severe"])
def test_foot_does_not_move(squats: dict[str, SquatKinematics], knee: Anatomy, name: str) -> None:
    k = squats[name]
    ankle = np.array([apply(T, knee.tibia_landmarks.ankle_centre_mm) for T in k.T_world_tibia])
    np.testing.assert_allclose(ankle, 0.0, atol=1e-9)
    np.testing.assert_allclose(k.ankle_centre_world_mm, 0.0, atol=1e-9)


@pytest.mark.parametrize("name", ["healthy", "pfp", "severe"])
def test_bones_are_rigid_and_keep_their_lengths(
    squats: dict[str, SquatKinematics], knee: Anatomy, name: str
) -> None:
    k = squats[name]
    for T in (k.T_world_femur, k.T_world_tibia, k.T_world_pelvis):
        R = T[:, :3, :3]
        np.testing.assert_allclose(R @ np.swapaxes(R, 1, 2), np.broadcast_to(np.eye(3), R.shape),
                                   atol=1e-12)
        assert np.all(np.linalg.det(R) > 0.0)
    fl, tl = knee.femur_landmarks, knee.tibia_landmarks
    hip = np.array([apply(T, fl.hip_centre_mm) for T in k.T_world_femur])
    knee_c = np.array([apply(T, np.zeros(3)) for T in k.T_world_femur])
    plateau = np.array([apply(T, tl.plateau_centre_mm) for T in k.T_world_tibia])
    ankle = np.array([apply(T, tl.ankle_centre_mm) for T in k.T_world_tibia])
    femur_mm, tibia_mm = _lengths(knee)
    np.testing.assert_allclose(np.linalg.norm(hip - knee_c, axis=1), femur_mm, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(plateau - ankle, axis=1), tibia_mm, atol=1e-9)
    np.testing.assert_allclose(k.hip_centre_world_mm, hip, atol=1e-9)
    np.testing.assert_allclose(k.T_world_pelvis[:, :3, 3], hip, atol=1e-9)  # pelvis at the hip


@pytest.mark.parametrize("name", ["healthy", "ir_only", "pfp", "severe"])
def test_gs_angles_recovered_from_the_poses_are_the_prescribed_ones(
    squats: dict[str, SquatKinematics], knee: Anatomy, name: str
) -> None:
    """Prescribed: reference + Walker coupling - femoral internal rotation (as tibial external
    rotation); hip adduction is a separate turn of the femur about its own AP axis (A below), so
    the joint pose with that turn taken off must carry exactly the prescribed angles."""
    k = squats[name]
    ir_deg, add_deg = (8.0, 0.0) if name == "ir_only" else PRESETS[name]
    ref = gs_from_pose(knee.T_femur_tibia_ref)
    walker = walker_coupling(k.knee_flexion_deg)
    growth = 1.0 + 0.25 * k.knee_flexion_deg / 120.0
    mech = knee.femur_landmarks.hip_centre_mm / np.linalg.norm(knee.femur_landmarks.hip_centre_mm)
    ap = np.cross(mech, [0.0, 0.0, 1.0])
    A = np.array([make_transform(axis_angle(ap, np.radians(a)), np.zeros(3))
                  for a in add_deg * growth])
    gs = gs_from_pose(A @ invert(k.T_world_femur) @ k.T_world_tibia)
    np.testing.assert_allclose(gs.flexion_deg, k.knee_flexion_deg, atol=0.5)
    np.testing.assert_allclose(
        gs.adduction_deg, ref.adduction_deg + walker.tibial_adduction_deg, atol=0.5
    )
    np.testing.assert_allclose(
        gs.tibial_rotation_deg,
        ref.tibial_rotation_deg + walker.tibial_internal_rotation_deg - ir_deg * growth,
        atol=0.5,
    )
    anterior = ref.translation_mm[1] + walker.anterior_translation_mm
    np.testing.assert_allclose(gs.translation_mm[:, 1], anterior, atol=0.05)
    np.testing.assert_allclose(gs.translation_mm[:, [0, 2]],
                               np.broadcast_to(ref.translation_mm[[0, 2]], (k.n_frames, 2)),
                               atol=0.05)
    # the reported fields are those of the actual poses
    actual = gs_from_pose(invert(k.T_world_femur) @ k.T_world_tibia)
    np.testing.assert_allclose(k.gs_flexion_deg, actual.flexion_deg, atol=1e-9)
    np.testing.assert_allclose(k.gs_tibial_rotation_deg, actual.tibial_rotation_deg, atol=1e-9)
    np.testing.assert_allclose(k.gs_adduction_deg, actual.adduction_deg, atol=1e-9)
    np.testing.assert_allclose(k.gs_translation_mm, actual.translation_mm, atol=1e-9)


def test_femoral_internal_rotation_turns_the_femur_and_leaves_the_tibia(
    squats: dict[str, SquatKinematics],
) -> None:
    h, p = squats["healthy"], squats["ir_only"]
    # the tibia (and foot) do not move at all
    np.testing.assert_array_equal(p.T_world_tibia, h.T_world_tibia)
    # standing: the femur turns about its own mechanical axis; hip and knee centres stay put
    # (8 deg about an axis across the femur would move the hip by ~60 mm)
    D = p.T_world_femur[0] @ invert(h.T_world_femur[0])
    mech = h.hip_centre_world_mm[0] - h.knee_centre_world_mm[0]
    mech /= np.linalg.norm(mech)
    axis = _rotation_axis(D[:3, :3])
    assert np.degrees(np.arccos(abs(axis @ mech))) < 2.5
    assert abs(_rotation_angle_deg(D[:3, :3]) - 8.0) < 1e-6
    assert np.linalg.norm(p.hip_centre_world_mm[0] - h.hip_centre_world_mm[0]) < 3.0
    assert np.linalg.norm(p.knee_centre_world_mm[0] - h.knee_centre_world_mm[0]) < 1.0
    # internal: the femur's anterior face turns medially (-Z, towards the body's midline)
    assert (p.T_world_femur[0, 2, 0] - h.T_world_femur[0, 2, 0]) < -0.1
    # in the world's axial plane (as Souza 2010 measured) the femur turns by the applied amount
    change = p.femur_rotation_world_deg - h.femur_rotation_world_deg
    assert abs(change[0] - 8.0) < 0.05
    shallow = p.knee_flexion_deg <= 45.0
    np.testing.assert_allclose(change[shallow], p.hip_driven_rotation_deg[shallow], atol=0.5)
    # in every frame the turn is about the held tibia's long axis (the knee's free rotation), by
    # the applied amount, which grows from 8 deg to 10 deg at the bottom
    assert p.hip_driven_rotation_deg[0] == 8.0
    assert abs(p.hip_driven_rotation_deg.max() - 10.0) < 1e-9
    for i in range(0, p.n_frames, 40):
        D = p.T_world_femur[i] @ invert(h.T_world_femur[i])
        tibia_axis = h.T_world_tibia[i, :3, 1]
        assert abs(abs(_rotation_axis(D[:3, :3]) @ tibia_axis) - 1.0) < 1e-9
        assert abs(_rotation_angle_deg(D[:3, :3]) - p.hip_driven_rotation_deg[i]) < 1e-6


def test_hip_adduction_is_dynamic_valgus(
    squats: dict[str, SquatKinematics], knee: Anatomy
) -> None:
    h, a = squats["healthy"], squats["add_only"]
    np.testing.assert_array_equal(a.T_world_tibia, h.T_world_tibia)
    np.testing.assert_allclose(a.knee_centre_world_mm, h.knee_centre_world_mm, atol=1e-9)
    # the hip (and pelvis) move laterally (+Z) in every frame: the knee falls medial of the
    # hip-foot line
    lateral = a.hip_centre_world_mm[:, 2] - h.hip_centre_world_mm[:, 2]
    assert lateral[0] == pytest.approx(knee.femur_length_mm * np.sin(np.radians(4.0)), abs=3.0)
    assert np.all(lateral > 15.0)
    # standing, that is knee valgus (abduction) by the applied amount (Nakagawa 2012: ~1:1)
    assert h.gs_adduction_deg[0] - a.gs_adduction_deg[0] == pytest.approx(4.0, abs=0.3)
    # the pelvis is carried, not turned
    np.testing.assert_allclose(a.T_world_pelvis[:, :3, :3], h.T_world_pelvis[:, :3, :3])


def test_squat_is_smooth(squats: dict[str, SquatKinematics], knee: Anatomy) -> None:
    k = squats["severe"]
    step = np.abs(np.diff(k.knee_flexion_deg))
    assert step.max() <= 1.0  # 1 deg resolution
    reach = sum(_lengths(knee))
    for T in (k.T_world_femur, k.T_world_tibia, k.T_world_pelvis):
        rel = np.einsum("nji,njk->nik", T[:-1, :3, :3], T[1:, :3, :3])
        turn = _rotation_angle_deg(rel)
        assert turn.max() <= 1.0  # no bone turns more than the knee flexes
        move = np.linalg.norm(np.diff(T[:, :3, 3], axis=0), axis=1)
        assert move.max() <= reach * np.radians(1.0)
        # second differences: a steady, jerk-free path (a 1 deg glitch would give ~7 mm / 1 deg)
        assert np.linalg.norm(np.diff(T[:, :3, 3], 2, axis=0), axis=1).max() < 0.5
        assert np.abs(np.diff(turn)).max() < 0.1
    for series in (k.hip_flexion_deg, k.ankle_dorsiflexion_deg, k.gs_tibial_rotation_deg,
                   k.gs_adduction_deg, k.femur_rotation_world_deg):
        assert np.abs(np.diff(series, 2)).max() < 0.1


def test_depth_angles_are_in_the_published_range(squats: dict[str, SquatKinematics]) -> None:
    """docs/literature.md section 4: at 120-140 deg knee flexion, hip 100-120, ankle dorsiflexion
    25-35 deg."""
    k = squats["healthy"]
    i = int(np.argmax(k.knee_flexion_deg))
    assert 100.0 <= k.hip_flexion_deg[i] <= 120.0
    assert 25.0 <= k.ankle_dorsiflexion_deg[i] <= 35.0
    assert abs(k.hip_flexion_deg[0]) < 3.0 and abs(k.ankle_dorsiflexion_deg[0]) < 1e-9
    assert np.all(np.diff(k.ankle_dorsiflexion_deg[: i + 1]) >= 0.0)
    assert np.all(np.diff(k.hip_flexion_deg[: i + 1]) > 0.0)


def test_deepest_squat_stays_in_range(knee: Anatomy) -> None:
    k = squat_kinematics(knee, Scenario(max_flexion_deg=140.0, frame_rate_hz=30.0))
    i = int(np.argmax(k.knee_flexion_deg))
    assert abs(k.knee_flexion_deg[i] - 140.0) < 1e-9
    assert 25.0 <= k.ankle_dorsiflexion_deg[i] <= 35.0
    assert np.all(np.isfinite(k.T_world_femur))
    # past the Walker table the coupling is held at its 120 deg value
    assert abs(k.gs_tibial_rotation_deg[i] - k.gs_tibial_rotation_deg[0] - 15.0) < 1e-9


def test_pelvis_stays_over_the_foot(squats: dict[str, SquatKinematics], knee: Anatomy) -> None:
    k = squats["healthy"]
    hip = k.hip_centre_world_mm
    # sideways the hip stays over the planted foot (the shank turns in over the foot, so the
    # thigh keeps pointing over the toes rather than swinging ~100 mm sideways)
    assert np.abs(hip[:, 2] - hip[0, 2]).max() < 30.0
    assert abs(hip[0, 2]) < 25.0
    # standing, the hip is above the ankle; at depth it sits back behind the heel with the trunk
    # leaning forward (pelvic tilt), never further back than the thigh is long
    assert abs(hip[0, 0]) < 10.0 and hip[0, 1] > 0.98 * sum(_lengths(knee))
    assert np.all(hip[:, 0] < 10.0) and hip[:, 0].min() > -0.6 * knee.femur_length_mm
    # standing, the knee faces forward (flexion axis along world Z); the healthy femur then keeps
    # its heading in the world through the squat
    assert abs(k.femur_rotation_world_deg[0]) < 1e-9
    assert np.abs(k.femur_rotation_world_deg).max() < 3.0
    # the pelvis faces forward too, and tilts forward (trunk lean) by 20 deg at the bottom
    zp = k.T_world_pelvis[:, :3, 2]
    assert abs(np.arctan2(zp[0, 0], zp[0, 2])) < 1e-9
    assert np.degrees(np.abs(np.arctan2(zp[:, 0], zp[:, 2]))).max() < 1.0
    i = int(np.argmax(k.knee_flexion_deg))
    turn = k.T_world_pelvis[i, :3, :3] @ k.T_world_pelvis[0, :3, :3].T
    assert _rotation_angle_deg(turn) == pytest.approx(20.0, abs=1e-6)
    assert _rotation_axis(turn) @ np.array([0.0, 0.0, -1.0]) == pytest.approx(1.0, abs=1e-9)


def test_left_and_right_knees_mirror_each_other() -> None:
    right = synthetic_anatomy("right")
    left = synthetic_anatomy("left")
    scanned_left = mirror_anatomy(left, "left")  # the left knee as scanned (lateral = -Z)
    for preset in ("healthy", "pfp"):
        s = Scenario.from_preset(preset, frame_rate_hz=10.0)
        kr, kl = squat_kinematics(right, s), squat_kinematics(left, s)
        for i in (0, kr.n_frames // 3, kr.n_frames // 2):
            for bone, T_r, T_l in (("femur", kr.T_world_femur[i], kl.T_world_femur[i]),
                                   ("tibia", kr.T_world_tibia[i], kl.T_world_tibia[i])):
                v_right = apply(T_r, getattr(right, bone).vertices_mm)
                # display a left knee: mirror its scanned vertices into the model, pose, mirror back
                v_left_shown = apply(left.T_display_model @ T_l @ MIRROR_Z,
                                     getattr(scanned_left, bone).vertices_mm)
                np.testing.assert_allclose(v_left_shown, apply(MIRROR_Z, v_right), atol=1e-9)
    # femoral internal rotation turns each femur's front towards the body's midline
    s_h, s_p = Scenario(frame_rate_hz=10.0), Scenario.from_preset("pfp", frame_rate_hz=10.0)
    for anatomy, midline_sign in ((right, -1.0), (left, +1.0)):
        h, p = squat_kinematics(anatomy, s_h), squat_kinematics(anatomy, s_p)
        shown = [anatomy.T_display_model @ T for T in (h.T_world_femur[0], p.T_world_femur[0])]
        assert midline_sign * (shown[1][2, 0] - shown[0][2, 0]) > 0.1


def test_rejects_an_invalid_scenario(knee: Anatomy) -> None:
    from kneeviz.errors import KneevizError

    with pytest.raises(KneevizError, match="maximum knee flexion"):
        squat_kinematics(knee, Scenario(max_flexion_deg=170.0))
