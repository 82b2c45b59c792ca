"""The bundled default knee: the LLP26 mean atlas, posed in anatomical frames, sculpted, with
cartilage; built once into assets/meshes/ (and rebuildable with `kneeviz build-default-knee`).

Pipeline (each step a plain function of the one before):
 1. atlas bones (left limb mirrored to a right one, one shared standing pose: atlas.py);
 2. landmarks and ISB frames found from the geometry alone (the same finder a patient's knee uses);
 3. the trochlea re-cut to the requested sulcus angle (sculpt.py), calibrated against the same
    slice measurement `kneeviz check-mesh` reports, the patella given a median ridge and the
    tibia a tuberosity where the patellar tendon inserts;
 4. femoral and patellar cartilage grown on the articular surfaces (cartilage.py);
 5. every mesh stored in its own bone frame, with landmarks and the standing relative poses.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from kneeviz.anatomy.atlas import atlas_bone
from kneeviz.anatomy.cartilage import femoral_cartilage, patellar_cartilage
from kneeviz.anatomy.knee_spec import check_sulcus_angle
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.anatomy.sculpt import (
    PatellaShape,
    TrochleaShape,
    design_trochlea_sculpt,
    sculpt_patella,
    sculpt_tuberosity,
)
from kneeviz.anatomy.trochlea import measure_trochlea
from kneeviz.transforms import apply, invert

HEALTHY_SULCUS_ANGLE_DEG = 138.0
"""Merchant 1974: 138 +/- 6 deg in healthy knees (docs/literature.md section 5)."""
HEALTHY_GROOVE_DEPTH_MM = 5.5
ASSET_VERSION = 1


@dataclass(frozen=True)
class DefaultKneeOptions:
    """What can be changed about the default knee (teaching parameters)."""

    sulcus_angle_deg: float = HEALTHY_SULCUS_ANGLE_DEG
    lateral_rise_mm: float = 2.0

    def validate(self) -> None:
        check_sulcus_angle(self.sulcus_angle_deg)

    @property
    def groove_depth_mm(self) -> float:
        """Depth that keeps the groove's width when its angle changes: a flatter groove (larger
        sulcus angle) is a shallower one, as in trochlear dysplasia."""
        healthy_half = math.tan(math.radians(HEALTHY_SULCUS_ANGLE_DEG / 2.0))
        return HEALTHY_GROOVE_DEPTH_MM * healthy_half / math.tan(
            math.radians(self.sulcus_angle_deg / 2.0)
        )


def sculpt_femur(
    femur_fine: SurfaceMesh, options: DefaultKneeOptions, iterations: int = 4
) -> tuple[SurfaceMesh, TrochleaShape, float]:
    """Re-cut the groove of a femur (in its femur frame) until the measured mid-trochlear sulcus
    angle and depth match the options. Returns the sculpted mesh, the shape used and groove z."""
    want_angle, want_depth = options.sulcus_angle_deg, options.groove_depth_mm
    # a dysplastic groove is flat proximally and deepens toward the notch (sculpt.TrochleaShape)
    distal = (
        TrochleaShape(HEALTHY_SULCUS_ANGLE_DEG, HEALTHY_GROOVE_DEPTH_MM, options.lateral_rise_mm)
        if want_angle > HEALTHY_SULCUS_ANGLE_DEG else None
    )
    shape = TrochleaShape(
        want_angle, want_depth, options.lateral_rise_mm, theta_range_deg=(-62.0, 70.0),
        distal_shape=distal,
    )
    sculpted, groove_z = femur_fine, 0.0
    for _ in range(iterations):
        field = design_trochlea_sculpt(femur_fine, shape)
        sculpted, groove_z = field.apply(femur_fine), field.groove_z_mm
        m = measure_trochlea(sculpted)
        err_a, err_d = want_angle - m.sulcus_angle_deg, want_depth - m.groove_depth_mm
        if abs(err_a) < 0.5 and abs(err_d) < 0.2:
            break
        shape = TrochleaShape(
            float(np.clip(shape.sulcus_angle_deg + err_a, 100.0, 178.0)),
            float(np.clip(shape.depth_mm + err_d, 0.5, 12.0)),
            options.lateral_rise_mm,
            theta_range_deg=shape.theta_range_deg,
            distal_shape=distal,
        )
    return sculpted, shape, groove_z


def _save_stl(mesh: SurfaceMesh, path: Path) -> None:
    import trimesh

    trimesh.Trimesh(mesh.vertices_mm, mesh.faces, process=False).export(path)


def _jsonable(value: object) -> object:
    if isinstance(value, np.ndarray):
        return np.round(value, 6).tolist()
    if isinstance(value, float):
        return round(value, 6)
    return value




JOINT_SPACE_MM = 5.0
"""Bone-to-bone gap of the tibiofemoral joint: femoral plus tibial cartilage (about 2 + 3 mm)."""


def open_joint_space(
    femur: SurfaceMesh, tibia: SurfaceMesh, T_femur_tibia: FloatArray
) -> FloatArray:
    """Move the tibia distally along the femur's axis until the bones are JOINT_SPACE_MM apart.

    Why: a mean of 26 registered bones (the atlas) loses the joint space; its mean femur and
    tibia overlap by several millimetres, which would show as bone cutting through bone."""
    from scipy.spatial import cKDTree

    tv, tn = tibia.vertices_mm, tibia.vertex_normals()
    # the two plateaus (upward-facing, away from the intercondylar eminence, whose spines sit
    # in the notch without bearing load)
    plateau = (tv[:, 1] > -40.0) & (tn[:, 1] > 0.6) & (np.abs(tv[:, 2]) > 10.0)
    proximal = tv[plateau]
    tree = cKDTree(femur.vertices_mm)
    normals = femur.vertex_normals()
    T = T_femur_tibia.copy()
    for _ in range(200):
        pts = apply(T, proximal)
        d, i = tree.query(pts)
        # signed: negative when the tibia point lies behind the femur's surface (inside it)
        signed = np.where(np.einsum("ij,ij->i", pts - femur.vertices_mm[i], normals[i]) < 0, -d, d)
        gap = float(signed.min())
        if gap >= JOINT_SPACE_MM - 0.1:
            break
        T[:3, 3] -= np.array([0.0, 1.0, 0.0]) * max(0.2, JOINT_SPACE_MM - gap) * 0.5
    return T


@dataclass(frozen=True, eq=False)
class BuiltKnee:
    """The default knee's meshes (bone frames) and its landmark record, ready to save or use."""

    meshes: dict[str, SurfaceMesh]
    record: dict[str, object]


