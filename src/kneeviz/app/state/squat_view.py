"""The ONE adapter between the model's results and the app: everything the window shows of a squat.

The app never reads SquatKinematics or Trajectory fields directly; it reads a SquatView made here.
If simulation.py renames a field, only this module changes. No Qt here (the benchmark and the
offscreen renderer use it too).

Two sources:
- `view_from_kinematics`: the bones from the squat kinematics alone (instant). The patella rides
  with the femur at a given relative pose (the previous solution's, or a plausible resting pose),
  and the mechanics measures are NaN (shown as "-") until the solve lands.
- `view_from_trajectory`: a solved Trajectory (kneeviz.simulation): the patella in equilibrium
  and every clinical measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kneeviz import measure_table
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics import frame_measures
from kneeviz.scenario import Scenario


@dataclass(frozen=True, eq=False)
class SquatView:
    """One squat as the window shows it: N frames of bone poses and measures."""

    scenario: Scenario
    time_s: FloatArray
    T_world: dict[str, FloatArray]
    """Bone name ("pelvis", "femur", "tibia", "patella") -> (N, 4, 4) world poses (model coords)."""
    T_femur_patella: FloatArray
    measures: dict[str, FloatArray]
    """Measure table key -> (N,) values; NaN where not known (kinematics only)."""
    solved: bool
    """True when the patella comes from the equilibrium solve (not carried with the femur)."""
    patella_pressure_mpa: FloatArray | None = None
    converged: np.ndarray | None = None
    not_solved: dict[int, str] | None = None
    """A recording's frames the model cannot answer -> why (kneeviz.motion.from_recording)."""
    trajectory: Any = None
    """The solved kneeviz.simulation.Trajectory this view shows (None for a preview), so that
    exports write what is on screen without solving again."""

    @property
    def recorded(self) -> bool:
        """A recorded motion (not the synthetic squat): plots show all of it, not the descent."""
        return bool(getattr(self.scenario, "motion_path", ""))

    @property
    def n_frames(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def dislocated(self) -> np.ndarray:
        """Frames at or after the kneecap came off its groove, as the solve flagged them (all
        False until solved): their kneecap numbers are not results."""
        d = self.measures.get("dislocated")
        if not self.solved or d is None:
            return np.zeros(self.n_frames, dtype=bool)
        return np.nan_to_num(np.asarray(d, dtype=float)) > 0.5

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1]) if self.n_frames else 0.0

    def poses(self, i: int) -> dict[str, FloatArray]:
        """World poses of every bone at frame i."""
        return {bone: T[i] for bone, T in self.T_world.items()}

    def value(self, key: str, i: int) -> float:
        return float(self.measures[key][i])

    def frame_at_time(self, t_s: float) -> int:
        """The frame at (or just before) time t."""
        i = int(np.searchsorted(self.time_s, t_s, side="right")) - 1
        return min(max(i, 0), self.n_frames - 1)


def view_from_kinematics(
    kin: Any, scenario: Scenario, T_femur_patella: FloatArray, anatomy: Anatomy
) -> SquatView:
    """Bones from SquatKinematics; the patella at T_femur_patella ((4,4) or (N,4,4)) relative to
    the femur; of the measures only the bones' own (the table's kinematic rows)."""
    n = int(kin.n_frames)
    T_fp = np.asarray(T_femur_patella, dtype=float)
    if T_fp.ndim == 2:
        T_fp = np.broadcast_to(T_fp, (n, 4, 4)).copy()
    nan = np.full(n, np.nan)
    measures = {k: nan for k in measure_table.all_keys()}
    measures.update(frame_measures.values(  # the bones' own numbers, known at once
        frame_measures.SquatFacts(anatomy, kin=kin), (measure_table.KINEMATICS,)))
    T_wf = np.asarray(kin.T_world_femur, dtype=float)
    return SquatView(
        scenario=scenario,
        time_s=np.asarray(kin.time_s, dtype=float),
        T_world={
            "pelvis": np.asarray(kin.T_world_pelvis, dtype=float),
            "femur": T_wf,
            "tibia": np.asarray(kin.T_world_tibia, dtype=float),
            "patella": T_wf @ T_fp,
        },
        T_femur_patella=T_fp,
        measures=measures,
        solved=False,
        not_solved={i: r for i, r in enumerate(getattr(kin, "not_solvable", ())) if r} or None,
    )


