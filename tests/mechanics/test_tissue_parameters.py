"""The uncertain tissue parameters (kneeviz.scenario, Affects.TISSUE) move the kneecap as the
tissues they stand for would: each a physical direction, on the bundled knee's PFP squat."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate

pytestmark = pytest.mark.usefixtures("shared_grid_cache")

SHORT = {"max_flexion_deg": 45.0, "descent_s": 1.0, "ascent_s": 1.0, "frame_rate_hz": 10.0}
NEAR_EXTENSION = slice(0, 5)
"""The frames from 0 to about 15 deg of the short squat's descent."""


@lru_cache(maxsize=8)
def _squat(anatomy, **tissue: float):  # type: ignore[no-untyped-def]
    traj = simulate(anatomy, Scenario.from_preset("pfp", **SHORT, **tissue))
    assert traj.converged.all()
    return (np.asarray(traj["patella_lateral_shift_mm"])[NEAR_EXTENSION],
            np.asarray(traj["patella_lateral_tilt_deg"])[NEAR_EXTENSION])


def test_a_slack_or_softer_mpfl_lets_the_kneecap_drift_outward(anatomy) -> None:  # type: ignore[no-untyped-def]
    shift, tilt = _squat(anatomy)
    slack_shift, slack_tilt = _squat(anatomy, mpfl_reference_strain=-0.12)
    soft_shift, soft_tilt = _squat(anatomy, mpfl_stiffness_scale=0.63)
    assert np.all(slack_shift > shift + 1.0) and np.all(slack_tilt > tilt + 1.0)
    assert np.all(soft_shift > shift) and np.all(soft_tilt > tilt)
    assert np.all(slack_shift > soft_shift)  # 12 % slack frees it more than a third softer


def test_a_lateral_release_lets_the_kneecap_tilt_back(anatomy) -> None:  # type: ignore[no-untyped-def]
    _, tilt = _squat(anatomy)
    _, released = _squat(anatomy, lateral_retinaculum_stiffness_scale=0.0)
    assert np.all(released < tilt - 1.0)
