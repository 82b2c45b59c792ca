"""kneeviz's squat solve against the way a research script would do it (issue 20): the same
patella equilibrium residual handed to scipy.optimize.least_squares with a finite-difference
Jacobian, frame by frame over the 241-frame default-knee squat, warm-started with the same
constant-velocity predictor. Runs alternate (kneeviz, baseline, kneeviz, ...) so both see the same
machine load; prints the median per-frame time of each, the ratio, and how many frames each
balances within the 1 % acceptance.

The residual is kneeviz's own (kneeviz.mechanics.equilibrium.evaluate: the compiled kernel when
numba is there, KNEEVIZ_NO_NUMBA=1 for the numpy one) in the solver's scaled units: force (N) and
moment / 20 mm, over a pose step of (rotation / 0.05 rad, translation mm).

Run: .venv/bin/python benchmarks/bench_baseline.py [--repeats 3] [--preset healthy]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

TOL = 1e-6
"""least_squares' ftol/xtol/gtol: looser than its 1e-8 defaults, which on the interpolated contact
field run to its evaluation limit (about 170 ms a frame) for no better balance."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="healthy", choices=["healthy", "pfp", "severe"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from scipy.optimize import least_squares

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.mechanics import kernel
    from kneeviz.mechanics.equilibrium import (
        CONVERGENCE_FRACTION,
        MOMENT_ARM_SCALE_MM,
        ROT_SCALE_RAD,
        _apply_step,
        evaluate,
    )
    from kneeviz.motion.squat import squat_kinematics
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import model_for, simulate
    from kneeviz.transforms import invert, nearest_rotation

    anatomy = load_default_anatomy()
    scenario = Scenario.from_preset(args.preset)
    model = model_for(anatomy, scenario)
    kin = squat_kinematics(anatomy, scenario)
    T_ft = kin.T_femur_tibia
    T_fp = invert(kin.T_world_femur) @ kin.T_world_pelvis
    reference = simulate(anatomy, scenario)  # warm (numba loaded); its loads drive the baseline
    quad = reference["quadriceps_force_n"]
    col = np.array([ROT_SCALE_RAD] * 3 + [1.0] * 3)
    row = np.array([1.0] * 3 + [1.0 / MOMENT_ARM_SCALE_MM] * 3)
    h = model.patella_height_mm

    def baseline_squat() -> tuple[list[float], list[float], int]:
        times: list[float] = []
        cpu: list[float] = []
        ok = 0
        poses: list[np.ndarray] = []
        for i in range(len(quad)):
            if len(poses) >= 2:
                start = poses[-1] @ invert(poses[-2]) @ poses[-1]
            elif poses:
                start = poses[-1]
            else:
                start = reference.T_femur_patella[0]  # the same first pose kneeviz found
            start = start.copy()
            start[:3, :3] = nearest_rotation(start[:3, :3])  # as kneeviz does: no drift
            q = float(quad[i])

            def residual(x: np.ndarray, start: np.ndarray = start, i: int = i,
                         q: float = q) -> np.ndarray:
                w = evaluate(model, _apply_step(start, x * col), T_ft[i], T_fp[i], q)
                return np.concatenate([w.force_n, w.moment_nmm]) * row

            t0, c0 = time.perf_counter(), time.process_time()
            res = least_squares(residual, np.zeros(6), jac="2-point", method="trf",
                                ftol=TOL, xtol=TOL, gtol=TOL)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            T = _apply_step(start, res.x * col)
            if not np.isfinite(T).all():  # lost the track: go on from the last pose
                T = poses[-1] if poses else start
            w = evaluate(model, T, T_ft[i], T_fp[i], q)
            if (np.linalg.norm(w.force_n) < CONVERGENCE_FRACTION * q
                    and np.linalg.norm(w.moment_nmm) < CONVERGENCE_FRACTION * q * h):
                ok += 1
            poses.append(T)
        return times, cpu, ok

    ours_ms, base_ms, ours_cpu, base_cpu, ours_ok, base_ok = [], [], [], [], 0, 0
    stamps: list[tuple[float, float]] = []

    def stamp(_i: int, _s: object) -> None:
        stamps.append((time.perf_counter(), time.process_time()))

    for _ in range(args.repeats):
        stamps[:] = [(time.perf_counter(), time.process_time())]
        traj = simulate(anatomy, scenario, on_frame=stamp)
        d = np.diff(np.array(stamps), axis=0) * 1000.0
        ours_ms.append(float(np.median(d[:, 0])))
        ours_cpu.append(float(np.median(d[:, 1])))
        ours_ok = int(traj.converged.sum())
        times, cpu, base_ok = baseline_squat()
        base_ms.append(float(np.median(times)) * 1000.0)
        base_cpu.append(float(np.median(cpu)) * 1000.0)
    ours, base = float(np.median(ours_ms)), float(np.median(base_ms))
    ours_c, base_c = float(np.median(ours_cpu)), float(np.median(base_cpu))
    n = len(quad)
    print(f"residual: {'compiled kernel' if kernel.enabled() else 'numpy'}; preset "
          f"{args.preset}; {n} frames; {args.repeats} alternated runs")
    print(f"kneeviz (damped Newton, analytic Jacobian): median {ours:.2f} ms/frame "
          f"(runs {', '.join(f'{x:.2f}' for x in ours_ms)}); balanced {ours_ok}/{n}")
    print(f"least_squares (trf, 2-point FD Jacobian, tol {TOL:g}): median {base:.2f} ms/frame "
          f"(runs {', '.join(f'{x:.2f}' for x in base_ms)}); balanced {base_ok}/{n}")
    print(f"ratio baseline / kneeviz: {base / ours:.1f}x wall, {base_c / ours_c:.1f}x CPU "
          f"({base_c:.2f} / {ours_c:.2f} ms CPU a frame); load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
