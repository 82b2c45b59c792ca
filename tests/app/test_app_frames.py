"""How the window schedules its work around the 3D frame (the speed floors depend on it; the speed
itself is measured by benchmarks/bench_app.py, not asserted here):

- a throttled panel, while the squat plays, is updated by the next frame after its interval (in
  that frame's event-loop pass), never by a timer of its own, and catches up when playback stops;
- the axial slice after a hip change or a step is cut after the re-posed bones are on screen;
- the plots, which repaint themselves (no scene-driven viewport updates), are repainted when the
  frame moves;
- a hip slider's first value is applied at once.
"""

from __future__ import annotations

import numpy as np
import pytest

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from PyQt6.QtCore import QEvent, QObject  # noqa: E402

from kneeviz.app.state.solver import Solver  # noqa: E402
from kneeviz.app.support.throttle import Throttle  # noqa: E402
from kneeviz.app.window.main_window import MainWindow  # noqa: E402
from kneeviz.scenario import Scenario  # noqa: E402

SHORT = Scenario(max_flexion_deg=60.0, descent_s=0.6, ascent_s=0.6, frame_rate_hz=10.0)



@pytest.fixture
def window(qtbot, anatomy):  # type: ignore[no-untyped-def]
    w = MainWindow(anatomy, SHORT, solver=Solver(simulate_fn=None))
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.frames_rendered >= 1, timeout=10_000)
    yield w
    w.close()


def test_throttle_runs_late_calls_with_the_next_call_not_a_timer(qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[int] = []
    t = Throttle(seen.append)
    t.set_interval(60_000)
    t.call(1)  # the first runs at once
    t.call(2)
    t.call(3)  # within the interval: held, the latest kept
    qtbot.wait(50)
    assert seen == [1], "a held call must not run from a timer of its own"
    t.set_interval(0)  # playback stops: the panel catches up at once
    assert seen == [1, 3]
    t.call(4)
    assert seen == [1, 3, 4]


def test_trailing_throttle_runs_the_last_call_by_itself(qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[int] = []
    t = Throttle(seen.append, trailing=True)
    t.set_interval(30)
    t.call(1)
    t.call(2)
    t.call(3)
    assert seen == [1]
    qtbot.waitUntil(lambda: seen == [1, 3], timeout=2000)


def test_axial_slice_is_cut_after_the_frame_is_on_screen(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w = window
    cv = w.clinical
    assert cv is not None
    w.panel_tabs.setCurrentWidget(cv.axial)  # the slice is cut only while it is shown
    qtbot.waitUntil(lambda: cv.axial.slice is not None, timeout=10_000)
    cut_at: list[int] = []  # frames on screen when the slice was cut
    original = cv.axial.set_pose

    def set_pose(*args, **kwargs):  # type: ignore[no-untyped-def]
        cut_at.append(w.frames_rendered)
        return original(*args, **kwargs)

    cv.axial.set_pose = set_pose  # type: ignore[method-assign]
    before = cv.axial.slice
    shown = w.frames_rendered
    w.playback.step(1)
    qtbot.waitUntil(lambda: bool(cut_at), timeout=10_000)
    assert cut_at[0] > shown, "the slice was cut before the stepped frame reached the screen"
    assert cv.axial.slice is not before  # and the slice did follow the frame


def test_plots_repaint_when_the_frame_moves(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w = window
    w.panel_tabs.setCurrentWidget(w.plots)  # the plots' tab
    viewports = {p.viewport() for p in w.plots.plots.values()}
    painted: list[QObject] = []

    class Spy(QObject):
        def eventFilter(self, obj, ev):  # type: ignore[no-untyped-def]  # noqa: N802 (Qt name)
            if ev.type() == QEvent.Type.Paint and obj in viewports:
                painted.append(obj)
            return False

    spy = Spy()
    for v in viewports:
        v.installEventFilter(spy)
    qtbot.wait(200)
    painted.clear()
    w.session.set_frame(3)
    qtbot.waitUntil(lambda: set(painted) == viewports, timeout=5000)
    x = w.session.view.value("knee_flexion_deg", 3)
    marker = w.plots.markers["patella_lateral_tilt_deg"]
    xs, _ys = marker.getData()
    assert len(xs) == 0 or np.isclose(xs[0], x)  # bones only: no tilt yet, so no marker


def test_hip_slider_applies_its_first_value_at_once(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w = window
    hip = w.controls.hip
    value = hip.sliders["femoral_internal_rotation_deg"].slider.value() + 5
    hip.sliders["femoral_internal_rotation_deg"].slider.setValue(value)
    assert w.session.scenario.femoral_internal_rotation_deg == value
    # A drag's rapid values after it: the last one is applied (by the throttle's timer).
    hip.sliders["femoral_internal_rotation_deg"].slider.setValue(value + 1)
    hip.sliders["femoral_internal_rotation_deg"].slider.setValue(value + 2)
    qtbot.waitUntil(lambda: w.session.scenario.femoral_internal_rotation_deg == value + 2,
                    timeout=5000)


def test_see_through_kneecap_keeps_its_back_faces(window) -> None:  # type: ignore[no-untyped-def]
    w = window
    cv = w.clinical
    assert cv is not None

    def culled(part: str) -> bool:
        return bool(w.scene.actors[part].GetProperty().GetBackfaceCulling())

    assert culled("patella") and culled("femur")  # opaque closed bones: back faces skipped
    cv.set_see_through(True)
    assert not culled("patella")  # drawn whole, as before the culling
    assert culled("femur")
    cv.set_see_through(False)
    assert culled("patella")
