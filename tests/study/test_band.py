"""The "How sure?" band: percentiles per frame over the uncertainty table, for one setting."""

from __future__ import annotations

import numpy as np
import pytest

from kneeviz.scenario import Scenario, parameters_of
from kneeviz.study.band import band_parameters, compute_band

pytest.importorskip("SALib")
pytestmark = pytest.mark.usefixtures("shared_grid_cache")

SHORT = {"max_flexion_deg": 45.0, "descent_s": 1.0, "ascent_s": 1.0, "frame_rate_hz": 10.0}


def test_the_band_varies_what_the_app_does_not_set() -> None:
    names = band_parameters(Scenario())
    declared = parameters_of(Scenario)
    assert "insall_salvati_ratio" not in names and "vmo_strength" not in names  # on screen
    assert "mpfl_stiffness_scale" in names and "cartilage_modulus_mpa" in names
    assert all(declared[n].control is None for n in names)


def test_a_band_is_ordered_per_frame_deterministic_and_follows_the_physics(anatomy) -> None:  # type: ignore[no-untyped-def]
    pfp = Scenario.from_preset("pfp", **SHORT)
    band = compute_band(anatomy, pfp, n_runs=6)
    assert band.n_runs == 6 and band.n_solved.min() >= 5
    tilt = band.values["patella_lateral_tilt_deg"]
    assert tilt.shape == (3, pfp.n_frames)
    assert np.all(tilt[0] <= tilt[1]) and np.all(tilt[1] <= tilt[2])
    assert np.all(tilt[2] - tilt[0] > 0.05)  # tissue uncertainty moves the kneecap
    again = compute_band(anatomy, pfp, n_runs=6)
    np.testing.assert_array_equal(again.values["patella_lateral_shift_mm"],
                                  band.values["patella_lateral_shift_mm"])
    # a stiffer cartilage layer carries the same load over less contact: with only the
    # modulus uncertain, the band's peak pressure spans a real range in every loaded frame
    modulus = compute_band(anatomy, pfp, n_runs=5, parameters=("cartilage_modulus_mpa",))
    peak = modulus.values["peak_pressure_mpa"]
    area = modulus.values["contact_area_mm2"]
    loaded = peak[1] > 0.5
    assert loaded.sum() > pfp.n_frames // 2
    assert np.all(peak[2, loaded] > peak[0, loaded] * 1.05)
    assert np.all(area[2, loaded] > area[0, loaded])
