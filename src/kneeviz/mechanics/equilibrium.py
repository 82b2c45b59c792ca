"""The patella's quasi-static equilibrium: six unknowns, six balance equations, per frame.

The patella is a rigid body posed in the femur frame (T_femur_patella). Its pose is found where
the quadriceps bundles, the patellar tendon, the retinacula and the cartilage contact balance in
force and moment; nothing prescribes it (docs/model.md section 4).

Solver: damped Newton (Levenberg-Marquardt) on SCALED unknowns and residuals (docs/model.md
section 4.5): rotations in units of 0.05 rad against translations in mm, moments divided by 20 mm.
The Jacobian is analytic: each contact point is a spring of stiffness A dp/dd along the femoral
surface normal, and each line element brings its own 3x3 stiffness (muscles.py). A frame that does
not converge is returned with `converged=False` and its last (finite) pose, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics import kernel
from kneeviz.mechanics.contact import (
    ContactPoints,
    DistanceGrid,
    foundation_depth_mm,
    foundation_modulus_mpa,
    foundation_pressure,
    load_or_build_grid,
    patellar_contact_points,
)
from kneeviz.mechanics.muscles import (
    ExtensorModel,
    ExtensorParams,
    LineForce,
    build_extensor_model,
    pull,
    spring_force,
    with_tissue,
    wrapped_target,
)
from kneeviz.scenario import Scenario, tissue_setting
from kneeviz.transforms import apply, axis_angle, make_transform, nearest_rotation

ROT_SCALE_RAD = 0.05
MOMENT_ARM_SCALE_MM = 20.0
CANDIDATE_MM = 3.0
MIN_PROGRESS = 1e-8
"""A step is taken only if it lowers the squared residual by more than this fraction. Smaller
"improvements" are rounding noise (the residual sums thousands of contact forces): taking them
made a stalled frame's iteration count depend on the order of that summation."""
CONVERGENCE_FRACTION = 0.01
"""The issue's acceptance: net force < 1 % of quadriceps force, moment < 1 % of it x patella length.
The solver iterates to a 20 times tighter tolerance so converged frames meet it with a margin."""


@dataclass(frozen=True, eq=False)
class PatellofemoralModel:
    """Everything fixed for one knee and one set of tissue parameters."""

    grid: DistanceGrid
    contact: ContactPoints
    extensor: ExtensorModel
    foundation_modulus_mpa: float
    """K of the foundation (contact.foundation_modulus_mpa) from the cartilage's modulus."""
    layer_depth_scale: float
    """cartilage_thickness_scale: the depth h of every layer is the meshes' times this."""
    patella_height_mm: float
    T_femur_patella_ref: FloatArray


@dataclass(frozen=True, eq=False)
class Wrench:
    """Net force (N) and moment about the patella origin (N mm) on the patella, femur frame, with
    the contact state that produced them."""

    force_n: FloatArray
    moment_nmm: FloatArray
    jacobian: FloatArray  # d(force, moment)/d(rotation, translation), 6x6
    pressures_mpa: FloatArray  # per contact point
    contact_force_n: FloatArray  # per contact point, (N, 3)
    points_femur_mm: FloatArray
    tendons: tuple[LineForce, ...]
    bundles: tuple[LineForce, ...]
    ligaments: tuple[LineForce, ...]

    @property
    def tendon_tension_n(self) -> float:
        """Patellar tendon force: the sum of its bundles' tensions."""
        return float(sum(t.tension_n for t in self.tendons))


@dataclass(frozen=True, eq=False)
class ExternalLoad:
    """A load applied to the patella from outside the knee (an examiner's thumb, a testing
    machine), at `point_patella_mm` (patella frame): a fixed force `force_n` (femur frame) plus,
    when `stiffness_n_per_mm` > 0, a stiff spring along the unit `direction` that holds the point's
    coordinate along it at `target_mm` (femur frame): a displacement-controlled actuator, whose pull
    is `actuator_force_n`."""

    point_patella_mm: FloatArray
    force_n: FloatArray
    direction: FloatArray | None = None
    target_mm: float = 0.0
    stiffness_n_per_mm: float = 0.0

    def actuator_force_n(self, T_femur_patella: FloatArray) -> float:
        """The actuator's pull along `direction` (N) with the patella at this pose."""
        if self.direction is None or self.stiffness_n_per_mm <= 0.0:
            return 0.0
        d = np.asarray(self.direction, dtype=float)
        here = float(d @ apply(T_femur_patella, self.point_patella_mm))
        return self.stiffness_n_per_mm * (self.target_mm - here)


