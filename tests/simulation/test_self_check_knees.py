"""The knees that must pass every self-check (kneeviz.result_check) do, with margin: the bundled
knee in every preset, ICL_MRI and the Lenhart 2015 knee (../shared/meshes, test data only), and
the OpenCap recordings (../shared/motions). benchmarks/validate_self_check.py prints every
margin; docs/validation.md, "Self-check", lists them."""

from __future__ import annotations

from typing import Any

import pytest

from kneeviz.result_check import result_problem, self_check
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate
from motion_fixtures import JUMP, WALK

PRESETS = ("healthy", "pfp", "severe")


def _passes(anatomy: Any, scenario: Scenario, kinematics: Any = None) -> None:
    traj = simulate(anatomy, scenario, kinematics=kinematics)
    assert result_problem(traj) is None
    check = self_check(traj, anatomy)
    assert check.passed, check.problem
    assert all(m.margin > 0 for m in check.measures if m.judged and m.enforced), \
        check.margins()
    assert result_problem(traj) is None  # the stored check is part of the answer


@pytest.mark.parametrize("preset", PRESETS)
def test_the_bundled_knee_passes(anatomy: Any, preset: str) -> None:
    _passes(anatomy, Scenario.from_preset(preset, frame_rate_hz=30.0))


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_the_icl_knee_passes(preset: str) -> None:
    from partial_fixtures import ICL_DIR, require_icl

    require_icl()
    from kneeviz.anatomy.build import anatomy_from_files

    icl = anatomy_from_files(ICL_DIR / "ICL_MRI_femur_r.stl", ICL_DIR / "ICL_MRI_patella_r.stl",
                             ICL_DIR / "ICL_MRI_tibia_r.stl")
    _passes(icl, Scenario.from_preset(preset, frame_rate_hz=30.0))


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_the_lenhart_knee_passes(preset: str) -> None:
    from lenhart_fixture import lenhart_anatomy, require_lenhart

    require_lenhart()
    _passes(lenhart_anatomy(), Scenario.from_preset(preset, frame_rate_hz=30.0))


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_the_lenhart_partial_knee_with_its_own_cartilage_passes(preset: str) -> None:
    """As a knee MRI is loaded: the partial femur and tibia completed from the atlas, the
    segmented cartilage used as it is."""
    from lenhart_fixture import LENHART_DIR, require_lenhart

    require_lenhart()
    from kneeviz.anatomy.build import anatomy_from_files

    def f(name: str) -> str:
        return str(LENHART_DIR / f"lenhart2015-R-{name}.stl")

    knee = anatomy_from_files(f("femur-subchondral-bone"), f("patella-bone"), f("tibia-bone"),
                              femur_cartilage=f("femur-cartilage"),
                              patella_cartilage=f("patella-cartilage"))
    _passes(knee, Scenario.from_preset(preset, frame_rate_hz=30.0))


@pytest.mark.slow
@pytest.mark.parametrize("motion", [JUMP, WALK], ids=["jump", "walking"])
@pytest.mark.parametrize("stance", ["both", "single"])
def test_the_opencap_recordings_pass(anatomy: Any, motion: Any, stance: str) -> None:
    if not motion.is_file():
        pytest.skip(f"the OpenCap recording is not at {motion} (shared test data)")
    from kneeviz.motion.from_recording import recorded_scenario, scenario_kinematics

    sc = recorded_scenario(Scenario(frame_rate_hz=30.0), str(motion), stance=stance)
    _passes(anatomy, sc, scenario_kinematics(anatomy, sc))
