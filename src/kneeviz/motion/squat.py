"""The deep squat: whole-limb kinematics with the foot planted and hip-driven femoral rotation.

World frame: Y up, X anterior (the person faces +X), Z to the right; millimetres. The ankle centre
is fixed at the world origin. Right-knee convention throughout (a left knee's Anatomy is already
mirrored into it; mirroring back for display is the display's job, `Anatomy.T_display_model`).

How a frame is built (kappa = knee flexion):
1. Knee flexion follows a minimum-jerk profile 0 -> max -> 0 (Flash & Hogan 1985): zero velocity
   AND zero acceleration at the start, the bottom and the end, so nothing jerks at the turn.
2. Tibiofemoral joint (Grood-Suntay, kneeviz.motion.grood_suntay): flexion = kappa; adduction and
   tibial rotation = the scanned reference pose's values plus the Walker coupling; translations =
   the reference pose's JCS translations plus Walker's anterior translation along the floating axis.
   Zero GS angles mean aligned frames, so "knee flexion 0" is the anatomical zero, whatever flexion
   the knee was scanned in; the scan's own varus/valgus and rotation (the person's alignment) stay.
3. Tibia in the world: standing, the shank is vertical over the ankle and turned about the vertical
   so that the femur's flexion (epicondylar) axis points to the right (`standing_poses`): the knee
   faces forward. The foot is planted, so the tibia then only tilts forward about the ankle's
   mediolateral (world Z) axis by the ankle dorsiflexion, and turns about its own long axis by the
   Walker tibial internal rotation. That second part is the closed-chain reading of Walker's
   coupling: with the foot on the ground the shank turns in over the foot (subtalar pronation)
   while the thigh keeps pointing over the foot (the knee tracks over the toes), instead of the
   whole thigh swinging ~15 deg outward. The healthy femur's heading in the world therefore stays
   nearly constant and the hip stays over the foot in the frontal plane.
4. Hip-driven parameters, applied AT THE HIP with the foot and tibia left exactly where they are,
   realised in the tibiofemoral joint (the femur moves over the held tibia and the hip and pelvis
   follow):
   - femoral internal rotation = tibial EXTERNAL rotation relative to the femur (Grood-Suntay
     tibial rotation minus the amount): the femur turns about the tibia's long axis through the
     knee. Standing, that axis is the femur's mechanical axis to within the knee's alignment (a few
     degrees), so the femur turns about its own axis as Souza et al. 2010 saw in the axial MRI
     plane. In deep flexion, turning about the femur's own axis with the tibia held would need
     ~10 deg of knee varus (the two long axes are ~120 deg apart), which collateral ligaments and
     condylar contact forbid; turning about the tibial axis keeps the knee's free degree of freedom
     and swings the hip sideways instead: the knee falls medial of the hip-foot line.
   - hip adduction: the femur turns about its own anteroposterior axis (perpendicular to its
     mechanical and epicondylar axes) through the knee centre, the hip end moving laterally, so the
     knee falls medial of the hip-foot line (dynamic valgus) in every frame. Standing, that axis is
     the Grood-Suntay floating axis and the turn is knee abduction (valgus) by the same amount -
     Nakagawa et al. 2012 (JOSPT 42:491) measured +4 deg hip adduction with +3.4 deg knee abduction
     in PFP, about one to one. Deep in the squat the same axis lines up with the shank, and the
     turn becomes the knee's free axial rotation rather than a varus/valgus the joint cannot make.
     (Adduction about the floating axis itself would, past 90 deg, swing the hip MEDIALLY.)
     The pelvis is translated with the hip, not turned.
   Amount over the squat: the full value from the first frame (Souza et al. 2010 found the extra
   femoral internal rotation at 0 and 15 deg as well as at 45 deg of flexion), growing linearly with
   depth to (1 + ROTATION_GROWTH_AT_DEPTH) times the value at the bottom of the squat: hip control
   is most taxed where the load is largest, and peak hip internal rotation in PFP was measured near
   peak depth (Souza & Powers 2009), but no published curve pins the growth, so it is kept modest.
5. Femur = tibia composed with the joint pose (T_world_femur = T_world_tibia @ T_tibia_femur).
6. Ankle dorsiflexion and pelvic tilt grow in proportion to knee flexion: 30 and 20 deg at 120 deg
   knee flexion, so hip flexion (thigh inclination + pelvic tilt) is 110 deg there;
   docs/literature.md section 4 gives 25-35 deg dorsiflexion and 100-120 deg hip flexion at
   120-140 deg knee flexion.
   Keeping the HIP CENTRE over the midfoot would instead need about 60 deg of dorsiflexion (with a
   430 mm femur and 400 mm tibia at 120 deg knee flexion), which a heels-down squat cannot reach:
   like a real squatter the pelvis moves back behind the heel and the trunk leans forward to keep
   the body's centre of mass over the foot. Sideways the hip stays over the foot (step 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.motion.bone_measures import tt_tg_mm
from kneeviz.motion.coupling import walker_coupling
from kneeviz.motion.grood_suntay import GSAngles, gs_from_pose, pose_from_gs
from kneeviz.scenario import Scenario
from kneeviz.transforms import (
    FloatArray,
    axis_angle,
    invert,
    nearest_rotation,
    rotation_about_point,
    unit,
)

DORSIFLEXION_PER_KNEE_FLEXION = 0.25
"""Ankle dorsiflexion per degree of knee flexion: 30 deg at 120 deg, 35 deg at 140 deg."""
PELVIC_TILT_PER_KNEE_FLEXION = 1.0 / 6.0
"""Anterior pelvic (trunk) tilt per degree of knee flexion: 20 deg at 120 deg."""
ROTATION_GROWTH_AT_DEPTH = 0.25
"""Hip-driven rotation at the bottom of the squat = (1 + this) x the parameter."""


@dataclass(frozen=True, eq=False)
class SquatKinematics:
    """Every frame of one squat. Arrays have N rows (frames); poses are (N, 4, 4) in mm."""

    time_s: FloatArray
    knee_flexion_deg: FloatArray
    gs_flexion_deg: FloatArray
    gs_adduction_deg: FloatArray
    gs_tibial_rotation_deg: FloatArray
    gs_translation_mm: FloatArray
    """(N, 3): mediolateral (+ lateral), anterior drawer, distraction (see grood_suntay)."""
    T_world_pelvis: FloatArray
    T_world_femur: FloatArray
    T_world_tibia: FloatArray
    T_femur_tibia: FloatArray
    hip_flexion_deg: FloatArray
    ankle_dorsiflexion_deg: FloatArray
    pelvic_tilt_deg: FloatArray
    femur_rotation_world_deg: FloatArray
    """The femur's epicondylar axis turned about the world vertical, + = internal."""
    hip_driven_rotation_deg: FloatArray
    """The hip-driven internal rotation applied in each frame (the scenario's setting grows to
    this with depth: not the same quantity, so not the same name)."""
    hip_driven_adduction_deg: FloatArray
    """The hip-driven adduction applied in each frame."""
    hip_centre_world_mm: FloatArray
    knee_centre_world_mm: FloatArray
    ankle_centre_world_mm: FloatArray
    tt_tg_mm: FloatArray
    """The dynamic tibial tuberosity - trochlear groove distance of each frame (+ lateral; see
    kneeviz.motion.bone_measures.tt_tg_mm): it grows as the femur turns inward over the planted
    tibia, which is how a weak hip pulls the kneecap's tendon outward relative to its groove."""
    legs_loaded: int = 2
    """How many legs share the body weight (kneeviz.mechanics.loads.extensor_moment_nmm)."""
    not_solvable: tuple[str, ...] = ()
    """Per frame, why the model cannot answer it ("" where it can); empty = every frame can. Such
    frames are posed (for display) but not solved (kneeviz.simulation.solve_poses `skip`)."""

    @property
    def n_frames(self) -> int:
        return int(self.time_s.shape[0])


