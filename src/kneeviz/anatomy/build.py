"""Turn bone meshes into an Anatomy: the one path for the bundled knee and a patient's files.

Both go through the same landmark finder; cartilage is grown on the bone when the files hold
none (most segmentations are bone only). Meshes end up in their own bone frames (knee.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from kneeviz import cache
from kneeviz.anatomy.cartilage import femoral_cartilage, patellar_cartilage
from kneeviz.anatomy.completion import AtlasFit, atlas_pelvis_for
from kneeviz.anatomy.knee import (
    Anatomy,
    Completion,
    FemurLandmarks,
    PatellaLandmarks,
    PelvisLandmarks,
    TibiaLandmarks,
)
from kneeviz.anatomy.knee_files import KNEE_MESHES, MESHES_FRAME, SAVED_IN_FEMUR_FRAME
from kneeviz.anatomy.knee_spec import KneeSpec
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.anatomy.own_cartilage import check_on_bone
from kneeviz.anatomy.trochlea import measure_trochlea
from kneeviz.errors import KneevizError, MeshError
from kneeviz.transforms import apply, invert


def assets_dir() -> Path:
    """Folder of the bundled knee (kneeviz.resources.default_knee_dir: $KNEEVIZ_ASSETS, the
    package's copy, or a checkout's assets/meshes)."""
    from kneeviz.resources import default_knee_dir

    return default_knee_dir()


def _arr(value: object) -> FloatArray:
    return np.asarray(value, dtype=float)


def _landmarks(cls: type, data: dict[str, object]) -> object:
    kwargs = {}
    for name in cls.__dataclass_fields__:  # type: ignore[attr-defined]
        v = data[name]
        kwargs[name] = float(v) if isinstance(v, (int, float)) else _arr(v)  # type: ignore[arg-type]
    return cls(**kwargs)


def _welded_check(data: bytes) -> Callable[[dict[str, np.ndarray]], str | None]:
    """A cached weld of this STL must index its own vertices, keep every triangle and span the
    same box as the file's corners (an all-zero or foreign mesh does not)."""
    from kneeviz.anatomy.mesh_io import read_stl_triangles

    try:
        soup, _ = read_stl_triangles(data, "cache check")
        corners: np.ndarray | None = soup.reshape(-1, 3, 3)
    except KneevizError:
        corners = None  # the weld below reports the file's problem

    def check(z: dict[str, np.ndarray]) -> str | None:
        v, f = z["vertices_mm"], z["faces"]
        if len(f) == 0 or f.min() < 0 or f.max() >= len(v) or not np.isfinite(v).all():
            return "its faces do not index its vertices"
        if corners is not None:
            if len(f) != len(corners):
                return f"it has {len(f)} triangles, the file {len(corners)}"
            box = np.array([corners.reshape(-1, 3).min(0), corners.reshape(-1, 3).max(0)])
            if not np.allclose([v.min(0), v.max(0)], box, atol=1e-4):
                return "its vertices are not the file's"
        return None

    return check


def _read_stl(path: Path) -> SurfaceMesh:
    """A bundled STL with its vertices welded. The welded mesh is cached (plain arrays, keyed by
    the file's bytes and verified: kneeviz.cache) so that a warm start needs no trimesh:
    importing it is about a second of the app's start-up."""
    data = path.read_bytes()
    name = f"welded-{hashlib.sha256(data).hexdigest()[:32]}.npz"
    source = cache.source_digest("welded-stl", data)
    z = cache.load_entry(name, source, {"vertices_mm": (None, 3), "faces": (None, 3)},
                         _welded_check(data))
    if z is not None:
        return SurfaceMesh(np.asarray(z["vertices_mm"], dtype=float),
                           np.asarray(z["faces"], dtype=np.int64))
    import trimesh

    from kneeviz.anatomy.mesh_io import read_stl_triangles

    soup_vertices, soup_faces = read_stl_triangles(data, str(path))
    tm = trimesh.Trimesh(vertices=soup_vertices, faces=soup_faces, process=False)
    tm.merge_vertices()
    mesh = SurfaceMesh(np.asarray(tm.vertices, dtype=float), np.asarray(tm.faces))
    cache.save_entry(name, source, {"vertices_mm": mesh.vertices_mm,
                                    "faces": np.asarray(mesh.faces, dtype=np.int64)})
    return mesh


