"""Offscreen rendering benchmark: seconds per rendered frame at 1280x720 (the issue's floor:
0.2 s a frame). Prints figures; asserts nothing. Runs with or without a display:
`.venv/bin/python benchmarks/bench_render.py`.

Measured per view (front; split = two 640-wide views side by side) with and without the pressure
heat map: a full captioned frame (pose the actors, render, read back the pixels, draw the
caption), and the whole MP4 pipeline (the same plus H.264 encoding by imageio-ffmpeg). The squat
is a short simulated one (6 frames) whose frames are cycled: rendering cost does not depend on the
pose.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

SIZE = (1280, 720)
FRAMES = 30
FLOOR_S = 0.2


def main() -> int:
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.scenario import Scenario
    from kneeviz.scene.render import (
        RenderOptions,
        SquatRenderer,
        TrajectoryFrames,
        VideoWriter,
        iter_video,
    )
    from kneeviz.simulation import simulate

    anatomy = load_default_anatomy()
    scenario = Scenario.from_preset("pfp", frame_rate_hz=5.0, descent_s=0.5, ascent_s=0.5)
    t0 = time.perf_counter()
    source = TrajectoryFrames(simulate(anatomy, scenario))
    print(f"(simulated {source.n_frames} frames in {time.perf_counter() - t0:.1f} s; "
          f"rendering {FRAMES} frames per case at {SIZE[0]}x{SIZE[1]}, multisampling off)")
    cases = [("front", False, False), ("front", True, False), ("split", True, False),
             ("front", False, True)]
    worst = 0.0
    for view, heat, full in cases:
        opts = RenderOptions(view=view, heatmap=heat, size=SIZE, title="pfp", full_detail=full)
        t0 = time.perf_counter()
        with SquatRenderer(anatomy, source, opts) as r:
            setup = time.perf_counter() - t0
            r.frame(0)  # first frame compiles shaders
            times = []
            for k in range(FRAMES):
                t = time.perf_counter()
                r.frame(k % source.n_frames)
                times.append(time.perf_counter() - t)
            with tempfile.TemporaryDirectory() as tmp:
                w = VideoWriter(Path(tmp) / "b.mp4", 30.0)
                t = time.perf_counter()
                for _ in iter_video(r, w, [k % source.n_frames for k in range(FRAMES)]):
                    pass
                w.commit()
                video = (time.perf_counter() - t) / FRAMES
        med = statistics.median(times)
        if not full:  # the default (app display meshes) is what the floor is about
            worst = max(worst, video)
        label = f"{view}{' + heat map' if heat else ''}{' (full meshes)' if full else ''}"
        print(f"{label:<22} frame {med:.3f} s (median; {1 / med:.1f} fps)   with MP4 encoding "
              f"{video:.3f} s/frame   renderer setup {setup:.2f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(load average {load:.1f} on {os.cpu_count()} cores while measuring)")
    verdict = "within" if worst <= FLOOR_S else "OVER"
    print(f"slowest case with encoding: {worst:.3f} s per frame at {SIZE[0]}x{SIZE[1]} "
          f"({verdict} the {FLOOR_S} s floor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