def view_from_trajectory(traj: Any) -> SquatView:
    """A solved kneeviz.simulation.Trajectory."""
    values = traj.values
    return SquatView(
        scenario=traj.scenario,
        time_s=np.asarray(values["time_s"], dtype=float),
        T_world={
            "pelvis": np.asarray(traj.T_world_pelvis, dtype=float),
            "femur": np.asarray(traj.T_world_femur, dtype=float),
            "tibia": np.asarray(traj.T_world_tibia, dtype=float),
            "patella": np.asarray(traj.T_world_patella, dtype=float),
        },
        T_femur_patella=np.asarray(traj.T_femur_patella, dtype=float),
        measures={k: np.asarray(values[k], dtype=float) for k in measure_table.all_keys()},
        solved=True,
        patella_pressure_mpa=np.asarray(traj.patella_pressure_mpa),
        converged=np.asarray(traj.converged, dtype=bool),
        not_solved={int(k): str(v) for k, v in traj.meta.get("not_solved", {}).items()} or None,
        trajectory=traj,
    )


def kinematics(anatomy: Anatomy, scenario: Scenario) -> Any:
    """The squat kinematics (fast: milliseconds): the synthetic squat's or a recording's."""
    from kneeviz.motion.from_recording import scenario_kinematics

    return scenario_kinematics(anatomy, scenario)


def simulate(anatomy: Anatomy, scenario: Scenario, kin: Any = None, on_frame: Any = None) -> Any:
    """The full equilibrium solve (seconds): kneeviz.simulation.simulate."""
    from kneeviz.simulation import simulate as _simulate

    return _simulate(anatomy, scenario, kinematics=kin, on_frame=on_frame)


def slice_kinematics(kin: Any, frames: Any) -> Any:
    """The same squat kinematics restricted to some frames (every per-frame array sliced)."""
    import dataclasses

    idx = np.asarray(frames, dtype=int)
    n = int(kin.n_frames)
    changes = {}
    for f in dataclasses.fields(kin):
        v = getattr(kin, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == n:
            changes[f.name] = v[idx]
        elif isinstance(v, tuple) and len(v) == n and n:  # per-frame reasons (a recording)
            changes[f.name] = tuple(v[int(k)] for k in idx)
    return dataclasses.replace(kin, **changes)


def solution_pose(frame_solution: Any) -> FloatArray:
    """The patella pose (femur frame) of one solved frame (simulation's on_frame payload)."""
    return np.asarray(frame_solution.T_femur_patella, dtype=float)


def merge_solved(base: SquatView, part: SquatView, frames: Any) -> SquatView:
    """`base` with the listed frames replaced by `part`'s (solved) frames, in order."""
    idx = np.asarray(frames, dtype=int)
    T_fp = base.T_femur_patella.copy()
    T_fp[idx] = part.T_femur_patella
    measures = {k: v.copy() for k, v in base.measures.items()}
    for k in measure_table.all_keys():
        measures[k][idx] = part.measures[k]
    return _with(base, T_fp, measures)


def with_patella_poses(
    base: SquatView, anatomy: Anatomy, frames: Any, T_femur_patella: Any
) -> SquatView:
    """`base` with solved patella poses at some frames and the measures of the kneecap's pose
    (the table's pose rows, but those judged over the whole squat) taken from them; contact
    measures wait for the full solve."""
    idx = np.asarray(frames, dtype=int)
    T_new = np.asarray(T_femur_patella, dtype=float).reshape(-1, 4, 4)
    T_fp = base.T_femur_patella.copy()
    T_fp[idx] = T_new
    measures = {k: v.copy() for k, v in base.measures.items()}
    early = frame_measures.values(
        frame_measures.SquatFacts(anatomy, T_femur_patella=T_new,
                                  T_world_femur=base.T_world["femur"][idx]),
        (measure_table.POSE,), whole_squat=False)
    for k, v in early.items():
        measures[k][idx] = v
    return _with(base, T_fp, measures)


def _with(base: SquatView, T_fp: FloatArray, measures: dict[str, FloatArray]) -> SquatView:
    T_world = dict(base.T_world)
    T_world["patella"] = T_world["femur"] @ T_fp
    return SquatView(
        scenario=base.scenario, time_s=base.time_s, T_world=T_world, T_femur_patella=T_fp,
        measures=measures, solved=False, not_solved=base.not_solved,
    )
