"""Segmentation label maps (NIfTI .nii/.nii.gz, 3D Slicer .seg.nrrd) to bone and cartilage meshes.

Segmentation tools save label maps more often than meshes: one integer image in which every voxel
holds the label of the tissue it belongs to. For each named label:
1. the voxels of that label, cropped to their bounding box (plus a margin), are smoothed with a
   Gaussian of SMOOTH_MM (in mm, so anisotropic voxels are smoothed alike in every direction) and
   turned into a surface by scikit-image's marching cubes at the 0.5 level, in voxel coordinates;
2. the vertices go to scanner coordinates (mm) through the image's own voxel-to-world affine (the
   NIfTI sform/qform, the NRRD space directions and origin), so spacing and orientation are the
   file's; a mirroring affine flips the triangles so that normals stay outward;
3. the surface is decimated to the triangle counts the model uses (TARGET_TRIANGLES) and the
   pinholes decimation leaves are closed (a closed bone is what the contact model expects).
Refused, with the file and what to do: an image that is not 3D integer labels, a named label
that is not in the image, voxels coarser than MAX_SPACING_MM or more anisotropic than
MAX_ANISOTROPY (2D slice stacks cannot give a 3D bone), sheared voxel axes, and a header whose
qform and sform disagree on handedness (one of them is mirrored: the knee's side is unknown).

Nothing here unpickles or evaluates file content: nibabel and pynrrd read the headers as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.errors import MeshError

if TYPE_CHECKING:
    from kneeviz.anatomy.knee import Anatomy

LABEL_NAMES = ("femur", "patella", "tibia", "pelvis", "femur_cartilage", "patella_cartilage")
"""What a --label NAME=VALUE may name."""
SMOOTH_MM = 0.5
"""Gaussian smoothing of each label's mask before marching cubes (removes voxel steps)."""
MAX_SPACING_MM = 2.0
MAX_ANISOTROPY = 4.0
MAX_SHEAR_DEG = 1.0
TARGET_TRIANGLES = {"femur": 40_000, "tibia": 40_000, "pelvis": 60_000, "patella": 10_000,
                    "femur_cartilage": 30_000, "patella_cartilage": 10_000}
"""Triangles kept per surface: the sizes of the bundled knee's meshes (bone 20-40 thousand)."""
MIN_VOXELS = 50


@dataclass(frozen=True)
class LabelImage:
    """A 3D label image and its voxel-to-world affine (mm)."""

    labels: np.ndarray
    affine: FloatArray
    path: str
    names: dict[int, str]
    """Label value -> segment name, when the file names its segments (.seg.nrrd)."""

    @property
    def spacing_mm(self) -> FloatArray:
        return np.asarray(np.linalg.norm(self.affine[:3, :3], axis=0))


def parse_label_specs(specs: list[str], where: str = "--label") -> dict[str, int]:
    """NAME=VALUE pairs (femur=1 ...) as a dict; a clear error for anything else."""
    out: dict[str, int] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in LABEL_NAMES:
            raise MeshError(f"{where} {spec!r}: give NAME=VALUE with NAME one of "
                            f"{', '.join(LABEL_NAMES)} (e.g. femur=1)")
        try:
            out[name] = int(value)
        except ValueError:
            raise MeshError(f"{where} {spec!r}: the label value must be a whole number") from None
    return out


def read_label_image(path: str | Path) -> LabelImage:
    """Read a NIfTI or .seg.nrrd label map with its affine; MeshError naming the file if not."""
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise MeshError("no such label map file; check the path", name)
    lower = p.name.lower()
    if lower.endswith((".nii", ".nii.gz")):
        data, affine = _read_nifti(p, name)
        names: dict[int, str] = {}
    elif lower.endswith(".nrrd"):
        data, affine, names = _read_nrrd(p, name)
    else:
        raise MeshError("is not a label map kneeviz reads: save it as NIfTI (.nii, .nii.gz) or "
                        "3D Slicer segmentation (.seg.nrrd)", name)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise MeshError(f"holds a {data.ndim}-D image; a label map is one 3-D image of whole "
                        "numbers (export the segmentation as a single labelmap volume)", name)
    if not np.issubdtype(data.dtype, np.integer):
        if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
            raise MeshError("holds fractional values, not labels: export the segmentation as "
                            "a labelmap (whole numbers per tissue), not a probability map", name)
        data = data.astype(np.int32)
    _check_geometry(affine, name)
    return LabelImage(np.asarray(data), affine, name, names)


