"""The LLP26 statistical shape model (PyPI `musculoskeletal-models`, shape_models/LLP26_rigid.pc),
read safely and turned into one shape model per bone on the meshes kneeviz already uses.

What the file holds (read with pickletools, then checked on load): a dict of numpy float64 arrays,
`mean` (9675,), `modes` (9675, 26, orthonormal columns), `weights` (26,: each mode's variance,
mm^2) and `projectedWeights` (26, 26: every training limb's weight on every mode, mm), with `sizes`
and `SD` None. The 9675 numbers are 3225 Lagrange nodes as three blocks (all x, then all y, then
all z), the nodes being those of the atlas's pelvis (1946), femur (634), patella (74) and
tibia-fibula (571) in that order and in each .geof file's node order: the model's mean equals the
atlas mean bones node for node (checked on load). It is the LEFT limb, in the atlas CT frame.

The training limbs were aligned as whole limbs ("rigid": pelvis, femur and tibia together), so
most of a single bone's variation in the file is pose, not shape (for the femur about 80 % of its
variance is a similarity motion of the bone). A partial bone is registered with its own similarity
transform, so the per-bone model here is rebuilt without that pose: every training limb is
recovered exactly (mean + modes @ projectedWeights), the bone's mesh vertices are evaluated from
its nodes (atlas.tessellation_basis), the 26 bones are aligned by generalised Procrustes analysis
with a uniform scale (Gower 1975), and their principal components are taken again (Cootes et al.
1995). Mode weights are in units of each mode's standard deviation.

Loading never runs code from the file: the unpickler resolves only numpy's array-rebuilding
globals (numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) and refuses any other
with a KneevizError, before anything is called.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.errors import KneevizError

SHAPE_MODEL_FILE = "LLP26_rigid.pc"
"""The LEFT-limb model; the package's mirrored one is not used, for the reason atlas.ATLAS_FILES
gives (its bones are mirrored one by one, about their own centroids)."""
MAX_MODEL_BYTES = 20_000_000
"""A shape model file bigger than this is not the LLP26 model (which is 2.1 MB)."""
BONE_ORDER = ("pelvis", "femur", "patella", "tibia")
"""The atlas bones whose nodes the model's vector holds, in this order."""
PROCRUSTES_ITERATIONS = 5
"""Generalised Procrustes rounds (the mean settles to 1e-6 mm within 3-4)."""

_RECONSTRUCT = np.empty(0).__reduce__()[0]  # numpy's array rebuild function, wherever it lives
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and nothing else: any other global (a function
    such as os.system, a class) is refused when it is looked up, before it could be called."""

    def __init__(self, data: bytes, path: Path) -> None:
        super().__init__(io.BytesIO(data))
        self._path = path

    def find_class(self, module: str, name: str) -> object:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise KneevizError(
                f"refused: the file asks for the Python object {module}.{name}; a shape model "
                f"holds only numpy arrays, so nothing from it was run. Use the LLP26 model of "
                f"the musculoskeletal-models package", self._path) from None

    def persistent_load(self, pid: object) -> object:
        raise KneevizError("refused: the file refers to outside objects; a shape model holds "
                           "only numpy arrays", self._path)


@dataclass(frozen=True, eq=False)
class ShapeModelFile:
    """The model as stored (LEFT limb, atlas CT frame, mm)."""

    mean: FloatArray
    """(3 n,): all x, then all y, then all z of the n nodes."""
    modes: FloatArray
    """(3 n, m) orthonormal columns."""
    variances_mm2: FloatArray
    """(m,) the variance along each mode."""
    training_weights_mm: FloatArray
    """(m, s) every training limb's weight on every mode."""

    @property
    def n_nodes(self) -> int:
        return self.mean.size // 3

    def training_nodes(self) -> FloatArray:
        """Every training limb's nodes, (s, n, 3), recovered exactly from its weights."""
        x = self.mean[:, None] + self.modes @ self.training_weights_mm  # (3 n, s)
        return np.transpose(x.reshape(3, self.n_nodes, -1), (2, 1, 0))


