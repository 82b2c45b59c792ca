"""Results back to OpenSim: a trajectory as an OpenSim storage file (.sto).

The format OpenSim 4 writes and reads (its STOFileAdapter): a name line, `version=1`,
`nRows=`, `nColumns=` (time included), `inDegrees=yes`, `endheader`, then a tab-separated row of
column labels starting with `time` and one row per frame. The columns are every per-frame measure
of the trajectory in its own unit (angles in degrees, lengths in millimetres, forces in newtons,
pressures in MPa: the unit ends each label, kneeviz's naming rule), flags (converged, dislocated)
as 0/1. OpenSim's plotting and `opensim.TimeSeriesTable(path)` read it as it is.

kneeviz.trajectory_file writes it for `kneeviz simulate --out x.sto`, atomically.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SUFFIX = ".sto"


def storage_columns(traj: Any) -> list[str]:
    """The measure columns after time, in kneeviz.measure_table's order."""
    from kneeviz.measure_table import all_keys

    return [k for k in all_keys() if k != "time_s" and k in traj.values]


def storage_text(traj: Any, name: str = "kneeviz") -> str:
    """The whole .sto file as text."""
    cols = storage_columns(traj)
    time = np.asarray(traj.values["time_s"], dtype=float)
    table = np.column_stack([time, *[np.asarray(traj.values[k], dtype=float) for k in cols]])
    # a measure with no value (NaN) is written "nan", as OpenSim itself writes it
    header = [
        name.replace("\n", " ") or "kneeviz",
        "version=1",
        f"nRows={table.shape[0]}",
        f"nColumns={table.shape[1]}",
        "inDegrees=yes",
        "kneeviz: per-frame results; units are in the column names (_deg, _mm, _n, _mpa, ...)",
        "endheader",
        "\t".join(["time", *cols]),
    ]
    # shortest round-trip form: OpenSim reads back exactly the trajectory's doubles
    rows = ["\t".join(repr(float(v)) for v in row) for row in table]
    return "\n".join([*header, *rows]) + "\n"


__all__ = ["SUFFIX", "storage_columns", "storage_text"]
