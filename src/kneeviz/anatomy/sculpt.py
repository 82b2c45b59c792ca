"""Sculpt the articular surfaces of a knee to a chosen trochlear shape.

Why: the LLP26 mean femur is an average of 26 knees, and averaging smooths the trochlear groove
away (about 146-164 deg sulcus angle, 2 mm deep over its proximal part: docs/model.md section
1.1). The patella engages the proximal trochlea in early flexion, exactly where Souza 2010 saw
maltracking, so kneeviz re-cuts a healthy groove (or, as a teaching case, a dysplastic one).

How: the trochlea wraps around the distal femur, so we work in cylindrical coordinates about the
femur's medio-lateral (Z) axis through the frame origin (the epicondylar, i.e. flexion, axis):
theta = 0 points anterior, +90 deg distal; r is the distance from the axis; z is medio-lateral.
For every arc angle theta, the outer surface gives a radius profile r(z). The new profile is the
smooth minimum of (a) the old profile with the lateral facet raised and (b) a rounded V whose
opening angle is the requested sulcus angle, centred on the groove. The difference is a smooth
radial displacement field applied to any mesh in the femur frame (bone and cartilage alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from scipy.ndimage import gaussian_filter

from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh


@dataclass(frozen=True)
class TrochleaShape:
    """The groove to sculpt: opening angle, depth below the facets, lateral facet rise (mm)."""

    sulcus_angle_deg: float = 138.0
    depth_mm: float = 5.5
    lateral_rise_mm: float = 2.0
    groove_z_mm: float | None = None
    """Medio-lateral position of the groove (None: where the bone's own groove is)."""
    theta_range_deg: tuple[float, float] = (-58.0, 70.0)
    """Arc over which the groove is re-cut: from the proximal trochlea to the notch."""
    distal_shape: TrochleaShape | None = None
    """The groove the re-cut blends into toward the notch (None: one shape all along). Trochlear
    dysplasia is a deformity of the PROXIMAL trochlea, the part Dejour's classification reads;
    toward the notch the groove deepens, which is why a dysplastic kneecap that rides laterally
    near extension drops into the groove as the knee bends (the clinical J-sign)."""
    distal_blend_deg: tuple[float, float] = (10.0, 40.0)
    """Arc angles over which the blend goes from this shape to `distal_shape` (the kneecap's
    contact is near 10 deg at 30 deg of knee flexion and near 40 deg at 60 deg)."""


def cylindrical(points: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    theta = np.degrees(np.arctan2(-y, x))
    r = np.hypot(x, y)
    return theta, r, z


def smooth_min(a: FloatArray, b: FloatArray, k: float) -> FloatArray:
    """A smooth minimum (polynomial blend over a band k mm wide): no crease at the facet edge."""
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1.0 - h) + a * h - k * h * (1.0 - h)


@dataclass(frozen=True)
class TrochleaSculpt:
    """A radial displacement field dr(theta, z) on the femur frame's cylindrical coordinates."""

    theta_deg: FloatArray
    z_mm: FloatArray
    dr_mm: FloatArray  # (len(theta), len(z))
    groove_z_mm: float

    def displacement(self, points: FloatArray, normals: FloatArray) -> FloatArray:
        """Displacement (N, 3) for surface points with outward normals, in the femur frame."""
        theta, r, z = cylindrical(points)
        interp = RegularGridInterpolator(
            (self.theta_deg, self.z_mm), self.dr_mm, bounds_error=False, fill_value=0.0
        )
        dr = interp(np.column_stack([theta, z]))
        radial = np.zeros_like(points)
        radial[:, 0] = points[:, 0] / np.maximum(r, 1e-9)
        radial[:, 1] = points[:, 1] / np.maximum(r, 1e-9)
        # only the outward-facing articular surface moves (not the notch walls or the inside)
        facing = np.einsum("ij,ij->i", normals, radial)
        weight = np.clip((facing - 0.2) / 0.4, 0.0, 1.0)
        return radial * (dr * weight)[:, None]

    def apply(self, mesh: SurfaceMesh) -> SurfaceMesh:
        moved = mesh.vertices_mm + self.displacement(mesh.vertices_mm, mesh.vertex_normals())
        return SurfaceMesh(moved, mesh.faces.copy())


def outer_profile(
    theta: FloatArray, r: FloatArray, z: FloatArray, t_grid: FloatArray, z_grid: FloatArray
) -> FloatArray:
    """Largest radius of the surface in each (theta, z) cell: the articular outline."""
    prof = np.full((len(t_grid), len(z_grid)), np.nan)
    ti = np.searchsorted(t_grid, theta) - 1
    zi = np.searchsorted(z_grid, z) - 1
    ok = (ti >= 0) & (ti < len(t_grid)) & (zi >= 0) & (zi < len(z_grid))
    flat = np.full(prof.size, -np.inf)
    np.maximum.at(flat, ti[ok] * len(z_grid) + zi[ok], r[ok])
    prof = flat.reshape(prof.shape)
    prof[~np.isfinite(prof)] = np.nan
    return prof


def fill_nan_rows(a: FloatArray) -> FloatArray:
    """Linear fill of missing cells along z in each row (edges held)."""
    out = a.copy()
    idx = np.arange(a.shape[1])
    for row in out:
        good = np.isfinite(row)
        if good.sum() >= 2:
            row[~good] = np.interp(idx[~good], idx[good], row[good])
        elif good.sum() == 1:
            row[~good] = row[good][0]
    return out


def groove_index(profile: FloatArray) -> int:
    """Index of the groove in a height profile: the point with the deepest 'pool' between the
    highest point on its left and on its right (robust to the fall-off at the bone's edges)."""
    p = np.where(np.isfinite(profile), profile, -np.inf)
    left = np.maximum.accumulate(p)
    right = np.maximum.accumulate(p[::-1])[::-1]
    pool = np.minimum(left, right) - p
    pool[~np.isfinite(pool)] = -np.inf
    return int(np.argmax(pool))


def facet_half_widths(shape: TrochleaShape) -> tuple[float, float]:
    """Medial and lateral distances (mm) from the groove to the facet peaks that give the wanted
    sulcus angle for the wanted depth (the lateral facet 1.25x wider, as in a healthy knee)."""
    d_med = shape.depth_mm - shape.lateral_rise_mm / 2.0
    d_lat = shape.depth_mm + shape.lateral_rise_mm / 2.0
    want = np.pi - np.radians(shape.sulcus_angle_deg)
    lo, hi = 1.0, 80.0
    for _ in range(60):
        w = 0.5 * (lo + hi)
        got = np.arctan(d_med / w) + np.arctan(d_lat / (1.25 * w))
        lo, hi = (w, hi) if got > want else (lo, w)
    w = 0.5 * (lo + hi)
    return w, 1.25 * w


def _target_row(env: FloatArray, z_grid: FloatArray, zz: FloatArray, groove_z: float,
                shape: TrochleaShape) -> FloatArray:
    """The wanted radius profile across one arc angle: a rounded V of the shape's angle and depth
    between the facet peaks, and outside them the bone's own profile `env`, shifted to meet the
    peaks without a step."""
    w_med, w_lat = facet_half_widths(shape)
    d_med = shape.depth_mm - shape.lateral_rise_mm / 2.0  # bottom -> medial peak height
    d_lat = shape.depth_mm + shape.lateral_rise_mm / 2.0  # bottom -> lateral peak height
    rounding_mm = 2.5
    h_med = float(np.interp(groove_z - w_med, z_grid, env))
    h_lat = float(np.interp(groove_z + w_lat, z_grid, env))
    level = 0.5 * (h_med + h_lat)
    bottom = level - shape.depth_mm
    # straight facets from the (rounded) bottom up to each peak ...
    facet = np.where(zz < 0, d_med / w_med, d_lat / w_lat) * (
        np.sqrt(zz**2 + rounding_mm**2) - rounding_mm
    )
    inner = bottom + facet * np.where(zz < 0, w_med, w_lat) / (
        np.sqrt(np.where(zz < 0, w_med, w_lat) ** 2 + rounding_mm**2) - rounding_mm
    )
    # ... and outside the peaks the bone's own slope, shifted to meet them without a step
    peak_med = level - shape.lateral_rise_mm / 2.0
    peak_lat = level + shape.lateral_rise_mm / 2.0
    off_med = peak_med - h_med
    off_lat = peak_lat - h_lat
    fade = 10.0
    outer_med = env + off_med * np.clip(1.0 - (-(zz + w_med)) / fade, 0.0, 1.0)
    outer_lat = env + off_lat * np.clip(1.0 - (zz - w_lat) / fade, 0.0, 1.0)
    return np.asarray(np.where(zz < -w_med, outer_med, np.where(zz > w_lat, outer_lat, inner)))


def design_trochlea_sculpt(femur: SurfaceMesh, shape: TrochleaShape) -> TrochleaSculpt:
    """Work out the displacement field that gives `femur` (in its femur frame) the wanted groove."""
    v = femur.vertices_mm
    n = femur.vertex_normals()
    theta, r, z = cylindrical(v)
    radial = np.column_stack([v[:, 0], v[:, 1]]) / np.maximum(r, 1e-9)[:, None]
    outward = np.einsum("ij,ij->i", n[:, :2], radial) > 0.3
    t_lo, t_hi = shape.theta_range_deg
    t_grid = np.arange(t_lo - 12.0, t_hi + 12.0 + 1e-9, 1.0)
    z_grid = np.arange(-45.0, 45.0 + 1e-9, 1.0)
    prof = outer_profile(theta[outward], r[outward], z[outward], t_grid, z_grid)
    prof = fill_nan_rows(prof)
    prof = np.where(np.isfinite(prof), prof, np.nanmedian(prof))

    # the bone's own groove: where water would pool in the mean anterior-trochlea profile
    if shape.groove_z_mm is None:
        anterior_rows = (t_grid > -30.0) & (t_grid < 30.0)
        groove_z = float(z_grid[groove_index(np.nanmean(prof[anterior_rows], axis=0))])
    else:
        groove_z = float(shape.groove_z_mm)

    zz = z_grid - groove_z
    target = np.array([_target_row(env, z_grid, zz, groove_z, shape) for env in prof])
    if shape.distal_shape is not None:
        # the groove deepens toward the notch: blend into the distal shape along the arc
        lo, hi = shape.distal_blend_deg
        b = np.clip((t_grid - lo) / (hi - lo), 0.0, 1.0)
        b = b * b * (3 - 2 * b)
        distal = np.array([_target_row(env, z_grid, zz, groove_z, shape.distal_shape)
                           for env in prof])
        target = (1.0 - b[:, None]) * target + b[:, None] * distal
    dr = target - prof

    # taper at the ends of the arc and at the medio-lateral edges, then smooth
    taper_t = np.clip((t_grid - (t_lo - 10.0)) / 14.0, 0, 1) * np.clip(
        (t_hi + 10.0 - t_grid) / 14.0, 0, 1
    )
    taper_t = taper_t * taper_t * (3 - 2 * taper_t)
    taper_z = np.clip((40.0 - np.abs(zz)) / 8.0, 0, 1)
    dr = dr * taper_t[:, None] * taper_z[None, :]
    dr = gaussian_filter(dr, sigma=(1.5, 0.8), mode="nearest")
    return TrochleaSculpt(t_grid, z_grid, dr, groove_z)


@dataclass(frozen=True)
class PatellaShape:
    """The articular surface to sculpt: facet angle at the median ridge and the lateral facet's
    share of the width (a healthy patella has a larger lateral facet: Wiberg types I-II)."""

    facet_angle_deg: float = 130.0
    lateral_share: float = 0.58
    lateral_to_medial_slope: float = 0.75
    """The lateral facet is flatter than the medial one (ratio of their inclinations)."""


def sculpt_patella(patella: SurfaceMesh, shape: PatellaShape) -> SurfaceMesh:
    """Give a patella (in its patella frame: X anterior, Y superior, Z lateral) a median ridge.

    The posterior (articular) face is cut to two facets meeting at a ridge placed so the lateral
    facet takes `lateral_share` of the width; the cut only removes bone near the ridge's sides
    (a smooth maximum of the old surface and the facet planes), so the outline is kept."""
    v = patella.vertices_mm.copy()
    n = patella.vertex_normals()
    z_lo, z_hi = float(v[:, 2].min()), float(v[:, 2].max())
    z_ridge = z_lo + (1.0 - shape.lateral_share) * (z_hi - z_lo)
    # inclinations (from the coronal plane) of the two facets that make the requested angle
    total = np.radians(180.0 - shape.facet_angle_deg)
    med_incl = total / (1.0 + shape.lateral_to_medial_slope)
    lat_incl = total - med_incl
    posterior = (n[:, 0] < -0.2) & (v[:, 0] < 0.0)
    # ridge depth along Y: the current most posterior point near the ridge line
    y_bins = np.linspace(v[:, 1].min(), v[:, 1].max(), 25)
    near = posterior & (np.abs(v[:, 2] - z_ridge) < 3.0)
    ridge_x = np.full(len(y_bins), np.nan)
    for i, y in enumerate(y_bins):
        sel = near & (np.abs(v[:, 1] - y) < 2.0)
        if sel.any():
            ridge_x[i] = v[sel, 0].min()
    good = np.isfinite(ridge_x)
    ridge_at = np.interp(v[:, 1], y_bins[good], ridge_x[good])
    dz = v[:, 2] - z_ridge
    facet = ridge_at + np.where(dz < 0, -dz * np.tan(med_incl), dz * np.tan(lat_incl))
    # smooth maximum (bone stays where it already lies anterior of the facet planes)
    k = 1.0
    h = np.clip(0.5 + 0.5 * (facet - v[:, 0]) / k, 0.0, 1.0)
    new_x = v[:, 0] * (1.0 - h) + facet * h + k * h * (1.0 - h)
    weight = np.clip((-n[:, 0] - 0.2) / 0.3, 0.0, 1.0) * posterior
    v[:, 0] = v[:, 0] + weight * (new_x - v[:, 0]).clip(min=0.0)
    return SurfaceMesh(v, patella.faces.copy())


@dataclass(frozen=True)
class TuberosityShape:
    """The tibial tuberosity given back to an atlas tibia, where the model's patellar tendon
    inserts. A mean of registered bones smooths the tuberosity away (the LLP26 mean tibia's front
    is flat from 5 to 50 mm below the plateau; the rebuilt training limbs stand out of it by only
    0.5-5 mm, the ICL tibia by 6.4 mm), so a tibia saved from the atlas did not show where its
    tendon inserts, and the tuberosity finder put the insertion of such a tibia, loaded as a
    patient's, about 17 mm low: every one of them rode low (Caton-Deschamps 0.48-0.59 at 30 deg,
    patella baja) and failed the squat's self-check in deep flexion (issue 26)."""

    lift_mm: float = 3.5
    """How far the top of the bump stands in front of the most anterior point the finder sees
    elsewhere on the front (landmarks_tibia.TUBEROSITY_BAND_MM): more than the 2 mm cap the finder
    averages over, with room for the tibial axis of a short piece, completed from the atlas, to
    lean 3 deg further forward than the whole bone's (LLP26 limb 3's 60 mm piece): at 2 mm, that
    piece's finder took in the shaft below and put the insertion 10 mm low."""
    half_height_mm: float = 5.0
    half_width_mm: float = 5.0
    """Half width at half height of the bump, up the bone and across it. Kept small: the bump
    turns the tibial frame the finder takes from the top of the bone about its long axis (the
    bundled tibia: 1.8 deg), more as it widens."""


def sculpt_tuberosity(tibia: SurfaceMesh, insertion_mm: FloatArray,
                      shape: TuberosityShape | None = None) -> SurfaceMesh:
    """A tibia (in its tibia frame: X anterior, Y proximal, Z lateral) with a tuberosity raised
    on its front at `insertion_mm` (its Y and Z; X is the bone's), a smooth bump pushed forward
    on the anterior-facing surface only."""
    from kneeviz.anatomy.landmarks_tibia import in_tuberosity_band

    shape = shape or TuberosityShape()
    v = tibia.vertices_mm.copy()
    n = tibia.vertex_normals()
    y0, z0 = float(insertion_mm[1]), float(insertion_mm[2])
    band = in_tuberosity_band(v[:, 1]) & (np.abs(v[:, 2] - z0) < 10.0)
    front = np.flatnonzero(n[:, 0] > 0.5)
    if not band.any() or not len(front):
        return tibia
    here = front[np.argmin(np.hypot(v[front, 1] - y0, v[front, 2] - z0))]
    lift = float(v[band, 0].max()) + shape.lift_mm - float(v[here, 0])
    sigma_y = shape.half_height_mm / np.sqrt(2.0 * np.log(2.0))
    sigma_z = shape.half_width_mm / np.sqrt(2.0 * np.log(2.0))
    bump = np.exp(-0.5 * ((v[:, 1] - y0) / sigma_y) ** 2 - 0.5 * ((v[:, 2] - z0) / sigma_z) ** 2)
    v[:, 0] += max(lift, 0.0) * bump * np.clip(2.0 * n[:, 0], 0.0, 1.0)
    return SurfaceMesh(v, tibia.faces.copy())
