"""Is this mesh a bone at all? Checks that run before any landmark's linear algebra.

The landmark finders assume a bone: a closed surface with vertices all over it, thick in every
direction, wider at its ends than along a long bone's shaft. A file of two triangles, a flat
sheet, a needle or a plain cylinder (whose vertices sit only on its two end caps) breaks them in
ways that say nothing to a user (`LinAlgError: Eigenvalues did not converge`). These checks say
what is wrong with the bone instead, naming which bone and which file (MeshError).

`bone_errors(bone, path)` turns anything the landmark finders still raise for such a shape into
the same kind of message, so no numeric error reaches a user. No Qt here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from kneeviz.anatomy._geometry import components
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.errors import KneevizError, MeshError

MIN_TRIANGLES = 100
"""A bone surface from any segmentation has thousands of triangles (the bundled patella 9,216,
ICL's 2,232); under 100 cannot show a bone's shape."""
MIN_THICKNESS_MM = 3.0
"""The thinnest knee bone is the patella, 18-26 mm thick; a mesh thinner than this in its
thinnest direction is a sheet, not a closed bone surface."""
N_BANDS = 12
"""Bands along a long bone's axis that must each hold vertices and whose widths are compared."""
MIN_END_TO_SHAFT = 1.25
"""A long bone's widest end is well over 1.25x its narrowest shaft band (femoral condyles about
80 mm vs a 28 mm shaft, the tibial plateau about 75 vs 25); a rod or cylinder is about 1."""
MIN_SHARED_EDGES = 0.5
"""Of a bone surface's edges nearly all are shared by two triangles (a closed surface: all; a
segmentation with holes: well over 90 %); a loose soup of triangles shares none."""
LONG_RATIO = 2.0
"""Principal extent ratio above which a mesh is a long bone (identify_bone's rule)."""


def _principal(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extents (descending) and axes (rows) of a point cloud, by SVD (which, unlike the
    eigen-solver on a singular covariance, always converges)."""
    c = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - c, full_matrices=False)
    proj = (points - c) @ vt.T
    ext = proj.max(axis=0) - proj.min(axis=0)
    order = np.argsort(ext)[::-1]
    return ext[order], vt[order]


def shape_problem(mesh: SurfaceMesh) -> str | None:
    """What makes `mesh` (mm) not a usable bone surface, in words; None when nothing does."""
    v = np.asarray(mesh.vertices_mm, dtype=float)
    n_tri = int(mesh.n_triangles)
    if n_tri < MIN_TRIANGLES:
        return (f"has only {n_tri:,} triangle{'s' if n_tri != 1 else ''}: a bone surface has "
                "thousands; export the full-resolution bone surface")
    used = np.unique(np.asarray(mesh.faces).ravel())
    pts = v[used]
    if not np.isfinite(pts).all():
        return "has NaN or infinite coordinates: export the mesh again"
    shared = _shared_edge_fraction(np.asarray(mesh.faces))
    if shared < MIN_SHARED_EDGES:
        return (f"is a loose set of triangles ({100 * shared:.0f} % of their edges are shared "
                "with another triangle), not a connected surface; export the bone's surface")
    ext, axes = _principal(pts)
    if float(ext[2]) < MIN_THICKNESS_MM:
        return (f"is flat ({ext[0]:.0f} x {ext[1]:.1f} x {ext[2]:.2g} mm): a sheet or a single "
                "layer of triangles, not a closed bone surface; export the whole bone")
    if float(ext[0]) / max(float(ext[1]), 1e-9) < LONG_RATIO:
        return None
    pieces = components(mesh)
    if len(pieces) > 1:
        # the widths that tell a bone from a rod are one bone's: a tibia and its fibula side by
        # side (a knee MRI's proximal 180 mm of both) are about as wide all along as together
        pts = pieces[0].vertices_mm
        ext, axes = _principal(pts)
    t = (pts - pts.mean(axis=0)) @ axes[0]
    lo, hi = float(t.min()), float(t.max())
    band = np.minimum(((t - lo) / max(hi - lo, 1e-12) * N_BANDS).astype(int), N_BANDS - 1)
    counts = np.bincount(band, minlength=N_BANDS)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        gap_mm = len(empty) * (hi - lo) / N_BANDS
        return (f"has no vertices along {gap_mm:.0f} mm of its {hi - lo:.0f} mm length (like a "
                "plain cylinder, whose vertices are only on its end caps): not a bone surface; "
                "export the bone's own surface")
    widths = []
    for k in range(N_BANDS):
        sel = pts[band == k]
        proj = sel @ axes[1:].T
        widths.append(float(np.max(proj.max(axis=0) - proj.min(axis=0))))
    w = np.asarray(widths)
    if float(w.max()) < MIN_END_TO_SHAFT * float(np.median(w)):
        return (f"has the same width all along its {hi - lo:.0f} mm (about {np.median(w):.0f} "
                "mm: a rod or cylinder, not a bone, whose ends are wider than its shaft); "
                "export the bone's surface")
    return None


def _shared_edge_fraction(faces: np.ndarray) -> float:
    """The fraction of distinct edges that two or more triangles share."""
    e = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    return float(np.count_nonzero(counts >= 2)) / max(len(counts), 1)


MAX_PATELLA_ROUNDNESS = 0.85
"""Thickness / width of a kneecap: 0.5 (bundled), about 0.45 (ICL); a ball is 1."""


def check_bone_shape(mesh: SurfaceMesh, bone: str, path: str | Path | None) -> None:
    """Refuse (MeshError naming the bone and the file) a mesh that is not a bone surface."""
    problem = shape_problem(mesh)
    if problem is None and bone == "patella":
        ext, _ = _principal(np.asarray(mesh.vertices_mm, dtype=float))
        if float(ext[2]) > MAX_PATELLA_ROUNDNESS * float(ext[1]):
            problem = (f"is round ({ext[0]:.0f} x {ext[1]:.0f} x {ext[2]:.0f} mm), not a flat "
                       "kneecap (about twice as wide as it is thick); give the patella file")
    if problem is not None:
        raise MeshError(f"given as the {bone}, this mesh {problem}", path)


_NUMERIC = (np.linalg.LinAlgError, ValueError, IndexError, ZeroDivisionError,
            FloatingPointError, RuntimeWarning)


@contextlib.contextmanager
def bone_errors(bone: str, path: str | Path | None) -> Iterator[None]:
    """Inside: a KneevizError without a file gets this bone's file and name; a numeric failure of
    the landmark finders becomes a MeshError saying the shape could not be analysed."""
    try:
        yield
    except KneevizError as exc:
        if exc.path is not None or path is None:
            raise
        cls = type(exc) if isinstance(exc, MeshError) else KneevizError
        problem = exc.problem
        if bone not in problem.split(":")[0]:
            problem = f"as the {bone}: {problem}"
        raise cls(problem, path) from None
    except _NUMERIC as exc:
        raise MeshError(
            f"as the {bone}: its shape could not be analysed ({type(exc).__name__}: "
            f"{str(exc)[:80]}); is it a whole {bone} surface? export it again",
            path,
        ) from None
