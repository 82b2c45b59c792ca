"""Recorded-motion benchmark. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_motion.py                # the headless solve
    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python benchmarks/bench_motion.py --app
    ... --app --screenshots DIR   # also the app playing the jump, and the steady-hip comparison

- seconds to solve a 10 s recording at 30 Hz (301 frames; three squats to 100 deg with the hip
  turning in 10 deg at depth, written as an OpenSim .mot) on the default knee;
- the app (default knee, its 30 Hz frame rate): File > Open motion to the first solved frame of
  the recording on screen (goal under 1 s), for the shared OpenCap jump and walking trials and
  the synthetic squat.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "motions"


def write_squats(path: Path, duration_s: float = 10.0, rate_hz: float = 100.0) -> Path:
    """Three squats to 100 deg in 10 s with the hip turning in 10 deg at depth (OpenSim .mot)."""
    t = np.arange(int(duration_s * rate_hz) + 1) / rate_hz
    u = 0.5 - 0.5 * np.cos(2 * np.pi * 3 * t / duration_s)
    knee = 100.0 * u
    ankle = 0.25 * knee
    tilt = knee / 6.0
    cols = {
        "time": t, "pelvis_tilt": -tilt, "pelvis_list": 0 * t, "pelvis_rotation": 0 * t,
        "pelvis_ty": 0.06 + 0.43 * np.cos(np.radians(ankle))
        + 0.40 * np.cos(np.radians(knee - ankle)) + 0.0661,
        "hip_flexion_r": knee - ankle + tilt, "hip_adduction_r": 0 * t,
        "hip_rotation_r": 10.0 * u, "knee_angle_r": knee, "ankle_angle_r": ankle,
    }
    head = (f"squats\nversion=1\nnRows={len(t)}\nnColumns={len(cols)}\ninDegrees=yes\n"
            "endheader\n")
    rows = "\n".join("\t".join(f"{cols[k][i]:.6f}" for k in cols) for i in range(len(t)))
    path.write_text(head + "\t".join(cols) + "\n" + rows + "\n")
    return path


def bench_solve(motion: Path) -> None:
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.motion.from_recording import recorded_scenario, scenario_kinematics
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    anatomy = load_default_anatomy()
    sc = recorded_scenario(Scenario(frame_rate_hz=30.0), str(motion))
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        kin = scenario_kinematics(anatomy, sc)
        traj = simulate(anatomy, sc, kinematics=kin)
        times.append(time.perf_counter() - t0)
    print(f"solve a 10 s recording at 30 Hz ({traj.n_frames} frames, "
          f"{int(traj.converged.sum())} converged): median {statistics.median(times):.2f} s "
          f"of {len(times)} runs ({', '.join(f'{t:.2f}' for t in times)} s)")


def bench_app(motions: list[Path], shots: Path | None) -> None:
    from PyQt6.QtWidgets import QApplication

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario

    app = QApplication.instance() or QApplication([])
    w = MainWindow(load_default_anatomy(), Scenario(frame_rate_hz=APP_FRAME_RATE_HZ))
    w.resize(1400, 860)
    w.show()

    def pump(until, limit_s: float = 300.0) -> float:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        while not until() and time.perf_counter() - t0 < limit_s:
            app.processEvents()
            time.sleep(0.002)
        return time.perf_counter() - t0

    pump(lambda: not w.session.solving and w.frames_rendered > 0)

    def first_solved_on_screen() -> bool:
        v = w.session.view
        if v is None or not getattr(v, "recorded", False):
            return False
        i = w.session.frame
        return bool(np.isfinite(v.measures["patella_lateral_tilt_deg"][i])) and \
            w.frames_rendered > rendered[0]

    results = []
    for m in motions:
        rendered = [w.frames_rendered]
        t0 = time.perf_counter()
        ok = w.motion_actions.open_motion(m)
        pump(first_solved_on_screen, 60.0)
        dt = time.perf_counter() - t0
        results.append(dt)
        total = pump(lambda: not w.session.solving) + dt
        print(f"app: open {m.name} -> first solved frame on screen {dt:.2f} s "
              f"(whole recording solved {total:.1f} s; opened={ok})")
        if shots is not None and m.name == "opencap_jump.mot":
            pump(lambda: not w.session.solving and w.session.healthy_view is not None
                 and w.session.healthy_view.scenario == w.session.healthy_scenario()
                 and w.session.healthy_view.solved, 300.0)
            v = w.session.view
            assert v is not None
            t = v.time_s
            landing = int(np.argmax(np.where((t > 3.5) & (t < 4.2),
                                             v.measures["knee_flexion_deg"], -1)))
            w.playback.play()
            pump(lambda: False, 1.5)
            w.save_screenshot(str(shots / "motion-jump-playing.png"), whole_window=True)
            w.playback.pause()
            w.session.set_frame(landing)
            pump(lambda: False, 1.0)
            w.save_screenshot(str(shots / "motion-jump-landing-steady-hip.png"),
                              whole_window=True)
            w.controls.hip.set_hip(10, 0)  # "the hip turns in 10 deg more than recorded"
            pump(lambda: not w.session.solving, 300.0)
            w.playback.play()
            pump(lambda: False, 0.8)
            w.save_screenshot(str(shots / "motion-jump-10deg-more-playing.png"),
                              whole_window=True)
            w.playback.pause()
            w.session.set_frame(landing)
            pump(lambda: False, 1.0)
            w.save_screenshot(str(shots / "motion-jump-10deg-more.png"), whole_window=True)
            w.controls.hip.set_hip(0, 0)
            pump(lambda: not w.session.solving, 300.0)
        w.motion_actions.close_motion()
        pump(lambda: not w.session.solving, 300.0)
    print(f"app: open a motion to its first solved frame: median {statistics.median(results):.2f}"
          f" s over {len(results)} recordings (goal < 1 s)")
    w.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", action="store_true", help="the app figures (needs a display)")
    ap.add_argument("--screenshots", type=Path, default=None, metavar="DIR")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        squats = write_squats(Path(tmp) / "squats.mot")
        if args.app:
            motions = [p for p in (SHARED / "opencap_jump.mot", SHARED / "opencap_walking.mot")
                       if p.is_file()] + [squats]
            bench_app(motions, args.screenshots)
        else:
            bench_solve(squats)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
