"""Command-line inputs of a knee MRI (issue 17): the patient's own cartilage meshes and label maps.

`add_arguments(parser)` adds --femur-cartilage, --patella-cartilage, --labels and --label;
`load(args, warnings)` loads the knee they name (None when they name none), so every command that
opens a patient's knee reads them the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kneeviz.errors import KneevizError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--femur-cartilage", type=Path, default=None, metavar="FILE",
                        help="segmented femoral cartilage mesh (same scan as --femur): used "
                             "instead of growing cartilage on the bone")
    parser.add_argument("--patella-cartilage", type=Path, default=None, metavar="FILE",
                        help="segmented patellar cartilage mesh (same scan as --patella)")
    parser.add_argument("--labels", type=Path, default=None, metavar="SCAN",
                        help="segmentation label map (.nii, .nii.gz, .seg.nrrd) instead of mesh "
                             "files; name its labels with --label")
    parser.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                        help="a label of --labels: femur=1 patella=2 tibia=3 (required), "
                             "pelvis, femur_cartilage, patella_cartilage (optional); repeat")


def load(args: argparse.Namespace, warnings: list[str]) -> Any | None:
    """The knee that --labels or the cartilage options name, with the bone files; None if the
    options name no knee-MRI input (the caller then loads bone files or the default knee)."""
    labels = getattr(args, "labels", None)
    cart_f = getattr(args, "femur_cartilage", None)
    cart_p = getattr(args, "patella_cartilage", None)
    if labels is not None:
        if any(getattr(args, b, None) is not None for b in ("femur", "patella", "tibia")):
            raise KneevizError("give either --labels or the --femur/--patella/--tibia mesh "
                               "files, not both")
        if cart_f is not None or cart_p is not None:
            raise KneevizError("with --labels, give the cartilage as labels "
                               "(--label femur_cartilage=VALUE), not as mesh files")
        from kneeviz.anatomy.labelmap import anatomy_from_label_map, parse_label_specs

        return anatomy_from_label_map(labels, parse_label_specs(args.label), warnings)
    if args.label:
        raise KneevizError("--label names a label of a label map: give the map with --labels")
    if cart_f is None and cart_p is None:
        return None
    if not all(getattr(args, b, None) is not None for b in ("femur", "patella", "tibia")):
        raise KneevizError("--femur-cartilage / --patella-cartilage need the bone files too: "
                           "give --femur, --patella and --tibia")
    from kneeviz.anatomy.build import anatomy_from_files

    return anatomy_from_files(args.femur, args.patella, args.tibia,
                              getattr(args, "pelvis", None), warnings=warnings,
                              femur_cartilage=cart_f, patella_cartilage=cart_p)
