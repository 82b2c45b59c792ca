"""Knees for the mechanics tests: an exactly mirror-symmetric synthetic knee, and frame helpers.

The synthetic knee: the femoral cartilage is a grooved surface of revolution about the femur's Z
axis (a V-shaped trochlea with rounded bottom, sulcus angle about 140 deg, that continues round the
distal femur so the patella can ride it into deep flexion); the patella's articular surface is a
matching rounded ridge. Each surface is built for z >= 0 and mirrored, so the knee is symmetric to
the last bit (a triangulation with diagonals all one way would not be). And a flat cartilage sheet
on a bone sheet, for the distance grid.
"""

from __future__ import annotations

import numpy as np

from kneeviz.anatomy.knee import Anatomy, FemurLandmarks, PatellaLandmarks, TibiaLandmarks
from kneeviz.anatomy.mesh import FloatArray, IntArray, SurfaceMesh
from kneeviz.mechanics.muscles import ExtensorParams
from kneeviz.transforms import make_transform
from rotations import rot_z

GROOVE_RADIUS_MM = 38.0
FACET_SLOPE = np.tan(np.radians(20.0))  # sulcus angle 140 deg
RIDGE_SLOPE = np.tan(np.radians(25.0))


def _grid_surface(u: FloatArray, v: FloatArray, f) -> tuple[FloatArray, IntArray]:  # type: ignore[no-untyped-def]
    """Points f(u, v) on a (len(u), len(v)) grid, triangulated."""
    U, V = np.meshgrid(u, v, indexing="ij")
    P = f(U, V).reshape(-1, 3)
    nu, nv = len(u), len(v)
    idx = np.arange(nu * nv).reshape(nu, nv)
    a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
    c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    faces = np.concatenate([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    return P, faces


def _mirrored(f, u: FloatArray, zmax: float, dz: float, outward: FloatArray) -> SurfaceMesh:  # type: ignore[no-untyped-def]
    """Build the z >= 0 half, mirror it to z <= 0 and merge; wind the faces so normals point along
    `outward(points)` (a function giving the desired direction)."""
    z = np.arange(0.0, zmax + 1e-9, dz)
    P, F = _grid_surface(u, z, f)
    n = np.cross(P[F[:, 1]] - P[F[:, 0]], P[F[:, 2]] - P[F[:, 0]])
    want = outward(P[F].mean(axis=1))
    if np.mean(np.einsum("ij,ij->i", n, want)) < 0:
        F = F[:, ::-1]
    Pm = P * np.array([1.0, 1.0, -1.0])
    Fm = F[:, ::-1] + len(P)
    V = np.concatenate([P, Pm])
    Fa = np.concatenate([F, Fm])
    # merge the duplicated z = 0 seam
    key = np.round(V, 9)
    _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return SurfaceMesh(V[first], inv.ravel()[Fa])


def symmetric_anatomy() -> Anatomy:
    R0 = GROOVE_RADIUS_MM

    def femur_surface(offset: float):  # type: ignore[no-untyped-def]
        def f(phi: FloatArray, z: FloatArray) -> FloatArray:
            r = R0 - offset + FACET_SLOPE * (np.sqrt(z**2 + 9.0) - 3.0)
            return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=-1)

        return f

    phi = np.radians(np.arange(70.0, -200.0, -1.2))
    radial = lambda p: p * np.array([1.0, 1.0, 0.0])  # noqa: E731
    fcart = _mirrored(femur_surface(0.0), phi, 26.0, 0.8, radial)
    femur = _mirrored(femur_surface(2.5), phi, 26.0, 1.6, lambda p: -radial(p))

    def patella_surface(offset: float):  # type: ignore[no-untyped-def]
        def f(y: FloatArray, z: FloatArray) -> FloatArray:
            x = -9.0 + offset + RIDGE_SLOPE * (np.sqrt(z**2 + 9.0) - 3.0) + y**2 / 120.0
            return np.stack([x, y, z], axis=-1)

        return f

    y = np.arange(-14.0, 16.01, 0.7)
    minus_x = lambda p: np.tile([-1.0, 0.0, 0.0], (len(p), 1))  # noqa: E731
    pcart = _mirrored(patella_surface(0.0), y, 21.0, 0.7, minus_x)
    patella = _mirrored(patella_surface(3.5), np.arange(-17.0, 17.01, 1.0), 22.0, 1.0,
                        lambda p: -minus_x(p))

    tibia = SurfaceMesh(
        np.array([[-20.0, 0.0, -35.0], [30.0, 0.0, -35.0], [30.0, 0.0, 35.0], [-20.0, 0.0, 35.0],
                  [0.0, -60.0, 0.0]]),
        np.array([[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4], [0, 2, 1], [0, 3, 2]]),
    )
    groove = np.array(
        [[R0 * np.cos(a), R0 * np.sin(a), 0.0] for a in np.radians(np.arange(50.0, -41.0, -5.0))]
    )
    ridge = np.array([[-9.0 + yy**2 / 120.0, yy, 0.0] for yy in np.arange(14.0, -12.1, -2.0)])
    return Anatomy(
        name="symmetric",
        side="right",
        femur=femur,
        patella=patella,
        tibia=tibia,
        femur_cartilage=fcart,
        patella_cartilage=pcart,
        femur_landmarks=FemurLandmarks(
            hip_centre_mm=np.array([0.0, 420.0, 0.0]),
            femoral_head_radius_mm=23.0,
            medial_epicondyle_mm=np.array([0.0, 0.0, -40.0]),
            lateral_epicondyle_mm=np.array([0.0, 0.0, 40.0]),
            medial_posterior_condyle_mm=np.array([-30.0, 0.0, -22.0]),
            lateral_posterior_condyle_mm=np.array([-30.0, 0.0, 22.0]),
            groove_line_mm=groove,
            sulcus_angle_deg=140.0,
            groove_depth_mm=5.0,
        ),
        tibia_landmarks=TibiaLandmarks(
            plateau_centre_mm=np.zeros(3),
            medial_plateau_mm=np.array([0.0, 0.0, -20.0]),
            lateral_plateau_mm=np.array([0.0, 0.0, 20.0]),
            tuberosity_mm=np.array([30.0, -28.0, 0.0]),
            ankle_centre_mm=np.array([0.0, -380.0, 0.0]),
            medial_malleolus_mm=np.array([0.0, -380.0, -30.0]),
            lateral_malleolus_mm=np.array([0.0, -380.0, 30.0]),
        ),
        patella_landmarks=PatellaLandmarks(
            apex_mm=np.array([0.0, -17.0, 0.0]),
            base_mm=np.array([0.0, 17.0, 0.0]),
            medial_border_mm=np.array([-2.0, 0.0, -22.0]),
            lateral_border_mm=np.array([-2.0, 0.0, 22.0]),
            ridge_line_mm=ridge,
            height_mm=34.0,
            width_mm=44.0,
            thickness_mm=20.0,
        ),
        T_femur_tibia_ref=make_transform(np.eye(3), np.array([0.0, -R0, 0.0])),
    )


def symmetric_params() -> ExtensorParams:
    """Extensor parameters with every medial structure the mirror image of its lateral partner."""
    return ExtensorParams(
        vl_angle_deg=30.0,
        vmo_angle_deg=30.0,
        shaft_valgus_deg=0.0,
        vmo_origin_height_mm=150.0,
        default_aiis_mm=(41.0, 35.0, 0.0),
        pcsa_cm2=(("RF", 13.5), ("VL", 25.0), ("VI", 16.7), ("VM", 25.0)),
        mpfl_n_per_mm=20.0,
        lpfl_n_per_mm=20.0,
        iliopatellar_n_per_mm=0.0,  # the iliotibial band has no medial partner
        vl_insertion=(0.0, -0.05, 0.25),
        vm_insertion=(0.0, -0.05, -0.25),
    )


def simple_poses(anatomy: Anatomy, flexion_deg: float) -> tuple[FloatArray, FloatArray]:
    """T_femur_tibia (the tibia turned about the femur's Z axis through the knee centre) and
    T_femur_pelvis (the pelvis at the hip centre, turned by 0.8 x knee flexion of hip flexion)."""
    th = np.radians(flexion_deg)
    T_ft = make_transform(rot_z(-th), np.zeros(3)) @ anatomy.T_femur_tibia_ref
    T_fp = make_transform(rot_z(-0.8 * th), anatomy.femur_landmarks.hip_centre_mm)
    return T_ft, T_fp


def flat_sheet(size_mm: float = 20.0, step_mm: float = 1.0) -> tuple[SurfaceMesh, SurfaceMesh]:
    """A flat cartilage sheet in the y = 0 plane facing +Y, on a bone sheet 2 mm below it."""
    u = np.arange(-size_mm / 2, size_mm / 2 + 1e-9, step_mm)
    X, Z = np.meshgrid(u, u, indexing="ij")
    v = np.column_stack([X.ravel(), np.zeros(X.size), Z.ravel()])
    n = len(u)
    idx = np.arange(n * n).reshape(n, n)
    a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
    c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    f = np.concatenate([np.column_stack([a, c, b]), np.column_stack([a, d, c])])
    sheet = SurfaceMesh(v, f)
    if sheet.face_normals()[:, 1].mean() < 0:
        sheet = SurfaceMesh(v, f[:, ::-1].copy())
    bone = SurfaceMesh(v - [0.0, 2.0, 0.0], sheet.faces)
    return sheet, bone
