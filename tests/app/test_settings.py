"""Settings that persist (app/window/settings.py): the window's size and layout, the last folders,
multisampling and File > Recent knees survive a restart; `--reset-settings` forgets them; a
corrupt settings file or one from a newer kneeviz is ignored with a note, never a crash; a recent
knee whose files are gone is dropped with a note."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from app_windows import run_app  # noqa: E402
from PyQt6.QtWidgets import QMessageBox  # noqa: E402

from kneeviz.app.window.main_window import MainWindow  # noqa: E402
from kneeviz.app.window.settings import (  # noqa: E402
    SETTINGS_VERSION,
    RecentKnee,
    Settings,
    install_settings,
    reset_settings,
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("KNEEVIZ_CONFIG_DIR", str(folder))
    return folder / "settings.ini"


def _knee(tmp_path: Path, name: str) -> tuple[str, str, str]:
    files = []
    for bone in ("femur", "patella", "tibia"):
        p = tmp_path / f"{name}_{bone}.stl"
        p.write_bytes(b"solid x\nendsolid x\n")
        files.append(str(p.resolve()))
    return files[0], files[1], files[2]


def test_settings_round_trip(qapp, config: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Settings()
    assert (s.open_dir, s.export_dir, s.multisampling, s.recent_knees()) == ("", "", False, [])
    a, b = _knee(tmp_path, "a"), _knee(tmp_path, "b")
    s.open_dir, s.export_dir, s.multisampling = "/data/scans", "/data/out", True
    s.add_recent_knee(*a)
    s.add_recent_knee(*b)
    s.add_recent_knee(*a)  # again: moves to the top, not listed twice
    s.sync()
    again = Settings()
    assert again.notes == []
    assert (again.open_dir, again.export_dir, again.multisampling) == ("/data/scans", "/data/out",
                                                                       True)
    assert again.recent_knees() == [RecentKnee(*a), RecentKnee(*b)]
    # a recent knee whose file is gone: dropped, with a note naming the file
    Path(b[1]).unlink()
    assert again.recent_knees() == [RecentKnee(*a)]
    assert len(again.notes) == 1 and b[1] in again.notes[0]
    again.sync()
    assert Settings().recent_knees() == [RecentKnee(*a)]
    assert "removed" in reset_settings()
    assert not config.exists()
    assert Settings().recent_knees() == []


def test_recent_knees_remember_knee_mri_inputs(qapp, config: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A knee opened with its own cartilage, and one opened from a label map, come back from
    File > Recent knees with those inputs; a cartilage file that is gone drops its knee."""
    bones = _knee(tmp_path, "mri")
    cart = {}
    for k in ("femur_cartilage", "patella_cartilage"):
        p = tmp_path / f"{k}.stl"
        p.write_bytes(b"solid x\nendsolid x\n")
        cart[k] = str(p)
    labels = tmp_path / "scan.nii.gz"
    labels.write_bytes(b"\x1f\x8b")
    s = Settings()
    s.add_recent_knee(*bones, cart)
    s.add_recent_knee("", "", "", {"labels": str(labels),
                                   "label_values": "femur=1 patella=2 tibia=3"})
    s.add_recent_knee(*bones)  # the same bones without cartilage: another entry
    s.sync()
    knees = Settings().recent_knees()
    assert [k.title() for k in knees] == [
        "mri_femur.stl, mri_patella.stl, mri_tibia.stl", "scan.nii.gz (label map)",
        "mri_femur.stl, mri_patella.stl, mri_tibia.stl + cartilage"]
    assert dict(knees[1].extra) == {"labels": str(labels.resolve()),
                                    "label_values": "femur=1 patella=2 tibia=3"}
    assert dict(knees[2].extra) == {k: str(Path(v).resolve()) for k, v in cart.items()}
    Path(cart["patella_cartilage"]).unlink()
    again = Settings()
    assert len(again.recent_knees()) == 2
    assert len(again.notes) == 1 and cart["patella_cartilage"] in again.notes[0]


def test_the_recent_menu_reopens_a_knee_with_its_cartilage(  # type: ignore[no-untyped-def]
        qapp, config: Path, tmp_path: Path, anatomy) -> None:
    """What File > Open knee reports for a knee-MRI load is remembered, and choosing it from
    File > Recent knees opens the same files with the same inputs."""
    bones = _knee(tmp_path, "mri")
    cart = tmp_path / "femur_cartilage.stl"
    cart.write_bytes(b"solid x\nendsolid x\n")
    w = MainWindow(anatomy, clinical=False)
    try:
        install_settings(w, Settings())
        opened: list[tuple[object, ...]] = []
        w.open_knee_files = lambda *a, **k: opened.append((*a, k.get("extra")))  # type: ignore[method-assign]
        w.knee_opened.emit((*bones, {"femur_cartilage": str(cart)}))
        qapp.processEvents()
        actions = w.recent_menu.actions()
        assert [a.text() for a in actions] == [
            "mri_femur.stl, mri_patella.stl, mri_tibia.stl + cartilage"]
        assert str(cart.resolve()) in actions[0].toolTip()
        actions[0].trigger()
        assert opened == [(*bones, {"femur_cartilage": str(cart.resolve())})]
    finally:
        w.close()


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage\x00\x80" * 50, b"",
                                     b"[General]\nsomething=else\n"])
def test_a_corrupt_settings_file_is_moved_aside_with_a_note(
    qapp, config: Path, content: bytes  # type: ignore[no-untyped-def]
) -> None:
    config.parent.mkdir(parents=True)
    config.write_bytes(content)
    s = Settings()
    assert len(s.notes) == 1 and "not a usable settings file" in s.notes[0]
    assert s.open_dir == "" and s.recent_knees() == []
    assert (config.parent / "settings.ini.bad").read_bytes() == content
    s.open_dir = "/x"
    s.sync()
    assert Settings().open_dir == "/x"  # a fresh file replaced it