def load_anatomy_folder(folder: Path, name: str = "default knee",
                        knee_spec: KneeSpec | None = None) -> Anatomy:
    """Read a knee saved by save_built_knee (its meshes, in the femur's frame or each in its
    bone frame, and landmarks.json); every mesh of the Anatomy is in its bone frame."""
    record_path = folder / "landmarks.json"
    if not record_path.is_file():
        raise KneevizError(
            "the bundled knee is missing (no landmarks.json): run 'make assets' or "
            "'kneeviz build-default-knee --out assets/meshes'",
            folder,
        )
    try:
        record = json.loads(record_path.read_text())
        meshes = {n: _read_stl(folder / f"{n}.stl") for n in KNEE_MESHES}
        if record.get("meshes_frame") == MESHES_FRAME:  # saved as one scan: back to bone frames
            meshes = {n: m if n not in SAVED_IN_FEMUR_FRAME
                      else m.transformed(invert(_arr(record[SAVED_IN_FEMUR_FRAME[n]])))
                      for n, m in meshes.items()}
    except (OSError, ValueError, KeyError) as exc:
        raise KneevizError(
            f"the bundled knee could not be read ({exc}): rebuild it with 'make assets'", folder
        ) from exc
    return anatomy_from_record(meshes, record, name, (str(folder),),
                               knee_spec if knee_spec is not None else KneeSpec())


def anatomy_from_record(meshes: dict[str, SurfaceMesh], record: dict[str, object], name: str,
                        sources: tuple[str, ...], knee_spec: KneeSpec) -> Anatomy:
    """An Anatomy from an atlas-built knee's meshes (KNEE_MESHES) and its landmark record (as
    landmarks.json holds it: default_knee.record_json)."""
    return Anatomy(
        name=name,
        side=str(record["side"]),
        femur=meshes["femur"],
        patella=meshes["patella"],
        tibia=meshes["tibia"],
        femur_cartilage=meshes["femur_cartilage"],
        patella_cartilage=meshes["patella_cartilage"],
        femur_landmarks=_landmarks(FemurLandmarks, record["femur_landmarks"]),  # type: ignore[arg-type]
        tibia_landmarks=_landmarks(TibiaLandmarks, record["tibia_landmarks"]),  # type: ignore[arg-type]
        patella_landmarks=_landmarks(PatellaLandmarks, record["patella_landmarks"]),  # type: ignore[arg-type]
        T_femur_tibia_ref=_arr(record["T_femur_tibia_ref"]),
        pelvis=meshes["pelvis"],
        pelvis_landmarks=_landmarks(PelvisLandmarks, record["pelvis_landmarks"]),  # type: ignore[arg-type]
        T_femur_pelvis_ref=_arr(record["T_femur_pelvis_ref"]),
        sources=sources,
        knee_spec=knee_spec,
    )


@lru_cache(maxsize=4)
def load_default_anatomy(sulcus_angle_deg: float | None = None) -> Anatomy:
    """The bundled default knee; with a sulcus angle, the same knee with its groove re-cut
    (built on the fly in a few seconds, then kept in memory)."""
    if sulcus_angle_deg is None:  # the app's start: no atlas or trimesh import needed
        return load_anatomy_folder(assets_dir())
    from kneeviz.anatomy.default_knee import (
        HEALTHY_SULCUS_ANGLE_DEG,
        DefaultKneeOptions,
        build_default_knee,
        save_built_knee,
    )

    if abs(sulcus_angle_deg - HEALTHY_SULCUS_ANGLE_DEG) < 1e-9:
        return load_anatomy_folder(assets_dir())
    import tempfile

    knee = build_default_knee(DefaultKneeOptions(sulcus_angle_deg=float(sulcus_angle_deg)))
    with tempfile.TemporaryDirectory() as tmp:
        save_built_knee(knee, Path(tmp))
        anatomy = load_anatomy_folder(Path(tmp), f"default knee, sulcus {sulcus_angle_deg:g} deg",
                                      KneeSpec(sulcus_angle_deg=float(sulcus_angle_deg)))
    return anatomy


