"""Study throughput (issue 28): runs per minute of `kneeviz sweep` on a 64-run design of the bundled
knee, locally with 1 and 2 processes and on a dask.distributed LocalCluster of 2 workers.

The design: the typical-PFP and healthy squats (the default 241-frame squat, to 120 deg) x a
32-point Latin hypercube of the whole uncertainty table: 64 runs, every one with its own tissue
model (so each run builds its model, as a real study does). Each setting starts from an empty
result folder and counts the whole wall time of the study: starting the workers, loading the
knee once per worker, solving, writing each run. The load average is printed before and after each
figure: the machine is shared with other developers' work, so figures taken while it is busy are
slower than the machine can do; compare settings taken together, in turns (--rounds).

Run: nice -n 10 .venv/bin/python benchmarks/bench_sweep.py [--rounds 1] [--runs 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

DESIGN = """
knees = ["default"]
[cases]
preset = ["healthy", "pfp"]
[sample]
method = "lhs"
n = {n}
seed = 11
"""


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def one(design_path: Path, folder: Path, label: str, **where: object) -> float:
    """Runs per minute of one study from an empty result folder."""
    from kneeviz.study.design import read_design
    from kneeviz.study.runner import run_study

    design = read_design(design_path)
    before = load()
    t0 = time.perf_counter()
    result = run_study(design, folder / f"{label}.parquet", stream=None, **where)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    status = result.table.column("status").to_pylist()
    solved = sum(s == "solved" for s in status)
    seconds = [s for s in result.table.column("seconds").to_pylist() if s is not None]
    rate = len(status) / wall * 60.0
    print(f"  {label:28s} {rate:6.1f} runs/min  ({len(status)} runs, {solved} solved, wall "
          f"{wall:5.1f} s, median run {statistics.median(seconds):.2f} s in its worker; load "
          f"{before} -> {load()})", flush=True)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--runs", type=int, default=64)
    args = ap.parse_args()
    from distributed import LocalCluster

    rates: dict[str, list[float]] = {"local, 1 process": [], "local, 2 processes": [],
                                     "LocalCluster, 2 workers": []}
    print(f"kneeviz sweep throughput, {args.runs}-run design of the bundled knee "
          f"({os.cpu_count()} cores; machine shared with other work: see the load averages)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        design = folder / "design.toml"
        design.write_text(DESIGN.format(n=args.runs // 2))
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            for r in range(args.rounds):
                print(f"round {r + 1}:")
                rates["local, 1 process"].append(
                    one(design, folder, f"local1-{r}", workers=1))
                rates["local, 2 processes"].append(
                    one(design, folder, f"local2-{r}", workers=2))
                rates["LocalCluster, 2 workers"].append(
                    one(design, folder, f"dask2-{r}", scheduler=cluster.scheduler_address))
    one_proc = statistics.median(rates["local, 1 process"])
    print("medians:")
    for label, values in rates.items():
        print(f"  {label:28s} {statistics.median(values):6.1f} runs/min  "
              f"(x{statistics.median(values) / one_proc:.2f} of 1 process)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
