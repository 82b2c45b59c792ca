"""The LLP26 shape model: read without running anything from the file, understood correctly (which
nodes are which bone, what its arrays mean), and fitted to a partial bone."""

from __future__ import annotations

import os
import pickle
import pickletools
from pathlib import Path

import numpy as np
import pytest

from kneeviz.anatomy.atlas import atlas_nodes, tessellation_basis
from kneeviz.anatomy.completion import _atlas, fit_shape, shaft_weights
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.anatomy.shape_model import (
    BONE_ORDER,
    _package_model,
    bone_shape_model,
    read_shape_model,
    shape_model_path,
)
from kneeviz.errors import KneevizError


def _globals_of(data: bytes) -> set[tuple[str, str]]:
    """The (module, name) globals a pickle asks for, read from its opcodes without loading it
    (protocol 4 pushes two strings, directly or from the memo, then STACK_GLOBAL)."""
    found: set[tuple[str, str]] = set()
    pushed: list[object] = []
    memo: dict[int, object] = {}
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            pushed.append(str(arg))
        elif op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif op.name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo.get(int(arg)))  # type: ignore[arg-type]
        elif op.name == "STACK_GLOBAL":
            found.add((str(pushed[-2]), str(pushed[-1])))
            pushed.append(None)
        elif op.name in ("GLOBAL", "INST"):
            module, name = str(arg).split(" ", 1)
            found.add((module, name))
        else:
            pushed.append(None)
    return found


