"""`kneeviz simulate`: solve the squat and write every frame's results (JSON, CSV or NPZ).

The file layouts are kneeviz.trajectory_file's (the same files File > Export data writes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from kneeviz.atomic import preflight
from kneeviz.commands.options import (
    add_knee_options,
    add_squat_options,
    load_knee_from_options,
    scenario_from_options,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_squat_options(parser)
    add_knee_options(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="output file: .json, .csv or .npz")


def run(args: argparse.Namespace) -> int:
    from kneeviz.trajectory_file import check_suffix, write_trajectory

    out: Path = check_suffix(args.out)
    preflight(out, what="write the results")  # a read-only folder or too long a name: say so now
    scenario = scenario_from_options(args)
    anatomy = load_knee_from_options(args)
    from kneeviz.result_check import check_result
    from kneeviz.simulation import simulate

    traj = simulate(anatomy, scenario)
    check_result(traj, str(out))  # no file from a run that is not a result
    write_trajectory(out, traj)
    n_bad = int((~traj.converged).sum())
    n_off = int(np.count_nonzero(traj["dislocated"]))
    print(
        f"{traj.n_frames} frames of {anatomy.name} ({scenario.preset}) -> {out}"
        + (f"; {n_bad} frame(s) did not converge (flagged 'converged': false)" if n_bad else "")
        + (f"; the kneecap came off its groove: {n_off} frame(s) are not results (flagged "
           "'dislocated': true)" if n_off else "")
    )
    return 0
