"""Clinical tracking measures of a solved patella pose (docs/literature.md section 7).

All measures are taken relative to the FEMUR (as on an axial MRI slice), except the two world-frame
rotations, which follow Souza et al. 2010 (femur and patella rotation in the image frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.transforms import apply

GRAVITY_M_S2 = 9.81


def patella_flexion_deg(T_femur_patella: FloatArray) -> float:
    """Sagittal-plane angle of the patella's long (apex->base) axis from the femur's Y axis;
    + when the patella flexes with the knee (its base turns anteriorly)."""
    y = T_femur_patella[:3, 1]
    return float(np.degrees(np.arctan2(y[0], y[1])))


def lateral_tilt_deg(T_femur_patella: FloatArray, anatomy: Anatomy) -> float:
    """Angle between the patella's mediolateral axis and the femur's posterior condylar line,
    + lateral (the lateral facet turned towards the femur).

    Measured in the patella's own axial plane (perpendicular to its apex->base axis): at full
    extension that is the femur's axial MRI plane Souza et al. 2010 used; in flexion it is the
    skyline/Merchant view, which stays meaningful when the patella faces distally.
    """
    c = np.asarray(anatomy.femur_landmarks.posterior_condylar_axis, dtype=float)
    c_p = T_femur_patella[:3, :3].T @ c
    return float(np.degrees(np.arctan2(c_p[0], c_p[2])))


def nearest_groove_point(point_femur_mm: FloatArray, anatomy: Anatomy) -> FloatArray:
    """The deepest groove point at the patella's level: the groove-line point nearest to it in
    the sagittal (XY) plane."""
    g = np.asarray(anatomy.femur_landmarks.groove_line_mm, dtype=float)
    if g.ndim != 2 or not len(g):
        return np.zeros(3)
    d = np.linalg.norm(g[:, :2] - point_femur_mm[:2], axis=1)
    return g[int(np.argmin(d))]


def lateral_shift_mm(T_femur_patella: FloatArray, anatomy: Anatomy) -> float:
    """Patella centre (frame origin) minus the deepest groove point at its level, along the femur's
    Z axis: + lateral."""
    o = T_femur_patella[:3, 3]
    return float(o[2] - nearest_groove_point(o, anatomy)[2])


def bisect_offset_pct(T_femur_patella: FloatArray, anatomy: Anatomy) -> float:
    """Percentage of the patella's width lying lateral to the deepest groove point (about 50-60 %
    normal, above 75 % lateral subluxation; docs/literature.md section 7)."""
    plm = anatomy.patella_landmarks
    med = apply(T_femur_patella, np.asarray(plm.medial_border_mm, dtype=float))
    lat = apply(T_femur_patella, np.asarray(plm.lateral_border_mm, dtype=float))
    g = nearest_groove_point(T_femur_patella[:3, 3], anatomy)
    width = lat[2] - med[2]
    if abs(width) < 1e-6:
        return 50.0
    return float(100.0 * (lat[2] - g[2]) / width)


def caton_deschamps_index(
    T_femur_patella: FloatArray, T_femur_tibia: FloatArray, anatomy: Anatomy
) -> float:
    """Patellar height as on a lateral radiograph (Caton J, Deschamps G): the distance from the
    lowest point of the patella's articular surface to the tibia's anterosuperior angle, over the
    articular surface's length; about 1 normal (0.96 +- 0.13 men, 0.99 +- 0.13 women), patella
    baja below 0.6, alta above 1.2-1.3. Taken on the meshes: the articular surface is the
    posterior half of the patellar cartilage, the anterosuperior angle the tibia's most
    anterior-superior point (largest X + Y/2) within 12 mm of its top and 15 mm of its midline."""
    pc = np.asarray(anatomy.patella_cartilage.vertices_mm, dtype=float)
    art = pc[pc[:, 0] < np.median(pc[:, 0])]
    lo, hi = art[np.argmin(art[:, 1])], art[np.argmax(art[:, 1])]
    length = float(np.linalg.norm(hi - lo))
    tv = np.asarray(anatomy.tibia.vertices_mm, dtype=float)
    rim = tv[(tv[:, 1] > tv[:, 1].max() - 12.0) & (np.abs(tv[:, 2]) < 15.0)]
    if not len(rim) or length <= 0.0:
        return float("nan")
    corner = rim[np.argmax(rim[:, 0] + 0.5 * rim[:, 1])]
    gap = apply(T_femur_patella, lo) - apply(T_femur_tibia, corner)
    return float(np.linalg.norm(gap) / length)


SUBLUXED_BISECT_OFFSET_PCT = 75.0
"""Above 75 % the kneecap is laterally subluxed (docs/literature.md section 7)."""
DISLOCATED_BISECT_OFFSET_PCT = 100.0
"""Past 100 % the whole kneecap lies lateral of the groove's deepest point (below 0 %, medial)."""


