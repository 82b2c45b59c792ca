"""The compiled wrench kernel (numba) against the numpy reference, and the femoral pressure map
painted on demand against painting every frame (issue 20).

The kernel must give the numpy evaluation's numbers: the same wrench and Jacobian at any pose
(with and without contact, with a candidate subset, with the quadriceps wrapping), and the same
squat, frame by frame, on the three presets within 1e-9 N and 1e-9 mm.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kneeviz.mechanics import kernel
from kneeviz.mechanics.contact import LOG_STRAIN_CAP
from kneeviz.mechanics.equilibrium import (
    PatellofemoralModel,
    build_model,
    evaluate,
    solve_frame,
)
from kneeviz.mechanics.pressure_map import FEMUR_PAINT_MM, FemoralPressureMap
from kneeviz.scenario import Scenario
from lenhart_fixture import TEST_CACHE
from mechanics_knees import simple_poses, symmetric_anatomy, symmetric_params

needs_numba = pytest.mark.skipif(not kernel.enabled(), reason="numba is not importable here")


@pytest.fixture(scope="module")
def sym_model() -> PatellofemoralModel:
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    return build_model(symmetric_anatomy(), params=symmetric_params(), cache_dir=TEST_CACHE)


def both(monkeypatch: pytest.MonkeyPatch, fn):  # type: ignore[no-untyped-def]
    """fn() through the kernel, then through the numpy path."""
    monkeypatch.delenv(kernel.NO_NUMBA_ENV, raising=False)
    assert kernel.enabled()
    a = fn()
    monkeypatch.setenv(kernel.NO_NUMBA_ENV, "1")
    assert not kernel.enabled()
    b = fn()
    monkeypatch.delenv(kernel.NO_NUMBA_ENV)
    return a, b


def assert_same_wrench(a, b) -> None:  # type: ignore[no-untyped-def]
    scale = max(1.0, float(np.abs(b.jacobian).max()))
    np.testing.assert_allclose(a.force_n, b.force_n, rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.moment_nmm, b.moment_nmm, rtol=0, atol=1e-8)
    np.testing.assert_allclose(a.jacobian, b.jacobian, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(a.pressures_mpa, b.pressures_mpa, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.contact_force_n, b.contact_force_n, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.points_femur_mm, b.points_femur_mm, rtol=0, atol=1e-12)
    for la, lb in zip((*a.bundles, *a.tendons, *a.ligaments),
                      (*b.bundles, *b.tendons, *b.ligaments), strict=True):
        np.testing.assert_allclose(la.force_n, lb.force_n, rtol=0, atol=1e-9)
        np.testing.assert_allclose(la.stiffness, lb.stiffness, rtol=0, atol=1e-9)
        assert la.tension_n == pytest.approx(lb.tension_n, abs=1e-9)


@needs_numba
@pytest.mark.parametrize("flexion", [0.0, 45.0, 100.0])
def test_kernel_wrench_equals_numpy(
    sym_model: PatellofemoralModel, monkeypatch: pytest.MonkeyPatch, flexion: float
) -> None:
    a = symmetric_anatomy()
    T_ft, T_fp = simple_poses(a, flexion)
    rng = np.random.default_rng(int(flexion))
    T = sym_model.T_femur_patella_ref
    for th in [*np.arange(0.0, flexion, 15.0), flexion]:  # the balanced pose, by warm starts
        T_ft_k, T_fp_k = simple_poses(a, th)
        T = solve_frame(sym_model, T_ft_k, T_fp_k, 900.0, T).T_femur_patella
    every_third = np.arange(0, len(sym_model.contact.points_mm), 3, dtype=np.int64)
    in_contact = 0
    for _ in range(4):
        Tk = T.copy()
        Tk[:3, 3] += rng.normal(0.0, 0.5, 3)  # deeper in, or lifted off
        for kw in ({}, {"contact": False}, {"subset": every_third}):
            wa, wb = both(monkeypatch,
                          lambda Tk=Tk, kw=kw: evaluate(sym_model, Tk, T_ft, T_fp, 900.0, **kw))
            assert_same_wrench(wa, wb)
            in_contact = max(in_contact, int(np.count_nonzero(wb.pressures_mpa)))
    # the comparison sees contact: these poses press the patella into the cartilage
    assert in_contact > 10


@needs_numba
def test_kernel_presses_like_numpy_up_to_and_past_the_strain_cap(
    sym_model: PatellofemoralModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The logarithmic foundation and its tangent beyond LOG_STRAIN_CAP, in both: the kneecap
    pushed 2-8 mm into the groove from its seat, until points press past the cap."""
    a = symmetric_anatomy()
    T_ft, T_fp = simple_poses(a, 0.0)
    past_cap = 0
    for depth in (2.0, 4.0, 6.0, 8.0):
        Tk = np.array(sym_model.T_femur_patella_ref, dtype=float)
        Tk[:3, 3] += np.array([-depth, 0.0, 0.0])  # posterior: into the trochlea
        wa, wb = both(monkeypatch, lambda Tk=Tk: evaluate(sym_model, Tk, T_ft, T_fp, 900.0))
        assert_same_wrench(wa, wb)
        cap_mpa = sym_model.foundation_modulus_mpa * -np.log1p(-LOG_STRAIN_CAP)
        past_cap = max(past_cap, int(np.count_nonzero(wb.pressures_mpa > cap_mpa)))
    assert past_cap > 0


