"""Readout numbers: a value that rounds to zero reads without a sign."""

from __future__ import annotations

from kneeviz.measure_table import BY_KEY


def test_zero_has_no_sign() -> None:
    tilt = BY_KEY["patella_lateral_tilt_deg"]
    assert tilt.text(-0.0) == "+0.0 deg"
    assert tilt.text(-0.04) == "+0.0 deg"
    assert tilt.text(-0.06) == "-0.1 deg"
    assert BY_KEY["bisect_offset_pct"].text(float("nan")) == "-"
