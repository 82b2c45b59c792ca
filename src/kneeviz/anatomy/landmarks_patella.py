"""The patella's side, frame and landmarks, found from its shape alone.

Method (equivariant: only directions found on the mesh are used):
1. Anteroposterior line = the thinnest principal axis. The posterior (articular) face is a roof:
   across its most convex direction its profile falls away linearly from the median ridge, while
   the front is a broad crown that stays level near its top; the face whose profile falls more
   within 5 mm of its crest is posterior.
2. Mediolateral line = the most convex direction of the posterior face (across the ridge); the
   ridge line (the most posterior point of each cut across it) then refines the superoinferior
   direction, twice.
3. Apex (inferior) = the narrower end along the superoinferior line (a rounded triangle pointing
   distally). Lateral = away from the ridge: the lateral facet is the larger, so the ridge lies
   medial of the middle of the width. A `side_hint` overrides this vote.
4. Frame (knee.py): origin at the bone's centroid (volume centroid of a closed mesh), Y apex ->
   base, Z medial -> lateral border, X = Y x Z anterior for a right patella (mirrored, det -1, for a
   left one). Height, width and thickness are extents along Y, Z and X.
Hints: a caller that knows the knee may pass `anterior_hint` (e.g. from the femur's knee centre
towards the patella) and `superior_hint` (e.g. the femur's mechanical axis) in input coordinates:
they only fix the signs (the axes still come from the shape), for patellae whose ridge or apex is
too faint for the shape cues. The shape cues alone orient the ICL, Lenhart 2015, LLP26 mean and
sculpted default patellae correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy._geometry import (
    SurfaceSample,
    extreme,
    principal_axes,
    sample,
    signed_volume_mm3,
    unit,
)
from kneeviz.anatomy._geometry import perpendicular as perp
from kneeviz.anatomy.knee import PatellaLandmarks
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.errors import MeshError
from kneeviz.transforms import apply, invert, make_transform


@dataclass(frozen=True, eq=False)
class PatellaFit:
    """T_input_patella maps patella-frame coordinates to the input's (mirrored for a left one)."""

    T_input_patella: FloatArray
    side: str
    landmarks: PatellaLandmarks
    side_from_shape: str
    """The side the facet asymmetry alone suggests (equals `side` unless a hint overrode it)."""


def volume_centroid(mesh: SurfaceMesh) -> FloatArray | None:
    """Centroid of the enclosed solid (None when the mesh encloses no volume)."""
    tri = mesh.vertices_mm[mesh.faces]
    vol = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])) / 6.0
    total = vol.sum()
    if abs(total) < 1e-9:
        return None
    return np.asarray((vol[:, None] * tri.sum(1) / 4.0).sum(0) / total)


def _quadric(s: SurfaceSample, mask: np.ndarray, c: FloatArray, e1: FloatArray, e2: FloatArray,
             n: FloatArray) -> tuple[FloatArray, FloatArray, float]:
    """Fit height h(u, v) along n by a quadric; principal curvatures, directions, RMS residual."""
    p = s.points[mask] - c
    u, v, h = p @ e1, p @ e2, p @ n
    A = np.column_stack([u * u, u * v, v * v, u, v, np.ones_like(u)])
    co, *_ = np.linalg.lstsq(A, h, rcond=None)
    H = np.array([[2 * co[0], co[1]], [co[1], 2 * co[2]]])
    ev, evec = np.linalg.eigh(H)
    dirs = np.array([evec[0, k] * e1 + evec[1, k] * e2 for k in range(2)])
    return ev, dirs, float(np.sqrt(np.mean((A @ co - h) ** 2)))


def _roof_drop(s: SurfaceSample, face: np.ndarray, c: FloatArray, out: FloatArray,
               across: FloatArray, band_mm: float = 6.0, step_mm: float = 5.0) -> float:
    """How far a face's profile falls `step_mm` either side of its crest, in a band through the
    middle: about 1.2-2.2 mm for the patella's ridged articular face, 0.5-1.2 mm for its domed
    front (ICL, Lenhart 2015, LLP26 atlas and the sculpted default patella)."""
    p = s.points[face] - c
    u, v, h = p @ across, p @ np.cross(out, across), p @ out
    band = np.abs(v - np.average(v, weights=s.areas[face])) < band_mm
    ub, hb = u[band], h[band]
    if ub.size < 10:
        return 0.0
    edges = np.arange(ub.min(), ub.max() + 1.0, 1.0)
    which = np.digitize(ub, edges)
    centres, prof = [], []
    for k in range(1, len(edges)):
        sel = which == k
        if sel.any():
            centres.append(0.5 * (edges[k - 1] + edges[k]))
            prof.append(float(hb[sel].max()))
    zc, pr = np.array(centres), np.array(prof)
    k = int(np.argmax(pr))
    side = np.interp([zc[k] - step_mm, zc[k] + step_mm], zc, pr)
    return float(pr[k] - side.mean())


