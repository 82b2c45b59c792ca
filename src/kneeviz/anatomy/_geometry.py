"""Small geometric tools the landmark finders share.

Every tool here is equivariant: it uses only the vertices, faces and directions it is given, never
the coordinate axes, so a rotated or translated (or mirrored) input gives the same answer rotated,
translated (or mirrored). That is what makes the landmark finders rotation-invariant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh


def unit(v: FloatArray) -> FloatArray:
    """`v` scaled to length one (a zero vector stays zero)."""
    n = float(np.linalg.norm(v))
    return np.asarray(v, dtype=float) / n if n > 0 else np.asarray(v, dtype=float)


def perpendicular(v: FloatArray, axis: FloatArray) -> FloatArray:
    """The part of `v` (..., 3) perpendicular to the unit `axis`."""
    v = np.asarray(v, dtype=float)
    return v - np.multiply.outer(v @ axis, axis) if v.ndim > 1 else v - float(v @ axis) * axis


def components(mesh: SurfaceMesh) -> list[SurfaceMesh]:
    """The mesh's connected pieces (by shared vertices), largest first; unused vertices dropped."""
    n = mesh.n_vertices
    f = mesh.faces
    if f.shape[0] == 0:
        return []
    rows = np.concatenate([f[:, 0], f[:, 1], f[:, 2]])
    cols = np.concatenate([f[:, 1], f[:, 2], f[:, 0]])
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    face_label = labels[f[:, 0]]
    pieces = []
    for lab in np.unique(face_label):
        ff = f[face_label == lab]
        used = np.unique(ff)
        remap = np.full(n, -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        pieces.append(SurfaceMesh(mesh.vertices_mm[used], remap[ff]))
    pieces.sort(key=lambda m: -m.face_areas_mm2().sum())
    return pieces


def merge(meshes: list[SurfaceMesh]) -> SurfaceMesh:
    """One mesh holding all of `meshes`."""
    verts, faces, offset = [], [], 0
    for m in meshes:
        verts.append(m.vertices_mm)
        faces.append(m.faces + offset)
        offset += m.n_vertices
    return SurfaceMesh(np.vstack(verts), np.vstack(faces))


def signed_volume_mm3(mesh: SurfaceMesh) -> float:
    """Enclosed volume (positive when the faces wind outward; meaningful for closed meshes)."""
    tri = mesh.vertices_mm[mesh.faces]
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)


@dataclass(frozen=True)
class SurfaceSample:
    """Vertices with outward unit normals and lumped areas: what the finders work on."""

    points: FloatArray
    normals: FloatArray
    areas: FloatArray

    @property
    def centroid(self) -> FloatArray:
        return np.asarray((self.points * self.areas[:, None]).sum(0) / self.areas.sum())


def sample(mesh: SurfaceMesh) -> SurfaceSample:
    """Vertices, outward normals (flipped if the mesh winds inward) and areas; unused dropped."""
    areas = mesh.vertex_areas_mm2()
    normals = mesh.vertex_normals()
    if signed_volume_mm3(mesh) < 0:
        normals = -normals
    keep = areas > 0
    return SurfaceSample(mesh.vertices_mm[keep], normals[keep], areas[keep])


def principal_axes(points: FloatArray, weights: FloatArray | None = None) -> tuple[
    FloatArray, FloatArray, FloatArray
]:
    """Centroid, standard deviations (descending) and axes (rows, descending) of a point cloud."""
    w = np.ones(len(points)) if weights is None else weights
    c = (points * w[:, None]).sum(0) / w.sum()
    d = points - c
    cov = (d * w[:, None]).T @ d / w.sum()
    ev, evec = np.linalg.eigh(cov)
    order = np.argsort(ev)[::-1]
    return c, np.sqrt(np.maximum(ev[order], 0.0)), evec[:, order].T


def extents_along(points: FloatArray, axes: FloatArray) -> FloatArray:
    """Range of the points along each row of `axes`."""
    proj = points @ axes.T
    return np.asarray(proj.max(0) - proj.min(0))


def extreme(points: FloatArray, direction: FloatArray, weights: FloatArray | None = None,
            depth_mm: float = 2.0) -> FloatArray:
    """The farthest point along `direction`, made stable: the (weighted) centroid of the cap of
    points within `depth_mm` of the extreme. A single extreme vertex jumps across a flat bump when
    the mesh is remeshed (ICL medial epicondyle: 10 mm); the cap's centroid does not."""
    h = points @ direction
    cap = h > h.max() - depth_mm
    w = np.ones(int(cap.sum())) if weights is None else weights[cap]
    return np.asarray((points[cap] * w[:, None]).sum(0) / w.sum())


