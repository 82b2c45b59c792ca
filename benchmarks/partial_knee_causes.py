"""Which completed bone makes a partial knee differ from the same knee whole (issue 26).

A case of the population validation (benchmarks/validate_partial_knees.py) completes both bones
at once. This takes one case apart: the knee loaded from its two cut pieces, then from the cut
femur with the whole tibia, from the whole femur with the cut tibia, and whole without its pelvis
(a completed femur's pelvis is the atlas's), each squatted as the validation squats it and
compared with the knee whole over 0-90 deg (worst kneecap tilt and shift differences, and the
knee flexion where the worse of them is). What a completed bone changes is what the scan did not
hold: the femur's hip centre (the mechanical axis, the quadriceps' origins, hip flexion), the
tibia's ankle centre (the tibia's axis, the foot's place under the knee, the squat's load).

    nice -n 10 .venv/bin/python benchmarks/partial_knee_causes.py atlas:20 100 80 [--tilt 7
        --towards lateral --open]

Prints one line per variant, and the completed bones' lengths against the whole knee's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import partial_cases as pc  # noqa: E402


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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
