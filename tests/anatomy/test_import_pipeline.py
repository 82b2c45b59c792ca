"""A patient's files end to end: load (units), identify (bone, side), build an Anatomy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from kneeviz.anatomy.build import anatomy_from_files
from kneeviz.anatomy.landmarks import analyse_bone
from kneeviz.anatomy.mesh_io import load_mesh
from kneeviz.errors import KneevizError

ICL = {
    "femur": "ICL_MRI_femur_r.stl",
    "patella": "ICL_MRI_patella_r.stl",
    "tibia": "ICL_MRI_tibia_r.stl",
}


def _write(src: Path, dst: Path, scale: float, mirror: bool) -> Path:
    tm = trimesh.load_mesh(src, process=False)
    v = np.asarray(tm.vertices) * scale
    f = np.asarray(tm.faces)
    if mirror:
        v[:, 0] *= -1.0
        f = f[:, ::-1]
    trimesh.Trimesh(v, f, process=False).export(dst)
    return dst


@pytest.mark.parametrize(("scale", "units"), [(1.0, "mm"), (0.001, "m")])
@pytest.mark.parametrize("mirror", [False, True])
def test_icl_bones_units_bone_and_side(
    shared_meshes_dir: Path, tmp_path: Path, scale: float, units: str, mirror: bool
) -> None:
    for bone, name in ICL.items():
        path = _write(shared_meshes_dir / "ICL_MRI" / name, tmp_path / name, scale, mirror)
        loaded = load_mesh(path)
        assert loaded.units == units, (bone, loaded.units)
        found = analyse_bone(loaded.mesh)
        assert found.bone == bone
        assert found.side == ("left" if mirror else "right"), (bone, found.side)


def test_icl_knee_builds_an_anatomy_with_cartilage(shared_meshes_dir: Path, tmp_path: Path) -> None:
    files = [shared_meshes_dir / "ICL_MRI" / ICL[b] for b in ("femur", "patella", "tibia")]
    right_notes: list[str] = []
    right = anatomy_from_files(*files, warnings=right_notes)
    assert right.side == "right"
    assert not any("LEFT knee" in n for n in right_notes)
    assert right.femur_cartilage.n_triangles > 2000
    assert right.patella_cartilage.n_triangles > 500
    # the mirrored (left) knee gives the same model-frame anatomy, flagged as left
    mirrored = [_write(p, tmp_path / p.name, 1.0, True) for p in files]
    left_notes: list[str] = []
    left = anatomy_from_files(*mirrored, warnings=left_notes)
    assert left.side == "left"
    # the user is told the knee is shown mirrored, naming the femur file
    assert [n for n in left_notes if "LEFT knee" in n] == [
        f"{mirrored[0]}: a LEFT knee: shown mirrored, as a right knee, so that lateral is on the "
        "same side and + in every measure as for any knee"
    ]
    assert np.allclose(
        left.femur_landmarks.hip_centre_mm, right.femur_landmarks.hip_centre_mm, atol=1.0
    )
    assert np.allclose(left.T_femur_tibia_ref[:3, 3], right.T_femur_tibia_ref[:3, 3], atol=1.0)


def test_swapped_files_are_refused_naming_the_file(shared_meshes_dir: Path) -> None:
    d = shared_meshes_dir / "ICL_MRI"
    with pytest.raises(KneevizError) as err:
        anatomy_from_files(d / ICL["patella"], d / ICL["femur"], d / ICL["tibia"])
    assert "ICL_MRI_patella_r.stl" in str(err.value) and "not a femur" in str(err.value)
