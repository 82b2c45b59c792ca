"""Partial bones: complete a knee MRI's distal femur or proximal tibia from the LLP26 atlas.

A knee MRI never holds the whole femur or tibia: its field of view is 8-15 cm around the joint. What
the model needs from the missing parts (the hip centre and femoral mechanical axis, the ankle centre
and tibial mechanical axis, the pelvis with the quadriceps origins) is estimated from the LLP26
mean bone that the default knee comes from (kneeviz.anatomy.atlas) and its shape model:

1. The atlas bone (right; mirrored for a left knee) is scaled and registered to the partial bone
   by a similarity ICP (uniform scale, rotation, translation; Umeyama 1991 closed form at every
   step). Correspondences run both ways: every patient point to its nearest atlas point, and every
   atlas point that lies over the patient's surface to its nearest patient point, so that the fit
   can neither shrink into a corner of the atlas nor slide along it; pairs farther than three
   times the median distance are dropped (the flat cap where the scan's field of view cut the bone
   has no partner on the atlas surface). The pose is not known in advance: the fit starts from the
   partial bone's principal axes matched to those of the atlas's end in every axis order and sign
   (48 starts, half of them mirrored), runs coarse, and refines the best few.
2. The LLP26 statistical shape model (kneeviz.anatomy.shape_model: the same atlas's 26 limbs,
   per bone, pose removed) is then fitted from that pose (fit_shape): the similarity and the first
   modes that explain SHAPE_VARIANCE of the bone's shape variance (femur 9, tibia 14), weights in
   standard deviations under a Mahalanobis prior and bounded to SHAPE_MAX_SD, alternating with the
   correspondence search. What the scan does not hold (the shaft, the hip or ankle end) is the
   fitted shape's: the model's best guess given the piece, the mean where the piece says nothing.
   How well that works, leave-one-out over the 26 limbs (benchmarks/loo_shape_fit.py) and on a
   real knee cut to an MRI's field of view: docs/validation.md, "Knee MRIs".
3. The completion is the registered (fitted) atlas surface where the patient has none (farther than
   FILL_GAP_MM from it); the patient's own faces that lie off the atlas surface (the cap) are left
   out. Patient surface + completion is a whole bone, and the ordinary landmark finders
   (landmarks_femur / landmarks_tibia) run on it: every landmark the scan holds comes from the
   patient's surface, the hip or ankle centre from the fitted atlas.
4. The partial bone must hold the joint: ARTICULAR_MIN_COVERAGE of each part of the atlas's knee
   end (femur: the condyles and the trochlea; tibia: the plateau and the tuberosity; `_zones`) must
   lie within COVER_MM of the patient's surface, and the fit must match within MAX_FIT_RMS_MM.
   Otherwise the bone is refused, saying what is missing. The search (the slow part, 1-2 s of CPU)
   and the shape fit (0.1-0.2 s) are cached on disk by the mesh's content, so a knee loads faster
   the second time.

The fit's RMS distance (patient surface to the registered atlas, mm) is what `check-mesh` reports
as how well the completion matches.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from kneeviz.anatomy._geometry import components, merge, principal_axes
from kneeviz.anatomy.atlas import atlas_bone_alone
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.anatomy.shape_model import BoneShapeModel
from kneeviz.errors import MeshError

if TYPE_CHECKING:
    from kneeviz.anatomy.landmarks import BoneAnalysis

FILL_GAP_MM = 3.0
"""Atlas surface farther than this from the patient's surface is missing from the scan: filled."""
COVER_MM = 4.0
"""An atlas articular point within this distance of the patient's surface counts as covered."""
ARTICULAR_END_MM = 45.0
"""Length of the articular end of the atlas bone (condyles and trochlea; plateau and tuberosity)."""
ARTICULAR_MIN_COVERAGE = 0.5
"""Fraction of the articular end the partial bone must cover (a subchondral-bone-only export
covers about 60 %; a whole distal femur 85-95 %)."""
MAX_FIT_RMS_MM = 2.5
"""A fit worse than this is not the same bone (atlas-to-patient shape variation gives 1-1.5 mm)."""
SCALE_RANGE = (0.75, 1.35)
"""Uniform scale the fit may apply to the mean bone (adult bone sizes vary about +-15 %)."""
MIN_EXTENT_MM = 35.0
"""Below this a partial bone cannot hold the condyles (or the plateau) at all."""
FIT_VERSION = "atlas-fit-v2"
"""Part of the on-disk cache key of a fit: bump it when the search changes."""
SHAPE_FIT_VERSION = "shape-fit-v3"
"""Part of the on-disk cache key of a shape fit: bump it when fit_shape or the model changes."""
GRID_END_MM = 180.0
"""Length of the atlas's knee end over which candidate start poses are scored."""
N_ROTATIONS = 3000
"""Random rotations scored (each also mirrored) to find where the partial bone fits."""
COARSE_EVERY = 3
"""Every candidate rotation is first shifted and scored on every COARSE_EVERY-th start point..."""
COARSE_KEPT = 600
"""...and the best COARSE_KEPT of them again on all the points (a fifth of all candidates)."""
N_GRID_ICP = 60
"""Best-scoring candidates refined by a rigid ICP on the distance grid."""
N_REFINED = 4
"""Best distinct start poses of each handedness then refined by the full similarity ICP."""
SHAPE_VARIANCE = 0.95
"""The shape fit uses the fewest modes of the bone's shape model that explain this share of its
shape variance (femur 9, tibia 14 of 25). Chosen before any knee was fitted."""
SHAPE_NOISE_MM = 1.0
"""Patient-to-shape distance the modes are not expected to explain (segmentation error, about
one MRI voxel): the scale of the data term against the prior."""
SHAPE_CORRELATION_MM = 20.0
"""Side of the patch of surface over which residuals err together and count once: with the noise,
this sets the prior's weight. Chosen by leave-one-out over the model's own 26 training limbs
(benchmarks/loo_shape_fit.py; candidates 2.5, 5, 10, 20, 40 mm): the one with the smallest mean
mechanical-axis error for both bones (docs/validation.md, "Knee MRIs")."""
TIBIA_SHAFT_BELOW_MM = 60.0
"""A partial tibia's points farther than this below its top are its diaphysis..."""
TIBIA_SHAFT_FACTOR = 1.0
"""...and count this many times more in the shape fit than the rest (shaft_weights; 1: every
point alike, as the fit is by default). Leave-one-out over the model's 26 training limbs
(benchmarks/loo_tibia_axis.py: depths 40, 50, 60 mm, factors 4-64, set before any real knee was
fitted with them) chose 64 below 60 mm: mean tibial-axis error 1.58 deg against 1.85, 69 % of
tibiae within 2 deg against 54 %. On the two real knees it did the opposite: the ICL tibia's axis
error 2.29 -> 2.97 deg (ankle 14.4 -> 19.5 mm; every other weighting of the grid 2.6-3.2 deg) and
the Lenhart tibia's fit RMS 1.35 -> 1.68 mm. The held-out limbs are the model's own
tessellation of bones from its own population, so the leave-one-out overstates how well 14 modes
explain a real diaphysis and how well its first 40 mm say where the ankle is; the weighting stays
off until knees from outside the model decide it (docs/validation.md, "Knee MRIs")."""
SHAPE_MAX_SD = 3.0
"""Bound on every mode weight, in standard deviations."""
SHAPE_ITERATIONS = 30
"""Most correspondence/Gauss-Newton rounds of the shape fit (it settles in 10-20)."""

