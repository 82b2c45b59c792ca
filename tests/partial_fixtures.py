"""Knee-MRI-sized pieces of the ICL_MRI leg (../shared/meshes, test data only).

A knee MRI's field of view holds the distal 120 mm of the femur and the proximal 100 mm of the
tibia. `cut_bone` cuts a whole bone square to its long axis (bone frame Y) and closes the cut with
a flat cap, as a segmentation exported from such a scan is closed where the image ends;
partial_cases.cut_piece also cuts obliquely and can leave the cut edge open.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from partial_cases import ICL_DIR, cut_piece

FEMUR_FOV_MM = 120.0
TIBIA_FOV_MM = 100.0


def require_icl() -> None:
    if not (ICL_DIR / "ICL_MRI_femur_r.stl").is_file():
        pytest.skip(f"ICL_MRI test meshes not found at {ICL_DIR} (shared test data)")


def cut_bone(mesh: SurfaceMesh, T_input_bone: FloatArray, keep_mm: float,
             distal: bool) -> SurfaceMesh:
    """The distal (or proximal) `keep_mm` of a bone along its frame's Y axis, capped flat."""
    n = T_input_bone[:3, 1]
    return cut_piece(mesh, n if distal else -n, keep_mm)


@lru_cache(maxsize=1)
def icl_pieces() -> dict[str, SurfaceMesh]:
    """Whole and knee-MRI-cut ICL femur and tibia (scan frame, mm)."""
    require_icl()
    from kneeviz.anatomy.landmarks import find_femur, find_tibia
    from kneeviz.anatomy.mesh_io import load_mesh

    femur = load_mesh(ICL_DIR / "ICL_MRI_femur_r.stl").mesh
    tibia = load_mesh(ICL_DIR / "ICL_MRI_tibia_r.stl").mesh
    T_f = find_femur(femur).T_input_femur
    T_t = find_tibia(tibia).T_input_tibia
    return {
        "femur": femur,
        "tibia": tibia,
        "femur_partial": cut_bone(femur, T_f, FEMUR_FOV_MM, distal=True),
        "tibia_partial": cut_bone(tibia, T_t, TIBIA_FOV_MM, distal=False),
    }
