"""The first start as a user meets it: the real `kneeviz` app, cold (an empty cache: no distance
grid, no welded meshes, no compiled kernel) and warm (the same cache after a cold start).

Run under Xvfb: `xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python
benchmarks/bench_first_start.py [--runs N]`. Prints figures; asserts nothing.

Each start is the `kneeviz` command (kneeviz.cli.main(["app"])) in a fresh interpreter with a
cache folder (KNEEVIZ_CACHE_DIR; numba's cache is inside it) and settings of its own. Timed from
just before the process is started:
- bones on screen: the 3D view's first frame painted (the knee's bones, before any solve);
- first solved frame: the solve worker's first frame of the squat reaches the window;
- whole squat solved: the solved squat is shown (pressure colours and all);
then the window is closed. `--runs N` (default 3) cold/warm pairs are taken in turns and their
medians printed, with the load average at each start (other programs on the machine slow the
worker, which runs at the lowest CPU priority: compare figures taken at similar loads).
`--assets DIR` starts with the default knee from DIR (KNEEVIZ_ASSETS): a copy of the knee's
folder without its shipped distance grid shows what shipping it saves.

"Cold" is kneeviz's own caches only: Python's bytecode and the operating system's file cache
are warm after the first run, as they are on a user's second start after installing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EVENTS = ("bones on screen", "first solved frame", "whole squat solved")
RUN_TIMEOUT_S = 900.0

CHILD = r"""
import sys
import time

T0 = float(sys.argv[1])


def say(what):
    print(f"EVENT {time.time() - T0:.3f} {what}", flush=True)


from kneeviz.app.state import session
from kneeviz.app.window import main_window

painted = main_window.MainWindow._after_paint
progress = session.Session._on_progress
solved = session.Session._on_solved
seen = set()


def once(what):
    if what not in seen:
        seen.add(what)
        say(what)


def after_paint(self):
    painted(self)
    if self.frames_rendered >= 1:
        once("bones on screen")


def on_progress(self, rid, done, total):
    progress(self, rid, done, total)
    if rid == self._current_id and done >= 1:
        once("first solved frame")


def on_solved(self, rid, view):
    current = rid == self._current_id
    solved(self, rid, view)
    if current:
        once("whole squat solved")
        from PyQt6.QtWidgets import QApplication

        for w in QApplication.topLevelWidgets():
            if isinstance(w, main_window.MainWindow):
                w.close()


main_window.MainWindow._after_paint = after_paint
session.Session._on_progress = on_progress
session.Session._on_solved = on_solved
from kneeviz.cli import main

sys.exit(main(["app"]))
"""


def one_start(cache: Path, home: Path, assets: Path | None) -> dict[str, float]:
    """Start the app with this cache folder, wait for the whole squat; each event's time (s)."""
    env = dict(os.environ, KNEEVIZ_CACHE_DIR=str(cache), HOME=str(home),
               KNEEVIZ_CONFIG_DIR=str(home / "config"), XDG_CONFIG_HOME=str(home / "xdg"))
    env.pop("NUMBA_CACHE_DIR", None)
    if assets is not None:
        env["KNEEVIZ_ASSETS"] = str(assets)
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, repr(t0)], capture_output=True,
                         text=True, env=env, timeout=RUN_TIMEOUT_S)
    got = {}
    for line in out.stdout.splitlines():
        if line.startswith("EVENT "):
            _, t, what = line.split(" ", 2)
            got[what] = float(t)
    if set(got) != set(EVENTS):
        raise RuntimeError(f"the app did not report every event: {got}\n{out.stderr[-2000:]}")
    return got


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="cold/warm pairs (default 3)")
    ap.add_argument("--assets", type=Path, default=None,
                    help="the default knee's folder to start with (KNEEVIZ_ASSETS)")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("run under xvfb-run (see the docstring)")
    results: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    loads: dict[str, list[float]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory(prefix="kneeviz-first-start-") as tmp:
        for k in range(args.runs):
            cache = Path(tmp) / f"cache-{k}"
            home = Path(tmp) / f"home-{k}"
            cache.mkdir()
            home.mkdir()
            for kind in ("cold", "warm"):
                load = _load()
                loads[kind].append(os.getloadavg()[0])
                got = one_start(cache, home, args.assets)
                results[kind].append(got)
                print(f"run {k + 1} {kind}: " + ", ".join(f"{e} {got[e]:.1f} s" for e in EVENTS)
                      + f"  (load average {load})", flush=True)
    print()
    print(f"medians of {args.runs} runs (s), launch to:")
    print(f"{'':6s}" + "".join(f"{e:>22s}" for e in EVENTS) + "   load (1 min)")
    for kind in ("cold", "warm"):
        med = [statistics.median(r[e] for r in results[kind]) for e in EVENTS]
        print(f"{kind:6s}" + "".join(f"{m:22.1f}" for m in med)
              + f"   {statistics.median(loads[kind]):.2f}")
    print(f"load average now: {_load()}")


if __name__ == "__main__":
    main()
