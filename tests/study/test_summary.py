"""A squat's summary figures: read on the way down, between result frames only."""

from __future__ import annotations

import math

import numpy as np

from kneeviz.study.summary import column, summarise, summary_columns, value_at


def test_values_are_interpolated_on_the_descent_between_result_frames() -> None:
    flexion = np.array([0.0, 10.0, 20.0, 40.0, 60.0, 40.0, 20.0, 0.0])  # down, then up
    values = np.array([1.0, 2.0, 3.0, 5.0, 7.0, 50.0, 50.0, 50.0])  # the way up is ignored
    ok = np.ones(8, dtype=bool)
    assert value_at(flexion, values, ok, 0.0) == 1.0
    assert value_at(flexion, values, ok, 15.0) == 2.5
    assert value_at(flexion, values, ok, 30.0) == 4.0
    assert value_at(flexion, values, ok, 60.0) == 7.0
    assert math.isnan(value_at(flexion, values, ok, 90.0))  # never reached
    # a frame that is not a result is skipped; too wide a gap gives no value, not a guess
    gap = ok.copy()
    gap[3] = False  # 40 deg
    assert math.isnan(value_at(flexion, values, gap, 30.0))  # 20 -> 60: 10 and 30 deg away
    assert value_at(flexion, values, gap, 20.0) == 3.0  # a result frame at the angle itself
    gap[2] = False
    assert math.isnan(value_at(flexion, values, gap, 15.0))


def test_every_summary_column_is_filled() -> None:
    flexion = np.linspace(0.0, 100.0, 51)
    n = flexion.size
    values = {"knee_flexion_deg": flexion, "dislocated": np.zeros(n)}
    for c in summary_columns():
        key = c.rsplit("_at", 1)[0]
        values[key] = flexion * 2.0
    out = summarise(values, np.ones(n, dtype=bool))
    assert set(out) == set(summary_columns())
    assert out[column("patella_lateral_tilt_deg", 45)] == 90.0
    # past a dislocation nothing is a result
    values["dislocated"] = (flexion >= 50.0).astype(float)
    out = summarise(values, np.ones(n, dtype=bool))
    assert out[column("patella_lateral_tilt_deg", 45)] == 90.0
    assert math.isnan(out[column("patella_lateral_tilt_deg", 60)])
