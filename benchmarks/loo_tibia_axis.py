"""Leave-one-out over the LLP26 atlas's 26 limbs: which estimate of the tibial mechanical axis from
a knee MRI's 100 mm of proximal tibia generalises best (issue 17: the floor is 2 deg).

Every limb's tibia is held out in turn, the shape model is rebuilt from the other 25, the held-out
tibia is cut to its proximal 100 mm (as benchmarks/loo_shape_fit.py and
tests/anatomy/test_completion_accuracy.py do) and each candidate estimates its mechanical axis
(plateau centre to ankle centre), compared with the whole held-out tibia's. The candidates were
fixed before any of them was run on the ICL knee:

- `modes 14` : the shape fit as the app does it (completion.fit_shape, the modes explaining 95 %
  of the variance, 20 mm patch): the reference;
- `modes 22` : the modes explaining 99 %;
- `shaft x4`, `shaft x16` : the same fit with the piece's points more than 50 mm below its top
  (the diaphysis, completion.shaft_weights) trusted 4 or 16 times more than the joint end
  (`--grid`: the second round, depths 40, 50, 60 mm and factors 8-64);
- `shaft line` : the axis of the remaining diaphysis itself (a straight line through the centroids
  of 5 mm slabs 45-95 mm below the top), turned by the mean angle between that line and the
  mechanical axis over the 25 other limbs (each measured in the frame its own piece registers to
  the mean bone in);
- `shaft line + modes 14` : the two unit vectors averaged.

The rule, set before the first round: the candidate with the smallest mean axis error is used
(the same rule that chose the prior's weight, loo_shape_fit.py). Round 1: modes 14 1.85 deg (54 %
within 2 deg), modes 22 1.85 (58 %), shaft x4 1.70 (62 %), shaft x16 1.62 (69 %), shaft line 2.62
(42 %), shaft line + modes 14 1.87 (69 %). Round 2 (--grid): every shaft weighting 1.58-1.68 deg;
the smallest, x64 below 60 mm, 1.58 (69 %; median 1.42, worst 3.49). On the ICL knee that choice
gave 2.97 deg (2.29 unweighted) and the Lenhart tibia's fit RMS rose 1.35 -> 1.68 mm, so
completion.TIBIA_SHAFT_FACTOR stays 1 (off). Round 3, added after that (--grid --noise=1.0: the
held-out pieces as points spread over their surface with 1 mm of normal noise, not the model's
own vertices): modes 14 1.81 (62 %), every shaft weighting 1.60-1.71 (65-69 %), x64 below 60 mm
1.60: the leave-one-out still prefers the weighting, the real knee does not.

Prints one line per candidate (mean, median, worst axis error, share within 2 deg):

    nice -n 19 .venv/bin/python benchmarks/loo_tibia_axis.py [--grid] [--noise=MM]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from kneeviz.anatomy.completion import (
    SHAPE_CORRELATION_MM,
    SHAPE_VARIANCE,
    _atlas,
    fit_shape,
    shaft_weights,
)
from kneeviz.anatomy.landmarks import find_tibia
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.anatomy.shape_model import (
    BoneShapeModel,
    _similarity,
    _similarity_onto,
    build_bone_model,
    training_shapes,
)

KEEP_MM = 100.0
N_POINTS = 2500
SHAFT_SETTINGS = ((50.0, 4.0), (50.0, 16.0))
"""(depth below the piece's top, factor) of the shaft-weighted fits of the first round."""
SHAFT_GRID = tuple((below, f) for below in (40.0, 50.0, 60.0) for f in (8.0, 16.0, 32.0, 64.0))
"""The second round (--grid), after the first showed the shaft weighting helps, more with 16
than 4: how deep the shaft starts and how far to trust it, still by leave-one-out only."""
BAND_MM = (45.0, 95.0)
SLAB_MM = 5.0


def _axis(mesh: SurfaceMesh) -> FloatArray:
    """The mechanical axis (ankle centre to plateau centre, unit) of a whole tibia."""
    return np.asarray(find_tibia(mesh, one_piece=True).T_input_tibia[:3, 1], dtype=float)


def _angle_deg(a: FloatArray, b: FloatArray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(a @ b) / np.linalg.norm(a) / np.linalg.norm(b),
                                              -1.0, 1.0))))


def shaft_line(pts_atlas_frame: FloatArray) -> FloatArray:
    """Unit direction (proximal, +Z) of the line through the centroids of 5 mm slabs of a proximal
    tibia's points 45-95 mm below its top, the points in the atlas frame (+Z proximal)."""
    z = pts_atlas_frame[:, 2]
    top = float(z.max())
    centres = []
    for lo in np.arange(top - BAND_MM[1], top - BAND_MM[0], SLAB_MM):
        sel = (z >= lo) & (z < lo + SLAB_MM)
        if sel.sum() >= 10:
            centres.append(pts_atlas_frame[sel].mean(axis=0))
    c = np.array(centres)
    slope = np.polyfit(c[:, 2], c[:, :2], 1)[0]  # x(z), y(z)
    d = np.array([slope[0], slope[1], 1.0])
    return d / np.linalg.norm(d)


