"""Desktop app benchmark (run under Xvfb: `xvfb-run -a -s "-screen 0 1920x1080x24"
.venv/bin/python benchmarks/bench_app.py`). Prints figures; asserts nothing.

- cold start to first rendered frame (s): a fresh interpreter, imports, the default knee, the window
  and its first render; run twice, the second with every cache warm (the issue's floor: 5 s);
- playback frames per second with the 3D view at 1280x800, multisampling off (floor: 10 fps):
  the bones-only squat (no solve competing for the CPU) in the whole window and in the bare
  player, then a solved squat in the whole window (pressure colours, ghost, contact dots);
- slider-to-updated-frame latency (ms): a hip slider value to the re-posed bones on screen, while
  the previous setting is still being solved in the background (floor: 150 ms). "On screen" is
  the return of the window composition that first carried the re-posed bones (the 3D widget's
  frameSwapped signal, timed in its slot). Earlier versions timed the return of the
  processEvents() call instead, which could include further compositions and solver results
  handled after the frame was already shown; the frame itself and what it costs are unchanged;
- resident memory (MB) after all of that (floor: 1 GB);
- offscreen frames per second for the same scene and size;
- the UI thread's longest stall (ms), timed by a 2 ms timer on the UI thread (its longest gap
  between ticks), alternated over several rounds: playing a solved squat with no solve running,
  playing while the hip setting is re-solved back to back (and the frames/s of each), and paused
  during a 1 s slider drag (then while the released setting solves). `--stalls` runs only this;
  `--compare` takes the solve thread's nice value and duty in turns (STALL_CONFIGS);
- `--views [ROUNDS]` runs only the patient views' playback figures (a solved typical-PFP squat:
  underside maps and the skyline's capped cut, then side by side as well), ROUNDS times in turns,
  and prints their medians; `--profile` adds where the UI thread's time went with all of them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

VIEW_SIZE = (1280, 800)


def _rss_mb() -> tuple[float, float]:
    cur = peak = float("nan")
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return cur, peak


def child_first_frame(t0: float) -> None:
    """In a fresh process: time from launch to the first frame on screen."""
    from PyQt6.QtWidgets import QApplication

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario

    app = QApplication([])
    w = MainWindow(load_default_anatomy(), Scenario(frame_rate_hz=APP_FRAME_RATE_HZ))
    w.show()
    while w.frames_rendered < 1 or not w.plotter.interactor.isVisible():
        app.processEvents()
    w.plotter.render()
    print(f"FIRST_FRAME {time.time() - t0:.3f}", flush=True)
    w.close()


def first_frame_s() -> float:
    t0 = time.time()
    out = subprocess.run([sys.executable, __file__, "--child", repr(t0)], capture_output=True,
                         text=True, check=True)
    for line in out.stdout.splitlines():
        if line.startswith("FIRST_FRAME"):
            return float(line.split()[1])
    raise RuntimeError(out.stdout + out.stderr)


class StallTimer:
    """The UI thread's longest stall: a fast precise timer whose ticks are late by however long the
    thread was busy (a render, a slot, waiting for the interpreter lock)."""

    def __init__(self, interval_ms: int = 2) -> None:
        from PyQt6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst_ms = 0.0
        self.over: list[float] = []

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            gap = (now - self.last) * 1000.0
            self.worst_ms = max(self.worst_ms, gap)
            self.over.append(gap)
        self.last = now

    def start(self) -> None:
        self.last, self.worst_ms, self.over = 0.0, 0.0, []
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.worst_ms

    def count_over(self, ms: float) -> int:
        return sum(1 for g in self.over if g > ms)


STALL_CONFIGS: dict[str, tuple[str, int | None]] = {
    "process, idle class": ("process", None), "process, nice 19": ("process", 19),
    "thread, nice 10": ("thread", 10)}
"""Solve settings compared by stall_figures: where the solve runs (the worker process of
kneeviz.app.state.solve_process, or the solve thread itself) and its priority (a nice value;
None: the idle scheduling class)."""


def solved_window(w: Any, pump: Any, limit_s: float = 600.0) -> Any:
    """Window `w` shown with its 3D view at VIEW_SIZE, once its squat and the healthy reference
    are solved (or `limit_s` has passed)."""
    w.plotter.interactor.setFixedSize(*VIEW_SIZE)
    w.show()
    t0 = time.perf_counter()
    while (w.session.solving or w.session.healthy_view is None or not w.session.view.solved) \
            and time.perf_counter() - t0 < limit_s:
        pump(0.1)
    return w


def freeze_heap() -> None:
    """What `kneeviz app` does once its window is up (kneeviz.app.window.heap); a no-op for an older
    kneeviz on PYTHONPATH that does not."""
    try:
        from kneeviz.app.window.heap import freeze_startup_heap
    except ImportError:
        return
    freeze_startup_heap()


def stall_figures(app, anatomy, rounds: int = 2, seconds: float = 3.0,  # type: ignore[no-untyped-def]
                  configs: dict[str, tuple[str, int | None]] | None = None) -> None:
    """UI-thread stalls and playback frames/s with and without a solve running, for each solve
    thread setting, taken in turns (round by round) so each sees the same load."""
    from kneeviz.app.state import solver as solver_module
    from kneeviz.app.state.solver import Solver
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario

    # read this way the figures can also be taken of an older kneeviz (PYTHONPATH) for comparison
    SOLVE_NICE = getattr(solver_module, "SOLVE_NICE", 10)
    in_process = hasattr(solver_module, "SolveProcess")
    if configs is None:
        configs = STALL_CONFIGS if "--compare" in sys.argv else {
            "as the app solves": ("process" if in_process else "thread", None)}

    def pump(sec: float) -> None:
        end = time.perf_counter() + sec
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.0005)

    def wait_solved(w: MainWindow, limit_s: float) -> None:
        t0 = time.perf_counter()
        while w.session.solving and time.perf_counter() - t0 < limit_s:
            app.processEvents()
            time.sleep(0.0005)

    windows = {}
    for name, (where, nice) in configs.items():
        if where == "process":
            from kneeviz.app.state.solve_process import SolveProcess

            solver = Solver()
            solver.process = SolveProcess(nice)  # its own worker at this priority
            solver.process.start()
        elif in_process:
            solver = Solver(in_process=False)
            solver.nice = SOLVE_NICE if nice is None else nice
        else:
            solver = Solver()
        w = MainWindow(anatomy, Scenario.from_preset("pfp", frame_rate_hz=APP_FRAME_RATE_HZ),
                       solver=solver)
        w.plotter.interactor.setFixedSize(*VIEW_SIZE)
        w.show()
        t0 = time.perf_counter()
        while (w.session.solving or w.session.healthy_view is None) and \
                time.perf_counter() - t0 < 300:
            pump(0.1)
        windows[name] = w
    pump(1.0)
    freeze_heap()
    st = StallTimer()
    values = iter(list(range(-10, 31)) * 10)
    res: dict[str, dict[str, list[float]]] = {
        n: {k: [] for k in ("quiet", "busy", "quiet_fps", "busy_fps", "solve", "drag",
                            "over80", "release")} for n in configs}
    for _ in range(rounds):
        for name, w in windows.items():
            r = res[name]
            w.raise_()
            hip = w.controls.hip
            pump(0.3)
            # playing, nothing solving
            w.playback.play()
            pump(0.5)
            st.start()
            r0, t0 = w.frames_rendered, time.perf_counter()
            pump(seconds)
            r["quiet_fps"].append((w.frames_rendered - r0) / (time.perf_counter() - t0))
            r["quiet"].append(st.stop())
            # playing while new hip settings are solved back to back (none cached)
            st.start()
            r0, t0 = w.frames_rendered, time.perf_counter()
            n_solves = 0
            while time.perf_counter() - t0 < seconds:
                hip.set_hip(next(values), 3)
                n_solves += 1
                wait_solved(w, 60)
            r["busy_fps"].append((w.frames_rendered - r0) / (time.perf_counter() - t0))
            r["busy"].append(st.stop())
            r["solve"].append((time.perf_counter() - t0) / n_solves)
            w.playback.pause()
            pump(0.5)
            # paused: a 1 s drag of the rotation slider (a value every 33 ms), then release
            slider = hip.sliders["femoral_internal_rotation_deg"].slider
            slider.setSliderDown(True)
            start = slider.value()
            st.start()
            t0 = time.perf_counter()
            k = 0
            while time.perf_counter() - t0 < 1.0:
                k += 1
                slider.setValue(-10 + (start + 10 + k) % 40)
                pump(0.033)
            r["drag"].append(st.stop())
            r["over80"].append(st.count_over(80.0))
            st.start()
            slider.setSliderDown(False)  # release: the solve starts
            wait_solved(w, 60)
            r["release"].append(st.stop())
            pump(0.3)
    for w in windows.values():
        w.close()
    med = statistics.median

    def runs(xs: list[float]) -> str:
        return ", ".join(f"{x:.0f}" for x in xs)

    print(f"UI-thread stalls (2 ms timer), {rounds} rounds of {seconds:.0f} s taken in turns, "
          f"{VIEW_SIZE[0]}x{VIEW_SIZE[1]}, no multisampling, load now "
          f"{os.getloadavg()[0]:.1f}:")
    for name, r in res.items():
        print(f"  [{name}] playing, no solve: longest stall median {med(r['quiet']):.0f} ms "
              f"({runs(r['quiet'])}), {med(r['quiet_fps']):.1f} frames/s")
        print(f"  [{name}] playing during re-solves: longest stall median {med(r['busy']):.0f} "
              f"ms ({runs(r['busy'])}), {med(r['busy_fps']):.1f} frames/s "
              f"({100 * med(r['busy_fps']) / med(r['quiet_fps']):.0f} % of no-solve); one "
              f"re-solve {med(r['solve']):.2f} s")
        print(f"  [{name}] paused 1 s slider drag: longest stall median {med(r['drag']):.0f} ms "
              f"({runs(r['drag'])}), stalls over 80 ms per drag {runs(r['over80'])}; after "
              f"release while the setting solves: {med(r['release']):.0f} ms")


def views_figures(rounds: int, profile: bool) -> None:
    """The patient views' playback frames/s only (see the module docstring), `rounds` times."""
    from PyQt6.QtWidgets import QApplication

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario

    app = QApplication([])
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    cpu: dict[str, list[float]] = {"plain": [], "maps": [], "compare": []}

    def played_fps(window: MainWindow, seconds: float = 6.0, what: str = "") -> float:
        """Frames/s on the wall clock; also notes the process's CPU time per frame (all its
        threads, llvmpipe's included): a cost that other processes on the machine inflate far
        less than the wall clock."""
        window.playback.play()
        r0, t0 = window.frames_rendered, time.perf_counter()
        c0 = time.process_time()
        pump(seconds)
        frames = window.frames_rendered - r0
        fps = frames / (time.perf_counter() - t0)
        if what:
            cpu[what].append(1000.0 * (time.process_time() - c0) / max(frames, 1))
        window.playback.pause()
        return fps

    scenario = Scenario.from_preset("pfp", frame_rate_hz=APP_FRAME_RATE_HZ)
    w = solved_window(MainWindow(load_default_anatomy(), scenario), pump)
    pump(1.0)
    freeze_heap()
    cv = w.clinical
    res: dict[str, list[float]] = {"plain": [], "maps": [], "compare": []}
    for _ in range(rounds):
        w.panel_tabs.setCurrentWidget(cv.axial)  # the axial slice
        w.set_camera("front")
        pump(0.5)
        res["plain"].append(played_fps(w, what="plain"))
        w.panel_tabs.setCurrentWidget(cv.essentials)  # the underside maps
        w.set_camera("skyline")
        pump(0.5)
        res["maps"].append(played_fps(w, what="maps"))
        cv.set_compare(True)
        pump(0.5)
        res["compare"].append(played_fps(w, what="compare"))
        cv.set_compare(False)
    med = statistics.median
    runs = {k: ", ".join(f"{x:.1f}" for x in v) for k, v in res.items()}
    print(f"playback at {VIEW_SIZE[0]}x{VIEW_SIZE[1]}, solved typical-PFP squat, {rounds} rounds:")
    print(f"  whole app, front view: median {med(res['plain']):.1f} frames/s ({runs['plain']})")
    print(f"  with the underside maps and the skyline view (capped cut): median "
          f"{med(res['maps']):.1f} frames/s ({runs['maps']})")
    print(f"  and side by side healthy | this setting: median {med(res['compare']):.1f} "
          f"frames/s ({runs['compare']})")
    print("  CPU time per frame (all threads), median: " + ", ".join(
        f"{k} {med(v):.0f} ms" for k, v in cpu.items()))
    if profile:
        import cProfile
        import pstats

        w.panel_tabs.setCurrentWidget(cv.essentials)  # the underside maps
        w.set_camera("skyline")
        cv.set_compare(True)
        pump(0.5)
        prof = cProfile.Profile()
        prof.enable()
        fps = played_fps(w)
        prof.disable()
        print(f"profiled playback with all of them: {fps:.1f} frames/s")
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    print(f"load average now: {os.getloadavg()[0]:.1f}")
    w.close()