def _pelvis_stand_in(femur_lm: FemurLandmarks) -> tuple[PelvisLandmarks, FloatArray]:
    """Pelvis landmarks when no pelvis mesh is given: frame at the hip centre, axes as the
    femur's; AIIS (rectus femoris origin) about 30 mm anterior, 35 mm above and 20 mm lateral of
    the hip centre, ASIS 20 mm further up and lateral (typical adult pelvis geometry)."""
    T_femur_pelvis = np.eye(4)
    T_femur_pelvis[:3, 3] = femur_lm.hip_centre_mm
    lm = PelvisLandmarks(
        hip_centre_mm=np.zeros(3),
        aiis_mm=np.array([30.0, 35.0, 20.0]),
        asis_mm=np.array([35.0, 60.0, 35.0]),
    )
    return lm, T_femur_pelvis


def anatomy_from_meshes(
    femur_scan: SurfaceMesh,
    patella_scan: SurfaceMesh,
    tibia_scan: SurfaceMesh,
    pelvis_scan: SurfaceMesh | None = None,
    *,
    name: str = "imported knee",
    sources: tuple[str, ...] = (),
    cartilage: dict[str, tuple[SurfaceMesh, str]] | None = None,
    fits: dict[str, AtlasFit] | None = None,
) -> Anatomy:
    """An Anatomy from bone meshes in one shared scan frame (mm), e.g. a patient's segmentation.

    Landmarks and frames come from the geometry; a left knee is mirrored into the right-knee
    convention; cartilage is grown on the articular surfaces unless `cartilage` gives the
    patient's own ({"femur" / "patella": (mesh in the scan frame, file)}). `fits` holds the atlas
    fits of partial bones (kneeviz.anatomy.completion): their landmarks are found on the
    completed bone, and a completed femur without a pelvis file gets the atlas pelvis."""
    from kneeviz.anatomy.assembly import (
        BonePlaces,
        check_one_knee,
        check_tibia_apart,
        common_offset_mm,
        is_far,
    )
    from kneeviz.anatomy.completion import shifted
    from kneeviz.anatomy.geometry_checks import bone_errors
    from kneeviz.anatomy.landmarks import find_femur, find_patella, find_pelvis, find_tibia

    def src(i: int) -> str | None:
        return sources[i] if len(sources) > i else None

    fits = dict(fits or {})
    cartilage = dict(cartilage or {})
    scans = [femur_scan, patella_scan, tibia_scan] + ([pelvis_scan] if pelvis_scan else [])
    if any(is_far(s.vertices_mm) for s in scans):
        # far from the origin (a world or scanner frame): one shift for all, before any step
        shift = np.eye(4)
        shift[:3, 3] = -common_offset_mm(femur_scan.vertices_mm)
        femur_scan, patella_scan, tibia_scan = (s.transformed(shift) for s in scans[:3])
        if pelvis_scan is not None:
            pelvis_scan = pelvis_scan.transformed(shift)
        cartilage = {b: (m.transformed(shift), f) for b, (m, f) in cartilage.items()}
        fits = {b: shifted(fit, shift) for b, fit in fits.items()}
    ffit, tfit = fits.get("femur"), fits.get("tibia")
    with bone_errors("femur", src(0)):
        femur_fit = find_femur(ffit.composite if ffit is not None else femur_scan)
    side = femur_fit.side
    with bone_errors("tibia", src(2)):
        tibia_fit = (find_tibia(tfit.composite, tfit.fibula, one_piece=True) if tfit is not None
                     else find_tibia(tibia_scan))
    if tibia_fit.side != side and tibia_fit.side in ("left", "right"):
        raise KneevizError(
            f"the femur is a {side} one but the tibia looks {tibia_fit.side}: "
            "choose the femur, patella and tibia of the same knee",
            src(2),
        )
    # the patella lies in front of the femur in the same scan: the femur's axes pick its signs
    with bone_errors("patella", src(1)):
        patella_fit = find_patella(
            patella_scan,
            side_hint=side,
            anterior_hint=femur_fit.T_input_femur[:3, 0],
            superior_hint=femur_fit.T_input_femur[:3, 1],
        )
    T_femur_scan = invert(femur_fit.T_input_femur)
    check_one_knee(
        BonePlaces(T_femur_scan @ tibia_fit.T_input_tibia,
                   T_femur_scan @ patella_fit.T_input_patella,
                   side, tibia_fit.side, patella_fit.side_from_shape),
        femur_fit.landmarks, tibia_fit.landmarks, patella_fit.landmarks,
        tuple(str(s) for s in sources),
    )
    femur = femur_scan.transformed(T_femur_scan)
    check_tibia_apart(femur, tibia_scan.transformed(T_femur_scan), tuple(str(s) for s in sources))
    tibia = tibia_scan.transformed(invert(tibia_fit.T_input_tibia))
    patella = patella_scan.transformed(invert(patella_fit.T_input_patella))

    troch = measure_trochlea(femur, femur_fit.landmarks.posterior_condylar_axis)
    groove_z = float(np.median(troch.groove_line_mm[:, 2])) if len(troch.groove_line_mm) else 0.0
    # the fit's landmarks with the groove measured on the femur in its own frame
    femur_lm = replace(
        femur_fit.landmarks,
        groove_line_mm=troch.groove_line_mm,
        sulcus_angle_deg=troch.sulcus_angle_deg,
        groove_depth_mm=troch.groove_depth_mm,
    )
    ridge = patella_fit.landmarks.ridge_line_mm
    ridge_z = float(np.median(ridge[:, 2])) if len(ridge) else 0.0
    T_patella_scan = invert(patella_fit.T_input_patella)
    if "femur" in cartilage:
        femur_cart = cartilage["femur"][0].transformed(T_femur_scan)
        check_on_bone(femur_cart, femur, "femur", cartilage["femur"][1])
    else:
        femur_cart = femoral_cartilage(femur, groove_z)
    if "patella" in cartilage:
        patella_cart = cartilage["patella"][0].transformed(T_patella_scan)
        check_on_bone(patella_cart, patella, "patella", cartilage["patella"][1])
    else:
        patella_cart = patellar_cartilage(patella, ridge_z)

    if pelvis_scan is None and ffit is not None:
        pelvis_scan = atlas_pelvis_for(ffit)  # the hip's surroundings, from the atlas
    if pelvis_scan is not None:
        with bone_errors("pelvis", src(3)):
            pelvis_fit = find_pelvis(pelvis_scan, side, hip_hint=apply(
                femur_fit.T_input_femur, femur_fit.landmarks.hip_centre_mm))
        pelvis: SurfaceMesh | None = pelvis_scan.transformed(invert(pelvis_fit.T_input_pelvis))
        pelvis_lm = pelvis_fit.landmarks
        T_femur_pelvis = T_femur_scan @ pelvis_fit.T_input_pelvis
    else:
        pelvis = None
        pelvis_lm, T_femur_pelvis = _pelvis_stand_in(femur_lm)
    return Anatomy(
        name=name,
        side=side,
        femur=femur,
        patella=patella,
        tibia=tibia,
        femur_cartilage=femur_cart,
        patella_cartilage=patella_cart,
        femur_landmarks=femur_lm,
        tibia_landmarks=tibia_fit.landmarks,
        patella_landmarks=patella_fit.landmarks,
        T_femur_tibia_ref=T_femur_scan @ tibia_fit.T_input_tibia,
        pelvis=pelvis,
        pelvis_landmarks=pelvis_lm,
        T_femur_pelvis_ref=T_femur_pelvis,
        sources=sources,
        T_femur_patella_scan=T_femur_scan @ patella_fit.T_input_patella,
        completion=_completion(fits, T_femur_scan, invert(tibia_fit.T_input_tibia)),
        cartilage_source="segmented" if cartilage else "grown",
    )


