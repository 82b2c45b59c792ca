"""A measure added as one row and its computation appears in the window's readouts (and plots,
if the row says so): the panels are made from the measure table, not a list of their own."""

from __future__ import annotations

import numpy as np

from export_fixtures import default_knee, short_scenario
from gui_marks import GUI_MARKS
from kneeviz import measure_table
from kneeviz.app.panels.plots import PlotPanel
from kneeviz.app.panels.readouts import ReadoutPanel
from kneeviz.app.state import squat_view as sv
from kneeviz.app.state.session import Session
from kneeviz.app.state.solver import Solver
from kneeviz.mechanics import frame_measures
from kneeviz.simulation import simulate

pytestmark = GUI_MARKS

ROW = measure_table.Measure(
    "test_kneecap_height_mm", "Kneecap height (test)", "test kneecap height", "mm", ".1f",
    measure_table.POSE, readout=20, plot=True)


def test_a_new_measure_is_read_out_and_plotted(qtbot) -> None:  # type: ignore[no-untyped-def]
    knee = default_knee()
    with frame_measures.added(ROW, lambda f: f.per_pose(lambda T: float(T[1, 3]))):
        traj = simulate(knee, short_scenario("pfp"))
        session = Session(knee, short_scenario("pfp"), solver=Solver(simulate_fn=None))
        panel = ReadoutPanel(session)
        plots = PlotPanel(session)
        qtbot.addWidget(panel)
        qtbot.addWidget(plots)
        session.view = sv.view_from_trajectory(traj)
        panel.refresh(2)
        assert panel.text(ROW.key) == ROW.text(float(traj.T_femur_patella[2, 1, 3]))
        assert ROW.key in plots.plots
        assert plots.plots[ROW.key].plotItem.titleLabel.text.startswith("Test kneecap height")
    assert np.isfinite(traj.values[ROW.key]).all()
