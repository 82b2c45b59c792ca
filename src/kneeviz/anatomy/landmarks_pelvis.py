"""The pelvis's hip centre(s), frame and landmarks, found from its shape alone.

Works on a whole pelvis (both hip sockets, one or two pieces, with or without the sacrum) or on one
hemipelvis. Method (equivariant: only directions found on the mesh are used):
1. Hip sockets: every surface point votes for a socket centre one radius (22-31 mm) along its
   outward normal; the densest vote seeds a sphere fit grown over the concave points on it (the
   acetabulum). A whole pelvis gives two sockets more than 80 mm apart.
2. Up = from the socket to the centroid of its hemipelvis (the ilium rises above the acetabulum);
   the socket opens laterally, inferiorly and (anteversion) anteriorly.
3. Whole pelvis: lateral = from the other socket to this one. Which socket is the right one follows
   from the femur when one is given (the socket holding its head: `hip_hint`), else from the
   handedness of (anterior, up, right): anterior is where the sockets open and opposite to
   where the bone's bulk lies (ICL: the sockets open 0.3 anteriorly, the centroid sits 13 mm behind
   the hip centre). One hemipelvis: its `side` is taken as given; lateral is the socket's opening
   averaged with the normal of the ASIS->PSIS line (their anteversion errors turn opposite ways).
4. ASIS = most anterior point more than 30 mm above the hip centre; pubic tubercle = most anterior
   point below it; Y (up) is refined to the ASIS - pubic tubercle line (the anterior pelvic plane,
   about vertical when standing), then X = Y x Z anterior. AIIS = most anterior point between the
   socket's rim height and 20 mm below the ASIS.
5. Frame: origin at the chosen side's hip centre, X anterior, Y up, Z towards that side's lateral;
   for the left side the frame is mirrored (det -1), like a left femur's, so pelvis-frame
   coordinates are right-side convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from kneeviz.anatomy._geometry import (
    SphereFit,
    SurfaceSample,
    components,
    extreme,
    grow_sphere,
    principal_axes,
    sample,
    unit,
)
from kneeviz.anatomy._geometry import perpendicular as perp
from kneeviz.anatomy.knee import PelvisLandmarks
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.errors import MeshError
from kneeviz.transforms import apply, invert, make_transform

VOTE_RADII_MM = (22.0, 25.0, 28.0, 31.0)


@dataclass(frozen=True, eq=False)
class PelvisFit:
    """T_input_pelvis maps pelvis-frame coordinates to the input's (mirrored for the left side)."""

    T_input_pelvis: FloatArray
    landmarks: PelvisLandmarks
    side: str
    whole: bool
    """True when both hip sockets were found (a whole pelvis)."""
    acetabulum_radius_mm: float


@dataclass(frozen=True)
class _Socket:
    fit: SphereFit
    opening: FloatArray
    piece: SurfaceSample


def find_sockets(mesh: SurfaceMesh) -> list[_Socket]:
    """The acetabula (concave spheres of 18-36 mm radius), at most two, best first."""
    pieces = [p for p in components(mesh) if p.n_vertices >= 200] or [mesh]
    found: list[_Socket] = []
    for piece in pieces[:3]:
        s = sample(piece)
        for _ in range(2):
            best: SphereFit | None = None
            for r in VOTE_RADII_MM:
                cs = s.points + r * s.normals
                if found:
                    taken = np.zeros(len(cs), dtype=bool)
                    for f in found:
                        taken |= np.linalg.norm(cs - f.fit.centre, axis=1) < 60.0
                    cs_ok = ~taken
                else:
                    cs_ok = np.ones(len(cs), dtype=bool)
                if cs_ok.sum() < 50:
                    continue
                tree = cKDTree(cs[cs_ok])
                counts = tree.query_ball_point(cs[cs_ok], 3.0, return_length=True)
                peak = cs[cs_ok][int(np.argmax(counts))]
                seed = np.linalg.norm(cs - peak, axis=1) < 4.0
                fit = grow_sphere(s, seed & cs_ok, convex=False, tol_mm=2.0, normal_cos=0.8)
                if fit is None or not (18.0 < fit.radius_mm < 36.0):
                    continue
                if best is None or fit.area_fraction > best.area_fraction:
                    best = fit
            if best is None or best.area_fraction < 0.15:
                break
            sock = s.points[best.mask]
            mean = (sock * s.areas[best.mask, None]).sum(0) / s.areas[best.mask].sum()
            found.append(_Socket(best, unit(best.centre - mean), s))
            if len(pieces) > 1:
                break  # one socket per hemipelvis piece
    found.sort(key=lambda k: -k.fit.area_fraction)
    out = found[:1]
    for k in found[1:]:
        if all(np.linalg.norm(k.fit.centre - o.fit.centre) > 80.0 for o in out):
            out.append(k)
    return out[:2]


