"""Label maps made from meshes, for the label-map tests: voxelise closed surfaces on a grid with
any voxel-to-world affine (scanline parity along the third voxel axis)."""

from __future__ import annotations

import numpy as np

from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh


def voxelise(meshes: dict[int, SurfaceMesh], affine: FloatArray,
             margin_mm: float = 6.0) -> tuple[np.ndarray, FloatArray]:
    """A uint8 label image holding every closed mesh (mm) under its label, on the grid of
    `affine` (voxel -> world), with the grid's origin moved so that all meshes fit; returns the
    image and its affine. Later labels overwrite earlier ones where they overlap."""
    A_inv = np.linalg.inv(affine)
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    all_v = np.vstack([m.vertices_mm for m in meshes.values()])
    idx = all_v @ A_inv[:3, :3].T + A_inv[:3, 3]
    pad = margin_mm / spacing
    lo = np.floor(idx.min(axis=0) - pad)
    hi = np.ceil(idx.max(axis=0) + pad)
    shape = (hi - lo).astype(int) + 1
    out_affine = affine.copy()
    out_affine[:3, 3] = affine[:3, :3] @ lo + affine[:3, 3]
    labels = np.zeros(shape, dtype=np.uint8)
    for value, mesh in meshes.items():
        labels[_inside(mesh, out_affine, shape)] = value
    return labels, out_affine


def _inside(mesh: SurfaceMesh, affine: FloatArray, shape: np.ndarray) -> np.ndarray:
    """Voxel centres inside a closed mesh: crossings of each (i, j) column with the triangles,
    toggled along k and accumulated (odd = inside)."""
    A_inv = np.linalg.inv(affine)
    v = mesh.vertices_mm @ A_inv[:3, :3].T + A_inv[:3, 3]
    tri = v[mesh.faces]  # (M, 3, 3) in voxel index coordinates
    toggle = np.zeros((shape[0], shape[1], shape[2] + 1), dtype=np.int32)
    i_lo = np.ceil(tri[:, :, 0].min(axis=1)).astype(int)
    i_hi = np.floor(tri[:, :, 0].max(axis=1)).astype(int)
    j_lo = np.ceil(tri[:, :, 1].min(axis=1)).astype(int)
    j_hi = np.floor(tri[:, :, 1].max(axis=1)).astype(int)
    ni = np.maximum(i_hi - i_lo + 1, 0)
    nj = np.maximum(j_hi - j_lo + 1, 0)
    counts = ni * nj
    t_id = np.repeat(np.arange(len(tri)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    ii = i_lo[t_id] + offs // np.maximum(nj[t_id], 1)
    jj = j_lo[t_id] + offs % np.maximum(nj[t_id], 1)
    a, b, c = tri[t_id, 0], tri[t_id, 1], tri[t_id, 2]
    # barycentric coordinates of (ii, jj) in the triangle's projection on the (i, j) plane
    d = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    ok = np.abs(d) > 1e-12
    ds = np.where(ok, d, 1.0)
    w1 = ((ii - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (jj - a[:, 1])) / ds
    w2 = ((b[:, 0] - a[:, 0]) * (jj - a[:, 1]) - (ii - a[:, 0]) * (b[:, 1] - a[:, 1])) / ds
    w0 = 1.0 - w1 - w2
    hit = ok & (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
    k = w0 * a[:, 2] + w1 * b[:, 2] + w2 * c[:, 2]
    kk = np.clip(np.ceil(k[hit]).astype(int), 0, shape[2])
    np.add.at(toggle, (ii[hit], jj[hit], kk), 1)
    return np.cumsum(toggle, axis=2)[:, :, : shape[2]] % 2 == 1
