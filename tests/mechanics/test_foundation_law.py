"""The cartilage's elastic foundation in its logarithmic form (Blankevoort et al. 1991;
kneeviz.mechanics.contact.foundation_pressure): linear for small strains, a layer it cannot crush
past its own depth, the layers' thickness and modulus entering as they physically do, and the
compiled kernel computing the same law as numpy however deep a point presses."""

from __future__ import annotations

import numpy as np
import pytest

from kneeviz.mechanics import self_check
from kneeviz.mechanics.contact import (
    LOG_STRAIN_CAP,
    MIN_LAYER_MM,
    foundation_depth_mm,
    foundation_modulus_mpa,
    foundation_pressure,
)
from kneeviz.mechanics.equilibrium import build_model, evaluate

pytestmark = pytest.mark.usefixtures("shared_grid_cache")


def test_small_strains_press_as_the_linear_foundation_and_no_strain_closes_the_layer() -> None:
    strain = np.linspace(0.0, 1.6, 1601)
    value, slope = foundation_pressure(strain)
    # the linear law p = K d / h is its small-strain limit
    assert value[1] == pytest.approx(strain[1], rel=1e-3)
    tenth = int(np.searchsorted(strain, 0.1))
    assert 1.0 < value[tenth] / strain[tenth] < 1.06
    # ever stiffer: increasing and convex, its slope the derivative of its value
    assert np.all(np.diff(value) > 0.0) and np.all(np.diff(slope) >= 0.0)
    smooth = np.abs(strain - LOG_STRAIN_CAP) > 0.002  # the law's curvature jumps at the cap
    smooth[[0, -1]] = False
    np.testing.assert_allclose(np.gradient(value, strain)[smooth], slope[smooth], rtol=2e-3)
    # at 90 % strain the layer presses 2.3 times its modulus: a layer is never closed at a
    # finite pressure the linear law would give (K at 100 % strain)
    at_cap = int(np.searchsorted(strain, LOG_STRAIN_CAP))
    assert value[at_cap] > 2.3 and slope[at_cap] == pytest.approx(1.0 / (1.0 - LOG_STRAIN_CAP))
    # past the cap it goes on along its tangent: continuous in value and slope, and finite
    below, above = foundation_pressure(np.array([LOG_STRAIN_CAP - 1e-9, LOG_STRAIN_CAP + 1e-9]))
    assert below[0] == pytest.approx(below[1], abs=1e-6)
    assert above[0] == pytest.approx(above[1], rel=1e-6)
    assert np.isfinite(value).all() and np.isfinite(slope).all()


def test_bare_bone_on_bare_bone_is_the_thinnest_foundation() -> None:
    layers = np.array([0.0, 0.4, 1.0, 2.0, 5.5])
    np.testing.assert_allclose(foundation_depth_mm(layers, 1.0),
                               [MIN_LAYER_MM, MIN_LAYER_MM, 1.0, 2.0, 5.5])
    np.testing.assert_allclose(foundation_depth_mm(layers, 2.0),
                               2.0 * foundation_depth_mm(layers, 1.0))


def _pressures(anatomy, T_femur_patella, **tissue: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Contact pressures (MPa) of the model with these tissue values, the kneecap at this pose."""
    model = build_model(anatomy, tissue=tissue)
    T_ft = np.asarray(anatomy.T_femur_tibia_ref, dtype=float)
    return np.asarray(evaluate(model, T_femur_patella, T_ft, np.eye(4), 500.0).pressures_mpa)


def test_a_thicker_layer_is_strained_less_and_a_stiffer_one_presses_harder(anatomy) -> None:  # type: ignore[no-untyped-def]
    """At one pose (the kneecap pressed 1.5 mm into the groove from its seat), so one overlap d
    per point: twice the modulus doubles every pressure; a layer twice as deep is strained half
    as much, p = K g(d / 2h)."""
    base_model = build_model(anatomy)
    T = np.array(base_model.T_femur_patella_ref, dtype=float)
    T[:3, 3] += np.array([-1.5, 0.0, 0.0])  # posterior: into the trochlea
    base = _pressures(anatomy, T)
    pressed = base > 0.05
    assert pressed.sum() > 50
    stiff = _pressures(anatomy, T, cartilage_modulus_mpa=10.0)
    np.testing.assert_allclose(stiff[pressed], 2.0 * base[pressed], rtol=1e-9)
    K = base_model.foundation_modulus_mpa
    assert pytest.approx(foundation_modulus_mpa(5.0)) == K
    strain = -np.expm1(-base[pressed] / K)  # g^-1 below the cap
    assert strain.max() < LOG_STRAIN_CAP
    expected, _ = foundation_pressure(strain / 2.0)
    thick = _pressures(anatomy, T, cartilage_thickness_scale=2.0)
    np.testing.assert_allclose(thick[pressed], K * expected, rtol=1e-9)
    # the thicker layer presses less at every point, and nearly half where the strain is small
    assert np.all(thick[pressed] < base[pressed])
    small = strain < 0.05
    assert small.any()
    np.testing.assert_allclose(thick[pressed][small], 0.5 * base[pressed][small], rtol=0.03)


def test_a_small_kneecaps_deep_squat_does_not_sink_its_bone_into_the_femur() -> None:
    """atlas:08, one of the population's smallest kneecaps (36 mm): under the linear law, with
    its bare rim counted as a 1 mm layer, its bone passed 2.4 mm into the femur's at 104-120 deg,
    6 frames did not balance, and the self-check refused the knee (docs/validation.md,
    "Self-check")."""
    from kneeviz.anatomy.population import load_population_knee
    from kneeviz.result_check import self_check as check
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    anatomy = load_population_knee(8)
    tr = simulate(anatomy, Scenario.from_preset("healthy", frame_rate_hz=20.0))
    assert tr.converged.mean() >= 0.95
    assert float(np.max(tr["knee_flexion_deg"])) == pytest.approx(120.0)
    result = check(tr, anatomy)
    bones = [m for m in result.measures if m.check == self_check.BONES]
    assert bones and all(m.passed for m in bones), [(m.what, m.value) for m in bones]
    assert result.passed, result.problem
