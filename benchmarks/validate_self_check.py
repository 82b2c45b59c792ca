"""The self-check's margins over the knees that must pass it and the knees that must not.
Prints a table (and writes it as CSV with --csv); asserts nothing.

    .venv/bin/python benchmarks/validate_self_check.py [--csv margins.csv] [--quick]

Every case is a full squat (or recording) solved and then checked (kneeviz.result_check): for
each measure of each check, the worst value over the squat and the margin to its limit (> 0
passes, nan: not judged). Knees that must pass: the bundled knee (presets, a weak VMO, patella
alta), ICL_MRI and the Lenhart 2015 knee (../shared/meshes, the tests' fixture; and as files,
completed from the atlas), the OpenCap jump and walking recordings. Knees that must fail:
tests/broken_knees.py's (the tibia 15 mm forward, the femur turned 20 deg about its shaft, the
Lenhart kneecap in the bundled knee) and the control they are made from. The figures are in
docs/validation.md, "Self-check".
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
SHARED = HERE.parents[1] / "shared"


def _knees() -> dict[str, Callable[[], Any]]:
    from kneeviz.anatomy.build import anatomy_from_files, anatomy_from_meshes, load_bone
    from kneeviz.anatomy.build import load_default_anatomy as bundled

    icl = SHARED / "meshes" / "ICL_MRI"
    len_dir = SHARED / "meshes" / "lenhart2015"

    def from_scan(make: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[], Any]:
        def build() -> Any:
            import broken_knees as bk

            s = make(bk.bundled_scan())
            return anatomy_from_meshes(s["femur"], s["patella"], s["tibia"], s["pelvis"],
                                       name="bundled knee as files")
        return build

    def lenhart_patella(scan: dict[str, Any]) -> dict[str, Any]:
        import broken_knees as bk

        return bk.other_patella(scan, load_bone(len_dir / "lenhart2015-R-patella-bone.stl",
                                                "patella"))

    def lenhart_fixture() -> Any:
        from lenhart_fixture import lenhart_anatomy

        return lenhart_anatomy()

    import broken_knees as bk

    return {
        "bundled": bundled,
        "ICL_MRI": lambda: anatomy_from_files(icl / "ICL_MRI_femur_r.stl",
                                              icl / "ICL_MRI_patella_r.stl",
                                              icl / "ICL_MRI_tibia_r.stl"),
        "Lenhart (fixture)": lenhart_fixture,
        "Lenhart (files, own cartilage)": lambda: anatomy_from_files(
            len_dir / "lenhart2015-R-femur-subchondral-bone.stl",
            len_dir / "lenhart2015-R-patella-bone.stl", len_dir / "lenhart2015-R-tibia-bone.stl",
            femur_cartilage=len_dir / "lenhart2015-R-femur-cartilage.stl",
            patella_cartilage=len_dir / "lenhart2015-R-patella-cartilage.stl"),
        "Lenhart (files, grown cartilage)": lambda: anatomy_from_files(
            len_dir / "lenhart2015-R-femur-subchondral-bone.stl",
            len_dir / "lenhart2015-R-patella-bone.stl", len_dir / "lenhart2015-R-tibia-bone.stl"),
        "control (bundled as files)": from_scan(lambda s: s),
        "broken: tibia +15 mm": from_scan(bk.tibia_forward),
        "broken: femur turned +20 deg": from_scan(bk.femur_turned),
        "broken: femur turned -20 deg": from_scan(lambda s: bk.femur_turned(s, -20.0)),
        "broken: Lenhart kneecap": from_scan(lenhart_patella),
    }


MUST_PASS = ("bundled", "ICL_MRI", "Lenhart (fixture)", "Lenhart (files, own cartilage)")


def _cases(quick: bool) -> Iterator[tuple[str, str, Any, Any]]:
    """(knee, case, scenario, kinematics or None)."""
    from kneeviz.scenario import Scenario

    presets = ("healthy", "pfp") if quick else ("healthy", "pfp", "severe")
    for preset in presets:
        yield "", preset, Scenario.from_preset(preset), None
    if not quick:
        yield "", "healthy, VMO 50 %", replace(Scenario.from_preset("healthy"),
                                               vmo_strength=0.5), None
        yield "", "healthy, alta 1.3", replace(Scenario.from_preset("healthy"),
                                               insall_salvati_ratio=1.3), None
        yield "", "healthy to 90 deg", Scenario.from_preset("healthy", max_flexion_deg=90.0), None


def _recordings(anatomy: Any) -> Iterator[tuple[str, Any, Any]]:
    from kneeviz.motion.from_recording import recorded_scenario, scenario_kinematics
    from kneeviz.scenario import Scenario

    for name in ("opencap_jump.mot", "opencap_walking.mot"):
        path = SHARED / "motions" / name
        if not path.is_file():
            continue
        for stance in ("both", "single"):
            sc = recorded_scenario(Scenario(frame_rate_hz=30.0), str(path), stance=stance)
            yield f"{name} ({stance})", sc, scenario_kinematics(anatomy, sc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=None)
    ap.add_argument("--quick", action="store_true", help="two presets, no recordings")
    ap.add_argument("--knees", nargs="*", default=None, help="only these knees (names above)")
    args = ap.parse_args()
    from kneeviz.result_check import result_problem, self_check
    from kneeviz.simulation import simulate

    rows: list[dict[str, Any]] = []
    print(f"load average {os.getloadavg()[0]:.1f} (2 shared cores)")
    for knee, make in _knees().items():
        if args.knees and knee not in args.knees:
            continue
        try:
            anatomy = make()
        except Exception as exc:  # a knee the loader refuses is a row too
            print(f"{knee}: not loaded: {exc}")
            rows.append({"knee": knee, "case": "(load)", "outcome": f"refused: {exc}"})
            continue
        cases = [(c, sc, kin) for _k, c, sc, kin in _cases(args.quick)]
        if knee in ("bundled", "ICL_MRI") and not args.quick:
            cases += list(_recordings(anatomy))
        for case, sc, kin in cases:
            traj = simulate(anatomy, sc, kinematics=kin)
            t0 = time.perf_counter()
            converged = result_problem(traj)
            check = self_check(traj, anatomy) if converged is None else None
            dt = time.perf_counter() - t0
            outcome = ("not converged" if check is None else
                       "pass" if check.passed else
                       "FAIL: " + ", ".join(f"{m.check} ({m.what})" for m in check.failures))
            row: dict[str, Any] = {"knee": knee, "case": case, "outcome": outcome,
                                   "frames": traj.n_frames, "check_s": round(dt, 3)}
            for m in (check.measures if check is not None else ()):
                row[f"{m.what} [{m.unit}]"] = m.value
                row[f"{m.what} margin"] = m.margin
            rows.append(row)
            worst = (min((m for m in check.measures if m.judged), key=lambda m: m.margin)
                     if check is not None else None)
            closest = (f"closest: {worst.what} {worst.value:.2f} {worst.unit} "
                       f"(margin {worst.margin:+.2f})" if worst is not None else "")
            print(f"{knee:<30} {case:<32} {outcome[:60]:<60} {closest}  [{dt:.2f} s]",
                  flush=True)
    _summary(rows)
    if args.csv is not None:
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)
        print(f"wrote {args.csv}")
    return 0


def _summary(rows: list[dict[str, Any]]) -> None:
    """Per measure: the smallest margin over the knees that must pass, where it was, and the
    range of values there."""
    whats = sorted({k[: -len(" margin")] for r in rows for k in r if k.endswith(" margin")})
    print("\nper measure, over the knees that must pass (" + ", ".join(MUST_PASS)
          + ", and the recordings):")
    for what in whats:
        judged = [r for r in rows if r["knee"] in MUST_PASS
                  and not math.isnan(r.get(f"{what} margin", math.nan))]
        if not judged:
            continue
        worst = min(judged, key=lambda r: r[f"{what} margin"])
        value_key = next(k for k in worst if k.startswith(f"{what} ["))
        values = [r[value_key] for r in judged]
        print(f"  {what:<38} smallest margin {worst[f'{what} margin']:+7.2f} "
              f"({worst['knee']}, {worst['case']}); values {min(values):.2f}..{max(values):.2f} "
              f"{value_key[len(what) + 2:-1]}; judged in {len(judged)} cases")


if __name__ == "__main__":
    raise SystemExit(main())