def fit_sphere(points: FloatArray) -> tuple[FloatArray, float, float]:
    """Least-squares sphere (algebraic fit): centre, radius and RMS radial residual (mm)."""
    p = np.asarray(points, dtype=float)
    shift = p.mean(0)
    q = p - shift
    A = np.column_stack([2.0 * q, np.ones(len(q))])
    b = (q * q).sum(1)
    sol, *_ = np.linalg.lstsq(A, b, rcond=None)
    c = sol[:3]
    r = float(np.sqrt(max(sol[3] + c @ c, 0.0)))
    res = np.linalg.norm(q - c, axis=1) - r
    return c + shift, r, float(np.sqrt(np.mean(res**2)))


@dataclass(frozen=True)
class SphereFit:
    centre: FloatArray
    radius_mm: float
    rms_mm: float
    area_fraction: float
    """Patch area over the whole sphere's area (ICL femoral head 0.84, a condyle 0.4)."""
    mask: np.ndarray


def grow_sphere(
    s: SurfaceSample,
    seed_mask: np.ndarray,
    convex: bool = True,
    iterations: int = 8,
    tol_mm: float = 2.0,
    normal_cos: float = 0.9,
) -> SphereFit | None:
    """Fit a sphere to a seed patch, then repeatedly refit to every point that lies on it.

    A point belongs to the sphere when it is within `tol_mm` of the surface and its normal points
    radially (outward for a convex ball such as the femoral head, inward for a socket such as the
    acetabulum). Returns None when the seed is too small to fit.
    """
    mask = seed_mask.copy()
    sign = 1.0 if convex else -1.0
    fit = None
    for _ in range(iterations):
        if mask.sum() < 20:
            return None
        c, r, _ = fit_sphere(s.points[mask])
        d = s.points - c
        dist = np.linalg.norm(d, axis=1)
        radial = np.einsum("ij,ij->i", d, s.normals) / np.maximum(dist, 1e-9)
        new = (np.abs(dist - r) < tol_mm) & (sign * radial > normal_cos)
        fit = (c, r)
        if np.array_equal(new, mask):
            break
        mask = new
    if fit is None or mask.sum() < 20:
        return None
    c, r, rms = fit_sphere(s.points[mask])
    frac = float(s.areas[mask].sum() / (4.0 * np.pi * r * r))
    return SphereFit(c, r, rms, frac, mask)


def plane_section(mesh: SurfaceMesh, origin: FloatArray, normal: FloatArray) -> FloatArray:
    """Segments (S, 2, 3) where the plane through `origin` with unit `normal` cuts the mesh."""
    d = (mesh.vertices_mm - origin) @ normal
    fd = d[mesh.faces]
    pos = fd > 0
    crossing = pos.any(1) & ~pos.all(1)
    tri = mesh.vertices_mm[mesh.faces[crossing]]
    td = fd[crossing]
    tp = pos[crossing]
    # the lone vertex is the one whose side differs from the other two
    lone = np.where(tp.sum(1) == 1, np.argmax(tp, axis=1), np.argmin(tp, axis=1))
    idx = np.arange(len(tri))
    a = tri[idx, lone]
    da = td[idx, lone]
    out = []
    for k in (1, 2):
        j = (lone + k) % 3
        b = tri[idx, j]
        db = td[idx, j]
        t = da / (da - db)
        out.append(a + t[:, None] * (b - a))
    return np.stack(out, axis=1) if out else np.zeros((0, 2, 3))


def envelope(
    seg_u: FloatArray, seg_v: FloatArray, grid: FloatArray, upper: bool = True
) -> FloatArray:
    """The upper (or lower) envelope v(u) of 2D segments sampled on `grid` (NaN where none).

    seg_u, seg_v: (S, 2) end coordinates of each segment in the plane of a section.
    """
    out = np.full(grid.shape, -np.inf if upper else np.inf)
    u0, u1 = seg_u[:, 0], seg_u[:, 1]
    v0, v1 = seg_v[:, 0], seg_v[:, 1]
    lo = np.minimum(u0, u1)
    hi = np.maximum(u0, u1)
    i0 = np.searchsorted(grid, lo, side="left")
    i1 = np.searchsorted(grid, hi, side="right")
    for k in np.nonzero(i1 > i0)[0]:
        g = grid[i0[k] : i1[k]]
        du = u1[k] - u0[k]
        t = (g - u0[k]) / du if abs(du) > 1e-12 else np.full(g.shape, 0.5)
        val = v0[k] + t * (v1[k] - v0[k])
        if upper:
            np.maximum(out[i0[k] : i1[k]], val, out=out[i0[k] : i1[k]])
        else:
            np.minimum(out[i0[k] : i1[k]], val, out=out[i0[k] : i1[k]])
    out[~np.isfinite(out)] = np.nan
    return out
