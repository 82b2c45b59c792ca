"""The desktop app under Xvfb (pytest-qt): opens with the default knee, plays, re-solves off the
UI thread, refuses a bad file with a dialog, and closes cleanly.

A short squat (60 deg, a few frames) keeps the real mechanics solves quick; it does not weaken the
tests, which are about the window's behaviour, not the physics.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from PyQt6.QtCore import Qt, QTimer  # noqa: E402
from PyQt6.QtWidgets import QMessageBox  # noqa: E402

from kneeviz.anatomy.build import assets_dir  # noqa: E402
from kneeviz.app.state import squat_view as sv  # noqa: E402
from kneeviz.app.state.solver import Solver  # noqa: E402
from kneeviz.app.window.main_window import MainWindow  # noqa: E402
from kneeviz.scenario import Scenario  # noqa: E402

SHORT = Scenario(max_flexion_deg=60.0, descent_s=0.6, ascent_s=0.6, frame_rate_hz=5.0)
"""7 frames: 0, 16, 44, 60, 44, 16, 0 deg."""
SOLVE_TIMEOUT_MS = 120_000



def _open(qtbot, anatomy, scenario=SHORT, solver=None) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(anatomy, scenario, solver=solver)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    return w


def _close(qtbot, w: MainWindow) -> None:  # type: ignore[no-untyped-def]
    w.close()
    assert w.session.solver.pool.activeThreadCount() == 0


def test_window_opens_with_the_default_knee(qtbot, anatomy) -> None:  # type: ignore[no-untyped-def]
    w = _open(qtbot, anatomy, solver=Solver(simulate_fn=None))
    try:
        assert w.session.anatomy is anatomy
        assert str(assets_dir()) in anatomy.sources
        for part in ("femur", "tibia", "patella", "femur_cartilage", "patella_cartilage"):
            assert part in w.scene.actors
        assert w.frames_rendered >= 1
        # The actors are posed from the squat's first frame.
        T = w.scene.actors["femur"].user_matrix
        assert np.allclose(T, w.session.view.T_world["femur"][0], atol=1e-6)
        assert w.readouts.text("knee_flexion_deg") == "0 deg"
        img = w.plotter.screenshot(return_img=True)
        h, wd = img.shape[:2]
        centre = img[h // 3: 2 * h // 3, wd // 3: 2 * wd // 3]
        ivory = (centre[..., 0] > 150) & (centre[..., 1] > 140) & (centre[..., 2] > 110)
        assert ivory.mean() > 0.05, "no bone-coloured pixels in the middle of the 3D view"
    finally:
        _close(qtbot, w)


def test_play_advances_frames_and_keys_step(qtbot, anatomy) -> None:  # type: ignore[no-untyped-def]
    w = _open(qtbot, anatomy, replace(SHORT, frame_rate_hz=20.0), Solver(simulate_fn=None))
    try:
        assert w.session.frame == 0
        qtbot.keyClick(w, Qt.Key.Key_Space)
        assert w.playback.playing
        qtbot.waitUntil(lambda: w.session.frame >= 3, timeout=10_000)
        rendered = w.frames_rendered
        qtbot.keyClick(w, Qt.Key.Key_Space)
        assert not w.playback.playing
        f = w.session.frame
        qtbot.keyClick(w, Qt.Key.Key_Right)
        assert w.session.frame == f + 1
        qtbot.keyClick(w, Qt.Key.Key_Left)
        qtbot.keyClick(w, Qt.Key.Key_Left)
        assert w.session.frame == f - 1
        qtbot.waitUntil(lambda: w.frames_rendered > rendered, timeout=5000)  # painted
        # The timeline follows and scrubbing moves the frame.
        assert w.timeline.slider.value() == f - 1
        w.timeline.slider.setValue(10)
        assert w.session.frame == 10
        np.testing.assert_allclose(w.scene.actors["tibia"].user_matrix,
                                   w.session.view.T_world["tibia"][10], atol=1e-6)
    finally:
        _close(qtbot, w)


def test_preset_changes_the_patella_pose_and_readouts(qtbot, anatomy) -> None:  # type: ignore[no-untyped-def]
    w = _open(qtbot, anatomy)
    try:
        qtbot.waitUntil(lambda: w.session.view is not None and w.session.view.solved,
                        timeout=SOLVE_TIMEOUT_MS)
        w.session.set_frame(2)  # 44 deg of flexion
        healthy_T = np.array(w.scene.actors["patella"].user_matrix)
        healthy_text = {k: w.readouts.text(k) for k in (
            "femur_rotation_world_deg", "patella_lateral_tilt_deg", "patella_lateral_shift_mm",
            "tt_tg_mm")}
        assert healthy_text["patella_lateral_tilt_deg"] != "-"
        qtbot.mouseClick(w.controls.hip.preset_buttons["pfp"], Qt.MouseButton.LeftButton)
        assert w.session.scenario.preset == "pfp"
        qtbot.waitUntil(lambda: w.session.view.solved and w.session.view.scenario.preset == "pfp",
                        timeout=SOLVE_TIMEOUT_MS)
        pfp_T = np.array(w.scene.actors["patella"].user_matrix)
        assert np.abs(pfp_T - healthy_T)[:3, 3].max() > 0.5  # mm
        for k, text in healthy_text.items():
            assert w.readouts.text(k) != text, k
        # the inward-turned femur sets the tendon further out relative to the groove
        assert float(w.readouts.text("tt_tg_mm").split()[0]) > float(
            healthy_text["tt_tg_mm"].split()[0])
        # The plots show both curves (redrawn CURVE_DELAY_MS after the last change: a new squat
        # within that time, as here, puts the redraw off again).
        qtbot.waitUntil(lambda: w.plots.healthy["patella_lateral_tilt_deg"].xData is not None,
                        timeout=5000)
        assert w.plots.current["patella_lateral_tilt_deg"].xData is not None
    finally:
        _close(qtbot, w)


class _Gated:
    """A real model function that, once armed, first waits for the test to open a gate: a step
    that takes as long as the test wants, in a worker thread."""

    def __init__(self, fn) -> None:  # type: ignore[no-untyped-def]
        self.fn = fn
        self.armed = False
        self.entered = threading.Event()
        self.gate = threading.Event()

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.armed:
            self.entered.set()
            assert self.gate.wait(60), "the test never opened the gate"
        return self.fn(*args, **kwargs)


def test_slider_resolves_without_blocking_the_event_loop(qtbot, anatomy) -> None:  # type: ignore[no-untyped-def]
    slow_solve = _Gated(sv.simulate)
    w = _open(qtbot, anatomy, solver=Solver(simulate_fn=slow_solve))
    try:
        qtbot.waitUntil(lambda: not w.session.solving, timeout=SOLVE_TIMEOUT_MS)
        w.session.set_frame(3)
        femur_before = np.array(w.scene.actors["femur"].user_matrix)
        patella_before = np.array(w.scene.actors["patella"].user_matrix)
        ticks = [0]
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
        timer.start(5)
        slow_solve.armed = True
        rotation = w.controls.hip.sliders["femoral_internal_rotation_deg"]
        rotation.slider.setValue(20)  # a user drag ends at +20 deg
        qtbot.waitUntil(slow_solve.entered.is_set, timeout=10_000)
        # The solve is running (held at the gate) in the worker; the event loop keeps going...
        start = ticks[0]
        qtbot.waitUntil(lambda: ticks[0] >= start + 20, timeout=10_000)
        assert w.session.solving
        assert rotation.value_label.text() == "+20 deg"
        # ...and the bones already show the new setting (kinematics preview).
        qtbot.waitUntil(lambda: w.session.view.scenario.femoral_internal_rotation_deg == 20.0,
                        timeout=10_000)
        femur_now = np.array(w.scene.actors["femur"].user_matrix)
        assert not np.allclose(femur_now[:3, :3], femur_before[:3, :3], atol=1e-3)
        assert not w.session.view.solved
        slow_solve.gate.set()
        qtbot.waitUntil(lambda: not w.session.solving, timeout=SOLVE_TIMEOUT_MS)
        timer.stop()
        assert ticks[0] > start + 20
        assert w.session.view.solved
        assert w.session.view.scenario.femoral_internal_rotation_deg == 20.0
        patella_now = np.array(w.scene.actors["patella"].user_matrix)
        assert not np.allclose(patella_now, patella_before, atol=1e-3)
    finally:
        slow_solve.gate.set()
        _close(qtbot, w)


def test_stale_results_are_dropped(qtbot, anatomy) -> None:  # type: ignore[no-untyped-def]
    slow_solve = _Gated(sv.simulate)
    w = _open(qtbot, anatomy, solver=Solver(simulate_fn=slow_solve))
    try:
        qtbot.waitUntil(lambda: not w.session.solving, timeout=SOLVE_TIMEOUT_MS)
        slow_solve.armed = True
        w.controls.hip.set_hip(10, 0)  # this solve is held in the worker...
        qtbot.waitUntil(slow_solve.entered.is_set, timeout=10_000)
        slow_solve.armed = False
        w.controls.hip.set_hip(25, 5)  # ...and superseded before it finishes
        # The bones show the newest setting at once.
        assert w.session.view.scenario.femoral_internal_rotation_deg == 25.0
        slow_solve.gate.set()
        qtbot.waitUntil(lambda: not w.session.solving, timeout=SOLVE_TIMEOUT_MS)
        # every solve job has ended and everything they posted has been handled (a fixed wait
        # let a stale result that came later than it pass unseen on a busy machine)
        assert w.session.solver.pool.waitForDone(SOLVE_TIMEOUT_MS)
        qtbot.wait(0)
        sc = w.session.view.scenario
        assert w.session.view.solved
        assert (sc.femoral_internal_rotation_deg, sc.hip_adduction_deg) == (25.0, 5.0)
    finally:
        slow_solve.gate.set()
        _close(qtbot, w)


def test_a_bad_file_shows_an_error_and_keeps_the_knee(qtbot, anatomy, tmp_path: Path,
                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda _parent, _title, text, *a, **k: shown.append(text)))
    bad = tmp_path / "femur.stl"
    bad.write_text("this is not a mesh\n")
    w = _open(qtbot, anatomy, solver=Solver(simulate_fn=None))
    try:
        actors_before = dict(w.scene.actors)
        w.open_knee_files(str(bad), str(bad), str(bad))
        qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
        assert "femur.stl" in shown[0]
        assert w.session.anatomy is anatomy
        assert w.scene.actors == actors_before
        assert not w.loading
    finally:
        _close(qtbot, w)


def test_open_and_close_five_times(qtbot, anatomy) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        w = _open(qtbot, anatomy, solver=Solver(simulate_fn=None))
        w.playback.play()
        qtbot.wait(50)
        _close(qtbot, w)
        assert not w.playback.playing
        assert w.scene.plotter.render_window is None or w.plotter._closed
