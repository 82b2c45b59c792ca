"""`kneeviz sweep`: solve a study's design in parallel and write one tidy table.

    kneeviz sweep design.toml --out results.parquet
    kneeviz sweep design.csv --out results.csv --per-frame
    kneeviz sweep design.toml --out results.parquet --scheduler tcp://10.0.0.5:8786
    kneeviz sweep sobol.toml --out sobol.parquet --tornado tornado.png

The design (kneeviz.study.design) is checked whole before any run starts. Runs are solved in local
processes, or on a Dask cluster with --scheduler, by the same code (kneeviz.study.runner); each
finished run is kept at once beside the output, so a stopped sweep continues where it stopped and a
finished one solves nothing when run again. With a sample in the design, the sensitivity of the
chosen figures (--figure, default the kneecap's tilt and shift at 30 deg) is printed, and drawn as a
tornado chart with --tornado.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kneeviz.errors import KneevizError

if TYPE_CHECKING:
    from kneeviz.study.design import Design
    from kneeviz.study.runner import StudyResult

DEFAULT_FIGURES = ("patella_lateral_tilt_deg_at30", "patella_lateral_shift_mm_at30")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("design", type=Path, metavar="DESIGN",
                        help="the study's design: a .toml (knees x cases x a sample of the "
                             "uncertainty table) or a .csv (one run per row)")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="the table: .parquet (or .csv); finished runs are kept in "
                             "FILE.runs/ beside it")
    parser.add_argument("--per-frame", action="store_true",
                        help="also write every frame of every run (FILE's name + .frames)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="solve on a dask.distributed cluster (tcp://HOST:8786) instead of "
                             "local processes")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="local processes (default: the machine's cores)")
    parser.add_argument("--figure", action="append", default=None, metavar="COLUMN",
                        help="a summary figure whose sensitivity to print (repeat; default "
                             f"{' and '.join(DEFAULT_FIGURES)})")
    parser.add_argument("--tornado", type=Path, default=None, metavar="PNG",
                        help="draw the sensitivity as a tornado chart (a design with a sample)")


def run(args: argparse.Namespace) -> int:
    from kneeviz.atomic import preflight
    from kneeviz.study.store import check_output
    from kneeviz.study.summary import summary_columns

    out = check_output(args.out)
    preflight(out, what="write the study's table")
    if args.tornado is not None:
        if args.tornado.suffix.lower() != ".png":
            raise KneevizError("the tornado chart is a .png file", args.tornado)
        preflight(args.tornado, what="draw the chart")
    if args.workers is not None and args.workers < 1:
        raise KneevizError(f"--workers {args.workers}: give at least 1")
    figures = tuple(args.figure or DEFAULT_FIGURES)
    bad = [f for f in figures if f not in summary_columns()]
    if bad:
        raise KneevizError(f"--figure {bad[0]}: not a summary figure; they are named "
                           "MEASURE_atANGLE, e.g. patella_lateral_tilt_deg_at30")
    _check_study_extra()
    from kneeviz.study.design import read_design
    from kneeviz.study.runner import StudyInterrupted, run_study

    design = read_design(args.design)
    if args.tornado is not None and not design.method:
        raise KneevizError("--tornado needs a design with a [sample] (lhs or sobol)",
                           args.design)
    try:
        result = run_study(design, out, scheduler=args.scheduler, workers=args.workers,
                           per_frame=args.per_frame)
    except StudyInterrupted as stop:
        done = sum(1 for s in stop.result.table.column("status").to_pylist() if s != "not run")
        print(f"kneeviz: interrupted: {done} of {len(design.runs)} runs finished, kept in "
              f"{out}; run the same command again to solve the rest", file=sys.stderr)
        return 130
    _report(design, result, out)
    if design.method:
        _sensitivity(design, result.table, figures, args.tornado)
    return 0


def _check_study_extra() -> None:
    """The study's libraries are an optional extra: say how to get them, in one line."""
    missing = []
    for module in ("pyarrow", "SALib", "scipy"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise KneevizError(f"kneeviz sweep needs {', '.join(missing)}: pip install "
                           "'kneeviz[study]'")


def _report(design: Design, result: StudyResult, out: Path) -> None:
    from collections import Counter

    table = result.table
    counts = Counter(table.column("status").to_pylist())
    parts = ", ".join(f"{n} {s}" for s, n in counts.most_common())
    news = (f"{result.solved_now} solved now, {result.found} found done" if result.found
            else f"{result.solved_now} solved now")
    where = f"-> {out}" if result.written else f"(nothing new: {out} is up to date)"
    print(f"{table.num_rows} runs ({parts}; {news}) {where}")


def _sensitivity(design: Design, table: Any, figures: tuple[str, ...],
                 tornado: Path | None) -> None:
    """Each figure's sensitivity in each (knee, case) group of the design: printed, and drawn."""
    from kneeviz.study.sensitivity import sensitivity_of, tornado_png

    groups: dict[tuple[str, str], list[int]] = {}
    for run in design.runs:
        groups.setdefault((run.knee_name, run.case), []).append(run.index)
    results = []
    for (knee, case), rows in groups.items():
        where = knee + (f", {case}" if case else "")
        for figure in figures:
            s = sensitivity_of(design, figure_values(table, figure)[rows],
                               f"{figure} ({where})")
            print(s.text())
            results.append(s)
    if tornado is not None:
        tornado_png(results, tornado, title=f"Sensitivity: {Path(design.source).name}")
        print(f"tornado chart -> {tornado}")


def figure_values(table: Any, column: str) -> Any:
    """A table column as floats, an empty cell as NaN."""
    import numpy as np

    return np.array([np.nan if v is None else v for v in table.column(column).to_pylist()],
                    dtype=float)