def main() -> None:
    if "--views" in sys.argv:
        k = sys.argv.index("--views")
        rounds = int(sys.argv[k + 1]) if len(sys.argv) > k + 1 and sys.argv[k + 1].isdigit() \
            else 3
        views_figures(rounds, "--profile" in sys.argv)
        return
    if "--stalls" in sys.argv:
        from PyQt6.QtWidgets import QApplication

        from kneeviz.anatomy.build import load_default_anatomy

        app = QApplication([])
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        stall_figures(app, load_default_anatomy(), rounds=3 if "--compare" in sys.argv else 2)
        return
    if not os.environ.get("DISPLAY"):
        sys.exit("bench_app needs an X display: run it under xvfb-run")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other processes share the machine: figures scale with it)")
    cold = first_frame_s()
    warm = first_frame_s()
    print(f"cold start to first rendered frame: {cold:.2f} s (first run), {warm:.2f} s "
          "(caches warm)")

    from PyQt6.QtWidgets import QApplication

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.app.state.solver import Solver
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario
    from kneeviz.scene.offscreen import OffscreenRenderer

    app = QApplication([])
    anatomy = load_default_anatomy()
    scenario = Scenario(frame_rate_hz=APP_FRAME_RATE_HZ)

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    def played_fps(window: MainWindow, seconds: float = 6.0) -> float:
        """Frames painted per second while the window's own timer plays the squat."""
        window.playback.play()
        r0, t0 = window.frames_rendered, time.perf_counter()
        pump(seconds)
        fps = (window.frames_rendered - r0) / (time.perf_counter() - t0)
        window.playback.pause()
        return fps

    # Playback: bones-only squat (no solve competing for the CPU), the real timer-driven playback;
    # the whole app, then the bare player without the clinical views (heat map, ghost, axial view).
    n = 0
    for clinical in (True, False):
        what = "whole app" if clinical else "bare player (no clinical views)"
        w = MainWindow(anatomy, scenario, solver=Solver(simulate_fn=None), clinical=clinical)
        w.plotter.interactor.setFixedSize(*VIEW_SIZE)
        w.show()
        pump(1.0)
        freeze_heap()
        n_tri = sum(a.mapper.dataset.n_cells for a in w.scene.actors.values())
        fps = played_fps(w)
        print(f"playback at {VIEW_SIZE[0]}x{VIEW_SIZE[1]}, no multisampling, {what}, knee "
              f"{n_tri} triangles: {fps:.1f} frames/s (timer-driven, wall clock x 1.0)")
        r0, t0 = w.frames_rendered, time.perf_counter()
        n = w.session.view.n_frames
        for k in range(60):
            w.session.set_frame(k % n)
            app.processEvents()
        print(f"  back-to-back frame updates (render-bound): "
              f"{(w.frames_rendered - r0) / (time.perf_counter() - t0):.1f} frames/s")
        if not clinical:
            w.set_multisampling(True)
            r0, t0 = w.frames_rendered, time.perf_counter()
            for k in range(30):
                w.session.set_frame(k % n)
                app.processEvents()
            print(f"  with multisampling (the setting): "
                  f"{(w.frames_rendered - r0) / (time.perf_counter() - t0):.1f} frames/s")
        w.close()

    # Slider latency with the real solver busy in the background.
    w = MainWindow(anatomy, scenario)
    w.plotter.interactor.setFixedSize(*VIEW_SIZE)
    w.show()
    pump(1.0)
    w.session.set_frame(n // 4)
    lat_ms: list[float] = []
    view_ms: list[float] = []
    # The frame is on screen when the window's composition that carried it returns (the 3D
    # widget's frameSwapped, which MainWindow counts in frames_rendered): its time is taken there,
    # not when processEvents() returns, because one processEvents() call may go on to handle
    # later events (another composition for a side panel, a solver result) after the frame was
    # shown.
    swapped: list[tuple[int, float]] = []
    w.plotter.interactor.frameSwapped.connect(
        lambda: swapped.append((w.frames_rendered, time.perf_counter())))
    for value in (4, 8, 12, 16, 20, 24):
        posed: list[tuple[int, float]] = []  # (frames rendered, time) when the bones re-posed

        def on_view(v: int = value, posed: list[tuple[int, float]] = posed) -> None:
            if not posed and w.session.view.scenario.femoral_internal_rotation_deg == v:
                posed.append((w.frames_rendered, time.perf_counter()))

        w.session.view_changed.connect(on_view)
        swapped.clear()
        t0 = time.perf_counter()
        # what a drag does (throttled like a drag)
        w.controls.hip.sliders["femoral_internal_rotation_deg"].slider.setValue(value)
        shown: list[float] = []
        while not shown and time.perf_counter() - t0 < 10:
            app.processEvents()
            # The first 3D frame painted after the bones were re-posed shows them.
            shown = [t for k, t in swapped if posed and k > posed[0][0]]
        w.session.view_changed.disconnect(on_view)
        view_ms.append(1000 * (posed[0][1] - t0))
        lat_ms.append(1000 * (shown[0] - t0))
        pump(0.3)
    print(f"slider to updated frame: median {statistics.median(lat_ms):.0f} ms, max "
          f"{max(lat_ms):.0f} ms over {len(lat_ms)} changes (a drag's first value is applied "
          f"at once, later ones every {w.controls.hip.params._debounce.interval_ms} ms; a solve "
          "runs meanwhile)")
    print(f"  of which new poses ready: median {statistics.median(view_ms):.0f} ms")
    # How long the mechanics take to follow (information, the other floors do not depend on it).
    t0 = time.perf_counter()
    w.controls.hip.apply_preset("pfp")
    first = None
    while w.session.solving and time.perf_counter() - t0 < 600:
        v = w.session.view
        if first is None and v is not None and v.scenario.preset == "pfp" and \
                v.measures["patella_lateral_tilt_deg"][w.session.frame] == \
                v.measures["patella_lateral_tilt_deg"][w.session.frame]:
            first = time.perf_counter() - t0
        app.processEvents()
        time.sleep(0.005)
    total = time.perf_counter() - t0
    print(f"  mechanics after a preset change ({n} frames): frame on screen solved after "
          f"{first if first is not None else float('nan'):.1f} s, whole squat after {total:.1f} s")
    print(f"load average now: {os.getloadavg()[0]:.1f}")
    stall_figures(app, anatomy)
    cur, peak = _rss_mb()
    print(f"resident memory: {cur:.0f} MB (peak {peak:.0f} MB)")
    view = w.session.view
    w.close()

    # Playback of a solved squat, as a user mostly sees it: pressure colours and their scale bar,
    # the healthy kneecap's ghost, contact dots in the axial view, numbers in every readout (both
    # solves finished first, so none competes for the CPU).
    w = solved_window(MainWindow(anatomy, Scenario.from_preset("pfp",
                                                               frame_rate_hz=APP_FRAME_RATE_HZ)),
                      pump)
    if w.session.view.solved and w.session.healthy_view is not None:
        pump(1.0)
        fps = played_fps(w)
        print(f"playback at {VIEW_SIZE[0]}x{VIEW_SIZE[1]}, no multisampling, whole app, solved "
              f"squat (pressure colours, ghost, contact dots): {fps:.1f} frames/s")
        _patient_views(w, pump, played_fps)
    else:
        print("playback of a solved squat: not measured (the solve did not finish)")
    w.close()

    with OffscreenRenderer(anatomy, VIEW_SIZE) as r:
        r.render(view.poses(0), "front")
        t0 = time.perf_counter()
        for k in range(60):
            r.render(view.poses(k % view.n_frames), None)
        print(f"offscreen at {VIEW_SIZE[0]}x{VIEW_SIZE[1]}, same scene: "
              f"{60 / (time.perf_counter() - t0):.1f} frames/s")


def _patient_views(w: Any, pump: Any, played_fps: Any) -> None:
    """The same solved squat with the patient views on: the kneecap's underside maps and the
    skyline camera's capped cut every frame, then the side-by-side healthy | this setting too."""
    cv = w.clinical
    w.panel_tabs.setCurrentWidget(cv.essentials)  # the underside maps
    w.set_camera("skyline")
    pump(1.0)
    print(f"  with the underside maps and the skyline view (capped cut): {played_fps(w):.1f} "
          "frames/s")
    cv.set_compare(True)
    pump(1.0)
    print(f"  and side by side healthy | this setting: {played_fps(w):.1f} frames/s")
    t0 = time.perf_counter()
    n = w.session.view.n_frames
    for k in range(20):
        w.session.set_frame((n // 4 + k) % n)
        cv._update_slices(w.session.frame)
        app_process(w)
    print(f"  paused frame steps with all of them (3D, slice, maps, side by side): "
          f"{1000 * (time.perf_counter() - t0) / 20:.0f} ms each")
    cv.set_compare(False)
    w.set_camera("front")


def app_process(w: Any) -> None:
    from PyQt6.QtWidgets import QApplication

    QApplication.processEvents()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child_first_frame(float(sys.argv[2]))
    else:
        main()
