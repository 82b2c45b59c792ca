"""How the readout panel writes its numbers."""

from __future__ import annotations

from kneeviz.app.readouts import format_readout


def test_a_value_that_rounds_to_zero_has_no_sign() -> None:
    assert format_readout("{:+.1f} deg", -0.0) == "+0.0 deg"
    assert format_readout("{:+.1f} deg", -0.04) == "+0.0 deg"
    assert format_readout("{:+.1f} deg", -0.06) == "-0.1 deg"
    assert format_readout("{:.0f} %", float("nan")) == "-"
