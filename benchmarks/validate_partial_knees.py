"""Partial knees across a population (issue 26): every knee cut as a knee MRI cuts it, loaded and
completed, against the same knee whole.

The knees, the cuts and what a case measures are in tests/partial_cases.py: the bundled knee,
the ICL_MRI leg and the LLP26 shape model's 26 training limbs (each completed by models rebuilt
without it); femur pieces of 70-200 mm and tibia pieces of 60-180 mm, cut square or 5-10 deg
off the bone, the cut rims closed or left open. A case either completes (worst kneecap tilt,
shift and bisect offset differences over the healthy squat's 0-90 deg) or is refused with the
loader's one line.

Each knee gets seven cuts: the femur lengths each once, paired with the tibia lengths in a Latin
square turned one step per knee (so the 28 knees hold every femur x tibia pair four times),
square and oblique, closed and open in turn (TILTS, turned three steps per knee).
`--bundled-grid` instead runs the issue's acceptance grid on the bundled knee: every femur length
100-160 mm with every tibia length 80-140 mm, in 10 mm steps, square and closed.

Prints one line per case as it finishes, then the table's summary; writes every row as CSV:

    nice -n 10 .venv/bin/python benchmarks/validate_partial_knees.py [--csv FILE] [--workers N]
        [--knees bundled,icl,atlas:01,...] [--bundled-grid] [--from-csv A.csv,B.csv]

Runs in a process pool (2 workers by default), one knee per task so that each knee's whole
squat is solved once. Its caches go to a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from kneeviz.atomic import atomic_write_text  # noqa: E402
from partial_cases import KNEES, Cut, Outcome, run_case  # noqa: E402

FEMUR_MM = (70.0, 85.0, 100.0, 120.0, 140.0, 160.0, 200.0)
TIBIA_MM = (60.0, 70.0, 80.0, 100.0, 120.0, 140.0, 180.0)
TILTS = ((0.0, "anterior", False), (7.0, "lateral", True), (0.0, "anterior", True),
         (10.0, "posterior", False), (5.0, "medial", True), (0.0, "anterior", False),
         (10.0, "anterior", True))
"""(tilt off square, towards, open edge) of the k-th pair of a knee, turned by the knee's index
too: square and oblique (5-10 deg, every direction), closed and open, all appear with every
length."""


def population_cuts(index: int) -> list[Cut]:
    """The cuts of knee number `index` (see the module docstring)."""
    out = []
    n = len(FEMUR_MM)
    for k in range(n):
        tilt, towards, open_edge = TILTS[(k + 3 * index) % len(TILTS)]
        out.append(Cut(FEMUR_MM[k], TIBIA_MM[(k + index) % n], tilt, towards, open_edge))
    return out


def bundled_grid() -> list[Cut]:
    return [Cut(f, t) for f in range(100, 161, 10) for t in range(80, 141, 10)]


def _run_knee(name: str, cuts: list[Cut]) -> list[Outcome]:
    return [run_case(name, c) for c in cuts]


def summary(rows: list[Outcome]) -> str:
    """What the table says, in a few lines (the figures of docs/validation.md)."""

    def share(sel: list[Outcome]) -> str:
        if not sel:
            return "no cases"
        n_ok = sum(o.within_floors for o in sel)
        n_flag = sum(o.outcome == "flagged" for o in sel)
        n_chk = sum(o.outcome == "failed check" for o in sel)
        chk_off = sum(o.outcome == "failed check" and (o.tilt_err_deg > 3 or o.shift_err_mm > 3)
                      for o in sel)
        n_ref = sum(o.outcome == "refused" for o in sel)
        n_uns = sum(o.outcome == "unsolved" for o in sel)
        n_err = sum(o.outcome == "error" for o in sel)
        n_wrong = sum(o.wrong for o in sel)
        n_aside = sum(o.within_floors_check_aside for o in sel)
        both = sum(o.outcome == "failed check" and o.whole_check != "passed" for o in sel)
        done = [o for o in sel if o.outcome == "completed"]
        shown = [o for o in sel if o.outcome in ("completed", "flagged")]
        worst_t = max((o.tilt_err_deg for o in shown), default=math.nan)
        worst_s = max((o.shift_err_mm for o in shown), default=math.nan)
        return (f"{len(sel)} cases: {n_ok} ({100 * n_ok / len(sel):.0f} %) completed within "
                f"1.5 deg / 1.5 mm at every frame, {len(done) - n_ok} completed outside them, "
                f"{n_flag} completed with frames left undetermined, {n_wrong} shown beyond "
                f"3 deg / 3 mm, {n_chk} failed the self-check ({chk_off} of them off by more "
                f"than 3 deg / 3 mm; {both} where the knee whole fails it too), "
                f"{n_ref} refused, {n_uns} unsolved, {n_err} errors; worst "
                f"shown (completed or flagged) tilt {worst_t:.2f} deg, shift {worst_s:.2f} mm; "
                f"self-check aside: {n_aside} ({100 * n_aside / len(sel):.0f} %) within the "
                "floors at every frame")

    big = [o for o in rows if o.cut.femur_mm >= 100 and o.cut.tibia_mm >= 80]
    small = [o for o in rows if not (o.cut.femur_mm >= 100 and o.cut.tibia_mm >= 80)]
    lines = [f"all: {share(rows)}", f"femur >= 100 and tibia >= 80 mm: {share(big)}",
             f"shorter pieces: {share(small)}"]
    for label, sel in (("square", [o for o in rows if not o.cut.tilt_deg]),
                       ("oblique", [o for o in rows if o.cut.tilt_deg]),
                       ("closed", [o for o in rows if not o.cut.open_edge]),
                       ("open", [o for o in rows if o.cut.open_edge])):
        lines.append(f"  {label}: {share(sel)}")
    for knee in ("bundled", "icl"):
        sel = [o for o in rows if o.knee == knee]
        if sel:
            lines.append(f"  {knee}: {share(sel)}")
    lim = [o for o in rows if o.knee.startswith("atlas:")]
    if lim:
        lines.append(f"  LLP26 limbs (leave-one-out): {share(lim)}")
    reasons: dict[str, int] = {}
    for o in rows:
        if o.outcome in ("refused", "unsolved", "error"):
            key = o.message.split(": ", 1)[-1][:90]
            reasons[key] = reasons.get(key, 0) + 1
    for why, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:8]:
        lines.append(f"  {n:4d} x {why}")
    return "\n".join(lines)


def _line(o: Outcome) -> str:
    if o.outcome in ("completed", "unsolved", "flagged", "failed check"):
        figs = (f"tilt {o.tilt_err_deg:5.2f} deg  shift {o.shift_err_mm:5.2f} mm  bisect "
                f"{o.bisect_err_pct:5.1f} %  (worst at {o.worst_at_deg:3.0f} deg)")
        if o.undetermined:
            figs += (f"; {o.undetermined} frames undetermined (all frames: tilt "
                     f"{o.tilt_err_all_deg:.2f} deg, shift {o.shift_err_all_mm:.2f} mm)")
    else:
        figs = o.message.split(": ", 1)[-1][:110]
    return f"{o.knee:9s} {o.cut.label:48s} {o.outcome:9s} {figs}  [{o.seconds:4.1f} s]"


def _write(rows: list[Outcome], path: Path) -> None:
    """The table as CSV, sorted by knee and cut."""
    rows.sort(key=lambda o: (KNEES.index(o.knee), o.cut.femur_mm, o.cut.tibia_mm))
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=list(rows[0].row()))
    w.writeheader()
    for o in rows:
        w.writerow(o.row())
    atomic_write_text(path, text.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", type=Path, default=Path("partial_knees.csv"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--knees", default=",".join(KNEES))
    ap.add_argument("--bundled-grid", action="store_true")
    ap.add_argument("--from-csv", default="",
                    help="comma-separated CSVs of earlier runs: join them into --csv and print "
                         "the summary, running nothing")
    args = ap.parse_args()
    if args.from_csv:
        rows = []
        for name in args.from_csv.split(","):
            with open(name, newline="") as fh:
                rows += [Outcome.from_row(r) for r in csv.DictReader(fh)]
        _write(rows, args.csv)
        print(summary(rows))
        return
    names = [n for n in args.knees.split(",") if n]
    if args.bundled_grid:
        tasks = [("bundled", [c]) for c in bundled_grid()]
    else:
        tasks = [(n, population_cuts(KNEES.index(n))) for n in names]
    rows: list[Outcome] = []
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kneeviz-validation-") as cache:
        os.environ["KNEEVIZ_CACHE_DIR"] = cache
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(_run_knee, n, cuts) for n, cuts in tasks]
            for fut in as_completed(futures):
                for o in fut.result():
                    rows.append(o)
                    print(_line(o), flush=True)
    _write(rows, args.csv)
    print()
    print(summary(rows))
    print(f"{len(rows)} cases in {time.perf_counter() - t0:.0f} s wall, {args.workers} workers; "
          f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
          f"CSV: {args.csv}")


if __name__ == "__main__":
    main()
