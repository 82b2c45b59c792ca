"""The patient's own cartilage: segmented femoral and patellar layers instead of grown ones.

A segmented cartilage layer must sit on its bone: its deep (bone-side) surface lies on the bone
surface and its articular surface a few millimetres off it. That is what is checked here, in the
bone's frame, after both were loaded through the same reader (units detected per file):
- size: a layer much larger or smaller than the part of its bone it covers (the bone within
  NEAR_MM of the layer's bounding box) is in other units (or is not cartilage). Against the whole
  bone, a whole femur's own cartilage (0.19 of its length) was refused as "wrong units";
- contact: the median vertex of the layer within MAX_MEDIAN_MM of the bone's vertices and the 90th
  percentile within MAX_P90_MM (the Lenhart 2015 knee's own layers: 2.2 / 4.0 mm on the femur,
  2.0 / 3.2 mm on the patella; its patellar cartilage put on the femur: 6.1 / 11.1 mm). Cartilage
  from another knee, another bone or another frame fails this.
Thickness is measured from the bone the way the contact model uses it (kneeviz.mechanics.contact:
the distance from each point of the layer to the nearest vertex of its bone, floored at 1 mm):
check-mesh reports the median and 95th percentile of those distances over the layer's vertices
(the 95th percentile is the thick articular middle; segmented deep surfaces are smoothed and do not
lie exactly on the bone, so no vertex is assumed to be the deep surface).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.errors import MeshError

ON_BONE_MM = 1.0
MAX_MEDIAN_MM = 3.5
MAX_P90_MM = 6.0
SIZE_RATIO_RANGE = (0.3, 1.6)
"""A cartilage layer's largest extent against that of the part of its bone it covers (Lenhart
femur 0.99, patella 1.02; the bundled whole femur's own layer 0.87; the Lenhart femoral layer left
in cm 0.19, in tenths of a mm 9.9)."""
NEAR_MM = 15.0
"""The part of the bone a layer covers: the bone's vertices within this of the layer's bounding
box."""


@dataclass(frozen=True)
class CartilageCheck:
    """How a segmented layer sits on its bone (mm)."""

    on_bone_fraction: float
    median_distance_mm: float
    p90_distance_mm: float
    thickness_median_mm: float
    thickness_p95_mm: float

    def facts(self) -> list[tuple[str, str]]:
        return [
            ("cartilage on its bone", f"{100 * self.on_bone_fraction:.0f} % of vertices within "
             f"{ON_BONE_MM:g} mm of the bone (deep surface)"),
            ("cartilage thickness (from the bone)",
             f"median {self.thickness_median_mm:.1f} mm, 95th percentile "
             f"{self.thickness_p95_mm:.1f} mm (articular surface to the nearest bone vertex)"),
        ]


def _extent(points: np.ndarray) -> float:
    return float(np.ptp(points, axis=0).max()) if len(points) else 0.0


def size_ratio(cartilage: SurfaceMesh, bone: SurfaceMesh) -> float:
    """The layer's largest extent over that of the bone it covers (see the module docstring)."""
    c, b = cartilage.vertices_mm, bone.vertices_mm
    lo, hi = c.min(axis=0) - NEAR_MM, c.max(axis=0) + NEAR_MM
    near = b[np.all((b >= lo) & (b <= hi), axis=1)]
    return _extent(c) / max(_extent(near), 1e-9)


def check_on_bone(cartilage: SurfaceMesh, bone: SurfaceMesh, bone_name: str,
                  path: str | Path) -> CartilageCheck:
    """Refuse a cartilage layer that does not sit on `bone` (both in the same frame, mm)."""
    ratio = size_ratio(cartilage, bone)
    if not SIZE_RATIO_RANGE[0] <= ratio <= SIZE_RATIO_RANGE[1]:
        raise MeshError(
            f"this {bone_name} cartilage is {ratio:.2g} times the size of its bone: wrong units, "
            f"or not the {bone_name}'s cartilage? Export it in the same units and frame as the "
            f"{bone_name} bone", path)
    d, _ = cKDTree(bone.vertices_mm).query(cartilage.vertices_mm)
    on = float(np.mean(d < ON_BONE_MM))
    med = float(np.median(d))
    p90 = float(np.percentile(d, 90))
    if med > MAX_MEDIAN_MM or p90 > MAX_P90_MM:
        raise MeshError(
            f"this cartilage does not sit on the {bone_name} (median {med:.1f} mm from the "
            f"bone, 90 % within {p90:.1f} mm; its own sits within {MAX_MEDIAN_MM:g} / "
            f"{MAX_P90_MM:g} mm): is it this knee's {bone_name} "
            f"cartilage, in the same frame and units as the {bone_name} bone? Export both from "
            "the same segmentation", path)
    return CartilageCheck(on, med, p90, med, float(np.percentile(d, 95)))
