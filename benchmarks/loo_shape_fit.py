"""Leave-one-out accuracy of completing a partial bone from the LLP26 shape model.

Every one of the model's 26 training limbs is held out in turn: the femur and tibia models are
rebuilt from the other 25 (kneeviz.anatomy.shape_model.build_bone_model), the held-out bone is cut
to a knee MRI's field of view (distal 120 mm of femur, proximal 100 mm of tibia, as in
tests/anatomy/test_completion_accuracy.py), and the model is fitted to the piece
(completion.fit_shape): first its mean alone (n_modes 0, today's mean-bone completion), then with
the shape modes. The completed bone is the held-out bone where the piece is and the fit elsewhere;
the ordinary landmark finders then give the mechanical axes, compared with the whole held-out bone.
This says how many modes and how strong a prior generalise to a bone the model has not seen,
without looking at any test knee. Prints one line per setting:

    nice -n 19 .venv/bin/python benchmarks/loo_shape_fit.py [--quick] [--patch=MM ...]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from kneeviz.anatomy.completion import SHAPE_CORRELATION_MM, SHAPE_VARIANCE, _atlas, fit_shape
from kneeviz.anatomy.landmarks import find_femur, find_tibia
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.anatomy.shape_model import _similarity_onto, build_bone_model, training_shapes

KEEP_MM = {"femur": 120.0, "tibia": 100.0}
N_POINTS = 2500


def _axis_and_centre(bone: str, mesh: SurfaceMesh) -> tuple[np.ndarray, np.ndarray]:
    """(mechanical axis, far joint centre) of a whole bone, in its own coordinates."""
    if bone == "femur":
        f = find_femur(mesh)
        T, far = f.T_input_femur, f.landmarks.hip_centre_mm
    else:
        t = find_tibia(mesh, one_piece=True)
        T, far = t.T_input_tibia, t.landmarks.ankle_centre_mm
    return T[:3, 1], T[:3, :3] @ far + T[:3, 3]


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(a @ b), -1.0, 1.0))))


def main() -> None:
    quick = "--quick" in sys.argv
    only = [float(a.split("=")[1]) for a in sys.argv if a.startswith("--patch=")]
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for bone in ("femur", "tibia"):
        mesh = _atlas(bone, 14)
        shapes = training_shapes(bone, mesh, 14)
        full = build_bone_model(bone, shapes, mesh.vertices_mm, mesh.faces)
        k_chosen = full.n_modes_for(SHAPE_VARIANCE)
        settings = [(0, SHAPE_CORRELATION_MM), (k_chosen, SHAPE_CORRELATION_MM)]
        if not quick:
            settings += [(full.n_modes_for(0.90), SHAPE_CORRELATION_MM),
                         (full.n_modes_for(0.99), SHAPE_CORRELATION_MM)]
            settings += [(k_chosen, rho) for rho in (2.5, 5.0, 10.0, 20.0, 40.0)
                         if rho != SHAPE_CORRELATION_MM]
        if only:
            settings = [(0, 0.0)] + [(k_chosen, rho) for rho in only]
        results: dict[tuple[int, float], list[tuple[float, float]]] = {s: [] for s in settings}
        subjects = range(len(shapes)) if not quick else range(0, len(shapes), 5)
        for j in subjects:
            others = np.delete(np.arange(len(shapes)), j)
            model = build_bone_model(bone, shapes[others], mesh.vertices_mm, mesh.faces)
            truth = _similarity_onto(shapes[j], mesh.vertices_mm)
            z = truth[:, 2] if bone == "tibia" else -truth[:, 2]
            near = z > z.max() - KEEP_MM[bone]
            faces = mesh.faces[np.all(near[mesh.faces], axis=1)]
            used = np.unique(faces)
            area = float(SurfaceMesh(truth, faces).face_areas_mm2().sum())
            pts = truth[rng.choice(used, min(N_POINTS, used.size), replace=False)]
            axis_true, far_true = _axis_and_centre(bone, SurfaceMesh(truth, mesh.faces))
            T_mean, _, _ = fit_shape(model, pts, area, np.eye(4), 0)
            for k, corr in settings:
                if k == 0:
                    T, b = T_mean, np.zeros(0)
                else:
                    T, b, _ = fit_shape(model, pts, area, T_mean, k, correlation_mm=corr)
                fitted = model.vertices(b) @ T[:3, :3].T + T[:3, 3]
                composite = np.where(near[:, None], truth, fitted)
                axis, far = _axis_and_centre(bone, SurfaceMesh(composite, mesh.faces))
                results[(k, corr)].append((_angle_deg(axis, axis_true),
                                           float(np.linalg.norm(far - far_true))))
        centre = "hip centre" if bone == "femur" else "ankle centre"
        for (k, corr), res in results.items():
            a = np.array(res)
            label = "mean bone" if k == 0 else f"{k:2d} modes, patch {corr:4.1f} mm"
            print(f"{bone} {label:26s}: axis error mean {a[:, 0].mean():.2f} median "
                  f"{np.median(a[:, 0]):.2f} max {a[:, 0].max():.2f} deg; {centre} mean "
                  f"{a[:, 1].mean():.1f} median {np.median(a[:, 1]):.1f} max "
                  f"{a[:, 1].max():.1f} mm; "
                  f"axis within 2 deg {np.mean(a[:, 0] < 2.0):.0%} (n={len(a)})", flush=True)
    print(f"took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
