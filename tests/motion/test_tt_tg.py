"""The dynamic TT-TG distance: where the patellar tendon pulls from, relative to the groove.

Radiology reads it on an axial CT in extension (below 15 mm normal, above 20 mm abnormal;
docs/literature.md section 5); kneeviz reads it in every frame of the squat, so the
hip's part in it shows: a femur turning inward over the planted tibia carries the groove medially,
away from the tuberosity.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kneeviz.anatomy.build import load_default_anatomy
from kneeviz.motion.bone_measures import tt_tg_mm
from kneeviz.motion.squat import squat_kinematics
from kneeviz.scenario import Scenario


@pytest.fixture(scope="module")
def knee():  # type: ignore[no-untyped-def]
    return load_default_anatomy()


def test_the_default_knee_is_not_lateralised(knee) -> None:  # type: ignore[no-untyped-def]
    """Standing, the default knee's TT-TG is below the 20 mm radiology threshold."""
    value = tt_tg_mm(np.asarray(knee.T_femur_tibia_ref, dtype=float), knee)
    assert 5.0 < value < 20.0, value


def test_a_lateral_tuberosity_reads_as_a_larger_distance(knee) -> None:  # type: ignore[no-untyped-def]
    """Sign and units: the tuberosity moved 5 mm laterally on the tibia reads 5 mm larger."""
    T = np.asarray(knee.T_femur_tibia_ref, dtype=float)
    tl = knee.tibia_landmarks
    moved = dataclasses.replace(
        knee,
        tibia_landmarks=dataclasses.replace(
            tl, tuberosity_mm=np.asarray(tl.tuberosity_mm, dtype=float) + [0.0, 0.0, 5.0]
        ),
    )
    assert tt_tg_mm(T, moved) - tt_tg_mm(T, knee) == pytest.approx(5.0, abs=0.5)


def test_the_inward_turned_femur_lateralises_the_tendon(knee) -> None:  # type: ignore[no-untyped-def]
    """More femoral internal rotation, larger TT-TG, in every frame and monotonically over the
    slider's range (the tibia stays planted; the groove turns away from the tuberosity)."""
    runs = [
        squat_kinematics(knee, Scenario(femoral_internal_rotation_deg=ir, max_flexion_deg=90.0,
                                        frame_rate_hz=10.0))
        for ir in (-5.0, 0.0, 8.0, 15.0, 25.0)
    ]
    values = np.array([k.tt_tg_mm for k in runs])
    assert np.all(np.diff(values, axis=0) > 0.5)
    # the tuberosity lies some 20-70 mm from the femur's turning axis: 8 deg moves it 2.8-9.7 mm
    d8 = values[2] - values[1]
    assert np.all((d8 > 20.0 * np.sin(np.radians(8.0))) & (d8 < 70.0 * np.sin(np.radians(8.0)))), d8


def test_tt_tg_falls_as_the_knee_flexes(knee) -> None:  # type: ignore[no-untyped-def]
    """The tibia turns inward under the femur as the knee flexes (Walker et al. 1988), bringing
    the tuberosity towards the groove: the distance falls by more than 3 mm from 0 to 60 deg."""
    k = squat_kinematics(knee, Scenario(max_flexion_deg=90.0, frame_rate_hz=10.0))
    flexion = np.asarray(k.knee_flexion_deg)
    down = np.arange(int(np.argmax(flexion)) + 1)
    at0 = k.tt_tg_mm[down[np.argmin(np.abs(flexion[down]))]]
    at60 = k.tt_tg_mm[down[np.argmin(np.abs(flexion[down] - 60.0))]]
    assert at0 - at60 > 3.0, (at0, at60)