def _read_nifti(p: Path, name: str) -> tuple[np.ndarray, FloatArray]:
    try:
        import nibabel as nib
    except ImportError:
        raise MeshError("reading label maps needs the optional 'mri' extra: pip install "
                        "'kneeviz[mri]' (nibabel, scikit-image, pynrrd)", name) from None
    try:
        img: Any = nib.load(str(p))
        data = np.asarray(img.dataobj)
        header: Any = img.header
    except Exception as exc:  # a corrupt file can break the reader in many ways
        raise MeshError(f"could not be read as NIfTI ({type(exc).__name__}: {exc}); export it "
                        "again", name) from None
    sform, s_code = header.get_sform(coded=True)
    qform, q_code = header.get_qform(coded=True)
    coded = sform is not None and qform is not None and int(s_code) > 0 and int(q_code) > 0
    if coded and np.sign(np.linalg.det(sform[:3, :3])) != np.sign(np.linalg.det(qform[:3, :3])):
        raise MeshError(
            "its header's sform and qform disagree on left and right (one of them is "
            "mirrored), so the knee's side is unknown: fix the orientation in your "
            "segmentation tool (e.g. re-save from 3D Slicer) and export again", name)
    affine: FloatArray = np.asarray(img.affine, dtype=np.float64)
    # NIfTI world space is RAS; kneeviz needs only a consistent frame in mm (side comes from
    # the bones' shapes), so the affine is used as it is.
    return data, affine


def _read_nrrd(p: Path, name: str) -> tuple[np.ndarray, FloatArray, dict[int, str]]:
    try:
        import nrrd
    except ImportError:
        raise MeshError("reading .seg.nrrd needs the optional 'mri' extra: pip install "
                        "'kneeviz[mri]' (nibabel, scikit-image, pynrrd)", name) from None
    try:
        data, header = nrrd.read(str(p))
    except Exception as exc:
        raise MeshError(f"could not be read as NRRD ({type(exc).__name__}: {exc}); export it "
                        "again", name) from None
    dirs = header.get("space directions")
    origin = header.get("space origin")
    if dirs is None or origin is None:
        raise MeshError("has no 'space directions' / 'space origin': its voxel size and "
                        "position are unknown; export it from 3D Slicer as .seg.nrrd", name)
    rows = [np.asarray(d, dtype=float) for d in dirs if d is not None and np.all(np.isfinite(
        np.asarray(d, dtype=float)))]
    if data.ndim == 4:  # Slicer's layered segmentations: the first axis is the layer
        if data.shape[0] != 1:
            raise MeshError("holds overlapping segment layers: in 3D Slicer, export the "
                            "segmentation to a labelmap volume (one label per voxel)", name)
        data = data[0]
    if len(rows) != 3:
        raise MeshError("does not give three spatial axes in 'space directions'", name)
    affine = np.eye(4)
    affine[:3, :3] = np.column_stack(rows)
    affine[:3, 3] = np.asarray(origin, dtype=float)
    space = str(header.get("space", "")).lower()
    if space in ("left-posterior-superior", "lps"):
        affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine  # LPS -> RAS, as NIfTI
    names: dict[int, str] = {}
    for key, value in header.items():
        if key.startswith("Segment") and key.endswith("_LabelValue"):
            stem = key[: -len("_LabelValue")]
            try:
                names[int(value)] = str(header.get(f"{stem}_Name", stem))
            except ValueError:
                continue
    return data, affine, names


def _check_geometry(affine: FloatArray, name: str) -> None:
    """Voxels fine and near-isotropic enough for a 3D bone, axes not sheared."""
    if not np.all(np.isfinite(affine)):
        raise MeshError("its voxel-to-world affine has non-finite numbers: fix the header", name)
    A = affine[:3, :3]
    spacing = np.linalg.norm(A, axis=0)
    if np.any(spacing <= 0):
        raise MeshError("has a zero voxel size in its header: fix the header", name)
    if float(spacing.max()) > MAX_SPACING_MM or float(spacing.max() / spacing.min()) > (
        MAX_ANISOTROPY
    ):
        raise MeshError(
            f"has voxels of {' x '.join(f'{s:.2g}' for s in spacing)} mm: too coarse or too "
            f"anisotropic for a 3-D bone surface (at most {MAX_SPACING_MM:g} mm and "
            f"{MAX_ANISOTROPY:g} : 1); segment a 3-D sequence, or resample to finer, near-"
            "isotropic voxels first", name)
    U = A / spacing
    G = U.T @ U
    off = np.abs(G[np.triu_indices(3, 1)])
    shear_deg = float(np.degrees(np.arcsin(np.clip(off.max(), 0.0, 1.0))))
    if shear_deg > MAX_SHEAR_DEG:
        raise MeshError(
            f"has sheared (oblique, non-perpendicular) voxel axes ({shear_deg:.1f} deg off "
            "square, e.g. a gantry-tilted acquisition): resample it to a regular grid first", name)


