"""`kneeviz headless-demo`: what `make run` does when there is no display to open the window on.

It says so, then renders the patellofemoral-pain (pfp) demo offscreen: a video of the squat (the
front view beside the skyline view, cartilage coloured by contact pressure) and a PNG strip of
frames through the descent, into ./kneeviz-output/ (or --out-dir), and prints both paths.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from kneeviz.errors import KneevizError

DEMO_SIZE = (960, 544)
DEMO_FPS = 24.0
STRIP_TILE = (640, 368)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kneeviz.commands.options import add_knee_options, add_squat_options

    parser.add_argument("--out-dir", default="kneeviz-output", metavar="DIR",
                        help="folder for the video and the strip (default ./kneeviz-output)")
    # The app's own options, so `make run ARGS="--preset severe"` still means something here.
    add_squat_options(parser, exclude=("frame_rate_hz",),
                      preset_help="scenario to render (default: pfp)")
    parser.add_argument("--scenario", metavar="FILE", help="a saved .kneeviz.json scenario")
    add_knee_options(parser)
    parser.add_argument("--fps", type=float, default=DEMO_FPS, metavar="N",
                        help=f"video frame rate, also the simulation's (default {DEMO_FPS:g})")
    parser.add_argument("--size", metavar="WxH", default=f"{DEMO_SIZE[0]}x{DEMO_SIZE[1]}",
                        help="video frame size (default %(default)s)")
    parser.add_argument("--multisampling", action="store_true", help="smooth edges (slower)")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from kneeviz.commands.options import load_knee_from_options, scenario_from_options
    from kneeviz.commands.render import simulate_with_progress
    from kneeviz.scene.render import (
        ProgressBar,
        RenderOptions,
        TrajectoryFrames,
        parse_size,
        render_strip,
        render_video,
    )

    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        print("kneeviz: rendering the demo offscreen (a display is available: "
              "`kneeviz` opens the app)")
    else:
        print("kneeviz: no display found (DISPLAY is not set), so the app window cannot open "
              "here.")
    size = parse_size(args.size)
    out_dir = Path(args.out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KneevizError(f"cannot create the output folder: {exc.strerror or exc}",
                           out_dir) from None

    doc = None
    if args.scenario:
        from kneeviz.scenario_file import load_scenario_file

        doc = load_scenario_file(args.scenario)
    elif args.preset is None:
        args.preset = "pfp"
    scenario = scenario_from_options(args, doc.scenario if doc is not None else None,
                                     frame_rate_hz=args.fps)
    title = doc.title if doc is not None else scenario.preset
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in title) or "squat"
    print(f"kneeviz: rendering the {title} squat instead into {out_dir}/ "
          "(a minute or two on a laptop) ...", flush=True)
    anatomy = load_knee_from_options(args, doc)
    t0 = time.perf_counter()
    traj = simulate_with_progress(anatomy, scenario)
    ms = 4 if args.multisampling else 0
    source = TrajectoryFrames(traj)
    video_opts = RenderOptions(view="split", heatmap=True, size=size, title=title,
                               multi_samples=ms)
    bar = ProgressBar("rendering", traj.n_frames)
    video = render_video(out_dir / f"{name}-squat.mp4", anatomy, source, video_opts,
                         scenario.frame_rate_hz, progress=lambda d, n: bar.update(d))
    bar.finish()
    strip = render_strip(out_dir / f"{name}-strip.png", anatomy, source,
                         replace(video_opts, view="front", size=STRIP_TILE))
    print(f"video: {video.resolve()}")
    print(f"frame strip: {strip.resolve()}")
    print(f"({traj.n_frames} frames in {time.perf_counter() - t0:.0f} s. On a machine with a "
          "display, `make run` opens the interactive app; `kneeviz render --help` renders other "
          "scenarios.)")
    return 0
