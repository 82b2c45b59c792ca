"""The femur's side, ISB frame and landmarks, found from its shape alone.

Method (every step uses directions found on the mesh, never the input's axes, so the result is
equivariant under rotation, translation and mirroring of the input):
1. Long axis = first principal axis of the surface; the shaft line = principal axis of the middle
   40 % of the bone.
2. Femoral head: at each end, seed at the point farthest from the shaft line (the head overhangs
   the shaft medially; the greater trochanter much less), fit a least-squares sphere and grow it
   over every point that lies on it with a radial normal. The end holding a ball of 12-40 mm radius
   that covers over half a sphere (a condyle covers about 0.4) is proximal; its centre is the hip
   centre.
3. Medial = the head's offset from the shaft (perpendicular to the long axis). Posterior = the side
   to which the distal end bulges from the shaft line (the condyles sit behind the shaft).
4. Posterior condyles = the ends of the posterior condylar line: seen along the mechanical axis,
   the hull edge of the distal end that bridges the notch behind the condyles (a bitangent, stable
   against remeshing). Epicondyles = the most medial and lateral points of the distal end along that
   line; iterated with the mechanical axis through their midpoint.
5. Frame (knee.py): origin at the epicondyle midpoint, Y to the hip centre, Z along the epicondylar
   axis (medial -> lateral), X = Y x Z. Side from the handedness of (anterior, proximal, lateral):
   a left femur gets a mirrored frame (det -1) so femur-frame coordinates are always a right knee.
A femur without its head (e.g. a distal-femur-only scan) is refused: the mechanical axis, which the
model needs for hip-driven rotation, cannot be recovered from a short shaft stub.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy._geometry import (
    SphereFit,
    SurfaceSample,
    extreme,
    grow_sphere,
    perpendicular,
    principal_axes,
    sample,
    unit,
)
from kneeviz.anatomy.knee import FemurLandmarks
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.anatomy.trochlea import measure_trochlea
from kneeviz.errors import MeshError
from kneeviz.transforms import apply, invert, make_transform


@dataclass(frozen=True, eq=False)
class FemurFit:
    """Where the femur frame sits in the input's coordinates, which side, and the landmarks.

    T_input_femur maps femur-frame coordinates to input coordinates; for a left femur it contains a
    mirror (det of its rotation = -1), so femur-frame coordinates are always right-knee convention.
    """

    T_input_femur: FloatArray
    side: str
    landmarks: FemurLandmarks


@dataclass(frozen=True)
class _LongBone:
    sample: SurfaceSample
    axis: FloatArray
    centre: FloatArray
    length_mm: float
    shaft_point: FloatArray
    shaft_axis: FloatArray


def long_bone(s: SurfaceSample) -> _LongBone:
    """Long axis, length and mid-shaft line of a long bone (axis sign arbitrary)."""
    c, _, axes = principal_axes(s.points, s.areas)
    a = axes[0]
    t = (s.points - c) @ a
    lo, hi = float(t.min()), float(t.max())
    mid = (t > lo + 0.3 * (hi - lo)) & (t < hi - 0.3 * (hi - lo))
    sc, _, saxes = principal_axes(s.points[mid], s.areas[mid])
    sa = saxes[0] if saxes[0] @ a > 0 else -saxes[0]
    return _LongBone(s, a, c, hi - lo, sc, sa)


def distance_from_line(p: FloatArray, point: FloatArray, direction: FloatArray) -> FloatArray:
    return np.asarray(np.linalg.norm(perpendicular(p - point, direction), axis=1))


def find_head(bone: _LongBone, end_sign: float) -> SphereFit | None:
    """A ball at the `end_sign` end of the long axis, or None (see module docstring, step 2)."""
    s = bone.sample
    a = bone.axis * end_sign
    t = (s.points - bone.centre) @ a
    end = t > t.max() - 0.22 * bone.length_mm
    if end.sum() < 30:
        return None
    dist = distance_from_line(s.points, bone.shaft_point, bone.shaft_axis)
    idx = np.nonzero(end)[0]
    seed_pt = s.points[idx[np.argmax(dist[idx])]]
    best: SphereFit | None = None
    for seed_r in (25.0, 18.0, 32.0):
        seed = end & (np.linalg.norm(s.points - seed_pt, axis=1) < seed_r)
        fit = grow_sphere(s, seed, convex=True)
        if fit is None or not (12.0 < fit.radius_mm < 40.0):
            continue
        if best is None or fit.area_fraction > best.area_fraction:
            best = fit
    return best


def head_is_plausible(fit: SphereFit | None) -> bool:
    return fit is not None and fit.area_fraction > 0.5 and fit.rms_mm < 0.08 * fit.radius_mm


def find_femur(mesh: SurfaceMesh) -> FemurFit:
    """Side, ISB frame and landmarks of a whole femur (mm), whatever its pose in the input."""
    s = sample(mesh)
    bone = long_bone(s)
    if bone.length_mm < 200.0:
        raise MeshError(
            f"femur is only {bone.length_mm:.3g} mm long (is it in metres?): the femoral head is "
            "needed to find the hip centre (mechanical axis); export the whole femur in mm, head "
            "included"
        )
    heads = {sgn: find_head(bone, sgn) for sgn in (1.0, -1.0)}
    good = {k: h for k, h in heads.items() if head_is_plausible(h)}
    if not good:
        raise MeshError(
            "femur has no femoral head (no ball of 12-40 mm radius at either end): export the "
            "whole femur, head included"
        )
    sgn = max(good, key=lambda k: good[k].area_fraction)  # type: ignore[union-attr]
    head = good[sgn]
    assert head is not None
    hip = head.centre
    up = bone.axis * sgn
    t = (s.points - bone.centre) @ up
    t_min = float(t.min())
    distal = t < t_min + 0.12 * bone.length_mm
    dp = s.points[distal]
    if _ml_width(dp, up) < 45.0:
        raise MeshError(
            "femur has no distal end (condyles not found): export the whole distal femur"
        )
    # medial: the head's offset from the shaft, perpendicular to the long axis
    along = float((hip - bone.shaft_point) @ bone.shaft_axis)
    shaft_at_head = bone.shaft_point + along * bone.shaft_axis
    medial = unit(perpendicular(hip - shaft_at_head, up))
    # posterior: the condyles bulge behind the shaft line
    distal_c = dp.mean(0)
    shaft_at_knee = bone.shaft_point + (
        (distal_c - bone.shaft_point) @ bone.shaft_axis
    ) * bone.shaft_axis
    ap_line = unit(np.cross(up, medial))
    bulge = float((distal_c - shaft_at_knee) @ ap_line)
    posterior = ap_line if bulge > 0 else -ap_line
    lateral = -medial
    # handedness of (anterior, proximal, lateral): right-handed for a right femur
    side = "right" if float(np.cross(up, lateral) @ -posterior) > 0 else "left"
    # refine: mechanical axis, posterior condylar line, epicondyles, knee centre (a few passes)
    knee = distal_c
    for _ in range(4):
        y = unit(hip - knee)
        tt = (s.points - knee) @ y
        in_region = tt < tt.min() + 0.11 * bone.length_mm
        region, region_w = s.points[in_region], s.areas[in_region]
        mpc, lpc = posterior_condyles(region, y, unit(perpendicular(posterior, y)), lateral)
        lateral = unit(perpendicular(lpc - mpc, y))
        new_post = np.cross(lateral, y)
        posterior = new_post if float(new_post @ posterior) > 0 else -new_post
        med_epi = extreme(region, -lateral, region_w)
        lat_epi = extreme(region, lateral, region_w)
        knee = 0.5 * (med_epi + lat_epi)
    y = unit(hip - knee)
    z = unit(perpendicular(lat_epi - med_epi, y))
    x = np.cross(y, z) if side == "right" else -np.cross(y, z)
    T_input_femur = make_transform(np.column_stack([x, y, z]), knee)
    T_femur_input = invert(T_input_femur)
    femur_local = mesh.transformed(T_femur_input)
    troch = measure_trochlea(femur_local)
    lm = FemurLandmarks(
        hip_centre_mm=apply(T_femur_input, hip),
        femoral_head_radius_mm=head.radius_mm,
        medial_epicondyle_mm=apply(T_femur_input, med_epi),
        lateral_epicondyle_mm=apply(T_femur_input, lat_epi),
        medial_posterior_condyle_mm=apply(T_femur_input, mpc),
        lateral_posterior_condyle_mm=apply(T_femur_input, lpc),
        groove_line_mm=troch.groove_line_mm,
        sulcus_angle_deg=troch.sulcus_angle_deg,
        groove_depth_mm=troch.groove_depth_mm,
    )
    return FemurFit(T_input_femur, side, lm)


def posterior_condyles(points: FloatArray, axis: FloatArray, posterior: FloatArray,
                       lateral: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The medial and lateral posterior condyle points: the ends of the posterior condylar line.

    Seen along the mechanical `axis`, the line tangent to the back of both condyles is the edge of
    the outline's convex hull that bridges the intercondylar notch: the longest hull edge facing
    `posterior`. A bitangent of two curved surfaces is stable against remeshing, unlike a chain of
    single extreme points.
    """
    from scipy.spatial import ConvexHull

    e1 = unit(perpendicular(lateral, axis))
    e2 = np.cross(axis, e1)
    q = np.column_stack([points @ e1, points @ e2])
    hull = ConvexHull(q)
    post2 = np.array([posterior @ e1, posterior @ e2])
    best, best_len = None, -1.0
    centre = q[hull.vertices].mean(0)
    for a, b in hull.simplices:
        edge = q[b] - q[a]
        normal = np.array([edge[1], -edge[0]])
        if normal @ (q[a] - centre) < 0:
            normal = -normal
        length = float(np.hypot(*edge))
        if normal @ post2 > np.cos(np.radians(45.0)) * length and length > best_len:
            best, best_len = (a, b), length
    if best is None:
        raise MeshError(
            "femur has no distal end (condyles not found): export the whole distal femur"
        )
    a, b = best
    pa, pb = points[a], points[b]
    return (pa, pb) if float((pb - pa) @ lateral) > 0 else (pb, pa)


def _ml_width(points: FloatArray, axis: FloatArray) -> float:
    """Largest extent of `points` perpendicular to `axis` (via their 2D principal axes)."""
    q = perpendicular(points - points.mean(0), axis)
    _, _, ax = principal_axes(q)
    proj = q @ ax[0]
    return float(proj.max() - proj.min())
