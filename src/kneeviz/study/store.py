"""Where a study's results live: one small file per finished run, gathered into one tidy table.

Every run is written the moment it finishes, as its own Parquet file named by its key (a hash of
its inputs: kneeviz.study.design.Run.key) in a folder beside the study's output
(`results.parquet` -> `results.parquet.runs/`), atomically (kneeviz.atomic). So a study stopped
anywhere (Ctrl-C, a killed worker, a power cut) keeps every run that finished, a new start of the
same design solves only the runs that have no file yet, and a run shared by two designs is solved
once. The table (`gather`) is one row per run of the design, in design order: the run's inputs
(knee, case, sample, every scenario parameter), its status and reason, and its summary figures
(kneeviz.study.summary); per-frame values (one row per run and frame) go to a second table on
request. Parquet (pyarrow), or CSV when the output's name ends in .csv.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from kneeviz.atomic import atomic_write_bytes
from kneeviz.errors import KneevizError
from kneeviz.study.design import Design, Run
from kneeviz.study.summary import summary_columns

OUTPUT_SUFFIXES = (".parquet", ".csv")
RESULT_COLUMNS = ("status", "reason", "seconds", "worker", "n_frames", "frames_converged",
                  "dislocated_frames")
HOW_IT_RAN = ("seconds", "worker")
"""Result columns that say how a run was solved (its time, the process that solved it), not
what it gave: the only columns in which the same study solved twice may differ."""


def check_output(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in OUTPUT_SUFFIXES:
        raise KneevizError("a study's table is written as .parquet or .csv: name the output "
                           "results.parquet (or results.csv)", p)
    return p


def frames_path(out: Path) -> Path:
    """The per-frame table beside `out`: results.parquet -> results.frames.parquet."""
    return out.with_name(f"{out.stem}.frames{out.suffix}")


class RunStore:
    """The folder of finished runs beside a study's output."""

    def __init__(self, out: Path) -> None:
        self.folder = out.with_name(out.name + ".runs")

    def _summary(self, key: str) -> Path:
        return self.folder / f"{key}.parquet"

    def _frames(self, key: str) -> Path:
        return self.folder / f"{key}.frames.parquet"

    def finished(self) -> set[str]:
        """The keys of every run kept here (a temporary file being written is not one)."""
        if not self.folder.is_dir():
            return set()
        return {f.name[:-len(".parquet")] for f in self.folder.iterdir()
                if f.name.endswith(".parquet") and not f.name.startswith(".")
                and not f.name.endswith(".frames.parquet")}

    def has(self, run: Run, per_frame: bool) -> bool:
        """Whether `run` finished before (with its frames, when they are wanted)."""
        return self._summary(run.key).is_file() and (
            not per_frame or self._frames(run.key).is_file())

    def write(self, outcome: dict[str, Any]) -> None:
        """Keep one finished run (solve_run's outcome) at once, atomically."""
        import pyarrow as pa

        self.folder.mkdir(parents=True, exist_ok=True)
        key = outcome["run"]
        frames = outcome.get("frames")
        if frames is not None:
            table = pa.table({"run": [key] * len(next(iter(frames.values()))),
                              "frame": list(range(len(next(iter(frames.values()))))),
                              **frames})
            atomic_write_bytes(self._frames(key), _parquet_bytes(table), what="keep a run")
        row = {k: v for k, v in outcome.items() if k != "frames"}
        atomic_write_bytes(self._summary(key), _parquet_bytes(pa.Table.from_pylist([row])),
                           what="keep a run")

    def read(self, key: str) -> dict[str, Any] | None:
        """A finished run's outcome (None when it has none or its file is unreadable)."""
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(self._summary(key)).to_pylist()
        except (OSError, ValueError):
            return None
        return rows[0] if len(rows) == 1 else None

    def read_frames(self, key: str) -> Any:
        import pyarrow.parquet as pq

        return pq.read_table(self._frames(key))


def _parquet_bytes(table: Any) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def gather(design: Design, store: RunStore) -> Any:
    """The study's table (pyarrow.Table): one row per run of the design, in design order; a run
    not finished yet has status "not run"."""
    import pyarrow as pa

    rows: list[dict[str, Any]] = []
    figures = summary_columns()
    for run in design.runs:
        row = run.inputs()
        found = store.read(run.key) or {"status": "not run", "reason": ""}
        for c in RESULT_COLUMNS:
            row[c] = found.get(c)
        for c in figures:  # a figure with no value is empty (null), never a made-up number
            v = found.get(c)
            row[c] = None if v is None or (isinstance(v, float) and math.isnan(v)) else v
        rows.append(row)
    return pa.Table.from_pylist(rows)


def gather_frames(design: Design, store: RunStore) -> Any:
    """Every finished run's frames, one row per run and frame (pyarrow.Table)."""
    import pyarrow as pa

    parts = []
    for run in design.runs:
        try:
            parts.append(store.read_frames(run.key))
        except (OSError, ValueError):
            continue
    return pa.concat_tables(parts, promote_options="default") if parts else None


def write_table(table: Any, out: Path) -> None:
    """`table` to `out` (Parquet, or CSV for a .csv name), atomically."""
    if out.suffix.lower() == ".csv":
        import pyarrow.csv as pcsv

        buf = io.BytesIO()
        pcsv.write_csv(table, buf)
        atomic_write_bytes(out, buf.getvalue(), what="write the study's table")
    else:
        atomic_write_bytes(out, _parquet_bytes(table), what="write the study's table")


def table_is(out: Path, table: Any) -> bool:
    """Whether `out` already holds exactly `table` (a rerun then writes nothing)."""
    if not out.is_file():
        return False
    try:
        if out.suffix.lower() == ".csv":
            import pyarrow.csv as pcsv

            old = pcsv.read_csv(out)
            return bool(old.column_names == table.column_names and old.num_rows == table.num_rows
                        and old.column("run").to_pylist() == table.column("run").to_pylist())
        import pyarrow.parquet as pq

        return bool(pq.read_table(out).equals(table))
    except (OSError, ValueError, KeyError):
        return False
