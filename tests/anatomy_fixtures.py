"""A synthetic knee for tests: simple shapes with plausible sizes and landmarks, so the motion tests
run without the atlas. Right-knee convention (X anterior, Y proximal, Z lateral); a "left" knee is
built as the mirror image of the right one, as a scan of a left knee would be, then mirrored back
into the right-knee convention the way the anatomy loader does (and marked side="left").

Sizes: femur 430 mm (knee centre to hip centre), tibia 400 mm (plateau centre to ankle centre),
femoral head radius 23 mm, patella 34 x 45 x 22 mm (docs/literature.md section 5).
"""

from __future__ import annotations

import numpy as np
import trimesh

from kneeviz.anatomy.knee import (
    Anatomy,
    FemurLandmarks,
    PatellaLandmarks,
    TibiaLandmarks,
)
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.transforms import MIRROR_Z, make_transform
from rotations import rot_x, rot_y, rot_z

FEMUR_LENGTH_MM = 430.0
TIBIA_LENGTH_MM = 400.0


def _mesh(*parts: trimesh.Trimesh) -> SurfaceMesh:
    m = trimesh.util.concatenate(list(parts))
    return SurfaceMesh(np.asarray(m.vertices, dtype=float), np.asarray(m.faces, dtype=np.int64))


def _sphere(centre: tuple[float, float, float], radius: float) -> trimesh.Trimesh:
    s = trimesh.creation.icosphere(subdivisions=2, radius=radius)
    s.apply_translation(centre)
    return s


Point = tuple[float, float, float]


def _rod(p0: Point, p1: Point, r: float) -> trimesh.Trimesh:
    return trimesh.creation.cylinder(radius=r, segment=np.array([p0, p1]), sections=16)


def _ellipsoid(radii: tuple[float, float, float]) -> trimesh.Trimesh:
    s = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    s.apply_scale(radii)
    return s


def _right_knee(name: str) -> Anatomy:
    L = FEMUR_LENGTH_MM
    femur = _mesh(
        _sphere((0.0, L, 0.0), 23.0),
        _rod((0.0, L, 0.0), (0.0, L - 25.0, 40.0), 14.0),  # neck to the trochanteric region
        _rod((0.0, L - 25.0, 40.0), (0.0, 40.0, 5.0), 14.0),  # shaft (anatomical axis)
        _sphere((-5.0, 0.0, -22.0), 22.0),  # medial condyle
        _sphere((-5.0, 0.0, 24.0), 23.0),  # lateral condyle (a little bigger: not symmetric)
        _rod((0.0, 35.0, 0.0), (22.0, 10.0, 3.0), 16.0),  # trochlear region
    )
    femur_cart = _mesh(_sphere((10.0, 12.0, 2.0), 18.0))
    tibia = _mesh(
        _rod((0.0, -4.0, 0.0), (0.0, -22.0, 0.0), 38.0),  # plateau
        _rod((0.0, -22.0, 0.0), (0.0, -TIBIA_LENGTH_MM + 15.0, 0.0), 13.0),  # shaft
        _sphere((30.0, -32.0, 6.0), 8.0),  # tuberosity (lateral of centre)
        _sphere((0.0, -TIBIA_LENGTH_MM, -22.0), 9.0),  # medial malleolus
        _rod((-8.0, -40.0, 35.0), (-8.0, -TIBIA_LENGTH_MM - 5.0, 26.0), 7.0),  # fibula (lateral)
    )
    patella = _mesh(_ellipsoid((11.0, 17.0, 22.0)))
    patella_cart = _mesh(_ellipsoid((4.0, 13.0, 18.0)).apply_translation((-8.0, 0.0, 1.0)))
    ys = np.linspace(35.0, -5.0, 9)
    femur_lm = FemurLandmarks(
        hip_centre_mm=np.array([0.0, L, 0.0]),
        femoral_head_radius_mm=23.0,
        medial_epicondyle_mm=np.array([0.0, 0.0, -42.0]),
        lateral_epicondyle_mm=np.array([0.0, 0.0, 42.0]),
        medial_posterior_condyle_mm=np.array([-27.0, -6.0, -22.0]),
        lateral_posterior_condyle_mm=np.array([-28.0, -6.0, 24.0]),
        groove_line_mm=np.column_stack([25.0 - 0.2 * (35.0 - ys), ys, np.full_like(ys, 2.0)]),
        sulcus_angle_deg=138.0,
        groove_depth_mm=5.5,
    )
    tibia_lm = TibiaLandmarks(
        plateau_centre_mm=np.zeros(3),
        medial_plateau_mm=np.array([0.0, 0.0, -22.0]),
        lateral_plateau_mm=np.array([0.0, 0.0, 22.0]),
        tuberosity_mm=np.array([30.0, -32.0, 6.0]),
        ankle_centre_mm=np.array([0.0, -TIBIA_LENGTH_MM, 0.0]),
        medial_malleolus_mm=np.array([0.0, -TIBIA_LENGTH_MM, -22.0]),
        lateral_malleolus_mm=np.array([-8.0, -TIBIA_LENGTH_MM - 5.0, 26.0]),
    )
    ridge = np.linspace(12.0, -12.0, 7)
    patella_lm = PatellaLandmarks(
        apex_mm=np.array([0.0, -17.0, 0.0]),
        base_mm=np.array([0.0, 17.0, 0.0]),
        medial_border_mm=np.array([0.0, 0.0, -22.0]),
        lateral_border_mm=np.array([0.0, 0.0, 22.0]),
        ridge_line_mm=np.column_stack(
            [np.full_like(ridge, -11.0), ridge, np.full_like(ridge, -1.0)]
        ),
        height_mm=34.0,
        width_mm=45.0,
        thickness_mm=22.0,
    )
    # scanned standing pose: 4 deg flexion, 2 deg varus, 3 deg tibial internal rotation (Z-X-Y),
    # plateau centre 24 mm below the epicondylar midpoint, slightly lateral and anterior
    R = rot_z(np.radians(-4.0)) @ rot_x(np.radians(2.0)) @ rot_y(np.radians(3.0))
    T_ft = make_transform(R, np.array([1.5, -24.0, 1.0]))
    return Anatomy(
        name=name,
        side="right",
        femur=femur,
        patella=patella,
        tibia=tibia,
        femur_cartilage=femur_cart,
        patella_cartilage=patella_cart,
        femur_landmarks=femur_lm,
        tibia_landmarks=tibia_lm,
        patella_landmarks=patella_lm,
        T_femur_tibia_ref=T_ft,
        T_femur_pelvis_ref=make_transform(np.eye(3), np.array([0.0, L, 0.0])),
        sources=("synthetic",),
    )


