"""`simulate(anatomy, scenario) -> Trajectory`: the single entry point from a knee and a squat to
every frame's patella pose, contact and clinical measures.

Per frame: the squat kinematics (kneeviz.motion) pose the femur, tibia and pelvis; the quadriceps
force comes from the knee extensor moment the squat needs (kneeviz.mechanics.loads); the patella is
solved for equilibrium (kneeviz.mechanics.equilibrium), warm-started from the previous frame; the
measures of kneeviz.mechanics.measures are taken from the solved pose. A frame that does not
converge keeps its best finite pose and is flagged (`converged` False): never NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from kneeviz import measure_table
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics import frame_measures, loads, measures
from kneeviz.mechanics.equilibrium import (
    FrameSolution,
    PatellofemoralModel,
    build_model,
    evaluate,
    solve_frame,
    tendon_seated_pose,
)
from kneeviz.motion.from_recording import scenario_kinematics
from kneeviz.motion.squat import SquatKinematics
from kneeviz.scenario import Scenario, tissue_setting
from kneeviz.transforms import invert

if TYPE_CHECKING:  # imported where a squat is assembled: `kneeviz simulate` starts sooner
    from kneeviz.mechanics.pressure_map import FemoralPressureMap



@dataclass(frozen=True, eq=False)
class Trajectory:
    """Every frame of one simulated squat. Scalars are (N,) arrays keyed by the measure table's
    keys in `values` (computed by kneeviz.mechanics.frame_measures); poses (N, 4, 4); pressures
    per cartilage vertex (N, V) in MPa."""

    scenario: Scenario
    knee_name: str
    values: dict[str, FloatArray]
    converged: np.ndarray
    T_femur_patella: FloatArray
    T_world_patella: FloatArray
    T_world_femur: FloatArray
    T_world_tibia: FloatArray
    T_world_pelvis: FloatArray
    patella_pressure_mpa: NDArray[np.float32]
    """(N, patellar cartilage vertices)."""
    femur_pressure_mpa: FemoralPressureMap
    """(N, femoral cartilage vertices): each contacting patellar point's pressure painted on the
    femoral vertices within 1.5 mm of it, for a frame when it is indexed (pressure_map)."""
    n_contact_points: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return int(self.converged.shape[0])

    def __getitem__(self, key: str) -> FloatArray:
        return self.values[key]

    def frame(self, i: int) -> dict[str, Any]:
        """One frame as plain Python types (the measure table's kinds), in the table's order."""
        return {m.key: measure_table.plain(m, self.values[m.key][i])
                for m in measure_table.measures()}

    def frames(self) -> list[dict[str, Any]]:
        return [self.frame(i) for i in range(self.n_frames)]


ModelKey = tuple[str, tuple[tuple[str, float], ...]]
_MODEL_CACHE: dict[ModelKey, PatellofemoralModel] = {}


def model_key(anatomy: Anatomy, scenario: Scenario) -> ModelKey:
    """What a mechanics model is built from: the knee and every tissue parameter's value (the
    parameters declared Affects.TISSUE: kneeviz.scenario.tissue_setting). A new tissue parameter
    is in the key by its declaration; a hand-written key once left one out, and a cached model
    built with the old value answered silently."""
    return (anatomy.key(), tissue_setting(scenario))


def solved_model(anatomy: Anatomy, scenario: Scenario) -> PatellofemoralModel | None:
    """The mechanics model a solve of this knee and scenario used, if one ran in this process:
    the scene draws the lines of pull of the model that was solved, not a model of its own."""
    return _MODEL_CACHE.get(model_key(anatomy, scenario))


def model_for(anatomy: Anatomy, scenario: Scenario) -> PatellofemoralModel:
    """The mechanics model of this knee for this scenario's tissue parameters (kept in memory, so
    changing only the hip parameters re-solves without rebuilding; the grid is cached on disk)."""
    key = model_key(anatomy, scenario)
    m = _MODEL_CACHE.get(key)
    if m is None:
        m = build_model(anatomy, tissue=dict(key[1]))
        if len(_MODEL_CACHE) > 8:
            _MODEL_CACHE.clear()
        _MODEL_CACHE[key] = m
    return m


def solve_poses(
    model: PatellofemoralModel,
    T_femur_tibia: FloatArray,
    T_femur_pelvis: FloatArray,
    extensor_moment_nmm: FloatArray,
    body_mass_kg: float,
    *,
    on_frame: Callable[[int, FrameSolution], None] | None = None,
    off_groove: Callable[[FloatArray], bool] | None = None,
    skip: Sequence[bool] | None = None,
) -> list[FrameSolution]:
    """Solve a sequence of frames, each warm-started from the previous one.

    `skip[i]` True: frame i is one the model cannot answer (a recorded foot off the ground, see
    kneeviz.motion.from_recording); it is evaluated once at the last solved pose and flagged
    unconverged, and the next frame starts from the last solved one.

    `off_groove(T_femur_patella)` says whether a balanced pose has the kneecap off its groove (a
    dislocation). From such a frame on no pose is a result (measures.dislocated_frames), so the
    remaining frames are not solved: each is evaluated once at that pose and flagged unconverged.
    Solving them took 20-40 s beyond the severe preset for nothing a user may read.

    The quadriceps force of a frame is its extensor moment over the effective extensor moment arm of
    the previous frame (refined once on the first frame, where there is no previous one).
    """
    out: list[FrameSolution] = []
    arm = loads.DEFAULT_EXTENSOR_MOMENT_ARM_MM
    dislocated_at: FloatArray | None = None
    good: list[tuple[int, FloatArray]] = []  # the last converged frames (index, pose)
    for i in range(len(T_femur_tibia)):
        skipped = skip is not None and bool(skip[i])
        if dislocated_at is not None or skipped:
            held = dislocated_at if dislocated_at is not None else (
                good[-1][1] if good else model.T_femur_patella_ref)
            q = loads.quadriceps_force_n(float(extensor_moment_nmm[i]), arm, body_mass_kg)
            w = evaluate(model, held, T_femur_tibia[i], T_femur_pelvis[i], q)
            sol = FrameSolution(held, False, 0, float(np.linalg.norm(w.force_n)),
                                float(np.linalg.norm(w.moment_nmm)), q, w)
            out.append(sol)
            if on_frame is not None:
                on_frame(i, sol)
            continue
        starts = []
        if len(good) == 2 and good[0][0] == i - 2 and good[1][0] == i - 1:
            # constant-velocity predictor in the femur frame: the patella keeps moving as it did
            T0, T1 = good[0][1], good[1][1]
            starts.append(T1 @ invert(T0) @ T1)
        if good:
            starts.append(good[-1][1])
            # near a fold (the patella about to snap into or out of the groove) the branch it was
            # on ends: look for the other one on either side
            for dz in (-2.0, 2.0):
                shifted = good[-1][1].copy()
                shifted[2, 3] += dz
                starts.append(shifted)
        starts.append(model.T_femur_patella_ref)
        if not good:
            # no solved frame to start from: also start with the tendon just taut for this
            # frame's tibia (the reference pose has it taut only for the standing tibia)
            starts.append(
                tendon_seated_pose(
                    model.T_femur_patella_ref, T_femur_tibia[i], model.grid, model.contact,
                    model.extensor,
                )
            )
        # after a frame that did not settle (a kneecap off its groove) the long searches rarely
        # help, and a run of such frames would keep the app busy for tens of seconds
        stalled = bool(out) and not out[-1].converged
        for _ in range(2 if i == 0 else 1):
            q = loads.quadriceps_force_n(float(extensor_moment_nmm[i]), arm, body_mass_kg)
            best: FrameSolution | None = None
            for k, start in enumerate(starts):
                sol = solve_frame(
                    model, T_femur_tibia[i], T_femur_pelvis[i], q, start,
                    max_iterations=60 if (k == 0 or stalled) else 150,
                )
                if best is None or sol.residual_force_n < best.residual_force_n:
                    best = sol
                if sol.converged:
                    best = sol
                    break
            assert best is not None
            if not best.converged and good and good[-1][0] == i - 1:
                # continuation: walk from the last solved frame in small steps
                sub = _substeps(model, T_femur_tibia, T_femur_pelvis, i, q, good[-1][1])
                if sub.converged or sub.residual_force_n < best.residual_force_n:
                    best = sub
            sol = best
            if sol.converged:
                w = sol.wrench
                new_arm = loads.effective_moment_arm_mm(
                    [t.point_mm for t in w.tendons], [t.force_n for t in w.tendons],
                    sol.quadriceps_force_n,
                )
                if np.isfinite(new_arm) and new_arm > 5.0:
                    arm = new_arm
        if sol.converged:
            good = [*good[-1:], (i, sol.T_femur_patella)]
            if off_groove is not None and off_groove(sol.T_femur_patella):
                dislocated_at = sol.T_femur_patella
        out.append(sol)
        if on_frame is not None:
            on_frame(i, sol)
    return out


def _interpolate(T0: FloatArray, T1: FloatArray, u: float) -> FloatArray:
    """A pose a fraction u of the way from T0 to T1 (rotation along the shortest arc)."""
    R = Rotation.from_matrix(T1[:3, :3] @ T0[:3, :3].T).as_rotvec()
    out = np.eye(4)
    out[:3, :3] = Rotation.from_rotvec(u * R).as_matrix() @ T0[:3, :3]
    out[:3, 3] = (1.0 - u) * T0[:3, 3] + u * T1[:3, 3]
    return out


def _substeps(
    model: PatellofemoralModel,
    T_femur_tibia: FloatArray,
    T_femur_pelvis: FloatArray,
    i: int,
    q: float,
    start: FloatArray,
    n: int = 6,
) -> FrameSolution:
    T = start
    sol: FrameSolution | None = None
    for k in range(1, n + 1):
        u = k / n
        sol = solve_frame(
            model,
            _interpolate(T_femur_tibia[i - 1], T_femur_tibia[i], u),
            _interpolate(T_femur_pelvis[i - 1], T_femur_pelvis[i], u),
            q,
            T,
            max_iterations=80,
        )
        T = sol.T_femur_patella
    assert sol is not None
    return sol


def simulate(
    anatomy: Anatomy,
    scenario: Scenario,
    *,
    kinematics: SquatKinematics | None = None,
    on_frame: Callable[[int, FrameSolution], None] | None = None,
) -> Trajectory:
    """Simulate the squat `scenario` on the knee `anatomy` (see the module docstring)."""
    scenario.validate()
    kin = kinematics if kinematics is not None else scenario_kinematics(anatomy, scenario)
    model = model_for(anatomy, scenario)
    n = kin.n_frames
    T_femur_world = invert(kin.T_world_femur)
    T_femur_pelvis = T_femur_world @ kin.T_world_pelvis
    moments = np.array(
        [
            loads.extensor_moment_nmm(
                kin.knee_centre_world_mm[i], kin.ankle_centre_world_mm[i], scenario.body_mass_kg,
                legs=kin.legs_loaded,
            )
            for i in range(n)
        ]
    )
    def off_groove(T: FloatArray) -> bool:
        return not 0.0 <= measures.bisect_offset_pct(T, anatomy) <= (
            measures.DISLOCATED_BISECT_OFFSET_PCT
        )

    sols = solve_poses(
        model, kin.T_femur_tibia, T_femur_pelvis, moments, scenario.body_mass_kg,
        on_frame=on_frame, off_groove=off_groove,
        skip=[bool(r) for r in kin.not_solvable] if kin.not_solvable else None,
    )
    return assemble_trajectory(anatomy, scenario, model, kin, sols)


def _pressure_map(anatomy: Anatomy, contacts: list[tuple[FloatArray, FloatArray]]
                  ) -> FemoralPressureMap:
    from kneeviz.mechanics.pressure_map import FemoralPressureMap

    return FemoralPressureMap(anatomy.femur_cartilage.vertices_mm, contacts)


def _withheld_by_the_model(anatomy: Anatomy, values: dict[str, FloatArray],
                           converged: NDArray[np.bool_], skipped: dict[str, str]
                           ) -> dict[str, str]:
    """Solved frames whose numbers are not results, with their reasons (kneeviz.measure_table):
    where the kneecap balances two ways (self_check.two_balance_frames) and, for a completed
    knee, where its scan does not decide the kneecap's place (completion_check)."""
    from kneeviz.anatomy.completion_check import undetermined_frames
    from kneeviz.mechanics.self_check import two_balance_frames

    n = len(converged)
    ok = np.asarray(converged, dtype=bool) & ~(np.nan_to_num(values["dislocated"]) > 0.5)
    ok[[int(k) for k in skipped if 0 <= int(k) < n]] = False
    kf = values["knee_flexion_deg"]
    tilt, shift = values["patella_lateral_tilt_deg"], values["patella_lateral_shift_mm"]
    posture = (values["hip_driven_rotation_deg"], values["hip_driven_adduction_deg"])
    out: dict[str, str] = {}
    if anatomy.completion is not None:
        for i in np.nonzero(undetermined_frames(kf, tilt, shift, solved=ok))[0]:
            out[str(int(i))] = (f"{measure_table.NOT_DECIDED_BY_SCAN}: the estimated hip and "
                                "ankle leave this frame's kneecap undecided")
    for i in np.nonzero(two_balance_frames(kf, tilt, shift, posture, ok))[0]:
        out.setdefault(str(int(i)), f"{measure_table.TWO_BALANCES}: the kneecap balances "
                                    "another way coming up than going down here")
    return out


