"""Hostile scenario files: special paths, damaged JSON, absurd numbers and nesting, wrong types
for every parameter, mesh references that point at FIFOs, devices, nowhere or 5,000 characters."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from hostile_core import REFUSED, RESULT, Case
from kneeviz.scenario import Scenario
from kneeviz.scenario_file import (
    FORMAT_VERSION,
    ScenarioFile,
    load_scenario_file,
    save_scenario_file,
    scenario_file_dict,
)

GOOD = scenario_file_dict(ScenarioFile(scenario=Scenario.from_preset("pfp")))
SHA = "0" * 64


def _good_loads(path: Path, doc: dict[str, Any]) -> str:
    """A file that loads must give exactly the scenario it says."""
    loaded = load_scenario_file(path)
    for key, value in doc.get("scenario", {}).items():
        got = getattr(loaded.scenario, key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert math.isclose(float(got), float(value)), f"{key}: {got} != {value}"
        else:
            assert got == value, f"{key}: {got!r} != {value!r}"
    return RESULT


def _text_case(name: str, text: str | bytes, expect: tuple[str, ...] = (REFUSED,),
               doc: dict[str, Any] | None = None) -> Case:
    def run(folder: Path) -> str:
        path = folder / f"{name}.kneeviz.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        if doc is not None:
            return _good_loads(path, doc)
        load_scenario_file(path)
        raise AssertionError(f"{name} loaded")
    return Case("scenario", name, run, names=(f"{name}.kneeviz.json",), expect=expect)


def _with(**changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        keys = dotted.split("__")
        node = doc
        for k in keys[:-1]:
            node = node[k]
        if value is _DROP:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return doc


_DROP = object()


def damaged_json_cases() -> list[Case]:
    good = json.dumps(GOOD, indent=2)
    out = [_text_case("good", good, (RESULT,), GOOD)]
    for frac in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99):
        out.append(_text_case(f"cut{int(frac * 100)}", good[: int(len(good) * frac)]))
    out += [
        _text_case("deep-list-33", "[" * 33 + "]" * 33),
        _text_case("deep-list-1000", "[" * 1000 + "]" * 1000),
        _text_case("deep-list-100000", "[" * 100_000 + "]" * 100_000),
        _text_case("deep-object-5000", '{"a":' * 5000 + "1" + "}" * 5000),
        _text_case("deep-inside", good.replace('"name": ""', '"name": ' + "[" * 50_000 + "]"
                                               * 50_000)),
        _text_case("deep-unclosed", "[" * 200_000),
        _text_case("bom", "\ufeff" + good),
        _text_case("utf16", good.encode("utf-16")),
        _text_case("latin1", good.replace('"name": ""', '"name": "caf\u00e9"').encode("latin-1")),
        _text_case("binary", bytes(range(256)) * 10),
        _text_case("nan-token", good.replace('"body_mass_kg": 70.0', '"body_mass_kg": NaN')),
        _text_case("infinity-token", good.replace('"body_mass_kg": 70.0',
                                                  '"body_mass_kg": Infinity')),
        _text_case("1e999", good.replace('"body_mass_kg": 70.0', '"body_mass_kg": 1e999')),
        _text_case("int-400-digits", good.replace('"body_mass_kg": 70.0',
                                                  '"body_mass_kg": ' + "9" * 400)),
        _text_case("int-5000-digits", good.replace('"body_mass_kg": 70.0',
                                                   '"body_mass_kg": ' + "7" * 5000)),
        _text_case("float-3MB", good.replace('"body_mass_kg": 70.0',
                                             '"body_mass_kg": 70.' + "0" * 3_000_000)),
        _text_case("float-6MB", good.replace('"body_mass_kg": 70.0',
                                             '"body_mass_kg": 7' + "0" * 6_000_000)),
        _text_case("string-6MB", good.replace('"name": ""', '"name": "' + "x" * 6_000_000 + '"')),
        # under the 5 MB file cap: a name of 4.9 million digits loaded, and the caption's text
        # drawing ended in a traceback ("ValueError: too many characters in string"); a preset
        # as long was refused with the whole value in the message (issue 26)
        _text_case("name-4.9MB-digits", good.replace('"name": ""',
                                                     '"name": "' + "8" * 4_900_000 + '"')),
        _text_case("preset-4.9MB", good.replace('"preset": "pfp"',
                                                '"preset": "' + "8" * 4_900_000 + '"')),
        _text_case("array", "[]"), _text_case("null", "null"), _text_case("number", "42"),
        _text_case("empty", ""), _text_case("spaces", "   \n\t  "),
        _text_case("two-docs", good + good),
        _text_case("trailing-comma", good.rstrip().rstrip("}") + ",}"),
        _text_case("comment", "// a comment\n" + good),
        _text_case("duplicate-key", good.replace(f'"version": {FORMAT_VERSION}',
                                                 f'"version": {FORMAT_VERSION}, "version": 99')),
    ]
    return out


def value_cases() -> list[Case]:
    bad_values: dict[str, Any] = {
        "str": "12", "list": [1], "dict": {"a": 1}, "null": None, "true": True, "neg": -1e9,
        "big": 1e300, "tiny": 1e-320, "int40": int("9" * 40),
    }
    out = []
    for key in ("femoral_internal_rotation_deg", "hip_adduction_deg", "max_flexion_deg",
                "descent_s", "frame_rate_hz", "body_mass_kg", "vmo_strength",
                "insall_salvati_ratio", "sulcus_angle_deg", "preset"):
        for label, value in bad_values.items():
            if key == "sulcus_angle_deg" and value is None:
                continue  # null is this field's "not set"
            doc = _with(**{f"scenario__{key}": value})  # in range (1e-320 may be): the value
            out.append(_text_case(f"{key}={label}", json.dumps(doc), (REFUSED, RESULT), doc))
    out += [
        _text_case("format-missing", json.dumps(_with(format=_DROP))),
        _text_case("format-wrong", json.dumps(_with(format="kneeviz-trajectory"))),
        _text_case("version-newer", json.dumps(_with(version=FORMAT_VERSION + 1))),
        _text_case("version-0", json.dumps(_with(version=0))),
        _text_case("version-str", json.dumps(_with(version="1"))),
        _text_case("version-float", json.dumps(_with(version=1.5))),
        _text_case("unknown-key", json.dumps(_with(extra=1))),
        _text_case("scenario-missing", json.dumps(_with(scenario=_DROP))),
        _text_case("scenario-list", json.dumps(_with(scenario=[]))),
        _text_case("unknown-param", json.dumps(_with(scenario__warp_drive=1))),
        _text_case("view-camera", json.dumps(_with(view__camera="fisheye"))),
        _text_case("view-camera-frame", json.dumps(_with(view__camera_frame="ceiling"))),
        _text_case("view-camera-frame-list", json.dumps(_with(view__camera_frame=["thigh"]))),
        _text_case("view-frame-neg", json.dumps(_with(view__frame=-1))),
        _text_case("view-speed-nan", json.dumps(_with(view__playback_speed=1e308))),
        _text_case("knee-number", json.dumps(_with(knee=3))),
        _text_case("knee-partial", json.dumps(_with(knee={"femur": {"path": "f", "sha256": SHA}}))),
        _text_case("knee-bad-sha", json.dumps(_with(knee={
            b: {"path": f"{b}.stl", "sha256": "xyz"} for b in ("femur", "patella", "tibia")}))),
    ]
    return out


def _knee_doc(folder: Path, femur: str) -> dict[str, Any]:
    (folder / "patella.stl").write_bytes(b"x")
    (folder / "tibia.stl").write_bytes(b"x")
    knee = {"femur": {"path": femur, "sha256": SHA},
            "patella": {"path": str(folder / "patella.stl"), "sha256": SHA},
            "tibia": {"path": str(folder / "tibia.stl"), "sha256": SHA}}
    return _with(knee=knee)


def _mesh_ref_case(name: str, femur_for) -> Case:  # type: ignore[no-untyped-def]
    def run(folder: Path) -> str:
        path = folder / f"{name}.kneeviz.json"
        path.write_text(json.dumps(_knee_doc(folder, femur_for(folder))))
        load_scenario_file(path)
        raise AssertionError("loaded with a broken mesh reference")
    return Case("scenario", f"mesh-{name}", run, names=(f"{name}.kneeviz.json", "fifo",
                                                        "/dev/zero", "femur"),
                expect=(REFUSED,))


def mesh_ref_cases() -> list[Case]:
    def fifo(folder: Path) -> str:
        os.mkfifo(folder / "femur-fifo.stl")
        return str(folder / "femur-fifo.stl")

    return [
        _mesh_ref_case("fifo", fifo),
        _mesh_ref_case("devzero", lambda f: "/dev/zero"),
        _mesh_ref_case("folder", lambda f: str(f)),
        _mesh_ref_case("missing", lambda f: str(f / "nowhere" / "femur.stl")),
        _mesh_ref_case("long", lambda f: "/" + "f" * 5000 + ".stl"),
        _mesh_ref_case("long-component", lambda f: str(f / ("f" * 300 + ".stl"))),
        _mesh_ref_case("nul", lambda f: "femur\u0000.stl"),
        _mesh_ref_case("tilde", lambda f: "~nosuchuser/femur.stl"),
        _mesh_ref_case("changed", lambda f: (f / "femur.stl").write_bytes(b"new") and
                       str(f / "femur.stl")),
    ]


def _path_case(name: str, make, expect: tuple[str, ...] = (REFUSED,)) -> Case:  # type: ignore[no-untyped-def]
    def run(folder: Path) -> str:
        load_scenario_file(make(folder))
        raise AssertionError("loaded")
    return Case("scenario", f"path-{name}", run,
                names=(name, "/dev/", "aaaa", "fifo", "~", "scenario"), expect=expect)


def path_cases() -> list[Case]:
    def fifo(folder: Path) -> Path:
        os.mkfifo(folder / "fifo.kneeviz.json")
        return folder / "fifo.kneeviz.json"

    def home_unknown(folder: Path) -> Path:
        import pwd

        old_home, old_get = os.environ.pop("HOME", None), pwd.getpwuid

        def no_user(uid: int) -> Any:
            raise KeyError(uid)

        pwd.getpwuid = no_user  # type: ignore[assignment]
        try:
            load_scenario_file("~/lecture.kneeviz.json")
        finally:
            pwd.getpwuid = old_get  # type: ignore[assignment]
            if old_home is not None:
                os.environ["HOME"] = old_home
        raise AssertionError("loaded")

    cases = [
        _path_case("fifo", fifo),
        _path_case("/dev/zero", lambda f: Path("/dev/zero")),
        _path_case("/dev/null", lambda f: Path("/dev/null")),
        _path_case("/dev/urandom", lambda f: Path("/dev/urandom")),
        _path_case("folder", lambda f: f),
        _path_case("aaaa", lambda f: f / ("a" * 5000)),
        _path_case("nul", lambda f: str(f) + "/x\0.json"),
        _path_case("missing", lambda f: f / "missing.kneeviz.json"),
        _path_case("big", lambda f: _big(f)),
        Case("scenario", "path-home-unset", lambda f: home_unknown(f), names=("~", "HOME"),
             expect=(REFUSED,)),
    ]
    return cases


def _big(folder: Path) -> Path:
    p = folder / "big.kneeviz.json"
    with open(p, "wb") as fh:
        fh.truncate(3_000_000_000)  # sparse: refused by its size, never read
    return p


def round_trip_case() -> Case:
    def run(folder: Path) -> str:
        doc = ScenarioFile(scenario=Scenario.from_preset("severe"), name="x" * 300)
        path = save_scenario_file(folder / "r.kneeviz.json", doc)
        assert load_scenario_file(path) == doc
        return RESULT
    return Case("scenario", "round-trip", run, expect=(RESULT,))


def cases() -> list[Case]:
    return (damaged_json_cases() + value_cases() + mesh_ref_cases() + path_cases()
            + [round_trip_case()])