def _completion(fits: dict[str, AtlasFit], T_femur_scan: FloatArray,
                T_tibia_scan: FloatArray) -> Completion | None:
    """What was completed, in the bone frames (None for whole bones)."""
    if not fits:
        return None
    ffit, tfit = fits.get("femur"), fits.get("tibia")
    notes = []
    if ffit is not None:
        notes.append(f"femur: hip centre, mechanical axis and pelvis estimated from the LLP26 "
                     f"atlas fitted to the partial femur (RMS {ffit.rms_mm:.1f} mm)")
    if tfit is not None:
        notes.append(f"tibia: ankle centre and mechanical axis estimated from the LLP26 atlas "
                     f"fitted to the partial tibia (RMS {tfit.rms_mm:.1f} mm)")
    return Completion(
        femur=ffit.completion.transformed(T_femur_scan) if ffit is not None else None,
        tibia=tfit.completion.transformed(T_tibia_scan) if tfit is not None else None,
        femur_rms_mm=ffit.rms_mm if ffit is not None else None,
        tibia_rms_mm=tfit.rms_mm if tfit is not None else None,
        pelvis_estimated=ffit is not None,
        notes=tuple(notes),
    )


PATIENT_MAX_TRIANGLES = 100_000
"""Triangles kept per patient bone: real segmentations have 10-80 thousand; a finer mesh (a
2-million-triangle export) is reduced so that landmarks and solves take seconds, not minutes."""


