"""Trochlear groove measures of a femur posed in its frame (X anterior, Y proximal, Z lateral).

The femur is cut by planes perpendicular to the mechanical axis (Y = const) every `step_mm`. In each
cut the anterior outline x(z) (the upper envelope of the section) is searched for the groove: the
medial and lateral facet peaks are the highest points of the outline on either side of the groove,
and the groove is the deepest point between the peaks (iterated until it settles).

Definitions used (per slice, in the slice plane):
- sulcus angle: the angle at the deepest point between the lines to the two facet peaks
  (Brattstrom 1964; Merchant 1974: 138 +/- 6 deg in healthy knees).
- groove depth: the standard radiological one (Pfirrmann et al. 2000, Radiology 216:858): the mean
  height of the two facet peaks above the deepest point, measured along the femur's anterior axis X
  (which is perpendicular to the posterior condylar line up to its few degrees of rotation).
  Dysplasia at 3 mm or less.
- lateral trochlear inclination: angle between the lateral facet (deepest point -> lateral peak)
  and the posterior condylar axis projected on the cut (Carrillon et al. 2000: dysplastic < 11 deg).
The groove runs over a contiguous set of cuts whose groove is at least `min_depth_mm` deep: from
where it fades proximally to where the cut splits into the two separate condyles (or the groove
fades) distally. The groove line is the deepest point of every cut in that run, proximal to
distal; the mid-trochlea values are the mean over the cuts within 2 steps of the cut halfway along
the run (on a real femur near the epicondylar level, a few mm above the intercondylar notch roof).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy._geometry import envelope, plane_section
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh

GRID_STEP_MM = 0.2
MIN_FACET_HALF_WIDTH_MM = 4.0
CAP_MM = 0.2
MID_HALF_SPAN = 2
"""The mid-trochlea values average the middle cut and this many cuts either side (at 1 mm steps,
5 mm of groove): the run's ends move a few mm when a mesh is remeshed, and the angle changes by
about 1 deg per mm there."""


@dataclass(frozen=True, eq=False)
class TrochleaMeasures:
    """Groove line and sulcus measures; scalar values are at the mid trochlea (NaN if no groove)."""

    groove_line_mm: FloatArray
    """Deepest points (K, 3) in the femur frame, proximal to distal; their mediolateral position
    (Z) is a robust quadratic fit against height: where the groove fades proximally its bottom is
    flat over ~15 mm and the deepest sample jumps from side to side (ICL: 8 mm between cuts)."""
    groove_points_raw_mm: FloatArray
    """The deepest point of every cut, unsmoothed (K, 3)."""
    sulcus_angle_deg: float
    groove_depth_mm: float
    lateral_trochlear_inclination_deg: float
    mid_height_mm: float
    heights_mm: FloatArray
    """Per-slice arrays below follow these heights (Y of each cut, descending)."""
    sulcus_angles_deg: FloatArray
    depths_mm: FloatArray
    lti_deg: FloatArray
    medial_peaks_mm: FloatArray
    lateral_peaks_mm: FloatArray


@dataclass(frozen=True)
class _Groove:
    z: FloatArray  # medial peak, groove, lateral peak (z)
    x: FloatArray


def find_groove(grid: FloatArray, outline: FloatArray, z_start: float) -> _Groove | None:
    """Facet peaks and the deepest point between them on an outline x(z); None if there is none."""
    zg = z_start
    gi = int(np.argmin(np.abs(grid - zg)))
    for _ in range(8):
        med = np.nonzero(grid < grid[gi] - MIN_FACET_HALF_WIDTH_MM)[0]
        lat = np.nonzero(grid > grid[gi] + MIN_FACET_HALF_WIDTH_MM)[0]
        if med.size == 0 or lat.size == 0:
            return None
        mi = med[np.nanargmax(outline[med])] if np.isfinite(outline[med]).any() else -1
        li = lat[np.nanargmax(outline[lat])] if np.isfinite(outline[lat]).any() else -1
        if mi < 0 or li < 0:
            return None
        between = outline[mi : li + 1]
        if not np.isfinite(between).all():
            return None  # a gap (two separate condyles): no trochlea in this cut
        new_gi = mi + int(np.argmin(between))
        if new_gi == gi:
            break
        gi = new_gi
    if gi in (mi, li):
        return None
    z = np.array([
        _cap_centre(grid, outline, mi, 0, gi, +1.0),
        _cap_centre(grid, outline, gi, mi, li, -1.0),
        _cap_centre(grid, outline, li, gi, len(grid) - 1, +1.0),
    ])
    return _Groove(z, outline[[mi, gi, li]])


def _cap_centre(grid: FloatArray, outline: FloatArray, i: int, lo: int, hi: int,
                sign: float) -> float:
    """Middle of the contiguous stretch (within [lo, hi]) around index i where the outline stays
    within CAP_MM of its value at i: the centre of a flat-bottomed groove or a flat-topped facet
    rather than whichever sample happens to be lowest/highest (which jumps on remeshing)."""
    ref = outline[i]
    j0 = i
    while j0 > lo and sign * (ref - outline[j0 - 1]) <= CAP_MM:
        j0 -= 1
    j1 = i
    while j1 < hi and sign * (ref - outline[j1 + 1]) <= CAP_MM:
        j1 += 1
    return float(0.5 * (grid[j0] + grid[j1]))


def _smooth_z(points: FloatArray) -> FloatArray:
    """Points with Z replaced by a robust quadratic fit of Z against height Y (two passes that
    drop cuts more than 3 median absolute deviations off the fit)."""
    out = points.copy()
    if len(points) < 5:
        return out
    y, z = points[:, 1], points[:, 2]
    keep = np.ones(len(points), dtype=bool)
    coef = np.polyfit(y, z, 2)
    for _ in range(2):
        coef = np.polyfit(y[keep], z[keep], 2)
        res = np.abs(z - np.polyval(coef, y))
        mad = float(np.median(res[keep])) + 1e-6
        new = res < 3.0 * 1.4826 * mad + 0.5
        if new.sum() < 5 or np.array_equal(new, keep):
            break
        keep = new
    out[:, 2] = np.polyval(coef, y)
    return out


def _angle_deg(a: FloatArray, b: FloatArray) -> float:
    c = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def measure_trochlea(
    femur_in_femur_frame: SurfaceMesh,
    posterior_condylar_axis: FloatArray | None = None,
    step_mm: float = 1.0,
    min_depth_mm: float = 1.0,
) -> TrochleaMeasures:
    """Slice the femur (already in its femur frame) and measure the trochlear groove.

    posterior_condylar_axis: unit medial -> lateral vector in the femur frame (default: Z).
    """
    mesh = femur_in_femur_frame
    v = mesh.vertices_mm
    pca = np.array([0.0, 0.0, 1.0]) if posterior_condylar_axis is None else posterior_condylar_axis
    pca_2d = np.array([pca[2], pca[0]])  # (z, x) components in the slice plane
    near_knee = np.abs(v[:, 1]) < 5.0
    width = float(np.ptp(v[near_knee, 2])) if near_knee.any() else float(np.ptp(v[:, 2]))
    top = min(float(v[:, 1].max()) - 1.0, 0.8 * width)
    bottom = max(float(v[:, 1].min()) + 1.0, -0.4 * width)
    heights = np.arange(top, bottom, -step_mm)
    rows: list[tuple[float, _Groove]] = []
    for h in heights:
        seg = plane_section(mesh, np.array([0.0, h, 0.0]), np.array([0.0, 1.0, 0.0]))
        if len(seg) < 8:
            continue
        su, sv = seg[:, :, 2], seg[:, :, 0]
        grid = np.arange(su.min(), su.max() + GRID_STEP_MM, GRID_STEP_MM)
        front = envelope(su, sv, grid, upper=True)
        groove = find_groove(grid, front, 0.5 * (grid[0] + grid[-1]))
        if groove is not None:
            rows.append((float(h), groove))
    # the contiguous run (in steps) of slices with a groove deep enough, the longest one
    runs: list[list[int]] = []
    for i, (h, g) in enumerate(rows):
        ok = 0.5 * (g.x[0] + g.x[2]) - g.x[1] >= min_depth_mm
        if not ok:
            continue
        if runs and abs(rows[runs[-1][-1]][0] - h - step_mm) < 1e-6:
            runs[-1].append(i)
        else:
            runs.append([i])
    if not runs:
        nan = float("nan")
        empty = np.zeros((0, 3))
        z0 = np.zeros(0)
        return TrochleaMeasures(empty, empty, nan, nan, nan, nan, z0, z0, z0, z0, empty, empty)
    run = max(runs, key=len)
    hs, angles, depths, ltis, gl, mp, lp = [], [], [], [], [], [], []
    for i in run:
        h, g = rows[i]
        m2 = np.array([g.z[0] - g.z[1], g.x[0] - g.x[1]])
        l2 = np.array([g.z[2] - g.z[1], g.x[2] - g.x[1]])
        hs.append(h)
        angles.append(_angle_deg(m2, l2))
        depths.append(0.5 * (g.x[0] + g.x[2]) - g.x[1])
        ltis.append(_angle_deg(l2, pca_2d))
        gl.append([g.x[1], h, g.z[1]])
        mp.append([g.x[0], h, g.z[0]])
        lp.append([g.x[2], h, g.z[2]])
    mid = len(hs) // 2
    near = slice(max(mid - MID_HALF_SPAN, 0), mid + MID_HALF_SPAN + 1)
    return TrochleaMeasures(
        groove_line_mm=_smooth_z(np.array(gl)),
        groove_points_raw_mm=np.array(gl),
        sulcus_angle_deg=float(np.mean(angles[near])),
        groove_depth_mm=float(np.mean(depths[near])),
        lateral_trochlear_inclination_deg=float(np.mean(ltis[near])),
        mid_height_mm=float(hs[mid]),
        heights_mm=np.array(hs),
        sulcus_angles_deg=np.array(angles),
        depths_mm=np.array(depths),
        lti_deg=np.array(ltis),
        medial_peaks_mm=np.array(mp),
        lateral_peaks_mm=np.array(lp),
    )