TENDON_INSERTION_RAISE_MM = 17.0
"""How far the default knee's patellar-tendon insertion lies above the tuberosity point the
geometric finder picks. The mean atlas tibia's tuberosity is smoothed away (its anterior profile is
flat from 5 to 50 mm below the plateau), so the finder lands in the middle of that flat run, 34 mm
below the plateau, and the kneecap then sits low: Caton-Deschamps index 0.56 at 30 deg of flexion
(patella baja below 0.6). Raised by this much, the solved healthy squat gives 0.96 at 30 deg, the
population mean (0.96 +- 0.13 men, 0.99 +- 0.13 women: Caton J, Deschamps G);
tests/mechanics/test_patella_height.py keeps it in the normal range. A patient's knee keeps what
its tibia shows, so the saved tibia shows it too: a tuberosity is raised there
(tibia_showing_insertion)."""

INSERTION_FOUND_MM = 1.5
"""How close the tuberosity finder, run on the saved tibia as a scan holds it, comes to the
insertion the record holds (up and across the bone): the bundled knee's 1.3 mm. Two LLP26 limbs
(6 and 10) have their insertion less than 10 mm below the plateau's centre, above where the finder
looks (landmarks_tibia.TUBEROSITY_BAND_MM): loaded from their files, their tendon inserts 3-4 mm
lower than their built knees' (docs/validation.md, "Partial knees across a population")."""


