"""The app with a recorded motion: File > Open motion and a dropped file, the steady-hip ghost,
the hip sliders as changes to the recording, a bad file refused with the squat kept."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from gui_marks import GUI_MARKS
from motion_fixtures import squat_columns, write_mot

pytestmark = GUI_MARKS

from PyQt6.QtCore import QMimeData, QUrl  # noqa: E402
from PyQt6.QtWidgets import QMessageBox  # noqa: E402

from kneeviz.app.window.main_window import MainWindow  # noqa: E402
from kneeviz.motion.from_recording import RecordedScenario  # noqa: E402
from kneeviz.scenario import Scenario  # noqa: E402

SHORT = Scenario(max_flexion_deg=60.0, descent_s=0.6, ascent_s=0.6, frame_rate_hz=5.0)
TIMEOUT_MS = 120_000


def _open(qtbot, anatomy) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(anatomy, SHORT)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: not w.session.solving, timeout=TIMEOUT_MS)
    return w


def test_open_a_motion_then_change_the_hip_and_go_back(qtbot, anatomy, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch) -> None:
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: errors.append(a[2]))
    motion = write_mot(tmp_path / "squat.mot",
                       squat_columns(duration_s=2.0, depth_deg=60.0, hip_rotation_at_depth_deg=8.0))
    w = _open(qtbot, anatomy)
    try:
        before = w.session.scenario
        bad = tmp_path / "bad.mot"
        bad.write_text("Coordinates\nendheader\ntime\tknee_angle_r\n0\t1\n")
        assert not w.motion_actions.open_motion(bad)
        assert len(errors) == 1 and "only 1 row(s)" in errors[0] and str(bad) in errors[0]
        assert w.session.scenario is before  # nothing lost

        assert w.motion_actions.open_motion(motion)
        sc = w.session.scenario
        assert isinstance(sc, RecordedScenario) and sc.motion_path == str(motion)
        assert w.session.healthy_scenario().steady_hip  # type: ignore[attr-defined]
        qtbot.waitUntil(lambda: not w.session.solving and w.session.view is not None
                        and w.session.view.solved, timeout=TIMEOUT_MS)
        view = w.session.view
        assert view is not None and view.recorded and view.n_frames == 11  # 2 s at 5 Hz
        np.testing.assert_allclose(view.time_s, np.arange(11) / 5.0)
        assert "squat.mot" in w.windowTitle()
        assert "change to the recording" in w.controls.hip.title()
        qtbot.waitUntil(lambda: w.session.healthy_view is not None
                        and w.session.healthy_view.scenario == w.session.healthy_scenario(),
                        timeout=TIMEOUT_MS)
        steady = w.session.healthy_view
        assert steady is not None
        # the ghost is the same recording with the hip held: same knee, no femoral turn
        np.testing.assert_allclose(steady.measures["knee_flexion_deg"],
                                   view.measures["knee_flexion_deg"])
        deep = int(np.argmax(view.measures["knee_flexion_deg"]))
        key = "femur_rotation_world_deg"
        turn = view.measures[key] - steady.measures[key]
        assert turn[deep] > 5.0

        w.controls.hip.set_hip(5, 0)  # 5 deg more than recorded
        assert isinstance(w.session.scenario, RecordedScenario)
        assert w.session.scenario.femoral_internal_rotation_deg == 5.0

        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(motion))])
        assert w.motion_actions.dropped_motion(mime) == str(motion)
        other = QMimeData()
        other.setUrls([QUrl.fromLocalFile(str(tmp_path / "femur.stl"))])
        assert w.motion_actions.dropped_motion(other) is None

        w.motion_actions.close_motion()
        assert type(w.session.scenario) is Scenario
        assert w.session.scenario == replace(SHORT, femoral_internal_rotation_deg=5.0,
                                             preset="custom")
        assert errors == [errors[0]]
    finally:
        w.close()
