"""The app's File menu exports under Xvfb (pytest-qt): video with progress and cancel, data that
matches what the window shows, a captioned screenshot, and scenario files saved and reopened."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from export_fixtures import default_knee, short_scenario  # noqa: E402
from kneeviz.app.window import export_actions as ea  # noqa: E402
from kneeviz.app.window.main_window import MainWindow  # noqa: E402
from kneeviz.scenario_file import load_scenario_file  # noqa: E402

SOLVE_TIMEOUT_MS = 120_000


def _wait(cond, timeout_ms: int) -> None:  # type: ignore[no-untyped-def]
    import time

    from PyQt6.QtWidgets import QApplication

    end = time.monotonic() + timeout_ms / 1000
    while not cond():
        assert time.monotonic() < end, "timed out"
        QApplication.processEvents()
        time.sleep(0.01)


@pytest.fixture(scope="module")
def shared_window(qapp):  # type: ignore[no-untyped-def]
    """One window for the module (opening one and solving its squat takes seconds)."""
    w = MainWindow(default_knee(), short_scenario("pfp"))
    w.resize(900, 640)
    w.show()
    _wait(lambda: w.session.view is not None and w.session.view.solved, SOLVE_TIMEOUT_MS)
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    w.errors = errors  # type: ignore[attr-defined]
    yield w
    ea.wait_for_jobs()
    w.close()


@pytest.fixture
def window(shared_window, qtbot):  # type: ignore[no-untyped-def]
    """The shared window, solved, with no errors recorded yet."""
    shared_window.errors.clear()
    qtbot.waitUntil(lambda: shared_window.session.view is not None
                    and shared_window.session.view.solved, timeout=SOLVE_TIMEOUT_MS)
    yield shared_window
    ea.wait_for_jobs()


def test_export_video_with_progress(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "v.mp4"
    seen: list[int] = []
    export = ea.start_video_export(window, out, size=(320, 240))
    assert export is not None
    export.progressed.connect(lambda d, n: seen.append(d))
    with qtbot.waitSignal(export.finished, timeout=60_000):
        pass
    frames = iio.imread(out)
    n = window.session.view.n_frames
    assert frames.shape == (n, 240, 320, 3)
    assert seen[-1] == n and not window.errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


def test_cancelled_video_leaves_no_file(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "c.mp4"
    export = ea.start_video_export(window, out, size=(320, 240))
    assert export is not None
    with qtbot.waitSignal(export.progressed, timeout=30_000):
        pass
    with qtbot.waitSignal(export.cancelled, timeout=5_000):
        export.cancel()
    assert list(tmp_path.iterdir()) == []
    assert export.done < window.session.view.n_frames


def test_export_data_matches_the_window(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "d.csv"
    done: list[str] = []
    job = ea.start_data_export(window, out, on_done=done.append)
    qtbot.waitUntil(lambda: bool(done) or bool(window.errors), timeout=SOLVE_TIMEOUT_MS)
    assert not window.errors and job is not None
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    view = window.session.view
    assert len(rows) == view.n_frames
    for key in ("knee_flexion_deg", "patella_lateral_tilt_deg", "patella_lateral_shift_mm"):
        np.testing.assert_allclose([float(r[key]) for r in rows], view.measures[key],
                                   rtol=0, atol=1e-9, err_msg=key)


def test_export_screenshot_has_a_caption(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.scene.render import caption_height

    out = ea.export_screenshot(window, tmp_path / "s.png", size=(480, 320))
    img = iio.imread(out)[:, :, :3]
    assert img.shape == (320, 480, 3)
    cap = img[-caption_height((480, 320)):]
    assert (cap.max(axis=2) > 150).mean() > 0.02
    assert (img[: -caption_height((480, 320))].max(axis=2) > 110).mean() > 0.02


def test_save_and_open_scenario(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lecture.kneeviz.json"
    window.set_camera("skyline")
    ea.save_scenario(window, path)
    doc = load_scenario_file(path)
    assert doc.scenario == window.session.scenario and doc.knee.is_default
    assert doc.name == "lecture"
    # change the window, then reopen the file: the scenario comes back
    other = replace(window.session.scenario, femoral_internal_rotation_deg=15.0,
                    preset="custom")
    window.session.set_scenario(other)
    opened: list[bool] = []
    ea.open_scenario(window, path, on_done=lambda: opened.append(True))
    qtbot.waitUntil(lambda: bool(opened), timeout=30_000)
    assert window.session.scenario == doc.scenario and not window.errors


def test_open_corrupt_scenario_shows_the_error(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.kneeviz.json"
    bad.write_text('{"format": "kneeviz-scenario", "version": 1,\n  "scenario": {,}}')
    before = window.session.scenario
    ea.open_scenario(window, bad)
    assert len(window.errors) == 1 and str(bad) in window.errors[0]
    assert "line 2" in window.errors[0]
    assert window.session.scenario == before


def test_file_menu_has_the_exports(window) -> None:  # type: ignore[no-untyped-def]
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    for t in ("Open scenario...", "Save scenario...", "Export video...",
              "Export data (CSV, JSON, NPZ)...", "Export screenshot with caption..."):
        assert t in texts
    assert texts.index("Export video...") < texts.index("&Quit")


def test_camera_is_saved_with_the_scenario(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.set_camera("closeup")
    doc = load_scenario_file(ea.save_scenario(window, tmp_path / "c.kneeviz.json"))
    assert doc.view.camera == "closeup"


def test_heat_map_state_is_saved_and_restored(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert window.clinical is not None  # the default window has the clinical views
    path = tmp_path / "h.kneeviz.json"
    for on in (False, True):
        window.clinical.set_heatmap(on)
        assert load_scenario_file(ea.save_scenario(window, path)).view.heatmap is on
    window.clinical.set_heatmap(False)
    ea.open_scenario(window, path)  # saved with the heat map on
    assert window.clinical.heatmap.visible is True


def test_export_data_writes_what_simulate_writes_without_solving(  # type: ignore[no-untyped-def]
        qtbot, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """File > Export data and `kneeviz simulate --out` are one writer: for the same squat the two
    files are identical, byte for byte. The squat on screen is solved, so the export writes it as
    it is: a solve during the export fails the test."""
    import kneeviz.simulation as simulation
    from kneeviz.cli import main

    def no_solve(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("Export data solved the squat again")

    monkeypatch.setattr(simulation, "simulate", no_solve)
    done: list[str] = []
    ea.start_data_export(window, tmp_path / "app.json", on_done=done.append)
    qtbot.waitUntil(lambda: bool(done) or bool(window.errors), timeout=SOLVE_TIMEOUT_MS)
    assert not window.errors
    monkeypatch.undo()
    sc = window.session.scenario
    args = ["simulate", "--preset", sc.preset, "--out", str(tmp_path / "cli.json")]
    for flag, value in (("--frame-rate", sc.frame_rate_hz), ("--descent", sc.descent_s),
                        ("--ascent", sc.ascent_s), ("--max-flexion", sc.max_flexion_deg)):
        args += [flag, repr(value)]
    assert main(args) == 0
    assert (tmp_path / "app.json").read_bytes() == (tmp_path / "cli.json").read_bytes()


def test_caption_readouts_and_data_file_agree(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every quantity the caption strip and the readout panel show for one frame is the data
    file's number for that frame, in the measure table's format."""
    import json

    from kneeviz.measure_table import by_key, caption, readouts
    from kneeviz.scene.render import TrajectoryFrames, caption_lines
    from kneeviz.trajectory_file import write_trajectory

    view = window.session.view
    i = view.n_frames // 2
    window.session.set_frame(i)
    window.readouts.refresh(i)
    data = json.loads(write_trajectory(tmp_path / "f.json", view.trajectory).read_text())
    row = data["frames"][i]
    for m in readouts():
        assert window.readouts.text(m.key) == m.text(row[m.key]), m.key
    strip = " ".join(t for line in caption_lines(TrajectoryFrames(view.trajectory), i, "pfp")
                     for t, _c in line)
    for m in caption():
        assert f"{m.short} {m.text(row[m.key])}" in strip, m.key
    assert f"femoral internal rotation {view.scenario.femoral_internal_rotation_deg:.1f}" \
        in strip
    assert by_key()["knee_flexion_deg"].text(row["knee_flexion_deg"]) in strip
