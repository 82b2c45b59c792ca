"""`kneeviz simulate`: solve the squat and write per-frame results (JSON, CSV or NPZ).

JSON: {"meta": {scenario, knee, version, ...}, "frames": [{...}, ...]}; CSV: one row per frame;
NPZ (written with allow_pickle=False): every per-frame column plus the patella poses and the
per-vertex cartilage pressures, for the heat map.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem

FORMATS = (".json", ".csv", ".npz")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kneeviz.scenario import PRESETS

    parser.add_argument("--preset", choices=sorted(PRESETS), default="healthy",
                        help="hip-control preset (default healthy)")
    parser.add_argument("--femoral-ir", type=float, default=None, metavar="DEG",
                        help="hip-driven femoral internal rotation (deg)")
    parser.add_argument("--hip-adduction", type=float, default=None, metavar="DEG",
                        help="hip-driven adduction (deg)")
    parser.add_argument("--max-flexion", type=float, default=None, metavar="DEG",
                        help="deepest knee flexion of the squat (deg)")
    parser.add_argument("--body-mass", type=float, default=None, metavar="KG",
                        help="body mass (kg, default 70)")
    parser.add_argument("--vmo-strength", type=float, default=None, metavar="FRACTION",
                        help="VMO strength, fraction of normal (0-1)")
    parser.add_argument("--insall-salvati", type=float, default=None, metavar="RATIO",
                        help="patellar tendon length / patella length (patella alta > 1.2)")
    parser.add_argument("--frame-rate", type=float, default=None, metavar="HZ",
                        help="frames per second of the squat (default 60: 241 frames)")
    parser.add_argument("--femur", type=Path, default=None,
                        help="femur mesh (with --patella and --tibia; default: the bundled knee)")
    parser.add_argument("--patella", type=Path, default=None, help="patella mesh")
    parser.add_argument("--tibia", type=Path, default=None, help="tibia mesh")
    parser.add_argument("--pelvis", type=Path, default=None, help="pelvis mesh (optional)")
    from kneeviz.commands import knee_inputs

    knee_inputs.add_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="output file: .json, .csv or .npz")


def scenario_from_args(args: argparse.Namespace) -> Any:
    from kneeviz.scenario import Scenario

    overrides: dict[str, float] = {}
    for attr, field in (
        ("femoral_ir", "femoral_internal_rotation_deg"),
        ("hip_adduction", "hip_adduction_deg"),
        ("max_flexion", "max_flexion_deg"),
        ("body_mass", "body_mass_kg"),
        ("vmo_strength", "vmo_strength"),
        ("insall_salvati", "insall_salvati_ratio"),
        ("frame_rate", "frame_rate_hz"),
    ):
        value = getattr(args, attr, None)
        if value is not None:
            overrides[field] = float(value)
    return Scenario.from_preset(args.preset, **overrides)


def anatomy_from_args(args: argparse.Namespace) -> Any:
    from kneeviz.commands import knee_inputs

    mri_warnings: list[str] = []
    mri_knee = knee_inputs.load(args, mri_warnings)
    for w in mri_warnings:
        print(f"kneeviz: warning: {w}", file=sys.stderr)
    if mri_knee is not None:
        return mri_knee
    given = [args.femur, args.patella, args.tibia]
    if any(p is not None for p in given) or args.pelvis is not None:
        if not all(p is not None for p in given):
            raise KneevizError("give all three of --femur, --patella and --tibia (or none of them)")
        from kneeviz.anatomy.build import anatomy_from_files

        warnings: list[str] = []
        anatomy = anatomy_from_files(args.femur, args.patella, args.tibia, args.pelvis,
                                     warnings=warnings)
        for w in warnings:  # what was repaired or assumed: the user should know
            print(f"kneeviz: warning: {w}", file=sys.stderr)
        return anatomy
    from kneeviz.anatomy.build import load_default_anatomy

    return load_default_anatomy()


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.suffix.lower() not in FORMATS:
        raise KneevizError(
            f"unknown output format {out.suffix or '(none)'!r}: use {', '.join(FORMATS)}", out
        )
    problem = folder_problem(out.parent)
    if problem is not None:
        raise KneevizError(problem, out)
    scenario = scenario_from_args(args)
    anatomy = anatomy_from_args(args)
    from kneeviz.simulation import simulate

    traj = simulate(anatomy, scenario)
    write_trajectory(traj, out)
    n_bad = int((~traj.converged).sum())
    n_off = int(np.count_nonzero(traj["dislocated"]))
    print(
        f"{traj.n_frames} frames of {anatomy.name} ({scenario.preset}) -> {out}"
        + (f"; {n_bad} frame(s) did not converge (flagged 'converged': false)" if n_bad else "")
        + (f"; the kneecap came off its groove: {n_off} frame(s) are not results (flagged "
           "'dislocated': true)" if n_off else "")
    )
    return 0


def meta_of(traj: Any) -> dict[str, Any]:
    from kneeviz import __version__

    return {**traj.meta, "version": __version__}


def write_trajectory(traj: Any, out: Path) -> None:
    """Write a Trajectory as JSON, CSV or NPZ, chosen by the file suffix."""
    suffix = out.suffix.lower()
    try:
        if suffix == ".json":
            with out.open("w", encoding="utf-8") as fh:
                json.dump({"meta": meta_of(traj), "frames": traj.frames()}, fh, indent=1)
        elif suffix == ".csv":
            frames = traj.frames()
            with out.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(frames[0]))
                writer.writeheader()
                writer.writerows(frames)
        else:
            arrays: dict[str, np.ndarray] = {k: np.asarray(v) for k, v in traj.values.items()}
            arrays["converged"] = np.asarray(traj.converged, dtype=bool)
            arrays["dislocated"] = np.asarray(traj["dislocated"], dtype=bool)
            arrays["T_femur_patella"] = traj.T_femur_patella
            arrays["T_world_patella"] = traj.T_world_patella
            arrays["patella_pressure_mpa"] = traj.patella_pressure_mpa
            arrays["femur_pressure_mpa"] = traj.femur_pressure_mpa
            arrays["meta_json"] = np.array(json.dumps(meta_of(traj)))
            with out.open("wb") as fh:
                np.savez_compressed(fh, allow_pickle=False, **arrays)
    except OSError as exc:
        raise KneevizError(f"cannot write the results: {exc.strerror or exc}", out) from exc
