"""Scenario files: round trip, the same squat after reopening, atomic saves, clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from export_fixtures import short_scenario, short_trajectory
from kneeviz.errors import KneevizError
from kneeviz.scenario import Scenario
from kneeviz.scenario_file import (
    FORMAT_VERSION,
    KneeRef,
    ScenarioFile,
    anatomy_for,
    file_sha256,
    load_scenario_file,
    save_scenario_file,
    scenario_file_dict,
)
from kneeviz.simulation import simulate
from kneeviz.view_state import ViewState

ROOT = Path(__file__).resolve().parents[2]


def _doc(**scenario_overrides: float) -> ScenarioFile:
    return ScenarioFile(
        scenario=short_scenario("pfp", **scenario_overrides),
        view=ViewState(camera="skyline", heatmap=True, overlays=frozenset({"groove", "pull"}),
                       see_through=True, follow=False, underside=True),
        name="lecture 4: pfp", frame=3, playback_speed=0.5,
    )


def _mesh_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for bone in ("femur", "patella", "tibia"):
        p = tmp_path / f"{bone}.stl"
        p.write_bytes(f"solid {bone}\nendsolid {bone}\n".encode())
        files[bone] = p
    return files


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    meshes = _mesh_files(tmp_path)
    doc = replace(
        _doc(femoral_internal_rotation_deg=11.5, body_mass_kg=82.0, vmo_strength=0.6,
             insall_salvati_ratio=1.3, max_flexion_deg=95.0),
        knee=KneeRef.from_files(meshes["femur"], meshes["patella"], meshes["tibia"]),
    )
    path = save_scenario_file(tmp_path / "a.kneeviz.json", doc)
    back = load_scenario_file(path)
    assert back == doc
    data = json.loads(path.read_text())
    assert data["format"] == "kneeviz-scenario" and data["version"] == FORMAT_VERSION
    assert data["knee"]["patella"]["sha256"] == file_sha256(meshes["patella"])
    assert set(data["scenario"]) == set(Scenario().to_dict())


def test_reopened_scenario_reproduces_the_trajectory(tmp_path: Path) -> None:
    doc = _doc()
    path = save_scenario_file(tmp_path / "squat.kneeviz.json", doc)
    back = load_scenario_file(path)
    a = short_trajectory("pfp")  # the saved scenario's squat (shared with the other tests)
    assert a.scenario == doc.scenario
    b = simulate(anatomy_for(back), back.scenario)
    assert a.n_frames == b.n_frames == doc.scenario.n_frames
    for key in a.values:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    np.testing.assert_array_equal(a.T_world_patella, b.T_world_patella)
    np.testing.assert_array_equal(a.patella_pressure_mpa, b.patella_pressure_mpa)
    # ...and the comparison can fail: another hip rotation moves the kneecap elsewhere.
    c = short_trajectory("healthy")
    assert not np.array_equal(a.T_world_patella, c.T_world_patella)


def test_a_failed_save_leaves_the_old_file_intact(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = save_scenario_file(tmp_path / "s.kneeviz.json", _doc())
    before = path.read_bytes()

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    # the crash after the new text is written but before it replaces the old file
    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(KneevizError, match="No space left"):
        save_scenario_file(path, _doc(femoral_internal_rotation_deg=20.0))
    monkeypatch.undo()
    # the crash while flushing the new text to disk
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(KneevizError, match="could not save"):
        save_scenario_file(path, _doc(femoral_internal_rotation_deg=20.0))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.kneeviz.json"]
    # and a save that goes through replaces it whole
    save_scenario_file(path, _doc(femoral_internal_rotation_deg=20.0))
    assert load_scenario_file(path).scenario.femoral_internal_rotation_deg == 20.0


def test_a_process_killed_mid_save_leaves_the_old_file_intact(tmp_path: Path) -> None:
    """A hard crash (no exception handler runs) just before the rename: the old file survives."""
    path = save_scenario_file(tmp_path / "s.kneeviz.json", _doc())
    before = path.read_bytes()
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from export_fixtures import short_scenario
        from kneeviz.scenario_file import ScenarioFile, save_scenario_file
        os.replace = lambda *a: os._exit(9)
        save_scenario_file({str(path)!r}, ScenarioFile(short_scenario("severe")))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 9, r.stderr
    assert path.read_bytes() == before
    assert load_scenario_file(path).scenario.preset == "pfp"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.kneeviz.json"
    p.write_text(text)
    return p


def _good_dict() -> dict:
    return scenario_file_dict(_doc())


def test_corrupt_json_names_the_file_and_line(tmp_path: Path) -> None:
    text = json.dumps(_good_dict(), indent=2)
    lines = text.splitlines()
    lines[5] = lines[5].rstrip(",") + " oops,"
    p = _write(tmp_path, "\n".join(lines))
    with pytest.raises(KneevizError) as e:
        load_scenario_file(p)
    msg = str(e.value)
    assert str(p) in msg and "invalid JSON at line 6" in msg


def test_truncated_file_is_corrupt(tmp_path: Path) -> None:
    text = json.dumps(_good_dict(), indent=2)
    p = _write(tmp_path, text[: len(text) // 2])
    with pytest.raises(KneevizError, match=r"corrupt scenario file: invalid JSON at line \d+"):
        load_scenario_file(p)


def test_future_version_says_update(tmp_path: Path) -> None:
    d = _good_dict()
    d["version"] = FORMAT_VERSION + 1
    p = _write(tmp_path, json.dumps(d))
    with pytest.raises(KneevizError) as e:
        load_scenario_file(p)
    msg = str(e.value)
    assert str(p) in msg and f"version {FORMAT_VERSION + 1} is newer" in msg
    assert "update kneeviz" in msg


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(version=0), "unknown scenario format version 0"),
        (lambda d: d.update(version="1"), '"version" must be a whole number'),
        (lambda d: d.update(format="something-else"), "not a kneeviz scenario file"),
        (lambda d: d["scenario"].update(femoral_internal_rotation_deg=45.0),
         r"scenario.femoral_internal_rotation_deg: .*45 deg is outside -10..30 deg"),
        (lambda d: d["scenario"].update(frame_rate_hz="fast"),
         r"scenario.frame_rate_hz: .*must be a number"),
        (lambda d: d["scenario"].update(knee_size=3), "unknown scenario key"),
        (lambda d: d["view"].update(camera="top"), "view.camera: 'top' is not one of"),
        (lambda d: d["view"].update(camera_frame="ceiling"),
         "view.camera_frame: 'ceiling' is not one of thigh, room"),
        (lambda d: d["view"].update(frame=-1), "view.frame"),
        (lambda d: d.update(knee={"femur": {"path": "f.stl", "sha256": "00"}}),
         "lacks the patella, tibia"),
        (lambda d: d.update(extra=1), "unknown key"),
        (lambda d: d.pop("scenario"), '"scenario" section is missing'),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    d = _good_dict()
    mutate(d)
    p = _write(tmp_path, json.dumps(d))
    with pytest.raises(KneevizError, match=expected) as e:
        load_scenario_file(p)
    assert str(e.value).startswith(str(p))


def test_nan_is_refused(tmp_path: Path) -> None:
    text = json.dumps(_good_dict()).replace('"body_mass_kg": 70.0', '"body_mass_kg": NaN')
    with pytest.raises(KneevizError, match="NaN is not allowed"):
        load_scenario_file(_write(tmp_path, text))


def test_missing_and_changed_meshes(tmp_path: Path) -> None:
    meshes = _mesh_files(tmp_path)
    doc = replace(_doc(), knee=KneeRef.from_files(meshes["femur"], meshes["patella"],
                                                  meshes["tibia"]))
    path = save_scenario_file(tmp_path / "k.kneeviz.json", doc)
    meshes["patella"].write_bytes(b"solid other\nendsolid other\n")
    with pytest.raises(KneevizError, match="patella mesh file .* has changed since the scenario"):
        load_scenario_file(path)
    meshes["patella"].unlink()
    with pytest.raises(KneevizError, match="patella mesh file .* is missing"):
        load_scenario_file(path)
    # without the mesh check the file still opens (e.g. to show what it asks for)
    assert load_scenario_file(path, check_meshes=False).scenario == doc.scenario


def test_meshes_moved_with_the_scenario_are_found(tmp_path: Path) -> None:
    src = tmp_path / "a"
    src.mkdir()
    meshes = _mesh_files(src)
    doc = replace(_doc(), knee=KneeRef.from_files(meshes["femur"], meshes["patella"],
                                                  meshes["tibia"]))
    save_scenario_file(src / "k.kneeviz.json", doc)
    moved = tmp_path / "b"
    src.rename(moved)
    back = load_scenario_file(moved / "k.kneeviz.json")
    assert back.knee.mesh("tibia") is not None
    assert Path(back.knee.mesh("tibia").path).parent == moved.resolve()  # type: ignore[union-attr]


def test_not_found_empty_and_binary(tmp_path: Path) -> None:
    with pytest.raises(KneevizError, match="scenario file not found"):
        load_scenario_file(tmp_path / "nope.kneeviz.json")
    with pytest.raises(KneevizError, match="empty"):
        load_scenario_file(_write(tmp_path, "  \n"))
    p = tmp_path / "bin.kneeviz.json"
    p.write_bytes(b"{\n\xff\xfe")
    with pytest.raises(KneevizError, match="not a text .* line 2"):
        load_scenario_file(p)


def test_app_command_refuses_a_bad_scenario_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.kneeviz.json"
    bad.write_text('{"format": "kneeviz-scenario", "version": 7}')
    r = subprocess.run([sys.executable, "-m", "kneeviz", "--scenario", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "version 7 is newer" in lines[0] and str(bad) in lines[0]


def test_the_default_knee_keeps_its_sulcus_angle(tmp_path: Path) -> None:
    """The groove's re-cut belongs to the knee: saved under "knee", read back as the knee's; an
    older file that kept it in "scenario" still opens as the same knee."""
    doc = replace(_doc(), knee=KneeRef.default(150.0))
    path = save_scenario_file(tmp_path / "d.kneeviz.json", doc)
    data = json.loads(path.read_text())
    assert data["knee"] == {"sulcus_angle_deg": 150.0}
    assert "sulcus_angle_deg" not in data["scenario"]
    back = load_scenario_file(path)
    assert back == doc and back.knee.spec.sulcus_angle_deg == 150.0
    data["knee"] = "default"
    data["scenario"]["sulcus_angle_deg"] = 150.0
    path.write_text(json.dumps(data))
    assert load_scenario_file(path).knee == doc.knee
    data["scenario"]["sulcus_angle_deg"] = 190.0
    path.write_text(json.dumps(data))
    with pytest.raises(KneevizError, match="sulcus_angle_deg.*outside 120..165"):
        load_scenario_file(path)


def test_a_version_1_file_opens_with_its_view(tmp_path: Path) -> None:
    """Files saved before the view state was one model (version 1: "follow_knee", no overlays)
    open as they were saved."""
    data = scenario_file_dict(_doc())
    data["version"] = 1
    data["view"] = {"camera": "side", "heatmap": True, "frame": 2, "follow_knee": False,
                    "playback_speed": 0.5}
    path = tmp_path / "old.kneeviz.json"
    path.write_text(json.dumps(data))
    doc = load_scenario_file(path)
    assert (doc.view.camera, doc.view.heatmap, doc.view.follow) == ("side", True, False)
    assert doc.view.camera_frame == "room"  # the side view's own frame, as it was shown
    assert (doc.frame, doc.playback_speed) == (2, 0.5)
    assert doc.view.overlays == ViewState().overlays
    data["view"]["overlays"] = ["groove"]  # not a version 1 key
    path.write_text(json.dumps(data))
    with pytest.raises(KneevizError, match="unknown view key"):
        load_scenario_file(path)


def test_the_whole_view_state_is_saved() -> None:
    """Every field of the one view-state model is in the file (no list of them kept by hand)."""
    from dataclasses import fields

    view = scenario_file_dict(_doc())["view"]
    assert {f.name for f in fields(ViewState)} | {"frame", "playback_speed"} == set(view)


@pytest.mark.parametrize(("camera", "frame"), [("closeup", "thigh"), ("skyline", "thigh"),
                                               ("front", "room")])
def test_a_file_saved_before_the_camera_frame_opens_in_its_cameras_frame(
        tmp_path: Path, camera: str, frame: str) -> None:
    """Files saved before the camera could ride with the thigh bone have no "camera_frame": each
    camera opens in the frame it is chosen in (the close-up and the skyline held to the thigh
    bone, the front view to the room); a saved frame is kept."""
    data = scenario_file_dict(_doc())
    data["view"]["camera"] = camera
    del data["view"]["camera_frame"]
    path = _write(tmp_path, json.dumps(data))
    assert load_scenario_file(path).view.camera_frame == frame
    data["view"]["camera_frame"] = "room"
    path.write_text(json.dumps(data))
    assert load_scenario_file(path).view.camera_frame == "room"
