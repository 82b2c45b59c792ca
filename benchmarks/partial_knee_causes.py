"""Which completed bone makes a partial knee differ from the same knee whole (issue 26).

A case of the population validation (benchmarks/validate_partial_knees.py) completes both bones
at once. This takes one case apart: the knee loaded from its two cut pieces, then from the cut
femur with the whole tibia, from the whole femur with the cut tibia, and whole without its pelvis
(a completed femur's pelvis is the atlas's), each squatted as the validation squats it and
compared with the knee whole over 0-90 deg (worst kneecap tilt and shift differences, and the
knee flexion where the worse of them is); and the cut knee once more along the whole knee's
tibiofemoral path (the same relative bone poses, carried into its frames), which tells the
squat's path, built on the estimated axes, from the rest. What a completed bone changes is what
the scan did not hold: the femur's hip centre (the mechanical axis, the quadriceps' origins, hip
flexion), the tibia's ankle centre (the tibia's axis, the foot's place under the knee, the
squat's load).

    nice -n 10 .venv/bin/python benchmarks/partial_knee_causes.py atlas:20 100 80 [--tilt 7
        --towards lateral --open]

Prints one line per variant, and the completed bones' lengths against the whole knee's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import partial_cases as pc  # noqa: E402


def whole_to_cut(whole_mm: np.ndarray, cut_mm: np.ndarray, near_mm: float = 50.0) -> np.ndarray:
    """(4, 4) rigid transform from a whole bone's frame to its cut twin's, fitted (iterative
    closest points, Kabsch) on the whole bone's vertices within `near_mm` of its origin: the
    joint end, which both hold."""
    src = whole_mm[np.linalg.norm(whole_mm, axis=1) < near_mm]
    tree = cKDTree(cut_mm)
    R, t = np.eye(3), np.zeros(3)
    for _ in range(30):
        d, j = tree.query(src @ R.T + t)
        ok = d < 2.0
        p, q = src[ok], cut_mm[j[ok]]
        pc_, qc = p.mean(axis=0), q.mean(axis=0)
        U, _, Vt = np.linalg.svd((p - pc_).T @ (q - qc))
        D = np.diag([1.0, 1.0, float(np.sign(np.linalg.det(Vt.T @ U.T)))])
        R = Vt.T @ D @ U.T
        t = qc - R @ pc_
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, t
    return T


def with_whole_joint_path(a_cut, a_whole):  # type: ignore[no-untyped-def]
    """The cut knee squatted along the whole knee's tibiofemoral path (the same relative bone
    poses, carried into the cut knee's frames): what the squat's path, built on the estimated
    axes, accounts for."""
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import scenario_kinematics, simulate

    sc = Scenario.from_preset("healthy", max_flexion_deg=pc.MAX_FLEXION_DEG,
                              frame_rate_hz=pc.FRAME_RATE_HZ)
    A = whole_to_cut(a_whole.femur.vertices_mm, a_cut.femur.vertices_mm)
    B = whole_to_cut(a_whole.tibia.vertices_mm, a_cut.tibia.vertices_mm)
    path = A @ scenario_kinematics(a_whole, sc).T_femur_tibia @ np.linalg.inv(B)
    return simulate(a_cut, sc, kinematics=replace(scenario_kinematics(a_cut, sc),
                                                   T_femur_tibia=path))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("knee", choices=pc.KNEES, metavar="KNEE", help="bundled, icl or atlas:NN")
    ap.add_argument("femur_mm", type=float, help="femur kept from the joint (mm)")
    ap.add_argument("tibia_mm", type=float, help="tibia kept from the joint (mm)")
    ap.add_argument("--tilt", type=float, default=0.0, help="cut planes' tilt off square (deg)")
    ap.add_argument("--towards", default="anterior",
                    choices=("anterior", "lateral", "posterior", "medial"))
    ap.add_argument("--open", action="store_true", help="leave the cut rims open")
    args = ap.parse_args(argv)
    cut = pc.Cut(args.femur_mm, args.tibia_mm, args.tilt, args.towards, args.open)
    k = pc.knee(args.knee)
    a_whole, tr_whole = pc.whole(args.knee)
    femur, tibia = pc.pieces(k, cut)
    print(f"{args.knee}, {cut.label}: against the knee whole (with its pelvis), 0-90 deg")
    variants = (("both bones cut", femur, tibia, False),
                ("cut femur, whole tibia", femur, k.tibia, False),
                ("whole femur, cut tibia", k.femur, tibia, True),
                ("whole, without its pelvis", k.femur, k.tibia, False))
    for label, f, t, pelvis in variants:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            a = pc.load(k, f, t, pelvis, Path(tmp))
        d = pc.compare(tr_whole, pc.squat(a))
        print(f"  {label:26s} tilt {d['tilt']:5.2f} deg  shift {d['shift']:5.2f} mm  "
              f"(worst at {d['at']:3.0f} deg)  [{time.perf_counter() - t0:4.1f} s]", flush=True)
        if label == "both bones cut":
            print(f"    completed femur {a.femur_length_mm:.1f} mm long (whole "
                  f"{a_whole.femur_length_mm:.1f}), tibia {a.tibia_length_mm:.1f} mm (whole "
                  f"{a_whole.tibia_length_mm:.1f})")
            d = pc.compare(tr_whole, with_whole_joint_path(a, a_whole))
            print(f"  {'both cut, whole knee path':26s} tilt {d['tilt']:5.2f} deg  shift "
                  f"{d['shift']:5.2f} mm  (worst at {d['at']:3.0f} deg)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
