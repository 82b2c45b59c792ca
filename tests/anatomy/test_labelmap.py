"""Segmentation label maps to meshes (issue 17): a knee MRI's field of view voxelised at a knee
MRI's spacing with an oblique affine loads back within 1 mm and simulates; bad label maps are
refused naming the file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

nib = pytest.importorskip("nibabel", reason="the optional 'mri' extra (nibabel) is not installed")
pytest.importorskip("skimage", reason="the optional 'mri' extra (scikit-image) is not installed")

from kneeviz.anatomy.labelmap import (  # noqa: E402
    anatomy_from_label_map,
    parse_label_specs,
    read_label_image,
    surfaces_from_labels,
)
from kneeviz.anatomy.mesh import SurfaceMesh  # noqa: E402
from kneeviz.errors import MeshError  # noqa: E402
from labelmap_fixtures import voxelise  # noqa: E402
from partial_fixtures import ICL_DIR, icl_pieces  # noqa: E402

KNEE_MRI_SPACING_MM = (0.5, 0.5, 1.0)
LABELS = {"femur": 1, "patella": 2, "tibia": 3}


def oblique_affine(spacing: tuple[float, float, float]) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    A = np.eye(4)
    A[:3, :3] = Rotation.from_euler("xyz", [12, -8, 20], degrees=True).as_matrix() @ np.diag(
        spacing)
    A[:3, 3] = [10.0, -20.0, 5.0]
    return A


@lru_cache(maxsize=1)
def knee_label_map(folder: str) -> tuple[Path, dict[str, SurfaceMesh]]:
    from kneeviz.anatomy.mesh_io import load_mesh

    p = icl_pieces()
    originals = {"femur": p["femur_partial"],
                 "patella": load_mesh(ICL_DIR / "ICL_MRI_patella_r.stl").mesh,
                 "tibia": p["tibia_partial"]}
    labels, affine = voxelise({LABELS[k]: m for k, m in originals.items()},
                              oblique_affine(KNEE_MRI_SPACING_MM))
    path = Path(folder) / "knee.nii.gz"
    nib.save(nib.Nifti1Image(labels, affine), str(path))
    return path, originals


@pytest.fixture(scope="module")
def knee_nifti(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, SurfaceMesh]]:
    return knee_label_map(str(tmp_path_factory.mktemp("labels")))


def _rms_to(surface: SurfaceMesh, points: np.ndarray) -> float:
    import trimesh

    tm = trimesh.Trimesh(surface.vertices_mm, surface.faces, process=False)
    _, d, _ = trimesh.proximity.closest_point(tm, points)
    return float(np.sqrt(np.mean(d**2)))


@pytest.mark.slow
def test_knee_mri_label_map_loads_back_within_1_mm(knee_nifti) -> None:  # type: ignore[no-untyped-def]
    path, originals = knee_nifti
    surfaces = surfaces_from_labels(path, LABELS)
    rng = np.random.default_rng(0)
    for tissue, original in originals.items():
        got = surfaces[tissue]
        there = got.vertices_mm[rng.choice(got.n_vertices, 2000)]
        back = original.vertices_mm[rng.choice(original.n_vertices, 2000)]
        assert _rms_to(original, there) < 1.0, tissue  # every surface point on the original
        assert _rms_to(got, back) < 1.0, tissue  # and the whole original reproduced


@pytest.mark.slow
@pytest.mark.usefixtures("shared_grid_cache")
def test_knee_mri_label_map_simulates(knee_nifti) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    path, _ = knee_nifti
    warnings: list[str] = []
    a = anatomy_from_label_map(path, LABELS, warnings)
    assert a.completion is not None and a.completion.bones == ("femur", "tibia")
    assert any("label femur=1" in w and "partial femur" in w for w in warnings)
    tr = simulate(a, Scenario.from_preset("healthy", max_flexion_deg=60.0, frame_rate_hz=5.0))
    assert tr.converged.all() and not np.any(tr["dislocated"])


def _ball_image(spacing: tuple[float, float, float], label: int = 1) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    n = (np.ceil(40.0 / np.array(spacing))).astype(int)
    g = np.stack(np.meshgrid(*[np.arange(k) * s for k, s in zip(n, spacing, strict=True)],
                             indexing="ij"), axis=-1)
    ball = np.linalg.norm(g - 20.0, axis=-1) < 12.0
    return (ball * label).astype(np.uint8), np.diag([*spacing, 1.0])


def test_a_missing_label_is_refused_listing_the_labels_there(tmp_path: Path) -> None:
    data, affine = _ball_image((1.0, 1.0, 1.0), label=5)
    path = tmp_path / "seg.nii.gz"
    nib.save(nib.Nifti1Image(data, affine), str(path))
    with pytest.raises(MeshError, match=r"seg\.nii\.gz: has no label 2 for the patella.*are: 5"):
        surfaces_from_labels(path, {"patella": 2})


def test_a_ball_comes_back_where_and_as_large_as_it_was(tmp_path: Path) -> None:
    data, affine = _ball_image((0.5, 0.5, 1.0))
    affine[:3, 3] = [100.0, -50.0, 30.0]
    path = tmp_path / "ball.nii"
    nib.save(nib.Nifti1Image(data, affine), str(path))
    ball = surfaces_from_labels(path, {"patella": 1})["patella"]
    r = np.linalg.norm(ball.vertices_mm - (affine[:3, 3] + 20.0), axis=1)
    assert abs(float(r.mean()) - 12.0) < 0.5 and float(r.std()) < 0.4


@pytest.mark.parametrize(("spacing", "what"), [((0.4, 0.4, 4.0), "too coarse or too anisotropic"),
                                               ((3.0, 3.0, 3.0), "too coarse")])
def test_coarse_or_anisotropic_voxels_are_refused(tmp_path: Path, spacing, what) -> None:  # type: ignore[no-untyped-def]
    data, affine = _ball_image(spacing)
    path = tmp_path / "thick.nii.gz"
    nib.save(nib.Nifti1Image(data, affine), str(path))
    with pytest.raises(MeshError, match=rf"thick\.nii\.gz: has voxels of .*{what}"):
        read_label_image(path)


def test_sheared_voxels_are_refused(tmp_path: Path) -> None:
    data, affine = _ball_image((1.0, 1.0, 1.0))
    affine[0, 2] = 0.2  # the slice axis leans 11 deg: a gantry tilt
    path = tmp_path / "tilt.nii.gz"
    img = nib.Nifti1Image(data, affine)
    img.set_qform(None, code=0)  # a qform cannot hold a shear; the sform does
    nib.save(img, str(path))
    with pytest.raises(MeshError, match=r"tilt\.nii\.gz: has sheared"):
        read_label_image(path)


def test_a_header_mirrored_between_sform_and_qform_is_refused(tmp_path: Path) -> None:
    data, affine = _ball_image((1.0, 1.0, 1.0))
    img = nib.Nifti1Image(data, affine)
    img.set_sform(affine, code=1)
    img.set_qform(np.diag([-1.0, 1.0, 1.0, 1.0]) @ affine, code=1)
    path = tmp_path / "flip.nii.gz"
    nib.save(img, str(path))
    with pytest.raises(MeshError, match=r"flip\.nii\.gz: .*sform and qform disagree"):
        read_label_image(path)


def test_a_probability_map_is_refused(tmp_path: Path) -> None:
    data, affine = _ball_image((1.0, 1.0, 1.0))
    path = tmp_path / "prob.nii.gz"
    nib.save(nib.Nifti1Image(data.astype(np.float32) * 0.7, affine), str(path))
    with pytest.raises(MeshError, match=r"prob\.nii\.gz: holds fractional values"):
        read_label_image(path)


def test_slicer_seg_nrrd_reads_with_its_lps_space_and_segment_names(tmp_path: Path) -> None:
    nrrd = pytest.importorskip("nrrd")
    data, _ = _ball_image((1.0, 1.0, 1.0), label=3)
    path = tmp_path / "knee.seg.nrrd"
    header = {"space": "left-posterior-superior", "space directions": np.eye(3),
              "space origin": np.array([5.0, 6.0, 7.0]), "Segment0_Name": "patella",
              "Segment0_LabelValue": "3"}
    nrrd.write(str(path), data, header)
    image = read_label_image(path)
    assert image.names == {3: "patella"}
    ball = surfaces_from_labels(path, {"patella": 3})["patella"]
    centre = ball.vertices_mm.mean(axis=0)
    np.testing.assert_allclose(centre, [-(5.0 + 20.0), -(6.0 + 20.0), 7.0 + 20.0], atol=0.3)
    with pytest.raises(MeshError, match=r"has no label 1 for the femur.*3 \(patella\)"):
        surfaces_from_labels(path, {"femur": 1})


def test_label_specs() -> None:
    assert parse_label_specs(["femur=1", "femur-cartilage=4"]) == {"femur": 1,
                                                                   "femur_cartilage": 4}
    with pytest.raises(MeshError, match="NAME=VALUE"):
        parse_label_specs(["knee=1"])
    with pytest.raises(MeshError, match="whole number"):
        parse_label_specs(["femur=one"])


def test_scenario_file_names_a_label_map_and_cartilage_files_with_hashes(tmp_path: Path) -> None:
    from kneeviz.anatomy.knee_spec import KneeSpec
    from kneeviz.errors import KneevizError
    from kneeviz.scenario import Scenario
    from kneeviz.scenario_file import KneeRef, ScenarioFile, load_scenario_file, save_scenario_file

    scan = tmp_path / "scan.nii.gz"
    scan.write_bytes(b"labels")
    ref = KneeRef.from_spec(KneeSpec.from_files(None, None, None, labels=scan, label_values={
        "femur": 1, "patella": 2, "tibia": 3}))
    path = save_scenario_file(tmp_path / "a.kneeviz.json",
                              ScenarioFile(Scenario.from_preset("healthy"), ref))
    back = load_scenario_file(path)
    assert dict(back.knee.label_values) == {"femur": 1, "patella": 2, "tibia": 3}
    assert back.knee.mesh("labels") == ref.mesh("labels")
    scan.write_bytes(b"other labels")  # a replaced label map is noticed, not silently used
    with pytest.raises(KneevizError, match="labels mesh file .* has changed"):
        load_scenario_file(path)
    files = {}
    for role in ("femur", "patella", "tibia", "femur_cartilage"):
        files[role] = tmp_path / f"{role}.stl"
        files[role].write_bytes(role.encode())
    ref = KneeRef.from_spec(KneeSpec.from_files(files["femur"], files["patella"], files["tibia"],
                                                femur_cartilage=files["femur_cartilage"]))
    path = save_scenario_file(tmp_path / "b.kneeviz.json",
                              ScenarioFile(Scenario.from_preset("healthy"), ref))
    back = load_scenario_file(path)
    assert back.knee.mesh("femur_cartilage") == ref.mesh("femur_cartilage")
    assert back.knee.spec.femur_cartilage == ref.mesh("femur_cartilage").path  # type: ignore[union-attr]
