"""`kneeviz take-home`: a folder for the patient (kneeviz.takehome.folder): the one-page report
(PDF), a short side-by-side video (healthy | this setting, MP4) and one self-contained 3D page
(HTML) that opens offline in a phone's browser.

    kneeviz take-home --preset pfp --out visit-2026-12-07/
    kneeviz take-home --preset pfp --clinician "Dr A. Example" --note "Hip exercises daily" \\
        --out visit/
    kneeviz take-home --scenario visit.kneeviz.json --page letter --out visit/
    kneeviz take-home --motion squat.mot --out visit/ --no-video

The folder is made if it is missing; files of the same names in it are replaced whole. Needs no
display; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import time

from kneeviz.atomic import interrupts_between_steps
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
    o = parser.add_argument_group("the take-home folder")
    o.add_argument("--out", required=True, metavar="FOLDER",
                   help="the folder to write into (made if missing)")
    o.add_argument("--page", choices=("a4", "letter"), default="a4",
                   help="the report's paper size (default a4)")
    o.add_argument("--no-video", action="store_true",
                   help="leave out the video (the slowest part: about 10-20 s)")
    add_note_arguments(o)


def run(args: argparse.Namespace) -> int:
    with interrupts_between_steps():
        return _take_home(args)


def _take_home(args: argparse.Namespace) -> int:
    from kneeviz.scene.render import ProgressBar
    from kneeviz.takehome.folder import check_folder, write_take_home

    folder = check_folder(args.out)  # said now, before the solves
    content = solve_setting(args, str(folder), note=note_from_args(args),
                            clinician=args.clinician)
    bars: dict[str, ProgressBar] = {}

    def progress(what: str, done: int, total: int) -> None:
        bar = bars.get(what) or bars.setdefault(what, ProgressBar(f"{what}", total))
        bar.update(done)
        if done >= total:
            bar.finish()

    t0 = time.perf_counter()
    written = write_take_home(folder, content, page_size=args.page,
                              video=not args.no_video, progress=progress)
    for w in written:
        print(f"wrote {w.path} ({w.what}, {w.size_bytes / 1e6:.2f} MB)")
    print(f"{content.setting_name} against healthy hip control; written in "
          f"{time.perf_counter() - t0:.1f} s")
    return 0
