"""How each row of the measure table is computed: one function per row, keyed by the row's key.

kneeviz.measure_table says what a measure is (words, unit, format, what it depends on); this
module says how it is computed from what its `depends` promises. The solved trajectory
(kneeviz.simulation), the window's bones-only preview and its early kneecap measures (the app's
squat view) all take their values from here, each asking for the rows whose inputs it has:

    kinematics  the bones' motion alone            (SquatFacts.kin)
    pose        the kneecap's pose in the femur    (SquatFacts.T_femur_patella)
    contact     the solved contact and forces      (SquatFacts.solutions, .model)
    solver      how the solve went                 (SquatFacts.solutions)

A function takes the whole squat's facts and returns one value per frame ((N,) floats), so the
preview's kinematic rows cost microseconds. Whole-squat rows (a dislocation is judged over the
squat) are functions like the others. Every row of the table has a function and every function a
row: this module refuses to load otherwise, so a new measure cannot be half added.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from kneeviz import measure_table
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics import measures
from kneeviz.mechanics.equilibrium import FrameSolution, PatellofemoralModel, ligament_tensions_n
from kneeviz.motion.squat import SquatKinematics

DEPENDS_ORDER = (measure_table.KINEMATICS, measure_table.POSE, measure_table.CONTACT,
                 measure_table.SOLVER)


@dataclass(eq=False)
class SquatFacts:
    """What one squat's measures are computed from. Only the parts the asked rows depend on
    need be given: a bones-only preview has `kin`; early kneecap measures add T_femur_patella
    (and T_world_femur for those frames); the solved squat has everything."""

    anatomy: Anatomy
    kin: SquatKinematics | None = None
    T_femur_patella: FloatArray | None = None
    """(N, 4, 4) kneecap poses in the femur frame."""
    T_world_femur: FloatArray | None = None
    """(N, 4, 4); from kin when not given."""
    solutions: Sequence[FrameSolution] | None = None
    model: PatellofemoralModel | None = None
    body_mass_kg: float = 70.0

    @property
    def n_frames(self) -> int:
        for a in (self.T_femur_patella, self.solutions):
            if a is not None:
                return len(a)
        assert self.kin is not None, "no frames: give kin, poses or solutions"
        return int(self.kin.n_frames)

    def kinematic(self, name: str) -> FloatArray:
        """A per-frame field of the squat kinematics, as floats."""
        assert self.kin is not None, f"{name} needs the squat kinematics"
        return np.asarray(getattr(self.kin, name), dtype=float)

    def per_pose(self, f: Callable[[FloatArray], float]) -> FloatArray:
        """f of each frame's kneecap pose (femur frame)."""
        assert self.T_femur_patella is not None, "a pose measure needs the kneecap's poses"
        return np.array([f(T) for T in self.T_femur_patella], dtype=float)

    @cached_property
    def world_femur(self) -> FloatArray:
        """(N, 4, 4) femur poses in the world: as given, else the kinematics'."""
        T_wf = self.T_world_femur if self.T_world_femur is not None else (
            self.kin.T_world_femur if self.kin is not None else None)
        assert T_wf is not None, "a world measure needs the femur's world poses"
        return np.asarray(T_wf, dtype=float)

    @cached_property
    def T_world_patella(self) -> FloatArray:
        assert self.T_femur_patella is not None, "a pose measure needs the kneecap's poses"
        return self.world_femur @ self.T_femur_patella

    def per_solution(self, f: Callable[[FrameSolution], float]) -> FloatArray:
        assert self.solutions is not None, "a contact or solver measure needs the solve"
        return np.array([f(s) for s in self.solutions], dtype=float)

    @cached_property
    def contact(self) -> list[measures.ContactSummary]:
        """Each frame's contact summary (area, pressures, lateral share, joint force)."""
        assert self.solutions is not None and self.model is not None
        cp = self.model.contact
        lateral = measures.lateral_facet_mask(cp.points_mm, self.anatomy)
        return [measures.contact_summary(s.wrench.pressures_mpa, cp.areas_mm2,
                                         s.wrench.contact_force_n, lateral)
                for s in self.solutions]

    def per_contact(self, f: Callable[[measures.ContactSummary], float]) -> FloatArray:
        return np.array([f(c) for c in self.contact], dtype=float)

    @cached_property
    def tensions_n(self) -> list[dict[str, float]]:
        """Each frame's retinaculum tensions by name (MPFL, LPFL, IPB)."""
        assert self.solutions is not None and self.model is not None
        return [ligament_tensions_n(self.model, s.wrench) for s in self.solutions]

    @property
    def body_weight_n(self) -> float:
        return self.body_mass_kg * measures.GRAVITY_M_S2

    @cached_property
    def converged(self) -> np.ndarray:
        assert self.solutions is not None
        return np.array([s.converged for s in self.solutions], dtype=bool)


Compute = Callable[[SquatFacts], FloatArray]