def assemble_trajectory(
    anatomy: Anatomy,
    scenario: Scenario,
    model: PatellofemoralModel,
    kin: SquatKinematics,
    sols: list[FrameSolution],
) -> Trajectory:
    """Measures, world poses and per-vertex pressures of solved frames."""
    n = len(sols)
    cp = model.contact
    T_fp = np.stack([s.T_femur_patella for s in sols])
    T_wp = kin.T_world_femur @ T_fp
    n_pat = anatomy.patella_cartilage.n_vertices
    pat_p = np.zeros((n, n_pat), dtype=np.float32)
    contacts: list[tuple[FloatArray, FloatArray]] = []  # painted on demand (pressure_map)
    has_vertex = cp.vertex_of >= 0
    for i, s in enumerate(sols):
        w = s.wrench
        pat_p[i, has_vertex] = w.pressures_mpa[cp.vertex_of[has_vertex]]
        active = np.nonzero(w.pressures_mpa > 0)[0]
        contacts.append((w.points_femur_mm[active], w.pressures_mpa[active]))
    converged = np.array([s.converged for s in sols], dtype=bool)
    values = frame_measures.values(frame_measures.SquatFacts(
        anatomy, kin=kin, T_femur_patella=T_fp, solutions=sols, model=model,
        body_mass_kg=scenario.body_mass_kg))
    meta = {
        "scenario": scenario.to_dict(),
        "knee": anatomy.name,
        "side": anatomy.side,
        "n_contact_points": int(len(cp.points_mm)),
        "frames_converged": int(converged.sum()),
        "n_frames": n,
    }
    withheld = {str(i): r for i, r in enumerate(kin.not_solvable) if r}
    withheld.update(_withheld_by_the_model(anatomy, values, converged, withheld))
    if withheld:
        meta["not_solved"] = withheld
    return Trajectory(
        scenario=scenario,
        knee_name=anatomy.name,
        values=values,
        converged=converged,
        T_femur_patella=T_fp,
        T_world_patella=T_wp,
        T_world_femur=kin.T_world_femur,
        T_world_tibia=kin.T_world_tibia,
        T_world_pelvis=kin.T_world_pelvis,
        patella_pressure_mpa=pat_p,
        femur_pressure_mpa=_pressure_map(anatomy, contacts),
        n_contact_points=int(len(cp.points_mm)),
        meta=meta,
    )
