"""Issue 8: the app survives a failed solve, a deleted mesh file, an unwritable export folder and a
full disk, each with a message, keeping the user's work (old files intact, app state unchanged).

Under Xvfb (pytest-qt), one window with the real solver on a 6-frame squat. The failures are
real where a test can make them real (a deleted file, a folder path through a regular file: the
tests run as root, so permissions would not bite); a failed solve and a full disk are made by
raising inside the real code path (the solve in its worker thread; OSError(ENOSPC) from the
file system call the writers use).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from export_fixtures import default_knee, short_scenario  # noqa: E402
from kneeviz.anatomy.build import assets_dir  # noqa: E402
from kneeviz.app.state import squat_view as sv  # noqa: E402
from kneeviz.app.state.solver import Solver  # noqa: E402
from kneeviz.app.window import export_actions as ea  # noqa: E402
from kneeviz.app.window.main_window import MainWindow  # noqa: E402
from kneeviz.errors import KneevizError  # noqa: E402
from kneeviz.scenario_file import KneeRef, ScenarioFile, save_scenario_file  # noqa: E402

SOLVE_TIMEOUT_MS = 120_000
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class Breakable:
    """The real simulate, which raises inside the worker thread while `broken` is set."""

    def __init__(self) -> None:
        self.broken = threading.Event()
        self.calls = 0

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.broken.is_set():
            raise RuntimeError("matrix is singular (test)")
        return sv.simulate(*args, **kwargs)


@pytest.fixture(scope="module")
def window(qapp):  # type: ignore[no-untyped-def]
    from PyQt6.QtWidgets import QMessageBox

    errors: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        # the error dialog (also reached through signals connected to the window's show_error)
        mp.setattr(QMessageBox, "critical",
                   staticmethod(lambda _parent, _title, text, *a, **k: errors.append(text)))
        solve = Breakable()
        w = MainWindow(default_knee(), short_scenario("healthy"),
                       solver=Solver(simulate_fn=solve))
        w.resize(900, 640)
        w.show()
        w.errors = errors  # type: ignore[attr-defined]
        w.solve = solve  # type: ignore[attr-defined]
        yield w
        solve.broken.clear()
        ea.wait_for_jobs()
        w.close()


@pytest.fixture
def win(window, qtbot):  # type: ignore[no-untyped-def]
    """The shared window back on its solved healthy squat, with no errors recorded."""
    window.solve.broken.clear()
    if window.session.scenario.preset != "healthy":
        window.controls.hip.apply_preset("healthy")
    qtbot.waitUntil(lambda: window.session.view is not None and window.session.view.solved
                    and not window.session.solving, timeout=SOLVE_TIMEOUT_MS)
    window.errors.clear()
    yield window
    ea.wait_for_jobs()


def state(w) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """What the user has on screen: knee, scenario, squat shown, frame."""
    return (w.session.anatomy, w.session.scenario, w.session.view, w.session.frame)


# -- a failed solve ----------------------------------
def test_failed_solve_shows_a_message_and_keeps_the_solved_squat(win, qtbot) -> None:  # type: ignore[no-untyped-def]
    solved = win.session.view
    healthy = win.session.healthy_view
    assert solved.solved and healthy is solved
    win.solve.broken.set()
    win.controls.hip.apply_preset("severe")
    qtbot.waitUntil(lambda: bool(win.errors), timeout=SOLVE_TIMEOUT_MS)
    (message,) = win.errors
    assert "solve failed" in message and "matrix is singular" in message
    assert not win.session.solving
    # the window goes on: the new setting's bones are shown (marked unsolved), frames step
    assert win.session.view.scenario.preset == "severe" and not win.session.view.solved
    assert "Bones only" in win.status_bar.currentMessage()
    win.session.set_frame(3)
    assert win.session.frame == 3
    # the solved squat is kept: back to healthy it is shown at once, without a new solve
    assert win.session.healthy_view is healthy
    calls = win.solve.calls
    win.solve.broken.clear()
    win.controls.hip.apply_preset("healthy")
    assert win.session.view is solved and not win.session.solving
    assert win.solve.calls == calls


# -- a deleted mesh file ----------------------------------
@pytest.fixture
def patient_scenario(tmp_path: Path) -> tuple[Path, Path]:
    """A scenario file naming a patient's three mesh files (copies of the bundled knee's)."""
    files = []
    for bone in ("femur", "patella", "tibia"):
        files.append(tmp_path / f"patient_{bone}.stl")
        shutil.copyfile(assets_dir() / f"{bone}.stl", files[-1])
    doc = ScenarioFile(scenario=short_scenario("pfp"), knee=KneeRef.from_files(*files),
                       name="patient")
    return save_scenario_file(tmp_path / "patient.kneeviz.json", doc), files[0]


def test_scenario_whose_mesh_was_deleted(win, patient_scenario) -> None:  # type: ignore[no-untyped-def]
    path, femur = patient_scenario
    femur.unlink()
    before = state(win)
    ea.open_scenario(win, path)
    ea.wait_for_jobs()
    (message,) = win.errors
    assert str(path) in message and "patient_femur.stl" in message and "missing" in message
    assert state(win) == before
    assert win.session.anatomy is default_knee()


def test_scenario_whose_mesh_vanishes_while_loading(win, qtbot, patient_scenario,
                                                    monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Deleted after the file was checked, before the worker reads it."""
    path, femur = patient_scenario
    real = ea.anatomy_for

    def delete_then_load(doc):  # type: ignore[no-untyped-def]
        femur.unlink()
        return real(doc)

    monkeypatch.setattr(ea, "anatomy_for", delete_then_load)
    before = state(win)
    ea.open_scenario(win, path)
    qtbot.waitUntil(lambda: bool(win.errors), timeout=60_000)
    (message,) = win.errors
    assert "patient_femur.stl" in message and "no such file" in message
    assert state(win) == before
    assert "nothing changed" in win.status_bar.currentMessage()


