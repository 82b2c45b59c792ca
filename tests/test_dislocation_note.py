"""A frame whose balance did not settle is explained under the readouts in words that match what
happened before it: after the kneecap slid off the outside of the groove (bisect offset above
100 %), a dislocation the model cannot hold; after it rode onto the outer edge (above 75 %), a
subluxation with approximate numbers; otherwise only "approximate". A real solved squat, with
its recorded bisect offsets and convergence flags set to each case."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kneeviz.anatomy.build import load_default_anatomy
from kneeviz.app.readouts import frame_note
from kneeviz.app.squat_view import SquatView, view_from_trajectory
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate


@pytest.fixture(scope="module")
def view() -> SquatView:
    v = view_from_trajectory(simulate(load_default_anatomy(),
                                      Scenario(max_flexion_deg=40.0, frame_rate_hz=10.0)))
    assert v.converged is not None and v.converged.all()
    return v


def _case(view: SquatView, bisect_offset_before_pct: float) -> SquatView:
    """Frames 0-2 settled with this bisect offset at frame 2, frame 3 unsettled."""
    bo = np.array(view.measures["bisect_offset_pct"], dtype=float)
    bo[2] = bisect_offset_before_pct
    converged = np.array(view.converged, dtype=bool)
    converged[3] = False
    return replace(view, measures={**view.measures, "bisect_offset_pct": bo},
                   converged=converged)


def test_an_unsettled_frame_after_a_dislocation_says_so(view: SquatView) -> None:
    note = frame_note(_case(view, 112.0), 3, solving=False)
    assert "dislocation" in note and "not a result" in note
    assert frame_note(_case(view, 112.0), 0, solving=False) == ""  # settled frames: no note


def test_an_unsettled_frame_after_a_subluxation_says_so(view: SquatView) -> None:
    note = frame_note(_case(view, 88.0), 3, solving=False)
    assert "subluxation" in note and "approximate" in note and "dislocation" not in note


def test_an_unsettled_frame_in_the_groove_is_only_approximate(view: SquatView) -> None:
    note = frame_note(_case(view, 60.0), 3, solving=False)
    assert "approximate" in note and "subluxation" not in note and "dislocation" not in note
