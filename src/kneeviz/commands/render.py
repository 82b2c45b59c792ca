"""`kneeviz render`: simulate a squat and render it offscreen to an MP4, a GIF or a PNG.

    kneeviz render --preset pfp --out pfp.mp4
    kneeviz render --preset pfp --view split --heatmap --size 1280x720 --fps 30 --out pfp.mp4
    kneeviz render --femoral-ir 12 --hip-adduction 6 --view skyline --out strip.png
    kneeviz render --preset pfp --flexion 30 --view closeup --out pfp-30deg.png
    kneeviz render --scenario lecture.kneeviz.json --out lecture.gif
    kneeviz render --femur F.stl --patella P.stl --tibia T.stl --preset pfp --out patient.mp4
    kneeviz render --motion squat.mot --femoral-ir -5 --out squat-less-turn.mp4

A .png is a strip of six frames through the descent (each tile --size), or the one frame at
--flexion DEG (with --motion: frames across the whole recording, or its solved frame nearest
that flexion). Needs no display. A progress bar shows on a terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kneeviz.atomic import check_interrupt, interrupts_between_steps, preflight
from kneeviz.commands.options import (
    add_knee_options,
    add_squat_options,
    load_knee_from_options,
    scenario_from_options,
)
from kneeviz.errors import KneevizError
from kneeviz.view_state import RENDER_VIEWS

if TYPE_CHECKING:
    from kneeviz.anatomy.knee import Anatomy
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import Trajectory

DEFAULT_VIDEO_FPS = 30.0
DEFAULT_STRIP_RATE_HZ = 10.0
"""A PNG needs only a few frames: the descent is simulated at 10 Hz (about 6 deg a step at the
default 2 s descent) unless --fps or a scenario file sets the rate."""
DEFAULT_VIDEO_SIZE = (1280, 720)
DEFAULT_STRIP_TILE = (640, 368)


def add_arguments(parser: argparse.ArgumentParser) -> None:

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1] if __doc__ else None
    s = parser.add_argument_group("the squat")
    add_squat_options(s, exclude=("frame_rate_hz",),  # --fps sets the rate: real-time video
                      preset_help="hip-control preset (default: healthy, or the scenario file's)")
    s.add_argument("--scenario", metavar="FILE",
                   help="a saved .kneeviz.json scenario (its knee, parameters and view); "
                        "the options above override it")
    from kneeviz.commands.motion_args import add_motion_arguments

    add_motion_arguments(s)
    k = parser.add_argument_group("a patient's knee (all three, or none for the default knee)")
    add_knee_options(k)
    o = parser.add_argument_group("the picture")
    o.add_argument("--out", required=True, metavar="FILE",
                   help="output file: .mp4, .gif (the squat) or .png (frame strip / one frame)")
    o.add_argument("--view", choices=RENDER_VIEWS,
                   help="camera (default: front, or the scenario file's); split = front + skyline; "
                        "underside = the kneecap's pressure map seen through it from the front, "
                        "healthy beside this setting; compare = healthy | this setting, skyline "
                        "camera")
    o.add_argument("--heatmap", action="store_true", default=None,
                   help="colour the cartilage by contact pressure")
    o.add_argument("--size", metavar="WxH",
                   help="frame size in pixels, rounded to multiples of 16 (default 1280x720, "
                        "a GIF 640x368; for a PNG strip the size of each tile, default 640x368)")
    o.add_argument("--fps", type=float, metavar="N",
                   help="video frames per second; the squat is simulated at this rate, so the "
                        "video plays in real time (default 30, or the scenario file's rate)")
    o.add_argument("--full-detail", action="store_true",
                   help="draw the full meshes (slower) instead of the app's display meshes")
    o.add_argument("--flexion", type=float, metavar="DEG",
                   help="with a .png: the single frame at this knee flexion on the way down")


# -- pieces the headless demo and the app reuse ------------------------------------------------
def descent_only(kin: Any, scenario: Scenario, until_s: float | None = None) -> Any:
    """The squat kinematics cut at the bottom of the squat (the frames a strip shows), or at
    `until_s` seconds."""
    import numpy as np

    end = scenario.descent_s if until_s is None else min(until_s, scenario.descent_s)
    keep = int(np.argmin(np.abs(np.asarray(kin.time_s) - end))) + 1  # up to the nearest frame
    keep = max(1, min(keep, kin.n_frames))
    changes = {}
    for f in fields(kin):
        v = getattr(kin, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == kin.n_frames:
            changes[f.name] = v[:keep]
    return replace(kin, **changes)


def descent_time_at(scenario: Scenario, flexion_deg: float) -> float:
    """When the descent reaches `flexion_deg` (bisection on the monotonic descent profile)."""
    import numpy as np

    from kneeviz.motion.squat import knee_flexion_profile

    lo, hi = 0.0, scenario.descent_s
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if float(knee_flexion_profile(np.array([mid]), scenario)[0]) < flexion_deg:
            lo = mid
        else:
            hi = mid
    return hi


def rate_for_time(scenario: Scenario, t_s: float, low_hz: float = 5.0, high_hz: float = 20.0
                  ) -> float:
    """A frame rate in low..high Hz whose frame grid (linspace over the squat) puts a frame as
    close as possible to t_s, so the single frame at a given flexion is (nearly) exactly there
    without changing the squat itself."""
    total = scenario.descent_s + scenario.ascent_s
    best, best_err = low_hz, float("inf")
    m = max(1, int(round(low_hz * total)))
    while m <= high_hz * total:
        k = round(t_s / total * m)
        err = abs(k * total / m - t_s)
        if err < best_err - 1e-12:
            best, best_err = m / total, err
        m += 1
    return best


def simulate_with_progress(anatomy: Anatomy, scenario: Scenario, *, descent: bool = False,
                           until_s: float | None = None, stream: Any = None,
                           kinematics: Any = None) -> Trajectory:
    """simulate(), optionally only the descent (up to `until_s`), with a terminal progress bar;
    `kinematics` (a recording's) are simulated whole."""
    from kneeviz.motion.from_recording import RecordedScenario, scenario_kinematics
    from kneeviz.scene.render import ProgressBar
    from kneeviz.simulation import simulate

    kin = kinematics if kinematics is not None else scenario_kinematics(anatomy, scenario)
    whole = kinematics is not None or isinstance(scenario, RecordedScenario)
    if not whole and (descent or until_s is not None):
        kin = descent_only(kin, scenario, until_s)
    bar = ProgressBar("simulating", kin.n_frames, stream)

    def on_frame(i: int, _solution: object) -> None:
        check_interrupt()  # a deferred Ctrl-C lands between two solved frames
        bar.update(i + 1)

    traj = simulate(anatomy, scenario, kinematics=kin, on_frame=on_frame)
    bar.finish()
    return traj


def healthy_reference(anatomy: Anatomy, scenario: Scenario, view: str, suffix: str,
                      until_s: float | None) -> Any:
    """The healthy squat with the same timing, for the views that show it beside this one
    (None for the others); for a recording, the same recording with a steady hip."""
    from kneeviz.motion.from_recording import healthy_counterpart
    from kneeviz.scene.render import REFERENCE_VIEWS, TrajectoryFrames

    if view not in REFERENCE_VIEWS:
        return None
    healthy = healthy_counterpart(scenario)
    return TrajectoryFrames(simulate_with_progress(anatomy, healthy,
                                                   descent=suffix == ".png", until_s=until_s))


def run(args: argparse.Namespace) -> int:
    """A Ctrl-C stops the render between two frames (solved or drawn), never inside VTK or the
    encoder (see kneeviz.atomic.interrupts_between_steps)."""
    with interrupts_between_steps():
        return _render(args)


def _render(args: argparse.Namespace) -> int:
    from kneeviz.scene.render import (
        OUTPUT_SUFFIXES,
        ProgressBar,
        RenderOptions,
        TrajectoryFrames,
        check_size,
        parse_size,
        render_still,
        render_strip,
        render_video,
    )

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise KneevizError(
            f"--out must end in {', '.join(OUTPUT_SUFFIXES)}, not {suffix or '(no extension)'}",
            out,
        )
    preflight(out, what="write the picture")  # a read-only folder or too long a name: say so now
    if args.flexion is not None and suffix != ".png":
        raise KneevizError("--flexion picks one frame for a .png; a video shows the whole squat")
    if args.flexion is not None and not 0.0 <= args.flexion <= 140.0:
        raise KneevizError(f"--flexion {args.flexion:g} deg is outside 0..140 deg")
    if args.fps is not None and not 1.0 <= args.fps <= 120.0:
        raise KneevizError(f"--fps {args.fps:g} is outside 1..120 frames per second")
    size = parse_size(args.size) if args.size else None

    doc = None
    if args.scenario:
        from kneeviz.scenario_file import load_scenario_file

        doc = load_scenario_file(args.scenario)
    rate = args.fps
    if rate is None and doc is None:
        rate = DEFAULT_STRIP_RATE_HZ if suffix == ".png" else DEFAULT_VIDEO_FPS
    scenario = scenario_from_options(args, doc.scenario if doc is not None else None,
                                     frame_rate_hz=rate)
    until_s = None
    if args.flexion is not None and args.motion is None:
        if args.flexion > scenario.max_flexion_deg:
            raise KneevizError(
                f"--flexion {args.flexion:g} deg is deeper than this squat goes "
                f"({scenario.max_flexion_deg:g} deg): choose less, or set --max-flexion"
            )
        # the same squat (the hip rotation grows with depth relative to its maximum), sampled so
        # that a frame falls at the requested flexion
        until_s = descent_time_at(scenario, float(args.flexion))
        if args.fps is None:
            scenario = replace(scenario, frame_rate_hz=rate_for_time(scenario, until_s))
    view = args.view or (doc.view.camera if doc is not None else "front")
    heatmap = bool(args.heatmap) if args.heatmap is not None else bool(doc and doc.view.heatmap)
    title = doc.title if doc is not None and doc.name else scenario.preset
    if size is None:
        small = suffix == ".gif" or (suffix == ".png" and args.flexion is None)
        size = DEFAULT_STRIP_TILE if small else DEFAULT_VIDEO_SIZE
    size = check_size(size)

    anatomy = load_knee_from_options(args, doc)
    from kneeviz.commands.motion_args import motion_kinematics, not_solved_summary

    scenario, kin = motion_kinematics(args, anatomy, scenario)
    if args.motion is not None and not (doc is not None and doc.name):
        title = f"{Path(args.motion).name} ({scenario.preset})"
    t0 = time.perf_counter()
    traj = simulate_with_progress(anatomy, scenario, descent=suffix == ".png",
                                  until_s=until_s, kinematics=kin)
    reference = healthy_reference(anatomy, scenario, view, suffix, until_s)
    t_sim = time.perf_counter() - t0
    from kneeviz.result_check import check_result

    check_result(traj, str(out), anatomy)  # no picture of a run that is not a result
    source = TrajectoryFrames(traj)
    options = RenderOptions(view=view, heatmap=heatmap, size=size, title=title,
                            full_detail=bool(args.full_detail))

    t0 = time.perf_counter()
    if suffix == ".png" and args.flexion is not None:
        import numpy as np

        flex = np.asarray(traj["knee_flexion_deg"])
        i = int(np.argmin(np.where(traj.converged, np.abs(flex - args.flexion), np.inf)))
        path = render_still(out, anatomy, source, options, i, reference=reference)
        what = f"the frame at {flex[i]:.1f} deg knee flexion"
    elif suffix == ".png":
        bar = ProgressBar("rendering", 6)
        path = render_strip(out, anatomy, source, options, progress=lambda d, n: bar.update(d),
                            reference=reference)
        bar.finish()
        what = "a strip of frames through the descent"
    else:
        bar = ProgressBar("rendering", traj.n_frames)
        path = render_video(out, anatomy, source, options, scenario.frame_rate_hz,
                            progress=lambda d, n: bar.update(d), reference=reference)
        bar.finish()
        what = (f"{traj.n_frames} frames, {size[0]}x{size[1]}, "
                f"{scenario.frame_rate_hz:g} fps, {traj.n_frames / scenario.frame_rate_hz:.1f} s")
    t_render = time.perf_counter() - t0
    skipped = sum(1 for r in (kin.not_solvable if kin is not None else ()) if r)
    n_bad = int((~traj.converged).sum()) - skipped
    print(f"wrote {path} ({what}; view {view}{', heat map' if heatmap else ''})")
    print(f"simulated {traj.n_frames} frames in {t_sim:.1f} s, rendered in {t_render:.1f} s"
          + (f"; {n_bad} frame(s) did not converge" if n_bad else "")
          + not_solved_summary(kin))
    sys.stdout.flush()
    return 0