def test_a_settings_file_from_a_newer_kneeviz_is_ignored_and_left_alone(
    qapp, config: Path  # type: ignore[no-untyped-def]
) -> None:
    config.parent.mkdir(parents=True)
    newer = (f"[General]\nsettings_version={SETTINGS_VERSION + 1}\n"
             "[folders]\nopen=/from/the/future\n").encode()
    config.write_bytes(newer)
    s = Settings()
    assert len(s.notes) == 1 and "newer kneeviz" in s.notes[0]
    assert s.open_dir == ""
    s.open_dir = "/now"
    s.sync()
    assert s.open_dir == "/now"  # kept for this run only
    assert config.read_bytes() == newer


def test_a_fifo_as_settings_file_does_not_hang(qapp, config: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    config.parent.mkdir(parents=True)
    os.mkfifo(config)
    s = Settings()
    assert s.notes and "not a file" in s.notes[0]


def _run_app(qapp, argv: list[str], monkeypatch, act) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Run `kneeviz ARGV` in-process until its window is up, call act(window), close it."""
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a, **k: None))
    return run_app(qapp, argv, act, settle=True)


@pytest.mark.slow
def test_restarts_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """The restarts test below runs the whole app four times in one interpreter (exec, quit);
    after that, a later test's worker signal was never delivered in the same process, so it runs
    in a fresh interpreter of its own, here, every time."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "KNEEVIZ_RESTARTS_IN_CHILD": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
         str(tmp_path / "child"),
         f"{__file__}::test_the_window_remembers_across_restarts_and_reset_forgets"],
        env=env, capture_output=True, text=True, timeout=900,
        cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]


def test_the_window_remembers_across_restarts_and_reset_forgets(
    qapp, config: Path, tmp_path: Path, monkeypatch, capsys  # type: ignore[no-untyped-def]
) -> None:
    import os

    if os.environ.get("KNEEVIZ_RESTARTS_IN_CHILD") != "1":
        pytest.skip("runs in its own interpreter: test_restarts_in_a_fresh_interpreter")
    knee = _knee(tmp_path, "patient")

    def first(w: MainWindow) -> dict[str, object]:
        recent0 = list(w.recent_menu.actions())
        w.resize(1500, 1030)  # the panels make the minimum about 1274 x 1015
        dock_before = w.clinical is not None and w.clinical.dock.isVisible()
        if w.clinical is not None:
            w.clinical.dock.hide()  # the dock layout: the clinical views closed
        w.msaa_action.setChecked(True)
        w.export_dir = str(tmp_path)
        w.knee_opened.emit(knee)  # what a knee opened through File > Open knee reports
        qapp.processEvents()
        return {"icon": not w.windowIcon().isNull(), "dock_before": dock_before, "recent0": recent0,
                "recent1": [a.text() for a in w.recent_menu.actions()]}

    seen = _run_app(qapp, [], monkeypatch, first)
    assert seen["rc"] == 0 and seen["icon"] and seen["dock_before"] is True
    assert seen["recent0"] == []
    assert seen["recent1"] == ["patient_femur.stl, patient_patella.stl, patient_tibia.stl"]

    def second(w: MainWindow) -> dict[str, object]:
        return {"size": (w.width(), w.height()), "msaa": w.msaa_action.isChecked(),
                "dock": w.clinical is not None and w.clinical.dock.isVisible(),
                "recent": [a.toolTip() for a in w.recent_menu.actions()],
                "open_dir": w.open_dir, "export_dir": w.export_dir}

    seen = _run_app(qapp, [], monkeypatch, second)
    assert seen["size"] == (1500, 1030)
    assert seen["dock"] is False
    assert seen["msaa"] is True
    assert seen["recent"] == ["\n".join(knee)]
    assert seen["open_dir"] == str(tmp_path) and seen["export_dir"] == str(tmp_path)

    Path(knee[2]).unlink()  # the patient's tibia was moved away

    def third(w: MainWindow) -> dict[str, object]:
        w.recent_menu.aboutToShow.emit()  # the user opens File > Recent knees
        return {"recent": w.recent_menu.actions(), "status": w.status_bar.currentMessage()}

    capsys.readouterr()
    seen = _run_app(qapp, [], monkeypatch, third)
    assert seen["recent"] == []
    assert f"recent knee dropped: {knee[2]} no longer exists" in capsys.readouterr().err

    seen = _run_app(qapp, ["--reset-settings"], monkeypatch, second)
    assert seen["size"][0] == 1400 and seen["msaa"] is False  # the default width again
    assert seen["dock"] is True
    assert "settings reset" in capsys.readouterr().err


def test_closing_during_story_mode_saves_the_clinicians_layout(qtbot, config: Path) -> None:  # type: ignore[no-untyped-def]
    """Story mode hides the side panel, the timeline and the camera bar; a window closed while
    the story ran saved that layout, and the next start showed no side panel. The layout saved
    is the clinician's."""
    from app_windows import bones_only_window

    from kneeviz.app.window.settings import install_settings

    w = bones_only_window(qtbot, (1366, 768))
    install_settings(w, Settings())
    w.clinical.story.start()
    assert not w.panel_dock.isVisible()
    w.close()
    assert not w.clinical.story.active
    again = bones_only_window(qtbot, (1366, 768))
    try:
        install_settings(again, Settings())
        qtbot.waitUntil(lambda: again.panel_dock.isVisible() and again.timeline.isVisible()
                        and again.camera_bar.isVisible(), timeout=5000)
    finally:
        again.clinical.shutdown()
        again.close()