def read_shape_model(path: str | Path) -> ShapeModelFile:
    """Read a .pc shape model safely (see the module docstring) and check what it holds."""
    from kneeviz.safe_read import read_bounded

    p = Path(path)
    data = read_bounded(p, MAX_MODEL_BYTES, "shape model")
    try:
        raw = _NumpyOnlyUnpickler(data, p).load()
    except KneevizError:
        raise
    except Exception as exc:  # a damaged pickle raises many kinds of error
        raise KneevizError(f"is not a readable shape model ({type(exc).__name__}: {exc})",
                           p) from None
    if not isinstance(raw, dict):
        raise KneevizError("is not a shape model (no dict of arrays)", p)

    def array(key: str, ndim: int) -> FloatArray:
        a = raw.get(key)
        if (not isinstance(a, np.ndarray) or a.dtype != np.float64 or a.ndim != ndim
                or not np.all(np.isfinite(a))):
            raise KneevizError(f"is not a shape model: '{key}' is not a finite float64 array "
                               f"of {ndim} dimensions", p)
        return np.asarray(a)

    mean, modes = array("mean", 1), array("modes", 2)
    variances, weights = array("weights", 1), array("projectedWeights", 2)
    m = variances.size
    if mean.size % 3 or modes.shape != (mean.size, m) or weights.shape[0] != m:
        raise KneevizError(f"is not a shape model: array sizes disagree (mean {mean.shape}, "
                           f"modes {modes.shape}, weights {variances.shape}, "
                           f"projectedWeights {weights.shape})", p)
    return ShapeModelFile(mean, modes, variances, weights)


def shape_model_path() -> Path:
    """The LLP26 model file inside the installed `musculoskeletal-models` package."""
    from kneeviz.anatomy.atlas import atlas_dir

    return atlas_dir().parent / "shape_models" / SHAPE_MODEL_FILE


@lru_cache(maxsize=1)
def _package_model() -> tuple[ShapeModelFile, dict[str, slice]]:
    """The package's model and which nodes belong to which bone (checked against the atlas)."""
    from kneeviz.anatomy.atlas import atlas_nodes

    model = read_shape_model(shape_model_path())
    mean_nodes = model.mean.reshape(3, -1).T
    slices: dict[str, slice] = {}
    start = 0
    for bone in BONE_ORDER:
        nodes = atlas_nodes(bone)
        sl = slice(start, start + len(nodes))
        if sl.stop > len(mean_nodes) or not np.allclose(mean_nodes[sl], nodes, atol=1e-6):
            raise KneevizError(f"the shape model's nodes do not match the atlas {bone}: "
                               f"reinstall musculoskeletal-models==0.2.4", shape_model_path())
        slices[bone] = sl
        start = sl.stop
    if start != model.n_nodes:
        raise KneevizError("the shape model holds nodes the atlas has not", shape_model_path())
    return model, slices


@dataclass(frozen=True, eq=False)
class BoneShapeModel:
    """One bone's shape model on an atlas mesh's vertices (RIGHT limb, mm), pose removed:
    vertices(b) = mean_mm + sum_k b_k modes_mm[k], b in standard deviations."""

    bone: str
    mean_mm: FloatArray
    """(v, 3) the Procrustes mean, placed on the atlas mean bone."""
    modes_mm: FloatArray
    """(m, v, 3) each mode's displacement at one standard deviation."""
    variances: FloatArray
    """(m,) each mode's share of the total variance (sums to 1)."""
    faces: np.ndarray
    passenger: Passenger | None = None
    """A neighbouring bone carried along (the tibia's fibula), or None."""

    def n_modes_for(self, fraction: float) -> int:
        """The fewest modes that explain `fraction` of the bone's shape variance."""
        return int(np.searchsorted(np.cumsum(self.variances), fraction - 1e-12) + 1)

    def vertices(self, b_sd: FloatArray) -> FloatArray:
        b = np.asarray(b_sd, dtype=float)
        return self.mean_mm + np.tensordot(b, self.modes_mm[:b.size], axes=1)

    def mesh(self, b_sd: FloatArray) -> SurfaceMesh:
        return SurfaceMesh(self.vertices(b_sd), self.faces)


@dataclass(frozen=True, eq=False)
class Passenger:
    """A second bone that moves and varies with a modelled bone without shaping its fit: the
    fibula of the tibia model. Every training limb's passenger is carried by the similarity that
    aligned that limb's bone (Procrustes), and its modes are the least-squares regression of the
    passengers on the bone's mode weights (exact when every mode is kept): given the tibia's
    fitted shape, the fibula it most likely has."""

    name: str
    mean_mm: FloatArray
    """(w, 3) the passengers' mean, in the bone model's frame."""
    modes_mm: FloatArray
    """(m, w, 3) the passenger's displacement per standard deviation of each bone mode."""
    faces: np.ndarray

    def mesh(self, b_sd: FloatArray) -> SurfaceMesh:
        b = np.asarray(b_sd, dtype=float)
        return SurfaceMesh(self.mean_mm + np.tensordot(b, self.modes_mm[:b.size], axes=1),
                           self.faces)


def _similarity(src: FloatArray, dst: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """The least-squares similarity dst ~ s R src + t (uniform scale, proper rotation;
    Umeyama 1991): (s, R, t)."""
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - ms, dst - md
    U, S, Vt = np.linalg.svd(b.T @ a)
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(U) * np.linalg.det(Vt))])
    R = U @ D @ Vt
    s = float(np.trace(np.diag(S) @ D) / (a * a).sum())
    return s, R, md - s * R @ ms