_ATLAS_BONE = {"femur": "femur", "tibia": "tibia"}
_END_SIGN = {"femur": -1.0, "tibia": 1.0}
"""Which end of the atlas bone (along its +Z proximal axis) a knee scan holds."""


class NotThisBoneError(MeshError):
    """The atlas bone does not fit the piece at all (fit RMS over MAX_FIT_RMS_MM)."""

    def __init__(self, problem: str, path: str | Path | None = None, *,
                 rms_mm: float, limit_mm: float) -> None:
        super().__init__(problem, path)
        self.rms_mm = rms_mm
        self.limit_mm = limit_mm


@dataclass(frozen=True, eq=False)
class AtlasFit:
    """The atlas bone registered to a partial bone (scan coordinates, mm)."""

    bone: str
    T_scan_atlas: FloatArray
    """Similarity transform (uniform scale; a mirror for a left knee) from atlas to scan."""
    scale: float
    rms_mm: float
    coverage: float
    atlas_scan: SurfaceMesh
    """The whole registered atlas bone, in scan coordinates."""
    completion: SurfaceMesh
    """The registered atlas surface where the patient has none: what was added."""
    composite: SurfaceMesh
    """The patient's surface (its cut cap dropped) plus the completion: a whole bone."""
    mirrored: bool
    notes: tuple[str, ...] = field(default=())
    shape_weights_sd: tuple[float, ...] = field(default=())
    """The fitted shape modes' weights (standard deviations); empty: the mean bone."""
    fibula: SurfaceMesh | None = None
    """A tibia piece's fibula completed like the tibia (the patient's fibula head plus the
    model's fibula where the scan has none), in scan coordinates; None when the piece holds no
    fibula: the landmark finders then use the tibia alone, as for a whole tibia without one."""


@lru_cache(maxsize=4)
def _atlas(bone: str, subdivisions: int) -> SurfaceMesh:
    return atlas_bone_alone(_ATLAS_BONE[bone], subdivisions)


def _umeyama(src: FloatArray, dst: FloatArray, w: FloatArray,
             with_scale: bool) -> tuple[float, FloatArray, FloatArray]:
    """Weighted least-squares similarity dst ~ s R src + t (Umeyama 1991), R proper."""
    w = w / w.sum()
    mu_s = w @ src
    mu_d = w @ dst
    a = src - mu_s
    b = dst - mu_d
    cov = (b * w[:, None]).T @ a
    U, S, Vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(U) * np.linalg.det(Vt))
    D = np.diag([1.0, 1.0, d])
    R = U @ D @ Vt
    var = float(w @ (a * a).sum(1))
    s = float(np.trace(np.diag(S) @ D) / max(var, 1e-12))
    s = float(np.clip(s, *SCALE_RANGE)) if with_scale else 1.0
    t = mu_d - s * R @ mu_s
    return s, R, t


def _similarity(s: float, R: FloatArray, t: FloatArray) -> FloatArray:
    T = np.eye(4)
    T[:3, :3] = s * R
    T[:3, 3] = t
    return T


