"""A study's run in its worker: each outcome recorded with its status and reason."""

from __future__ import annotations

import pytest

from kneeviz.anatomy.knee_spec import KneeSpec
from kneeviz.scenario import Scenario
from kneeviz.study import worker
from kneeviz.study.design import Run
from kneeviz.study.summary import MAX_GAP_DEG, summary_columns

pytestmark = pytest.mark.usefixtures("shared_grid_cache")
SHORT = {"max_flexion_deg": 45.0, "descent_s": 1.0, "ascent_s": 1.0, "frame_rate_hz": 10.0}


def run_of(knee: KneeSpec, name: str = "default") -> Run:
    return Run(0, knee, name, name, Scenario.from_preset("pfp", **SHORT))


def test_a_solved_run_has_its_figures(anatomy) -> None:  # type: ignore[no-untyped-def]
    out = worker.solve_run(run_of(KneeSpec()), per_frame=True)
    assert out["status"] == worker.SOLVED and out["reason"] == ""
    assert out["frames_converged"] == out["n_frames"] == 21
    assert out["patella_lateral_shift_mm_at30"] > 0.0
    assert set(summary_columns()) <= set(out)
    assert len(out["frames"]["patella_lateral_tilt_deg"]) == 21


def test_a_refused_knee_is_a_status_with_its_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "femur.stl"
    bad.write_text("solid nothing\nendsolid nothing\n")
    knee = KneeSpec(femur=str(bad), patella=str(bad), tibia=str(bad))
    out = worker.solve_run(run_of(knee, "femur"))
    assert out["status"] == worker.REFUSED
    assert str(bad) in out["reason"] and "\n" not in out["reason"]
    assert "patella_lateral_shift_mm_at30" not in out


def test_a_squat_that_fails_its_self_check_is_not_a_result(anatomy, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The study records the self-check's verdict (kneeviz.result_check) as the run's status, with
    its sentence, and keeps no figures of it: here a check that fails every squat."""
    from kneeviz import result_check

    class Failed:
        problem = "this knee's result failed a check: tibia: 19.5 mm forward in frames 0-3"

    monkeypatch.setattr(result_check, "self_check", lambda traj, knee: Failed(), raising=False)
    out = worker.solve_run(run_of(KneeSpec()))
    assert out["status"] == worker.FAILED_CHECK and out["reason"] == Failed.problem
    assert "patella_lateral_shift_mm_at30" not in out


def test_a_frame_the_model_withholds_carries_no_number_in_a_study(anatomy, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A solved frame the model withholds (two balances, not decided by the scan) keeps the
    solver's numbers in memory; a study writes it as the trajectory files do (NaN, the bones' own
    numbers kept) and reads no summary figure from it."""
    import math

    import numpy as np

    from kneeviz import measure_table, simulation

    solve = simulation.simulate
    reason = (f"{measure_table.TWO_BALANCES}: the kneecap balances another way coming up than "
              "going down here")
    plain = worker.solve_run(run_of(KneeSpec()), per_frame=True)
    flexion = np.asarray(plain["frames"]["knee_flexion_deg"])
    # wider than the gap a summary reads across (summary.MAX_GAP_DEG)
    near30 = [int(i) for i in np.nonzero(np.abs(flexion - 30.0) <= MAX_GAP_DEG + 2.0)[0]]
    assert near30

    def withholding(*args, **kwargs):  # type: ignore[no-untyped-def]
        traj = solve(*args, **kwargs)
        traj.meta["not_solved"] = {str(i): reason for i in near30}
        return traj

    monkeypatch.setattr(simulation, "simulate", withholding)
    out = worker.solve_run(run_of(KneeSpec()), per_frame=True)
    assert out["status"] == worker.SOLVED
    tilt = out["frames"]["patella_lateral_tilt_deg"]
    assert all(math.isnan(tilt[i]) for i in near30)
    assert not math.isnan(tilt[0])
    assert out["frames"]["knee_flexion_deg"] == plain["frames"]["knee_flexion_deg"]
    assert math.isnan(out["patella_lateral_shift_mm_at30"])
    assert not math.isnan(plain["patella_lateral_shift_mm_at30"])
