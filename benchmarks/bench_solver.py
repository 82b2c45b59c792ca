"""Patellofemoral solver benchmark (issues 4, 20): prints the median single-frame solve (ms), the
whole 241-frame squat (s: solve + measures + pressure maps), the first-time signed-distance grid
build (s) and the number of patellar contact points, on the bundled default knee; then (issue 20)
the same squat through the numpy path (KNEEVIZ_NO_NUMBA=1), the first squat solve in a fresh
process with numba's compilation cache empty (the first run after installing) and warm, and the
import time of what `kneeviz simulate` imports. Targets on the 2-core reference machine: 1.5 ms,
0.6 s, 20 s, >= 2000 points.

Run: .venv/bin/python benchmarks/bench_solver.py [--preset healthy|pfp|severe] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FIRST_SOLVE = """
import time
t0 = time.perf_counter()
from kneeviz.anatomy.build import load_default_anatomy
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate
a = load_default_anatomy()
t1 = time.perf_counter()
simulate(a, Scenario.from_preset("healthy"))
print(f"{t1 - t0:.3f} {time.perf_counter() - t1:.3f}")
"""

IMPORTS = "import kneeviz.cli, kneeviz.commands.simulate, kneeviz.simulation, kneeviz.anatomy.build"


def first_solve_s(cache: Path, numba_cached: bool) -> tuple[float, float]:
    """(knee load, first squat) seconds in a fresh process whose cache holds the distance grid
    and, if `numba_cached`, the compiled kernel."""
    env = {**os.environ, "KNEEVIZ_CACHE_DIR": str(cache)}
    env.pop("KNEEVIZ_NO_NUMBA", None)
    if not numba_cached:
        shutil.rmtree(cache / "numba", ignore_errors=True)
    out = subprocess.run([sys.executable, "-c", FIRST_SOLVE], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def import_s(repeats: int = 5) -> float:
    """Median wall time of a fresh interpreter importing what `kneeviz simulate` imports."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", IMPORTS], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="healthy", choices=["healthy", "pfp", "severe"])
    parser.add_argument("--repeats", type=int, default=5)
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
    med = statistics.median
    print(f"median single-frame solve: {med(frame_ms):.2f} ms wall, {med(frame_cpu_ms):.2f} ms CPU "
          f"(median over {args.repeats} squats, best {min(frame_ms):.2f} ms; iterations median "
          f"{np.median(it):.0f}, max {it.max():.0f})")
    print(f"whole squat ({traj.n_frames} frames, solve + measures + pressure maps): "
          f"{med(squat_s):.2f} s wall, {med(squat_cpu):.2f} s CPU (median of {args.repeats}, "
          f"runs {', '.join(f'{x:.2f}' for x in squat_s)})")
    print(f"first-time signed-distance build: {build_s:.2f} s wall, {build_cpu:.2f} s CPU "
          f"(whole model incl. contact points: {first_model_s:.2f} s)")

    from kneeviz.cache import cache_dir
    from kneeviz.mechanics import kernel

    print(f"wrench evaluation: {'compiled kernel (numba)' if kernel.enabled() else 'numpy'}")
    if kernel.enabled():
        os.environ[kernel.NO_NUMBA_ENV] = "1"
        numpy_s = []
        for _ in range(max(1, args.repeats // 2)):
            t0 = time.perf_counter()
            simulate(anatomy, scenario)
            numpy_s.append(time.perf_counter() - t0)
        del os.environ[kernel.NO_NUMBA_ENV]
        print(f"same squat through the numpy path (KNEEVIZ_NO_NUMBA=1): "
              f"{statistics.median(numpy_s):.2f} s wall (median of {len(numpy_s)})")
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp)
            for grid in cache_dir().glob("femoral-sdf-*.npz"):
                (cache / grid.name).symlink_to(grid)
            cold = first_solve_s(cache, numba_cached=False)
            warm = first_solve_s(cache, numba_cached=True)
        print(f"first squat in a fresh process (grid cached): {cold[1]:.2f} s with numba's cache "
              f"empty (compiling the kernel: the first run after installing), {warm[1]:.2f} s "
              f"with it cached (knee load {warm[0]:.2f} s before either)")
    print(f"import time of what `kneeviz simulate` imports (fresh interpreter, median of 5): "
          f"{import_s():.2f} s")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores (figures scale with it)")


if __name__ == "__main__":
    main()
