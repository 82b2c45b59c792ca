"""`kneeviz check-mesh FILE...`: what kneeviz makes of a user's mesh files, before using them.

For each file a `file: PATH` line, then one `key: value` line per fact (format, size, repairs,
units, and the bone, side and landmarks the anatomy layer finds). A file that cannot be used gets
one `kneeviz: error: FILE: problem` line on stderr; the others are still checked, and the exit
status is 2 if any file was refused, 0 otherwise. A segmented cartilage layer given with
--femur-cartilage / --patella-cartilage is checked on the FILE found to be its bone: how it sits on
it and how thick it is.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import numpy as np

from kneeviz.errors import KneevizError, MeshError

if TYPE_CHECKING:
    from kneeviz.anatomy.mesh import SurfaceMesh


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kneeviz.commands.options import add_cartilage_options

    parser.add_argument("files", nargs="+", metavar="FILE", help="mesh files (STL, OBJ, PLY, ...)")
    add_cartilage_options(parser)
    parser.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                        help="for a label map FILE (.nii, .nii.gz, .seg.nrrd): a label to check, "
                             "e.g. femur=1; repeat")
    parser.add_argument(
        "--max-triangles",
        type=int,
        default=400_000,
        help="reduce larger meshes to this many triangles (default 400000)",
    )


def check_file(path: str, max_triangles: int,
               found: dict[str, SurfaceMesh] | None = None
               ) -> tuple[list[tuple[str, str]], MeshError | None]:
    """The key/value facts for one file, and the reason it cannot be used (None if it can).

    A file that does not load raises MeshError. A mesh that loads but that the anatomy layer
    refuses (not a bone it knows, a bone without its ends) returns its mesh facts with the error,
    so the user sees the units and size that may explain it. The bone it is found to be (femur,
    patella, tibia; whole or partial) is put in `found` with its mesh (mm), for the cartilage
    checks.
    """
    # imported here, not at module level: `kneeviz --help` should not pay for scipy and trimesh
    from kneeviz.anatomy.landmarks import analyse_bone
    from kneeviz.anatomy.mesh_io import describe_size, load_mesh

    loaded = load_mesh(path, max_triangles=max_triangles)
    facts: list[tuple[str, str]] = [
        ("format", loaded.format),
        ("triangles", f"{loaded.mesh.n_triangles}"),
        ("vertices", f"{loaded.mesh.n_vertices}"),
        ("original triangles", f"{loaded.original_triangles}"),
        ("watertight", "yes" if loaded.watertight else "no"),
        ("bodies", f"{loaded.n_bodies}"),
        ("units", loaded.units),
        ("scale to mm", f"{loaded.scale_to_mm:g}"),
        ("size", describe_size(loaded)),
    ]
    facts += [("warning", w) for w in loaded.warnings]
    from kneeviz.anatomy.geometry_checks import bone_errors, shape_problem

    problem = shape_problem(loaded.mesh)  # not a bone surface at all: say what is wrong first
    if problem is not None:
        return facts, MeshError(f"this mesh {problem}", path)
    try:
        with bone_errors("bone", path):
            analysis = analyse_bone(loaded.mesh)
    except KneevizError as exc:
        from kneeviz.anatomy.completion import analyse_partial

        partial = analyse_partial(loaded.mesh, path)
        if partial is None:
            return facts, MeshError(exc.problem, path)
        analysis = partial
    facts.append(("bone", str(analysis.bone)))
    facts.append(("side", str(analysis.side)))
    facts += [(str(k), str(v)) for k, v in analysis.facts]
    if found is not None:
        found.setdefault(str(analysis.bone).split()[0], loaded.mesh)
    return facts, None


def check_cartilage(path: str, bone: str, found: dict[str, SurfaceMesh], max_triangles: int
                    ) -> tuple[list[tuple[str, str]], MeshError | None]:
    """Facts for a segmented cartilage layer: how it sits on its bone (one of the FILEs, the one
    found to be `bone`) and its thickness (anatomy.own_cartilage, the contact model's measure)."""
    from kneeviz.anatomy.mesh_io import load_mesh
    from kneeviz.anatomy.own_cartilage import check_on_bone

    loaded = load_mesh(path, max_triangles=max_triangles)
    facts: list[tuple[str, str]] = [
        ("format", loaded.format),
        ("triangles", f"{loaded.mesh.n_triangles}"),
        ("units", loaded.units),
        ("cartilage of", bone),
    ]
    facts += [("warning", w) for w in loaded.warnings]
    if bone not in found:
        return facts, MeshError(
            f"is the {bone}'s cartilage, but no FILE was found to be a {bone}: give the {bone} "
            f"mesh from the same scan too (kneeviz check-mesh {bone.upper()}.stl "
            f"--{bone}-cartilage {path})", path)
    try:
        check = check_on_bone(loaded.mesh, found[bone], bone, path)
    except MeshError as exc:
        return facts, exc
    return facts + check.facts(), None


def check_label_map(path: str, specs: list[str]) -> tuple[list[tuple[str, str]],
                                                          MeshError | None]:
    """Facts for each named label of a label map: its surface, and the bone analysis."""
    from kneeviz.anatomy.completion import analyse_partial
    from kneeviz.anatomy.labelmap import label_surface, parse_label_specs, read_label_image
    from kneeviz.anatomy.landmarks import analyse_bone

    if not specs:
        raise MeshError("is a label map: name the labels to check with --label NAME=VALUE "
                        "(e.g. --label femur=1)", path)
    image = read_label_image(path)
    facts: list[tuple[str, str]] = [
        ("format", "label map"),
        ("voxels", " x ".join(str(n) for n in image.labels.shape)),
        ("voxel size", " x ".join(f"{s:.3g}" for s in image.spacing_mm) + " mm"),
        ("labels present", ", ".join(str(int(v)) for v in np.unique(image.labels) if v != 0)),
    ]
    for tissue, value in parse_label_specs(specs).items():
        mesh = label_surface(image, value, tissue)
        facts.append((f"label {tissue}={value}", f"{mesh.n_triangles} triangles"))
        if tissue.endswith("_cartilage"):
            continue
        try:
            analysis = analyse_bone(mesh)
        except KneevizError as exc:
            partial = analyse_partial(mesh, f"{path} (label {tissue}={value})")
            if partial is None:
                return facts, MeshError(f"label {tissue}={value}: {exc.problem}", path)
            analysis = partial
        facts += [(f"{tissue}: bone", analysis.bone), (f"{tissue}: side", analysis.side)]
        facts += [(f"{tissue}: {k}", v) for k, v in analysis.facts]
    return facts, None


def run(args: argparse.Namespace) -> int:
    if args.max_triangles < 100:
        raise KneevizError(f"--max-triangles {args.max_triangles} is too small; use 100 or more")
    status = 0
    printed = 0
    found: dict[str, SurfaceMesh] = {}
    cartilage = [(p, bone) for p, bone in ((getattr(args, "femur_cartilage", None), "femur"),
                                           (getattr(args, "patella_cartilage", None), "patella"))
                 if p]
    for path, bone in [(p, "") for p in args.files] + cartilage:
        try:
            if bone:
                facts, problem = check_cartilage(path, bone, found, args.max_triangles)
            elif str(path).lower().endswith((".nii", ".nii.gz", ".nrrd")):
                facts, problem = check_label_map(path, args.label)
            else:
                facts, problem = check_file(path, args.max_triangles, found)
        except KneevizError as exc:
            facts, problem = [], MeshError(exc.problem, exc.path or path)
        if facts:
            if printed:
                print()
            print(f"file: {path}")
            for key, value in facts:
                print(f"{key}: {value}")
            printed += 1
        sys.stdout.flush()
        if problem is not None:
            print(f"kneeviz: error: {problem}", file=sys.stderr)
            sys.stderr.flush()
            status = 2
    return status
