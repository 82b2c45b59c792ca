"""Shared, cached inputs for the export tests (scenario files, rendering, data export).

Simulating even a short squat takes seconds, so the default knee and a few trajectories are built
once per test session (lru_cache) and shared by tests/simulation/test_scenario_file.py,
test_render.py and test_export.py.
"""

from __future__ import annotations

from functools import lru_cache

from kneeviz.anatomy.knee import Anatomy
from kneeviz.scenario import Scenario
from kneeviz.simulation import Trajectory, simulate


def short_scenario(preset: str = "pfp", **overrides: float) -> Scenario:
    """A 6-frame squat (0.5 s down, 0.5 s up at 5 Hz): the least the Scenario allows, to 90 deg
    (to 120 deg a frame steps 57 deg of flexion, and the typical-PFP solve lands in a balance
    with the kneecap's bone 3 mm inside the femur's at 113 deg, which the self-check refuses,
    kneeviz.result_check)."""
    kw: dict[str, float] = {"frame_rate_hz": 5.0, "descent_s": 0.5, "ascent_s": 0.5,
                            "max_flexion_deg": 90.0}
    kw.update(overrides)
    return Scenario.from_preset(preset, **kw)


@lru_cache(maxsize=1)
def default_knee() -> Anatomy:
    from kneeviz.anatomy.build import load_default_anatomy

    return load_default_anatomy()


@lru_cache(maxsize=4)
def short_trajectory(preset: str = "pfp") -> Trajectory:
    return simulate(default_knee(), short_scenario(preset))