_COMPUTE: dict[str, Compute] = {
    "time_s": lambda f: f.kinematic("time_s"),
    "knee_flexion_deg": lambda f: f.kinematic("knee_flexion_deg"),
    "hip_driven_rotation_deg": lambda f: f.kinematic("hip_driven_rotation_deg"),
    "femur_rotation_world_deg": lambda f: f.kinematic("femur_rotation_world_deg"),
    "patella_rotation_world_deg": lambda f: np.array(
        [measures.world_rotation_deg(T) for T in f.T_world_patella], dtype=float),
    "patella_flexion_deg": lambda f: f.per_pose(measures.patella_flexion_deg),
    "patella_lateral_tilt_deg": lambda f: f.per_pose(
        lambda T: measures.lateral_tilt_deg(T, f.anatomy)),
    "patella_lateral_shift_mm": lambda f: f.per_pose(
        lambda T: measures.lateral_shift_mm(T, f.anatomy)),
    "bisect_offset_pct": lambda f: f.per_pose(
        lambda T: measures.bisect_offset_pct(T, f.anatomy)),
    "contact_area_mm2": lambda f: f.per_contact(lambda c: c.contact_area_mm2),
    "mean_pressure_mpa": lambda f: f.per_contact(lambda c: c.mean_pressure_mpa),
    "peak_pressure_mpa": lambda f: f.per_contact(lambda c: c.peak_pressure_mpa),
    "lateral_force_fraction": lambda f: f.per_contact(lambda c: c.lateral_force_fraction),
    "quadriceps_force_n": lambda f: f.per_solution(lambda s: s.quadriceps_force_n),
    "quadriceps_force_bw": lambda f: f.per_solution(
        lambda s: s.quadriceps_force_n / f.body_weight_n),
    "patellar_tendon_force_n": lambda f: f.per_solution(lambda s: s.wrench.tendon_tension_n),
    "pfjrf_n": lambda f: f.per_contact(lambda c: c.pfjrf_n),
    "pfjrf_bw": lambda f: f.per_contact(lambda c: c.pfjrf_n / f.body_weight_n),
    "residual_n": lambda f: f.per_solution(lambda s: s.residual_force_n),
    "iterations": lambda f: f.per_solution(lambda s: float(s.iterations)),
    "residual_moment_nmm": lambda f: f.per_solution(lambda s: s.residual_moment_nmm),
    "hip_driven_adduction_deg": lambda f: f.kinematic("hip_driven_adduction_deg"),
    "converged": lambda f: f.converged.astype(float),
    "mpfl_tension_n": lambda f: np.array([t.get("MPFL", 0.0) for t in f.tensions_n]),
    "lateral_retinaculum_tension_n": lambda f: np.array(
        [t.get("IPB", 0.0) + t.get("LPFL", 0.0) for t in f.tensions_n]),
    "tt_tg_mm": lambda f: f.kinematic("tt_tg_mm"),
    "femur_turn_under_kneecap_deg": lambda f: np.array(
        [measures.world_rotation_deg(F) - measures.world_rotation_deg(P)
         for F, P in zip(f.world_femur, f.T_world_patella, strict=True)], dtype=float),
    "dislocated": lambda f: measures.dislocated_frames(
        f.per_pose(lambda T: measures.bisect_offset_pct(T, f.anatomy)),
        f.converged).astype(float),
}
"""Row key -> its computation."""

WHOLE_SQUAT = frozenset({"dislocated"})
"""Rows judged over the whole solved squat (not one frame by itself): a preview of some frames
leaves them out."""


def _check_every_row_has_a_computation() -> None:
    rows, funcs = set(measure_table.all_keys()), set(_COMPUTE)
    if rows != funcs:
        raise RuntimeError("kneeviz.measure_table and kneeviz.mechanics.frame_measures disagree: "
                           f"rows without a computation {sorted(rows - funcs)}, computations "
                           f"without a row {sorted(funcs - rows)}")


_check_every_row_has_a_computation()


def values(facts: SquatFacts, depends: Sequence[str] = DEPENDS_ORDER, *,
           whole_squat: bool = True) -> dict[str, FloatArray]:
    """Each row whose `depends` is in `depends` -> its (N,) values, in the table's order.
    `whole_squat` False leaves out the rows judged over the whole squat."""
    _check_every_row_has_a_computation()
    out: dict[str, FloatArray] = {}
    for m in measure_table.measures():
        if m.depends in depends and (whole_squat or m.key not in WHOLE_SQUAT):
            out[m.key] = np.asarray(_COMPUTE[m.key](facts), dtype=float)
    return out


@contextlib.contextmanager
def added(measure: measure_table.Measure, compute: Compute) -> Iterator[measure_table.Measure]:
    """A measure row and its computation, for the duration of the block (the tests' way to prove
    that a new measure reaches every file and view without any list written by hand)."""
    with measure_table.added(measure):
        _COMPUTE[measure.key] = compute
        try:
            yield measure
        finally:
            del _COMPUTE[measure.key]
