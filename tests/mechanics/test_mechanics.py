"""Mechanics on a synthetic, exactly mirror-symmetric knee: the distance grid, the Jacobian, and
the physics that must hold for any knee (issue 4, "Done when")."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.mechanics import measures
from kneeviz.mechanics.contact import (
    ContactPoints,
    build_distance_grid,
    grid_key,
    load_or_build_grid,
)
from kneeviz.mechanics.equilibrium import (
    CONVERGENCE_FRACTION,
    ExternalLoad,
    PatellofemoralModel,
    _apply_step,
    build_model,
    evaluate,
    solve_frame,
)
from kneeviz.mechanics.muscles import ExtensorParams, spring_tension, wrapped_target
from lenhart_fixture import TEST_CACHE
from mechanics_knees import (
    GROOVE_RADIUS_MM,
    flat_sheet,
    simple_poses,
    symmetric_anatomy,
    symmetric_params,
)


@pytest.fixture(scope="module")
def cache() -> Path:
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    return TEST_CACHE


@pytest.fixture(scope="module")
def sym_model(cache: Path) -> PatellofemoralModel:
    return build_model(symmetric_anatomy(), params=symmetric_params(), cache_dir=cache)


def solve_sweep(
    model: PatellofemoralModel, anatomy, flexions, quad_n: float = 1000.0, **kw
):  # type: ignore[no-untyped-def]
    T = model.T_femur_patella_ref
    out = []
    for th in flexions:
        T_ft, T_fp = simple_poses(anatomy, th)
        s = solve_frame(model, T_ft, T_fp, quad_n, T, **kw)
        T = s.T_femur_patella
        out.append((th, s, T_ft, T_fp))
    return out


def solve_at(model: PatellofemoralModel, anatomy, flexion: float, quad_n: float = 1000.0):  # type: ignore[no-untyped-def]
    """Solve at one flexion angle, sweeping up to it from extension (warm starts)."""
    steps = [*np.arange(0.0, flexion, 10.0), flexion]
    return solve_sweep(model, anatomy, steps, quad_n)[-1]


def test_distance_grid_is_the_distance_to_the_groove(sym_model: PatellofemoralModel) -> None:
    """Along the groove bottom (z = 0) the surface is a circle of radius R0 about the Z axis, so the
    signed distance of a point at radius R0 + d there is d (the groove is locally flat across)."""
    phi = np.radians(np.linspace(-150.0, 50.0, 60))
    for d in (-1.5, -0.4, 0.3, 1.2):
        r = GROOVE_RADIUS_MM + d
        pts = np.column_stack([r * np.cos(phi), r * np.sin(phi), np.zeros_like(phi)])
        sd, normal, _ = sym_model.grid.sample(pts)
        assert np.allclose(sd, d, atol=0.05)
        radial = pts / np.linalg.norm(pts, axis=1, keepdims=True)
        assert np.all(np.einsum("ij,ij->i", normal, radial) > 0.99)


def test_points_outside_the_grid_are_far_outside(sym_model: PatellofemoralModel) -> None:
    g = sym_model.grid
    far = g.origin_mm - 50.0
    assert g.distance(far[None, :])[0] >= 100.0


def test_grid_of_a_flat_sheet_and_its_cache(tmp_path: Path) -> None:
    cart, bone = flat_sheet()
    grid = load_or_build_grid(cart, bone, directory=tmp_path)
    # above and below the sheet's interior the signed distance is the height over it
    pts = np.array([[x, y, z] for x in (-5.0, 0.3, 4.0) for y in (-1.5, -0.4, 0.7, 3.0)
                    for z in (-6.0, 2.2)])
    assert np.allclose(grid.distance(pts), pts[:, 1], atol=0.02)
    active, sd, normal, thick = grid.penetrating(pts)
    assert np.array_equal(active, np.nonzero(pts[:, 1] < 0)[0])
    assert np.allclose(normal, [0.0, 1.0, 0.0], atol=1e-6)
    assert np.allclose(thick, 2.0, atol=0.05)
    # the cache: one .npz keyed by content, read back without pickle
    key = grid_key(cart, bone, 1.0)
    files = list(tmp_path.glob(f"*{key}*.npz"))
    assert len(files) == 1
    with np.load(files[0], allow_pickle=False) as z:
        assert set(z.files) == {"origin_mm", "spacing_mm", "values", "kneeviz_cache_header"}
    again = load_or_build_grid(cart, bone, directory=tmp_path)
    assert np.allclose(again.values, grid.values, atol=1e-4)
    moved = SurfaceMesh(cart.vertices_mm + 0.5, cart.faces)
    assert grid_key(moved, bone, 1.0) != key
    # a damaged cache file is rebuilt, not trusted
    files[0].write_bytes(b"not an npz")
    rebuilt = load_or_build_grid(cart, bone, directory=tmp_path)
    assert np.allclose(rebuilt.distance(pts), pts[:, 1], atol=0.02)
    assert build_distance_grid(cart, bone).shape == grid.shape


def test_at_least_2000_contact_points(sym_model: PatellofemoralModel) -> None:
    cp: ContactPoints = sym_model.contact
    assert len(cp.points_mm) >= 2000
    assert np.all(cp.areas_mm2 > 0)
    # the cartilage points' lumped areas add up to the articular surface's area (the bare bone's
    # points follow them: tests/mechanics/test_bare_bone_contact.py)
    assert cp.areas_mm2[: cp.n_cartilage].sum() == pytest.approx(
        symmetric_anatomy().patella_cartilage.face_areas_mm2().sum(), rel=0.02
    )


def test_tension_only_spring() -> None:
    from kneeviz.mechanics.muscles import Spring

    s = Spring("s", np.zeros(3), np.zeros(3), 1000.0, 40.0, 0.02)
    assert spring_tension(39.0, s) == (0.0, 0.0)
    t1, _ = spring_tension(40.4, s)  # toe region
    t2, k2 = spring_tension(44.0, s)  # linear region
    assert 0.0 < t1 < t2
    assert t2 == pytest.approx(1000.0 * (0.1 - 0.01))
    assert k2 == pytest.approx(1000.0 / 40.0)


def test_wrap_only_when_the_line_would_cut_the_cylinder() -> None:
    centre = np.zeros(3)
    # origin far up the shaft, insertion in front: the straight line clears the cylinder
    p = np.array([40.0, 10.0, 0.0])
    o = np.array([15.0, 200.0, 0.0])
    t, _ = wrapped_target(p, o, centre, 26.0)
    assert np.allclose(t, o)
    # insertion below and behind the cylinder (deep flexion): the line must wrap
    p = np.array([5.0, -45.0, 3.0])
    t, length = wrapped_target(p, o, centre, 26.0)
    assert np.linalg.norm(t[:2]) == pytest.approx(26.0)
    assert length > np.linalg.norm(o - p)
    # the path leaves the insertion along the tangent: perpendicular to the radius there
    assert abs(np.dot(t[:2] - p[:2], t[:2])) < 1e-6 * 26.0 * np.linalg.norm(t[:2] - p[:2])


@pytest.mark.parametrize("flexion", [20.0, 90.0])
def test_analytic_jacobian_matches_finite_differences(
    sym_model: PatellofemoralModel, flexion: float
) -> None:
    a = symmetric_anatomy()
    T_ft, T_fp = simple_poses(a, flexion)
    _, sol, _, _ = solve_at(sym_model, a, flexion)
    T = sol.T_femur_patella.copy()
    T[:3, 3] += [0.2, 0.1, 0.3]  # off equilibrium, still in contact
    w = evaluate(sym_model, T, T_ft, T_fp, 1000.0)
    fd = np.zeros((6, 6))
    h = 1e-5
    for k in range(6):
        step = np.zeros(6)
        step[k] = h
        wp = evaluate(sym_model, _apply_step(T, step), T_ft, T_fp, 1000.0)
        wm = evaluate(sym_model, _apply_step(T, -step), T_ft, T_fp, 1000.0)
        fd[:, k] = (np.r_[wp.force_n, wp.moment_nmm] - np.r_[wm.force_n, wm.moment_nmm]) / (2 * h)
    # the contact part neglects the turning of the surface normal, so agreement is approximate
    scale = np.abs(fd).max()
    assert np.abs(w.jacobian - fd).max() < 0.15 * scale


def test_actuator_jacobian_matches_finite_differences(sym_model: PatellofemoralModel) -> None:
    """The glide test's actuator (a stiff spring on one coordinate of a patella point, plus a
    fixed force) enters the Jacobian exactly: its own part (with minus without) matches central
    differences to 1e-4 of its scale."""
    a = symmetric_anatomy()
    T_ft, T_fp = simple_poses(a, 30.0)
    _, sol, _, _ = solve_at(sym_model, a, 30.0)
    T = sol.T_femur_patella.copy()
    point = np.array([12.0, 3.0, -4.0])
    here = float((T[:3, :3] @ point + T[:3, 3])[2])
    load = ExternalLoad(
        point, np.array([5.0, -2.0, 30.0]),
        direction=np.array([0.0, 0.0, 1.0]), target_mm=here + 4.0,
        stiffness_n_per_mm=500.0,
    )

    def actuator_part(T_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w1 = evaluate(sym_model, T_, T_ft, T_fp, 1000.0, external=load)
        w0 = evaluate(sym_model, T_, T_ft, T_fp, 1000.0)
        return np.r_[w1.force_n - w0.force_n, w1.moment_nmm - w0.moment_nmm], (
            w1.jacobian - w0.jacobian
        )

    _, analytic = actuator_part(T)
    fd = np.zeros((6, 6))
    h = 1e-6
    for k in range(6):
        step = np.zeros(6)
        step[k] = h
        fd[:, k] = (actuator_part(_apply_step(T, step))[0]
                    - actuator_part(_apply_step(T, -step))[0]) / (2 * h)
    assert np.abs(analytic - fd).max() < 1e-4 * np.abs(fd).max()
    # the actuator pulls towards its target: 4 mm short at 500 N/mm
    assert load.actuator_force_n(T) == pytest.approx(2000.0, rel=1e-9)


def test_every_frame_balances_within_one_percent(sym_model: PatellofemoralModel) -> None:
    a = symmetric_anatomy()
    q = 1000.0
    for th, sol, T_ft, T_fp in solve_sweep(sym_model, a, range(0, 141, 10), q):
        assert sol.converged, th
        # re-evaluate the wrench independently of the solver's bookkeeping
        w = evaluate(sym_model, sol.T_femur_patella, T_ft, T_fp, q)
        assert np.linalg.norm(w.force_n) < CONVERGENCE_FRACTION * q
        arm = a.patella_landmarks.height_mm
        assert np.linalg.norm(w.moment_nmm) < CONVERGENCE_FRACTION * q * arm
        assert np.all(np.isfinite(sol.T_femur_patella))


def test_symmetric_knee_gives_a_centred_untilted_patella(
    sym_model: PatellofemoralModel, cache: Path
) -> None:
    a = symmetric_anatomy()
    for th, sol, _, _ in solve_sweep(sym_model, a, range(0, 141, 20)):
        assert sol.converged
        assert abs(measures.lateral_shift_mm(sol.T_femur_patella, a)) < 0.05, th
        assert abs(measures.lateral_tilt_deg(sol.T_femur_patella, a)) < 0.2, th
        assert measures.bisect_offset_pct(sol.T_femur_patella, a) == pytest.approx(50.0, abs=0.3)
    # the same knee with a weak VMO is no longer balanced: the patella goes lateral, so the
    # checks above can fail
    weak = build_model(a, params=symmetric_params(), tissue={"vmo_strength": 0.2},
                       cache_dir=cache)
    _, sol, _, _ = solve_at(weak, a, 10.0)
    assert sol.converged
    assert measures.lateral_shift_mm(sol.T_femur_patella, a) > 0.2


def test_more_quadriceps_force_more_contact_force(sym_model: PatellofemoralModel) -> None:
    a = symmetric_anatomy()
    for th in (30.0, 90.0):
        forces = []
        for q in (300.0, 1000.0, 2500.0):
            _, sol, _, _ = solve_at(sym_model, a, th, q)
            assert sol.converged
            forces.append(np.linalg.norm(sol.wrench.contact_force_n.sum(axis=0)))
        assert forces[0] < forces[1] < forces[2], (th, forces)


def test_without_contact_the_patella_sinks_into_the_femur(sym_model: PatellofemoralModel) -> None:
    a = symmetric_anatomy()
    for th in (30.0, 90.0):
        _, sol, T_ft, T_fp = solve_at(sym_model, a, th)
        seated = sym_model.grid.distance(sol.wrench.points_femur_mm).min()
        free = solve_frame(sym_model, T_ft, T_fp, 1000.0, sol.T_femur_patella, contact=False,
                           max_iterations=40)
        pts = free.T_femur_patella[:3, :3] @ sym_model.contact.points_mm.T
        pts = pts.T + free.T_femur_patella[:3, 3]
        sunk = sym_model.grid.distance(pts).min()
        assert seated > -2.5  # contact keeps the cartilage overlap to about a millimetre
        assert sunk < seated - 5.0, (th, seated, sunk)  # nothing stops it: deep into the femur
        assert np.all(np.isfinite(free.T_femur_patella))


def test_params_are_plain_data() -> None:
    p = ExtensorParams()
    assert dataclasses.replace(p, vmo_angle_deg=50.0).vmo_angle_deg == 50.0


def test_measures_follow_their_definitions() -> None:
    """Tilt, shift and bisect offset of known poses (docs/literature.md section 7 definitions)."""
    from kneeviz.transforms import make_transform
    from rotations import rot_y, rot_z

    a = symmetric_anatomy()
    base = make_transform(np.eye(3), np.array([48.0, 10.0, 0.0]))
    assert measures.lateral_tilt_deg(base, a) == pytest.approx(0.0, abs=1e-9)
    assert measures.lateral_shift_mm(base, a) == pytest.approx(0.0, abs=1e-9)
    assert measures.bisect_offset_pct(base, a) == pytest.approx(50.0)
    # the lateral border turned towards the femur (posteriorly) by 5 deg: +5 deg lateral tilt
    tilted = base.copy()
    tilted[:3, :3] = rot_y(np.radians(-5.0))
    assert tilted[:3, :3] @ np.array([0.0, 0.0, 1.0]) @ np.array([1.0, 0.0, 0.0]) < 0
    assert measures.lateral_tilt_deg(tilted, a) == pytest.approx(5.0)
    # the same tilt on a patella flexed 60 deg with the knee reads the same (skyline plane)
    flexed = base.copy()
    flexed[:3, :3] = rot_z(np.radians(-60.0)) @ rot_y(np.radians(-5.0))
    assert measures.patella_flexion_deg(flexed) == pytest.approx(60.0)
    assert measures.lateral_tilt_deg(flexed, a) == pytest.approx(5.0)
    # 3 mm lateral: +3 mm shift, and the lateral share of the 44 mm width grows by 3/44
    moved = base.copy()
    moved[2, 3] = 3.0
    assert measures.lateral_shift_mm(moved, a) == pytest.approx(3.0)
    assert measures.bisect_offset_pct(moved, a) == pytest.approx(50.0 + 300.0 / 44.0)


def test_extensor_moment_grows_with_the_lever() -> None:
    from kneeviz.mechanics import loads

    ankle = np.zeros(3)
    m = [loads.extensor_moment_nmm(np.array([x, 400.0, 0.0]), ankle, 70.0) for x in (0, 50, 150)]
    assert m[0] == 0.0 and 0.0 < m[1] < m[2]
    lever = 150.0 - loads.LINE_OF_GRAVITY_ANTERIOR_TO_ANKLE_MM
    assert m[2] == pytest.approx(70.0 * 9.81 / 2 * lever)
    # no moment means the quadriceps keeps only its resting tone
    assert loads.quadriceps_force_n(0.0, 45.0, 70.0) == pytest.approx(
        loads.QUADRICEPS_TONE_FRACTION_BW * 70.0 * 9.81
    )
    assert loads.quadriceps_force_n(90_000.0, 45.0, 70.0) == pytest.approx(2000.0)
