"""Do these three bones form one knee? Checked after the landmarks are found, before solving.

A patient's femur, patella and tibia are read from one scan, so they share one frame: the tibial
plateau sits under the femoral condyles, the kneecap in front of them, all three of one side and
of sizes that belong to one person. Files that break this give a knee that cannot be solved
(every frame unconverged) or, worse, one that solves to a wrong answer:
- OpenSim model geometry: each bone in its own body frame (the femur's origin at the hip, the
  tibia's at the knee), so the tibia floats hundreds of mm from the condyles;
- bones of two sides: a left femur and tibia with a right kneecap (the landmark finder would
  quietly mirror it);
- bones of two people: a child's tibia under an adult's femur;
- bones each in its own frame whose origins happen to lie close together (the bundled knee's own
  files: the tibia's origin, its plateau centre, 32 mm from the femur's, is within the offset
  allowed, so the plateau was put 18 mm inside the femoral condyles and the squat solved around
  it: check_tibia_apart).
Each is refused with a message naming the file that does not fit and how. No Qt here.

Thresholds are from the bundled knee and the ICL scan (docs/literature.md section 5) with wide
margins: the tibia's frame origin lies 0-36 mm from the femur's (must be under 70), the tibia's
long axis within 2 deg of the femur's in an extended knee (must be under 45: a scan of a flexed
knee is still accepted), the kneecap's centre 0-60 mm from the femur's origin (under 110).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy.knee import FemurLandmarks, PatellaLandmarks, TibiaLandmarks
from kneeviz.anatomy.mesh import SurfaceMesh, depth_behind_surface
from kneeviz.errors import MeshError

MAX_TIBIA_OFFSET_MM = 70.0
MAX_TIBIA_TILT_DEG = 45.0
MAX_PATELLA_OFFSET_MM = 110.0
PATELLA_TO_EPICONDYLAR = (0.35, 0.8)
"""Patellar width / femoral epicondylar width: 0.51 (bundled knee), 0.54 (ICL); the population
spread (patella 44.8 +- 4.8 mm, epicondylar width 84 +- 6 mm) stays within 0.4-0.7."""
PLATEAU_TO_EPICONDYLAR = (0.25, 0.65)
"""Distance between the tibia's medial and lateral plateau centres / femoral epicondylar width:
0.42 (bundled), 0.40 (ICL)."""
TIBIA_TO_FEMUR_LENGTH = (0.65, 1.15)
"""Tibia length (plateau to ankle) / femur length (hip to knee): 0.91 (bundled), 0.88 (ICL);
the population ratio is 0.8-0.9."""


@dataclass(frozen=True)
class BonePlaces:
    """Where the fitted frames put the tibia and patella in the femur's frame, and the sides."""

    T_femur_tibia: np.ndarray
    T_femur_patella: np.ndarray
    femur_side: str
    tibia_side: str
    patella_side: str  # from the patella's own shape (facet asymmetry), not a hint


def _name(paths: tuple[str, ...], i: int, bone: str) -> str:
    return paths[i] if len(paths) > i else bone


