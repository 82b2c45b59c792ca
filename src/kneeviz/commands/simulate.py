"""`kneeviz simulate`: solve the squat and write every frame's results (JSON, CSV, NPZ or .sto).

    kneeviz simulate --preset pfp --out pfp.json
    kneeviz simulate --motion squat.mot --side l --stance single --out squat.sto

With --motion the squat is the recording (kneeviz.motion.from_recording) and the hip options
change it; frames the model cannot answer (a foot off the ground, a knee or hip beyond range)
are flagged not converged, with their reasons in the JSON header ("not_solved").

The file layouts are kneeviz.trajectory_file's (the same files File > Export data writes); .sto is
an OpenSim storage file (kneeviz.opensim_storage) for OpenSim's tools and plotting.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from kneeviz.atomic import interrupts_between_steps, preflight
from kneeviz.commands.options import (
    add_knee_options,
    add_squat_options,
    load_knee_from_options,
    scenario_from_options,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kneeviz.commands.motion_args import add_motion_arguments

    add_squat_options(parser)
    add_knee_options(parser)
    add_motion_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="output file: .json, .csv, .npz or .sto (OpenSim storage)")


def run(args: argparse.Namespace) -> int:
    from kneeviz.trajectory_file import check_suffix, write_trajectory

    out: Path = check_suffix(args.out)
    preflight(out, what="write the results")  # a read-only folder or too long a name: say so now
    scenario = scenario_from_options(args)
    anatomy = load_knee_from_options(args)
    from kneeviz.commands.motion_args import motion_kinematics, not_solved_summary
    from kneeviz.result_check import check_result
    from kneeviz.simulation import simulate

    scenario, kin = motion_kinematics(args, anatomy, scenario)
    traj = simulate(anatomy, scenario, kinematics=kin)
    check_result(traj, str(out), anatomy)  # no file from a run that is not a result
    skipped = np.array([bool(r) for r in kin.not_solvable]) if (
        kin is not None and kin.not_solvable) else np.zeros(traj.n_frames, dtype=bool)
    n_bad = int((~traj.converged & ~skipped).sum())
    n_off = int(np.count_nonzero(traj["dislocated"]))
    # A Ctrl-C from here on: before the file's rename a clean stop (the old file stays, exit
    # 130), after it a completed write (exit 0), never a traceback (kneeviz.atomic)
    with interrupts_between_steps():
        write_trajectory(out, traj)
        print(
            f"{traj.n_frames} frames of {anatomy.name} ({scenario.preset}) -> {out}"
            + (f"; {n_bad} frame(s) did not converge: no measures written for them" if n_bad
               else "")
            + (f"; the kneecap came off its groove: {n_off} frame(s) are not results, no "
               "measures written for them" if n_off else "")
            + not_solved_summary(kin)
        )
    return 0
