"""Articular cartilage layers grown on bone: the default knee has none, and most patient
segmentations hold bone only, so kneeviz builds its own.

A cartilage layer is a closed shell: the outer (articular) surface is the bone's articular patch
pushed out along its normals by the local thickness, the inner surface lies just under the bone
surface, and a wall joins them along the rim. The thickness tapers to a fraction of a millimetre at
the rim so the layer blends into the bone, as real cartilage does.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.anatomy.sculpt import smooth_min


def face_components(faces: np.ndarray) -> np.ndarray:
    """Connected-component label of every face (faces sharing a vertex are connected)."""
    if len(faces) == 0:
        return np.zeros(0, dtype=np.int64)
    n_v = int(faces.max()) + 1
    rows = np.repeat(np.arange(len(faces)), 3)
    incidence = coo_matrix((np.ones(rows.size), (rows, faces.ravel())), shape=(len(faces), n_v))
    adjacency = (incidence @ incidence.T).tocsr()
    _, labels = connected_components(adjacency, directed=False)
    return np.asarray(labels, dtype=np.int64)


def articular_patch(mesh: SurfaceMesh, vertex_mask: np.ndarray, max_edge_mm: float) -> SurfaceMesh:
    """The faces whose three vertices are selected, as one connected, finely divided surface."""
    keep = np.all(vertex_mask[mesh.faces], axis=1)
    faces = mesh.faces[keep]
    labels = face_components(faces)
    if len(labels) and labels.max() > 0:
        areas = SurfaceMesh(mesh.vertices_mm, faces).face_areas_mm2()
        biggest = np.argmax(np.bincount(labels, weights=areas))
        faces = faces[labels == biggest]
    import trimesh  # here, not at the top: the app starts on the bundled knee without it

    tm = trimesh.Trimesh(mesh.vertices_mm, faces, process=False)
    tm.remove_unreferenced_vertices()
    if max_edge_mm > 0:
        v, f = trimesh.remesh.subdivide_to_size(tm.vertices, tm.faces, max_edge=max_edge_mm)
        tm = trimesh.Trimesh(v, f, process=False)
        tm.merge_vertices()
    return SurfaceMesh(np.asarray(tm.vertices), np.asarray(tm.faces))


def boundary_edges(faces: np.ndarray) -> np.ndarray:
    """Directed edges (a, b) used by exactly one face, in that face's winding."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    key = np.sort(e, axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    return e[counts[inverse.ravel()] == 1]


