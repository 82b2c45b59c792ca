"""Soak test of the desktop app (issue 8): the squat plays continuously and the hip setting
changes every few seconds for N minutes, as on a waiting-room screen. Prints figures; asserts
nothing (not part of the test suite).

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python benchmarks/soak_app.py --minutes 10

The whole app (clinical views included) with the real solver in its worker thread. Every
`--interval` seconds the setting moves on through the presets (healthy, pfp, severe) and, every
fourth change, a custom hip rotation from a rotating list of 14 (more squats than the app's
byte-capped cache holds), so solves are started, superseded, finished and evicted all session
long.

Printed: resident memory (VmRSS) at the start of playback (after a 20 s warm-up: first solves,
caches, GL buffers) and at the end, and its growth (the issue's floor: under 50 MB); the longest
time between two consecutive frames on screen while playing, and the longest single pass of the
event loop (the floor: no frame over 1 s); frames painted; setting changes; solves finished;
errors reported by the app.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import sys
import threading
import time
import traceback
from pathlib import Path

WARMUP_S = 20.0
VIEW_SIZE = (1280, 800)
CUSTOM_IR_DEG = (2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28)
"""Custom rotations (14 squats: about 60 MB solved, more than the session's cache holds)."""
RSS_GROWTH_LIMIT_MB = 50.0
FRAME_LIMIT_S = 1.0


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class StallWatch:
    """A watchdog thread: when one event-loop pass has run longer than `after_s`, it samples the
    UI thread's stack, so the report can say what the long passes were doing."""

    def __init__(self, after_s: float = 0.4) -> None:
        self.after_s = after_s
        self.pass_start: float | None = None
        self.samples: collections.Counter[str] = collections.Counter()
        self.main_id = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            start = self.pass_start
            if start is not None and time.perf_counter() - start > self.after_s:
                frame = sys._current_frames().get(self.main_id)
                if frame is not None:
                    stack = traceback.extract_stack(frame)
                    ours = [f for f in stack if "kneeviz" in f.filename or "pyvista" in f.filename]
                    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                                       for f in reversed(ours[-4:]))
                    self.samples[where or "(Qt/VTK native code)"] += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="soak length (default 10)")
    ap.add_argument("--interval", type=float, default=4.0,
                    help="seconds between setting changes (default 4)")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("soak_app needs an X display: run it under xvfb-run")

    from PyQt6.QtCore import QElapsedTimer
    from PyQt6.QtWidgets import QApplication, QMessageBox

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario

    app = QApplication([])
    errors: list[str] = []
    # An error dialog would block a real screen; here it is counted and printed instead.
    QMessageBox.critical = staticmethod(  # type: ignore[method-assign,assignment]
        lambda _p, _t, text, *a, **k: errors.append(text))

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)
    w = MainWindow(load_default_anatomy(), Scenario(frame_rate_hz=APP_FRAME_RATE_HZ))
    w.plotter.interactor.setFixedSize(*VIEW_SIZE)
    w.show()

    swaps: list[float] = []  # times of painted frames
    clock = QElapsedTimer()
    clock.start()
    w.plotter.interactor.frameSwapped.connect(lambda: swaps.append(clock.elapsed() / 1000.0))
    solved = [0]
    w.session.solving_changed.connect(lambda on: solved.__setitem__(0, solved[0] + (not on)))

    presets = ("healthy", "pfp", "severe")
    changes = 0

    def change() -> None:
        nonlocal changes
        changes += 1
        if changes % 4 == 0:
            ir = CUSTOM_IR_DEG[(changes // 4) % len(CUSTOM_IR_DEG)]
            w.controls.hip.set_hip(ir, 4)
        else:
            w.controls.hip.apply_preset(presets[changes % len(presets)])

    w.playback.play()
    end_warm = time.perf_counter() + WARMUP_S
    next_change = time.perf_counter() + args.interval
    while time.perf_counter() < end_warm:
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() >= next_change:
            change()
            next_change += args.interval
    gc.collect()
    rss0 = rss_mb()
    print(f"resident memory after {WARMUP_S:.0f} s warm-up: {rss0:.1f} MB", flush=True)

    t_start = time.perf_counter()
    t_end = t_start + 60.0 * args.minutes
    n0 = len(swaps)
    changes0, solved0 = changes, solved[0]
    max_pass_s = 0.0
    last_report = t_start
    samples: list[tuple[float, float]] = [(0.0, rss0)]
    watch = StallWatch()
    while (now := time.perf_counter()) < t_end:
        t0 = time.perf_counter()
        watch.pass_start = t0
        app.processEvents()
        watch.pass_start = None
        max_pass_s = max(max_pass_s, time.perf_counter() - t0)
        if now >= next_change:
            change()
            next_change += args.interval
        if now - last_report >= 60.0:
            last_report = now
            samples.append(((now - t_start) / 60.0, rss_mb()))
            print(f"  {samples[-1][0]:.1f} min: {samples[-1][1]:.1f} MB, "
                  f"{len(swaps) - n0} frames, {changes - changes0} changes, "
                  f"{len(w.session.cached_views())} squats cached "
                  f"({w.session.cache_bytes() / 2**20:.1f} MB)", flush=True)
        if not w.playback.playing:
            w.playback.play()  # a new squat may have paused it; the screen keeps playing
        time.sleep(0.002)
    w.playback.pause()
    watch.stop()
    gaps = [b - a for a, b in zip(swaps[n0:], swaps[n0 + 1:], strict=False)]
    gc.collect()
    rss1 = rss_mb()
    minutes = (time.perf_counter() - t_start) / 60.0
    frames = len(swaps) - n0
    print(f"soak: {minutes:.1f} min of playback with setting changes every {args.interval:g} s")
    print(f"resident memory: start {rss0:.1f} MB, end {rss1:.1f} MB, growth {rss1 - rss0:+.1f} MB "
          "(floor: < 50 MB)")
    print(f"frames painted: {frames} ({frames / (60.0 * minutes):.1f} per s)")
    print(f"longest time between two painted frames: {max(gaps, default=float('nan')):.3f} s; "
          f"longest event-loop pass: {max_pass_s:.3f} s (floor: no frame over 1 s)")
    if gaps:
        gaps.sort()
        print(f"frame interval median {gaps[len(gaps) // 2] * 1000:.0f} ms, 99th percentile "
              f"{gaps[int(0.99 * (len(gaps) - 1))] * 1000:.0f} ms")
    print(f"setting changes: {changes - changes0}; solves finished: {solved[0] - solved0}; "
          f"errors shown: {len(errors)}")
    if watch.samples:
        print("event-loop passes over 0.4 s were in (0.1 s samples):")
        for where, count in watch.samples.most_common(6):
            print(f"  {count:4d}  {where}")
    for e in errors[:5]:
        print(f"  error: {e}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    growth_ok = rss1 - rss0 < RSS_GROWTH_LIMIT_MB
    longest = max(max(gaps, default=float("inf")), max_pass_s)
    frame_ok = longest < FRAME_LIMIT_S
    print(f"memory growth {rss1 - rss0:+.1f} MB (< {RSS_GROWTH_LIMIT_MB:g} MB): "
          f"{'PASS' if growth_ok else 'FAIL'}; longest frame {longest:.3f} s "
          f"(< {FRAME_LIMIT_S:g} s): {'PASS' if frame_ok else 'FAIL'}")
    w.close()


if __name__ == "__main__":
    main()
