"""Is a solved squat a result? One rule for every output (simulate --out, render, the app's export).

A frame whose solve did not converge keeps its best pose, flagged; a few such frames in a squat
are honest results. A run in which no frame, or fewer than half, converged is not: the knee was
not a knee (bones not assembled, a folded or non-manifold surface, a precision loss) and any file
written from it would be a wrong answer with exit 0. Frames after the kneecap dislocated are a
result (the dislocation is the finding) and count as such. No Qt here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kneeviz.errors import KneevizError

MIN_RESULT_FRACTION = 0.5
"""At least this fraction of frames must have converged (or be past a dislocation)."""


def result_problem(traj: Any) -> str | None:
    """Why `traj` is not a result, in words; None when it is."""
    converged = np.asarray(traj.converged, dtype=bool)
    n = int(converged.size)
    if n == 0:
        return "the squat has no frames"
    try:
        dislocated = np.asarray(traj["dislocated"], dtype=float) > 0.5
    except (KeyError, TypeError):
        dislocated = np.zeros(n, dtype=bool)
    ok = converged | dislocated
    n_ok = int(ok.sum())
    if n_ok >= MIN_RESULT_FRACTION * n and int(converged.sum()) > 0:
        return None
    return (f"only {int(converged.sum())} of {n} frames converged (the kneecap found no balance "
            "of forces in the rest), so there is no result to write: check that the femur, "
            "patella and tibia are whole, closed bone surfaces from one scan (kneeviz "
            "check-mesh shows what was found in each)")


def check_result(traj: Any, output: str | None = None) -> None:
    """Raise a KneevizError (naming `output`, which is then not written) when `traj` is not a
    result; see the module docstring."""
    problem = result_problem(traj)
    if problem is not None:
        name = getattr(traj, "meta", {}).get("knee") if hasattr(traj, "meta") else None
        knee = f"the knee {name!r}: " if isinstance(name, str) and name else ""
        raise KneevizError(f"not written: {knee}{problem}", output)
