"""Loading a knee MRI's partial knee: the Lenhart 2015 knee (distal femur and proximal tibia, both
completed from the atlas, with its own cartilage), cold (atlas fits searched) and warm (fits read
from the cache). Prints medians; the machine is shared, so quote `uptime` with them.

    .venv/bin/python benchmarks/bench_partial_knee.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LENHART = Path(__file__).resolve().parents[2] / "shared" / "meshes" / "lenhart2015"
CODE = f"""
import time
t = time.perf_counter(); c = time.process_time()
from kneeviz.anatomy.build import anatomy_from_files
L = {str(LENHART)!r} + "/lenhart2015-R-"
anatomy_from_files(L + "femur-subchondral-bone.stl", L + "patella-bone.stl",
                   L + "tibia-bone.stl", femur_cartilage=L + "femur-cartilage.stl",
                   patella_cartilage=L + "patella-cartilage.stl")
print(time.perf_counter() - t, time.process_time() - c)
"""


def one_load(cache: str) -> tuple[float, float]:
    env = {**os.environ, "KNEEVIZ_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    if not LENHART.is_dir():
        sys.exit(f"no Lenhart 2015 meshes at {LENHART}")
    cold, warm = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(one_load(cache))
            warm.append(one_load(cache))
    load = os.getloadavg()
    for name, runs in (("cold (fits searched)", cold), ("warm (fits cached)", warm)):
        print(f"partial knee load, {name}: median {statistics.median(r[0] for r in runs):.1f} s "
              f"wall, {statistics.median(r[1] for r in runs):.1f} s CPU (3 runs)")
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"benchmark took {time.perf_counter() - t0:.0f} s")