def load_bone(path: str | Path, bone: str, warnings: list[str] | None = None) -> SurfaceMesh:
    """One patient bone file given as `bone`: read (mesh_io), checked to be a bone surface at all
    (geometry_checks) and to be this bone (identify_bone). Every refusal names the file and the
    bone; repairs are appended to `warnings` as "FILE: sentence"."""
    from kneeviz.anatomy.geometry_checks import bone_errors, check_bone_shape
    from kneeviz.anatomy.landmarks import identify_bone
    from kneeviz.anatomy.mesh_io import load_mesh

    loaded = load_mesh(path, max_triangles=PATIENT_MAX_TRIANGLES)
    if warnings is not None:
        warnings.extend(f"{path}: {w}" for w in loaded.warnings)
    check_bone_shape(loaded.mesh, bone, path)
    with bone_errors(bone, path):
        found = identify_bone(loaded.mesh)
    ok = found == bone or (bone == "tibia" and found in ("tibia", "fibula"))
    if not ok:
        raise KneevizError(
            f"this looks like a {found}, not a {bone}: give the {bone} file here", path
        )
    return loaded.mesh


def anatomy_from_files(
    femur: str | Path,
    patella: str | Path,
    tibia: str | Path,
    pelvis: str | Path | None = None,
    warnings: list[str] | None = None,
    *,
    femur_cartilage: str | Path | None = None,
    patella_cartilage: str | Path | None = None,
) -> Anatomy:
    """Load a patient's femur, patella and tibia files (and optionally the pelvis and the
    segmented cartilage) into an Anatomy.

    Every problem (unreadable file, wrong bone, mixed sides, cartilage off its bone) is a
    KneevizError naming the file. A knee MRI's partial femur or tibia is completed from the atlas
    (kneeviz.anatomy.completion). What the loader repaired, assumed or completed is appended to
    `warnings` as "FILE: sentence", for the caller to show."""
    from kneeviz.anatomy.mesh_io import load_mesh

    paths = [Path(femur), Path(patella), Path(tibia)] + ([Path(pelvis)] if pelvis else [])
    wanted = ["femur", "patella", "tibia", "pelvis"]
    meshes: list[SurfaceMesh] = []
    fits: dict[str, AtlasFit] = {}
    for path, bone in zip(paths, wanted, strict=False):
        mesh, fit = load_bone_or_partial(path, bone, warnings)
        if fit is not None:
            fits[bone] = fit
        meshes.append(mesh)
    cartilage: dict[str, tuple[SurfaceMesh, str]] = {}
    for bone, cpath in (("femur", femur_cartilage), ("patella", patella_cartilage)):
        if cpath is not None:
            loaded = load_mesh(cpath, max_triangles=PATIENT_MAX_TRIANGLES)
            if warnings is not None:
                warnings.extend(f"{cpath}: {w}" for w in loaded.warnings)
            cartilage[bone] = (loaded.mesh, str(cpath))
    anatomy = anatomy_from_meshes(  # the landmarks, then: are they one knee? (assembly.py)
        meshes[0],
        meshes[1],
        meshes[2],
        meshes[3] if len(meshes) > 3 else None,
        name=Path(femur).stem,
        sources=tuple(str(p) for p in paths),
        cartilage=cartilage,
        fits=fits,
    )
    anatomy = replace(anatomy, knee_spec=KneeSpec.from_files(
        femur, patella, tibia, pelvis, femur_cartilage=femur_cartilage,
        patella_cartilage=patella_cartilage))
    if warnings is not None and anatomy.side == "left":
        warnings.append(
            f"{paths[0]}: a LEFT knee: shown mirrored, as a right knee, so that lateral is on the "
            "same side and + in every measure as for any knee"
        )
    return anatomy


