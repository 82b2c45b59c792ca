"""A frame past a lateral dislocation (the kneecap slid off the outside of the groove, so the model
cannot balance it) is named as such under the readouts, not passed off as a result or a vague
"approximate"; an ordinary unsettled frame keeps the softer note."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kneeviz.anatomy.build import load_default_anatomy
from kneeviz.app.readouts import frame_note
from kneeviz.app.squat_view import view_from_trajectory
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate


@pytest.fixture(scope="module")
def anatomy():  # type: ignore[no-untyped-def]
    return load_default_anatomy()


def test_a_dislocated_kneecap_is_named(anatomy) -> None:  # type: ignore[no-untyped-def]
    # far beyond the severe preset: the default kneecap leaves the groove by about 40 deg
    sc = Scenario(femoral_internal_rotation_deg=25.0, hip_adduction_deg=8.0, max_flexion_deg=70.0,
                  frame_rate_hz=30.0, preset="custom")
    view = view_from_trajectory(simulate(anatomy, sc))
    assert view.converged is not None
    lost = np.nonzero(~view.converged)[0]
    assert len(lost), "expected the kneecap to dislocate at this setting"
    i = int(lost[0])
    assert "dislocation" in frame_note(view, i, solving=False)
    # a settled frame before it has no note
    assert frame_note(view, 0, solving=False) == ""


def test_an_unsettled_frame_in_the_groove_is_only_approximate(anatomy) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario(max_flexion_deg=40.0, frame_rate_hz=10.0)
    view = view_from_trajectory(simulate(anatomy, sc))
    assert view.converged is not None and view.converged.all()
    flagged = replace(view, converged=np.r_[view.converged[:3], False, view.converged[4:]])
    note = frame_note(flagged, 3, solving=False)
    assert "approximate" in note and "dislocation" not in note
