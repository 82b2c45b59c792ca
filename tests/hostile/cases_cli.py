"""Hostile command lines, run in-process through kneeviz.cli.main as a user's shell would: every
bad value is the one line `kneeviz: error: ...` naming the option or value, exit 2."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from hostile_core import REFUSED, Case
from kneeviz.errors import KneevizError


def cli(argv: list[str]) -> tuple[int, str]:
    from kneeviz.cli import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = int(exc.code) if isinstance(exc.code, int) else 2
    return rc, err.getvalue()


def _case(name: str, argv_for, names: tuple[str, ...]) -> Case:  # type: ignore[no-untyped-def]
    def run(folder: Path) -> str:
        rc, err = cli([str(a) for a in argv_for(folder)])
        lines = [ln for ln in err.splitlines() if not ln.startswith("kneeviz: warning: ")]
        assert rc == 2, f"exit {rc}, stderr {err[:300]!r}"
        assert len(lines) == 1 and lines[0].startswith("kneeviz: error: "), \
            f"not one error line: {err[:300]!r}"
        raise KneevizError(lines[0])
    return Case("cli", name, run, names=names, expect=(REFUSED,))


FLOAT_OPTIONS = {
    "simulate": ("--femoral-ir", "--hip-adduction", "--max-flexion", "--body-mass",
                 "--vmo-strength", "--insall-salvati", "--frame-rate", "--descent", "--ascent",
                 "--sulcus-angle"),
    "render": ("--femoral-ir", "--hip-adduction", "--max-flexion", "--descent", "--ascent",
               "--fps", "--flexion"),
}
BAD_FLOATS = ("abc", "", "1,5", "nan", "inf", "-inf", "1e999", "9" * 400)


def cases() -> list[Case]:
    out: list[Case] = []
    for command, options in FLOAT_OPTIONS.items():
        suffix = ".json" if command == "simulate" else ".png"
        for option in options:
            for value in BAD_FLOATS:
                label = value if len(value) < 10 else f"{len(value)}-digits"
                out.append(_case(
                    f"{command}{option}={label or 'empty'}",
                    lambda f, c=command, o=option, v=value, s=suffix: [c, f"{o}={v}", "--out",
                                                                      f / f"x{s}"],
                    (option, "deg", "outside", "invalid", "value", "finite", value[:8] or "''"),
                ))
    out += [
        _case("simulate-no-out", lambda f: ["simulate"], ("--out",)),
        _case("render-no-out", lambda f: ["render"], ("--out",)),
        _case("simulate-bad-preset", lambda f: ["simulate", "--preset", "zzz", "--out",
                                                f / "x.json"], ("zzz",)),
        _case("render-bad-view", lambda f: ["render", "--view", "fisheye", "--out", f / "x.png"],
              ("fisheye",)),
        _case("render-bad-size", lambda f: ["render", "--size", "big", "--out", f / "x.png"],
              ("big",)),
        _case("render-huge-size", lambda f: ["render", "--size", "99999x99999", "--out",
                                             f / "x.png"], ("99999",)),
        _case("render-nan-size", lambda f: ["render", "--size", "nanxnan", "--out", f / "x.png"],
              ("nan",)),
        _case("render-bad-suffix", lambda f: ["render", "--out", f / "x.avi"], ("x.avi",)),
        _case("simulate-bad-suffix", lambda f: ["simulate", "--out", f / "x.xlsx"], ("x.xlsx",)),
        _case("simulate-out-folder-missing", lambda f: ["simulate", "--out",
                                                        f / "no" / "x.json"], ("no",)),
        _case("simulate-out-through-file", lambda f: ["simulate", "--out",
                                                      _touch(f / "a") / "x.json"], ("a",)),
        _case("simulate-out-long-name", lambda f: ["simulate", "--out",
                                                   f / ("n" * 300 + ".json")], ("nnnn",)),
        _case("simulate-two-of-three", lambda f: ["simulate", "--femur", f / "f.stl", "--patella",
                                                  f / "p.stl", "--out", f / "x.json"],
              ("--tibia",)),
        _case("simulate-femur-fifo", lambda f: _fifo_knee(f), ("fifo.stl",)),
        _case("simulate-femur-devzero", lambda f: ["simulate", "--femur", "/dev/zero",
                                                   "--patella", "/dev/zero", "--tibia",
                                                   "/dev/zero", "--out", f / "x.json"],
              ("/dev/zero",)),
        _case("render-scenario-fifo", lambda f: _fifo_scenario(f), ("fifo.kneeviz.json",)),
        _case("render-scenario-devzero", lambda f: ["render", "--scenario", "/dev/zero",
                                                    "--out", f / "x.png"], ("/dev/zero",)),
        _case("unknown-option", lambda f: ["simulate", "--warp", "--out", f / "x.json"],
              ("--warp",)),
        _case("unknown-command-option", lambda f: ["--bogus"], ("--bogus",)),
        _case("check-mesh-nothing", lambda f: ["check-mesh"], ("FILE",)),
        _case("check-mesh-fifo", lambda f: ["check-mesh", _mkfifo(f / "m.stl")], ("m.stl",)),
        _case("check-mesh-max-tri", lambda f: ["check-mesh", "--max-triangles", "x", "a.stl"],
              ("--max-triangles",)),
        _case("render-flexion-video", lambda f: ["render", "--flexion", "30", "--out",
                                                 f / "x.mp4"], ("--flexion",)),
        _case("render-scenario-named-4.9MB", lambda f: _long_named_scenario(f),
              ("long.kneeviz.json",)),
        _case("simulate-out-link-to-dev-full", lambda f: ["simulate", "--out",
                                                          _link(f / "full.json", "/dev/full")],
              ("full.json",)),
        _case("render-out-link-to-dev-full", lambda f: ["render", "--flexion", "10", "--out",
                                                        _link(f / "full.png", "/dev/full")],
              ("full.png",)),
        # the take-home files (issue 29): refused before any solve
        _case("report-bad-suffix", lambda f: ["report", "--out", f / "r.docx"], ("r.docx",)),
        _case("report-no-suffix", lambda f: ["report", "--out", f / "report"], ("report",)),
        _case("report-no-out", lambda f: ["report"], ("--out",)),
        _case("report-bad-page", lambda f: ["report", "--page", "a5", "--out", f / "r.pdf"],
              ("a5",)),
        _case("report-out-folder-missing", lambda f: ["report", "--out", f / "no" / "r.pdf"],
              ("no",)),
        _case("report-out-long-name", lambda f: ["report", "--out", f / ("n" * 300 + ".pdf")],
              ("nnnn",)),
        _case("report-note-control", lambda f: ["report", "--note", "hi\x07there", "--out",
                                                f / "r.pdf"], ("note", "U+0007")),
        _case("report-note-too-long", lambda f: ["report", "--note", "x" * 5000, "--out",
                                                 f / "r.pdf"], ("note", "5000")),
        _case("report-name-too-long", lambda f: ["report", "--clinician", "Dr " * 100, "--out",
                                                 f / "r.pdf"], ("clinician",)),
        _case("report-note-file-missing", lambda f: ["report", "--note-file", f / "none.txt",
                                                     "--out", f / "r.pdf"], ("none.txt",)),
        _case("report-note-file-binary", lambda f: ["report", "--note-file",
                                                    _bytes(f / "n.txt", b"\xff\xfe\x00x"),
                                                    "--out", f / "r.pdf"], ("n.txt",)),
        _case("report-note-file-devzero", lambda f: ["report", "--note-file", "/dev/zero",
                                                     "--out", f / "r.pdf"], ("/dev/zero",)),
        _case("export-3d-gltf", lambda f: ["export-3d", "--out", f / "k.gltf"], ("k.gltf",)),
        _case("export-3d-usdz", lambda f: ["export-3d", "--out", f / "k.usdz"], ("k.usdz",)),
        _case("export-3d-flexion-nan", lambda f: ["export-3d", "--flexion", "nan", "--out",
                                                  f / "k.glb"], ("--flexion", "nan")),
        _case("export-3d-flexion-far", lambda f: ["export-3d", "--flexion", "400", "--out",
                                                  f / "k.glb"], ("--flexion",)),
        _case("take-home-into-file", lambda f: ["take-home", "--out", _touch(f / "visit")],
              ("visit",)),
        _case("take-home-pdf-name", lambda f: ["take-home", "--out", f / "visit.pdf"],
              ("visit.pdf",)),
        _case("take-home-missing-parent", lambda f: ["take-home", "--out", f / "no" / "visit"],
              ("no",)),
    ]
    return out


def _link(p: Path, to: str) -> Path:
    p.symlink_to(to)
    return p


def _bytes(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def _touch(p: Path) -> Path:
    p.write_text("")
    return p


def _mkfifo(p: Path) -> Path:
    import os

    os.mkfifo(p)
    return p


def _fifo_knee(f: Path) -> list[object]:
    fifo = _mkfifo(f / "fifo.stl")
    return ["simulate", "--femur", fifo, "--patella", fifo, "--tibia", fifo, "--out",
            f / "x.json"]


def _fifo_scenario(f: Path) -> list[object]:
    return ["render", "--scenario", _mkfifo(f / "fifo.kneeviz.json"), "--out", f / "x.png"]


def _long_named_scenario(f: Path) -> list[object]:
    """A scenario file whose name is 4.9 million digits (under the 5 MB cap): it rendered into
    the caption, where Pillow refused it with a traceback (issue 26)."""
    import json

    from kneeviz.scenario import Scenario
    from kneeviz.scenario_file import ScenarioFile, scenario_file_dict

    doc = scenario_file_dict(ScenarioFile(scenario=Scenario.from_preset("pfp",
                                                                        max_flexion_deg=30)))
    doc["name"] = "8" * 4_900_000
    path = f / "long.kneeviz.json"
    path.write_text(json.dumps(doc))
    return ["render", "--scenario", path, "--flexion", "20", "--size", "320x240", "--out",
            f / "x.png"]