def _icp(atlas_pts: FloatArray, atlas_tree: cKDTree, patient_pts: FloatArray,
         patient_tree: cKDTree, T0: FloatArray, iterations: int, symmetric: bool,
         with_scale: bool) -> tuple[FloatArray, float]:
    """Trimmed ICP of atlas points onto the patient (similarity or, while the pose is far off,
    rigid at the scale of T0); (T, rms of the kept patient-to-atlas pairs, mm). Both trees are
    built once: patient points are looked up in the atlas's own frame."""
    T = T0.copy()
    rms = np.inf
    s0 = float(abs(np.linalg.det(T0[:3, :3])) ** (1.0 / 3.0))
    mirror = np.linalg.det(T[:3, :3]) < 0
    M = np.diag([-1.0, 1.0, 1.0]) if mirror else np.eye(3)
    for _ in range(iterations):
        T_inv = np.linalg.inv(T)
        s_now = float(abs(np.linalg.det(T[:3, :3])) ** (1.0 / 3.0))
        d_pa, i_pa = atlas_tree.query(patient_pts @ T_inv[:3, :3].T + T_inv[:3, 3])
        d_pa = d_pa * s_now
        cut = 3.0 * float(np.median(d_pa)) + 0.5
        m1 = d_pa < cut
        src = [atlas_pts[i_pa[m1]]]
        dst = [patient_pts[m1]]
        w = [np.full(int(m1.sum()), 1.0 / max(int(m1.sum()), 1))]
        if symmetric:
            sub = atlas_pts[:: max(1, len(atlas_pts) // 4000)]
            A = sub @ T[:3, :3].T + T[:3, 3]
            d_ap, i_ap = patient_tree.query(A, distance_upper_bound=min(cut, 20.0))
            m2 = np.isfinite(d_ap)
            src.append(sub[m2])
            dst.append(patient_pts[i_ap[m2]])
            w.append(np.full(int(m2.sum()), 1.0 / max(int(m2.sum()), 1)))
        S, D, W = np.vstack(src), np.vstack(dst), np.concatenate(w)
        if len(S) < 10:
            return T, np.inf
        k = 1.0 if with_scale else s0
        s, R, t = _umeyama((S @ M.T) * k, D, W, with_scale)
        T = _similarity(s * k, R @ M, t)
        new_rms = float(np.sqrt(np.mean(d_pa[m1] ** 2)))
        done = abs(rms - new_rms) < 1e-3
        rms = new_rms
        if done:
            break
    return T, rms


@dataclass(frozen=True)
class _PlanePairs:
    """Each patient point paired with the tangent plane of its nearest model point (trimmed at
    three times the median distance), and what one linearised similarity step needs."""

    idx: np.ndarray
    """Nearest model point of every patient point."""
    keep: np.ndarray
    """The pairs kept (not trimmed)."""
    centre: FloatArray
    """Mean of the kept model points (posed): the step rotates and scales about it."""
    residual: FloatArray
    """Kept pairs' signed distances along the normal (mm)."""
    normal: FloatArray
    """Kept pairs' posed unit normals."""
    J_pose: FloatArray
    """d residual / d (rotation vector, log scale, translation), kept pairs (k, 7)."""
    distance: FloatArray
    """Every pair's distance (mm)."""


def _plane_pairs(model_pts: FloatArray, model_normals: FloatArray, tree: cKDTree,
                 patient_pts: FloatArray, T: FloatArray) -> _PlanePairs:
    T_inv = np.linalg.inv(T)
    _, idx = tree.query(patient_pts @ T_inv[:3, :3].T + T_inv[:3, 3])
    a = model_pts[idx] @ T[:3, :3].T + T[:3, 3]
    n = model_normals[idx] @ T[:3, :3].T
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    r = np.sum(n * (a - patient_pts), axis=1)
    d = np.linalg.norm(a - patient_pts, axis=1)
    keep = d < 3.0 * float(np.median(d)) + 0.5
    c = a[keep].mean(axis=0)
    ac, nk, rk = a[keep] - c, n[keep], r[keep]
    J = np.column_stack([np.cross(ac, nk), np.sum(nk * ac, axis=1), nk])
    return _PlanePairs(idx, keep, c, rk, nk, J, d)


def _similarity_step(T: FloatArray, rotvec: FloatArray, log_scale: float,
                     translation: FloatArray, centre: FloatArray) -> FloatArray:
    """T after a small similarity step about `centre`, the scale kept within SCALE_RANGE."""
    from scipy.spatial.transform import Rotation

    s_now = float(abs(np.linalg.det(T[:3, :3])) ** (1.0 / 3.0))
    sigma = float(np.clip(np.exp(log_scale) * s_now, *SCALE_RANGE) / s_now)
    step = np.eye(4)
    step[:3, :3] = sigma * Rotation.from_rotvec(rotvec).as_matrix()
    step[:3, 3] = centre + translation - step[:3, :3] @ centre
    return np.asarray(step @ T)


def _icp_plane(atlas_pts: FloatArray, atlas_normals: FloatArray, atlas_tree: cKDTree,
               patient_pts: FloatArray, T0: FloatArray, iterations: int
               ) -> tuple[FloatArray, float]:
    """Point-to-plane similarity ICP (Chen & Medioni 1992, linearised with a uniform scale):
    every patient point to the tangent plane of its nearest atlas point, trimmed at three times
    the median distance; converges along the surface where point-to-point ICP stalls."""
    T = T0.copy()
    rms = np.inf
    for _ in range(iterations):
        pp = _plane_pairs(atlas_pts, atlas_normals, atlas_tree, patient_pts, T)
        J = pp.J_pose
        # normal equations: a 7 x 7 solve (lstsq's LAPACK call is slower than the whole step)
        delta = np.asarray(np.linalg.solve(J.T @ J + 1e-9 * np.eye(7), -(J.T @ pp.residual)),
                           dtype=float)
        T = _similarity_step(T, delta[:3], float(delta[3]), delta[4:], pp.centre)
        new_rms = float(np.sqrt(np.mean(pp.distance[pp.keep] ** 2)))
        done = abs(rms - new_rms) < 1e-3
        rms = new_rms
        if done:
            break
    return T, rms


def fit_shape(model: BoneShapeModel, patient_pts: FloatArray, patient_area_mm2: float,
              T0: FloatArray, n_modes: int, iterations: int = SHAPE_ITERATIONS,
              correlation_mm: float = SHAPE_CORRELATION_MM,
              point_weights: FloatArray | None = None
              ) -> tuple[FloatArray, FloatArray, float]:
    """The shape model's pose and first `n_modes` weights fitted to patient points (scan, mm),
    from the pose T0 (atlas to scan) of the mean bone: (T_scan_atlas, b in standard deviations,
    RMS of the kept pairs, mm).

    Each step pairs every patient point with its nearest vertex of the current shape (trimmed at
    three times the median distance, as in _icp_plane) and takes one Gauss-Newton step of
    point-to-plane distance in the pose (rotation, uniform scale, translation) and the weights
    together, minimising
        sum_j w r_j^2 / SHAPE_NOISE_MM^2 + |b|^2,    w = (patient area / points) / CORRELATION_MM^2:
    the residuals count as independent only once per CORRELATION_MM x CORRELATION_MM patch of
    surface (neighbouring points on a smooth surface err together), and the Mahalanobis prior
    |b|^2 keeps what the scan does not show near the mean given what it does. Weights are
    bounded to |b| <= SHAPE_MAX_SD. The correspondences are searched again after every step.
    `point_weights` (one per patient point, mean 1; None: all 1) scale each point's term: how
    much of the data's trust a part of the piece carries."""
    T = T0.copy()
    b = np.zeros(n_modes)
    modes = model.modes_mm[:n_modes]
    w = patient_area_mm2 / len(patient_pts) / correlation_mm ** 2 / SHAPE_NOISE_MM ** 2
    rms = np.inf
    for _ in range(iterations):
        V = model.vertices(b)
        normals = SurfaceMesh(V, model.faces).vertex_normals()
        L = T[:3, :3]
        pp = _plane_pairs(V, normals, cKDTree(V), patient_pts, T)
        rk = pp.residual
        # d r / d b_m = n . (L mode_m): the normal taken back into the atlas frame
        J_b = np.einsum("nd,mnd->nm", pp.normal @ L, modes[:, pp.idx[pp.keep]])
        J = np.hstack([pp.J_pose, J_b])
        if point_weights is not None:
            wk = point_weights[pp.keep]
            rk = rk * wk
            H = w * (J.T @ (J * wk[:, None]))
        else:
            H = w * (J.T @ J)
        H[7:, 7:] += np.eye(n_modes)
        H += 1e-9 * np.eye(7 + n_modes)
        g = w * (J.T @ rk)
        g[7:] += b
        delta = np.linalg.solve(H, -g)
        b = np.clip(b + delta[7:], -SHAPE_MAX_SD, SHAPE_MAX_SD)
        T = _similarity_step(T, delta[:3], float(delta[3]), delta[4:7], pp.centre)
        new_rms = float(np.sqrt(np.mean(pp.distance[pp.keep] ** 2)))
        done = abs(rms - new_rms) < 1e-3 and float(np.abs(delta[7:]).max(initial=0.0)) < 0.01
        rms = new_rms
        if done:
            break
    return T, b, rms


def shaft_weights(patient_pts: FloatArray, T_scan_atlas: FloatArray, bone: str,
                  below_mm: float, factor: float) -> FloatArray:
    """Per-point weights for fit_shape that trust the piece's shaft `factor` times more than its
    joint end: the points farther than `below_mm` from the piece's joint end along the atlas
    bone's long axis (read in the atlas frame through T_scan_atlas, the mean bone's pose), scaled
    to mean 1 so the data as a whole carries the same weight against the prior. The joint end
    holds most of a knee scan's points, the shaft most of what says where the far end lies."""
    T_inv = np.linalg.inv(T_scan_atlas)
    z = (patient_pts @ T_inv[:3, :3].T + T_inv[:3, 3])[:, 2] * _END_SIGN[bone]
    w = np.where(z < float(z.max()) - below_mm, factor, 1.0)
    return np.asarray(w / w.mean(), dtype=float)


TROCHLEA_MM = 70.0
TROCHLEA_FACING = 0.3
"""The femur's shape fit leaves out the piece's points on its trochlea: the atlas surface of the
distal TROCHLEA_MM whose normal faces forward (its anterior component over TROCHLEA_FACING, in
the atlas femur's own frame). The atlas's groove is an average of 26 and so smoothed (its sulcus
angle 146-164 deg and 2-5 mm deep where a healthy one is about 138 deg and 5-6 mm:
default_knee.py sculpts it back), and a patient's groove, healthy or dysplastic, is what the
modes cannot make: fitted, it bent the whole bone's shape. The bundled knee (the atlas femur with
its groove sculpted to healthy values) cut to 110 mm was completed with its hip centre 12.1 mm off
(scale 1.022, modes up to 0.75 SD) where the unsculpted atlas femur is completed to 0.3 mm; with
the groove left out, 2.6 mm. The ICL femur cut to 120 mm: 11.0 -> 7.8 mm. The groove is the
patient's own in the completed bone either way (the composite keeps the patient's surface)."""


@lru_cache(maxsize=1)
def _trochlea_mask() -> np.ndarray:
    """TROCHLEA_MM / TROCHLEA_FACING over the fine atlas femur's vertices."""
    atlas = _atlas("femur", 14)
    T_inv = np.linalg.inv(_atlas_frame("femur"))
    q = atlas.vertices_mm @ T_inv[:3, :3].T + T_inv[:3, 3]
    n = atlas.vertex_normals() @ T_inv[:3, :3].T
    return np.asarray((q[:, 1] < float(q[:, 1].min()) + TROCHLEA_MM)
                      & (n[:, 0] > TROCHLEA_FACING))


def trochlea_left_out(patient_pts: FloatArray, T_scan_atlas: FloatArray) -> FloatArray:
    """Point weights for fit_shape: 0 for the piece's points nearest the atlas femur's trochlea
    (posed by T_scan_atlas, the mean bone's registration), 1 elsewhere (see TROCHLEA_MM)."""
    atlas = _atlas("femur", 14).vertices_mm @ T_scan_atlas[:3, :3].T + T_scan_atlas[:3, 3]
    _, idx = cKDTree(atlas).query(patient_pts)
    return np.where(_trochlea_mask()[idx], 0.0, 1.0)


@lru_cache(maxsize=4)
def _distance_grid(bone: str) -> tuple[FloatArray, float, np.ndarray, np.ndarray]:
    """The atlas bone's knee end on a 2 mm grid: (origin, spacing, distance to the surface (mm),
    the nearest surface point of every voxel (mm)). Scoring and shifting a candidate pose is then
    one lookup per point."""
    from scipy.ndimage import distance_transform_edt

    pts = _atlas(bone, 14).vertices_mm
    z = pts[:, 2] * _END_SIGN[bone]
    pts = pts[z > z.max() - GRID_END_MM]
    spacing = 2.0
    lo = pts.min(axis=0) - 40.0
    shape = np.ceil((pts.max(axis=0) + 40.0 - lo) / spacing).astype(int) + 1
    occupied = np.zeros(shape, dtype=bool)
    idx = np.round((pts - lo) / spacing).astype(int)
    occupied[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    dist, nearest = distance_transform_edt(~occupied, return_indices=True)
    nearest_mm = np.moveaxis(nearest, 0, -1).astype(np.float32) * spacing + lo.astype(np.float32)
    return lo, spacing, dist * spacing, nearest_mm


def _lookup(q: FloatArray, grid: tuple[FloatArray, float, np.ndarray, np.ndarray]
            ) -> tuple[FloatArray, FloatArray]:
    """Distance to the atlas surface and the nearest surface point for points q (..., 3); points
    off the grid get 40 mm and no pull. One flat index per point into the raveled grids (three
    fancy indices and a masked choice over (..., 3) cost about three times as much: the search
    looks up millions of points)."""
    lo, spacing, dist, nearest = grid
    shape = dist.shape
    idx = np.rint((q - lo) * (1.0 / spacing)).astype(np.intp)
    inside = ((idx[..., 0] >= 0) & (idx[..., 0] < shape[0]) & (idx[..., 1] >= 0)
              & (idx[..., 1] < shape[1]) & (idx[..., 2] >= 0) & (idx[..., 2] < shape[2]))
    flat = (idx[..., 0] * shape[1] + idx[..., 1]) * shape[2] + idx[..., 2]
    flat[~inside] = 0
    d = dist.reshape(-1)[flat]
    near = nearest.reshape(-1, 3)[flat].astype(float)
    if not inside.all():
        out = ~inside
        d[out] = 40.0
        near[out] = q[out]
    return d, near


def _starts(patient_pts: FloatArray, bone: str, length_mm: float,
            n_best: int) -> list[FloatArray]:
    """Initial atlas-to-scan rigid poses: many rotations (and their mirror images) about the
    centroids of the partial bone and of the atlas's end of the same length, each shifted a few
    times towards the atlas surface, ranked by how near the partial bone's points then fall to
    the atlas surface (trimmed mean)."""
    from scipy.spatial.transform import Rotation

    grid = _distance_grid(bone)
    a = _atlas(bone, 8).vertices_mm
    z = a[:, 2] * _END_SIGN[bone]
    ca = a[z > z.max() - length_mm].mean(axis=0)
    cp = patient_pts.mean(axis=0)
    Rs = Rotation.random(N_ROTATIONS, random_state=1).as_matrix()
    Ls = np.concatenate([Rs, Rs @ np.diag([-1.0, 1.0, 1.0])])  # atlas -> scan linear parts

    def shifted(L: FloatArray, pts: FloatArray, shift: FloatArray, rounds: int
                ) -> tuple[FloatArray, FloatArray]:
        """Every candidate's points in the atlas frame, L^T (p - cp) + ca, translated `rounds`
        times towards the atlas surface: (shift, score: trimmed mean distance)."""
        q = np.einsum("kji,nj->kni", L, pts - cp) + ca
        n_kept = int(0.8 * len(pts))
        for _ in range(rounds):
            d, near = _lookup(q + shift[:, None, :], grid)
            order = np.argpartition(d, n_kept - 1, axis=1)[:, :n_kept]
            pull = np.take_along_axis(near - (q + shift[:, None, :]), order[..., None], axis=1)
            shift = shift + pull.mean(axis=1)
        d, _ = _lookup(q + shift[:, None, :], grid)
        return shift, np.partition(d, n_kept - 1, axis=1)[:, :n_kept].mean(axis=1)

    # every candidate shifted and scored on a third of the points; the best COARSE_KEPT of them
    # again on all the points, from there
    shift, score = shifted(Ls, patient_pts[::COARSE_EVERY], np.zeros((len(Ls), 3)), 4)
    best = np.argsort(score)[:COARSE_KEPT]
    shift, score = shifted(Ls[best], patient_pts, shift[best], 2)
    order = np.argsort(score)[:N_GRID_ICP]
    top, shift = best[order], shift[order]
    keep = int(0.8 * len(patient_pts))
    # scan -> atlas maps of the best candidates, q = A p + b, refined by rigid ICP on the grid
    A = np.transpose(Ls[top], (0, 2, 1))
    b = ca + shift - np.einsum("kij,j->ki", A, cp)
    for _ in range(15):
        qk = np.einsum("kij,nj->kni", A, patient_pts) + b[:, None, :]
        d, near = _lookup(qk, grid)
        order = np.argpartition(d, keep - 1, axis=1)[:, :keep]
        src = np.take_along_axis(qk, order[..., None], axis=1)
        dst = np.take_along_axis(near, order[..., None], axis=1)
        ms, md = src.mean(axis=1), dst.mean(axis=1)
        H = np.einsum("kni,knj->kij", src - ms[:, None], dst - md[:, None])
        U, _, Vt = np.linalg.svd(H)
        sign = np.sign(np.linalg.det(np.transpose(Vt, (0, 2, 1)) @ np.transpose(U, (0, 2, 1))))
        D = np.zeros((len(top), 3, 3))
        D[:, 0, 0] = D[:, 1, 1] = 1.0
        D[:, 2, 2] = sign
        R = np.transpose(Vt, (0, 2, 1)) @ D @ np.transpose(U, (0, 2, 1))
        t = md - np.einsum("kij,kj->ki", R, ms)
        A = R @ A
        b = np.einsum("kij,kj->ki", R, b) + t
    qk = np.einsum("kij,nj->kni", A, patient_pts) + b[:, None, :]
    d, _ = _lookup(qk, grid)
    score = np.partition(d, keep - 1, axis=1)[:, :keep].mean(axis=1)
    out: list[FloatArray] = []
    for handed in (1.0, -1.0):  # the best of each handedness: a right and a left reading
        kept: list[FloatArray] = []
        for k in np.argsort(score):
            L = A[k].T  # atlas -> scan
            if np.linalg.det(L) * handed < 0 or any(
                np.trace(L.T @ T[:3, :3]) > 1.0 + 2.0 * np.cos(np.radians(20.0)) for T in kept
            ):
                continue  # the other hand, or within 20 deg of a start already kept
            kept.append(_similarity(1.0, L, -L @ b[k]))
            if len(kept) == n_best:
                break
        out += kept
    return out


ZONES_VERSION = "atlas-frame-v1"
"""Part of the cache key of the atlas bone's anatomical frame: bump it when the landmark finders
change what frame they give."""


def _atlas_frame(bone: str) -> FloatArray:
    """T_input_bone of the atlas femur or tibia (landmark finders), kept in the cache (verified on
    every read) by the atlas mesh's content: finding it takes about half a second of every
    process's first partial-knee load, and it is the same every time."""
    from kneeviz import cache
    from kneeviz.anatomy.atlas import atlas_bone
    from kneeviz.anatomy.landmarks import find_femur, find_tibia

    mesh = atlas_bone(bone, 14)
    source = cache.source_digest(ZONES_VERSION, bone, mesh.content_hash())
    name = f"atlas-frame-{bone}-{source[:16]}.npz"

    def plausible(z: dict[str, np.ndarray]) -> str | None:
        R = z["T_input_bone"][:3, :3]
        ok = (np.all(np.isfinite(z["T_input_bone"])) and np.allclose(R.T @ R, np.eye(3), atol=1e-6))
        return None if ok else "it is not a rigid frame"

    z = cache.load_entry(name, source, {"T_input_bone": (4, 4)}, plausible)
    if z is not None:
        return np.asarray(z["T_input_bone"], dtype=float)
    T = (find_femur(mesh).T_input_femur if bone == "femur"
         else find_tibia(mesh).T_input_tibia)
    cache.save_entry(name, source, {"T_input_bone": np.asarray(T, dtype=float)})
    return np.asarray(T, dtype=float)


@lru_cache(maxsize=2)
def _zones(bone: str) -> tuple[tuple[str, np.ndarray], ...]:
    """The parts of the atlas bone's knee end a partial bone must hold, as masks over the fine
    atlas vertices, from the atlas bone's own anatomical frame (landmark finders):
    femur: the condyles (distal 20 mm) and the trochlea (the anterior face 20-40 mm above them);
    tibia: the plateau (top 8 mm) and the tuberosity (the anterior face 15-45 mm below it)."""
    fa = _atlas(bone, 14).vertices_mm
    T = _atlas_frame(bone)
    T_inv = np.linalg.inv(T)
    q = fa @ T_inv[:3, :3].T + T_inv[:3, 3]
    x, y = q[:, 0], q[:, 1]
    if bone == "femur":
        y0 = float(y.min())
        band = (y > y0 + 20.0) & (y < y0 + 40.0)
        front = band & (x > float(x[band].max()) - 10.0)
        return (("the condyles", y < y0 + 20.0), ("the trochlea", front))
    y0 = float(y.max())
    band = (y < y0 - 15.0) & (y > y0 - 45.0)
    front = band & (x > float(x[band].max()) - 10.0)
    return (("the plateau", y > y0 - 8.0), ("the tuberosity", front))


def _search(mesh: SurfaceMesh, bone: str, length_mm: float) -> FloatArray:
    """The atlas-to-scan similarity that fits the atlas bone to `mesh` best (see module doc).
    Kept on disk by the mesh's content: a second load of the same knee skips the search."""
    from kneeviz.cache import cache_dir

    key = hashlib.sha256(f"{FIT_VERSION}-{bone}-{mesh.content_hash()}".encode()).hexdigest()
    path = cache_dir() / f"atlas-fit-{key[:32]}.npy"
    try:
        T_cached = np.load(path, allow_pickle=False)
        if T_cached.shape == (4, 4) and np.all(np.isfinite(T_cached)):
            return np.asarray(T_cached, dtype=float)
    except (OSError, ValueError):
        pass
    v = mesh.vertices_mm
    rng = np.random.default_rng(0)
    patient_all = v[np.unique(mesh.faces)]
    fine_p = patient_all[rng.choice(len(patient_all), min(2500, len(patient_all)),
                                    replace=False)]
    tree_fine = cKDTree(fine_p)
    atlas_fine = _atlas(bone, 14)
    fa = atlas_fine.vertices_mm
    fn = atlas_fine.vertex_normals()
    atree_fine = cKDTree(fa)
    best: tuple[float, FloatArray] | None = None
    for T0 in _starts(fine_p[:150], bone, length_mm, N_REFINED):
        T, _ = _icp(fa, atree_fine, fine_p, tree_fine, T0, 8, False, False)
        T, rms = _icp_plane(fa, fn, atree_fine, fine_p, T, 40)
        if best is None or rms < best[0]:
            best = (rms, T)
    assert best is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npy")
        np.save(tmp, best[1], allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache: fit again next time
    return best[1]


def _shape_fit(mesh: SurfaceMesh, bone: str, T_mean: FloatArray, n_modes: int
               ) -> tuple[FloatArray, FloatArray]:
    """The shape model fitted from the mean bone's pose (fit_shape); (T_scan_atlas, b in sd).
    Kept in the cache (kneeviz.cache: verified on every read, so a damaged entry is refitted,
    never used) by the mesh's content, the mean pose, the modes themselves and the fit's settings
    (a cached weight means nothing for another model: a mode's sign is arbitrary)."""
    from kneeviz import cache
    from kneeviz.anatomy.shape_model import bone_shape_model

    model = bone_shape_model(bone, 14)
    settings = (f"{n_modes}-{SHAPE_NOISE_MM}-{SHAPE_CORRELATION_MM}-{SHAPE_MAX_SD}-"
                f"{TIBIA_SHAFT_BELOW_MM}-{TIBIA_SHAFT_FACTOR}-{TROCHLEA_MM}-{TROCHLEA_FACING}")
    source = cache.source_digest(SHAPE_FIT_VERSION, bone, settings,
                                 model.modes_mm[:n_modes].tobytes(), mesh.content_hash(),
                                 np.round(T_mean, 6).tobytes())
    name = f"shape-fit-{bone}-{source[:24]}.npz"

    def plausible(z: dict[str, np.ndarray]) -> str | None:
        ok = (np.all(np.isfinite(z["T_scan_atlas"])) and np.all(np.isfinite(z["b_sd"]))
              and float(np.abs(z["b_sd"]).max(initial=0.0)) <= SHAPE_MAX_SD + 1e-9)
        return None if ok else "its pose or weights are out of range"

    z = cache.load_entry(name, source, {"T_scan_atlas": (4, 4), "b_sd": (n_modes,)}, plausible)
    if z is not None:
        return np.asarray(z["T_scan_atlas"], dtype=float), np.asarray(z["b_sd"], dtype=float)
    v = mesh.vertices_mm
    patient_all = v[np.unique(mesh.faces)]
    rng = np.random.default_rng(0)
    pts = patient_all[rng.choice(len(patient_all), min(2500, len(patient_all)), replace=False)]
    area = float(mesh.face_areas_mm2().sum())
    weights = (shaft_weights(pts, T_mean, bone, TIBIA_SHAFT_BELOW_MM, TIBIA_SHAFT_FACTOR)
               if bone == "tibia" and TIBIA_SHAFT_FACTOR != 1.0 else None)
    if bone == "femur":
        weights = trochlea_left_out(pts, T_mean)
    T, b, _ = fit_shape(model, pts, area, T_mean, n_modes, correlation_mm=SHAPE_CORRELATION_MM,
                        point_weights=weights)
    cache.save_entry(name, source, {"T_scan_atlas": T, "b_sd": b})
    return T, b


def fit_atlas(mesh: SurfaceMesh, bone: str, name: str = "",
              n_modes: int | None = None) -> AtlasFit:
    """Register the atlas femur or tibia to a partial bone (mm); see the module docstring.

    `n_modes` shape modes are fitted after the mean bone's registration (None: as many as explain
    SHAPE_VARIANCE of the bone's shape variance; 0: the mean bone alone). A tibia piece may hold
    its fibula's head as a second body, as many segmentations keep it: the tibia is fitted alone
    and the fibula completed from the model's (AtlasFit.fibula).
    Raises MeshError (naming `name`) when the piece is too small, does not match the bone, or does
    not hold the joint."""
    from kneeviz.anatomy.shape_model import bone_shape_model

    if bone not in _ATLAS_BONE:
        raise ValueError(bone)
    mesh, others = _main_body(mesh) if bone == "tibia" else (mesh, [])
    v = mesh.vertices_mm
    ext = np.ptp(v @ principal_axes(v)[2].T, axis=0)
    joint = "the condyles and the trochlea" if bone == "femur" else "the plateau and tuberosity"
    if float(ext.max()) < MIN_EXTENT_MM:
        raise MeshError(
            f"this partial {bone} is only {ext.max():.0f} mm across, too small to hold {joint}: "
            f"export the {bone}'s whole articular end (a knee MRI's 8-15 cm field of view)", name)
    T = _search(mesh, bone, float(np.clip(ext.max(), 40.0, GRID_END_MM - 20.0)))
    atlas_fine = _atlas(bone, 14)
    b = np.zeros(0)
    if n_modes is None:
        n_modes = bone_shape_model(bone, 14).n_modes_for(SHAPE_VARIANCE)
    if n_modes > 0:
        T, b = _shape_fit(mesh, bone, T, n_modes)
        atlas_fine = bone_shape_model(bone, 14).mesh(b)
    atlas_scan = atlas_fine.transformed(T)
    patient_all = v[np.unique(mesh.faces)]
    # quality: RMS of patient vertices to the atlas surface (dense atlas vertices, ~1.5 mm apart),
    # the cut cap (off the atlas surface: farther than 3 x the median) left out
    atlas_tree = cKDTree(atlas_scan.vertices_mm)
    d_patient, _ = atlas_tree.query(patient_all)
    on_atlas = d_patient < 3.0 * float(np.median(d_patient)) + 0.5
    rms = float(np.sqrt(np.mean(d_patient[on_atlas] ** 2)))
    scale = float(abs(np.linalg.det(T[:3, :3])) ** (1.0 / 3.0))
    if rms > MAX_FIT_RMS_MM:
        raise NotThisBoneError(
            f"does not match the atlas {bone} (fit RMS {rms:.1f} mm, over "
            f"{MAX_FIT_RMS_MM:g} mm): is it a {bone}, in mm, and one bone only? Export the "
            f"{bone}'s articular end (or the whole bone)", name, rms_mm=rms,
            limit_mm=MAX_FIT_RMS_MM)
    d_atlas, _ = cKDTree(patient_all).query(atlas_scan.vertices_mm)
    fa = atlas_fine.vertices_mm
    az_f = fa[:, 2] * _END_SIGN[bone]
    coverage = float(np.mean(d_atlas[az_f > az_f.max() - ARTICULAR_END_MM] < COVER_MM))
    for part, mask in _zones(bone):
        held = float(np.mean(d_atlas[mask] < COVER_MM))
        if held < ARTICULAR_MIN_COVERAGE:
            raise MeshError(
                f"this partial {bone} is too short or incomplete: it does not hold {part} (only "
                f"{100 * held:.0f} % of it is there; {100 * ARTICULAR_MIN_COVERAGE:.0f} % is "
                f"needed): export the {bone}'s whole articular end, {joint}", name)
    completion, composite = _completed(mesh, atlas_scan)
    fibula = None
    if others:
        rider = bone_shape_model(bone, 14).passenger
        assert rider is not None
        fibula_completion, fibula = _completed_fibula(others, rider.mesh(b).transformed(T), name)
        completion = merge([completion, fibula_completion])
    mirrored = bool(np.linalg.det(T[:3, :3]) < 0)
    return AtlasFit(bone, T, scale, rms, coverage, atlas_scan, completion, composite, mirrored,
                    shape_weights_sd=tuple(float(x) for x in b), fibula=fibula)


def _completed(piece: SurfaceMesh, fitted: SurfaceMesh) -> tuple[SurfaceMesh, SurfaceMesh]:
    """(completion, composite): the fitted surface where the piece has none, and the piece's own
    faces that lie on the fitted surface (its cut cap dropped) plus that completion."""
    patient_all = piece.vertices_mm[np.unique(piece.faces)]
    d_fitted, _ = cKDTree(patient_all).query(fitted.vertices_mm)
    completion = _submesh(fitted, np.all(d_fitted[fitted.faces] > FILL_GAP_MM, axis=1))
    fitted_tree = cKDTree(fitted.vertices_mm)
    d_pv, _ = fitted_tree.query(piece.vertices_mm)
    keep = np.all(d_pv[piece.faces] < 2.0 * FILL_GAP_MM, axis=1)
    patient_part = _oriented_like(_submesh(piece, keep), fitted, fitted_tree)
    return completion, merge([patient_part, completion])


SECOND_BODY_MIN_AREA = 0.02
"""A tibia piece's separate body with less than this share of the tibia's area is debris (the
mesh reader already drops loose bits under 1 %), not a fibula."""
FIBULA_MATCH_MM = 6.0
"""A second body of a tibia piece is its fibula's head when half its points lie within this of
the fibula the fitted tibia model carries (the fibula's place beside the tibia varies by a few
millimetres between people)."""


def _main_body(mesh: SurfaceMesh) -> tuple[SurfaceMesh, list[SurfaceMesh]]:
    """The largest body of a mesh and its other sizeable bodies (a tibia piece's fibula head)."""
    pieces = components(mesh)
    if len(pieces) < 2:
        return mesh, []
    area = pieces[0].face_areas_mm2().sum()
    return pieces[0], [p for p in pieces[1:]
                       if p.face_areas_mm2().sum() >= SECOND_BODY_MIN_AREA * area]


def _completed_fibula(pieces: list[SurfaceMesh], fitted: SurfaceMesh, name: str
                      ) -> tuple[SurfaceMesh, SurfaceMesh]:
    """(completion, composite) of the fibula whose head a tibia piece holds as `pieces`, from
    the fibula the fitted tibia model carries; a piece that is not there is refused."""
    tree = cKDTree(fitted.vertices_mm)
    for piece in pieces:
        d, _ = tree.query(piece.vertices_mm)
        if float(np.median(d)) > FIBULA_MATCH_MM:
            ext = float(np.ptp(piece.vertices_mm @ principal_axes(piece.vertices_mm)[2].T,
                               axis=0).max())
            raise MeshError(
                f"this tibia file holds a second body ({ext:.0f} mm across, {np.median(d):.0f} "
                f"mm from where the fibula would be) that is neither the tibia nor its fibula: "
                f"export the tibia (with its fibula, if you like) and nothing else", name)
    return _completed(merge(pieces), fitted)


def shifted(fit: AtlasFit, T_new_scan: FloatArray) -> AtlasFit:
    """The same fit with the scan's coordinates moved by a rigid T_new_scan."""
    from dataclasses import replace

    return replace(fit, T_scan_atlas=T_new_scan @ fit.T_scan_atlas,
                   atlas_scan=fit.atlas_scan.transformed(T_new_scan),
                   completion=fit.completion.transformed(T_new_scan),
                   composite=fit.composite.transformed(T_new_scan),
                   fibula=None if fit.fibula is None else fit.fibula.transformed(T_new_scan))


def _submesh(mesh: SurfaceMesh, face_mask: np.ndarray) -> SurfaceMesh:
    faces = mesh.faces[face_mask]
    used = np.unique(faces)
    remap = np.full(mesh.n_vertices, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    return SurfaceMesh(mesh.vertices_mm[used], remap[faces])


def _oriented_like(part: SurfaceMesh, atlas: SurfaceMesh, atlas_tree: cKDTree) -> SurfaceMesh:
    """The patient's faces wound like the atlas (outward): an open scan's winding is arbitrary."""
    if part.n_triangles == 0:
        return part
    centres = part.vertices_mm[part.faces].mean(axis=1)
    _, idx = atlas_tree.query(centres)
    agree = float(np.sum(part.face_normals() * atlas.vertex_normals()[idx], axis=1).mean())
    return part if agree >= 0 else SurfaceMesh(part.vertices_mm, part.faces[:, ::-1].copy())


HEAD_TOP_MM = 15.0
"""The top of the atlas femur (standing) this deep is femoral head only: its sphere's centre."""


def atlas_pelvis_for(fit: AtlasFit) -> SurfaceMesh:
    """The atlas pelvis placed with the femur's fit: in the atlas's standing pose, scaled alike.
    When the fit moved the femoral head from where the mean bone has it (shape modes), the pelvis
    moves with the head, so that the head stays in the acetabulum."""
    from kneeviz.anatomy.atlas import atlas_bone

    pelvis = atlas_bone("pelvis", 8).transformed(fit.T_scan_atlas)
    if not fit.shape_weights_sd:
        return pelvis
    from kneeviz.anatomy._geometry import fit_sphere
    from kneeviz.anatomy.shape_model import bone_shape_model

    model = bone_shape_model("femur", 14)
    head = model.mean_mm[:, 2] > float(model.mean_mm[:, 2].max()) - HEAD_TOP_MM
    moved = fit_sphere(model.vertices(np.array(fit.shape_weights_sd))[head])[0]
    mean = fit_sphere(model.mean_mm[head])[0]
    shift = fit.T_scan_atlas[:3, :3] @ (moved - mean)
    T_shift = np.eye(4)
    T_shift[:3, 3] = shift
    return pelvis.transformed(T_shift)


def _fitted_shape(fit: AtlasFit) -> str:
    """What shape the fit used, for check-mesh: the mean bone, or how many modes and how far."""
    b = np.array(fit.shape_weights_sd)
    if b.size == 0:
        return "the mean bone"
    return (f"shape model, {b.size} modes, largest weight {np.abs(b).max():.1f} SD, "
            f"|b| {np.linalg.norm(b):.1f} SD")


def analyse_partial(mesh: SurfaceMesh, name: str) -> BoneAnalysis | None:
    """What `check-mesh` reports for a partial femur or tibia: found, completed, fit RMS; None if
    the mesh fits neither atlas bone (the caller then reports why it is not a whole bone)."""
    from kneeviz.anatomy.landmarks import BoneAnalysis, find_femur, find_tibia
    from kneeviz.transforms import apply

    best: AtlasFit | None = None
    for bone in ("femur", "tibia"):
        try:
            fit = fit_atlas(mesh, bone, name)
        except MeshError:
            continue
        if best is None or fit.rms_mm < best.rms_mm:
            best = fit
    if best is None:
        return None

    def mm(p: FloatArray) -> str:
        return " ".join(f"{c:.1f}" for c in p) + " mm"

    facts = [
        ("found", f"a partial {best.bone}: {100 * best.coverage:.0f} % of its articular end"),
        ("atlas fit RMS", f"{best.rms_mm:.2f} mm (LLP26 {best.bone}: "
                          f"{_fitted_shape(best)}, scaled by {best.scale:.3f})"),
    ]
    if best.bone == "femur":
        ff = find_femur(best.composite)
        T = ff.T_input_femur
        facts += [
            ("completed", "hip centre, femoral mechanical axis, pelvis (quadriceps origins): "
                          "ESTIMATED from the atlas"),
            ("hip centre (estimated)", mm(apply(T, ff.landmarks.hip_centre_mm))),
            ("mechanical axis length (estimated)",
             f"{np.linalg.norm(ff.landmarks.hip_centre_mm):.1f} mm"),
            ("knee centre (mid-epicondyles)", mm(T[:3, 3])),
        ]
        return BoneAnalysis("femur (partial)", ff.side, facts)
    tf = find_tibia(best.composite, best.fibula, one_piece=True)
    T = tf.T_input_tibia
    facts += [
        ("completed", "ankle centre, tibial mechanical axis: ESTIMATED from the atlas"),
        ("fibula", "its head is in the piece: the fibula is completed with the tibia (its "
                   "malleolus is the ankle's lateral one)" if best.fibula is not None else
                   "absent: the ankle's lateral point is the tibia's fibular notch"),
        ("plateau centre", mm(T[:3, 3])),
        ("tuberosity", mm(apply(T, tf.landmarks.tuberosity_mm))),
        ("ankle centre (estimated)", mm(apply(T, tf.landmarks.ankle_centre_mm))),
        ("tibial length (estimated)", f"{np.linalg.norm(tf.landmarks.ankle_centre_mm):.1f} mm"),
    ]
    return BoneAnalysis("tibia (partial)", tf.side, facts)
