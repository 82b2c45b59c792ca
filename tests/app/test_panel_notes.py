"""Every panel with numbers says what they rest on: a squat that failed its self-check shows the
check's plain warning in place of the numbers, in the essentials (the window's first tab) as in the
full readouts; a knee completed from the atlas says its axes are estimated and how close such knees
came to their whole bones in the validation (kneeviz.anatomy.completion_check)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import broken_knees as bk
from clinical_fixtures import default_anatomy
from export_fixtures import short_scenario
from gui_marks import GUI_MARKS
from kneeviz.anatomy.build import anatomy_from_files
from kneeviz.anatomy.completion_check import (
    VALIDATED_WITHIN_FLOORS_PCT,
    VALIDATED_WORST_SHIFT_MM,
    VALIDATED_WORST_TILT_DEG,
)
from kneeviz.anatomy.knee import Completion
from kneeviz.app.panels.essentials import EssentialsPanel
from kneeviz.app.panels.readouts import ReadoutPanel
from kneeviz.app.state import squat_view as sv
from kneeviz.app.state.session import Session
from kneeviz.app.state.solver import Solver
from kneeviz.result_check import self_check
from kneeviz.simulation import simulate

pytestmark = GUI_MARKS


def _panels(qtbot, session: Session):  # type: ignore[no-untyped-def]
    from PyQt6.QtWidgets import QWidget

    readouts = ReadoutPanel(session)
    essentials = EssentialsPanel(session, QWidget())
    qtbot.addWidget(readouts)
    qtbot.addWidget(essentials)
    return readouts, essentials


def test_a_failed_self_check_is_a_plain_warning_in_every_panel(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The tibia 15 mm forward (a knee the self-check refuses, test_self_check.py), squatted
    and checked as the app's solver does: no number anywhere, the check's line under both."""
    args = bk.write_knee(tmp_path / "knee", bk.tibia_forward(bk.bundled_scan(), 15.0))
    files = dict(zip(args[::2], args[1::2], strict=True))
    knee = anatomy_from_files(files["--femur"], files["--patella"], files["--tibia"],
                              warnings=[])
    scenario = short_scenario("healthy")
    traj = simulate(knee, scenario)
    assert self_check(traj, knee).problem is not None
    session = Session(knee, scenario, solver=Solver(simulate_fn=None))
    readouts, essentials = _panels(qtbot, session)
    session.view = sv.view_from_trajectory(traj)
    for panel in (readouts, essentials):
        panel.refresh(3)
        words = panel.note.text()
        assert words.startswith("This knee's result failed a check: tibia:"), words
        assert "background" in panel.note.styleSheet()  # the warning's style, not a note's
    assert all(essentials.text(key) == "-" for key in essentials.values)
    assert all(readouts.text(key) == "-" for key in readouts.labels)


def test_a_completed_knee_says_its_axes_are_estimated_and_how_close_such_knees_came(qtbot) -> None:  # type: ignore[no-untyped-def]
    whole = default_anatomy()
    completed = replace(whole, completion=Completion(femur=whole.femur, tibia=whole.tibia))
    for knee, said in ((whole, False), (completed, True)):
        session = Session(knee, short_scenario("healthy"), solver=Solver(simulate_fn=None))
        readouts, essentials = _panels(qtbot, session)
        session.view = sv.view_from_trajectory(simulate(whole, short_scenario("healthy")))
        for panel in (readouts, essentials):
            panel.refresh(2)
            words = panel.note.text()
            assert ("Axes estimated" in words) == said, words
            if said:
                assert "hip centre" in words and "ankle centre" in words
                assert f"{VALIDATED_WITHIN_FLOORS_PCT} %" in words
                assert f"{VALIDATED_WORST_TILT_DEG:g} deg / {VALIDATED_WORST_SHIFT_MM:g} mm" \
                    in words
            assert panel.text("patella_lateral_shift_mm") != "-"  # the numbers stay
