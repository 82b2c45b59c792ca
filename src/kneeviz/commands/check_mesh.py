"""`kneeviz check-mesh FILE...`: what kneeviz makes of a user's mesh files, before using them.

For each file a `file: PATH` line, then one `key: value` line per fact (format, size, repairs,
units, and the bone, side and landmarks the anatomy layer finds). A file that cannot be used gets
one `kneeviz: error: FILE: problem` line on stderr; the others are still checked, and the exit
status is 2 if any file was refused, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from kneeviz.errors import KneevizError, MeshError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="mesh files (STL, OBJ, PLY, ...)")
    parser.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                        help="for a label map FILE (.nii, .nii.gz, .seg.nrrd): a label to check, "
                             "e.g. femur=1; repeat")
    parser.add_argument(
        "--max-triangles",
        type=int,
        default=400_000,
        help="reduce larger meshes to this many triangles (default 400000)",
    )


def check_file(path: str, max_triangles: int) -> tuple[list[tuple[str, str]], MeshError | None]:
    """The key/value facts for one file, and the reason it cannot be used (None if it can).

    A file that does not load raises MeshError. A mesh that loads but that the anatomy layer
    refuses (not a bone it knows, a bone without its ends) returns its mesh facts with the error,
    so the user sees the units and size that may explain it.
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
    return facts, None


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
    for path in args.files:
        try:
            if str(path).lower().endswith((".nii", ".nii.gz", ".nrrd")):
                facts, problem = check_label_map(path, args.label)
            else:
                facts, problem = check_file(path, args.max_triangles)
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
