"""Loading a knee MRI's partial knee: the Lenhart 2015 knee (distal femur and proximal tibia, both
completed from the atlas, with its own cartilage) and the bundled knee cut to a knee MRI's field
of view (femur 110 mm, tibia 90 mm with the fibula's head, the cut rims left open: issue 26),
cold (atlas fits searched, shape models built) and warm (both read from the cache). Prints
medians; the machine is shared, so quote `uptime` with them.

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
LENHART_CODE = f"""
import time
t = time.perf_counter(); c = time.process_time()
from kneeviz.anatomy.build import anatomy_from_files
L = {str(LENHART)!r} + "/lenhart2015-R-"
anatomy_from_files(L + "femur-subchondral-bone.stl", L + "patella-bone.stl",
                   L + "tibia-bone.stl", femur_cartilage=L + "femur-cartilage.stl",
                   patella_cartilage=L + "patella-cartilage.stl")
print(time.perf_counter() - t, time.process_time() - c)
"""
BUNDLED_CODE = """
import sys, time
t = time.perf_counter(); c = time.process_time()
from kneeviz.anatomy.build import anatomy_from_files
F = sys.argv[1] + "/"
anatomy_from_files(F + "femur_cut.stl", F + "patella.stl", F + "tibia_cut.stl")
print(time.perf_counter() - t, time.process_time() - c)
"""


def bundled_cut(folder: Path) -> None:
    """The bundled knee in one frame, cut to femur 110 / tibia 90 mm, rims open, as STL files."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from partial_cases import Cut, knee, pieces, write_stl

    k = knee("bundled")
    femur, tibia = pieces(k, Cut(110.0, 90.0, open_edge=True))
    write_stl(femur, folder / "femur_cut.stl")
    write_stl(tibia, folder / "tibia_cut.stl")
    write_stl(k.patella, folder / "patella.stl")


def one_load(code: str, cache: str, *args: str) -> tuple[float, float]:
    env = {**os.environ, "KNEEVIZ_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    if not LENHART.is_dir():
        sys.exit(f"no Lenhart 2015 meshes at {LENHART}")
    with tempfile.TemporaryDirectory() as files:
        bundled_cut(Path(files))
        for label, code, args in (("Lenhart 2015", LENHART_CODE, ()),
                                  ("bundled knee cut 110/90 mm", BUNDLED_CODE, (files,))):
            cold, warm = [], []
            for _ in range(3):
                with tempfile.TemporaryDirectory() as cache:
                    cold.append(one_load(code, cache, *args))
                    warm.append(one_load(code, cache, *args))
            load = os.getloadavg()
            for name, runs in (("cold (fits searched)", cold), ("warm (fits cached)", warm)):
                print(f"{label}, load {name}: median "
                      f"{statistics.median(r[0] for r in runs):.1f} s wall, "
                      f"{statistics.median(r[1] for r in runs):.1f} s CPU (3 runs); load average "
                      f"{load[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"benchmark took {time.perf_counter() - t0:.0f} s")
