"""`kneeviz check-mesh` run as a user runs it (a subprocess): facts on stdout, errors on stderr."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from kneeviz.anatomy.atlas import atlas_bone

KEY_VALUE = re.compile(r"^[a-z][^:]*: \S.*$")


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kneeviz", "check-mesh", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def write_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> Path:
    trimesh.Trimesh(vertices, faces, process=False).export(path)
    return path


def facts_of(stdout: str) -> dict[str, dict[str, list[str]]]:
    """{file: {key: [values]}} from the report, checking every line is `key: value`."""
    out: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        if not line:
            continue
        assert KEY_VALUE.match(line), f"not a key: value line: {line!r}"
        key, value = line.split(": ", 1)
        if key == "file":
            current = out.setdefault(value, {})
            continue
        current.setdefault(key, []).append(value)
    return out


@pytest.fixture(scope="module")
def atlas_patella_stl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = atlas_bone("patella")
    return write_stl(tmp_path_factory.mktemp("cli") / "patella.stl", m.vertices_mm, m.faces)


def test_good_file_reports_facts(atlas_patella_stl: Path) -> None:
    out = run_cli(atlas_patella_stl)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert out.stdout.splitlines()[0] == f"file: {atlas_patella_stl}"
    facts = facts_of(out.stdout)[str(atlas_patella_stl)]
    assert facts["format"] == ["STL (binary)"]
    assert facts["triangles"] == [str(atlas_bone("patella").n_triangles)]
    assert int(facts["vertices"][0]) > 0
    assert facts["watertight"] == ["yes"]
    assert facts["bodies"] == ["1"]
    assert facts["units"] == ["mm"]
    assert facts["scale to mm"] == ["1"]
    assert facts["bone"] == ["patella"]
    assert "warning" not in facts


def test_metres_are_detected_and_said(tmp_path: Path) -> None:
    m = atlas_bone("femur")
    path = write_stl(tmp_path / "femur_m.stl", m.vertices_mm / 1000.0, m.faces)
    out = run_cli(path)
    assert out.returncode == 0, out.stderr
    facts = facts_of(out.stdout)[str(path)]
    assert facts["units"] == ["m"]
    assert facts["scale to mm"] == ["1000"]
    assert any("metres" in w for w in facts["warning"])
    assert facts["bone"] == ["femur"]


def _bad_files(tmp: Path) -> dict[str, Path]:
    """One file of every refused kind."""
    files: dict[str, Path] = {"missing": tmp / "missing.stl"}
    (tmp / "empty.stl").write_bytes(b"")
    files["empty"] = tmp / "empty.stl"
    junk = np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    (tmp / "junk.stl").write_bytes(junk)
    files["junk"] = tmp / "junk.stl"
    (tmp / "image.stl").write_bytes(b"\x89PNG\r\n\x1a\n" + junk)
    files["image"] = tmp / "image.stl"
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=20.0)
    full = write_stl(tmp / "full.stl", sphere.vertices, sphere.faces).read_bytes()
    (tmp / "truncated.stl").write_bytes(full[: len(full) - 70])
    files["truncated"] = tmp / "truncated.stl"
    trimesh.PointCloud(sphere.vertices).export(tmp / "cloud.ply")
    files["point cloud"] = tmp / "cloud.ply"
    (tmp / "lines.obj").write_text("v 0 0 0\nv 40 0 0\nv 0 40 0\nl 1 2 3\n")
    files["lines"] = tmp / "lines.obj"
    files["absurd size"] = write_stl(tmp / "huge.stl", sphere.vertices * 100.0, sphere.faces)
    nan = sphere.vertices.copy()
    nan[:, 1] = np.nan
    files["nan"] = write_stl(tmp / "nan.stl", nan, sphere.faces)
    files["folder"] = tmp
    return files


def test_every_refused_kind_gets_one_error_line(tmp_path: Path, atlas_patella_stl: Path) -> None:
    bad = _bad_files(tmp_path)
    out = run_cli(*bad.values(), atlas_patella_stl)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    errors = out.stderr.strip().splitlines()
    assert len(errors) == len(bad), out.stderr
    for kind, path in bad.items():
        mine = [e for e in errors if e.startswith(f"kneeviz: error: {path}: ")]
        assert len(mine) == 1, f"{kind}: {out.stderr}"
        assert len(mine[0]) > len(f"kneeviz: error: {path}: ") + 10
    # the good file after them is still reported in full
    facts = facts_of(out.stdout)
    assert list(facts) == [str(atlas_patella_stl)]
    assert facts[str(atlas_patella_stl)]["units"] == ["mm"]


@pytest.mark.parametrize("kind", ["junk", "truncated", "point cloud"])
def test_single_refused_file_exits_2(tmp_path: Path, kind: str) -> None:
    path = _bad_files(tmp_path)[kind]
    out = run_cli(path)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.startswith(f"kneeviz: error: {path}: ")
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_real_meshes(shared_meshes_dir: Path, tmp_path: Path) -> None:
    icl = shared_meshes_dir / "ICL_MRI"
    patella = trimesh.load(icl / "ICL_MRI_patella_r.stl", process=False)
    in_metres = write_stl(tmp_path / "patella_in_m.stl", patella.vertices / 1000.0, patella.faces)
    out = run_cli(icl / "ICL_MRI_femur_r.stl", icl / "ICL_MRI_patella_r.stl", in_metres)
    assert out.returncode == 0, out.stderr
    facts = facts_of(out.stdout)
    femur = facts[str(icl / "ICL_MRI_femur_r.stl")]
    assert femur["units"] == ["mm"] and femur["bone"] == ["femur"] and femur["side"] == ["right"]
    assert facts[str(icl / "ICL_MRI_patella_r.stl")]["units"] == ["mm"]
    assert facts[str(in_metres)]["units"] == ["m"]
    assert facts[str(in_metres)]["bone"] == ["patella"]


def test_a_mesh_that_is_no_known_bone_shows_its_facts_and_the_error(tmp_path: Path) -> None:
    """A clean mesh the landmark finder cannot name (a 100 x 90 x 80 mm blob): facts + error."""
    blob = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    blob.apply_scale([50.0, 45.0, 40.0])
    path = write_stl(tmp_path / "blob.stl", blob.vertices, blob.faces)
    out = run_cli(path)
    assert out.returncode == 2
    facts = facts_of(out.stdout)[str(path)]
    assert facts["units"] == ["mm"] and facts["watertight"] == ["yes"]
    assert "bone" not in facts
    assert out.stderr.startswith(f"kneeviz: error: {path}: ")
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_check_mesh_reports_a_segmented_cartilage_layer_on_its_bone() -> None:
    """--femur-cartilage / --patella-cartilage: each layer is checked on the FILE found to be its
    bone, and its thickness is reported (the Lenhart 2015 knee, in metres, the femur partial);
    the same figures as the loader's own check of that layer."""
    from kneeviz.anatomy.mesh_io import load_mesh
    from kneeviz.anatomy.own_cartilage import check_on_bone
    from lenhart_fixture import LENHART_DIR, require_lenhart

    require_lenhart()

    def f(name: str) -> Path:
        return LENHART_DIR / f"lenhart2015-R-{name}.stl"

    r = run_cli(f("femur-subchondral-bone"), f("patella-bone"),
                "--femur-cartilage", f("femur-cartilage"),
                "--patella-cartilage", f("patella-cartilage"))
    assert r.returncode == 0, r.stderr
    facts = facts_of(r.stdout)
    for bone, bone_file in (("femur", "femur-subchondral-bone"), ("patella", "patella-bone")):
        layer = facts[str(f(f"{bone}-cartilage"))]
        assert layer["cartilage of"] == [bone]
        own = check_on_bone(load_mesh(f(f"{bone}-cartilage")).mesh,
                            load_mesh(f(bone_file)).mesh, bone, "x")
        thickness = layer["cartilage thickness (from the bone)"][0]
        assert thickness.startswith(f"median {own.thickness_median_mm:.1f} mm, 95th percentile "
                                    f"{own.thickness_p95_mm:.1f} mm")
        assert 0.5 < own.thickness_median_mm < 5.0
        assert layer["cartilage on its bone"][0].endswith("of the bone (deep surface)")

    # the patella's layer given as the femur's: refused, naming the file; the bones still checked
    wrong = run_cli(f("femur-subchondral-bone"), "--femur-cartilage", f("patella-cartilage"))
    assert wrong.returncode == 2
    assert f"kneeviz: error: {f('patella-cartilage')}: " in wrong.stderr
    assert "does not sit on the femur" in wrong.stderr or "times the size" in wrong.stderr
    assert "bone: femur (partial)" in wrong.stdout
    # a layer whose bone is not among the FILEs
    alone = run_cli(f("patella-bone"), "--femur-cartilage", f("femur-cartilage"))
    assert alone.returncode == 2 and "no FILE was found to be a femur" in alone.stderr