@dataclass(frozen=True, eq=False)
class FrameSolution:
    T_femur_patella: FloatArray
    converged: bool
    iterations: int
    residual_force_n: float
    residual_moment_nmm: float
    quadriceps_force_n: float
    wrench: Wrench


def initial_patella_pose(
    anatomy: Anatomy, grid: DistanceGrid, contact: ContactPoints
) -> FloatArray:
    """A first guess near full extension: patella axes parallel to the femur's, its ridge over the
    proximal third of the trochlear groove, just touching the cartilage."""
    t = _ridge_over_groove_mm(anatomy, contact.points_mm.mean(axis=0))
    return make_transform(np.eye(3), _seat(t, grid, contact))


def resting_patella_pose(anatomy: Anatomy) -> FloatArray:
    """The same first guess without a contact model (the window's preview before any solve):
    held 2 mm in front of the groove, about the cartilage's thickness, instead of seated on it."""
    t = _ridge_over_groove_mm(anatomy, np.zeros(3)) + np.array([2.0, 0.0, 0.0])
    return make_transform(np.eye(3), t)


def _ridge_over_groove_mm(anatomy: Anatomy, ridge_fallback_mm: FloatArray) -> FloatArray:
    """The translation that puts the patella's ridge over the proximal third of the groove."""
    g = np.asarray(anatomy.femur_landmarks.groove_line_mm, dtype=float)
    target = g[int(0.3 * (len(g) - 1))] if g.ndim == 2 and len(g) else np.array([40.0, 10.0, 0.0])
    ridge = np.asarray(anatomy.patella_landmarks.ridge_line_mm, dtype=float)
    ridge_mid = ridge[len(ridge) // 2] if ridge.ndim == 2 and len(ridge) else ridge_fallback_mm
    return np.asarray(target - ridge_mid, dtype=float)


def _seat(t: FloatArray, grid: DistanceGrid, contact: ContactPoints) -> FloatArray:
    """Move the patella (translation t, axes as the femur's) along X until it just touches."""
    for _ in range(20):
        lowest = float(grid.distance(contact.points_mm + t).min())
        if abs(lowest - 0.2) < 0.05:
            break
        t = t + np.array([0.2 - lowest, 0.0, 0.0]) if lowest < 50 else t - [5.0, 0.0, 0.0]
    return t


def tendon_seated_pose(
    T_anat: FloatArray,
    T_femur_tibia: FloatArray,
    grid: DistanceGrid,
    contact: ContactPoints,
    ext: ExtensorModel,
) -> FloatArray:
    """A starting pose: `T_anat` slid along the femur (and re-seated on its surface) until the
    patellar tendon is just taut with the tibia at `T_femur_tibia`. A start with a slack tendon (and
    slack retinacula, out of contact) gives the solver nothing to hold the patella against the
    quadriceps: every small move leaves the net force unchanged."""
    t = T_anat[:3, 3].copy()
    tendon = ext.tendons[len(ext.tendons) // 2]
    tub = apply(T_femur_tibia, tendon.other_mm)
    target = tendon.slack_length_mm * (1.0 + 0.5 * tendon.toe_strain)
    for _ in range(12):
        length = float(np.linalg.norm(tendon.patella_mm + t - tub))
        if abs(length - target) < 0.1:
            break
        t[1] += target - length
        t = _seat(t, grid, contact)
    return make_transform(T_anat[:3, :3], t)


def build_model(
    anatomy: Anatomy,
    *,
    tissue: Mapping[str, float] | None = None,
    params: ExtensorParams | None = None,
    min_contact_points: int = 2000,
    cache_dir: Path | None = None,
) -> PatellofemoralModel:
    """Build (or load from the disk cache) the contact grid and attach the soft tissues.

    `tissue`: the values of the tissue parameters (kneeviz.scenario.tissue_setting, made from
    the parameters declared as Affects.TISSUE), each read here or where the model is built
    from it; a name not given takes its declared default."""
    t = {**dict(tissue_setting(Scenario())), **(tissue or {})}
    vmo_strength, insall_salvati_ratio = t["vmo_strength"], t["insall_salvati_ratio"]
    params = with_tissue(params if params is not None else ExtensorParams(), t)
    grid = load_or_build_grid(anatomy.femur_cartilage, anatomy.femur, directory=cache_dir)
    contact = patellar_contact_points(
        anatomy.patella_cartilage, anatomy.patella, min_points=min_contact_points
    )
    T_anat = initial_patella_pose(anatomy, grid, contact)
    ext = build_extensor_model(
        anatomy, T_anat, vmo_strength=vmo_strength, insall_salvati_ratio=insall_salvati_ratio,
        params=params,
    )
    T_start = tendon_seated_pose(
        T_anat, np.asarray(anatomy.T_femur_tibia_ref, dtype=float), grid, contact, ext
    )
    # The retinacula are near-taut in the standing knee (the MPFL gives most of the restraint to
    # lateral displacement near extension: Desio SM et al. 1998, Am J Sports Med 26:59), so their
    # slack lengths (and the vasti layout) are taken where the patella really stands: seated with
    # the tendon just taut, not at the first guess T_anat.
    ext = build_extensor_model(
        anatomy, T_start, vmo_strength=vmo_strength, insall_salvati_ratio=insall_salvati_ratio,
        params=params,
    )
    # a layer `cartilage_thickness_scale` times as thick is strained that much less by the same
    # overlap (the articular surfaces, and so d, are the meshes')
    return PatellofemoralModel(
        grid, contact, ext, foundation_modulus_mpa(t["cartilage_modulus_mpa"]),
        float(t["cartilage_thickness_scale"]), anatomy.patella_landmarks.height_mm, T_start
    )


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise cross product of (N, 3) arrays (np.cross is slow for small arrays)."""
    return np.column_stack(
        [
            a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
            a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
            a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0],
        ]
    )


def _lines_wrench(lines: list[LineForce], origin: FloatArray) -> tuple[FloatArray, FloatArray,
                                                                       FloatArray]:
    """Net force, moment about `origin` and the 6x6 Jacobian of line elements.

    For an element pulling with force f at a patella point p = origin + r, with df/dp = S:
    a small translation dt moves p by dt; a small rotation dw (about the origin) moves it by
    dw x r. So dF/dt = S, dF/dw = -S [r]x, dM/dt = [r]x S and dM/dw = r f^T - (r.f) I - [r]x S [r]x.
    """
    P = np.array([lf.point_mm for lf in lines])
    Fo = np.array([lf.force_n for lf in lines])
    S = np.array([lf.stiffness for lf in lines])
    r = P - origin
    Rx = np.zeros((len(lines), 3, 3))
    Rx[:, 0, 1], Rx[:, 0, 2] = -r[:, 2], r[:, 1]
    Rx[:, 1, 0], Rx[:, 1, 2] = r[:, 2], -r[:, 0]
    Rx[:, 2, 0], Rx[:, 2, 1] = -r[:, 1], r[:, 0]
    SR = S @ Rx
    J = np.zeros((6, 6))
    J[:3, :3] = -SR.sum(axis=0)
    J[:3, 3:] = S.sum(axis=0)
    J[3:, :3] = r.T @ Fo - float(np.einsum("ij,ij->", r, Fo)) * np.eye(3) - (Rx @ SR).sum(axis=0)
    J[3:, 3:] = (Rx @ S).sum(axis=0)
    return Fo.sum(axis=0), _cross(r, Fo).sum(axis=0), J


def evaluate(
    model: PatellofemoralModel,
    T_femur_patella: FloatArray,
    T_femur_tibia: FloatArray,
    T_femur_pelvis: FloatArray,
    quadriceps_force_n: float,
    *,
    contact: bool = True,
    subset: NDArray[np.int64] | None = None,
    external: ExternalLoad | None = None,
) -> Wrench:
    """Net wrench on the patella at this pose, with its analytic Jacobian with respect to a small
    rotation (about the patella origin, femur axes) and translation of the patella.

    Runs the compiled kernel when it is available (kneeviz.mechanics.kernel); the numpy code below
    is the reference it is tested against, and what runs without numba or with an external load."""
    if external is None and kernel.enabled():
        return _kernel_wrench(model, T_femur_patella, T_femur_tibia, T_femur_pelvis,
                              quadriceps_force_n, contact, subset)
    R = T_femur_patella[:3, :3]
    o = T_femur_patella[:3, 3]
    ext = model.extensor
    F = np.zeros(3)
    M = np.zeros(3)
    J = np.zeros((6, 6))

    bundles = []
    for b in ext.bundles:
        p = apply(T_femur_patella, b.insertion_mm)
        org = apply(T_femur_pelvis, b.origin_mm) if b.on_pelvis else b.origin_mm
        target, _ = wrapped_target(p, org, ext.wrap_centre_mm, ext.wrap_radius_mm)
        bundles.append(pull(p, target, quadriceps_force_n * b.share))
    tendons = [
        spring_force(
            apply(T_femur_patella, s.patella_mm), apply(T_femur_tibia, s.other_mm), s, True
        )
        for s in ext.tendons
    ]
    ligs = [
        spring_force(
            apply(T_femur_patella, s.patella_mm),
            s.anchor_mm(T_femur_tibia),
            s,
        )
        for s in ext.ligaments
    ]
    F, M, J = _lines_wrench([*bundles, *tendons, *ligs], o)
    if external is not None:
        # a fixed force at a patella point: its moment turns with the patella
        p_e = apply(T_femur_patella, external.point_patella_mm)
        r_e = p_e - o
        f_e = np.asarray(external.force_n, dtype=float).copy()
        S_e = np.zeros((3, 3))
        if external.direction is not None and external.stiffness_n_per_mm > 0.0:
            d = np.asarray(external.direction, dtype=float)
            f_e += external.actuator_force_n(T_femur_patella) * d
            S_e = -external.stiffness_n_per_mm * np.outer(d, d)
        Rx = np.array([[0.0, -r_e[2], r_e[1]], [r_e[2], 0.0, -r_e[0]], [-r_e[1], r_e[0], 0.0]])
        F = F + f_e
        M = M + np.cross(r_e, f_e)
        # as for a line element with df/dp = S_e (see _lines_wrench)
        J[:3, 3:] += S_e
        J[:3, :3] += -S_e @ Rx
        J[3:, 3:] += Rx @ S_e
        J[3:, :3] += np.outer(r_e, f_e) - float(r_e @ f_e) * np.eye(3) - Rx @ S_e @ Rx

    pts = model.contact.points_mm @ R.T + o
    n_pts = len(pts)
    pressures = np.zeros(n_pts)
    forces = np.zeros((n_pts, 3))
    if contact:
        if subset is None:
            active, sd_a, nrm, h_fem = model.grid.penetrating(pts)
        else:
            found, sd_a, nrm, h_fem = model.grid.penetrating(pts[subset])
            active = subset[found]
        if len(active):
            pen = np.maximum(-sd_a, 0.0)
            h = foundation_depth_mm(model.contact.thickness_mm[active] + h_fem,
                                    model.layer_depth_scale)
            value, slope = foundation_pressure(pen / h)
            p_a = model.foundation_modulus_mpa * value
            area = model.contact.areas_mm2[active]
            k = model.foundation_modulus_mpa * slope * area / h  # N/mm along the normal
            f = (p_a * area)[:, None] * nrm
            pressures[active] = p_a
            forces[active] = f
            r = pts[active] - o
            F += f.sum(axis=0)
            M += _cross(r, f).sum(axis=0)
            w = _cross(r, nrm)
            kn = k[:, None] * nrm
            kw = k[:, None] * w
            J[:3, 3:] -= nrm.T @ kn
            J[:3, :3] -= kn.T @ w
            J[3:, 3:] -= kw.T @ nrm
            J[3:, :3] -= kw.T @ w
            J[3:, :3] += r.T @ f - float(np.einsum("ij,ij->", r, f)) * np.eye(3)
    return Wrench(
        F, M, J, pressures, forces, pts, tuple(tendons), tuple(bundles), tuple(ligs)
    )


def _kernel_wrench(
    model: PatellofemoralModel,
    T_femur_patella: FloatArray,
    T_femur_tibia: FloatArray,
    T_femur_pelvis: FloatArray,
    quadriceps_force_n: float,
    contact: bool,
    subset: NDArray[np.int64] | None,
) -> Wrench:
    """evaluate() through the compiled kernel, returning the same Wrench."""
    far = kernel.far_ends(model, T_femur_tibia, T_femur_pelvis)
    return _wrench_of(model, kernel.evaluate(model, T_femur_patella, far, quadriceps_force_n,
                                             contact, subset))


def _wrench_of(model: PatellofemoralModel, k: kernel.KernelWrench) -> Wrench:
    lines = [
        LineForce(k.line_points_mm[i], k.line_forces_n[i], k.line_stiffness[i],
                  float(k.line_tensions_n[i]))
        for i in range(len(k.line_tensions_n))
    ]
    nb, nt = len(model.extensor.bundles), len(model.extensor.tendons)
    return Wrench(
        k.force_n, k.moment_nmm, k.jacobian, k.pressures_mpa, k.contact_force_n,
        k.points_femur_mm, tuple(lines[nb:nb + nt]), tuple(lines[:nb]), tuple(lines[nb + nt:]),
    )


def ligament_tensions_n(model: PatellofemoralModel, wrench: Wrench) -> dict[str, float]:
    """Each retinaculum's tension (N) in this wrench, by name (MPFL, LPFL, IPB)."""
    return {
        spring.name: float(np.linalg.norm(line.force_n))
        for spring, line in zip(model.extensor.ligaments, wrench.ligaments, strict=True)
    }


def _norm3(v: FloatArray) -> float:
    """np.linalg.norm of a 3-vector, bit for bit (it is sqrt(v . v)), without its overhead."""
    return math.sqrt(float(v @ v))


def _apply_step(T: FloatArray, step: FloatArray) -> FloatArray:
    """Rotate by step[:3] (rad, femur axes, about the patella origin) and translate by step[3:]."""
    angle = float(np.linalg.norm(step[:3]))
    Rd = axis_angle(step[:3] / angle, angle) if angle > 1e-15 else np.eye(3)
    out = np.eye(4)
    out[:3, :3] = Rd @ T[:3, :3]
    out[:3, 3] = T[:3, 3] + step[3:]
    return out


def solve_frame(
    model: PatellofemoralModel,
    T_femur_tibia: FloatArray,
    T_femur_pelvis: FloatArray,
    quadriceps_force_n: float,
    T_init: FloatArray,
    *,
    contact: bool = True,
    max_iterations: int = 60,
    tolerance_fraction: float = CONVERGENCE_FRACTION / 10.0,
    external: ExternalLoad | None = None,
) -> FrameSolution:
    """Find the patella pose where the net force and moment vanish, starting from `T_init`.

    Iterates until the net force is below `tolerance_fraction` of the quadriceps force and the net
    moment below that fraction of quadriceps force x patella height (or no step helps any more);
    the frame counts as converged when both are below CONVERGENCE_FRACTION (1 %), the issue's
    acceptance criterion.
    """
    q = max(float(quadriceps_force_n), 1.0)
    # absolute floors: the interpolated contact field leaves ~0.05 N of noise, below which
    # iterating buys nothing (the acceptance criterion is far looser)
    tol_f = max(tolerance_fraction * q, 0.15)
    tol_m = max(tolerance_fraction * q * model.patella_height_mm, 3.0)
    col = np.array([ROT_SCALE_RAD] * 3 + [1.0] * 3)
    row = np.array([1.0] * 3 + [1.0 / MOMENT_ARM_SCALE_MM] * 3)

    def scaled_residual(w: Wrench) -> FloatArray:
        return np.concatenate([w.force_n, w.moment_nmm]) * row

    T = np.array(T_init, dtype=float)
    # start from a proper rotation: extrapolated warm starts drift off orthonormality and the
    # drift compounds from frame to frame
    T[:3, :3] = nearest_rotation(T[:3, :3])
    T[3] = (0.0, 0.0, 0.0, 1.0)
    # Within one frame the patella moves a millimetre or two, so only contact points within
    # CANDIDATE_MM of the cartilage at the start are tested while iterating; the converged pose is
    # checked with every point (and iteration resumes with a fresh candidate set if that differs).
    candidates: NDArray[np.int64] | None = None

    def pick_candidates(T_: FloatArray) -> NDArray[np.int64] | None:
        if not contact:
            return None
        if kernel.enabled():
            return np.nonzero(kernel.distances(model, T_) < CANDIDATE_MM)[0]
        pts = model.contact.points_mm @ T_[:3, :3].T + T_[:3, 3]
        return np.nonzero(model.grid.distance(pts) < CANDIDATE_MM)[0]

    def ev(T_: FloatArray, full: bool = False) -> Wrench:
        return evaluate(model, T_, T_femur_tibia, T_femur_pelvis, q, contact=contact,
                        subset=None if full else candidates, external=external)

    compiled = contact and external is None and kernel.enabled()
    far = kernel.far_ends(model, T_femur_tibia, T_femur_pelvis) if compiled else None

    def full_and_candidates(T_: FloatArray) -> tuple[Wrench, NDArray[np.int64] | None]:
        """The wrench with every point, and the candidates at T_. One kernel pass gives both
        (its every-point sums equal the candidates' sums: a touching point is a candidate)."""
        if far is not None:
            k = kernel.evaluate(model, T_, far, q, True, None)
            return _wrench_of(model, k), np.nonzero(k.distances_mm < CANDIDATE_MM)[0]
        return ev(T_, full=True), pick_candidates(T_)

    if far is not None:
        w, candidates = full_and_candidates(T)
    else:
        candidates = pick_candidates(T)
        w = ev(T)
    r = scaled_residual(w)
    cost = float(r @ r)
    lam = 1e-6
    iterations = 0
    verified = False
    travel = 0.0  # how far any contact point may have moved since the candidates were picked
    reach = float(np.linalg.norm(model.contact.points_mm, axis=1).max())
    while iterations < max_iterations:
        if _norm3(w.force_n) < tol_f and _norm3(w.moment_nmm) < tol_m:
            if travel < CANDIDATE_MM - 0.5:
                # no point that was farther than CANDIDATE_MM can have reached the cartilage
                verified = True
                break
            w_full, fresh = full_and_candidates(T)
            if (
                _norm3(w_full.force_n) < tol_f
                and _norm3(w_full.moment_nmm) < tol_m
            ):
                w, verified = w_full, True
                break
            candidates = fresh
            travel = 0.0
            w = w_full
            r = scaled_residual(w)
            cost = float(r @ r)
        iterations += 1
        Js = (w.jacobian * row[:, None]) * col[None, :]
        JtJ = Js.T @ Js
        g = Js.T @ r
        accepted = False
        for _ in range(12):
            # Marquardt scaling, with a floor so a direction the Jacobian cannot see (a slack
            # tendon leaves the patella free to slide along the groove) is still damped
            d = np.diag(JtJ)
            A = JtJ + lam * np.diag(np.maximum(d, 1e-3 * d.max() + 1e-12))
            try:
                z = np.linalg.solve(A, -g)
            except np.linalg.LinAlgError:
                lam = max(lam * 10.0, 1e-6)
                continue
            step = z * col
            # keep each step physically small: at most 5 mm and about 0.15 rad
            move = float(np.linalg.norm(step[3:])) + 1e-12
            turn = float(np.linalg.norm(step[:3])) + 1e-12
            scale = min(1.0, 5.0 / move, 0.15 / turn)
            T_new = _apply_step(T, step * scale)
            w_new = ev(T_new)
            r_new = scaled_residual(w_new)
            c_new = float(r_new @ r_new)
            if np.isfinite(c_new) and c_new < cost * (1.0 - MIN_PROGRESS):
                T, w, r, cost = T_new, w_new, r_new, c_new
                travel += scale * (move + turn * reach)
                lam = max(lam / 5.0, 1e-9)
                accepted = True
                break
            lam = max(lam * 8.0, 1e-6)
        if not accepted:
            break
    if not verified:
        w = ev(T, full=True)
    converged = bool(
        _norm3(w.force_n) < CONVERGENCE_FRACTION * q
        and _norm3(w.moment_nmm) < CONVERGENCE_FRACTION * q * model.patella_height_mm
    )
    return FrameSolution(
        T, converged, iterations, float(_norm3(w.force_n)),
        float(_norm3(w.moment_nmm)), q, w,
    )