def minimum_jerk(u: FloatArray) -> FloatArray:
    """0 -> 1 over u in [0, 1] with zero velocity and acceleration at both ends."""
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10.0 - 15.0 * u + 6.0 * u**2)


def knee_flexion_profile(time_s: FloatArray, scenario: Scenario) -> FloatArray:
    """Knee flexion (deg): down in descent_s, up in ascent_s, minimum-jerk both ways."""
    t = np.asarray(time_s, dtype=float)
    down = minimum_jerk(t / scenario.descent_s)
    up = 1.0 - minimum_jerk((t - scenario.descent_s) / scenario.ascent_s)
    return scenario.max_flexion_deg * np.where(t <= scenario.descent_s, down, up)


def femur_adduction_axis(anatomy: Anatomy) -> FloatArray:
    """The femur's anteroposterior axis (femur frame): perpendicular to the mechanical axis and the
    epicondylar (Z) axis, pointing anteriorly."""
    mech = unit(np.asarray(anatomy.femur_landmarks.hip_centre_mm, dtype=float))
    return unit(np.cross(mech, np.array([0.0, 0.0, 1.0])))


def femur_adduction(anatomy: Anatomy, adduction_deg: FloatArray) -> FloatArray:
    """(N, 4, 4) turns of the femur about its anteroposterior axis through the knee centre (its
    origin); + moves the hip end laterally (adduction of a right femur). A frame's joint pose is
    T_femur_tibia = inv(femur_adduction(add)) @ (the Grood-Suntay pose the coupling and the
    femoral rotation give), so this undoes the hip-driven adduction (mechanics.self_check)."""
    R = axis_angle(femur_adduction_axis(anatomy), np.radians(adduction_deg))
    T = np.zeros(R.shape[:-2] + (4, 4))
    T[..., :3, :3] = R
    T[..., 3, 3] = 1.0
    return T


