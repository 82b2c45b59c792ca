"""`kneeviz` / `kneeviz app`: open the desktop app (the default knee, a preset, or a patient's
knee from three files)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from kneeviz.anatomy.knee import Anatomy
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.app.window.settings import Settings
    from kneeviz.scenario import Scenario
    from kneeviz.scenario_file import ScenarioFile

APP_FRAME_RATE_HZ = 30.0
"""Frames per second of the simulated squat in the app: smooth playback, half the solve time of
the 60 Hz default."""
STATUS_MESSAGE_MS = 15_000
"""How long the first load warning stays in the status bar (unless the window replaces it)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kneeviz.commands.options import add_knee_options, add_squat_options

    add_squat_options(parser, exclude=("frame_rate_hz",),
                      preset_help="hip-control preset to start with (default: healthy)")
    add_knee_options(parser)
    parser.add_argument("--scenario", metavar="FILE",
                        help="open a saved .kneeviz.json scenario (its knee, parameters, view)")
    parser.add_argument("--multisampling", action="store_true",
                        help="smooth edges (about 3x slower under software rendering)")
    parser.add_argument("--reset-settings", action="store_true",
                        help="forget the saved window layout, folders and recent knees first")


def run(args: argparse.Namespace) -> int:
    start = load_start(args)  # before Qt: a bad file is one line on the terminal
    from kneeviz.app.window.interrupt import CloseOnInterrupt, note_ctrl_c_until_the_window

    note_ctrl_c_until_the_window()  # a Ctrl-C from here on closes the window once it is shown
    # The solve worker starts now: it imports the model and compiles the kernel while this
    # process imports Qt and VTK and builds the window (kneeviz.app.state.solve_process).
    from kneeviz.app.state.solve_process import shared

    shared().start()
    from PyQt6.QtWidgets import QApplication

    from kneeviz import __version__
    from kneeviz.app.window.settings import Settings, app_icon, reset_settings

    if args.reset_settings:
        print(f"kneeviz: {reset_settings()}", file=sys.stderr)
    created = QApplication.instance() is None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("kneeviz")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("kneeviz")  # the window matches kneeviz.desktop (its icon, its name)
    app.setWindowIcon(app_icon())
    settings = Settings()
    for note in settings.notes:
        print(f"kneeviz: note: {note}", file=sys.stderr)
    window = open_window(start, multisampling=bool(args.multisampling) or settings.multisampling,
                         settings=settings)
    from kneeviz.app.window.heap import frozen_startup_heap

    # Before show(): a Ctrl-C while the window is first shown (its paint and show events) would
    # otherwise be a KeyboardInterrupt inside a Qt handler, printed and lost by PyQt, and the
    # app went on running (seen: 2 of 8 Ctrl-Cs sent as the window appeared).
    ctrl_c = CloseOnInterrupt(window)
    window.show()
    with frozen_startup_heap():
        code = int(app.exec())
    if ctrl_c.interrupted:
        print("kneeviz: interrupted (Ctrl-C): the window was closed", file=sys.stderr)
        code = 130
    if created:
        end_process(code)
    return code


def end_process(code: int) -> NoReturn:
    """Leave the process once the window has closed and everything it keeps is saved (the
    settings are synced as they change, the window's close ended its solves): without Python's
    teardown of Qt's objects. Freeing the QApplication made sip walk every Qt wrapper still
    registered, and now and then one of them was stale: a segmentation fault after the window
    had closed (seen in 1 of 11 runs of tests/app/test_ctrl_c.py, in sip's cleanup_qobject
    under release_QApplication). Only when this run made the QApplication: code that made its
    own (the tests) keeps it."""
    import os

    from kneeviz.app.state.solve_process import stop_shared
    from kneeviz.atomic import remove_live_temps

    stop_shared()
    remove_live_temps()  # a write still running in a worker thread ends with the process
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


@dataclass(frozen=True)
class AppStart:
    """What the app opens with: the knee, the scenario, a scenario file's settings and what the
    loader repaired or assumed in the knee's files ("FILE: sentence")."""

    anatomy: Anatomy
    scenario: Scenario
    doc: ScenarioFile | None = None
    warnings: tuple[str, ...] = ()


def load_start(args: argparse.Namespace) -> AppStart:
    """The knee and scenario from the command line (no Qt: a bad file raises KneevizError before
    any window exists). The files' repairs are printed to stderr, as `simulate` prints them."""
    from kneeviz.commands.options import load_knee_from_options, scenario_from_options

    doc = None
    if args.scenario:  # its knee and parameters (a bad file is one line on the terminal)
        from kneeviz.scenario_file import load_scenario_file

        doc = load_scenario_file(args.scenario)
    scenario = scenario_from_options(
        args, doc.scenario if doc is not None else None,
        frame_rate_hz=APP_FRAME_RATE_HZ if doc is None else None)
    warnings: list[str] = []
    anatomy = load_knee_from_options(args, doc, warnings)
    return AppStart(anatomy, scenario, doc, tuple(warnings))


def open_window(start: AppStart, *, multisampling: bool = False,
                settings: Settings | None = None) -> MainWindow:
    """The main window on `start`'s knee, with the saved settings (app/window/settings.py) and a
    scenario file's view settings applied and the knee files' repairs shown. A QApplication must
    exist."""
    from kneeviz.app.window.main_window import MainWindow

    window = MainWindow(start.anatomy, start.scenario, multisampling=multisampling)
    if settings is not None:
        from kneeviz.app.window.settings import install_settings

        install_settings(window, settings)
    if start.doc is not None:
        from kneeviz.app.window.export_actions import apply_scenario_file

        apply_scenario_file(window, start.doc)
    show_load_warnings(window, start.warnings)
    return window


def show_load_warnings(window: MainWindow, warnings: Sequence[str]) -> None:
    """The knee files' repairs in the window, as File > Open knee shows them: a note in the status
    bar that stays (hover for every warning), and the first one as a status message until the
    solve's own messages replace it. Never a dialog: the app starts without a click."""
    window.show_load_warnings(warnings, status_ms=STATUS_MESSAGE_MS)