def check_one_knee(places: BonePlaces, femur: FemurLandmarks, tibia: TibiaLandmarks,
                   patella: PatellaLandmarks, paths: tuple[str, ...] = ()) -> None:
    """Refuse (MeshError naming the file) bones that cannot be one knee; see the module doc."""
    fpath = _name(paths, 0, "femur")
    ppath = _name(paths, 1, "patella")
    tpath = _name(paths, 2, "tibia")
    where = np.asarray(places.T_femur_tibia, dtype=float)
    offset = float(np.linalg.norm(where[:3, 3]))
    tilt = math.degrees(math.acos(float(np.clip(where[1, 1], -1.0, 1.0))))
    if offset > MAX_TIBIA_OFFSET_MM or tilt > MAX_TIBIA_TILT_DEG:
        how = (f"its plateau is {offset:.0f} mm from the femoral condyles"
               if offset > MAX_TIBIA_OFFSET_MM else
               f"its long axis is {tilt:.0f} deg off the femur's")
        raise MeshError(
            f"the tibia is not under the femur ({how}): the bones are not in one frame (OpenSim "
            f"model geometry, for one, keeps each bone in its own body frame); give the femur "
            f"({fpath}), patella and tibia as segmented from one scan, in that scan's frame",
            tpath,
        )
    p_off = float(np.linalg.norm(np.asarray(places.T_femur_patella, dtype=float)[:3, 3]))
    if p_off > MAX_PATELLA_OFFSET_MM:
        raise MeshError(
            f"the kneecap is {p_off:.0f} mm from the femoral condyles, not in front of them: the "
            f"bones are not in one frame; give the patella in the same scan frame as the femur "
            f"({fpath})",
            ppath,
        )
    if places.patella_side in ("left", "right") and places.patella_side != places.femur_side:
        raise MeshError(
            f"this is a {places.patella_side} kneecap but the femur and tibia are of a "
            f"{places.femur_side} knee: choose the patella of the same knee",
            ppath,
        )
    epi = float(np.linalg.norm(np.asarray(femur.medial_epicondyle_mm)
                               - np.asarray(femur.lateral_epicondyle_mm)))
    if epi <= 0.0:
        return
    ratio = patella.width_mm / epi
    lo, hi = PATELLA_TO_EPICONDYLAR
    if not lo <= ratio <= hi:
        raise MeshError(
            f"this kneecap ({patella.width_mm:.0f} mm wide) cannot belong to the femur "
            f"({fpath}, {epi:.0f} mm across the epicondyles): the width ratio {ratio:.2f} is "
            f"outside {lo}-{hi}; choose the bones of one knee (and check the units)",
            ppath,
        )
    plateau = float(np.linalg.norm(np.asarray(tibia.medial_plateau_mm)
                                   - np.asarray(tibia.lateral_plateau_mm)))
    ratio = plateau / epi
    lo, hi = PLATEAU_TO_EPICONDYLAR
    if plateau > 0 and not lo <= ratio <= hi:
        raise MeshError(
            f"this tibia's plateau ({plateau:.0f} mm between its compartments) cannot belong to "
            f"the femur ({fpath}, {epi:.0f} mm across the epicondyles): the ratio {ratio:.2f} "
            f"is outside {lo}-{hi}; choose the bones of one knee",
            tpath,
        )
    f_len = float(np.linalg.norm(np.asarray(femur.hip_centre_mm)))
    t_len = float(np.linalg.norm(np.asarray(tibia.ankle_centre_mm)
                                 - np.asarray(tibia.plateau_centre_mm)))
    lo, hi = TIBIA_TO_FEMUR_LENGTH
    if f_len > 0 and t_len > 0 and not lo <= t_len / f_len <= hi:
        raise MeshError(
            f"this tibia ({t_len:.0f} mm long) cannot belong to the femur ({fpath}, "
            f"{f_len:.0f} mm long): the length ratio {t_len / f_len:.2f} is outside {lo}-{hi}; "
            "choose the bones of one person",
            tpath,
        )


MAX_BONE_OVERLAP_MM = 6.0
"""How far the tibia may reach inside the femur's surface in the scan: the bones of a knee never
overlap (their cartilage, about 5 mm together, lies between them; 2.7-4.9 mm apart in the bundled,
ICL and Lenhart knees); a segmentation's error is a voxel or two. The bundled knee's files, each
in its own bone frame, put the plateau 18.5 mm inside."""


def check_tibia_apart(femur: SurfaceMesh, tibia: SurfaceMesh, paths: tuple[str, ...] = ()
                      ) -> None:
    """Refuse (MeshError naming the tibia file) a tibia that lies inside the femur: both meshes
    in the femur frame (Y proximal). How deep a tibia vertex lies is its distance behind the
    tangent plane of the nearest femur vertex; the femur's outward side is the one its most
    distal surface faces (downwards), so an open piece's unknown winding does not matter."""
    v = femur.vertices_mm
    n = femur.vertex_normals()
    bottom = v[:, 1] < float(v[:, 1].min()) + 3.0
    if float(n[bottom, 1].mean()) > 0.0:
        n = -n
    depth = depth_behind_surface(v, n, tibia.vertices_mm, 30.0)
    depth = depth[np.isfinite(depth)]
    if not len(depth):
        return
    overlap = float(np.percentile(depth, 99))
    if overlap > MAX_BONE_OVERLAP_MM:
        raise MeshError(
            f"the tibia lies {overlap:.0f} mm inside the femoral condyles: the bones are not in "
            f"one frame (each file in its own bone frame, as the bundled knee's are, or moved "
            f"after segmenting); give the femur ({_name(paths, 0, 'femur')}), patella and tibia "
            f"as segmented from one scan, in that scan's frame", _name(paths, 2, "tibia"))


def common_offset_mm(*vertex_sets: np.ndarray) -> np.ndarray:
    """A shift that brings bones far from the origin back to it (one shift for all, so they stay
    assembled): the first bone's bounding-box centre, rounded to whole mm."""
    v = np.asarray(vertex_sets[0], dtype=float)
    return np.round(0.5 * (v.min(axis=0) + v.max(axis=0)))


FAR_FROM_ORIGIN_MM = 10_000.0
"""Bones whose coordinates reach beyond 10 m are re-centred (scanner or world frames far away):
float32 steps (VTK, file writers) keep only about 7 digits."""


def is_far(vertices: np.ndarray) -> bool:
    return bool(np.abs(np.asarray(vertices, dtype=float)).max() > FAR_FROM_ORIGIN_MM)

