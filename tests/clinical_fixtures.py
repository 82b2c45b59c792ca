"""The default knee and its real squats (healthy and typical PFP) for the clinical-view tests,
computed once per test session (the solve takes seconds, so every test file shares it).

A short squat (0 -> 30 -> 0 deg at 5 frames a second: 11 frames, its deepest frame exactly at
30 deg) keeps the real mechanics quick; the views are checked frame by frame against it.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from kneeviz.anatomy.build import assets_dir, load_default_anatomy
from kneeviz.anatomy.knee import Anatomy
from kneeviz.scenario import Scenario

SHORT_30 = {"max_flexion_deg": 30.0, "descent_s": 1.0, "ascent_s": 1.0, "frame_rate_hz": 5.0}


def default_anatomy() -> Anatomy:
    if not (assets_dir() / "landmarks.json").is_file():
        pytest.skip(f"the bundled knee is not built at {assets_dir()} (run 'make assets')")
    return load_default_anatomy()


@lru_cache(maxsize=4)
def trajectory(preset: str):  # type: ignore[no-untyped-def]
    """The real simulate() of the default knee for a preset's short squat."""
    from kneeviz.simulation import simulate

    return simulate(default_anatomy(), Scenario.from_preset(preset, **SHORT_30))