def test_the_package_model_asks_only_for_numpy_array_globals() -> None:
    assert _globals_of(shape_model_path().read_bytes()) == {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype")}


class _Runs:
    """Pickles to a call of `func(*args)`: what a hostile .pc file would hold."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.func, self.args


@pytest.mark.parametrize("make", [
    lambda marker: _Runs(os.system, f"touch {marker}"),
    lambda marker: _Runs(eval, f"open({str(marker)!r}, 'w')"),
    lambda marker: _Runs(Path.touch, marker),
    lambda marker: {"mean": _Runs(os.system, f"touch {marker}")},
    lambda marker: _Runs(np.save, str(marker), np.zeros(3)),
], ids=["os.system", "builtins.eval", "pathlib.Path.touch", "os.system inside the dict",
        "numpy.save (numpy, but not an array-rebuilding global)"])
def test_a_model_asking_for_any_other_global_is_refused_before_it_runs(
        tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    hostile = tmp_path / "hostile.pc"
    hostile.write_bytes(pickle.dumps(make(marker), protocol=4))
    with pytest.raises(KneevizError, match="refused: the file asks for the Python object"):
        read_shape_model(hostile)
    assert not marker.exists() and not (tmp_path / "ran.npy").exists()


@pytest.mark.parametrize("content, problem", [
    (b"", "not a readable shape model"),
    (pickle.dumps({"mean": "text"}), "not a finite float64 array"),
    (pickle.dumps([1, 2, 3]), "no dict of arrays"),
    (pickle.dumps({"mean": np.zeros(9), "modes": np.zeros((9, 2)), "weights": np.ones(3),
                   "projectedWeights": np.zeros((3, 4))}), "array sizes disagree"),
    (pickle.dumps({"mean": np.array([np.nan] * 3)}), "not a finite float64 array"),
    (pickle.dumps({"mean": np.array([None, 1, 2], dtype=object)}), "not a finite float64"),
])
def test_a_damaged_or_foreign_model_is_one_clear_error(tmp_path: Path, content: bytes,
                                                      problem: str) -> None:
    p = tmp_path / "model.pc"
    p.write_bytes(content)
    with pytest.raises(KneevizError, match=problem):
        read_shape_model(p)


def test_the_models_nodes_are_the_atlas_bones_in_order() -> None:
    """The 3225 nodes are pelvis, femur, patella, tibia-fibula (each .geof's order); the training
    limbs recovered from projectedWeights (modes x limbs) average to the model's mean and their
    weights' variances are the stored ones: the arrays mean what the module says."""
    model, slices = _package_model()
    assert list(slices) == list(BONE_ORDER)
    assert sum(s.stop - s.start for s in slices.values()) == model.n_nodes == 3225
    nodes = model.mean.reshape(3, -1).T
    for bone, sl in slices.items():
        np.testing.assert_allclose(nodes[sl], atlas_nodes(bone), atol=1e-9)
    limbs = model.training_nodes()
    assert limbs.shape == (26, 3225, 3)
    np.testing.assert_allclose(limbs.mean(axis=0), nodes, atol=1e-6)
    np.testing.assert_allclose(model.training_weights_mm.var(axis=1, ddof=1),
                               model.variances_mm2, rtol=1e-6,
                               atol=1e-9 * float(model.variances_mm2.max()))


@pytest.mark.parametrize("bone", ["femur", "tibia"])
def test_the_tessellation_basis_gives_the_atlas_mesh_from_its_nodes(bone: str) -> None:
    mesh = _atlas(bone, 14)
    B = tessellation_basis(bone, mesh, 14)
    v = (B @ atlas_nodes(bone)) * np.array([-1.0, 1.0, 1.0])  # the left atlas mirrored
    np.testing.assert_allclose(v, mesh.vertices_mm, atol=1e-6)


@pytest.mark.parametrize("bone", ["femur", "tibia"])
def test_the_bone_models_mean_is_the_atlas_mean_bone_and_pose_is_not_a_mode(bone: str) -> None:
    """The rebuilt per-bone model sits on the mean bone the completion has always used, and no
    mode moves the bone rigidly or scales it (the fit's own pose does that)."""
    model = bone_shape_model(bone, 14)
    mean = _atlas(bone, 14).vertices_mm
    assert float(np.abs(model.mean_mm - mean).max()) < 0.5
    c = model.mean_mm - model.mean_mm.mean(axis=0)
    sim = [np.tile(e, (len(c), 1)) for e in np.eye(3)]
    sim += [np.cross(e, c) for e in np.eye(3)] + [c]
    Q, _ = np.linalg.qr(np.stack([g.ravel() for g in sim], axis=1))
    flat = model.modes_mm.reshape(len(model.modes_mm), -1)
    pose_share = np.sum((flat @ Q) ** 2, axis=1) / np.sum(flat ** 2, axis=1)
    assert float(pose_share.max()) < 0.02
    assert model.n_modes_for(0.95) < len(model.modes_mm)


def _distal(shape: np.ndarray, faces: np.ndarray, keep_mm: float) -> tuple[np.ndarray, float]:
    z = -shape[:, 2]
    near = z > z.max() - keep_mm
    f = faces[np.all(near[faces], axis=1)]
    return shape[np.unique(f)], float(SurfaceMesh(shape, f).face_areas_mm2().sum())


def test_the_shape_fit_recovers_a_shape_the_model_can_make() -> None:
    """A femur made by the model (known weights, moved and scaled), cut to its distal 120 mm:
    the fit matches it far better than the mean bone does, and it places the hip (which the piece
    does not hold) nearer than the mean bone does."""
    model = bone_shape_model("femur", 14)
    k = model.n_modes_for(0.95)
    b_true = np.array([1.5, -1.0, 0.8, 1.2, -0.6, 0.5, 0.0, -0.4, 0.3])[:k]
    from scipy.spatial.transform import Rotation

    T_true = np.eye(4)
    T_true[:3, :3] = 1.07 * Rotation.from_rotvec([0.3, -0.2, 0.5]).as_matrix()
    T_true[:3, 3] = [40.0, -900.0, 25.0]
    shape = model.vertices(b_true) @ T_true[:3, :3].T + T_true[:3, 3]
    pts, area = _distal(model.vertices(b_true), model.faces, 120.0)
    pts = pts @ T_true[:3, :3].T + T_true[:3, 3]
    rng = np.random.default_rng(3)
    pts = pts[rng.choice(len(pts), 2500, replace=False)]
    T_start = T_true.copy()
    T_start[:3, 3] += [3.0, -2.0, 4.0]
    T_mean, b0, rms_mean = fit_shape(model, pts, area, T_start, 0)
    T, b, rms = fit_shape(model, pts, area, T_mean, k)
    assert b0.size == 0 and b.size == k and float(np.abs(b).max()) <= 3.0
    assert rms < 0.5 * rms_mean
    head = model.mean_mm[:, 2] > model.mean_mm[:, 2].max() - 40.0  # the femoral head region
    fitted = model.vertices(b) @ T[:3, :3].T + T[:3, 3]
    mean_fit = model.mean_mm @ T_mean[:3, :3].T + T_mean[:3, 3]
    err_fit = np.linalg.norm(fitted[head].mean(axis=0) - shape[head].mean(axis=0))
    err_mean = np.linalg.norm(mean_fit[head].mean(axis=0) - shape[head].mean(axis=0))
    assert err_fit < err_mean


def test_the_shape_weights_stay_within_three_standard_deviations() -> None:
    model = bone_shape_model("tibia", 14)
    b_far = np.zeros(model.n_modes_for(0.95))
    b_far[:3] = [6.0, -6.0, 5.0]
    shape = model.vertices(b_far)
    pts, area = _distal(-shape * np.array([1.0, 1.0, 1.0]), model.faces, 300.0)
    pts = -pts  # the tibia's proximal end: z flipped twice keeps it in the model's own frame
    _, b, _ = fit_shape(model, pts[:: max(1, len(pts) // 2500)], area, np.eye(4), b_far.size)
    assert float(np.abs(b).max()) <= 3.0 + 1e-9
    assert float(b[0]) > 2.0 and float(b[1]) < -2.0


def _proximal_tibia(keep_mm: float, b_sd: tuple[float, ...] = ()
                    ) -> tuple[object, np.ndarray, float]:
    """The model's tibia of weights b_sd, its proximal keep_mm: (model, points, area mm^2)."""
    model = bone_shape_model("tibia", 14)
    pts, area = _distal(-model.vertices(np.array(b_sd)), model.faces, keep_mm)
    return model, -pts[:: max(1, len(pts) // 2500)], area


def test_shaft_weights_trust_the_diaphysis_by_their_factor_at_the_same_total() -> None:
    """Points farther below the piece's top than the depth (atlas frame, through the pose) get
    `factor` times the weight of the others; the weights average 1, and factor 1 is no weighting."""
    _, pts, _ = _proximal_tibia(100.0)
    from scipy.spatial.transform import Rotation

    T = np.eye(4)
    T[:3, :3] = 1.1 * Rotation.from_rotvec([0.4, 0.1, -0.3]).as_matrix()
    T[:3, 3] = [10.0, 200.0, -30.0]
    scan = pts @ T[:3, :3].T + T[:3, 3]
    w = shaft_weights(scan, T, "tibia", 60.0, 64.0)
    shaft = pts[:, 2] < pts[:, 2].max() - 60.0
    assert 0 < shaft.sum() < len(pts)
    assert abs(float(w.mean()) - 1.0) < 1e-12
    assert np.allclose(w[shaft] / w[~shaft].max(), 64.0) and np.ptp(w[~shaft]) < 1e-12
    assert np.allclose(shaft_weights(scan, T, "tibia", 60.0, 1.0), 1.0)


def test_equal_point_weights_are_the_unweighted_shape_fit() -> None:
    model, pts, area = _proximal_tibia(100.0, (1.5, -1.0, 0.8))
    T0 = np.eye(4)
    T0[:3, 3] = [2.0, -1.0, 3.0]
    T_a, b_a, _ = fit_shape(model, pts, area, T0, 5, iterations=8)  # type: ignore[arg-type]
    T_b, b_b, _ = fit_shape(model, pts, area, T0, 5, iterations=8,  # type: ignore[arg-type]
                            point_weights=np.ones(len(pts)))
    assert np.allclose(T_a, T_b, atol=1e-9) and np.allclose(b_a, b_b, atol=1e-9)
    assert float(np.abs(b_a).max()) > 1e-3  # the fit moved: the comparison means something


def test_a_cached_shape_fit_that_does_not_verify_is_refitted_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached weights of a shape fit are checked against their checksum: an entry whose
    weights were changed (header kept) gives the fresh fit's weights, not the changed ones."""
    import io

    from kneeviz.anatomy.completion import _shape_fit
    from kneeviz.cache import HEADER_KEY

    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(tmp_path))
    model = bone_shape_model("femur", 14)
    z = -model.mean_mm[:, 2]
    near = z > z.max() - 120.0
    faces = model.faces[np.all(near[model.faces], axis=1)]
    piece = SurfaceMesh(model.vertices(np.array([1.0, -1.0])), faces)
    T, b = _shape_fit(piece, "femur", np.eye(4), 4)
    (entry,) = list(tmp_path.glob("shape-fit-femur-*.npz"))
    with np.load(entry, allow_pickle=False) as saved:
        arrays = {k: saved[k] for k in saved.files}
    arrays["b_sd"] = arrays["b_sd"] + 1.0
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    entry.write_bytes(buf.getvalue())
    assert HEADER_KEY in arrays
    T2, b2 = _shape_fit(piece, "femur", np.eye(4), 4)
    np.testing.assert_allclose(b2, b, atol=1e-9)
    np.testing.assert_allclose(T2, T, atol=1e-9)
    T3, b3 = _shape_fit(piece, "femur", np.eye(4), 4)  # the refit was stored again: read back
    np.testing.assert_allclose(b3, b, atol=1e-12)
