"""`kneeviz report`: the one-page PDF for the patient's record (kneeviz.takehome.report).

    kneeviz report --preset pfp --out report.pdf
    kneeviz report --preset pfp --clinician "Dr A. Example" --note "Hip exercises daily" --out r.pdf
    kneeviz report --scenario visit.kneeviz.json --page letter --out report.pdf
    kneeviz report --femur F.stl --patella P.stl --tibia T.stl --preset pfp --out patient.pdf
    kneeviz report --motion squat.mot --out recorded.pdf

This setting against the same squat with healthy hip control: the knee cut across at 0, 15, 30
and 45 deg with tilt and bisect offset, the kneecap's underside at 30 deg, the tilt and shift
curves, the readouts, the story's words, the note, the date, kneeviz's version and the model's
limits. Needs no display. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kneeviz.atomic import interrupts_between_steps, preflight
from kneeviz.commands.takehome_args import (
    add_note_arguments,
    add_setting_arguments,
    note_from_args,
    solve_setting,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1] if __doc__ else None
    add_setting_arguments(parser)
    o = parser.add_argument_group("the report")
    o.add_argument("--out", required=True, metavar="FILE", help="the report: a .pdf file")
    o.add_argument("--page", choices=("a4", "letter"), default="a4",
                   help="paper size (default a4)")
    add_note_arguments(o)


def run(args: argparse.Namespace) -> int:
    with interrupts_between_steps():
        return _report(args)


def _report(args: argparse.Namespace) -> int:
    from kneeviz.takehome.report import check_report_path, write_report

    out = check_report_path(args.out)
    preflight(out, what="write the report")  # a read-only folder: say so before solving
    content = solve_setting(args, str(out), note=note_from_args(args), clinician=args.clinician)
    t0 = time.perf_counter()
    path, pages = write_report(out, content, args.page)
    size_kb = Path(path).stat().st_size / 1024
    print(f"wrote {path} ({pages} page{'s' if pages > 1 else ''}, {args.page.upper()}, "
          f"{size_kb:.0f} KB; {content.setting_name} against healthy hip control; composed in "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0
