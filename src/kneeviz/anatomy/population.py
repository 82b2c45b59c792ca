"""A population of real knees: the 26 LLP26 training limbs, named atlas:01 .. atlas:26.

The bundled knee is the MEAN of 26 limbs; a study that asks whether an effect holds across knees
needs the limbs themselves. The LLP26 shape model (kneeviz.anatomy.shape_model) recovers every
training limb exactly (mean + modes @ its weights) on the atlas meshes' vertices, in the file's
whole-limb alignment, so each limb's femur, patella, tibia and pelvis come out in one shared
frame, as a patient's scan would. Each limb is then built into a knee by the same pipeline as the
bundled knee (default_knee.build_atlas_knee: landmarks found on the bones, the patella given its
median ridge, cartilage grown), so the two differ only by the limb's bones.

The trochlear groove: the shape model's femur (634 quartic nodes) does not resolve the groove.
Measured as `kneeviz check-mesh` measures it, the 26 limbs' own grooves have sulcus angles of
142-156 deg (median 149), and the mean atlas's own groove 149.6 deg, where knees measure 138 +- 6
(Merchant 1974; docs/validation.md): the representation flattens every groove by about 11 deg,
which is why the bundled knee's groove is re-cut to 138 deg. Each limb's groove is re-cut the same
way, to 138 deg plus the limb's own difference from the mean atlas's (groove_options): the bias is
removed and the limb's variation kept.

A limb takes about 10 s to build; the built knee is kept in kneeviz's cache (verified on every
read: kneeviz.cache), keyed by the shape model file, the limb and POPULATION_VERSION, so a study
builds each knee once per machine. `load_population_knee` is what the one knee loader
(kneeviz.anatomy.loader) calls for a KneeSpec with `atlas_limb` set.

For validations that need the limb's bones rather than a built knee (a partial knee cut from a
limb and completed with a shape model that leaves that limb out), `training_limb` gives them.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from kneeviz.anatomy.default_knee import (
    HEALTHY_SULCUS_ANGLE_DEG,
    LIMB_SUBDIVISIONS,
    AtlasLimb,
    DefaultKneeOptions,
)
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.knee_spec import (
    POPULATION_SIZE,
    SULCUS_ANGLE_RANGE_DEG,
    KneeSpec,
    parse_population_name,
    population_name,
)
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.errors import KneevizError

POPULATION_VERSION = "population-knee-v5"
"""Part of every cached population knee's key: bump it when the build pipeline changes (v3: the
pelvis's socket is the one holding the femur's head; 14 limbs had the far one. v4: the kneecap's
superior axis from the femur's where the ridge's is far off it: PATELLA_AXIS_LIMIT_DEG. v5: the
tibia shows its tuberosity where the tendon inserts: default_knee.tibia_showing_insertion)."""


PATELLA_AXIS_LIMIT_DEG = 20.0
"""A limb's kneecap whose superior axis, as the patella finder takes it from the kneecap's
median ridge, is turned more than this in the kneecap's plane from the limb's femur (as the limb
stands in the shape model's shared frame) takes the femur's axis instead
(default_knee.build_atlas_knee). The shape model's training kneecaps are smooth and their ridges
faint: the finder's axis is 0.7-13.7 deg from the femur's in 23 limbs (the mean atlas's 4.3) and
33-71 deg in limbs 17, 13 and 15 (33.3, 39.5, 71.3), where the sculpted ridge, the cartilage's
apex cut and the tendon then lay across the bone and the squat failed the self-check whole
(docs/validation.md, "Population knees and the self-check"). The limit lies between the two
groups."""


def population_names() -> list[str]:
    """["atlas:01", ..., "atlas:26"]."""
    return [population_name(i) for i in range(1, POPULATION_SIZE + 1)]


def _check_limb(limb: int) -> int:
    if isinstance(limb, bool) or not isinstance(limb, int) or not 1 <= limb <= POPULATION_SIZE:
        raise KneevizError(f"there is no population limb {limb!r}: limbs are numbered "
                           f"1-{POPULATION_SIZE}")
    return limb


@lru_cache(maxsize=8)
def _training_vertices(bone: str, subdivisions: int) -> tuple[np.ndarray, np.ndarray]:
    """Every training limb's `bone` on the atlas mesh at `subdivisions`: (26, v, 3), faces."""
    from kneeviz.anatomy.atlas import atlas_bone
    from kneeviz.anatomy.shape_model import training_shapes

    mesh = atlas_bone(bone, subdivisions)
    return training_shapes(bone, mesh, subdivisions), mesh.faces


def training_limb(limb: int) -> AtlasLimb:
    """Training limb `limb` (1-26) of the LLP26 shape model: its bones as RIGHT-limb meshes in
    the model's shared whole-limb frame (mm)."""
    _check_limb(limb)

    def bone(name: str, key: str | None = None) -> SurfaceMesh:
        vertices, faces = _training_vertices(name, LIMB_SUBDIVISIONS[key or name])
        return SurfaceMesh(np.array(vertices[limb - 1]), faces)

    return AtlasLimb(
        femur=bone("femur"), femur_fine=bone("femur", "femur_fine"), patella=bone("patella"),
        tibia=bone("tibia"), pelvis=bone("pelvis"),
        source=f"LLP26 training limb {limb} of 26, rebuilt from the shape model "
               "(PyPI musculoskeletal-models 0.2.4, MPL-2.0)",
    )


@lru_cache(maxsize=1)
def mean_atlas_own_sulcus_deg() -> float:
    """The sulcus angle of the mean atlas's own (un-cut) groove: 149.6 deg."""
    from kneeviz.anatomy.default_knee import mean_atlas_limb, own_groove_sulcus_angle_deg

    return own_groove_sulcus_angle_deg(mean_atlas_limb())


def groove_options(limb: int) -> DefaultKneeOptions:
    """How limb `limb`'s groove is re-cut: to HEALTHY_SULCUS_ANGLE_DEG plus the limb's own
    groove's difference from the mean atlas's own groove (see the module docstring)."""
    from kneeviz.anatomy.default_knee import own_groove_sulcus_angle_deg

    own = own_groove_sulcus_angle_deg(training_limb(limb))
    lo, hi = SULCUS_ANGLE_RANGE_DEG
    angle = HEALTHY_SULCUS_ANGLE_DEG + own - mean_atlas_own_sulcus_deg()
    return DefaultKneeOptions(sulcus_angle_deg=float(min(max(angle, lo), hi)))


def _cache_source(limb: int) -> str:
    from kneeviz import cache
    from kneeviz.anatomy.shape_model import shape_model_path

    return cache.source_digest(POPULATION_VERSION, str(limb),
                               shape_model_path().read_bytes())


def _from_entry(z: dict[str, np.ndarray], limb: int) -> Anatomy:
    from kneeviz.anatomy.build import KNEE_MESHES, anatomy_from_record

    meshes = {n: SurfaceMesh(np.asarray(z[f"{n}_vertices_mm"], dtype=float),
                             np.asarray(z[f"{n}_faces"], dtype=np.int64)) for n in KNEE_MESHES}
    record = json.loads(bytes(np.asarray(z["record_json"], dtype=np.uint8)).decode())
    name = population_name(limb)
    return anatomy_from_record(meshes, record, name, (name,), KneeSpec(atlas_limb=limb))


def _entry_check(z: dict[str, np.ndarray]) -> str | None:
    """A cached knee's faces index its vertices and its record is a landmark record."""
    from kneeviz.anatomy.build import KNEE_MESHES

    for n in KNEE_MESHES:
        v, f = z[f"{n}_vertices_mm"], z[f"{n}_faces"]
        if len(f) == 0 or f.min() < 0 or f.max() >= len(v) or not np.isfinite(v).all():
            return f"its {n} faces do not index its vertices"
    try:
        record = json.loads(bytes(np.asarray(z["record_json"], dtype=np.uint8)).decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "its landmark record is not JSON"
    if not isinstance(record, dict) or record.get("format") != "kneeviz-default-knee":
        return "its landmark record is not a knee's"
    return None


@lru_cache(maxsize=4)
def load_population_knee(limb: int) -> Anatomy:
    """The knee of training limb `limb` (1-26), named "atlas:NN": from kneeviz's cache, else built
    (about 10 s) and cached."""
    from kneeviz import cache
    from kneeviz.anatomy.build import KNEE_MESHES

    _check_limb(limb)
    name = f"population-knee-{limb:02d}.npz"
    source = _cache_source(limb)
    shapes: dict[str, tuple[int | None, ...]] = {"record_json": (None,)}
    for n in KNEE_MESHES:
        shapes[f"{n}_vertices_mm"] = (None, 3)
        shapes[f"{n}_faces"] = (None, 3)
    z = cache.load_entry(name, source, shapes, _entry_check)
    if z is not None:
        return _from_entry(z, limb)
    with cache.building(name):  # another process building this knee: wait for it
        z = cache.load_entry(name, source, shapes, _entry_check)
        if z is not None:
            return _from_entry(z, limb)
        return _build_and_keep(limb, name, source)


def _build_and_keep(limb: int, name: str, source: str) -> Anatomy:
    from kneeviz import cache
    from kneeviz.anatomy.build import KNEE_MESHES
    from kneeviz.anatomy.default_knee import build_atlas_knee, record_json

    built = build_atlas_knee(training_limb(limb), groove_options(limb),
                             patella_axis_limit_deg=PATELLA_AXIS_LIMIT_DEG)
    arrays: dict[str, np.ndarray] = {
        "record_json": np.frombuffer(record_json(built).encode(), dtype=np.uint8)}
    for n in KNEE_MESHES:
        arrays[f"{n}_vertices_mm"] = np.asarray(built.meshes[n].vertices_mm, dtype=float)
        arrays[f"{n}_faces"] = np.asarray(built.meshes[n].faces, dtype=np.int64)
    cache.save_entry(name, source, arrays)
    # the knee is made from what was stored (the record rounded as landmarks.json rounds it), so
    # the run that builds it and every later run that reads it give the same squat
    return _from_entry(arrays, limb)


def load_population_name(text: str) -> Anatomy:
    """The population knee named `text` ("atlas:07")."""
    return load_population_knee(parse_population_name(text))
