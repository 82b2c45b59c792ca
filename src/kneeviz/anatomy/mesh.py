"""A triangle surface as plain arrays: the currency of the model layers.

Kept free of trimesh/pyvista objects so it is cheap to hash, copy, transform and store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kneeviz.transforms import FloatArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SurfaceMesh:
    """Vertices in millimetres (N, 3) and triangles as vertex indices (M, 3)."""

    vertices_mm: FloatArray
    faces: IntArray

    def __post_init__(self) -> None:
        v = np.ascontiguousarray(self.vertices_mm, dtype=np.float64)
        f = np.ascontiguousarray(self.faces, dtype=np.int64)
        if v.ndim != 2 or v.shape[1] != 3:
            raise ValueError(f"vertices must be (N, 3), got {v.shape}")
        if f.ndim != 2 or f.shape[1] != 3:
            raise ValueError(f"faces must be (M, 3), got {f.shape}")
        v.setflags(write=False)
        f.setflags(write=False)
        object.__setattr__(self, "vertices_mm", v)
        object.__setattr__(self, "faces", f)

    @property
    def n_vertices(self) -> int:
        return int(self.vertices_mm.shape[0])

    @property
    def n_triangles(self) -> int:
        return int(self.faces.shape[0])

    def transformed(self, T_new_old: FloatArray) -> SurfaceMesh:
        """This mesh with every vertex mapped by a 4x4 transform (faces flipped if it mirrors)."""
        R = T_new_old[:3, :3]
        v = self.vertices_mm @ R.T + T_new_old[:3, 3]
        f = self.faces if np.linalg.det(R) > 0 else self.faces[:, ::-1]
        return SurfaceMesh(v, f.copy())

    def face_normals(self) -> FloatArray:
        tri = self.vertices_mm[self.faces]
        n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        length = np.linalg.norm(n, axis=1, keepdims=True)
        return np.divide(n, length, out=np.zeros_like(n), where=length > 0)

    def face_areas_mm2(self) -> FloatArray:
        tri = self.vertices_mm[self.faces]
        return 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)

    def vertex_normals(self) -> FloatArray:
        """Area-weighted vertex normals (unit length; zero for unused vertices)."""
        tri = self.vertices_mm[self.faces]
        fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        vn = np.zeros_like(self.vertices_mm)
        for k in range(3):
            np.add.at(vn, self.faces[:, k], fn)
        length = np.linalg.norm(vn, axis=1, keepdims=True)
        return np.divide(vn, length, out=np.zeros_like(vn), where=length > 0)

    def vertex_areas_mm2(self) -> FloatArray:
        """A third of the area of every triangle touching each vertex (lumped area)."""
        a = self.face_areas_mm2() / 3.0
        out = np.zeros(self.n_vertices)
        for k in range(3):
            np.add.at(out, self.faces[:, k], a)
        return out

    def content_hash(self) -> str:
        """A short hash of the geometry, for cache keys."""
        h = hashlib.sha256()
        h.update(self.vertices_mm.tobytes())
        h.update(self.faces.tobytes())
        return h.hexdigest()[:16]


def depth_behind_surface(vertices_mm: FloatArray, normals: FloatArray, points: FloatArray,
                         within_mm: float, tree: object | None = None) -> FloatArray:
    """How far each point lies behind the tangent plane of its nearest surface vertex (mm; < 0:
    in front of it), NaN for points farther than `within_mm` from every vertex: the signed
    distance that works for open, one-sided surfaces too (`normals` say which side is out).
    `tree`: a scipy cKDTree of `vertices_mm`, when the caller keeps one."""
    from scipy.spatial import cKDTree

    kd = tree if isinstance(tree, cKDTree) else cKDTree(vertices_mm)
    p = np.asarray(points, dtype=float)
    d, i = kd.query(p, distance_upper_bound=within_mm)
    near = np.isfinite(d)
    out = np.full(len(p), np.nan)
    j = i[near]
    out[near] = -np.einsum("ij,ij->i", p[near] - vertices_mm[j], normals[j])
    return out


def reduce_for_display(mesh: SurfaceMesh, max_triangles: int) -> tuple[SurfaceMesh, IntArray]:
    """The mesh decimated to about max_triangles (quadric error) and, for every kept vertex, the
    nearest original vertex, so per-vertex data (cartilage pressure) can be shown on it by
    indexing: `values[vertex_map]`. For pictures and exported 3D files (the 3D view, the
    take-home glTF and page); the model keeps the full meshes."""
    if mesh.n_triangles <= max_triangles:
        return mesh, np.arange(mesh.n_vertices, dtype=np.int64)
    import fast_simplification
    from scipy.spatial import cKDTree

    pts, faces = fast_simplification.simplify(
        mesh.vertices_mm.astype(np.float32), mesh.faces.astype(np.int32),
        target_count=int(max_triangles),
    )
    reduced = SurfaceMesh(np.asarray(pts, dtype=float), np.asarray(faces, dtype=np.int64))
    _d, idx = cKDTree(mesh.vertices_mm).query(reduced.vertices_mm)
    return reduced, np.asarray(idx, dtype=np.int64)