def tibia_showing_insertion(tibia: SurfaceMesh, insertion_mm: FloatArray,
                            T_femur_tibia: FloatArray) -> SurfaceMesh:
    """`tibia` (tibia frame) with a tuberosity raised so that the finder, run on it where it stands
    in the scan (`T_femur_tibia`), finds `insertion_mm`: loaded from the saved files as a patient's
    knee, the tendon inserts where the built knee's does. The bump sits on a front that leans
    forward distally, which pulls the finder's point down a few millimetres, so the bump is
    raised by the step (0-8 mm, every 0.5 mm) that brings the finder nearest (how near:
    INSERTION_FOUND_MM)."""
    from kneeviz.anatomy.landmarks import find_tibia

    want = np.asarray(insertion_mm, dtype=float)
    best: tuple[float, SurfaceMesh] = (math.inf, tibia)
    for up_mm in np.arange(0.0, 8.01, 0.5):
        shown = sculpt_tuberosity(tibia, want + np.array([0.0, up_mm, 0.0]))
        fit = find_tibia(shown.transformed(T_femur_tibia))
        found = apply(invert(T_femur_tibia) @ fit.T_input_tibia, fit.landmarks.tuberosity_mm)
        miss = float(np.hypot(*(want - found)[1:]))
        if miss < best[0]:
            best = (miss, shown)
    return best[1]


@dataclass(frozen=True, eq=False)
class AtlasLimb:
    """One limb's bones from the LLP26 atlas or its shape model, as RIGHT-limb meshes in the
    shared atlas CT frame (mm, +Z up): the mean atlas (the bundled knee) or one of the 26 training
    limbs (kneeviz.anatomy.population). Same faces as atlas_bone at the same subdivisions."""

    femur: SurfaceMesh
    """At LIMB_SUBDIVISIONS["femur"] (display resolution)."""
    femur_fine: SurfaceMesh
    """At LIMB_SUBDIVISIONS["femur_fine"]: the groove is measured and cut, cartilage grown on it."""
    patella: SurfaceMesh
    tibia: SurfaceMesh
    pelvis: SurfaceMesh
    source: str


LIMB_SUBDIVISIONS: dict[str, int] = {
    "femur": 20, "femur_fine": 40, "patella": 24, "tibia": 12, "pelvis": 8,
}
"""Tessellation of each atlas bone (atlas.atlas_bone): "femur_fine" is the femur the groove is
measured, re-cut and grown cartilage on."""


def mean_atlas_limb() -> AtlasLimb:
    """The LLP26 mean limb (the bundled knee's bones)."""
    s = LIMB_SUBDIVISIONS
    return AtlasLimb(
        femur=atlas_bone("femur", s["femur"]), femur_fine=atlas_bone("femur", s["femur_fine"]),
        patella=atlas_bone("patella", s["patella"]), tibia=atlas_bone("tibia", s["tibia"]),
        pelvis=atlas_bone("pelvis", s["pelvis"]),
        source="LLP26 mean atlas, PyPI musculoskeletal-models 0.2.4 (MPL-2.0)",
    )


def build_default_knee(options: DefaultKneeOptions | None = None) -> BuiltKnee:
    """Build the default knee from the atlas package (a few seconds)."""
    options = options or DefaultKneeOptions()
    options.validate()
    return build_atlas_knee(mean_atlas_limb(), options)


def own_groove_sulcus_angle_deg(limb: AtlasLimb) -> float:
    """The sulcus angle of the limb's own trochlear groove (before any re-cut), measured as
    `kneeviz check-mesh` measures it, on the fine femur in its femur frame."""
    from kneeviz.anatomy.landmarks import find_femur

    T_femur_scan = invert(find_femur(limb.femur).T_input_femur)
    return float(measure_trochlea(limb.femur_fine.transformed(T_femur_scan)).sulcus_angle_deg)


