"""A frame whose balance did not settle is explained under the readouts in words that match what
happened before it: after the kneecap slid off the outside of the groove (bisect offset above
100 %), a dislocation the model cannot hold; after it rode onto the outer edge (above 75 %), a
subluxation; otherwise only that it did not settle. Its numbers are not results and are not shown
(issue 26: a dash, as in every output). A real solved squat, with its recorded bisect offsets and
convergence flags set to each case."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kneeviz.anatomy.build import load_default_anatomy
from kneeviz.app.panels.readouts import frame_note
from kneeviz.app.state.squat_view import SquatView, view_from_trajectory
from kneeviz.mechanics.measures import dislocated_frames
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate


@pytest.fixture(scope="module")
def view() -> SquatView:
    v = view_from_trajectory(simulate(load_default_anatomy(),
                                      Scenario(max_flexion_deg=40.0, frame_rate_hz=10.0)))
    assert v.converged is not None and v.converged.all()
    return v


def _flagged(view: SquatView, bo: np.ndarray, converged: np.ndarray) -> SquatView:
    """The view with these bisect offsets and convergence flags, its 'dislocated' flags set by
    the rule the simulation applies (mechanics.measures.dislocated_frames)."""
    flags = dislocated_frames(bo, converged).astype(float)
    return replace(view, measures={**view.measures, "bisect_offset_pct": bo,
                                   "dislocated": flags}, converged=converged)


def _case(view: SquatView, bisect_offset_before_pct: float) -> SquatView:
    """Frames 0-2 settled with this bisect offset at frame 2, frame 3 unsettled."""
    bo = np.array(view.measures["bisect_offset_pct"], dtype=float)
    bo[2] = bisect_offset_before_pct
    converged = np.array(view.converged, dtype=bool)
    converged[3] = False
    return _flagged(view, bo, converged)


def test_an_unsettled_frame_after_a_dislocation_says_so(view: SquatView) -> None:
    note = frame_note(_case(view, 112.0), 3, solving=False)
    assert "dislocation" in note and "not a result" in note
    assert frame_note(_case(view, 112.0), 0, solving=False) == ""  # settled frames: no note


def test_an_unsettled_frame_after_a_subluxation_says_so(view: SquatView) -> None:
    note = frame_note(_case(view, 88.0), 3, solving=False)
    assert "subluxation" in note and "not shown" in note and "dislocation" not in note


def test_an_unsettled_frame_in_the_groove_is_only_approximate(view: SquatView) -> None:
    note = frame_note(_case(view, 60.0), 3, solving=False)
    assert "did not settle" in note and "not shown" in note
    assert "subluxation" not in note and "dislocation" not in note


def test_a_balanced_frame_off_the_groove_is_not_a_result(view: SquatView) -> None:
    """A balance found with the kneecap past the groove's edge (bisect offset 150 % or -40 %) is
    the solver's, not a result: that frame and every later one say so, earlier ones do not."""
    for off in (150.0, -40.0):
        bo = np.array(view.measures["bisect_offset_pct"], dtype=float)
        bo[2] = off
        case = _flagged(view, bo, np.array(view.converged, dtype=bool))
        assert case.converged is not None and case.converged.all()
        for i in (2, 3, len(bo) - 1):
            note = frame_note(case, i, solving=False)
            assert "dislocation" in note and "not a result" in note, (off, i)
        assert frame_note(case, 1, solving=False) == ""


def test_the_trajectory_flags_frames_past_a_dislocation() -> None:
    """Far beyond the severe preset (25 deg of femoral rotation, 4 deg adduction) the kneecap
    comes off the groove during the squat: from that frame on every frame is flagged
    'dislocated', and the typical-PFP squat has none."""
    knee = load_default_anatomy()
    off = simulate(knee, Scenario(femoral_internal_rotation_deg=25.0, hip_adduction_deg=4.0,
                                  max_flexion_deg=90.0, frame_rate_hz=10.0, preset="custom"))
    flags = off["dislocated"].astype(bool)
    assert flags.any()
    first = int(np.argmax(flags))
    assert flags[first:].all() and not flags[:first].any()
    bo = off["bisect_offset_pct"][first]
    assert off.converged[first] and (bo > 100.0 or bo < 0.0)
    assert off.frame(first)["dislocated"] is True
    # no pose after it is a result, so none is searched for: held at that pose, flagged
    assert not off.converged[first + 1:].any()
    assert (off["iterations"][first + 1:] == 0).all()
    assert np.allclose(off.T_femur_patella[first + 1:], off.T_femur_patella[first])
    pfp = simulate(knee, Scenario.from_preset("pfp", max_flexion_deg=90.0, frame_rate_hz=10.0))
    assert not pfp["dislocated"].any()



def test_past_a_dislocation_the_kneecap_numbers_are_withheld(view: SquatView) -> None:
    """Once the kneecap is off its groove, its readouts show "-" and its curves a gap; the bones'
    own numbers (flexion, femur rotation, TT-TG) still show; earlier frames are untouched."""
    from kneeviz.app.panels.plots import _descent
    from kneeviz.app.panels.readouts import readout_text

    bo = np.array(view.measures["bisect_offset_pct"], dtype=float)
    bo[2] = 150.0
    case = _flagged(view, bo, np.array(view.converged, dtype=bool))
    for key in ("patella_lateral_tilt_deg", "bisect_offset_pct", "peak_pressure_mpa"):
        assert readout_text(case, key, 3) == "-", key
        assert readout_text(case, key, 1) != "-", key
    for key in ("knee_flexion_deg", "femur_rotation_world_deg", "tt_tg_mm"):
        assert readout_text(case, key, 3) != "-", key
    _, y = _descent(case, "patella_lateral_tilt_deg")
    assert np.isnan(y[2:]).all() and np.isfinite(y[:2]).all()


def test_the_note_names_what_in_the_setting_is_off_normal(view: SquatView) -> None:
    """A dislocation is not blamed on the hip alone: the note names every setting off normal
    (the hip's turn and drop, a weak inner thigh muscle, a high-riding kneecap, a shallow
    groove), and only those."""
    from kneeviz.anatomy.knee_spec import KneeSpec

    anatomy = load_default_anatomy()
    case = _case(view, 112.0)
    hip_only = frame_note(case, 3, False, Scenario.from_preset("severe"), anatomy)
    assert "thigh turned in 15" in hip_only and "knee dropped in 8" in hip_only
    for word in ("groove (dysplasia)", "alta", "weak"):
        assert word not in hip_only
    shallow = replace(anatomy, knee_spec=KneeSpec(sulcus_angle_deg=155.0))
    everything = Scenario.from_preset("severe", insall_salvati_ratio=1.4, vmo_strength=0.2)
    note = frame_note(case, 3, False, everything, shallow)
    for word in ("thigh turned in 15", "inner thigh muscle: weak", "high-riding kneecap (alta)",
                 "shallow groove (dysplasia)"):
        assert word in note, (word, note)
    groove_only = frame_note(case, 3, False, Scenario(), shallow)
    assert "shallow groove" in groove_only and "thigh" not in groove_only
