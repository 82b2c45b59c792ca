"""The patellar glide test, in the model: how hard must one push the kneecap sideways to move it?

Cadaver studies measure the knee's soft tissues this way (Senavongse W et al. 2003, Quantitative
measurement of patellofemoral joint stability: force-displacement behavior of the human patella in
vitro, J Orthop Res 21:780-786): the knee is held at a flexion angle with 175 N on the quadriceps,
and a testing machine pulls the patella 10 mm laterally (or medially) through a ball-bearing mount
10 mm deep to its anterior surface, which leaves it free to tilt and turn. The force that takes is
the patella's stability; cutting one structure and repeating gives that structure's share. Running
the same test on the model checks its soft tissues against those measurements, where the squat
alone cannot: a retinaculum five times too stiff still lets the squat balance.

Nothing here is tuned: the test holds the mount point with a stiff actuator in the equilibrium
solver (kneeviz.mechanics.equilibrium.ExternalLoad) and reads the actuator's pull.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics.equilibrium import (
    ExternalLoad,
    PatellofemoralModel,
    ligament_tensions_n,
    solve_frame,
)
from kneeviz.transforms import apply

TEST_QUADRICEPS_N = 175.0
"""The quadriceps load of the cadaver tests (Senavongse et al. 2003)."""

MOUNT_DEPTH_MM = 10.0
"""The pulling mount sits this deep to the patella's anterior surface (Senavongse et al. 2003)."""

GLIDE_DISPLACEMENT_MM = 10.0

GLIDE_STEP_MM = 2.0
"""The actuator moves out in steps of this size (each solve warm-started from the last)."""

MACHINE_N_PER_MM = 5000.0
"""The actuator's stiffness: at 100 N it gives way by 0.02 mm, far below the glide itself."""


@dataclass(frozen=True)
class GlideResult:
    """One glide: the force (N) that holds the mount `displacement_mm` from where the patella
    rests, the ligaments' tensions (N) there, and whether every solve balanced."""

    displacement_mm: float
    force_n: float
    lateral: bool
    ligament_tension_n: dict[str, float]
    converged: bool
    T_femur_patella: FloatArray


def mount_point_mm(anatomy: Anatomy) -> FloatArray:
    """The pulling point in the patella frame: MOUNT_DEPTH_MM behind the anterior surface on the
    patella's central axis (its frame's X axis points anteriorly)."""
    v = np.asarray(anatomy.patella.vertices_mm, dtype=float)
    central = v[(np.abs(v[:, 1]) < 5.0) & (np.abs(v[:, 2]) < 5.0)]
    front = float(central[:, 0].max()) if len(central) else float(v[:, 0].max())
    return np.array([front - MOUNT_DEPTH_MM, 0.0, 0.0])


def glide_test(
    model: PatellofemoralModel,
    anatomy: Anatomy,
    T_femur_tibia: FloatArray,
    T_femur_pelvis: FloatArray,
    T_start: FloatArray,
    *,
    lateral: bool = True,
    displacement_mm: float = GLIDE_DISPLACEMENT_MM,
    quadriceps_n: float = TEST_QUADRICEPS_N,
) -> GlideResult:
    """Pull the patella sideways (along the femur's mediolateral axis) until its mount point sits
    `displacement_mm` from the unloaded equilibrium found from `T_start`, and report the pull.

    Displacement-controlled, as the testing machine was: the mount is held by a stiff actuator
    (MACHINE_N_PER_MM) along the pull, free in every other direction, and stepped out in
    GLIDE_STEP_MM increments, each solve warm-started from the last. Under force control the patella
    can snap over the groove's edge (a medial glide near 20 deg jumps from 4 to 12 mm between 130
    and 160 N); the machine, and so this test, follows it through.
    """
    mount = mount_point_mm(anatomy)
    side = 1.0 if lateral else -1.0
    axis = np.array([0.0, 0.0, 1.0])
    rest = solve_frame(model, T_femur_tibia, T_femur_pelvis, quadriceps_n, T_start,
                       max_iterations=200)
    z_rest = float(apply(rest.T_femur_patella, mount)[2])
    ok = rest.converged
    T = rest.T_femur_patella
    n_steps = max(int(np.ceil(abs(displacement_mm) / GLIDE_STEP_MM)), 1)
    sol = rest
    load = ExternalLoad(mount, np.zeros(3))
    for k in range(1, n_steps + 1):
        target = z_rest + side * displacement_mm * k / n_steps
        load = ExternalLoad(mount, np.zeros(3), direction=axis, target_mm=target,
                            stiffness_n_per_mm=MACHINE_N_PER_MM)
        sol = solve_frame(model, T_femur_tibia, T_femur_pelvis, quadriceps_n, T,
                          max_iterations=200, external=load)
        ok = ok and sol.converged
        T = sol.T_femur_patella
    tensions = ligament_tensions_n(model, sol.wrench)
    return GlideResult(
        displacement_mm=side * (float(apply(T, mount)[2]) - z_rest),
        force_n=side * load.actuator_force_n(T),
        lateral=lateral,
        ligament_tension_n=tensions,
        converged=bool(ok),
        T_femur_patella=T,
    )


def glides_at(anatomy: Anatomy, model: PatellofemoralModel, angles_deg: tuple[float, ...],
              lateral: bool = True) -> dict[float, GlideResult]:
    """10 mm glides at each knee flexion angle, as the cadaver knees were tested: the knee
    lowered frame by frame to each angle (a plain squat, no hip turn) with the test's 175 N on the
    quadriceps, the patella settled at each frame, then pulled (`glide_test`)."""
    from kneeviz.motion.squat import squat_kinematics
    from kneeviz.scenario import Scenario
    from kneeviz.transforms import invert

    kin = squat_kinematics(anatomy, Scenario(max_flexion_deg=max(40.0, max(angles_deg) + 5.0),
                                             frame_rate_hz=30.0))
    n = kin.n_frames // 2 + 1
    T_fp = invert(kin.T_world_femur) @ kin.T_world_pelvis
    flexion = np.asarray(kin.knee_flexion_deg)[:n]
    targets = {a: int(np.argmin(np.abs(flexion - a))) for a in angles_deg}
    out: dict[float, GlideResult] = {}
    T = model.T_femur_patella_ref
    for i in range(max(targets.values()) + 1):
        T = solve_frame(model, kin.T_femur_tibia[i], T_fp[i], TEST_QUADRICEPS_N, T).T_femur_patella
        for angle, j in targets.items():
            if j == i:
                out[angle] = glide_test(model, anatomy, kin.T_femur_tibia[i], T_fp[i], T,
                                        lateral=lateral)
    return out
