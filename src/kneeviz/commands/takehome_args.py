"""What `kneeviz report`, `export-3d` and `take-home` share: the setting's options (the same as
`render`'s: a preset or hip values, a scenario file, a recorded motion, a patient's knee), the
note and the clinician's name, and solving this setting beside the healthy squat."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kneeviz.commands.options import (
    add_knee_options,
    add_squat_options,
    load_knee_from_options,
    scenario_from_options,
)
from kneeviz.errors import KneevizError

if TYPE_CHECKING:
    from kneeviz.takehome.content import TakeHome


def add_setting_arguments(parser: argparse.ArgumentParser) -> None:
    """The squat (preset, hip values, scenario file, recorded motion) and the knee."""
    from kneeviz.commands.motion_args import add_motion_arguments

    s = parser.add_argument_group("the squat (compared with the same squat with healthy hip "
                                  "control)")
    add_squat_options(s, preset_help="hip-control preset (default: healthy, or the scenario "
                                     "file's)")
    s.add_argument("--scenario", metavar="FILE",
                   help="a saved .kneeviz.json scenario (its knee and parameters); the options "
                        "above override it")
    add_motion_arguments(s)
    k = parser.add_argument_group("a patient's knee (all three, or none for the default knee)")
    add_knee_options(k)


def add_note_arguments(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument("--note", default="", metavar="TEXT",
                        help="a note for the patient, printed on the report (plain text)")
    parser.add_argument("--note-file", default=None, metavar="FILE",
                        help="read the note from a UTF-8 text file instead")
    parser.add_argument("--clinician", default="", metavar="NAME",
                        help="the clinician's name, printed on the report")


def note_from_args(args: argparse.Namespace) -> str:
    if getattr(args, "note_file", None):
        from kneeviz.takehome.content import NOTE_MAX_CHARS

        path = Path(args.note_file)
        try:
            with open(path, "rb") as fh:
                data = fh.read(4 * NOTE_MAX_CHARS + 1)
        except OSError as exc:
            raise KneevizError(f"cannot read the note: {exc.strerror or exc}", path) from None
        if len(data) > 4 * NOTE_MAX_CHARS:
            raise KneevizError(f"the note file is too long: at most {NOTE_MAX_CHARS} "
                               "characters fit on the page", path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise KneevizError("the note file is not UTF-8 text", path) from None
    return str(getattr(args, "note", "") or "")


def solve_setting(args: argparse.Namespace, output: str, *, note: str = "",
                  clinician: str = "", stream: Any = None) -> TakeHome:
    """Load the knee, solve this setting's squat and the healthy one (same timing), check both
    are results, and bundle them with the note (kneeviz.takehome.content.TakeHome)."""
    from kneeviz.commands.motion_args import motion_kinematics, not_solved_summary
    from kneeviz.commands.render import simulate_with_progress
    from kneeviz.motion.from_recording import healthy_counterpart
    from kneeviz.result_check import check_result
    from kneeviz.takehome.content import NAME_MAX_CHARS, NOTE_MAX_CHARS, TakeHome, clean_text

    # the note and the name first: a typing mistake is said before a minute of solving
    note = clean_text(note, "note", NOTE_MAX_CHARS)
    clinician = clean_text(clinician, "clinician's name", NAME_MAX_CHARS)
    doc = None
    if getattr(args, "scenario", None):
        from kneeviz.scenario_file import load_scenario_file

        doc = load_scenario_file(args.scenario)
    scenario = scenario_from_options(args, doc.scenario if doc is not None else None)
    anatomy = load_knee_from_options(args, doc)
    scenario, kin = motion_kinematics(args, anatomy, scenario)
    this = simulate_with_progress(anatomy, scenario, kinematics=kin, stream=stream)
    check_result(this, output, anatomy)  # no file from a run that is not a result
    healthy = simulate_with_progress(anatomy, healthy_counterpart(scenario), stream=stream)
    check_result(healthy, output, anatomy)
    title = ""
    if doc is not None and doc.name:
        title = doc.name
    elif getattr(args, "motion", None) is not None:
        title = f"{Path(args.motion).name} ({scenario.preset})"
    summary = not_solved_summary(kin)
    if summary:
        print(f"kneeviz: note: {summary.lstrip('; ')}", file=sys.stderr)
    return TakeHome(anatomy, this, healthy, title=title, note=note, clinician=clinician)
