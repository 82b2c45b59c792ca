"""A test Anatomy built from the Lenhart 2015 knee in ../shared/meshes/lenhart2015 (test data only).

The meshes are in METRES. The femur meshes are in the model's distal-femur frame (X anterior,
Y proximal, Z right = lateral); the patella meshes in the patella's own frame (its default pose sits
at (53, 5, 4) mm in the femur frame, unrotated); the proximal tibia is stored in the femur frame at
the extended pose. Landmarks that the partial meshes lack (hip centre, ankle) are placed at
plausible distances along the bone axes; the rest are computed simply from the geometry.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import trimesh

from kneeviz.anatomy.knee import (
    Anatomy,
    FemurLandmarks,
    PatellaLandmarks,
    TibiaLandmarks,
)
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.cache import cache_dir
from kneeviz.transforms import invert, make_transform

LENHART_DIR = Path(__file__).resolve().parents[2] / "shared" / "meshes" / "lenhart2015"
TEST_CACHE = cache_dir() / "test-grids"
"""Distance-grid cache shared by the mechanics tests (entries are keyed by mesh content): inside
the test run's own cache (conftest.pytest_configure), so every run builds its grids afresh.
It was a fixed folder in /tmp, shared by every checkout and developer on the machine and kept
across runs, so a 'fresh' run was not one."""


def lenhart_available() -> bool:
    return (LENHART_DIR / "lenhart2015-R-femur-cartilage.stl").is_file()


def require_lenhart() -> None:
    if not lenhart_available():
        pytest.skip(f"Lenhart 2015 test meshes not found at {LENHART_DIR} (shared test data)")


def _load(name: str) -> SurfaceMesh:
    m = trimesh.load(LENHART_DIR / f"lenhart2015-R-{name}.stl", force="mesh", process=True)
    return SurfaceMesh(np.asarray(m.vertices) * 1000.0, np.asarray(m.faces))


def groove_line(cartilage: SurfaceMesh) -> FloatArray:
    """Deepest points of the trochlear groove, proximal to distal: in each 3 mm slice along Y of
    the anterior cartilage, the most posterior of the per-Z-column most-anterior points, kept only
    where both facets rise above it."""
    v = cartilage.vertices_mm
    out = []
    ys = np.arange(v[:, 1].max() - 3.0, -15.0, -3.0)
    for y in ys:
        sl = v[(np.abs(v[:, 1] - y) < 1.5) & (v[:, 0] > 10.0)]
        if len(sl) < 20:
            continue
        zb = np.arange(-24.0, 25.0, 2.0)
        tops = []
        for z in zb:
            col = sl[np.abs(sl[:, 2] - z) < 1.0]
            if len(col):
                tops.append(col[np.argmax(col[:, 0])])
        if len(tops) < 8:
            continue
        t = np.array(tops)
        central = t[np.abs(t[:, 2]) < 12.0]
        if not len(central):
            continue
        g = central[np.argmin(central[:, 0])]
        if t[t[:, 2] < g[2], 0].max(initial=-1e9) > g[0] + 1.0 and t[
            t[:, 2] > g[2], 0
        ].max(initial=-1e9) > g[0] + 1.0:
            out.append(g)
    return np.array(out)


@lru_cache(maxsize=1)
def lenhart_anatomy() -> Anatomy:
    """The Lenhart 2015 right knee as an Anatomy (mm, bone frames)."""
    femur = _load("femur-subchondral-bone")
    fcart = _load("femur-cartilage")
    patella = _load("patella-bone")
    pcart = _load("patella-cartilage")
    tibia_in_femur = _load("tibia-bone")

    fv = femur.vertices_mm
    med_epi = fv[np.argmin(fv[:, 2])]
    lat_epi = fv[np.argmax(fv[:, 2])]
    med = fv[fv[:, 2] < 0]
    lat = fv[fv[:, 2] > 0]
    med_post = med[np.argmin(med[:, 0])]
    lat_post = lat[np.argmin(lat[:, 0])]
    groove = groove_line(fcart)
    femur_lm = FemurLandmarks(
        hip_centre_mm=np.array([0.0, 420.0, 0.0]),
        femoral_head_radius_mm=23.0,
        medial_epicondyle_mm=med_epi,
        lateral_epicondyle_mm=lat_epi,
        medial_posterior_condyle_mm=med_post,
        lateral_posterior_condyle_mm=lat_post,
        groove_line_mm=groove,
        sulcus_angle_deg=138.0,
        groove_depth_mm=5.0,
    )

    # tibia: frame origin at the plateau centre (top of the bone), axes parallel to the femur's
    tv = tibia_in_femur.vertices_mm
    top = tv[tv[:, 1] > tv[:, 1].max() - 4.0]
    centre = np.array([top[:, 0].mean(), tv[:, 1].max(), top[:, 2].mean()])
    T_femur_tibia = make_transform(np.eye(3), centre)
    tibia = tibia_in_femur.transformed(invert(T_femur_tibia))
    tv_t = tibia.vertices_mm
    top_t = tv_t[tv_t[:, 1] > -4.0]
    band = tv_t[(tv_t[:, 1] < -22.0) & (tv_t[:, 1] > -35.0)]
    tuberosity = band[np.argmax(band[:, 0])]
    tibia_lm = TibiaLandmarks(
        plateau_centre_mm=np.zeros(3),
        medial_plateau_mm=top_t[top_t[:, 2] < 0].mean(axis=0),
        lateral_plateau_mm=top_t[top_t[:, 2] > 0].mean(axis=0),
        tuberosity_mm=tuberosity,
        ankle_centre_mm=np.array([0.0, -380.0, 0.0]),
        medial_malleolus_mm=np.array([0.0, -380.0, -30.0]),
        lateral_malleolus_mm=np.array([-10.0, -390.0, 30.0]),
    )

    pv = patella.vertices_mm
    cv = pcart.vertices_mm
    ridge = []
    for y in np.arange(cv[:, 1].max() - 2.0, cv[:, 1].min() + 2.0, -2.0):
        sl = cv[np.abs(cv[:, 1] - y) < 1.0]
        if len(sl):
            ridge.append(sl[np.argmin(sl[:, 0])])
    patella_lm = PatellaLandmarks(
        apex_mm=pv[np.argmin(pv[:, 1])],
        base_mm=pv[np.argmax(pv[:, 1])],
        medial_border_mm=pv[np.argmin(pv[:, 2])],
        lateral_border_mm=pv[np.argmax(pv[:, 2])],
        ridge_line_mm=np.array(ridge),
        height_mm=float(np.ptp(pv[:, 1])),
        width_mm=float(np.ptp(pv[:, 2])),
        thickness_mm=float(np.ptp(pv[:, 0])),
    )
    return Anatomy(
        name="lenhart2015",
        side="right",
        femur=femur,
        patella=patella,
        tibia=tibia,
        femur_cartilage=fcart,
        patella_cartilage=pcart,
        femur_landmarks=femur_lm,
        tibia_landmarks=tibia_lm,
        patella_landmarks=patella_lm,
        T_femur_tibia_ref=T_femur_tibia,
        sources=(str(LENHART_DIR),),
    )
