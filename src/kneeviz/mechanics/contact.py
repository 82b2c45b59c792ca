"""Elastic-foundation cartilage contact against a signed-distance grid of the femoral cartilage.

Why a grid: the patella's ~2,000 contact points must be tested against the femoral cartilage tens of
times per frame; a precomputed 1 mm grid sampled by trilinear interpolation costs microseconds per
point. Why the tangent-plane distance: cartilage meshes are often open, one-sided surfaces, so
inside/outside tests mean nothing; the distance to the nearest dense surface sample, signed by that
sample's outward normal, does (docs/model.md section 4.4).

Only the ARTICULAR side of the femoral cartilage is sampled (faces whose normal points away from
the femoral bone), so a patellar point that sinks into the cartilage keeps a negative distance all
the way down instead of meeting the bone-side surface. The grid is built once per knee and cached
on disk (.npz, allow_pickle=False) keyed by the cartilage and bone content.

Pressure: the elastic foundation of Lenhart et al. 2015 (docs/literature.md section 6) in its
logarithmic form (Blankevoort L et al. 1991, J Biomech 24:1019): p = -K ln(1 - d / h) with
K = (1 - nu) E / ((1 + nu)(1 - 2 nu)), E = 5 MPa, nu = 0.45, d the overlap, h the combined cartilage
thickness under the point (at least MIN_LAYER_MM). For a small strain d / h it is the linear
p = K d / h (within 6 % up to a strain of 0.1); unlike the linear law it cannot crush a layer past
its own depth: under the linear law the deep squat of a small kneecap strained its thinnest
cartilage past 1, the bones passing through each other (docs/model.md section 4.4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import map_coordinates
from scipy.spatial import cKDTree

from kneeviz.anatomy.mesh import FloatArray, IntArray, SurfaceMesh

GRID_VERSION = "sdf-v10"
OPEN_BONE_GRID_VERSION = "open-bone-v2"
"""Also in the key of a grid built over an open bone surface (articular_faces changed for those
only: the closed bones' grids stay valid)."""
MIN_LAYER_MM = 1.0
"""Floor on each cartilage layer's thickness in the foundation's depth h. Grown (and segmented)
cartilage tapers to nothing at its rim, where a thin-layer foundation would turn a millimetre of
rim overlap into tens of MPa; real rims are blunt (patellar cartilage is about 4 mm thick,
trochlear 2-3 mm: docs/literature.md section 5)."""
BARE_BONE_LAYER_MM = 0.0
"""Bare bone (a kneecap's rim and apex, the femur's notch and the anterior femur above the
trochlea) carries no layer: a bare point's foundation is the cartilage facing it alone, and bone on
bone is a foundation MIN_LAYER_MM deep (h is floored there), which the logarithmic law keeps
from closing. Counted as a 1 mm layer of its own, a small kneecap's bare rim sank 1.1-1.5 mm into
the femur at 115-120 deg (atlas:07, 08, 13, 18: docs/validation.md, "Self-check")."""
CARTILAGE_NU = 0.45


LOG_STRAIN_CAP = 0.9
"""Beyond this strain the logarithmic law goes on along its tangent (p = 2.3 K there, 44 MPa for
5 MPa cartilage, a stress that tears cartilage) so a Newton step that overshoots stays finite."""


def foundation_depth_mm(layers_mm: FloatArray, scale: float) -> FloatArray:
    """The foundation's depth h under contact points whose two layers add up to `layers_mm`
    (a bare bone's layer is BARE_BONE_LAYER_MM), floored at MIN_LAYER_MM (bone on bone) and
    scaled by cartilage_thickness_scale. kernel_numba.wrench computes the same per point."""
    return np.maximum(np.asarray(layers_mm, dtype=float), MIN_LAYER_MM) * scale


def foundation_pressure(strain: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The foundation's pressure per unit modulus, p / K = -ln(1 - strain), and its slope
    d(p / K)/d(strain) = 1 / (1 - strain), for strains d / h >= 0 (continued along the tangent
    past LOG_STRAIN_CAP). kernel_numba._log_law is the same law for one point."""
    e = np.asarray(strain, dtype=float)
    c = LOG_STRAIN_CAP
    below = e < c
    inside = np.where(below, e, 0.0)
    value = np.where(below, -np.log1p(-inside), -np.log1p(-c) + (e - c) / (1.0 - c))
    slope = np.where(below, 1.0 / (1.0 - inside), 1.0 / (1.0 - c))
    return value, slope


def foundation_modulus_mpa(E: float, nu: float = CARTILAGE_NU) -> float:
    """Elastic-foundation modulus K (MPa) of a thin layer on a rigid base (Lenhart 2015)."""
    return (1.0 - nu) * E / ((1.0 + nu) * (1.0 - 2.0 * nu))


def signed_volume_mm3(mesh: SurfaceMesh) -> float:
    """Volume by the divergence theorem: positive when the faces are wound outward (for an open
    bone surface, the sign still tells which way most of it is wound)."""
    t = mesh.vertices_mm[mesh.faces]
    return float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6.0)


def is_closed(mesh: SurfaceMesh) -> bool:
    """Every edge shared by exactly two faces (a watertight surface)."""
    f = mesh.faces
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return bool(len(counts) and np.all(counts == 2))


OFF_BONE_MM = 0.5
"""A cartilage face farther than this from its nearest bone vertex lies off the bone, on its outer
side (a layer is 1.5-4 mm thick; a grown shell's inner sheet is the bone surface itself)."""


def articular_faces(cartilage: SurfaceMesh, bone: SurfaceMesh) -> tuple[IntArray, FloatArray]:
    """Indices of the cartilage faces on the articular side and their outward unit normals.

    A cartilage mesh may be a single articular sheet (either winding) or a closed shell whose inner
    sheet lies on or under the bone. Articular faces are those whose normal agrees with the outward
    normal of the nearest bone vertex. A closed bone's outward side is known from its signed
    volume; an open bone surface's (a subchondral patch, a knee MRI's piece with its cut edge left
    open) from the cartilage faces that lie clearly off it, which are on its outer side. (Judging
    each face by the direction from its nearest bone vertex instead failed for a layer grown on the
    bone: the shell's inner sheet lies on the bone, so half of it passed as articular and the
    contact grid held a second surface inside the first.) If that keeps almost nothing, the sheet
    is wound inward and is flipped.
    """
    normals = cartilage.face_normals()
    centroids = cartilage.vertices_mm[cartilage.faces].mean(axis=1)
    _, idx = cKDTree(bone.vertices_mm).query(centroids, workers=-1)
    bone_normals = bone.vertex_normals()[idx]
    if is_closed(bone):
        outward = np.sign(signed_volume_mm3(bone)) or 1.0
    else:
        offset = centroids - bone.vertices_mm[idx]
        off_bone = np.linalg.norm(offset, axis=1) > OFF_BONE_MM
        outward = np.sign(np.einsum("ij,ij->", offset[off_bone], bone_normals[off_bone])) or 1.0
    score = outward * np.einsum("ij,ij->i", normals, bone_normals)
    threshold = 0.2
    keep = score > threshold
    if keep.sum() < 0.1 * len(keep):
        normals = -normals
        keep = score < -threshold
    ids = np.nonzero(keep & (np.linalg.norm(normals, axis=1) > 0))[0]
    return ids.astype(np.int64), normals[ids]


def thickness_mm(points: FloatArray, bone: SurfaceMesh, lo: float, hi: float) -> FloatArray:
    """Cartilage thickness under each point: distance to the nearest bone vertex, clipped."""
    d, _ = cKDTree(bone.vertices_mm).query(points, workers=-1)
    return np.clip(d, lo, hi)


def dense_samples(
    mesh: SurfaceMesh, face_ids: IntArray, spacing_mm: float
) -> tuple[FloatArray, IntArray]:
    """Points on the given faces on a barycentric lattice no coarser than `spacing_mm`,
    with the face each point lies on."""
    tri = mesh.vertices_mm[mesh.faces[face_ids]]
    edge = np.max(
        np.linalg.norm(tri[:, [1, 2, 0]] - tri, axis=2), axis=1
    )
    levels = np.clip(np.ceil(edge / spacing_mm).astype(int), 1, 64)
    pts: list[FloatArray] = []
    owners: list[IntArray] = []
    for lv in np.unique(levels):
        sel = np.nonzero(levels == lv)[0]
        # centroids of the lv*lv sub-triangles: no point is shared between faces (duplicate
        # points slow the KD-tree down badly)
        up = [((i + 1 / 3) / lv, (j + 1 / 3) / lv) for i in range(lv) for j in range(lv - i)]
        down = [
            ((i + 2 / 3) / lv, (j + 2 / 3) / lv) for i in range(lv - 1) for j in range(lv - 1 - i)
        ]
        uv = np.array(up + down)
        bary = np.column_stack([1.0 - uv[:, 0] - uv[:, 1], uv[:, 0], uv[:, 1]])
        p = np.einsum("kb,fbd->fkd", bary, tri[sel]).reshape(-1, 3)
        pts.append(p)
        owners.append(np.repeat(face_ids[sel], len(bary)))
    return np.concatenate(pts), np.concatenate(owners)


@dataclass(frozen=True, eq=False)
class DistanceGrid:
    """Signed distance (mm, + outside) to the femoral articular cartilage on a regular grid, with
    the outward surface normal and the femoral cartilage thickness at the nearest surface point.

    `values` is (nx, ny, nz, 5): signed distance, normal x, y, z, thickness. Points outside the grid
    are reported as far outside (no contact) rather than clamped.
    """

    origin_mm: FloatArray
    spacing_mm: float
    values: FloatArray

    @property
    def shape(self) -> tuple[int, int, int]:
        s = self.values.shape
        return (int(s[0]), int(s[1]), int(s[2]))

    def __post_init__(self) -> None:
        flat = np.ascontiguousarray(self.values.reshape(-1, 5), dtype=np.float64)
        object.__setattr__(self, "_sd", np.ascontiguousarray(flat[:, 0]))
        object.__setattr__(self, "_rest", np.ascontiguousarray(flat[:, 1:]))

    def _corners(
        self, points_mm: FloatArray
    ) -> tuple[NDArray[np.bool_], list[tuple[IntArray, FloatArray]]]:
        """Which points lie inside the grid, and the 8 (flat index offset, weight) corners."""
        f = (points_mm - self.origin_mm) / self.spacing_mm
        shape = np.array(self.shape)
        inside = np.all((f >= 0.0) & (f <= shape - 1.000001), axis=1)
        i0 = np.clip(np.floor(f).astype(np.int64), 0, shape - 2)
        t = np.clip(f - i0, 0.0, 1.0)
        sy, sz = int(shape[1] * shape[2]), int(shape[2])
        base = i0[:, 0] * sy + i0[:, 1] * sz + i0[:, 2]
        tx, ty, tz = t[:, 0], t[:, 1], t[:, 2]
        ux, uy, uz = 1.0 - tx, 1.0 - ty, 1.0 - tz
        corners = [
            (base, ux * uy * uz),
            (base + 1, ux * uy * tz),
            (base + sz, ux * ty * uz),
            (base + sz + 1, ux * ty * tz),
            (base + sy, tx * uy * uz),
            (base + sy + 1, tx * uy * tz),
            (base + sy + sz, tx * ty * uz),
            (base + sy + sz + 1, tx * ty * tz),
        ]
        return inside, corners

    def distance(self, points_mm: FloatArray) -> FloatArray:
        """Trilinear signed distance (mm) at each point; far outside (1e3) beyond the grid."""
        inside, corners = self._corners(points_mm)
        sd_flat: FloatArray = self._sd  # type: ignore[attr-defined]
        acc = np.zeros(len(points_mm))
        for idx, w in corners:
            acc += w * sd_flat[idx]
        return np.where(inside, acc, 1e3)

    def penetrating(
        self, points_mm: FloatArray
    ) -> tuple[NDArray[np.int64], FloatArray, FloatArray, FloatArray]:
        """For the points below the surface (signed distance < 0): their indices, distances, unit
        outward normals and femoral thickness, with one corner lookup for all channels."""
        inside, corners = self._corners(points_mm)
        sd_flat: FloatArray = self._sd  # type: ignore[attr-defined]
        rest: FloatArray = self._rest  # type: ignore[attr-defined]
        acc = np.zeros(len(points_mm))
        for idx, w in corners:
            acc += w * sd_flat[idx]
        active = np.nonzero(inside & (acc < 0.0))[0]
        acc4 = np.zeros((len(active), 4))
        for idx, w in corners:
            acc4 += w[active, None] * rest[idx[active]]
        n = acc4[:, :3]
        nn = np.linalg.norm(n, axis=1, keepdims=True)
        n = np.divide(n, nn, out=np.zeros_like(n), where=nn > 1e-9)
        return active, acc[active], n, acc4[:, 3]

    def sample(self, points_mm: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Trilinear signed distance (N,), unit outward normal (N, 3), femoral thickness (N,)."""
        inside, corners = self._corners(points_mm)
        sd_flat: FloatArray = self._sd  # type: ignore[attr-defined]
        rest: FloatArray = self._rest  # type: ignore[attr-defined]
        acc = np.zeros(len(points_mm))
        acc4 = np.zeros((len(points_mm), 4))
        for idx, w in corners:
            acc += w * sd_flat[idx]
            acc4 += w[:, None] * rest[idx]
        n = acc4[:, :3]
        nn = np.linalg.norm(n, axis=1, keepdims=True)
        n = np.divide(n, nn, out=np.zeros_like(n), where=nn > 1e-9)
        return np.where(inside, acc, 1e3), n, acc4[:, 3]


def bare_bone_faces(
    bone: SurfaceMesh,
    cart_samples: FloatArray,
    cart_normals: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
) -> tuple[IntArray, FloatArray]:
    """Bone faces inside the box [lo, hi] that no cartilage covers, with outward normals.

    A bone face is covered when a point 1-5.5 mm out along its normal lies within 1.5 mm of the
    articular surface (the cartilage over it). The bone's winding is taken from the covered faces:
    their normals must agree with the cartilage's.
    """
    centroids = bone.vertices_mm[bone.faces].mean(axis=1)
    inside = np.nonzero(np.all((centroids > lo) & (centroids < hi), axis=1))[0]
    if not len(inside):
        return inside.astype(np.int64), np.zeros((0, 3))
    c = centroids[inside]
    n = bone.face_normals()[inside]
    tree = cKDTree(cart_samples)
    d0, i0 = tree.query(c, workers=-1)
    near = d0 < 6.0
    if near.any():
        agree = float(np.einsum("ij,ij->i", n[near], cart_normals[i0[near]]).mean())
        if agree < 0:
            n = -n
    covered = np.zeros(len(c), dtype=bool)
    for t in (1.0, 2.5, 4.0, 5.5):
        d, _ = tree.query(c + t * n, workers=-1)
        covered |= d < 1.5
    covered |= d0 < 1.0
    keep = ~covered & (np.linalg.norm(n, axis=1) > 0)
    return inside[keep].astype(np.int64), n[keep]


def build_distance_grid(
    cartilage: SurfaceMesh,
    bone: SurfaceMesh,
    spacing_mm: float = 1.0,
    margin_mm: float = 14.0,
    sample_spacing_mm: float = 0.5,
) -> DistanceGrid:
    """Build the signed-distance grid of the femoral cartilage's articular surface.

    The grid spans the articular surface's bounding box plus `margin_mm` on every side, which
    covers every place a patellar cartilage point can touch it over the whole squat (contact happens
    within a few millimetres of the surface; the patella rides on it from extension to deep
    flexion).
    """
    face_ids, face_normals = articular_faces(cartilage, bone)
    normal_of = np.zeros((cartilage.n_triangles, 3))
    normal_of[face_ids] = face_normals
    tri = cartilage.vertices_mm[cartilage.faces[face_ids]]
    coarse = tri.mean(axis=1)
    samples, owner = dense_samples(cartilage, face_ids, sample_spacing_mm)
    s_normals = normal_of[owner]
    s_thick = thickness_mm(samples, bone, MIN_LAYER_MM, 5.0)
    lo = samples.min(axis=0) - margin_mm
    hi = samples.max(axis=0) + margin_mm
    coarse_normals = face_normals
    coarse_thick = thickness_mm(coarse, bone, MIN_LAYER_MM, 5.0)
    # bare bone (no cartilage over it: the anterior femur above the trochlea, the notch) is a
    # contact surface too, so a patella that rides off the cartilage still has something under it
    bone_ids, bone_normals = bare_bone_faces(bone, samples, s_normals, lo, hi)
    if len(bone_ids):
        b_samples, b_owner = dense_samples(bone, bone_ids, sample_spacing_mm * 2.0)
        b_normal_of = np.zeros((bone.n_triangles, 3))
        b_normal_of[bone_ids] = bone_normals
        b_centroids = bone.vertices_mm[bone.faces[bone_ids]].mean(axis=1)
        samples = np.concatenate([samples, b_samples])
        s_normals = np.concatenate([s_normals, b_normal_of[b_owner]])
        s_thick = np.concatenate([s_thick, np.full(len(b_samples), BARE_BONE_LAYER_MM)])
        coarse = np.concatenate([coarse, b_centroids])
        coarse_normals = np.concatenate([coarse_normals, bone_normals])
        coarse_thick = np.concatenate([coarse_thick,
                                       np.full(len(b_centroids), BARE_BONE_LAYER_MM)])
    n = np.ceil((hi - lo) / spacing_mm).astype(int) + 1
    axes = [lo[k] + spacing_mm * np.arange(n[k]) for k in range(3)]
    gx, gy, gz = np.meshgrid(*axes, indexing="ij")
    nodes = np.column_stack([gx.ravel(), gy.ravel(), gz.ravel()])
    # Stage 1: a coarse grid (4 cells a side per coarse cell) against the face centroids gives the
    # distance far from the surface, where only its sign matters; trilinear upsampling fills the
    # fine nodes. Stage 2: fine nodes that may lie within `band` of the surface (the distance is
    # 1-Lipschitz, so a coarse node's distance bounds its neighbours') get the exact tangent-plane
    # distance to the dense samples. Querying every fine node directly took minutes' worth of
    # KD-tree visits far from the surface.
    band = 4.0
    step = 2
    nc = (n - 1) // step + 2
    caxes = [lo[k] + spacing_mm * step * np.arange(nc[k]) for k in range(3)]
    cx, cy, cz = np.meshgrid(*caxes, indexing="ij")
    cnodes = np.column_stack([cx.ravel(), cy.ravel(), cz.ravel()])
    cdist, cidx = cKDTree(coarse).query(cnodes, workers=-1)
    csd = np.einsum("ij,ij->i", cnodes - coarse[cidx], coarse_normals[cidx])
    coords = (nodes - lo) / (spacing_mm * step)
    sd = map_coordinates(csd.reshape(nc), coords.T, order=1, mode="nearest")
    near_c = map_coordinates(cdist.reshape(nc), coords.T, order=1, mode="nearest")
    nearest_c = cidx.reshape(nc)[tuple(np.rint(coords).astype(int).T)]
    normals = coarse_normals[nearest_c]
    thick = coarse_thick[nearest_c]
    near = np.nonzero(near_c < band + spacing_mm * step * np.sqrt(3.0))[0]
    _, idx = cKDTree(samples).query(nodes[near], workers=-1)
    sd[near] = np.einsum("ij,ij->i", nodes[near] - samples[idx], s_normals[idx])
    normals[near] = s_normals[idx]
    thick[near] = s_thick[idx]
    values = np.empty((len(nodes), 5))
    values[:, 0] = np.clip(sd, -margin_mm, margin_mm)
    values[:, 1:4] = normals
    values[:, 4] = thick
    return DistanceGrid(lo, float(spacing_mm), values.reshape(n[0], n[1], n[2], 5))


def grid_key(cartilage: SurfaceMesh, bone: SurfaceMesh, spacing_mm: float) -> str:
    h = hashlib.sha256()
    h.update(GRID_VERSION.encode())
    if not is_closed(bone):
        h.update(OPEN_BONE_GRID_VERSION.encode())
    h.update(cartilage.content_hash().encode())
    h.update(bone.content_hash().encode())
    h.update(f"{spacing_mm:.4f}".encode())
    return h.hexdigest()[:20]


def _grid_check(
    cartilage: SurfaceMesh, spacing_mm: float
) -> Callable[[dict[str, NDArray[np.generic]]], str | None]:
    """A cached grid must be the one this cartilage makes: the same spacing, a box around the
    cartilage, both signs of distance and cartilage thickness that is a layer's (an
    all-zero or another knee's grid fails; trusted, it tilted the kneecap by up to 80 deg)."""
    lo = cartilage.vertices_mm.min(axis=0)
    hi = cartilage.vertices_mm.max(axis=0)

    def check(z: dict[str, NDArray[np.generic]]) -> str | None:
        origin = np.asarray(z["origin_mm"], dtype=float)
        values = np.asarray(z["values"])
        if abs(float(z["spacing_mm"]) - spacing_mm) > 1e-9:
            return "another grid spacing"
        far = origin + spacing_mm * (np.array(values.shape[:3]) - 1)
        if not (np.all(origin <= lo + 1e-3) and np.all(far >= hi - 1e-3)):
            return "its box does not hold this cartilage"
        sd, thick = values[..., 0], values[..., 4]
        if not np.isfinite(values).all() or sd.min() >= 0.0 or sd.max() <= 0.0:
            return "its distances are not a surface's"
        if thick.min() < BARE_BONE_LAYER_MM or thick.max() < MIN_LAYER_MM * 0.999:
            return "its cartilage thickness is not a layer's"
        return None

    return check


def load_or_build_grid(
    cartilage: SurfaceMesh,
    bone: SurfaceMesh,
    spacing_mm: float = 1.0,
    directory: Path | None = None,
) -> DistanceGrid:
    """The distance grid for this cartilage, from the disk cache when an entry there verifies
    (kneeviz.cache), built (and cached) otherwise. `directory` overrides the cache folder. The
    last RECENT_GRIDS_KEPT grids stay in memory (per cache folder)."""
    from kneeviz import cache

    key = grid_key(cartilage, bone, spacing_mm)
    where = (key, str(directory if directory is not None else cache.cache_dir()))
    held = _RECENT_GRIDS.get(where)
    if held is not None:
        return held
    grid = _load_or_build_grid(cartilage, bone, spacing_mm, directory)
    _RECENT_GRIDS[where] = grid
    while len(_RECENT_GRIDS) > RECENT_GRIDS_KEPT:
        _RECENT_GRIDS.pop(next(iter(_RECENT_GRIDS)))
    return grid


RECENT_GRIDS_KEPT = 4
"""Grids kept in memory per process (about 45 MB each for the bundled knee): every mechanics
model of a knee (one per tissue setting: a study builds hundreds) shares its knee's grid instead of
reading and verifying it from disk again (0.09 s of a 0.15 s model build)."""
_RECENT_GRIDS: dict[tuple[str, str], DistanceGrid] = {}


def _load_or_build_grid(cartilage: SurfaceMesh, bone: SurfaceMesh, spacing_mm: float,
                        directory: Path | None) -> DistanceGrid:
    from kneeviz import cache

    name, source = _grid_entry(cartilage, bone, spacing_mm)
    shapes: dict[str, tuple[int | None, ...]] = {
        "origin_mm": (3,), "spacing_mm": (), "values": (None, None, None, 5)}
    check = _grid_check(cartilage, spacing_mm)
    z = cache.load_entry(name, source, shapes, check, directory)
    if z is None:
        with cache.building(name, directory):  # another process building it: wait, then read
            z = cache.load_entry(name, source, shapes, check, directory)
            if z is None:
                stored = _stored_arrays(build_distance_grid(cartilage, bone, spacing_mm))
                cache.save_entry(name, source, stored, directory)
                # The run that builds the grid uses it as it is stored, so it gives the same
                # squat as every later run that reads it back (in float64 it differed by up to
                # 5e-6 mm).
                return DistanceGrid(stored["origin_mm"], float(stored["spacing_mm"]),
                                    stored["values"].astype(float))
    return DistanceGrid(np.asarray(z["origin_mm"], dtype=float), float(z["spacing_mm"]),
                        np.asarray(z["values"], dtype=float))


def _grid_entry(cartilage: SurfaceMesh, bone: SurfaceMesh, spacing_mm: float) -> tuple[str, str]:
    """The grid's cache entry name and source digest (kneeviz.cache)."""
    from kneeviz import cache

    key = grid_key(cartilage, bone, spacing_mm)
    return f"femoral-sdf-{key}.npz", cache.source_digest(GRID_VERSION, key)


def _stored_arrays(built: DistanceGrid) -> dict[str, FloatArray]:
    """A grid's arrays as a cache entry holds them (the values in float32)."""
    return {"origin_mm": np.asarray(built.origin_mm, dtype=float),
            "spacing_mm": np.array(built.spacing_mm),
            "values": built.values.astype(np.float32)}


def ship_grid(cartilage: SurfaceMesh, bone: SurfaceMesh, folder: Path,
              spacing_mm: float = 1.0) -> Path:
    """Build this cartilage's grid and write it into `folder` as a shipped cache entry
    (kneeviz.cache: LZMA-compressed, verified like any entry when read), replacing any other
    grid there. For the default knee's folder (`kneeviz build-default-knee`): the grid is the
    same on every machine, and building it was most of a new user's first start."""
    from kneeviz import cache
    from kneeviz.atomic import atomic_write_bytes

    name, source = _grid_entry(cartilage, bone, spacing_mm)
    data = cache.entry_bytes(source, _stored_arrays(build_distance_grid(cartilage, bone,
                                                                        spacing_mm)),
                             compressed=True)
    target = folder / name
    atomic_write_bytes(target, data, what="write the shipped distance grid")
    for old in folder.glob("femoral-sdf-*.npz"):
        if old != target:
            old.unlink()
    return target


@dataclass(frozen=True, eq=False)
class ContactPoints:
    """Patellar contact points in the patella frame: the cartilage's articular side first
    (`n_cartilage` of them), then the bare posterior bone (bare_patella_points).

    `vertex_of` maps each original patellar-cartilage vertex to its contact point (-1 when the
    vertex is not on the articular side), so pressures can be painted on the mesh.
    """

    points_mm: FloatArray
    areas_mm2: FloatArray
    thickness_mm: FloatArray
    vertex_of: IntArray
    n_cartilage: int


def patellar_contact_points(
    cartilage: SurfaceMesh, bone: SurfaceMesh, min_points: int = 2000
) -> ContactPoints:
    """Vertices of the articular side of the patellar cartilage, midpoint-subdivided until there
    are at least `min_points`, each carrying its lumped area and cartilage thickness."""
    face_ids, _ = articular_faces(cartilage, bone)
    faces = cartilage.faces[face_ids]
    used = np.unique(faces)
    remap = -np.ones(cartilage.n_vertices, dtype=np.int64)
    remap[used] = np.arange(len(used))
    v = cartilage.vertices_mm[used]
    f = remap[faces]
    while len(v) < min_points:
        v, f = _subdivide(v, f)
    sub = SurfaceMesh(v, f)
    areas = sub.vertex_areas_mm2()
    thick = thickness_mm(v, bone, MIN_LAYER_MM, 6.0)
    bare, bare_areas = bare_patella_points(cartilage, bone)
    return ContactPoints(np.concatenate([v, bare]), np.concatenate([areas, bare_areas]),
                         np.concatenate([thick, np.full(len(bare), BARE_BONE_LAYER_MM)]), remap,
                         len(v))


BARE_BONE_SPACING_MM = 1.0
"""Spacing of the contact points on the kneecap's bare bone (see bare_patella_points)."""


def bare_patella_points(cartilage: SurfaceMesh, bone: SurfaceMesh) -> tuple[FloatArray,
                                                                            FloatArray]:
    """Contact points (and their areas) on the kneecap's posterior bone that its cartilage does
    not cover: the rim round the articular surface and the apex. The femoral side's bare bone is
    in the distance grid (build_distance_grid); without these the kneecap's own bare bone met
    nothing: a kneecap that tilted or rode onto the notch at deep flexion sank its bone rim 2-5
    mm into the femur's (atlas:07, 13, 16, 18, 19: docs/validation.md, "Population knees and the
    self-check"). Each is a foundation point with no layer of its own (BARE_BONE_LAYER_MM), as the
    femur's bare bone is. The
    posterior half is the bone's half behind its median depth (X, anterior, in the patella
    frame), the part the self-check holds against the femur."""
    v = bone.vertices_mm
    face_ids, normals = articular_faces(cartilage, bone)
    samples, owner = dense_samples(cartilage, face_ids, 0.5)
    normal_of = np.zeros((cartilage.n_triangles, 3))
    normal_of[face_ids] = normals
    lo = v.min(axis=0) - 1.0
    hi = np.array([float(np.median(v[:, 0])), *(v.max(axis=0)[1:] + 1.0)])
    ids, _ = bare_bone_faces(bone, samples, normal_of[owner], lo, hi)
    if not len(ids):
        return np.zeros((0, 3)), np.zeros(0)
    points, on = dense_samples(bone, ids, BARE_BONE_SPACING_MM)
    per_face = np.bincount(on, minlength=bone.n_triangles)
    return points, bone.face_areas_mm2()[on] / per_face[on]


def _subdivide(v: FloatArray, f: IntArray) -> tuple[FloatArray, IntArray]:
    """One midpoint subdivision (original vertices keep their indices)."""
    edges = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    edges.sort(axis=1)
    uniq, inv = np.unique(edges, axis=0, return_inverse=True)
    mids = 0.5 * (v[uniq[:, 0]] + v[uniq[:, 1]])
    m = len(f)
    e01, e12, e20 = (inv[:m] + len(v), inv[m : 2 * m] + len(v), inv[2 * m :] + len(v))
    a, b, c = f[:, 0], f[:, 1], f[:, 2]
    nf = np.concatenate(
        [
            np.column_stack([a, e01, e20]),
            np.column_stack([e01, b, e12]),
            np.column_stack([e20, e12, c]),
            np.column_stack([e01, e12, e20]),
        ]
    )
    return np.concatenate([v, mids]), nf.astype(np.int64)
