"""`kneeviz build-default-knee`: rebuild assets/meshes from the LLP26 atlas package."""

from __future__ import annotations

import argparse
from pathlib import Path

from kneeviz.errors import KneevizError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="folder (default: assets/meshes of a source checkout)")
    parser.add_argument(
        "--sulcus-angle",
        type=float,
        default=None,
        metavar="DEG",
        help="trochlear sulcus angle to sculpt (healthy 138; dysplastic above 150)",
    )
    parser.add_argument("--grid-only", action="store_true",
                        help="only write the distance grid of the knee already in the folder")


def run(args: argparse.Namespace) -> int:
    from kneeviz.anatomy.default_knee import DefaultKneeOptions, build_default_knee, save_built_knee

    out = args.out or _checkout_out()
    if not args.grid_only:
        options = DefaultKneeOptions()
        if args.sulcus_angle is not None:
            options = DefaultKneeOptions(sulcus_angle_deg=args.sulcus_angle)
        options.validate()
        knee = build_default_knee(options)
        save_built_knee(knee, out)
        for name, mesh in knee.meshes.items():
            print(f"{name}: {mesh.n_triangles} triangles -> {out / (name + '.stl')}")
        fl = knee.record["femur_landmarks"]
        assert isinstance(fl, dict)
        print(f"sulcus angle: {fl['sulcus_angle_deg']:.1f} deg")
        print(f"groove depth: {fl['groove_depth_mm']:.1f} mm")
    # The knee's distance grid, shipped beside it (kneeviz.cache): from the files in the
    # folder, read as the app reads them, so its key is the one the app looks for.
    from kneeviz.anatomy.build import load_anatomy_folder
    from kneeviz.mechanics.contact import ship_grid

    saved = load_anatomy_folder(out)
    grid = ship_grid(saved.femur_cartilage, saved.femur, out)
    print(f"distance grid: {grid.stat().st_size / 1e6:.1f} MB -> {grid}")
    return 0


def _checkout_out() -> Path:
    """assets/meshes of the checkout; an installed kneeviz never writes into its own package."""
    from kneeviz.resources import checkout_knee_dir

    out = checkout_knee_dir()
    if out is None:
        raise KneevizError(
            "not run from a source checkout: give the folder to write the knee to with --out"
        )
    return out
