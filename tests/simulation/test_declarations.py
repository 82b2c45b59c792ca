"""A parameter is one declaration: what it affects decides the mechanics model's cache key and
build arguments, with no hand-written list of names to forget (a parameter left out of the old
hand-written key silently reused a model built with its old value).

A parameter is declared here on a Scenario subclass, exactly as kneeviz.scenario declares its
own, and nothing else is touched."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneeviz.mechanics.equilibrium import PatellofemoralModel, build_model
from kneeviz.parameter import Affects, Control
from kneeviz.scenario import Scenario, _parameter, parameters_of, tissue_setting
from kneeviz.simulation import model_key
from mechanics_knees import symmetric_anatomy, symmetric_params

pytestmark = pytest.mark.usefixtures("shared_grid_cache")


def scenario_with(name: str, affects: Affects) -> type[Scenario]:
    """A Scenario with one more parameter, declared as the built-in ones are."""
    return dataclasses.make_dataclass(
        "TestScenario",
        [(name, float, _parameter(1.0, 0.5, 2.0, "", f"test {name}", "a test parameter",
                                  "--" + name.replace("_", "-"), affects,
                                  Control("Test group", f"Test {name}", step=0.1, decimals=1)))],
        bases=(Scenario,), frozen=True)


def test_a_declared_tissue_parameter_is_in_the_model_key() -> None:
    cls = scenario_with("test_tissue_stiffness", Affects.TISSUE)
    knee = symmetric_anatomy()
    base = cls()
    changed = base.with_changes(test_tissue_stiffness=1.5)
    assert "test_tissue_stiffness" in parameters_of(cls)
    assert ("test_tissue_stiffness", 1.5) in tissue_setting(changed)
    assert model_key(knee, base) != model_key(knee, changed)
    # the same value, the same key: a cached model is reused
    assert model_key(knee, changed) == model_key(knee, base.with_changes(test_tissue_stiffness=1.5))


def test_a_declared_squat_parameter_is_not_in_the_model_key() -> None:
    cls = scenario_with("test_squat_speed", Affects.SQUAT)
    knee = symmetric_anatomy()
    base = cls()
    assert model_key(knee, base) == model_key(knee, base.with_changes(test_squat_speed=1.5))
    for name in ("femoral_internal_rotation_deg", "max_flexion_deg", "body_mass_kg"):
        p = parameters_of(Scenario)[name]
        assert model_key(knee, base) == model_key(knee, base.with_changes(**{name: p.high}))


def test_every_tissue_parameter_reaches_the_model() -> None:
    """Each parameter declared Affects.TISSUE changes the mechanics model built from it: one
    declared but read nowhere would be keyed and cached while doing nothing."""
    knee = symmetric_anatomy()
    tissue = [n for n, p in parameters_of(Scenario).items() if p.affects is Affects.TISSUE]
    assert tissue, "no tissue parameter declared"
    default = _numbers(build_model(knee, params=symmetric_params()))
    for name in tissue:
        p = parameters_of(Scenario)[name]
        value = p.low if getattr(Scenario(), name) != p.low else p.high
        other = _numbers(build_model(knee, params=symmetric_params(), tissue={name: value}))
        assert default.shape != other.shape or not np.allclose(default, other), name


def _numbers(model: PatellofemoralModel) -> np.ndarray:
    """Every number the model's soft tissues and contact stiffness are made of."""
    ext = model.extensor
    out: list[float] = [model.foundation_modulus_mpa, model.layer_depth_scale,
                        ext.wrap_radius_mm]
    for b in ext.bundles:
        out += [b.share, *b.insertion_mm, *b.origin_mm]
    for s in (*ext.tendons, *ext.ligaments):
        out += [s.n_per_strain, s.slack_length_mm, s.toe_strain, *s.patella_mm, *s.other_mm]
    out += list(np.ravel(model.T_femur_patella_ref))
    return np.asarray(out, dtype=float)
