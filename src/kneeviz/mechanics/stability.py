"""The patellar glide test, in the model: how hard must one push the kneecap sideways to move it?

Cadaver studies measure the knee's soft tissues this way (Senavongse W et al. 2003, Quantitative
measurement of patellofemoral joint stability: force-displacement behavior of the human patella in
vitro, J Orthop Res 21:780-786): the knee is held at a flexion angle with 175 N on the quadriceps,
and a testing machine pulls the patella 10 mm laterally (or medially) through a ball-bearing mount
10 mm deep to its anterior surface, which leaves it free to tilt and turn. The force that takes is
the patella's stability; cutting one structure and repeating gives that structure's share. Running
the same test on the model checks its soft tissues against those measurements, where the squat
alone cannot: a retinaculum five times too stiff still lets the squat balance.

Nothing here is tuned: the test applies a sideways force to the equilibrium solver
(kneeviz.mechanics.equilibrium.ExternalLoad) and searches for the force that moves the mount point
the requested distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics.equilibrium import (
    ExternalLoad,
    FrameSolution,
    PatellofemoralModel,
    solve_frame,
)
from kneeviz.transforms import apply

TEST_QUADRICEPS_N = 175.0
"""The quadriceps load of the cadaver tests (Senavongse et al. 2003)."""

MOUNT_DEPTH_MM = 10.0
"""The pulling mount sits this deep to the patella's anterior surface (Senavongse et al. 2003)."""

GLIDE_DISPLACEMENT_MM = 10.0


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
    """Push the patella sideways (along the femur's mediolateral axis) until its mount point has
    moved `displacement_mm` from the unloaded equilibrium found from `T_start`.

    The force is found by bisection (the displacement grows with the force); each trial solve is
    warm-started from the last pose that had not yet moved far enough.
    """
    mount = mount_point_mm(anatomy)
    side = 1.0 if lateral else -1.0
    rest = solve_frame(model, T_femur_tibia, T_femur_pelvis, quadriceps_n, T_start,
                       max_iterations=200)
    z_rest = float(apply(rest.T_femur_patella, mount)[2])
    ok = rest.converged

    def trial(force: float, T0: FloatArray) -> tuple[float, FrameSolution]:
        load = ExternalLoad(mount, np.array([0.0, 0.0, side * force]))
        sol = solve_frame(model, T_femur_tibia, T_femur_pelvis, quadriceps_n, T0,
                          max_iterations=200, external=load)
        moved = side * (float(apply(sol.T_femur_patella, mount)[2]) - z_rest)
        return moved, sol

    lo, hi = 0.0, 50.0
    T_lo = rest.T_femur_patella
    moved, sol = trial(hi, T_lo)
    while moved < displacement_mm and hi < 5000.0:
        if sol.converged:
            T_lo = sol.T_femur_patella
        lo, hi = hi, 2.0 * hi
        moved, sol = trial(hi, T_lo)
    best = sol
    for _ in range(24):
        mid = 0.5 * (lo + hi)
        moved, sol = trial(mid, T_lo)
        if moved < displacement_mm:
            lo = mid
            if sol.converged:
                T_lo = sol.T_femur_patella
        else:
            hi = mid
        best = sol
        if hi - lo < 0.05:
            break
    force = 0.5 * (lo + hi)
    moved, best = trial(force, T_lo)
    tensions = {
        spring.name: float(np.linalg.norm(line.force_n))
        for spring, line in zip(model.extensor.ligaments, best.wrench.ligaments, strict=True)
    }
    return GlideResult(
        displacement_mm=moved,
        force_n=force,
        lateral=lateral,
        ligament_tension_n=tensions,
        converged=bool(ok and best.converged),
        T_femur_patella=best.T_femur_patella,
    )
