"""Take-home files of the bundled knee in typical PFP: how long the report (PDF), the .glb and the
page (HTML) take, each from nothing (issue 29's goal: under 10 s each). Prints figures with the
load average beside them; asserts nothing.

    .venv/bin/python benchmarks/bench_takehome.py [--runs 3] [--video]

End to end: the command as a user runs it (`kneeviz report` / `kneeviz export-3d`, a new process:
start-up, loading the knee, solving this squat and the healthy one, writing), and the page as
`take-home` makes it (solve both in-process, then write the page). In-process: each writer alone
on squats already solved. --video adds the side-by-side MP4 (the slowest part of take-home).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

GOAL_S = 10.0


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load {a:.1f} {b:.1f} {c:.1f}"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, list[float], str]:
    times = []
    loads = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        loads.append(load())
    return statistics.median(times), times, loads[-1]


def line(name: str, median: float, times: list[float], loads: str, goal: bool = True) -> None:
    mark = ("  (goal < 10 s: met)" if median < GOAL_S else "  (goal < 10 s: MISSED)") if goal \
        else ""
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"{name:<34} median {median:6.2f} s  [{runs}]  {loads}{mark}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--video", action="store_true")
    args = ap.parse_args()
    kneeviz = str(Path(sys.executable).with_name("kneeviz"))
    print(f"bundled knee, typical PFP against healthy, {args.runs} runs each; before: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def cli(*argv: str) -> None:
            subprocess.run([kneeviz, *argv], check=True, capture_output=True, timeout=600)

        print("end to end (a new process: start, load the knee, solve both squats, write):")
        for name, argv in (("kneeviz report", ["report", "--preset", "pfp", "--out",
                                               str(out / "r.pdf")]),
                           ("kneeviz export-3d", ["export-3d", "--preset", "pfp", "--out",
                                                  str(out / "k.glb")])):
            line(name, *timed(lambda a=argv: cli(*a), args.runs))

        from kneeviz.anatomy.build import load_default_anatomy
        from kneeviz.motion.from_recording import healthy_counterpart
        from kneeviz.scenario import Scenario
        from kneeviz.simulation import simulate
        from kneeviz.takehome.content import TakeHome
        from kneeviz.takehome.gltf import write_glb
        from kneeviz.takehome.page import write_page
        from kneeviz.takehome.report import write_report

        anatomy = load_default_anatomy()
        scenario = Scenario.from_preset("pfp")

        def solve() -> TakeHome:
            return TakeHome(anatomy, simulate(anatomy, scenario),
                            simulate(anatomy, healthy_counterpart(scenario)))

        def page_from_nothing() -> None:
            write_page(out / "p.html", solve())

        line("page (solve both + write)", *timed(page_from_nothing, args.runs))
        print("in-process, squats already solved:")
        line("solve this + healthy squat", *timed(solve, args.runs), goal=False)
        c = solve()
        line("write the report (PDF)", *timed(lambda: write_report(out / "r.pdf", c),
                                              args.runs), goal=False)
        line("write the .glb", *timed(lambda: write_glb(out / "k.glb", c), args.runs),
             goal=False)
        line("write the page (HTML)", *timed(lambda: write_page(out / "p.html", c), args.runs),
             goal=False)
        sizes = {p.name: p.stat().st_size / 1e6 for p in out.iterdir()}
        print("sizes: " + ", ".join(f"{k} {v:.2f} MB" for k, v in sorted(sizes.items())))
        if args.video:
            from kneeviz.takehome.folder import write_video

            line("write the side-by-side MP4", *timed(lambda: write_video(out / "v.mp4", c), 1),
                 goal=False)
            print(f"video: {(out / 'v.mp4').stat().st_size / 1e6:.2f} MB")
    print(f"after: {load()} (2 cores shared with other work: figures are noisy under load)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