def label_surface(image: LabelImage, value: int, tissue: str) -> SurfaceMesh:
    """The surface of one label in world coordinates (mm); see the module docstring."""
    from scipy.ndimage import gaussian_filter
    from skimage.measure import marching_cubes

    mask = image.labels == value
    count = int(mask.sum())
    if count < MIN_VOXELS:
        found = sorted(int(v) for v in np.unique(image.labels) if v != 0)
        named = ", ".join(f"{v}" + (f" ({image.names[v]})" if v in image.names else "")
                          for v in found[:20]) or "none"
        raise MeshError(
            f"has no label {value} for the {tissue} ({count} voxels); the labels in it are: "
            f"{named}. Give --label {tissue}=VALUE with one of them", image.path)
    spacing = image.spacing_mm
    sigma = SMOOTH_MM / spacing
    pad = np.ceil(3 * sigma).astype(int) + 2
    idx = np.argwhere(mask)
    lo = np.maximum(idx.min(axis=0) - pad, 0)
    hi = np.minimum(idx.max(axis=0) + pad + 1, mask.shape)
    crop = np.zeros(tuple(int(h - lo_) + 2 for h, lo_ in zip(hi, lo, strict=True)),
                    dtype=np.float32)
    crop[1:-1, 1:-1, 1:-1] = mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    smooth = gaussian_filter(crop, sigma=sigma)
    verts, faces, _, _ = marching_cubes(smooth, level=0.5)
    verts = verts + lo - 1.0  # back to the full image's voxel indices
    mesh = SurfaceMesh(np.asarray(verts, dtype=float), np.asarray(faces, dtype=np.int64))
    # skimage winds triangles for its gradient direction (into the mask): make them outward
    if _signed_volume(mesh) < 0:
        mesh = SurfaceMesh(mesh.vertices_mm, mesh.faces[:, ::-1].copy())
    world = mesh.transformed(image.affine)  # flips faces for a mirroring affine
    target = TARGET_TRIANGLES.get(tissue, 40_000)
    if world.n_triangles > target:
        from kneeviz.anatomy.io_repair import fill_small_holes
        from kneeviz.anatomy.mesh_io import _reduce

        v, f, _ = _reduce(world.vertices_mm, world.faces, target, image.path)
        # decimation may drop a few degenerate triangles: close those pinholes, because the
        # contact model tells a closed bone's outside from its signed volume
        v, f, _, _ = fill_small_holes(v, f, 10.0, 10.0)
        world = SurfaceMesh(v, f)
    return world


def _signed_volume(mesh: SurfaceMesh) -> float:
    t = mesh.vertices_mm[mesh.faces]
    return float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6.0)


def surfaces_from_labels(path: str | Path, labels: dict[str, int]) -> dict[str, SurfaceMesh]:
    """One surface per named tissue ({"femur": 1, ...}) from a label map file (mm)."""
    image = read_label_image(path)
    return {tissue: label_surface(image, value, tissue) for tissue, value in labels.items()}


def anatomy_from_label_map(path: str | Path, labels: dict[str, int],
                           warnings: list[str] | None = None) -> Anatomy:
    """A knee from a label map: femur, patella and tibia labels (pelvis and cartilage optional).

    Partial bones are completed from the atlas and cartilage labels used as the patient's own
    cartilage, exactly as for mesh files (kneeviz.anatomy.build)."""
    from kneeviz.anatomy.build import anatomy_from_meshes, completion_sentence, identify_or_complete
    from kneeviz.anatomy.completion import AtlasFit

    missing = [b for b in ("femur", "patella", "tibia") if b not in labels]
    if missing:
        raise MeshError(f"name the {', '.join(missing)} label(s) too: --label "
                        + " --label ".join(f"{b}=VALUE" for b in missing), str(path))
    surfaces = surfaces_from_labels(path, labels)
    fits: dict[str, AtlasFit] = {}
    for bone in ("femur", "patella", "tibia", "pelvis"):
        if bone not in surfaces:
            continue
        where = f"{path} (label {bone}={labels[bone]})"
        fit = identify_or_complete(surfaces[bone], bone, where)
        if fit is not None:
            fits[bone] = fit
            if warnings is not None:
                warnings.append(f"{where}: {completion_sentence(fit)}")
    cartilage = {
        bone: (surfaces[f"{bone}_cartilage"], f"{path} (label {bone}_cartilage="
               f"{labels[f'{bone}_cartilage']})")
        for bone in ("femur", "patella") if f"{bone}_cartilage" in surfaces
    }
    from dataclasses import replace

    anatomy = anatomy_from_meshes(
        surfaces["femur"], surfaces["patella"], surfaces["tibia"], surfaces.get("pelvis"),
        name=Path(path).name.split(".")[0], sources=(str(path),), cartilage=cartilage, fits=fits,
    )
    from kneeviz.anatomy.knee_spec import KneeSpec

    return replace(anatomy, knee_spec=KneeSpec.from_files(None, None, None, labels=path,
                                                         label_values=labels))