def _noisy_surface_points(vertices: FloatArray, faces: np.ndarray, n: int, noise_mm: float,
                          rng: np.random.Generator) -> FloatArray:
    """n points spread over a surface by area (not on its vertices, which are the model's own),
    each moved along its face's normal by Gaussian noise of `noise_mm`: a segmentation's surface
    rather than the model's tessellation of the held-out bone."""
    tri = vertices[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(cross, axis=1)
    pick = rng.choice(len(faces), n, p=area / area.sum())
    u, v = rng.random(n), rng.random(n)
    flip = u + v > 1.0
    u[flip], v[flip] = 1.0 - u[flip], 1.0 - v[flip]
    t = tri[pick]
    p = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
    normal = cross[pick] / area[pick, None]
    return np.asarray(p + rng.normal(0.0, noise_mm, n)[:, None] * normal, dtype=float)


def main() -> None:
    shaft_settings = SHAFT_GRID if "--grid" in sys.argv else SHAFT_SETTINGS
    noise = [float(a.split("=")[1]) for a in sys.argv if a.startswith("--noise=")]
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    mesh = _atlas("tibia", 14)
    ref = mesh.vertices_mm
    shapes = training_shapes("tibia", mesh, 14)
    full = build_bone_model("tibia", shapes, ref, mesh.faces)
    k95, k99 = full.n_modes_for(SHAPE_VARIANCE), full.n_modes_for(0.99)
    # every limb's shaft line and mechanical axis in the frame its own piece registers to the mean
    # bone in (vertex correspondence: a piece-only similarity), the offset between them
    offsets = []
    for x in shapes:
        whole = _similarity_onto(x, ref)
        near = whole[:, 2] > whole[:, 2].max() - KEEP_MM
        s, R, t = _similarity(whole[near], ref[near])
        piece_frame = s * whole @ R.T + t
        axis = _axis(SurfaceMesh(piece_frame, mesh.faces))
        axis = axis if axis[2] > 0 else -axis
        offsets.append(axis - shaft_line(piece_frame[near]))
    offsets_a = np.array(offsets)
    shaft_names = [f"shaft x{f:g} below {below:g} mm" for below, f in shaft_settings]
    names = [f"modes {k95}", f"modes {k99}"] + shaft_names + [
        "shaft line", f"shaft line + modes {k95}"]
    errors: dict[str, list[float]] = {n: [] for n in names}
    for j in range(len(shapes)):
        others = np.delete(np.arange(len(shapes)), j)
        model = build_bone_model("tibia", shapes[others], ref, mesh.faces)
        truth = _similarity_onto(shapes[j], ref)
        near = truth[:, 2] > truth[:, 2].max() - KEEP_MM
        faces = mesh.faces[np.all(near[mesh.faces], axis=1)]
        used = np.unique(faces)
        area = float(SurfaceMesh(truth, faces).face_areas_mm2().sum())
        if noise:
            pts = _noisy_surface_points(truth, faces, N_POINTS, noise[0], rng)
        else:
            pts = truth[rng.choice(used, min(N_POINTS, used.size), replace=False)]
        axis_true = _axis(SurfaceMesh(truth, mesh.faces))
        T_mean, _, _ = fit_shape(model, pts, area, np.eye(4), 0)

        def shape_axis(T: FloatArray, b: FloatArray, model: BoneShapeModel = model,
                       truth: FloatArray = truth, near: np.ndarray = near) -> FloatArray:
            """The completed tibia's axis: the held-out bone where the piece is, the fit
            elsewhere (as completion does it)."""
            fitted = model.vertices(b) @ T[:3, :3].T + T[:3, 3]
            composite = np.where(near[:, None], truth, fitted)
            a = _axis(SurfaceMesh(composite, mesh.faces))
            return a if a @ (T[:3, :3] @ np.array([0.0, 0.0, 1.0])) > 0 else -a

        fitted_axes: dict[str, FloatArray] = {}
        for k, name in ((k95, names[0]), (k99, names[1])):
            T, b, _ = fit_shape(model, pts, area, T_mean, k, correlation_mm=SHAPE_CORRELATION_MM)
            fitted_axes[name] = shape_axis(T, b)
        for (below, f), name in zip(shaft_settings, shaft_names, strict=True):
            wts = shaft_weights(pts, T_mean, "tibia", below, f)
            T, b, _ = fit_shape(model, pts, area, T_mean, k95,
                                correlation_mm=SHAPE_CORRELATION_MM, point_weights=wts)
            fitted_axes[name] = shape_axis(T, b)
        # the shaft line, measured in the mean bone's registered frame and taken back
        T_inv = np.linalg.inv(T_mean)
        line = shaft_line(pts @ T_inv[:3, :3].T + T_inv[:3, 3]) + offsets_a[others].mean(axis=0)
        L = T_mean[:3, :3]
        shaft_axis = L @ line
        shaft_axis /= np.linalg.norm(shaft_axis)
        fitted_axes["shaft line"] = shaft_axis
        both = shaft_axis + fitted_axes[names[0]]
        fitted_axes[names[-1]] = both / np.linalg.norm(both)
        for n in names:
            errors[n].append(_angle_deg(fitted_axes[n], axis_true))
        print(f"limb {j:2d}: " + ", ".join(f"{n} {errors[n][-1]:.2f}" for n in names), flush=True)
    for n in names:
        a = np.array(errors[n])
        print(f"tibia {n:28s}: axis error mean {a.mean():.2f} median {np.median(a):.2f} max "
              f"{a.max():.2f} deg; within 2 deg {np.mean(a < 2.0):.0%} (n={len(a)})")
    spread = np.degrees(np.linalg.norm(offsets_a - offsets_a.mean(axis=0), axis=1))
    mean_offset_deg = float(np.degrees(np.linalg.norm(offsets_a.mean(axis=0))))
    print(f"shaft line to mechanical axis: mean offset {mean_offset_deg:.2f} deg, spread about "
          f"it mean {spread.mean():.2f} deg")
    print(f"took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