@needs_numba
def test_kernel_wraps_the_quadriceps_like_numpy(
    sym_model: PatellofemoralModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In deep flexion the bundles wrap over the cylinder: their pull bends (not straight at the
    origin), and the kernel bends it the same way."""
    a = symmetric_anatomy()
    T_ft, T_fp = simple_poses(a, 120.0)
    T = sym_model.T_femur_patella_ref.copy()
    T[:3, :3] = T_ft[:3, :3]  # patella turned with the tibia, far round the condyles
    T[:3, 3] = T_ft[:3, :3] @ T[:3, 3]
    wa, wb = both(monkeypatch, lambda: evaluate(sym_model, T, T_ft, T_fp, 900.0))
    assert_same_wrench(wa, wb)
    b = sym_model.extensor.bundles[1]
    straight = b.origin_mm - wb.bundles[1].point_mm
    cosang = straight @ wb.bundles[1].force_n / np.linalg.norm(straight) / np.linalg.norm(
        wb.bundles[1].force_n)
    assert cosang < 0.999  # wrapped


def _squat(preset: str):  # type: ignore[no-untyped-def]
    from clinical_fixtures import default_anatomy
    from kneeviz.simulation import simulate

    return simulate(default_anatomy(), Scenario.from_preset(preset))


@needs_numba
@pytest.mark.slow
@pytest.mark.parametrize("preset", ["healthy", "pfp", "severe"])
def test_squat_through_the_kernel_equals_numpy(
    monkeypatch: pytest.MonkeyPatch, preset: str
) -> None:
    ta, tb = both(monkeypatch, lambda: _squat(preset))
    assert ta.n_frames == tb.n_frames == 241
    np.testing.assert_array_equal(ta.converged, tb.converged)
    np.testing.assert_allclose(ta.T_femur_patella[:, :3, 3], tb.T_femur_patella[:, :3, 3],
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(ta.T_femur_patella[:, :3, :3], tb.T_femur_patella[:, :3, :3],
                               rtol=0, atol=1e-9)
    for key, v in tb.values.items():
        np.testing.assert_allclose(ta.values[key], v, rtol=0, atol=1e-9, err_msg=key)
    np.testing.assert_allclose(ta.patella_pressure_mpa, tb.patella_pressure_mpa, atol=1e-6)
    # the squat is loaded: forces of hundreds of newtons agree to a nanonewton
    assert tb.values["pfjrf_n"].max() > 300.0


def test_pressure_map_frame_equals_batched_and_brute_force() -> None:
    rng = np.random.default_rng(3)
    verts = rng.uniform(0.0, 20.0, (400, 3))
    contacts = []
    for i in range(6):
        k = 0 if i == 2 else 30
        contacts.append((rng.uniform(0.0, 20.0, (k, 3)), rng.uniform(0.1, 5.0, k)))
    lazy = FemoralPressureMap(verts, contacts)
    rows = np.stack([lazy[i] for i in range(6)])
    batched = np.asarray(FemoralPressureMap(verts, contacts))
    np.testing.assert_array_equal(rows, batched)
    assert lazy.shape == batched.shape == (6, 400) and batched.dtype == np.float32
    # brute force: each vertex takes the largest pressure among its points' 4 nearest vertices
    for i, (pts, p) in enumerate(contacts):
        want = np.zeros(400, dtype=np.float32)
        for x, px in zip(pts, p, strict=True):
            d = np.linalg.norm(verts - x, axis=1)
            near = np.argsort(d)[:4]
            near = near[d[near] <= FEMUR_PAINT_MM]
            want[near] = np.maximum(want[near], np.float32(px))
        np.testing.assert_array_equal(rows[i], want)
    assert batched[2].max() == 0.0 and batched.max() > 0.0
    assert bool(np.all(lazy >= 0)) and np.isfinite(lazy).all()
    with pytest.raises(IndexError):
        lazy[6]


def test_simulate_paints_only_the_frames_asked_for() -> None:
    from clinical_fixtures import trajectory

    traj = trajectory("healthy")
    fem = traj.femur_pressure_mpa
    assert isinstance(fem, FemoralPressureMap)
    fresh = FemoralPressureMap(fem._vertices, fem._contacts)
    i = int(np.argmax(traj.values["pfjrf_n"]))
    row = fresh[i]
    assert fresh._all is None and list(fresh._rows) == [i]
    assert row.max() > 0.0
    np.testing.assert_array_equal(row, np.asarray(fem)[i])


def test_numba_is_imported_lazily_and_caches_under_kneeviz(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import kneeviz.cli, kneeviz.simulation, kneeviz.commands.simulate\n"
        "print('numba' in sys.modules)\n"
        "from kneeviz.mechanics import kernel\n"
        "ok = kernel.enabled()\n"
        "import numba\n"
        "print(ok, numba.config.CACHE_DIR)\n"
    )
    env = {**os.environ, "KNEEVIZ_CACHE_DIR": str(tmp_path)}
    env.pop(kernel.NO_NUMBA_ENV, None)
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.split("\n")
    assert out[0] == "False"  # importing the command does not import numba
    enabled, where = out[1].split(" ", 1)
    if enabled == "True":
        assert Path(where) == tmp_path / "numba"


def test_no_numba_switch_forces_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernel.NO_NUMBA_ENV, "1")
    assert not kernel.enabled()
    monkeypatch.setenv(kernel.NO_NUMBA_ENV, "0")
    assert kernel.enabled() == (kernel._load() is not None)


def test_pressure_map_reports_what_it_holds() -> None:
    """The app's cache of solved squats counts bytes (session.view_nbytes): the map's painted
    frames must be visible to it."""
    verts = np.zeros((50, 3))
    contacts = [(np.zeros((3, 3)), np.ones(3)) for _ in range(4)]
    m = FemoralPressureMap(verts, contacts)
    before = sum(a.nbytes for a in m.held_arrays())
    np.asarray(m)
    after = sum(a.nbytes for a in m.held_arrays())
    assert after - before == 4 * 50 * 4