def load_bone_or_partial(path: str | Path, bone: str, warnings: list[str] | None = None
                         ) -> tuple[SurfaceMesh, AtlasFit | None]:
    """load_bone, except that a femur or tibia too short to be whole (a knee MRI's) is fitted
    with the atlas: (mesh, fit) with the fit None for a whole bone. What completing assumed is
    appended to `warnings`."""
    from kneeviz.anatomy.geometry_checks import check_bone_shape
    from kneeviz.anatomy.mesh_io import load_mesh

    loaded = load_mesh(path, max_triangles=PATIENT_MAX_TRIANGLES)
    if warnings is not None:
        warnings.extend(f"{path}: {w}" for w in loaded.warnings)
    check_bone_shape(loaded.mesh, bone, path)
    fit = identify_or_complete(loaded.mesh, bone, path)
    if fit is not None and warnings is not None:
        warnings.append(f"{path}: {completion_sentence(fit)}")
    return loaded.mesh, fit


def completion_sentence(fit: AtlasFit) -> str:
    """What completing a partial bone assumed, for the user."""
    missing = ("the hip centre, the femoral mechanical axis and the pelvis (quadriceps origins)"
               if fit.bone == "femur" else "the ankle centre and the tibial mechanical axis")
    return (f"a partial {fit.bone} ({100 * fit.coverage:.0f} % of its articular end): {missing} "
            f"are ESTIMATED from the LLP26 atlas {fit.bone}, scaled by {fit.scale:.2f} and fitted "
            f"to it (RMS {fit.rms_mm:.1f} mm)")


def identify_or_complete(mesh: SurfaceMesh, bone: str, path: str | Path) -> AtlasFit | None:
    """Check that `mesh` is the `bone` it was given as; a femur or tibia too short to be whole is
    fitted with the atlas (returned), anything else wrong is a MeshError naming `path`.

    A piece the whole-bone rules cannot name (landmarks.identify_bone: a knee MRI's distal femur
    or proximal tibia, of any length) is fitted to the atlas bone it was given as; if that fails
    and it fits the other knee bone, it is that bone given in the wrong place; if it fits neither
    at all, nobody can tell which bone it is."""
    from kneeviz.anatomy.completion import NotThisBoneError, fit_atlas
    from kneeviz.anatomy.landmarks import identify_bone

    try:
        found = identify_bone(mesh)
    except MeshError as exc:
        if bone not in ("femur", "tibia"):
            raise MeshError(exc.problem, path) from None
        return _fit_piece(mesh, bone, path, exc.problem)
    ok = found == bone or (bone == "tibia" and found in ("tibia", "fibula"))
    if not ok and bone in ("femur", "tibia") and found == "patella":
        try:  # a small distal femur or proximal tibia
            return fit_atlas(mesh, bone, str(path))
        except NotThisBoneError:
            pass
    if not ok:
        raise MeshError(f"this looks like a {found}, not a {bone}: give the {bone} file here", path)
    return None


def _fit_piece(mesh: SurfaceMesh, bone: str, path: str | Path, why: str) -> AtlasFit:
    """A piece of `bone` completed from the atlas, or the one line that says what it is not."""
    from kneeviz.anatomy.completion import NotThisBoneError, fit_atlas

    try:
        return fit_atlas(mesh, bone, str(path))
    except MeshError as exc:
        own = exc
    other = "tibia" if bone == "femur" else "femur"
    try:
        fit = fit_atlas(mesh, other, str(path))
    except NotThisBoneError as exc_other:
        if isinstance(own, NotThisBoneError):
            raise MeshError(
                f"cannot tell which bone this is: {why.split(': ', 1)[-1]}; as a piece it fits "
                f"neither the atlas femur's knee end (RMS {own.rms_mm:.1f} mm as the {bone}) nor "
                f"the tibia's (RMS {exc_other.rms_mm:.1f} mm; a match is under "
                f"{own.limit_mm:g}): export one bone per file, in mm, holding its knee end, and "
                f"run 'kneeviz check-mesh' on it to see what it is found to be", path) from None
        raise own from None
    except MeshError:
        raise own from None
    raise MeshError(
        f"this looks like a partial {other} (it fits the atlas {other}, RMS {fit.rms_mm:.1f} mm), "
        f"not a {bone}: give the {bone} file here", path)
