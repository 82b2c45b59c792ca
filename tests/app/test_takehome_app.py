"""The app's take-home actions under Xvfb (pytest-qt): File > Save report (PDF), Export 3D and
Take home... write the same files as the commands from the squats on screen; a cancelled dialog
or a cancelled file chooser writes nothing; a wrong name is one message."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PyQt6.QtWidgets import QDialog

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from export_fixtures import default_knee, short_scenario  # noqa: E402
from kneeviz.app.window import export_actions as ea  # noqa: E402
from kneeviz.app.window import takehome_actions as ta  # noqa: E402
from kneeviz.app.window.main_window import MainWindow  # noqa: E402
from kneeviz.atomic import TEMP_TAG  # noqa: E402

SOLVE_TIMEOUT_MS = 120_000
SQUAT = {"max_flexion_deg": 50.0, "descent_s": 1.25, "ascent_s": 1.25, "frame_rate_hz": 8.0}


@pytest.fixture(scope="module")
def window(qapp):  # type: ignore[no-untyped-def]
    w = MainWindow(default_knee(), short_scenario("pfp", **SQUAT))
    w.resize(900, 640)
    w.show()
    errors: list[str] = []
    w.show_error = errors.append  # type: ignore[method-assign]
    w.errors = errors  # type: ignore[attr-defined]
    yield w
    ea.wait_for_jobs()
    w.close()


def settle(qtbot, w) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: w.session.view is not None and w.session.view.solved,
                    timeout=SOLVE_TIMEOUT_MS)


def test_the_file_menu_has_the_three_actions(window) -> None:  # type: ignore[no-untyped-def]
    texts = [a.text() for a in window.file_menu.actions()]
    for t in ("Save report (PDF)...", "Export 3D (.glb)...", "Take home..."):
        assert t in texts


def test_save_report_from_the_squats_on_screen(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settle(qtbot, window)
    actions = window.takehome_actions
    actions.clinician, actions.note = "Dr A. Example", "Hip exercises daily."
    out = tmp_path / "report.pdf"
    actions.save_report(out)
    qtbot.waitUntil(out.exists, timeout=SOLVE_TIMEOUT_MS)
    ea.wait_for_jobs()
    assert not window.errors, window.errors
    assert out.read_bytes().startswith(b"%PDF-")
    assert "Saved report" in window.status_bar.currentMessage()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Dr A. Example" in text and "Hip exercises daily." in text


def test_a_cancelled_dialog_writes_nothing(window, qtbot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ta.NoteDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    chosen: list[str] = []
    monkeypatch.setattr(ta, "ask_save_path", lambda *a: chosen.append("asked") or "")
    window.takehome_actions.report_dialog()
    assert not chosen, "the file chooser opened after Cancel"
    assert "cancelled; nothing was written" in window.status_bar.currentMessage()
    monkeypatch.setattr(ta.NoteDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    window.takehome_actions.report_dialog()  # the file chooser cancelled
    assert chosen == ["asked"]
    assert "cancelled; nothing was written" in window.status_bar.currentMessage()
    window.takehome_actions.export_3d_dialog()
    assert "Export 3D: cancelled" in window.status_bar.currentMessage()
    assert not window.errors and not list(tmp_path.iterdir())


def test_a_wrong_name_is_one_message(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.errors.clear()
    assert window.takehome_actions.save_report(tmp_path / "report.txt") is None
    assert window.takehome_actions.export_3d(tmp_path / "knee.gltf") is None
    assert window.takehome_actions.take_home(tmp_path / "visit.pdf") is None
    assert len(window.errors) == 3 and all("\n" not in e for e in window.errors)
    assert ".pdf" in window.errors[0] and ".glb" in window.errors[1]
    window.errors.clear()
    assert not list(tmp_path.iterdir())


def test_export_3d_and_take_home(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pygltflib", reason="pygltflib (the 'takehome' extra) is missing")
    pytest.importorskip("plotly", reason="plotly (the 'takehome' extra) is missing")
    from kneeviz.takehome.folder import PAGE_NAME, REPORT_NAME, VIDEO_NAME

    settle(qtbot, window)
    window.takehome_actions.export_3d(tmp_path / "knee.glb")
    qtbot.waitUntil((tmp_path / "knee.glb").exists, timeout=SOLVE_TIMEOUT_MS)
    assert (tmp_path / "knee.glb").read_bytes()[:4] == b"glTF"
    visit = tmp_path / "visit"
    window.takehome_actions.take_home(visit)
    qtbot.waitUntil(lambda: (visit / VIDEO_NAME).exists(), timeout=SOLVE_TIMEOUT_MS)
    ea.wait_for_jobs()
    assert not window.errors, window.errors
    assert sorted(p.name for p in visit.iterdir()) == sorted([REPORT_NAME, PAGE_NAME,
                                                              VIDEO_NAME])
    assert not [p for p in visit.iterdir() if TEMP_TAG in p.name]


def test_the_note_dialog_remembers_and_returns_what_was_typed(qtbot) -> None:  # type: ignore[no-untyped-def]
    dlg = ta.NoteDialog(None, "Save report (PDF)", "Dr A. Example", "a note", "letter")
    qtbot.addWidget(dlg)
    assert dlg.values() == ("Dr A. Example", "a note", "letter")
    dlg.note.setPlainText("two\nlines")
    dlg.page.setCurrentIndex(0)
    assert dlg.values() == ("Dr A. Example", "two\nlines", "a4")