def _reference_joint(anatomy: Anatomy) -> GSAngles:
    return gs_from_pose(anatomy.T_femur_tibia_ref)


def standing_poses(anatomy: Anatomy) -> tuple[FloatArray, FloatArray]:
    """(T_world_tibia, T_world_femur) standing, without hip-driven rotation: the ankle centre at
    the origin, the ankle->plateau axis vertical, knee flexion 0 and the scan's own joint
    alignment; turned about the vertical so the femur's epicondylar (flexion) axis points along
    world Z - the knee faces forward and flexes in the sagittal plane, whatever the torsion
    between the scanned femur and tibia."""
    a = np.asarray(anatomy.tibia_landmarks.ankle_centre_mm, dtype=float)
    y = unit(-a)
    z = unit(np.array([0.0, 0.0, 1.0]) - y[2] * y)
    R0 = np.column_stack([np.cross(y, z), y, z]).T  # maps tibia axes onto world axes
    T_tibia = np.eye(4)
    T_tibia[:3, :3] = R0
    T_tibia[:3, 3] = -R0 @ a
    ref = _reference_joint(anatomy)
    T_femur = T_tibia @ invert(
        pose_from_gs(0.0, float(ref.adduction_deg), float(ref.tibial_rotation_deg),
                     np.asarray(ref.translation_mm, dtype=float))
    )
    zf = T_femur[:3, 2]
    heading = np.arctan2(zf[0], zf[2])
    turn = np.eye(4)
    turn[:3, :3] = axis_angle(np.array([0.0, 1.0, 0.0]), np.array([-heading]))[0]
    return turn @ T_tibia, turn @ T_femur


def _sagittal_angle_deg(v: FloatArray) -> FloatArray:
    """Forward inclination from vertical (deg) of world vectors (N, 3), in the sagittal plane."""
    return np.degrees(np.arctan2(v[:, 0], v[:, 1]))


