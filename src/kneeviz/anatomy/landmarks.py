"""Which bone a mesh is, its side, anatomical frame and landmarks: from geometry alone.

The public entry points (others code against these names):
- identify_bone(mesh) -> "femur" | "tibia" | "patella" | "pelvis" | "fibula"
- find_femur / find_tibia / find_patella / find_pelvis -> *Fit (T_input_<bone>, side, landmarks)
- measure_trochlea(femur_in_femur_frame) -> TrochleaMeasures
- analyse_bone(mesh) -> BoneAnalysis (the facts `kneeviz check-mesh` prints)

Every finder works from directions it finds on the mesh (principal axes, sphere fits, extremes), so
its answer does not depend on how the input is rotated, translated or mirrored. Meshes are in mm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneeviz.anatomy._geometry import components, extents_along, principal_axes, sample
from kneeviz.anatomy.landmarks_femur import (
    FemurFit,
    _ml_width,
    find_femur,
    find_head,
    head_is_plausible,
    long_bone,
)
from kneeviz.anatomy.landmarks_patella import PatellaFit, find_patella
from kneeviz.anatomy.landmarks_pelvis import PelvisFit, find_pelvis
from kneeviz.anatomy.landmarks_tibia import TibiaFit, find_tibia
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.anatomy.trochlea import TrochleaMeasures, measure_trochlea
from kneeviz.errors import MeshError
from kneeviz.transforms import apply, invert

__all__ = [
    "BoneAnalysis",
    "FemurFit",
    "PatellaFit",
    "PelvisFit",
    "TibiaFit",
    "TrochleaMeasures",
    "analyse_bone",
    "find_femur",
    "find_patella",
    "find_pelvis",
    "find_tibia",
    "identify_bone",
    "measure_trochlea",
]

BONES = ("femur", "tibia", "patella", "pelvis", "fibula")
PATELLA_MAX_MM = 66.0
"""Largest extent of a patella: mean width 44.8 + 3 SD (4.8) is 59 mm (Iranpour: docs/literature.md
section 5)."""
PATELLA_MIN_MM = 20.0
"""Smaller than any adult patella (mean height 34.4 - 3 SD is 23 mm); below it, suspect metres."""
LONG_BONE_MIN_MM = 200.0
CUT_SHAFT_MAX_MM = 40.0
"""An end narrower than this is a cut shaft: the distal tibia is 48-55 mm wide (LLP26, ICL)."""
PELVIS_MIN_WIDTH_MM = 140.0
"""A pelvis's second extent: 205-211 mm whole (LLP26 mean, ICL), 188-191 mm for one hemipelvis;
a knee's widest part, the femoral epicondyles or the tibial plateau, is 75-100 mm (80 bundled,
91 ICL), so a short, stout piece of that width is a knee piece, never a pelvis."""


def identify_bone(mesh: SurfaceMesh) -> str:
    """Name the bone a mesh (mm) shows, from its shape: size, elongation, its ends and pieces.

    - patella: small (largest extent under 66 mm);
    - pelvis: large (over 150 mm), not elongated and wide (its second extent over
      PELVIS_MIN_WIDTH_MM: a whole pelvis or one hemipelvis);
    - long bones (length over twice the next extent): a femur has a ball (the femoral head) at one
      end; a fibula is thin at both ends (under 45 mm); a tibia is what remains, and a mesh
      holding a tibia and a fibula as two pieces is a tibia. A long bone without a head and with
      one end under 40 mm wide is a cut shaft (a femur without its head, a tibia without its
      ankle) and is refused.
    Raises MeshError for a piece of bone too short to tell (a knee MRI's distal femur or proximal
    tibia, of any length: the caller fits it to the atlas bones, kneeviz.anatomy.completion).
    """
    if mesh.n_triangles == 0:
        raise MeshError("mesh has no triangles: export the bone's surface")
    s = sample(mesh)
    _, _, axes = principal_axes(s.points, s.areas)
    ext = extents_along(s.points, axes)
    length = float(ext.max())
    if length < PATELLA_MIN_MM:
        raise MeshError(
            f"mesh is only {length:.3g} mm across, smaller than any knee bone: is it in metres? "
            "export it in mm (or scale it by 1000)"
        )
    if length < PATELLA_MAX_MM:
        return "patella"
    elongation = float(ext[0] / max(ext[1], 1e-9))
    if elongation < 2.0:
        if length > 150.0 and float(ext[1]) > PELVIS_MIN_WIDTH_MM:
            return "pelvis"
        raise MeshError(
            f"cannot tell which bone this is: it is only {length:.0f} x {ext[1]:.0f} x "
            f"{ext[2]:.0f} mm, too large for a patella and too short for a whole femur, tibia or "
            "pelvis (is it in metres, or only part of a bone?): export the whole bone in mm"
        )
    if length < LONG_BONE_MIN_MM:
        raise MeshError(
            f"this long bone is only {length:.0f} mm long: export the whole femur or tibia in mm"
        )
    pieces = components(mesh)
    with_fibula = False
    if len(pieces) >= 2:
        second = sample(pieces[1])
        _, _, ax2 = principal_axes(second.points, second.areas)
        with_fibula = float(extents_along(second.points, ax2)[0]) > 0.5 * length
        if with_fibula:  # a tibia and its fibula in one file: its ends are the tibia's
            s = sample(pieces[0])
    bone = long_bone(s)
    t = (s.points - bone.centre) @ bone.axis
    widths = []
    for sgn in (1.0, -1.0):
        end = sgn * t > sgn * t[np.argmax(sgn * t)] - 0.1 * bone.length_mm
        widths.append(_ml_width(s.points[end], bone.axis))
    if not with_fibula and max(widths) < 45.0:
        return "fibula"
    # a cut end first: on a distal femur cut obliquely with its rim open (atlas:02's 200 mm) a
    # condyle passed for a femoral head, and the piece was taken as a whole femur upside down
    if min(widths) >= CUT_SHAFT_MAX_MM and not with_fibula and any(
            head_is_plausible(find_head(bone, sgn)) for sgn in (1.0, -1.0)):
        return "femur"
    if min(widths) < CUT_SHAFT_MAX_MM:
        raise MeshError(
            f"this long bone is cut across its shaft (one end is only {min(widths):.0f} mm wide) "
            "and has no femoral head: export the whole femur (head included) or the whole tibia "
            "(ankle included)"
        )
    return "tibia"


@dataclass
class BoneAnalysis:
    """What `kneeviz check-mesh` reports about a mesh: the bone, its side and key/value facts."""

    bone: str
    side: str
    facts: list[tuple[str, str]] = field(default_factory=list)


def _mm(p: FloatArray) -> str:
    return " ".join(f"{c:.1f}" for c in p) + " mm"


def analyse_bone(mesh: SurfaceMesh) -> BoneAnalysis:
    """Identify the bone and report its side and landmarks; points are in INPUT coordinates.

    Raises MeshError (with what to do) when the bone cannot be analysed, e.g. a femur without head.
    """
    bone = identify_bone(mesh)
    if bone == "femur":
        fit = find_femur(mesh)
        lm = fit.landmarks
        T = fit.T_input_femur
        facts = [
            ("hip centre", _mm(apply(T, lm.hip_centre_mm))),
            ("femoral head radius", f"{lm.femoral_head_radius_mm:.1f} mm"),
            ("mechanical axis length", f"{np.linalg.norm(lm.hip_centre_mm):.1f} mm"),
            ("knee centre (mid-epicondyles)", _mm(T[:3, 3])),
            ("medial epicondyle", _mm(apply(T, lm.medial_epicondyle_mm))),
            ("lateral epicondyle", _mm(apply(T, lm.lateral_epicondyle_mm))),
            ("epicondylar width",
             f"{np.linalg.norm(lm.lateral_epicondyle_mm - lm.medial_epicondyle_mm):.1f} mm"),
            ("medial posterior condyle", _mm(apply(T, lm.medial_posterior_condyle_mm))),
            ("lateral posterior condyle", _mm(apply(T, lm.lateral_posterior_condyle_mm))),
        ]
        troch = measure_trochlea(mesh.transformed(invert(T)), lm.posterior_condylar_axis)
        facts += [
            ("sulcus angle", f"{troch.sulcus_angle_deg:.1f} deg"),
            ("groove depth", f"{troch.groove_depth_mm:.1f} mm"),
            ("lateral trochlear inclination",
             f"{troch.lateral_trochlear_inclination_deg:.1f} deg"),
        ]
        return BoneAnalysis(bone, fit.side, facts)
    if bone == "tibia":
        tfit = find_tibia(mesh)
        tl = tfit.landmarks
        T = tfit.T_input_tibia
        facts = [
            ("plateau centre", _mm(T[:3, 3])),
            ("medial plateau", _mm(apply(T, tl.medial_plateau_mm))),
            ("lateral plateau", _mm(apply(T, tl.lateral_plateau_mm))),
            ("tuberosity", _mm(apply(T, tl.tuberosity_mm))),
            ("ankle centre", _mm(apply(T, tl.ankle_centre_mm))),
            ("medial malleolus", _mm(apply(T, tl.medial_malleolus_mm))),
            ("lateral malleolus" if tfit.has_fibula else "lateral distal tibia (no fibula)",
             _mm(apply(T, tl.lateral_malleolus_mm))),
            ("tibial length (plateau to ankle)", f"{np.linalg.norm(tl.ankle_centre_mm):.1f} mm"),
            ("fibula", "present: it fixes the side" if tfit.has_fibula else "absent"),
        ]
        return BoneAnalysis(bone, tfit.side, facts)
    if bone == "patella":
        pfit = find_patella(mesh)
        pl = pfit.landmarks
        T = pfit.T_input_patella
        facts = [
            ("centroid", _mm(T[:3, 3])),
            ("height x width x thickness",
             f"{pl.height_mm:.1f} x {pl.width_mm:.1f} x {pl.thickness_mm:.1f} mm"),
            ("apex (inferior pole)", _mm(apply(T, pl.apex_mm))),
            ("base (superior border)", _mm(apply(T, pl.base_mm))),
            ("medial border", _mm(apply(T, pl.medial_border_mm))),
            ("lateral border", _mm(apply(T, pl.lateral_border_mm))),
            ("side", f"{pfit.side} (from the larger lateral facet; a guess for a lone patella)"),
        ]
        return BoneAnalysis(bone, pfit.side, facts)
    if bone == "pelvis":
        fits = []
        for side in ("right", "left"):
            try:
                fits.append(find_pelvis(mesh, side))
            except MeshError:
                continue
        if not fits:
            raise MeshError("pelvis has no hip socket (no acetabulum found): export the pelvis "
                            "with its acetabula")
        facts = []
        for f in fits:
            T = f.T_input_pelvis
            facts += [
                (f"{f.side} hip centre", _mm(T[:3, 3])),
                (f"{f.side} acetabulum radius", f"{f.acetabulum_radius_mm:.1f} mm"),
                (f"{f.side} ASIS", _mm(apply(T, f.landmarks.asis_mm))),
                (f"{f.side} AIIS", _mm(apply(T, f.landmarks.aiis_mm))),
            ]
        if len(fits) == 2 and fits[0].whole:
            gap = np.linalg.norm(fits[0].T_input_pelvis[:3, 3] - fits[1].T_input_pelvis[:3, 3])
            facts.append(("hip centre distance", f"{gap:.1f} mm"))
        side = "both" if fits[0].whole else fits[0].side
        return BoneAnalysis(bone, side, facts)
    if bone == "fibula":
        return BoneAnalysis(bone, "unknown", [
            ("note", "a fibula alone has no side or frame here; load it with its tibia"),
        ])
    return BoneAnalysis(bone, "unknown", [])
