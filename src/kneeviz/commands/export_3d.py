"""`kneeviz export-3d`: the knee and its squat as a binary glTF (.glb) a phone opens
(kneeviz.takehome.gltf).

    kneeviz export-3d --preset pfp --out knee.glb
    kneeviz export-3d --preset pfp --ghost --out knee-with-healthy.glb
    kneeviz export-3d --preset pfp --flexion 30 --out knee-30deg.glb
    kneeviz export-3d --scenario visit.kneeviz.json --out knee.glb

The thigh bone, shin bone, kneecap and their cartilage, one material per part, decimated (a few
hundred KB); the whole squat as the bones' animation (LINEAR, the squat's own frame times), or one
frame with --flexion. --ghost adds the healthy kneecap (green, see-through) where it would sit on
this thigh bone. Needs no display; nothing leaves the machine.
"""

from __future__ import annotations

import argparse

from kneeviz.atomic import interrupts_between_steps, preflight
from kneeviz.commands.takehome_args import add_setting_arguments, solve_setting
from kneeviz.errors import KneevizError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1] if __doc__ else None
    add_setting_arguments(parser)
    o = parser.add_argument_group("the 3D file")
    o.add_argument("--out", required=True, metavar="FILE", help="a .glb file (binary glTF 2.0)")
    o.add_argument("--flexion", type=float, default=None, metavar="DEG",
                   help="one frame: the knee at this flexion on the way down (default: the "
                        "whole squat, animated)")
    o.add_argument("--ghost", action="store_true",
                   help="add the healthy kneecap (green, see-through) for comparison")


def run(args: argparse.Namespace) -> int:
    with interrupts_between_steps():
        return _export(args)


def _export(args: argparse.Namespace) -> int:
    from kneeviz.takehome.gltf import check_glb_path, write_glb

    out = check_glb_path(args.out)
    if args.flexion is not None and not 0.0 <= args.flexion <= 140.0:
        raise KneevizError(f"--flexion {args.flexion:g} deg is outside 0..140 deg")
    preflight(out, what="write the 3D file")
    content = solve_setting(args, str(out))
    frame = None
    if args.flexion is not None:
        frame = content.frame_at(float(args.flexion))
        if frame is None:
            raise KneevizError(f"--flexion {args.flexion:g} deg: this squat has no solved frame "
                               "within 3 deg of it on the way down; choose another angle")
    s = write_glb(out, content, animate=frame is None, frame=frame, ghost=bool(args.ghost))
    what = (f"the squat animated: {s.n_frames} frames over {s.duration_s:.1f} s" if frame is None
            else f"one frame at {float(content.this['knee_flexion_deg'][frame]):.1f} deg")
    faded = (f"; the kneecap faded in {s.n_faded_frames} frames that are not results"
             if s.n_faded_frames else "")
    print(f"wrote {s.path} ({s.size_bytes / 1e6:.2f} MB, {s.n_triangles} triangles; {what}"
          f"{'; with the healthy kneecap' if args.ghost else ''}{faded})")
    return 0
