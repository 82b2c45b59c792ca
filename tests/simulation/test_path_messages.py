"""Issue 8 (hostile input): a path that goes THROUGH a regular file (`femur.stl/extra.stl`) or
through a folder that does not exist is refused with a message that names the culprit (the file
standing where a folder should be, or the missing folder) and says what to do, for every path a
user types: meshes, scenario files (read, saved, and the meshes they point to) and data exports.
The operating system's own words ("Not a directory", "No such file or directory") name neither.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from export_fixtures import short_scenario, short_trajectory
from kneeviz.anatomy.mesh_io import load_mesh
from kneeviz.errors import KneevizError, MeshError
from kneeviz.file_paths import blocking_file, folder_problem, missing_folder
from kneeviz.scenario_file import (
    KneeRef,
    ScenarioFile,
    file_sha256,
    load_scenario_file,
    save_scenario_file,
)
from kneeviz.trajectory_file import write_trajectory

NOT_A_FOLDER = "is a file, not a folder"


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    """A regular file with the user's content (it must be left as it is)."""
    p = tmp_path / "femur.stl"
    p.write_bytes(b"solid femur\nendsolid femur\n")
    return p


def _says_file_not_folder(message: str, blocker: Path) -> None:
    assert f"{blocker} {NOT_A_FOLDER}" in message
    assert "does not exist" not in message and "not found" not in message
    assert "Not a directory" not in message  # the OS's words, which name nothing


def test_the_culprit_is_found(tmp_path: Path, a_file: Path) -> None:
    assert blocking_file(a_file / "extra.stl") == a_file
    assert blocking_file(a_file / "a" / "b" / "extra.stl") == a_file
    assert blocking_file(tmp_path / "extra.stl") is None
    assert missing_folder(tmp_path / "x" / "y" / "extra.stl") == tmp_path / "x"
    assert missing_folder(a_file) is None
    assert folder_problem(tmp_path) is None
    assert folder_problem(a_file) is not None and str(a_file) in str(folder_problem(a_file))


@pytest.mark.parametrize("below", [("extra.stl",), ("sub", "extra.stl")])
def test_mesh_through_a_file(a_file: Path, below: tuple[str, ...]) -> None:
    path = a_file.joinpath(*below)
    with pytest.raises(MeshError) as err:
        load_mesh(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")  # the path given, then what is wrong with it
    _says_file_not_folder(message, a_file)
    assert "give the path of the file itself" in message


def test_mesh_in_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "scans" / "2024" / "femur.stl"
    with pytest.raises(MeshError) as err:
        load_mesh(path)
    assert f"the folder {tmp_path / 'scans'} does not exist" in str(err.value)


def test_check_mesh_through_a_file_is_one_line(a_file: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "kneeviz", "check-mesh", str(a_file / "x.stl")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("kneeviz: error: ")
    _says_file_not_folder(line, a_file)


def test_scenario_file_through_a_file(a_file: Path) -> None:
    path = a_file / "knee.kneeviz.json"
    with pytest.raises(KneevizError) as err:
        load_scenario_file(path)
    _says_file_not_folder(str(err.value), a_file)
    assert "scenario file" in str(err.value)


def test_scenario_saved_through_a_file_keeps_the_file(a_file: Path) -> None:
    before = a_file.read_bytes()
    doc = ScenarioFile(scenario=short_scenario("pfp"))
    with pytest.raises(KneevizError) as err:
        save_scenario_file(a_file / "knee.kneeviz.json", doc)
    message = str(err.value)
    assert "cannot save here" in message and "choose a folder" in message
    _says_file_not_folder(message, a_file)
    assert a_file.read_bytes() == before
    assert sorted(p.name for p in a_file.parent.iterdir()) == ["femur.stl"]


def test_scenario_saved_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    doc = ScenarioFile(scenario=short_scenario("pfp"))
    with pytest.raises(KneevizError, match=r"the folder .*lectures does not exist; create it"):
        save_scenario_file(tmp_path / "lectures" / "knee.kneeviz.json", doc)


def test_mesh_hash_through_a_file(a_file: Path) -> None:
    with pytest.raises(KneevizError) as err:
        file_sha256(a_file / "patella.stl")
    _says_file_not_folder(str(err.value), a_file)


def test_scenario_pointing_to_a_mesh_through_a_file(tmp_path: Path, a_file: Path) -> None:
    """A scenario whose saved femur path now runs through a file: the message says so."""
    meshes = {}
    for bone in ("femur", "patella", "tibia"):
        p = tmp_path / "scan" / f"{bone}.stl"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(f"solid {bone}\nendsolid {bone}\n".encode())
        meshes[bone] = p
    doc = replace(ScenarioFile(scenario=short_scenario("pfp")),
                  knee=KneeRef.from_files(meshes["femur"], meshes["patella"], meshes["tibia"]))
    saved = tmp_path / "elsewhere" / "k.kneeviz.json"
    saved.parent.mkdir()
    save_scenario_file(saved, doc)
    data = json.loads(saved.read_text())
    data["knee"]["femur"]["path"] = str(a_file / "femur.stl")
    saved.write_text(json.dumps(data))
    with pytest.raises(KneevizError) as err:
        load_scenario_file(saved)
    message = str(err.value)
    assert "femur mesh file" in message and "is missing" in message
    _says_file_not_folder(message, a_file)


@pytest.mark.parametrize("name", ["out.csv", "out.json"])
def test_data_export_through_a_file(a_file: Path, name: str) -> None:
    before = a_file.read_bytes()
    target = a_file / name
    with pytest.raises(KneevizError) as err:
        write_trajectory(target, short_trajectory("pfp"))
    message = str(err.value)
    assert message.startswith(f"{target}: cannot save here")
    _says_file_not_folder(message, a_file)
    assert a_file.read_bytes() == before


def test_data_export_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    target = tmp_path / "results" / "today" / "out.csv"
    with pytest.raises(KneevizError) as err:
        write_trajectory(target, short_trajectory("pfp"))
    assert f"the folder {tmp_path / 'results'} does not exist" in str(err.value)
    assert not (tmp_path / "results").exists()