def patella_spin_deg(T_scan_patella: FloatArray, T_scan_femur: FloatArray) -> float:
    """How far the kneecap's superior axis (as the patella finder set it) is turned in the
    kneecap's own plane from the femur's long axis, both as the limb stands in its scan (deg)."""
    x = np.asarray(T_scan_patella, dtype=float)[:3, 0]
    y = np.asarray(T_scan_patella, dtype=float)[:3, 1]
    up = np.asarray(T_scan_femur, dtype=float)[:3, 1]
    up = up - (up @ x) * x
    return float(np.degrees(np.arccos(np.clip(y @ up / np.linalg.norm(up), -1.0, 1.0))))


def build_atlas_knee(limb: AtlasLimb, options: DefaultKneeOptions, *,
                     patella_axis_limit_deg: float | None = None) -> BuiltKnee:
    """A knee from atlas bones: landmarks found on the bones, the groove re-cut to `options`, the
    patella given its median ridge, cartilage grown, every mesh in its bone frame (the pipeline
    of the module docstring).

    `patella_axis_limit_deg`: when the superior axis the patella finder takes from the kneecap's
    ridge is turned more than this from the femur's long axis as the limb stands
    (patella_spin_deg), the finder got it wrong and the femur's axis (projected onto the
    kneecap's plane) is taken instead (kneeviz.anatomy.population). None (the bundled knee):
    the ridge's axis always."""
    from kneeviz.anatomy.landmarks import find_femur, find_patella, find_pelvis, find_tibia

    femur_scan = limb.femur
    femur_fit = find_femur(femur_scan)
    T_scan_femur = femur_fit.T_input_femur
    T_femur_scan = invert(T_scan_femur)

    # sculpt the groove on a fine copy, then apply the same field to the display resolution
    fine = limb.femur_fine.transformed(T_femur_scan)
    sculpted_fine, shape, groove_z = sculpt_femur(fine, options)
    field = design_trochlea_sculpt(fine, shape)
    femur = field.apply(femur_scan.transformed(T_femur_scan))
    femur_cart = femoral_cartilage(sculpted_fine, groove_z)
    troch = measure_trochlea(femur)

    tibia_scan = limb.tibia
    tibia_fit = find_tibia(tibia_scan)
    T_scan_tibia = tibia_fit.T_input_tibia
    tibia = tibia_scan.transformed(invert(T_scan_tibia))
    T_femur_tibia = open_joint_space(femur, tibia, T_femur_scan @ T_scan_tibia)

    patella_scan = limb.patella
    # the atlas patella is smooth enough that its faces are hard to tell apart on their own:
    # it lies in front of the femur, so the femur's axes pick the signs
    patella_fit = find_patella(
        patella_scan,
        side_hint="right",
        anterior_hint=T_scan_femur[:3, 0],
        superior_hint=T_scan_femur[:3, 1],
    )
    axis_from_femur = (patella_axis_limit_deg is not None and patella_spin_deg(
        patella_fit.T_input_patella, T_scan_femur) > patella_axis_limit_deg)
    if axis_from_femur:
        patella_fit = find_patella(
            patella_scan,
            side_hint="right",
            anterior_hint=T_scan_femur[:3, 0],
            superior_hint=T_scan_femur[:3, 1],
            superior_axis=T_scan_femur[:3, 1],
        )
    T_scan_patella = patella_fit.T_input_patella
    patella_raw = patella_scan.transformed(invert(T_scan_patella))
    pshape = PatellaShape()
    patella = sculpt_patella(patella_raw, pshape)
    z_lo, z_hi = float(patella.vertices_mm[:, 2].min()), float(patella.vertices_mm[:, 2].max())
    ridge_z = z_lo + (1.0 - pshape.lateral_share) * (z_hi - z_lo)
    patella_cart = patellar_cartilage(patella, ridge_z)
    patella_fit = find_patella(  # landmarks of the sculpted bone, in the same orientation
        patella,
        side_hint="right",
        anterior_hint=np.array([1.0, 0.0, 0.0]),
        superior_hint=np.array([0.0, 1.0, 0.0]),
        superior_axis=np.array([0.0, 1.0, 0.0]) if axis_from_femur else None,
    )

    pelvis_scan = limb.pelvis
    pelvis_fit = find_pelvis(pelvis_scan, "right",
                             hip_hint=apply(T_scan_femur, femur_fit.landmarks.hip_centre_mm))
    T_scan_pelvis = pelvis_fit.T_input_pelvis
    pelvis = pelvis_scan.transformed(invert(T_scan_pelvis))

    femur_landmarks = asdict_arrays(
        replace(
            femur_fit.landmarks,
            groove_line_mm=troch.groove_line_mm,
            sulcus_angle_deg=troch.sulcus_angle_deg,
            groove_depth_mm=troch.groove_depth_mm,
        )
    )
    insertion = (np.asarray(tibia_fit.landmarks.tuberosity_mm, dtype=float)
                 + np.array([0.0, TENDON_INSERTION_RAISE_MM, 0.0]))
    record: dict[str, object] = {
        "format": "kneeviz-default-knee",
        "version": ASSET_VERSION,
        "side": "right",
        "options": asdict(options),
        "source": limb.source,
        "femur_landmarks": femur_landmarks,
        "tibia_landmarks": asdict_arrays(replace(tibia_fit.landmarks, tuberosity_mm=insertion)),
        "patella_landmarks": asdict_arrays(patella_fit.landmarks),
        "pelvis_landmarks": asdict_arrays(pelvis_fit.landmarks),
        "T_femur_tibia_ref": T_femur_tibia,
        "T_femur_pelvis_ref": T_femur_scan @ T_scan_pelvis,
        "T_femur_patella_atlas": T_femur_scan @ T_scan_patella @ patella_fit.T_input_patella,
        "patella_ridge_z_mm": ridge_z,
    }
    meshes = {
        "femur": femur,
        "patella": patella.transformed(invert(patella_fit.T_input_patella)),
        "tibia": tibia_showing_insertion(tibia, insertion, T_femur_tibia),
        "pelvis": pelvis,
        "femur_cartilage": femur_cart,
        "patella_cartilage": patella_cart.transformed(invert(patella_fit.T_input_patella)),
    }
    return BuiltKnee(meshes, record)