def _ridge(points: FloatArray, centre: FloatArray, x: FloatArray, y: FloatArray, z: FloatArray,
           n_cuts: int = 15) -> FloatArray:
    """Most posterior point of each cut across the ridge (perpendicular to y), superior first."""
    py = (points - centre) @ y
    lo, hi = float(py.min()), float(py.max())
    edges = np.linspace(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo), n_cuts + 1)
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        sel = (py >= a) & (py < b)
        if sel.sum() < 3:
            continue
        pts = points[sel]
        out.append(pts[np.argmin(pts @ x)])
    return np.array(out[::-1])


def find_patella(
    mesh: SurfaceMesh,
    side_hint: str | None = None,
    anterior_hint: FloatArray | None = None,
    superior_hint: FloatArray | None = None,
    superior_axis: FloatArray | None = None,
) -> PatellaFit:
    """Side, frame and landmarks of a patella (mm), whatever its pose in the input.

    Hints are directions in input coordinates that only pick signs (see the module docstring).
    `superior_axis`, when given, IS the superior axis (projected onto the kneecap's plane), in
    place of the one the ridge gives: for a kneecap too smooth to show its ridge, whose scan
    shows which way the limb's femur runs (kneeviz.anatomy.population).
    """
    if side_hint not in (None, "right", "left"):
        raise MeshError(f"patella side hint must be 'right' or 'left', not {side_hint!r}")
    s = sample(mesh)
    c, sd, axes = principal_axes(s.points, s.areas)
    if sd[2] > 0.8 * sd[1]:
        raise MeshError("this patella is not flat (no thin front-to-back axis): check the mesh")
    n = axes[2]
    # 1. which face is posterior: the one whose cross-section across its most convex direction
    #    falls away sharply from a ridge (a roof), not from a broad crown (a dome)
    res = {}
    roof = {}
    for sg in (1.0, -1.0):
        face = (s.normals @ (sg * n)) > 0.3
        res[sg] = _quadric(s, face, c, axes[0], axes[1], sg * n)
        roof[sg] = _roof_drop(s, face, c, sg * n, res[sg][1][0])
    post_sign = 1.0 if roof[1.0] > roof[-1.0] else -1.0
    if anterior_hint is not None:
        post_sign = -1.0 if float(np.asarray(anterior_hint) @ n) > 0 else 1.0
    posterior = post_sign * n
    # 2. mediolateral = most convex direction of the posterior face; ridge refines SI
    ml = res[post_sign][1][0]
    si = unit(np.cross(posterior, ml))
    for _ in range(2):
        ridge = _ridge(s.points, c, -posterior, si, ml)
        if len(ridge) >= 4:
            _, _, rax = principal_axes(ridge)
            d = unit(perp(rax[0], posterior))
            si = d if float(d @ si) > 0 else -d
        ml = unit(np.cross(si, posterior))
    if superior_axis is not None:
        si = unit(perp(np.asarray(superior_axis, dtype=float), posterior))
        ml = unit(np.cross(si, posterior))
    # 3. apex = narrower end; lateral = away from the ridge
    t = (s.points - c) @ si
    L = float(t.max() - t.min())
    widths = {}
    for sg in (1.0, -1.0):
        end = sg * t > float((sg * t).max()) - 0.25 * L
        wz = s.points[end] @ ml
        widths[sg] = float(wz.max() - wz.min())
    up = si if widths[1.0] > widths[-1.0] else -si
    if superior_hint is not None:
        up = si if float(np.asarray(superior_hint) @ si) > 0 else -si
    ridge = _ridge(s.points, c, -posterior, up, ml)
    zc = s.points @ ml
    mid = 0.5 * (float(zc.max()) + float(zc.min()))
    ridge_off = float(np.median(ridge @ ml)) - mid
    lateral = -ml if ridge_off > 0 else ml
    anterior = -posterior
    shape_side = "right" if float(np.cross(up, lateral) @ anterior) > 0 else "left"
    side = side_hint or shape_side
    if side != shape_side:
        lateral = -lateral
    x = anterior
    y = up
    z = lateral
    vc = volume_centroid(mesh) if signed_volume_mm3(mesh) != 0 else None
    origin = vc if vc is not None else c
    T_input_patella = make_transform(np.column_stack([x, y, z]), origin)
    T_pi = invert(T_input_patella)
    local = apply(T_pi, s.points)
    lridge = apply(T_pi, _ridge(s.points, c, -posterior, up, lateral))
    ext = local.max(0) - local.min(0)
    ey, ez = np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    lm = PatellaLandmarks(
        apex_mm=extreme(local, -ey, s.areas, 1.0),
        base_mm=extreme(local, ey, s.areas, 1.0),
        medial_border_mm=extreme(local, -ez, s.areas, 1.0),
        lateral_border_mm=extreme(local, ez, s.areas, 1.0),
        ridge_line_mm=lridge,
        height_mm=float(ext[1]),
        width_mm=float(ext[2]),
        thickness_mm=float(ext[0]),
    )
    return PatellaFit(T_input_patella, side, lm, shape_side)