def rim_taper(patch: SurfaceMesh, width_mm: float) -> FloatArray:
    """0 at the rim rising smoothly to 1 at `width_mm` inside it (per vertex)."""
    rim = np.unique(boundary_edges(patch.faces))
    if len(rim) == 0:
        return np.ones(patch.n_vertices)
    d, _ = cKDTree(patch.vertices_mm[rim]).query(patch.vertices_mm)
    s = np.clip(d / width_mm, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def cartilage_shell(
    patch: SurfaceMesh, thickness_mm: FloatArray, under_bone_mm: float = 0.15
) -> SurfaceMesh:
    """A closed cartilage layer: outer surface first (vertices 0..n-1, the articular surface),
    then the inner surface, joined at the rim. Outward normals."""
    n = patch.vertex_normals()
    outer = patch.vertices_mm + n * thickness_mm[:, None]
    inner = patch.vertices_mm - n * under_bone_mm
    nv = patch.n_vertices
    f_out = patch.faces
    f_in = patch.faces[:, ::-1] + nv
    a, b = boundary_edges(patch.faces).T
    walls = np.concatenate(
        [np.column_stack([b, a, a + nv]), np.column_stack([b, a + nv, b + nv])]
    )
    faces = np.concatenate([f_out, f_in, walls])
    return SurfaceMesh(np.vstack([outer, inner]), faces)


def clip_by_field(mesh: SurfaceMesh, phi: FloatArray) -> SurfaceMesh:
    """The part of a surface where the per-vertex field `phi` is positive, cut exactly along its
    zero level (triangles crossing it are split), so the rim is smooth rather than saw-toothed."""
    v = mesh.vertices_mm
    f = mesh.faces
    pos = phi > 0
    n_pos = pos[f].sum(axis=1)
    out_faces: list[np.ndarray] = [f[n_pos == 3]]
    new_points: list[np.ndarray] = []
    edge_index: dict[tuple[int, int], int] = {}
    base = len(v)

    def cut(a: int, b: int) -> int:
        key = (a, b) if a < b else (b, a)
        if key not in edge_index:
            t = phi[a] / (phi[a] - phi[b])
            new_points.append(v[a] + t * (v[b] - v[a]))
            edge_index[key] = base + len(new_points) - 1
        return edge_index[key]

    extra: list[tuple[int, int, int]] = []
    for tri in f[(n_pos == 1) | (n_pos == 2)]:
        # rotate so the odd vertex out is first, keeping the winding
        p = pos[tri]
        odd = int(np.flatnonzero(p != (p.sum() >= 2))[0])
        a, b, c = np.roll(tri, -odd)
        ab, ac = cut(a, b), cut(a, c)
        if pos[a]:  # one vertex inside: a small triangle
            extra.append((a, ab, ac))
        else:  # two inside: a quad (b, c, ac, ab) in two triangles
            extra.append((ab, b, c))
            extra.append((ab, c, ac))
    if extra:
        out_faces.append(np.array(extra, dtype=np.int64))
    verts = np.vstack([v, np.array(new_points).reshape(-1, 3)])
    import trimesh  # see above

    tm = trimesh.Trimesh(verts, np.vstack(out_faces), process=False)
    tm.update_faces(tm.nondegenerate_faces(height=1e-7))
    tm.remove_unreferenced_vertices()
    return SurfaceMesh(np.asarray(tm.vertices), np.asarray(tm.faces))


NOTCH_POOL_DEPTH_MM = 7.0
"""Where the surface lies this far below both condyles, it is the intercondylar notch (no
cartilage). Shallower than that is the condyles' inner margin, on which the patella rides in deep
flexion (its odd facet on the medial condyle, the lateral facet on the lateral one)."""


def _pool_depth_grid(
    theta: FloatArray, r: FloatArray, z: FloatArray, t_grid: FloatArray, z_grid: FloatArray
) -> FloatArray:
    """How deep each (theta, z) cell lies below the higher ground on both sides (mm): the
    intercondylar notch shows up as a deep pool between the condyles."""
    from kneeviz.anatomy.sculpt import fill_nan_rows, outer_profile

    prof = fill_nan_rows(outer_profile(theta, r, z, t_grid, z_grid))
    depth = np.zeros_like(prof)
    for i, row in enumerate(prof):
        if not np.all(np.isfinite(row)):
            continue
        left = np.maximum.accumulate(row)
        right = np.maximum.accumulate(row[::-1])[::-1]
        depth[i] = np.minimum(left, right) - row
    return depth


def femoral_cartilage(
    femur: SurfaceMesh,
    groove_z_mm: float,
    trochlea_thickness_mm: float = 2.6,
    condyle_thickness_mm: float = 2.0,
    max_edge_mm: float = 0.0,
) -> SurfaceMesh:
    """Femoral cartilage over the trochlea and both condyles (femur in its femur frame).

    The articular region is a smooth level set in cylindrical coordinates about the flexion
    (Z) axis: the trochlea from its proximal border down to the notch, the condyles from there
    round to the posterior side, minus the intercondylar notch and the side walls."""
    from scipy.interpolate import RegularGridInterpolator

    from kneeviz.anatomy.sculpt import cylindrical

    fine = femur
    v = fine.vertices_mm
    n = fine.vertex_normals()
    theta, r, z = cylindrical(v)
    theta = np.where(theta < -90.0, theta + 360.0, theta)  # posterior side continues past 180
    radial = np.column_stack([v[:, 0], v[:, 1]]) / np.maximum(r, 1e-9)[:, None]
    out = np.einsum("ij,ij->i", n[:, :2], radial)
    arc = np.pi / 180.0 * 28.0  # mm of surface per degree of arc, near enough

    # trochlea: proximal border rises a little on the lateral facet (real cartilage does)
    zz = z - groove_z_mm
    top = -57.0 - 3.0 * np.clip(zz / 20.0, -0.3, 1.0)
    widen = 8.0 * np.clip((theta + 50.0) / 70.0, 0.0, 1.0)  # wider towards the condyles
    side = np.where(zz > 0, 30.0 + widen - zz, 22.0 + widen + zz)  # lateral facet is wider
    phi_troch = smooth_min((theta - top) * arc, side, 4.0)
    phi_troch = np.minimum(phi_troch, (80.0 - theta) * arc)
    # condyles: from the distal trochlea round to the back, minus the notch
    t_grid = np.arange(40.0, 240.0, 2.0)
    z_grid = np.arange(-50.0, 50.0 + 1e-9, 1.0)
    sel = out > 0.3
    pool = gaussian_filter(_pool_depth_grid(theta[sel], r[sel], z[sel], t_grid, z_grid), 1.0)
    interp = RegularGridInterpolator((t_grid, z_grid), pool, bounds_error=False, fill_value=0.0)
    notch = interp(np.column_stack([theta, z]))
    phi_cond = np.minimum((theta - 55.0) * arc, (178.0 - theta) * arc)
    phi_cond = smooth_min(phi_cond, NOTCH_POOL_DEPTH_MM - notch, 2.0)
    phi = np.maximum(phi_troch, phi_cond)
    phi = np.minimum(phi, (out - 0.45) * 15.0)
    patch = clip_by_field(fine, phi)
    # keep the biggest piece and refine it
    patch = articular_patch(patch, np.ones(patch.n_vertices, bool), max_edge_mm)
    pv_ = patch.vertices_mm
    t_p, _, _ = cylindrical(pv_)
    t_p = np.where(t_p < -90.0, t_p + 360.0, t_p)
    s = np.clip((t_p - 40.0) / 40.0, 0.0, 1.0)
    thick = trochlea_thickness_mm * (1 - s) + condyle_thickness_mm * s
    thick = thick * (0.12 + 0.88 * rim_taper(patch, 3.0))
    return cartilage_shell(patch, thick)


def patellar_cartilage(
    patella: SurfaceMesh,
    ridge_z_mm: float,
    ridge_thickness_mm: float = 4.0,
    edge_thickness_mm: float = 2.5,
    max_edge_mm: float = 1.1,
) -> SurfaceMesh:
    """Patellar cartilage over the articular (posterior) face of a patella in its patella frame.

    Covers the posterior face except the inferior pole (the apex, where the tendon attaches, is
    not articular: about its lowest quarter); thickest along the median ridge (about 4 mm:
    Sullivan et al. 2014 measured 4.1 +/- 1.3 mm), thinner towards the facet edges."""
    v = patella.vertices_mm
    n = patella.vertex_normals()
    y_lo, y_hi = float(v[:, 1].min()), float(v[:, 1].max())
    y_cut = y_lo + 0.22 * (y_hi - y_lo)
    phi = np.minimum((-n[:, 0] - 0.3) * 15.0, v[:, 1] - y_cut)
    patch = clip_by_field(patella, phi)
    patch = articular_patch(patch, np.ones(patch.n_vertices, bool), max_edge_mm)
    dz = patch.vertices_mm[:, 2] - ridge_z_mm
    bump = np.exp(-((dz / 12.0) ** 2))
    thick = edge_thickness_mm + (ridge_thickness_mm - edge_thickness_mm) * bump
    thick = thick * (0.12 + 0.88 * rim_taper(patch, 2.5))
    return cartilage_shell(patch, thick)