def test_app_command_with_a_deleted_mesh_says_so(patient_scenario) -> None:  # type: ignore[no-untyped-def]
    path, femur = patient_scenario
    femur.unlink()
    out = subprocess.run([sys.executable, "-m", "kneeviz", "--scenario", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("kneeviz: error: ") and "patient_femur.stl" in line


# -- an unwritable export folder ----------------------------------
def _run_export(win, qtbot, kind: str, target: Path) -> None:  # type: ignore[no-untyped-def]
    if kind == "data":
        ea.start_data_export(win, target, show_progress=False)
        ea.wait_for_jobs()
        qtbot.waitUntil(lambda: bool(win.errors), timeout=SOLVE_TIMEOUT_MS)
    elif kind == "video":
        export = ea.start_video_export(win, target, size=(320, 240), show_progress=False)
        if export is not None:
            qtbot.waitUntil(lambda: not export.running, timeout=SOLVE_TIMEOUT_MS)
    else:  # the menu actions' guard shows a KneevizError in the error dialog
        fn = {"scenario": lambda: ea.save_scenario(win, target),
              "screenshot": lambda: ea.export_screenshot(win, target, size=(320, 240))}[kind]
        ea._guard(win, fn)


EXPORTS = [("data", "out.csv"), ("video", "out.mp4"), ("scenario", "out.kneeviz.json"),
           ("screenshot", "out.png")]


@pytest.mark.parametrize(("kind", "name"), EXPORTS)
def test_export_into_an_unwritable_folder(win, qtbot, tmp_path: Path, monkeypatch, kind: str,
                                          name: str) -> None:  # type: ignore[no-untyped-def]
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("the user's notes\n")
    target = not_a_folder / name
    before = state(win)
    import kneeviz.simulation

    solves: list[object] = []
    real = kneeviz.simulation.simulate
    monkeypatch.setattr(kneeviz.simulation, "simulate",
                        lambda *a, **k: solves.append(a) or real(*a, **k))
    _run_export(win, qtbot, kind, target)
    (message,) = win.errors
    assert str(target) in message
    assert f"{not_a_folder} is a file, not a folder" in message  # the culprit, named
    assert solves == []  # refused at once, not after solving the squat again
    assert not_a_folder.read_text() == "the user's notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert state(win) == before


# -- a full disk ----------------------------------
@pytest.mark.parametrize(("kind", "name"), [e for e in EXPORTS if e[0] != "screenshot"])
def test_full_disk_keeps_the_old_file(win, qtbot, tmp_path: Path, monkeypatch, kind: str,
                                      name: str) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / name
    old = b"the user's earlier export\n"
    target.write_bytes(old)

    def no_space(*_a, **_k):  # type: ignore[no-untyped-def]
        raise ENOSPC

    if kind == "video":
        from kneeviz.scene import render

        monkeypatch.setattr(render.VideoWriter, "append", no_space)
    else:  # every text writer (data, scenario) ends in atomic.atomic_write_text's fsync
        import kneeviz.atomic as sf

        monkeypatch.setattr(sf.os, "fsync", no_space)
    before = state(win)
    _run_export(win, qtbot, kind, target)
    (message,) = win.errors
    assert str(target) in message and "No space left on device" in message
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temp file left behind
    assert state(win) == before


def test_errors_are_kneeviz_errors_not_crashes(win, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Called directly (not through the menu's guard) the writers raise KneevizError only."""
    with pytest.raises(KneevizError):
        ea.save_scenario(win, tmp_path / "missing_folder" / "x.kneeviz.json")
    with pytest.raises(KneevizError):
        ea.export_screenshot(win, tmp_path / "missing_folder" / "x.png", size=(320, 240))
