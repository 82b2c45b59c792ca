"""A parameter is one declaration: declared here (on a Scenario subclass, as kneeviz.scenario
declares its own), it gets its slider in the app, in its group, with its words and range, and the
slider sets it, with nothing else touched. The built-in sliders are made the same way."""

from __future__ import annotations

import dataclasses

import pytest

from clinical_fixtures import default_anatomy
from gui_marks import GUI_MARKS
from kneeviz.app.panels.controls import ControlPanel
from kneeviz.app.state.session import Session
from kneeviz.app.state.solver import Solver
from kneeviz.parameter import HIP_GROUP, Affects, Control
from kneeviz.scenario import PARAMETERS, Scenario, _parameter

pytestmark = GUI_MARKS


def _scenario_class() -> type[Scenario]:
    return dataclasses.make_dataclass("TestScenario", [
        ("test_pelvic_drop_deg", float, _parameter(
            0.0, -4.0, 12.0, "deg", "test pelvic drop", "a test parameter", "--test-drop",
            Affects.SQUAT, Control(HIP_GROUP, "Hip drops (test)", suffix=" deg", signed=True))),
        ("test_tendon_stiffness", float, _parameter(
            1.0, 0.5, 2.0, "", "test stiffness", "a test parameter", "--test-stiffness",
            Affects.TISSUE, Control("Tissue (test)", "Tendon stiffness (test)", step=0.1,
                                    decimals=1))),
    ], bases=(Scenario,), frozen=True)


def test_a_declared_parameter_gets_its_slider(qtbot) -> None:  # type: ignore[no-untyped-def]
    cls = _scenario_class()
    session = Session(default_anatomy(), cls(frame_rate_hz=5.0, descent_s=0.5, ascent_s=0.5),
                      solver=Solver(simulate_fn=None))
    panel = ControlPanel(session)
    qtbot.addWidget(panel)
    drop = panel.hip.sliders["test_pelvic_drop_deg"]
    assert drop.words.text() == "Hip drops (test)"
    assert (drop.slider.minimum(), drop.slider.maximum()) == (-4, 12)
    drop.slider.setValue(6)
    assert drop.value_label.text() == "+6 deg"
    qtbot.waitUntil(lambda: session.scenario.test_pelvic_drop_deg == 6.0, timeout=5000)
    # a group of its own gets a box of its own
    stiffness = panel.groups["Tissue (test)"].sliders["test_tendon_stiffness"]
    assert (stiffness.slider.minimum(), stiffness.slider.maximum()) == (5, 20)
    stiffness.slider.setValue(15)  # a key press: applied at once
    assert session.scenario.test_tendon_stiffness == pytest.approx(1.5)
    assert stiffness.value_label.text() == "1.5"


def test_the_built_in_sliders_are_the_declared_ones(qtbot) -> None:  # type: ignore[no-untyped-def]
    session = Session(default_anatomy(), Scenario(), solver=Solver(simulate_fn=None))
    panel = ControlPanel(session)
    qtbot.addWidget(panel)
    hip = [n for n, p in PARAMETERS.items() if p.control and p.control.group == HIP_GROUP]
    assert list(panel.hip.sliders) == hip
    for name in hip:
        assert panel.hip.sliders[name].words.text() == PARAMETERS[name].control.words