def dislocated_frames(bisect_offset_pct: FloatArray, converged: NDArray[np.bool_]) -> NDArray[
        np.bool_]:
    """Frames at or after the first balanced pose with the kneecap off its groove (bisect offset
    above 100 % or below 0 %). The model has no tissue or bone shaped to hold a dislocated
    kneecap, so from there on a pose, even a balanced one, is the solver's, not a result."""
    bo = np.asarray(bisect_offset_pct, dtype=float)
    ok = np.asarray(converged, dtype=bool)
    off = ok & ((bo > DISLOCATED_BISECT_OFFSET_PCT) | (bo < 0.0))
    return np.asarray(np.cumsum(off) > 0, dtype=bool)


def world_rotation_deg(T_world_bone: FloatArray) -> float:
    """The bone's Z (mediolateral) axis turned about the world vertical (Y), + = internal for a
    right knee; the same definition kneeviz.motion uses for the femur."""
    z = T_world_bone[:3, 2]
    return float(np.degrees(np.arctan2(z[0], z[2])))


@dataclass(frozen=True)
class ContactSummary:
    contact_area_mm2: float
    mean_pressure_mpa: float
    peak_pressure_mpa: float
    lateral_force_fraction: float
    pfjrf_n: float


def lateral_facet_mask(points_patella_mm: FloatArray, anatomy: Anatomy) -> NDArray[np.bool_]:
    """True for contact points lateral of the patella's median ridge (ridge Z interpolated
    along Y)."""
    ridge = np.asarray(anatomy.patella_landmarks.ridge_line_mm, dtype=float)
    if ridge.ndim != 2 or len(ridge) < 2:
        return points_patella_mm[:, 2] > 0.0
    order = np.argsort(ridge[:, 1])
    zr = np.interp(points_patella_mm[:, 1], ridge[order, 1], ridge[order, 2])
    return points_patella_mm[:, 2] > zr


def contact_summary(
    pressures_mpa: FloatArray,
    areas_mm2: FloatArray,
    forces_n: FloatArray,
    lateral_mask: NDArray[np.bool_],
) -> ContactSummary:
    """Area in contact, mean (force / area) and peak pressure, the lateral facet's share of the
    contact force magnitude, and the patellofemoral joint reaction force (resultant contact
    force)."""
    on = pressures_mpa > 0.0
    area = float(areas_mm2[on].sum())
    mag = np.linalg.norm(forces_n, axis=1)
    total = float(mag.sum())
    resultant = float(np.linalg.norm(forces_n.sum(axis=0)))
    return ContactSummary(
        contact_area_mm2=area,
        mean_pressure_mpa=total / area if area > 0 else 0.0,
        peak_pressure_mpa=float(pressures_mpa.max()) if len(pressures_mpa) else 0.0,
        lateral_force_fraction=float(mag[lateral_mask].sum() / total) if total > 0 else 0.0,
        pfjrf_n=resultant,
    )
