"""`kneeviz simulate`: solve the squat and write every frame's results (JSON, CSV or NPZ).

The file layouts are kneeviz.trajectory_file's (the same files File > Export data writes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from kneeviz.commands.options import (
    add_knee_options,
    add_squat_options,
    load_knee_from_options,
    scenario_from_options,
)
from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_squat_options(parser)
    add_knee_options(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="output file: .json, .csv or .npz")


def run(args: argparse.Namespace) -> int:
    from kneeviz.trajectory_file import check_suffix, write_trajectory

    out: Path = check_suffix(args.out)
    problem = folder_problem(out.parent)
    if problem is not None:
        raise KneevizError(problem, out)
    scenario = scenario_from_options(args)
    anatomy = load_knee_from_options(args)
    from kneeviz.simulation import simulate

    traj = simulate(anatomy, scenario)
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