def asdict_arrays(obj: object) -> dict[str, object]:
    """A landmark dataclass as a plain dict (arrays kept)."""
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}  # type: ignore[attr-defined]


def save_built_knee(knee: BuiltKnee, folder: Path) -> None:
    """Write the meshes (binary STL, in the femur's frame: SAVED_IN_FEMUR_FRAME) and
    landmarks.json into `folder`."""
    from kneeviz.anatomy.knee_files import MESHES_FRAME, SAVED_IN_FEMUR_FRAME

    folder.mkdir(parents=True, exist_ok=True)
    for name, mesh in knee.meshes.items():
        pose = SAVED_IN_FEMUR_FRAME.get(name)
        if pose is not None:
            mesh = mesh.transformed(np.asarray(knee.record[pose], dtype=float))
        _save_stl(mesh, folder / f"{name}.stl")
    record = json.loads(record_json(knee))
    record["meshes_frame"] = MESHES_FRAME
    tmp = folder / "landmarks.json.tmp"
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(folder / "landmarks.json")


def record_json(knee: BuiltKnee) -> str:
    """The knee's landmark record as the JSON text landmarks.json holds (floats to 1e-6)."""
    record = _round_floats(json.loads(json.dumps(knee.record, default=_jsonable)))
    return json.dumps(record, indent=1, default=_jsonable)


def _round_floats(value: object) -> object:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _round_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_floats(v) for v in value]
    return value
