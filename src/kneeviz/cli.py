"""The `kneeviz` command: with no sub-command it opens the app; sub-commands work headless.

Each sub-command lives in kneeviz.commands.<module> and exposes `add_arguments(parser)` and
`run(args) -> int`. User errors (KneevizError) print one line `kneeviz: error: ...` and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from kneeviz import __version__
from kneeviz.errors import KneevizError

# sub-command name -> (module under kneeviz.commands, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "app": ("app", "open the desktop app (the default)"),
    "build-default-knee": ("build_default_knee", "rebuild the bundled knee from the LLP26 atlas"),
    "check-mesh": ("check_mesh", "inspect mesh files: units, side, bone, landmarks"),
    "render": ("render", "render the squat offscreen to MP4/GIF/PNG"),
    "report": ("report", "a one-page PDF report for the patient's record"),
    "export-3d": ("export_3d", "the knee and its squat as a 3D file (.glb) for a phone"),
    "take-home": ("take_home", "a folder for the patient: report, video, 3D page"),
    "headless-demo": ("headless_demo", "what make run does when there is no display"),
    "install-desktop-entry": ("install_desktop_entry",
                              "add kneeviz and its icon to the desktop's application menu"),
    "simulate": ("simulate", "solve the squat and write per-frame results"),
    "sweep": ("sweep", "solve a study's design of many squats in parallel into one table"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with the project's one error line: `kneeviz: error: ...` and exit 2, instead of
    a usage block and `kneeviz render: error:` (the usage is one `--help` away)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        where = f"{command}: " if command else ""
        helper = f"kneeviz {command} --help" if command else "kneeviz --help"
        self.exit(2, f"kneeviz: error: {where}{message} (see {helper})\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen sub-command's module is imported (fast start, and one
    command's heavy imports, e.g. Qt, never slow down another)."""
    parser = _Parser(
        prog="kneeviz",
        description="See how the hip drives the kneecap during a deep squat.",
    )
    parser.add_argument("--version", action="version", version=f"kneeviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(f"kneeviz.commands.{module_name}")
            module.add_arguments(p)
            p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    known = set(SUBCOMMANDS) | {"-h", "--help", "--version"}
    if not args_list or args_list[0] not in known:
        args_list = ["app", *args_list]
    parser = build_parser(args_list[0])
    args = parser.parse_args(args_list)
    try:
        return int(args._module.run(args))
    except KneevizError as exc:
        print(f"kneeviz: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kneeviz: interrupted", file=sys.stderr)
        return 130


def entry() -> NoReturn:
    """The `kneeviz` program (console script, `python -m kneeviz`): main(), then exit with its
    status. Once the command has returned, its files are whole and there is nothing left to
    interrupt: a Ctrl-C while Python tears down is ignored. Before, it raised KeyboardInterrupt
    inside the interpreter's exit, which printed a traceback (through kneeviz.atomic's handler)
    and still exited 0."""
    code = main()
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)
