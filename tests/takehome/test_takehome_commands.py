"""`kneeviz report`, `export-3d` and `take-home` as a user runs them (in-process through
kneeviz.cli.main, a short squat to 50 deg to stay quick): each writes its files from the options
every command shares (a preset, a scenario file), says what it wrote, and leaves no temporary
file behind."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from kneeviz.atomic import TEMP_TAG

SHORT = ["--max-flexion", "50", "--descent", "1.25", "--ascent", "1.25", "--frame-rate", "20"]


def cli(*argv: str | Path) -> tuple[int, str, str]:
    from kneeviz.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:
            rc = int(exc.code) if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def no_temps(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if TEMP_TAG in p.name]


def test_report_from_a_preset(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    rc, out, err = cli("report", "--preset", "pfp", *SHORT, "--clinician", "Dr A. Example",
                       "--note", "Hip exercises daily.", "--out", tmp_path / "r.pdf")
    assert rc == 0, err
    assert "wrote" in out and "1 page" in out and "Typical PFP" in out
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    no_temps(tmp_path)


def test_report_from_a_scenario_file_names_it(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.scenario import Scenario
    from kneeviz.scenario_file import ScenarioFile, save_scenario_file

    doc = tmp_path / "visit.kneeviz.json"
    save_scenario_file(doc, ScenarioFile(scenario=Scenario.from_preset(
        "pfp", max_flexion_deg=50, descent_s=1.25, ascent_s=1.25, frame_rate_hz=20),
        name="Mrs Example, left-sided pain"))
    rc, out, err = cli("report", "--scenario", doc, "--out", tmp_path / "r.pdf")
    assert rc == 0, err
    assert "Mrs Example, left-sided pain" in out
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Mrs Example, left-sided pain" in text


def test_export_3d_animated_and_one_frame(tmp_path: Path) -> None:
    pytest.importorskip("pygltflib", reason="pygltflib (the 'takehome' extra) is missing")
    rc, out, err = cli("export-3d", "--preset", "pfp", *SHORT, "--ghost", "--out",
                       tmp_path / "k.glb")
    assert rc == 0, err
    assert "51 frames over 2.5 s" in out and "healthy kneecap" in out
    rc, out, err = cli("export-3d", "--preset", "pfp", *SHORT, "--flexion", "30", "--out",
                       tmp_path / "k30.glb")
    assert rc == 0, err
    assert "one frame at" in out
    rc, _out, err = cli("export-3d", "--preset", "pfp", *SHORT, "--flexion", "80", "--out",
                        tmp_path / "k80.glb")
    assert rc == 2 and err.startswith("kneeviz: error: --flexion 80") and err.count("\n") == 1
    assert not (tmp_path / "k80.glb").exists()
    no_temps(tmp_path)


@pytest.mark.slow
def test_take_home_writes_the_three_files(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("plotly", reason="plotly (the 'takehome' extra) is missing")
    from kneeviz.takehome.folder import PAGE_NAME, REPORT_NAME, VIDEO_NAME

    out_dir = tmp_path / "visit"
    rc, out, err = cli("take-home", "--preset", "pfp", *SHORT, "--out", out_dir)
    assert rc == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([REPORT_NAME, PAGE_NAME,
                                                                VIDEO_NAME])
    assert b"ftyp" in (out_dir / VIDEO_NAME).read_bytes()[:64]
    assert out.count("wrote") == 3
    no_temps(out_dir)
