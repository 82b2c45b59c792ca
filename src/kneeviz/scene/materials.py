"""How tissues look: bone ivory and matte, cartilage bluish and slightly glossy.

Plain dicts of VTK property values so the scene and the offscreen renderer share one source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Material:
    """A Phong material (colour as RGB in 0..1)."""

    color: tuple[float, float, float]
    ambient: float
    diffuse: float
    specular: float
    specular_power: float
    opacity: float = 1.0


BONE = Material(color=(0.91, 0.87, 0.78), ambient=0.18, diffuse=0.85, specular=0.12,
                specular_power=12.0)
"""Ivory: dry bone is a warm off-white; low specular so it reads as porous, not plastic."""

CARTILAGE = Material(color=(0.55, 0.72, 0.92), ambient=0.15, diffuse=0.75, specular=0.45,
                     specular_power=40.0)
"""Hyaline cartilage is bluish-white and wet: a cooler tint and a tighter highlight than bone."""

GHOST = Material(color=(0.70, 0.76, 0.86), ambient=0.35, diffuse=0.55, specular=0.0,
                 specular_power=1.0, opacity=0.28)
"""Bone the scan did not hold, estimated from the atlas (a partial bone's completion): faint and
bluish-grey, so it is never mistaken for the patient's own bone."""

BACKGROUND_TOP = (0.20, 0.23, 0.28)
BACKGROUND_BOTTOM = (0.06, 0.07, 0.09)

PRESSURE_ARRAY = "pressure_MPa"
"""The point-data array that carries the contact pressure (MPa) on a cartilage actor: the heat map
(kneeviz.scene.heatmap) writes it, the skyline's capped cut (skyline_cut) carries it across."""