def squat_kinematics(anatomy: Anatomy, scenario: Scenario) -> SquatKinematics:
    """Every frame of the squat `scenario` describes, for the knee `anatomy` (see module doc)."""
    scenario.validate()
    n = scenario.n_frames
    time_s = np.linspace(0.0, scenario.descent_s + scenario.ascent_s, n)
    knee = knee_flexion_profile(time_s, scenario)
    growth = 1.0 + ROTATION_GROWTH_AT_DEPTH * knee / scenario.max_flexion_deg
    return planted_kinematics(
        anatomy,
        time_s,
        knee,
        femoral_internal_rotation_deg=scenario.femoral_internal_rotation_deg * growth,
        hip_adduction_deg=scenario.hip_adduction_deg * growth,
        dorsiflexion_deg=DORSIFLEXION_PER_KNEE_FLEXION * knee,
        pelvic_tilt_deg=PELVIC_TILT_PER_KNEE_FLEXION * knee,
    )


def planted_kinematics(
    anatomy: Anatomy,
    time_s: FloatArray,
    knee_flexion_deg: FloatArray,
    *,
    femoral_internal_rotation_deg: FloatArray,
    hip_adduction_deg: FloatArray,
    dorsiflexion_deg: FloatArray,
    pelvic_tilt_deg: FloatArray | None = None,
    hip_flexion_deg: FloatArray | None = None,
    legs_loaded: int = 2,
    not_solvable: tuple[str, ...] = (),
) -> SquatKinematics:
    """Frames of a planted-foot movement from its angle curves (steps 2-6 of the module doc):
    the synthetic squat's profiles, or a recording's (kneeviz.motion.from_recording).

    Give the pelvis either as its anterior tilt, or as the hip flexion to reach: the pelvis is
    then tilted so that the hip flexion measured from the poses is that one."""
    knee = np.asarray(knee_flexion_deg, dtype=float)
    n = len(knee)
    walker = walker_coupling(knee)
    ir = np.asarray(femoral_internal_rotation_deg, dtype=float)
    add = np.asarray(hip_adduction_deg, dtype=float)
    dorsi = np.asarray(dorsiflexion_deg, dtype=float)

    # 2 + 4. tibiofemoral joint: reference + Walker coupling + hip-driven parts
    ref = _reference_joint(anatomy)
    T_stand_tibia, T_stand_femur = standing_poses(anatomy)
    trans = np.tile(np.asarray(ref.translation_mm, dtype=float), (n, 1))
    trans[:, 1] += walker.anterior_translation_mm
    T_femur_tibia_gs = pose_from_gs(
        knee,
        float(ref.adduction_deg) + walker.tibial_adduction_deg,
        float(ref.tibial_rotation_deg) + walker.tibial_internal_rotation_deg - ir,
        trans,
    )
    # adduction: T_world_femur = T_world_tibia @ inv(T_femur_tibia_gs) @ A, so
    T_femur_tibia = invert(femur_adduction(anatomy, add)) @ T_femur_tibia_gs
    gs = gs_from_pose(T_femur_tibia)

    # 3. tibia: long-axis turn (Walker rotation) then dorsiflexion about the ankle
    ankle_t = np.asarray(anatomy.tibia_landmarks.ankle_centre_mm, dtype=float)
    long_axis = unit(-ankle_t)
    T_tibia_turn = rotation_about_point(
        axis_angle(long_axis, np.radians(walker.tibial_internal_rotation_deg)), ankle_t
    )
    T_dorsi = rotation_about_point(
        axis_angle(np.array([0.0, 0.0, 1.0]), -np.radians(dorsi)), np.zeros(3)
    )
    T_world_tibia = T_dorsi @ T_stand_tibia @ T_tibia_turn

    # 5. femur from the joint
    T_world_femur = T_world_tibia @ invert(T_femur_tibia)
    fl = anatomy.femur_landmarks

    # landmarks in the world
    hip_w = np.einsum("nij,j->ni", T_world_femur[:, :3, :3], fl.hip_centre_mm)
    hip_w += T_world_femur[:, :3, 3]
    knee_w = T_world_femur[:, :3, 3].copy()
    ankle_w = np.einsum("nij,j->ni", T_world_tibia[:, :3, :3], ankle_t) + T_world_tibia[:, :3, 3]

    # 6. pelvis: at the hip centre, in its scanned orientation relative to the healthy standing
    # femur, tilted forward; it does not follow the hip-driven femoral rotation ...
    R_stand_pelvis = T_stand_femur[:3, :3] @ nearest_rotation(
        np.asarray(anatomy.T_femur_pelvis_ref, dtype=float)[:3, :3]
    )
    # ... facing forward: its lateral axis turned onto world Z about the vertical, like the knee
    # (the scan's hip rotation, e.g. 11.6 deg in the default knee, is not a squat stance)
    zp = R_stand_pelvis[:, 2]
    R_stand_pelvis = axis_angle(
        np.array([0.0, 1.0, 0.0]), np.array([-np.arctan2(zp[0], zp[2])])
    )[0] @ R_stand_pelvis
    v = knee_w - hip_w

    def pelvis_and_hip_flexion(tilt: FloatArray) -> tuple[FloatArray, FloatArray]:
        R_tilt = axis_angle(np.array([0.0, 0.0, 1.0]), -np.radians(tilt))
        T = np.zeros((n, 4, 4))
        T[:, :3, :3] = R_tilt @ R_stand_pelvis
        T[:, :3, 3] = hip_w
        T[:, 3, 3] = 1.0
        xp = T[:, :3, 0]
        yp = T[:, :3, 1]
        hf = np.degrees(np.arctan2(np.einsum("ni,ni->n", v, xp), -np.einsum("ni,ni->n", v, yp)))
        return T, hf

    if pelvic_tilt_deg is not None:
        tilt = np.asarray(pelvic_tilt_deg, dtype=float)
    else:
        # hip flexion = thigh inclination + pelvic tilt (both about the world Z axis)
        assert hip_flexion_deg is not None, "give pelvic_tilt_deg or hip_flexion_deg"
        _, hf_level = pelvis_and_hip_flexion(np.zeros(n))
        tilt = np.asarray(hip_flexion_deg, dtype=float) - hf_level
    # reported angles, measured from the poses
    T_world_pelvis, hip_flexion = pelvis_and_hip_flexion(tilt)
    tibia_axis = T_world_tibia[:, :3, :3] @ long_axis
    ankle_df = _sagittal_angle_deg(tibia_axis)
    z_femur = T_world_femur[:, :3, 2]
    femur_rot = np.degrees(np.arctan2(z_femur[:, 0], z_femur[:, 2]))

    return SquatKinematics(
        time_s=time_s,
        knee_flexion_deg=knee,
        gs_flexion_deg=gs.flexion_deg,
        gs_adduction_deg=gs.adduction_deg,
        gs_tibial_rotation_deg=gs.tibial_rotation_deg,
        gs_translation_mm=gs.translation_mm,
        T_world_pelvis=T_world_pelvis,
        T_world_femur=T_world_femur,
        T_world_tibia=T_world_tibia,
        T_femur_tibia=T_femur_tibia,
        hip_flexion_deg=hip_flexion,
        ankle_dorsiflexion_deg=ankle_df,
        pelvic_tilt_deg=tilt,
        femur_rotation_world_deg=femur_rot,
        hip_driven_rotation_deg=ir,
        hip_driven_adduction_deg=add,
        hip_centre_world_mm=hip_w,
        knee_centre_world_mm=knee_w,
        ankle_centre_world_mm=ankle_w,
        tt_tg_mm=np.array([tt_tg_mm(T, anatomy) for T in T_femur_tibia]),
        legs_loaded=legs_loaded,
        not_solvable=not_solvable,
    )


__all__ = [
    "SquatKinematics",
    "knee_flexion_profile",
    "minimum_jerk",
    "planted_kinematics",
    "squat_kinematics",
    "standing_poses",
]