def _mirror_points(p: np.ndarray) -> np.ndarray:
    return np.asarray(p, dtype=float) * np.array([1.0, 1.0, -1.0])


def mirror_anatomy(a: Anatomy, side: str) -> Anatomy:
    """The same knee mirrored across its sagittal plane (meshes, landmarks, relative poses),
    labelled `side`. Applied twice it gives back the original geometry."""
    M = MIRROR_Z
    fl, tl, pl = a.femur_landmarks, a.tibia_landmarks, a.patella_landmarks
    return Anatomy(
        name=a.name,
        side=side,
        femur=a.femur.transformed(M),
        patella=a.patella.transformed(M),
        tibia=a.tibia.transformed(M),
        femur_cartilage=a.femur_cartilage.transformed(M),
        patella_cartilage=a.patella_cartilage.transformed(M),
        femur_landmarks=FemurLandmarks(
            hip_centre_mm=_mirror_points(fl.hip_centre_mm),
            femoral_head_radius_mm=fl.femoral_head_radius_mm,
            medial_epicondyle_mm=_mirror_points(fl.medial_epicondyle_mm),
            lateral_epicondyle_mm=_mirror_points(fl.lateral_epicondyle_mm),
            medial_posterior_condyle_mm=_mirror_points(fl.medial_posterior_condyle_mm),
            lateral_posterior_condyle_mm=_mirror_points(fl.lateral_posterior_condyle_mm),
            groove_line_mm=_mirror_points(fl.groove_line_mm),
            sulcus_angle_deg=fl.sulcus_angle_deg,
            groove_depth_mm=fl.groove_depth_mm,
        ),
        tibia_landmarks=TibiaLandmarks(
            **{k: _mirror_points(getattr(tl, k)) for k in (
                "plateau_centre_mm", "medial_plateau_mm", "lateral_plateau_mm", "tuberosity_mm",
                "ankle_centre_mm", "medial_malleolus_mm", "lateral_malleolus_mm")}
        ),
        patella_landmarks=PatellaLandmarks(
            apex_mm=_mirror_points(pl.apex_mm),
            base_mm=_mirror_points(pl.base_mm),
            medial_border_mm=_mirror_points(pl.medial_border_mm),
            lateral_border_mm=_mirror_points(pl.lateral_border_mm),
            ridge_line_mm=_mirror_points(pl.ridge_line_mm),
            height_mm=pl.height_mm,
            width_mm=pl.width_mm,
            thickness_mm=pl.thickness_mm,
        ),
        T_femur_tibia_ref=M @ a.T_femur_tibia_ref @ M,
        T_femur_pelvis_ref=M @ a.T_femur_pelvis_ref @ M,
        sources=a.sources,
    )


def synthetic_anatomy(side: str = "right") -> Anatomy:
    """A plausible synthetic knee. side="left": the mirror-image (left) knee, as a loader would
    store it (mirrored into the right-knee convention, side="left")."""
    right = _right_knee(f"synthetic {side}")
    if side == "right":
        return right
    if side != "left":
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    scanned_left = mirror_anatomy(right, "left")  # lateral is -Z, as scanned
    return mirror_anatomy(scanned_left, "left")  # into the right-knee convention
