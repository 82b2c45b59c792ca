"""Patellofemoral solver benchmark (issue 4): prints the median single-frame solve (ms), the
whole 241-frame squat (s), the first-time signed-distance grid build (s) and the number of patellar
contact points, on the bundled default knee. Targets on the 2-core reference machine: 5 ms, 1.5 s,
20 s, >= 2000 points.

Run: .venv/bin/python benchmarks/bench_solver.py [--preset healthy|pfp|severe]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="healthy", choices=["healthy", "pfp", "severe"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.mechanics.contact import build_distance_grid
    from kneeviz.mechanics.equilibrium import build_model
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    anatomy = load_default_anatomy()
    scenario = Scenario.from_preset(args.preset)

    # first-time build: the distance grid with an empty cache
    t0, c0 = time.perf_counter(), time.process_time()
    build_distance_grid(anatomy.femur_cartilage, anatomy.femur)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        model = build_model(anatomy, cache_dir=Path(tmp))
        first_model_s = time.perf_counter() - t0
    n_points = len(model.contact.points_mm)

    simulate(anatomy, scenario)  # warm: the grid is now cached, the model in memory
    squat_s, squat_cpu, frame_ms, frame_cpu_ms = [], [], [], []
    stamps: list[tuple[float, float]] = []

    def stamp(i: int, _solution: object) -> None:
        stamps.append((time.perf_counter(), time.process_time()))

    for _ in range(args.repeats):
        stamps.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        stamps.append((t0, c0))
        traj = simulate(anatomy, scenario, on_frame=stamp)
        squat_s.append(time.perf_counter() - t0)
        squat_cpu.append(time.process_time() - c0)
        d = np.diff(np.array(stamps), axis=0) * 1000.0
        frame_ms.append(float(np.median(d[:, 0])))
        frame_cpu_ms.append(float(np.median(d[:, 1])))
    it = traj["iterations"]
    print(f"knee: {anatomy.name}; scenario: {scenario.preset}; frames: {traj.n_frames}; "
          f"converged: {int(traj.converged.sum())}/{traj.n_frames}")
    print(f"patellar contact points: {n_points}")
    print(f"median single-frame solve: {min(frame_ms):.2f} ms wall, {min(frame_cpu_ms):.2f} ms CPU "
          f"(best of {args.repeats} squats; iterations median {np.median(it):.0f}, "
          f"max {it.max():.0f})")
    print(f"whole squat ({traj.n_frames} frames, solve + measures + pressure maps): "
          f"{min(squat_s):.2f} s wall, {min(squat_cpu):.2f} s CPU (best of {args.repeats})")
    print(f"first-time signed-distance build: {build_s:.2f} s wall, {build_cpu:.2f} s CPU "
          f"(whole model incl. contact points: {first_model_s:.2f} s)")


if __name__ == "__main__":
    main()