def _own_half(points: FloatArray, hip: FloatArray, other: FloatArray | None) -> np.ndarray:
    """Points on this socket's side of the midsagittal plane (all points for a hemipelvis)."""
    if other is None:
        return np.ones(len(points), dtype=bool)
    ml = unit(hip - other)
    return np.asarray((points - 0.5 * (hip + other)) @ ml > 0)


def find_pelvis(mesh: SurfaceMesh, side: str, hip_hint: FloatArray | None = None) -> PelvisFit:
    """Hip centre, frame and ASIS/AIIS of the `side` ("right"/"left") of a pelvis (mm).

    `hip_hint`: where the femur's head is, in the pelvis mesh's coordinates (the femur of the
    same scan). Of a whole pelvis's two sockets, the one holding that head is the `side` one,
    whatever the shape's own cues say: the cues (where the sockets open, where the bulk lies)
    named the wrong socket in 14 of the 26 LLP26 training limbs' pelvises, and their knees'
    rectus femoris pulled from the far side of the pelvis, 120-150 mm medial of the hip."""
    if side not in ("right", "left"):
        raise MeshError(f"pelvis side must be 'right' or 'left', not {side!r}")
    sockets = find_sockets(mesh)
    if not sockets:
        raise MeshError(
            "pelvis has no hip socket (no acetabulum found): export the pelvis with the acetabulum"
        )
    all_s = sample(mesh)
    whole = len(sockets) == 2
    if whole:
        a, b = sockets
        mid = 0.5 * (a.fit.centre + b.fit.centre)
        up = unit(perp(all_s.centroid - mid, unit(a.fit.centre - b.fit.centre)))
        # treat a as the right one; check with the anterior cues
        z_a = unit(perp(a.fit.centre - b.fit.centre, up))
        x_a = np.cross(up, z_a)
        vote = (float(a.opening @ x_a) + float(b.opening @ x_a)
                - float(unit(perp(all_s.centroid - mid, up)) @ x_a))
        right, left = (a, b) if vote > 0 else (b, a)
        this, other = (right, left) if side == "right" else (left, right)
        if hip_hint is not None:
            near = min(sockets, key=lambda k: float(np.linalg.norm(k.fit.centre - hip_hint)))
            this, other = (a, b) if near is a else (b, a)
        lateral = unit(perp(this.fit.centre - other.fit.centre, up))
        other_centre: FloatArray | None = other.fit.centre
    else:
        this = sockets[0]
        # the hemipelvis is a long twisted plate: long axis ~ up, thin axis ~ lateral
        _, _, pax = principal_axes(this.piece.points, this.piece.areas)
        up = pax[0] if float((this.piece.centroid - this.fit.centre) @ pax[0]) > 0 else -pax[0]
        lateral = pax[2] if float(this.opening @ pax[2]) > 0 else -pax[2]
        other_centre = None
        # the shape's own side: anterior is where the socket opens and away from the bulk
        ap = np.cross(up, lateral)
        g = unit(perp(this.piece.centroid - this.fit.centre, up))
        shape_side = "right" if float(this.opening @ ap) - float(g @ ap) > 0 else "left"
        if shape_side != side:
            raise MeshError(
                f"this hemipelvis looks like a {shape_side} one (its socket opens that way), not "
                f"{side}: ask for side='{shape_side}' or export the whole pelvis"
            )
    hip = this.fit.centre
    pts = all_s.points
    own = _own_half(pts, hip, other_centre)
    sgn = 1.0 if side == "right" else -1.0
    for _ in range(3):
        anterior = sgn * np.cross(up, lateral)
        h = (pts - hip) @ up
        high = own & (h > 30.0)
        low = own & (h < -10.0)
        if not high.any() or not low.any():
            raise MeshError("pelvis has no ilium above the hip socket: export the whole pelvis")
        asis = extreme(pts[high], anterior, all_s.areas[high])
        psis = extreme(pts[high], -anterior, all_s.areas[high])
        tubercle = extreme(pts[low], anterior, all_s.areas[low])
        up = unit(perp(asis - tubercle, lateral))
        if not whole:
            from_opening = unit(perp(this.opening, up))
            from_spines = sgn * np.cross(unit(perp(asis - psis, up)), up)
            lateral = unit(from_opening + from_spines)
        lateral = unit(perp(lateral, up))
    x = sgn * np.cross(up, lateral)
    T_input_pelvis = make_transform(np.column_stack([x, up, lateral]), hip)
    T_pi = invert(T_input_pelvis)
    local = apply(T_pi, pts)
    asis_l = apply(T_pi, asis)
    rim = this.fit.radius_mm
    band = own & (local[:, 1] > rim) & (local[:, 1] < asis_l[1] - 20.0)
    if not band.any():
        raise MeshError("pelvis has no anterior inferior iliac spine region: check the mesh")
    aiis_l = extreme(local[band], np.array([1.0, 0.0, 0.0]), all_s.areas[band])
    lm = PelvisLandmarks(hip_centre_mm=np.zeros(3), aiis_mm=aiis_l, asis_mm=asis_l)
    return PelvisFit(T_input_pelvis, lm, side, whole, this.fit.radius_mm)
