"""Readout numbers: a value that rounds to zero reads without a sign."""

from __future__ import annotations

from kneeviz.measure_table import by_key


def test_zero_has_no_sign() -> None:
    tilt = by_key()["patella_lateral_tilt_deg"]
    assert tilt.text(-0.0) == "+0.0 deg"
    assert tilt.text(-0.04) == "+0.0 deg"
    assert tilt.text(-0.06) == "-0.1 deg"
    assert by_key()["bisect_offset_pct"].text(float("nan")) == "-"
