"""`kneeviz` / `kneeviz app`: open the desktop app (the default knee, a preset, or a patient's
knee from three files)."""

from __future__ import annotations

import argparse
import sys

from kneeviz.errors import KneevizError

APP_FRAME_RATE_HZ = 30.0
"""Frames per second of the simulated squat in the app: smooth playback, half the solve time of
the 60 Hz default."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kneeviz.scenario import PRESETS

    parser.add_argument("--preset", choices=sorted(PRESETS), default="healthy",
                        help="hip-control preset to start with (default: healthy)")
    parser.add_argument("--femur", help="femur mesh file of a patient's knee")
    parser.add_argument("--patella", help="patella mesh file (same scan)")
    parser.add_argument("--tibia", help="tibia mesh file (same scan)")
    parser.add_argument("--scenario", metavar="FILE",
                        help="open a saved .kneeviz.json scenario (its knee, parameters, view)")
    parser.add_argument("--multisampling", action="store_true",
                        help="smooth edges (about 3x slower under software rendering)")


def run(args: argparse.Namespace) -> int:
    files = [args.femur, args.patella, args.tibia]
    if any(files) and not all(files):
        raise KneevizError("give all three of --femur, --patella and --tibia to open a knee")
    from kneeviz.scenario import Scenario

    scenario = Scenario.from_preset(args.preset, frame_rate_hz=APP_FRAME_RATE_HZ)
    doc = None
    if args.scenario:  # its knee and parameters (a bad file is one line on the terminal)
        from kneeviz.scenario_file import load_scenario_file

        doc = load_scenario_file(args.scenario)
        scenario = doc.scenario
    # Load the knee before any window exists, so a bad file is one line on the terminal.
    if all(files):
        from kneeviz.anatomy.build import anatomy_from_files

        anatomy = anatomy_from_files(args.femur, args.patella, args.tibia)
    elif doc is not None:
        from kneeviz.scenario_file import anatomy_for

        anatomy = anatomy_for(doc)
    else:
        from kneeviz.anatomy.build import load_default_anatomy

        anatomy = load_default_anatomy()

    from PyQt6.QtWidgets import QApplication

    from kneeviz.app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("kneeviz")
    window = MainWindow(anatomy, scenario, multisampling=bool(args.multisampling))
    if doc is not None:
        from kneeviz.app.export_actions import apply_scenario_file

        apply_scenario_file(window, doc)
    window.show()
    return int(app.exec())
