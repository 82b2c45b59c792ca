"""Results back to OpenSim: a trajectory as an OpenSim storage file (.sto).

The format OpenSim 4 writes and reads (its STOFileAdapter): a name line, `version=1`,
`nRows=`, `nColumns=` (time included), `inDegrees=yes`, `endheader`, then a tab-separated row of
column labels starting with `time` and one row per frame. The columns are every per-frame measure
of the trajectory in its own unit (angles in degrees, lengths in millimetres, forces in newtons,
pressures in MPa: the unit ends each label, kneeviz's naming rule), flags (converged, dislocated)
as 0/1, a measure a frame does not carry as NaN (written "nan", as OpenSim writes it), and last
`not_solved_reason_code`: why a frame has no measures, as a number (OpenSim's tables hold
numbers only; 0 for a result), the numbers explained in the header
(kneeviz.measure_table.REASON_CODES). OpenSim's plotting and `opensim.TimeSeriesTable(path)` read
it as it is.

kneeviz.trajectory_file writes it for `kneeviz simulate --out x.sto`, atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

SUFFIX = ".sto"


REASON_CODE_COLUMN = "not_solved_reason_code"


def storage_columns(traj: Any) -> list[str]:
    """The columns after time: the measures in kneeviz.measure_table's order, then the reason
    code."""
    from kneeviz.measure_table import all_keys

    return [*(k for k in all_keys() if k != "time_s" and k in traj.values), REASON_CODE_COLUMN]


def storage_text(traj: Any, name: str = "kneeviz", values: Mapping[str, Any] | None = None,
                 reasons: Sequence[str] | None = None) -> str:
    """The whole .sto file as text: `values` (key -> per-frame numbers; default the
    trajectory's) and `reasons` (why each frame has no measures; default none)."""
    from kneeviz.measure_table import OTHER_REASON_CODE, REASON_CODES, reason_code

    values = traj.values if values is None else values
    cols = storage_columns(traj)
    n = len(np.asarray(values["time_s"]))
    codes = [float(reason_code(r)) for r in reasons] if reasons is not None else [0.0] * n
    time = np.asarray(values["time_s"], dtype=float)
    table = np.column_stack([time, *[np.asarray(values[k], dtype=float) for k in cols[:-1]],
                             np.asarray(codes, dtype=float)])
    legend = ", ".join(f"{k} {r or 'a result'}" for k, r in enumerate(REASON_CODES))
    # a measure with no value (NaN) is written "nan", as OpenSim itself writes it
    header = [
        name.replace("\n", " ") or "kneeviz",
        "version=1",
        f"nRows={table.shape[0]}",
        f"nColumns={table.shape[1]}",
        "inDegrees=yes",
        "kneeviz: per-frame results; units are in the column names (_deg, _mm, _n, _mpa, ...); "
        "a frame without a result has nan for its measures",
        f"kneeviz: {REASON_CODE_COLUMN}: {legend}, {OTHER_REASON_CODE} another reason",
        "endheader",
        "\t".join(["time", *cols]),
    ]
    # shortest round-trip form: OpenSim reads back exactly the trajectory's doubles
    rows = ["\t".join(repr(float(v)) for v in row) for row in table]
    return "\n".join([*header, *rows]) + "\n"


__all__ = ["REASON_CODE_COLUMN", "SUFFIX", "storage_columns", "storage_text"]
