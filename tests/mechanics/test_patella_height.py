"""Patellar height: the solved healthy squat puts the kneecap at a normal Caton-Deschamps index
at 30 deg of flexion (the angle the index is read at), on the default knee (normal 0.8-1.2; the
population mean is 0.96-0.99) and on the real knees (inside the wider 0.6-1.3 normal range, no
baja). Before the default knee's tendon insertion was corrected it read 0.56 (patella baja)."""

from __future__ import annotations

import numpy as np
import pytest
from test_mechanics_real import knee

from kneeviz.mechanics.measures import caton_deschamps_index
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate
from kneeviz.transforms import invert


def _cdi_at(name: str, angle_deg: float) -> float:
    a = knee(name)
    tr = simulate(a, Scenario(max_flexion_deg=45.0, frame_rate_hz=20.0))
    kf = tr["knee_flexion_deg"]
    i = int(np.argmin(np.abs(kf[: int(np.argmax(kf)) + 1] - angle_deg)))
    T_ft = invert(tr.T_world_femur[i]) @ tr.T_world_tibia[i]
    return caton_deschamps_index(tr.T_femur_patella[i], T_ft, a)


def test_default_knee_has_a_normal_patellar_height() -> None:
    assert 0.8 <= _cdi_at("default", 30.0) <= 1.2


@pytest.mark.parametrize("name", ["lenhart2015", "ICL_MRI"])
def test_real_knees_are_not_baja(name: str) -> None:
    assert 0.6 <= _cdi_at(name, 30.0) <= 1.3


def test_the_index_follows_the_tendon() -> None:
    """A longer patellar tendon (patella alta, Insall-Salvati 1.3) raises the index."""
    a = knee("default")
    out = []
    for ratio in (1.02, 1.3):
        tr = simulate(a, Scenario(max_flexion_deg=45.0, frame_rate_hz=20.0,
                                  insall_salvati_ratio=ratio))
        kf = tr["knee_flexion_deg"]
        i = int(np.argmin(np.abs(kf[: int(np.argmax(kf)) + 1] - 30.0)))
        T_ft = invert(tr.T_world_femur[i]) @ tr.T_world_tibia[i]
        out.append(caton_deschamps_index(tr.T_femur_patella[i], T_ft, a))
    assert out[1] > out[0] + 0.15


def test_the_kneecap_sits_where_the_patients_scan_shows_it() -> None:
    """The model is never told where the patient's kneecap was; its equilibrium, with the
    default tendon length (Insall-Salvati 1.02), must put it where the ICL MRI scan shows it, at
    the scan's own knee flexion: patellar height within 0.1 of the scan's Caton-Deschamps index
    (about the spread between radiologists reading one film) and bisect offset within 10 points.
    The scan is of a relaxed, unloaded knee and the model's pose is the first frame of a loaded
    squat, so a small difference is expected, not zero (measured: index 0.76 against 0.72,
    bisect offset 65 against 59 %). A tendon 30 % longer (Insall-Salvati 1.3, patella alta)
    misses by 0.36."""
    from kneeviz.mechanics.measures import bisect_offset_pct
    from kneeviz.motion.grood_suntay import gs_from_pose

    a = knee("ICL_MRI")
    assert a.T_femur_patella_scan is not None
    scan_flexion = float(np.ravel(gs_from_pose(a.T_femur_tibia_ref[None]).flexion_deg)[0])
    assert scan_flexion < 10.0, "the ICL leg was scanned near extension"
    tr = simulate(a, Scenario(max_flexion_deg=30.0, frame_rate_hz=20.0))
    kf = tr["knee_flexion_deg"]
    i = int(np.argmin(np.abs(kf[: int(np.argmax(kf)) + 1] - scan_flexion)))
    T_ft = invert(tr.T_world_femur[i]) @ tr.T_world_tibia[i]
    cdi_model = caton_deschamps_index(tr.T_femur_patella[i], T_ft, a)
    cdi_scan = caton_deschamps_index(a.T_femur_patella_scan, a.T_femur_tibia_ref, a)
    assert abs(cdi_model - cdi_scan) < 0.1, (cdi_model, cdi_scan)
    bo_scan = bisect_offset_pct(a.T_femur_patella_scan, a)
    bo_model = float(tr["bisect_offset_pct"][i])
    assert abs(bo_model - bo_scan) < 10.0, (bo_model, bo_scan)
