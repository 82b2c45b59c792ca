"""What a study's worker process does: load a knee once, then solve run after run.

Every function here runs in a worker (a local process or a dask.distributed worker) and returns
plain data, so the same code serves both (kneeviz.study.runner). A knee is loaded by
`load_knee_task` the first time one of the worker's runs needs it: its meshes, landmarks and
contact distance grid (the grid read from, or built into, kneeviz's cache once per machine, then
kept in the worker's memory: kneeviz.mechanics.contact) are never shipped with a run; a run carries
only its knee's name or files and its scenario. A worker that replaces a killed one loads its
knees again the same way.

A run's outcome is one of (STATUSES): "solved"; "not converged" (too few frames found a balance
of forces to be a result: kneeviz.result_check); "failed check" (a solved squat that fails its
physical self-check); "refused" (the knee or the scenario was refused, with kneeviz's one-line
reason); "error" (anything else, with the exception's type and message: a bug to report).
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.knee_spec import KneeSpec
from kneeviz.errors import KneevizError
from kneeviz.study.design import Run
from kneeviz.study.summary import summarise

SOLVED, NOT_CONVERGED, FAILED_CHECK, REFUSED, ERROR = (
    "solved", "not converged", "failed check", "refused", "error")
STATUSES = (SOLVED, NOT_CONVERGED, FAILED_CHECK, REFUSED, ERROR)
KNEES_KEPT = 4
"""Knees a worker keeps loaded (a population study's runs come knee by knee)."""

_knees: dict[KneeSpec, Anatomy] = {}


def quiet_worker() -> None:
    """A local worker ignores Ctrl-C: the terminal sends it to the whole process group, and the
    study's own process stops the workers cleanly (an interrupted worker printed a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def load_knee_task(knee: KneeSpec) -> Anatomy:
    """The worker's knee `knee`, loaded (with its distance grid) the first time it is asked for."""
    held = _knees.get(knee)
    if held is not None:
        return held
    from kneeviz.anatomy.loader import load_knee
    from kneeviz.mechanics.contact import load_or_build_grid

    anatomy = load_knee(knee)
    load_or_build_grid(anatomy.femur_cartilage, anatomy.femur)
    _knees[knee] = anatomy
    while len(_knees) > KNEES_KEPT:
        _knees.pop(next(iter(_knees)))
    return anatomy


def self_check_problem(traj: Any, anatomy: Anatomy) -> str | None:
    """Why a balanced squat fails its physical self-check (kneeviz.result_check.self_check: bones
    passing into each other, a kneecap that does not flex with the knee, ...), or None."""
    from kneeviz.result_check import self_check

    return self_check(traj, anatomy).problem


def solve_run(run: Run, per_frame: bool = False) -> dict[str, Any]:
    """Solve one run; its outcome as plain data: the run's key, status, reason, seconds, frame
    counts and summary figures (kneeviz.study.summary), with every frame's values under "frames"
    when `per_frame`."""
    t0 = time.perf_counter()
    out: dict[str, Any] = {"run": run.key, "status": SOLVED, "reason": "",
                           "worker": f"{os.uname().nodename}:{os.getpid()}"}
    try:
        from kneeviz import result_check
        from kneeviz.simulation import simulate

        anatomy = load_knee_task(run.knee)
        traj = simulate(anatomy, run.scenario)
    except KneevizError as exc:
        out.update(status=REFUSED, reason=str(exc))
    except Exception as exc:  # a bug: recorded with the run, the study goes on
        out.update(status=ERROR, reason=f"{type(exc).__name__}: {exc}")
    else:
        converged = np.asarray(traj.converged, dtype=bool)
        out["n_frames"] = int(converged.size)
        out["frames_converged"] = int(converged.sum())
        out["dislocated_frames"] = int(np.count_nonzero(traj["dislocated"]))
        problem = result_check.result_problem(traj)
        if problem is not None:
            out.update(status=NOT_CONVERGED, reason=problem)
        else:
            check = self_check_problem(traj, anatomy)
            if check is not None:
                out.update(status=FAILED_CHECK, reason=check)
            else:
                out.update(summarise(traj.values, result_check.result_frames(traj)))
                if out["frames_converged"] < out["n_frames"]:
                    out["reason"] = (f"{out['n_frames'] - out['frames_converged']} of "
                                     f"{out['n_frames']} frames did not balance (left out)")
        if per_frame:  # as the trajectory files write them: no number where no result
            from kneeviz.trajectory_file import reported_values

            out["frames"] = {k: v.tolist() for k, v in reported_values(traj).items()}
    out["seconds"] = time.perf_counter() - t0
    return out
