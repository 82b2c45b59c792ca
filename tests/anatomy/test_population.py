"""The population knees atlas:01 .. atlas:26: the LLP26 training limbs, named, built and solved."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kneeviz.anatomy.knee_spec import POPULATION_SIZE, KneeSpec, parse_population_name
from kneeviz.errors import KneevizError

pytestmark = pytest.mark.usefixtures("shared_grid_cache")


def test_every_population_name_parses_and_others_are_refused() -> None:
    from kneeviz.anatomy.population import population_names

    names = population_names()
    assert names[0] == "atlas:01" and names[-1] == "atlas:26" and len(names) == POPULATION_SIZE
    assert [parse_population_name(n) for n in names] == list(range(1, 27))
    assert KneeSpec.from_name("atlas:7").atlas_limb == 7
    assert KneeSpec.from_name("default").is_default
    for bad in ("atlas:00", "atlas:27", "atlas:x", "atlas:", "Atlas:01", "mean", ""):
        with pytest.raises(KneevizError) as e:
            KneeSpec.from_name(bad)
        assert "\n" not in str(e.value) and "atlas:01 .. atlas:26" in str(e.value)
    with pytest.raises(KneevizError, match="population knee"):
        KneeSpec(femur="f.stl", patella="p.stl", tibia="t.stl", atlas_limb=3).validate()
    with pytest.raises(KneevizError, match="sulcus"):
        KneeSpec(atlas_limb=3, sulcus_angle_deg=140.0).validate()


def test_the_limbs_are_the_atlas_training_set() -> None:
    """The 26 limbs average to the atlas's mean bones (the mean was made from them), and no two
    are alike."""
    from kneeviz.anatomy.atlas import atlas_bone
    from kneeviz.anatomy.default_knee import LIMB_SUBDIVISIONS
    from kneeviz.anatomy.population import training_limb

    limbs = [training_limb(j) for j in range(1, POPULATION_SIZE + 1)]
    for bone in ("femur", "patella", "tibia"):
        stack = np.stack([getattr(limb, bone).vertices_mm for limb in limbs])
        mean = atlas_bone(bone, LIMB_SUBDIVISIONS[bone]).vertices_mm
        assert np.abs(stack.mean(axis=0) - mean).max() < 1e-6
        spread = np.linalg.norm(stack - mean, axis=2).mean(axis=1)  # each limb's mean distance
        assert spread.min() > 0.5, f"{bone}: a limb equals the mean"
    with pytest.raises(KneevizError):
        training_limb(0)


def test_a_population_knee_loads_through_the_one_loader_and_squats(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """atlas:05 (the population's deepest groove): built, its groove re-cut with the
    representation's bias removed, named again by a scenario file, and its healthy squat balances
    in every frame."""
    from kneeviz.anatomy.loader import load_knee
    from kneeviz.anatomy.population import groove_options
    from kneeviz.scenario import Scenario
    from kneeviz.scenario_file import (
        ScenarioFile,
        knee_ref_for,
        load_scenario_file,
        save_scenario_file,
    )
    from kneeviz.simulation import simulate

    spec = KneeSpec.from_name("atlas:05")
    knee = load_knee(spec)
    assert knee.name == "atlas:05" and knee.knee_spec == spec
    target = groove_options(5).sulcus_angle_deg
    assert abs(knee.femur_landmarks.sulcus_angle_deg - target) < 1.5
    # another limb is another knee
    other = load_knee(KneeSpec.from_name("atlas:06"))
    assert other.key() != knee.key()
    assert abs(other.femur_length_mm - knee.femur_length_mm) > 1.0

    doc = ScenarioFile(Scenario(), knee_ref_for(knee))
    path = tmp_path / "pop.kneeviz.json"
    save_scenario_file(path, doc)
    assert json.loads(path.read_text())["knee"] == "atlas:05"
    assert load_scenario_file(path).knee.spec == spec

    traj = simulate(knee, Scenario.from_preset("healthy", frame_rate_hz=5.0))
    assert traj.converged.all()
    # the tendon carries the quadriceps' pull in every frame (the extensor mechanism is attached)
    assert (traj["patellar_tendon_force_n"] > 0.3 * traj["quadriceps_force_n"]).all()


def test_a_smooth_kneecap_runs_along_its_limbs_femur_and_its_squat_passes_the_self_check() -> None:
    """Limb 15's kneecap is nearly round (42 x 41 mm) and too smooth for its ridge to give its
    axis: the ridge turned it 71 deg in the kneecap's plane, so the sculpted ridge, the
    cartilage's apex cut and the tendon lay across the bone, and the healthy squat failed the
    self-check whole (81 of 241 frames unsolved, the kneecap's bone 3.4 mm into the femur's at
    60-93 deg). Its axis is now the femur's long axis as the limb stands (the finder's is more
    than PATELLA_AXIS_LIMIT_DEG off it): the kneecap stands along it, and the squat is a
    knee's."""
    from kneeviz.anatomy.default_knee import build_atlas_knee
    from kneeviz.anatomy.loader import load_knee
    from kneeviz.anatomy.population import PATELLA_AXIS_LIMIT_DEG, groove_options, training_limb
    from kneeviz.result_check import self_check
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    built = build_atlas_knee(training_limb(15), groove_options(15),
                             patella_axis_limit_deg=PATELLA_AXIS_LIMIT_DEG)
    R = np.asarray(built.record["T_femur_patella_atlas"], dtype=float)[:3, :3]
    # the kneecap's superior axis in the femur frame: in the femur's sagittal plane, up
    y = R[:, 1]
    assert y[1] > 0.9 and abs(y[2]) < 0.1, y
    knee = load_knee(KneeSpec.from_name("atlas:15"))
    traj = simulate(knee, Scenario.from_preset("healthy"))
    assert traj.converged.all()
    check = self_check(traj, knee)
    assert check.passed, check.problem