def _similarity_onto(src: FloatArray, dst: FloatArray, every: int = 1) -> FloatArray:
    """src mapped by the least-squares similarity onto dst, estimated on every `every`-th point
    (neighbouring mesh vertices add nothing to a 7-parameter estimate, only time)."""
    s, R, t = _similarity(src[::every], dst[::every])
    return s * src @ R.T + t


def build_bone_model(bone: str, shapes_mm: FloatArray, reference_mm: FloatArray,
                     faces: np.ndarray, passenger: tuple[str, FloatArray, np.ndarray] | None = None
                     ) -> BoneShapeModel:
    """A shape model from training shapes (s, v, 3) in vertex correspondence: generalised
    Procrustes with a uniform scale, the mean placed on `reference_mm` (so that a fit starting
    from the mean bone starts at b = 0 in the same place), principal components of the rest
    (from the s x s Gram matrix: s is 26, v thousands). `passenger` (name, its training shapes
    (s, w, 3) in the same limbs' frames, faces) is carried along (Passenger)."""
    every = max(1, len(reference_mm) // 2000)
    mean = reference_mm
    for _ in range(PROCRUSTES_ITERATIONS):
        aligned = np.stack([_similarity_onto(x, mean, every) for x in shapes_mm])
        mean = _similarity_onto(aligned.mean(axis=0), reference_mm, every)
    moves = [_similarity(x[::every], mean[::every]) for x in shapes_mm]
    aligned = np.stack([s * x @ R.T + t for x, (s, R, t) in zip(shapes_mm, moves, strict=True)])
    centred = (aligned - aligned.mean(axis=0)).reshape(len(shapes_mm), -1)
    ev, U = np.linalg.eigh(centred @ centred.T)
    order = np.argsort(ev)[::-1]
    ev, U = ev[order], U[:, order]
    keep = ev > 1e-9 * ev.sum()
    directions = (U[:, keep].T @ centred) / np.sqrt(ev[keep])[:, None]  # orthonormal rows
    var = ev[keep] / max(len(shapes_mm) - 1, 1)
    modes = (directions * np.sqrt(var)[:, None]).reshape(int(keep.sum()), -1, 3)
    rider = None
    if passenger is not None:
        name, p_shapes, p_faces = passenger
        p_aligned = np.stack([s * x @ R.T + t for x, (s, R, t) in zip(p_shapes, moves,
                                                                       strict=True)])
        p_mean = p_aligned.mean(axis=0)
        p_centred = (p_aligned - p_mean).reshape(len(p_shapes), -1)
        # regression on the bone's weights in sd: U[:, k] * sqrt(s - 1) is every limb's weight
        p_modes = (U[:, keep].T @ p_centred) / np.sqrt(max(len(shapes_mm) - 1, 1))
        rider = Passenger(name, p_mean, p_modes.reshape(int(keep.sum()), -1, 3),
                          np.asarray(p_faces))
    return BoneShapeModel(bone, aligned.mean(axis=0), modes, var / var.sum(), np.asarray(faces),
                          rider)


def training_shapes(bone: str, mesh: SurfaceMesh, subdivisions: int) -> FloatArray:
    """Every training limb's `bone` as vertices of `mesh` (a RIGHT atlas mesh at
    `subdivisions`, or a piece of it): (s, v, 3) mm, in the file's whole-limb alignment."""
    from kneeviz.anatomy.atlas import T_RIGHT_LEFT, tessellation_basis

    model, slices = _package_model()
    B = tessellation_basis(bone, mesh, subdivisions)
    nodes = model.training_nodes()[:, slices[bone]]  # (s, n, 3) LEFT
    mirror = T_RIGHT_LEFT[:3, :3]
    return np.stack([(B @ x) @ mirror.T for x in nodes])


MODEL_CACHE_VERSION = "bone-shape-model-v2"
"""Part of the cache key of a built bone model: bump it when build_bone_model changes."""

_HELD_OUT: ContextVar[dict[tuple[str, int], BoneShapeModel] | None] = ContextVar(
    "kneeviz_held_out_shape_models", default=None)
"""Models rebuilt without one training limb, in force inside `leaving_out` (validation only)."""


def bone_shape_model(bone: str, subdivisions: int) -> BoneShapeModel:
    """The `bone` model on the atlas mesh completion uses (completion._atlas): the tibia's
    carries its fibula (Passenger). Inside `leaving_out(limb)`, the model of the other limbs."""
    held = _HELD_OUT.get()
    if held is not None and (bone, subdivisions) in held:
        return held[(bone, subdivisions)]
    return _bone_shape_model(bone, subdivisions)


def _model_meshes(bone: str, subdivisions: int) -> tuple[SurfaceMesh, SurfaceMesh | None]:
    """The atlas mesh a bone model lives on (atlas.atlas_bone_alone), and its passenger's (the
    tibia's fibula)."""
    from kneeviz.anatomy.atlas import atlas_bone_alone, atlas_fibula

    return (atlas_bone_alone(bone, subdivisions),
            atlas_fibula(subdivisions) if bone == "tibia" else None)


def _build(bone: str, subdivisions: int, limbs: np.ndarray | None) -> BoneShapeModel:
    """The model from the training limbs `limbs` (None: all of them)."""
    mesh, fibula = _model_meshes(bone, subdivisions)
    shapes = training_shapes(bone, mesh, subdivisions)
    rider = None
    if fibula is not None:
        rider = ("fibula", training_shapes(bone, fibula, subdivisions), fibula.faces)
    if limbs is not None:
        shapes = shapes[limbs]
        rider = None if rider is None else (rider[0], rider[1][limbs], rider[2])
    return build_bone_model(bone, shapes, mesh.vertices_mm, mesh.faces, rider)


@lru_cache(maxsize=4)
def _bone_shape_model(bone: str, subdivisions: int) -> BoneShapeModel:
    """bone_shape_model from all the limbs, kept in the cache (kneeviz.cache, verified on every
    read) by the model file's and the meshes' content."""
    from kneeviz import cache

    mesh, fibula = _model_meshes(bone, subdivisions)
    source = cache.source_digest(MODEL_CACHE_VERSION, bone, str(subdivisions),
                                 shape_model_path().read_bytes(), mesh.content_hash(),
                                 fibula.content_hash() if fibula is not None else "")
    name = f"shape-model-{bone}-{source[:16]}.npz"
    v = mesh.n_vertices
    shapes: dict[str, tuple[int | None, ...]] = {
        "mean_mm": (v, 3), "modes_mm": (None, v, 3), "variances": (None,)}
    if fibula is not None:
        shapes |= {"passenger_mean_mm": (fibula.n_vertices, 3),
                   "passenger_modes_mm": (None, fibula.n_vertices, 3)}

    def plausible(z: dict[str, np.ndarray]) -> str | None:
        var = z["variances"]
        ok = (var.shape[0] == z["modes_mm"].shape[0] and np.all(var > 0)
              and abs(float(var.sum()) - 1.0) < 1e-6 and np.all(np.isfinite(z["modes_mm"])))
        if fibula is not None:
            ok = ok and (z["passenger_modes_mm"].shape[0] == var.shape[0]
                         and bool(np.all(np.isfinite(z["passenger_modes_mm"]))))
        return None if ok else "its modes do not make a shape model"

    z = cache.load_entry(name, source, shapes, plausible)
    if z is not None:
        rider = None
        if fibula is not None:
            rider = Passenger("fibula", np.asarray(z["passenger_mean_mm"], dtype=float),
                              np.asarray(z["passenger_modes_mm"], dtype=float), fibula.faces)
        return BoneShapeModel(bone, np.asarray(z["mean_mm"], dtype=float),
                              np.asarray(z["modes_mm"], dtype=float),
                              np.asarray(z["variances"], dtype=float), mesh.faces, rider)
    model = _build(bone, subdivisions, None)
    arrays = {"mean_mm": model.mean_mm, "modes_mm": model.modes_mm,
              "variances": model.variances}
    if model.passenger is not None:
        arrays |= {"passenger_mean_mm": model.passenger.mean_mm,
                   "passenger_modes_mm": model.passenger.modes_mm}
    cache.save_entry(name, source, arrays)
    return model


N_TRAINING_LIMBS = 26


@lru_cache(maxsize=2)
def _models_without(limb: int, subdivisions: int) -> dict[tuple[str, int], BoneShapeModel]:
    if not 0 <= limb < N_TRAINING_LIMBS:
        raise ValueError(f"training limb {limb} is not one of 0-{N_TRAINING_LIMBS - 1}")
    others = np.delete(np.arange(N_TRAINING_LIMBS), limb)
    return {(bone, subdivisions): _build(bone, subdivisions, others)
            for bone in ("femur", "tibia")}


@contextmanager
def leaving_out(limb: int, subdivisions: int = 14) -> Iterator[None]:
    """Inside, every femur and tibia completion uses models rebuilt from the training limbs other
    than `limb` (0-25): a leave-one-out validation completes each limb without having seen it
    (benchmarks/validate_partial_knees.py). Never used by the app."""
    token = _HELD_OUT.set(_models_without(limb, subdivisions))
    try:
        yield
    finally:
        _HELD_OUT.reset(token)
