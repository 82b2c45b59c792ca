"""The recorded-motion options shared by `kneeviz simulate` and `kneeviz render`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kneeviz.motion.from_recording import STANCES
from kneeviz.motion.recorded import SIDES


def add_motion_arguments(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument("--motion", type=Path, default=None, metavar="FILE",
                        help="drive the knee with a recorded motion: an OpenSim .mot/.sto "
                             "(e.g. from OpenCap) or a .csv with OpenSim coordinate names; the "
                             "hip options then change the recording (deg more/less)")
    parser.add_argument("--side", choices=SIDES, default="r",
                        help="which leg of the recording (default r; a left leg is mirrored)")
    parser.add_argument("--stance", choices=sorted(STANCES), default="both",
                        help="with --motion: body weight on both legs or on one (default both)")


def motion_kinematics(args: argparse.Namespace, anatomy: Any, scenario: Any
                      ) -> tuple[Any, Any]:
    """(scenario, kinematics): with --motion (or a scenario file's motion) the recorded scenario
    and its kinematics, else (scenario, None); the reader's notes go to stderr."""
    from kneeviz.motion.from_recording import (
        RecordedScenario,
        curves_for,
        recorded_scenario,
        scenario_kinematics,
    )

    if getattr(args, "motion", None) is not None:
        scenario = recorded_scenario(scenario, str(args.motion), args.side, args.stance)
    if not isinstance(scenario, RecordedScenario):
        return scenario, None
    for note in curves_for(scenario).notes:
        print(f"kneeviz: note: {scenario.motion_path}: {note}", file=sys.stderr)
    return scenario, scenario_kinematics(anatomy, scenario)


def not_solved_summary(kin: Any) -> str:
    """'; N frame(s) of the recording not solved (kind: n, ...)' or ''."""
    from kneeviz.motion.from_recording import not_solved_counts

    counts = not_solved_counts(kin.not_solvable) if kin is not None else {}
    if not counts:
        return ""
    detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return f"; {sum(counts.values())} frame(s) of the recording not solved ({detail})"
