"""The kneecap's path down against up (kneeviz.mechanics.self_check.kneecap_path and
two_balance_frames): where a squat's kneecap comes up another way than it went down, at the same
knee flexion and hip setting, the model balances it two ways and those frames carry no numbers
(kneeviz.simulation withholds them, "two balances"); a knee that retraces its path keeps all."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from kneeviz.mechanics import self_check as scm

pytestmark = pytest.mark.usefixtures("shared_grid_cache")


@dataclass
class _Columns:
    """A solved squat's columns as the check reads them (traj[key], traj.converged)."""

    columns: dict[str, np.ndarray]
    converged: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=bool))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns[key]


def _squat_columns(up_tilt_extra_deg: float, up_hip_extra_deg: float = 0.0) -> _Columns:
    """Down 0 -> 100 deg and up again; tilt a smooth curve of flexion, the ascent's raised by
    `up_tilt_extra_deg` between 60 and 80 deg; the hip's rotation the same both ways, plus
    `up_hip_extra_deg` on the ascent."""
    down = np.linspace(0.0, 100.0, 51)
    kf = np.concatenate([down, down[::-1][1:]])
    ascent = np.arange(len(kf)) > 50
    tilt = 5.0 * np.sin(np.radians(kf))
    tilt[ascent & (kf >= 60.0) & (kf <= 80.0)] += up_tilt_extra_deg
    hip = 0.08 * kf + np.where(ascent, up_hip_extra_deg, 0.0)
    return _Columns({"knee_flexion_deg": kf, "patella_lateral_tilt_deg": tilt,
                     "patella_lateral_shift_mm": 0.02 * kf, "hip_driven_rotation_deg": hip,
                     "hip_driven_adduction_deg": 0.04 * kf}, np.ones(len(kf), dtype=bool))


def _frames(sq: _Columns, ok: np.ndarray) -> np.ndarray:
    posture = (sq["hip_driven_rotation_deg"], sq["hip_driven_adduction_deg"])
    return scm.two_balance_frames(sq["knee_flexion_deg"], sq["patella_lateral_tilt_deg"],
                                  sq["patella_lateral_shift_mm"], posture, ok)


def test_the_path_is_measured_where_the_posture_repeats_and_two_balances_are_withheld() -> None:
    for extra in (0.0, 2.0, 6.0):
        sq = _squat_columns(extra)
        tilt, shift = scm.kneecap_path(sq, sq.converged)
        assert tilt.value == pytest.approx(extra, abs=1e-9)
        assert shift.value == pytest.approx(0.0, abs=1e-9)
        assert not tilt.enforced and (tilt.margin >= 0.0) is (extra <= scm.TWO_BALANCES[0])
        two = _frames(sq, sq.converged)
        if extra <= scm.TWO_BALANCES[0]:
            assert not two.any() and not tilt.frames
            continue
        kf = sq["knee_flexion_deg"]
        ascent = np.arange(len(kf)) > 50
        # both ways over the same flexions: the ascent's strayed frames and the descent's
        assert set(np.nonzero(two & ascent)[0]) == set(tilt.frames)
        assert np.all((kf[two] >= 60.0) & (kf[two] <= 80.0)) and (two & ~ascent).sum() >= 10
        assert "two ways" in tilt.sentence
    # the hip set differently on the way up: not the same posture, nothing is judged
    sq = _squat_columns(6.0, up_hip_extra_deg=2.0)
    tilt, _ = scm.kneecap_path(sq, sq.converged)
    assert not tilt.judged and not _frames(sq, sq.converged).any()
    # unsolved frames are not compared
    sq = _squat_columns(6.0)
    ok = sq.converged & ~((np.arange(len(sq.converged)) > 50) & (sq["knee_flexion_deg"] >= 58.0)
                          & (sq["knee_flexion_deg"] <= 82.0))
    assert scm.kneecap_path(sq, ok)[0].margin > 0.0 and not _frames(sq, ok).any()


def test_the_bundled_knee_comes_up_the_way_it_went_down() -> None:
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.result_check import self_check
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    anatomy = load_default_anatomy()
    for preset in ("healthy", "pfp", "severe"):
        tr = simulate(anatomy, Scenario.from_preset(preset, frame_rate_hz=20.0))
        path = [m for m in self_check(tr, anatomy).measures if m.check == scm.KNEECAP_PATH]
        assert len(path) == 2 and all(m.judged and m.margin > 0.0 for m in path), (preset, path)
        assert not tr.meta.get("not_solved"), preset  # every frame is a result


def test_a_kneecap_that_rolls_over_on_the_way_up_shows_no_numbers_there() -> None:
    """atlas:19's healthy squat: going down its kneecap tracks; coming up from about 108 deg it
    stays rolled onto its medial rim, 16-45 deg of tilt where the descent had a few. Those
    frames, and the descent's over the same flexions, are withheld in every output; the rest of
    the squat is a result."""
    from kneeviz import measure_table
    from kneeviz.anatomy.population import load_population_knee
    from kneeviz.result_check import result_problem, self_check
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate
    from kneeviz.trajectory_file import frame_reasons, reported_values

    anatomy = load_population_knee(19)
    tr = simulate(anatomy, Scenario.from_preset("healthy", frame_rate_hz=20.0))
    result = self_check(tr, anatomy)
    tilt = next(m for m in result.measures if m.what == "kneecap tilt, down against up")
    assert tilt.value > 10.0 and tilt.frames
    reasons = frame_reasons(tr)
    withheld = [i for i, r in enumerate(reasons) if r == measure_table.TWO_BALANCES]
    assert set(tilt.frames) <= set(withheld)
    kf = np.asarray(tr["knee_flexion_deg"])
    deepest = int(np.argmax(kf))
    assert any(i < deepest for i in withheld) and any(i > deepest for i in withheld)
    values = reported_values(tr, reasons)
    assert np.isnan(values["patella_lateral_tilt_deg"][withheld]).all()
    assert np.isfinite(values["patella_lateral_tilt_deg"][:5]).all()  # near extension: results
    assert result_problem(tr) is None and result.passed
