"""`kneeviz check-mesh FILE...`: what kneeviz makes of a user's mesh files, before using them.

For each file a `file: PATH` line, then one `key: value` line per fact (format, size, repairs,
units, and the bone, side and landmarks the anatomy layer finds). A file that cannot be used gets
one `kneeviz: error: FILE: problem` line on stderr; the others are still checked, and the exit
status is 2 if any file was refused, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from kneeviz.errors import KneevizError, MeshError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="mesh files (STL, OBJ, PLY, ...)")
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
        return facts, MeshError(exc.problem, path)
    facts.append(("bone", str(analysis.bone)))
    facts.append(("side", str(analysis.side)))
    facts += [(str(k), str(v)) for k, v in analysis.facts]
    return facts, None


def run(args: argparse.Namespace) -> int:
    if args.max_triangles < 100:
        raise KneevizError(f"--max-triangles {args.max_triangles} is too small; use 100 or more")
    status = 0
    printed = 0
    for path in args.files:
        try:
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
