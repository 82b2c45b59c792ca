"""Property-based hostile input (hypothesis): random JSON in every scenario field, random
triangle soups as bones. Whatever comes in: a one-line KneevizError naming the file, or a value
that is exactly what the file said; never another exception."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneeviz.anatomy.build import load_bone
from kneeviz.errors import KneevizError
from kneeviz.scenario import Scenario
from kneeviz.scenario_file import ScenarioFile, load_scenario_file, scenario_file_dict

FIELDS = [k for k in Scenario.from_preset("healthy").to_dict() if k != "preset"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1, max_size=4))
def test_any_json_in_scenario_fields(values: dict[str, Any]) -> None:
    doc = scenario_file_dict(ScenarioFile(scenario=Scenario.from_preset("healthy")))
    doc["scenario"].update(values)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "h.kneeviz.json"
        path.write_text(json.dumps(doc))
        try:
            loaded = load_scenario_file(path)
        except KneevizError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
            return
    for key, value in values.items():
        got = getattr(loaded.scenario, key)
        if value is None:
            assert got is None
        else:
            assert isinstance(value, (int, float)) and not isinstance(value, bool)
            assert math.isclose(float(got), float(value), rel_tol=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 400), seed=st.integers(0, 2**31 - 1),
       spread=st.tuples(*[st.floats(1e-3, 600.0)] * 3),
       bone=st.sampled_from(["femur", "patella", "tibia"]))
def test_random_triangle_soup_as_a_bone(n: int, seed: int, spread: tuple[float, float, float],
                                        bone: str) -> None:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(3 * n, 3)) * np.asarray(spread)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "soup.stl"
        trimesh.Trimesh(v, np.arange(3 * n).reshape(-1, 3), process=False).export(path)
        try:
            load_bone(path, bone)
        except KneevizError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
            return
    raise AssertionError(f"a random triangle soup passed as a {bone}")
