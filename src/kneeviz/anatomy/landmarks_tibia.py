"""The tibia's side, ISB frame and landmarks, found from its shape alone (with the fibula if given).

Method (equivariant: only directions found on the mesh are used):
1. The tibia is the largest piece; a second long piece in the same mesh (or the `fibula` argument)
   is the fibula. Long axis = first principal axis; proximal = the wider end (the plateau, about
   75 mm, against about 50 mm at the ankle).
2. Mediolateral line = the plateau's widest direction (its first principal axis across the long
   axis). Lateral = the fibula's side when there is a fibula (it fixes the side, docs/model.md);
   without one, medial = the side of the most distal point (the tip of the medial malleolus).
3. Posterior = the fibula's side along the anteroposterior line when there is one (it sits
   posterolaterally); without one, the side to which the plateau overhangs the shaft line (ICL:
   17 mm behind it).
4. Plateau condyle centres = area centroids of the upward-facing surface in the top 20 mm, medial
   and lateral halves; origin = their midpoint. Malleoli = the most medial point of the distal tibia
   and the most lateral point of the distal fibula (ISB, Wu et al. 2002); ankle centre = their
   midpoint. Without a fibula the "lateral malleolus" is the most lateral point of the distal tibia
   (the fibular notch) and the ankle centre is the midpoint of the two malleoli so defined.
5. Frame: Y from the ankle centre to the origin, Z from the medial to the lateral plateau centre,
   X = Y x Z (anterior for a right tibia; a left one gets a mirrored frame, det -1).
Tuberosity = the most anterior point 10-50 mm below the plateau centre (TUBEROSITY_BAND_MM).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy._geometry import (
    components,
    extents_along,
    extreme,
    principal_axes,
    sample,
    unit,
)
from kneeviz.anatomy._geometry import (
    perpendicular as perp,
)
from kneeviz.anatomy.knee import TibiaLandmarks
from kneeviz.anatomy.landmarks_femur import _ml_width, long_bone
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.errors import MeshError
from kneeviz.transforms import apply, invert, make_transform

TUBEROSITY_BAND_MM = (10.0, 50.0)
"""How far below the plateau centre the tuberosity (the patellar tendon's insertion) is looked
for: its most anterior point there (the centroid of the 2 mm cap, _geometry.extreme)."""


def in_tuberosity_band(y_mm: FloatArray) -> np.ndarray:
    """Which heights (tibia frame, mm above the plateau centre) lie in TUBEROSITY_BAND_MM."""
    y = np.asarray(y_mm, dtype=float)
    return np.asarray((y < -TUBEROSITY_BAND_MM[0]) & (y > -TUBEROSITY_BAND_MM[1]))


@dataclass(frozen=True, eq=False)
class TibiaFit:
    """T_input_tibia maps tibia-frame coordinates to the input's (mirrored for a left tibia)."""

    T_input_tibia: FloatArray
    side: str
    landmarks: TibiaLandmarks
    has_fibula: bool


def split_tibia_fibula(mesh: SurfaceMesh) -> tuple[SurfaceMesh, SurfaceMesh | None]:
    """The tibia and (when the mesh holds one as a separate piece) the fibula."""
    pieces = components(mesh)
    if len(pieces) < 2:
        return mesh, None
    tib, second = pieces[0], pieces[1]
    ts, ss = sample(tib), sample(second)
    lt = float(extents_along(ts.points, principal_axes(ts.points)[2])[0])
    ls = float(extents_along(ss.points, principal_axes(ss.points)[2])[0])
    return (tib, second) if ls > 0.5 * lt else (tib, None)


def find_tibia(mesh: SurfaceMesh, fibula: SurfaceMesh | None = None, *,
               one_piece: bool = False) -> TibiaFit:
    """Side, ISB frame and landmarks of a tibia (alone, or with its fibula in the mesh or given).

    `one_piece`: the mesh is all tibia even if it is in pieces (a partial tibia completed from the
    atlas: kneeviz.anatomy.completion)."""
    tib, fib_in_mesh = (mesh, None) if one_piece else split_tibia_fibula(mesh)
    fib = fibula if fibula is not None else fib_in_mesh
    s = sample(tib)
    bone = long_bone(s)
    if bone.length_mm < 200.0:
        raise MeshError(
            f"tibia is only {bone.length_mm:.3g} mm long (is it in metres?): the ankle is needed "
            "for the tibial axis; export the whole tibia in mm (with the fibula if you have it)"
        )
    t = (s.points - bone.centre) @ bone.axis
    widths = {}
    for sgn in (1.0, -1.0):
        end = sgn * t > float((sgn * t).max()) - 0.1 * bone.length_mm
        widths[sgn] = _ml_width(s.points[end], bone.axis)
    up = bone.axis * max(widths, key=lambda k: widths[k])
    h = (s.points - bone.centre) @ up
    top = h > h.max() - 0.12 * bone.length_mm
    q = perp(s.points[top] - s.points[top].mean(0), up)
    ml = principal_axes(q)[2][0]
    ap = unit(np.cross(up, ml))
    plateau_c = (s.points[top] * s.areas[top, None]).sum(0) / s.areas[top].sum()
    shaft_here = bone.shaft_point + ((plateau_c - bone.shaft_point) @ bone.shaft_axis) * (
        bone.shaft_axis
    )
    if fib is not None:
        fc = sample(fib).centroid
        off = perp(fc - bone.shaft_point, up)
        lateral = ml if float(off @ ml) > 0 else -ml
        posterior = ap if float(off @ ap) > 0 else -ap
    else:
        distal_c = s.points[h < h.min() + 0.12 * bone.length_mm].mean(0)
        tip = s.points[np.argmin(h)]
        lateral = -ml if float((tip - distal_c) @ ml) > 0 else ml
        posterior = ap if float((plateau_c - shaft_here) @ ap) > 0 else -ap
    side = "right" if float(np.cross(up, lateral) @ -posterior) > 0 else "left"

    # plateau condyle centres: upward-facing surface near the top, split medial / lateral
    plateau = (h > h.max() - 20.0) & (s.normals @ up > 0.6)
    split = float(s.points[top].mean(0) @ lateral)
    zc = s.points @ lateral - split
    centres = []
    for half in (zc < 0, zc > 0):
        sel = plateau & half
        if sel.sum() < 10:
            raise MeshError("tibia has no plateau (condyles not found): export the whole tibia")
        centres.append((s.points[sel] * s.areas[sel, None]).sum(0) / s.areas[sel].sum())
    med_plat, lat_plat = centres
    origin = 0.5 * (med_plat + lat_plat)

    distal = h < h.min() + 0.12 * bone.length_mm
    dp, dw = s.points[distal], s.areas[distal]
    med_mal = extreme(dp, -lateral, dw)
    if fib is not None:
        fs = sample(fib)
        fh = fs.points @ up
        f_low = fh < fh.min() + 0.12 * bone.length_mm
        lat_mal = extreme(fs.points[f_low], lateral, fs.areas[f_low])
    else:
        lat_mal = extreme(dp, lateral, dw)
    ankle = 0.5 * (med_mal + lat_mal)

    y = unit(origin - ankle)
    z = unit(perp(lat_plat - med_plat, y))
    x = np.cross(y, z) if side == "right" else -np.cross(y, z)
    T_input_tibia = make_transform(np.column_stack([x, y, z]), origin)
    T_tibia_input = invert(T_input_tibia)
    local = apply(T_tibia_input, s.points)
    band = in_tuberosity_band(local[:, 1])
    if not band.any():
        raise MeshError("tibia has nothing below its plateau: export the whole tibia")
    tub = extreme(local[band], np.array([1.0, 0.0, 0.0]), s.areas[band])
    lm = TibiaLandmarks(
        plateau_centre_mm=np.zeros(3),
        medial_plateau_mm=apply(T_tibia_input, med_plat),
        lateral_plateau_mm=apply(T_tibia_input, lat_plat),
        tuberosity_mm=tub,
        ankle_centre_mm=apply(T_tibia_input, ankle),
        medial_malleolus_mm=apply(T_tibia_input, med_mal),
        lateral_malleolus_mm=apply(T_tibia_input, lat_mal),
    )
    return TibiaFit(T_input_tibia, side, lm, fib is not None)
