"""Story mode walks all its steps forward and back in the real window, each step setting the squat,
overlays and pressure colours it names, numbers hidden while it runs; the 'what if' controls set
the kneecap height and rebuild the knee for a new groove without blocking the window.

The window runs with a bones-only solver (no mechanics) to stay quick: these tests are about the
story's and the controls' behaviour; the physics is tested in test_heatmap / test_axial.
"""

from __future__ import annotations

import re

import pytest

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from app_windows import SHORT, bones_only_window  # noqa: E402

from clinical_fixtures import default_anatomy  # noqa: E402
from kneeviz.app.panels.story import STEPS  # noqa: E402


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    w = bones_only_window(qtbot, (1200, 800), SHORT)
    cv = w.clinical
    yield w, cv
    cv.shutdown()
    w.close()


def test_story_steps_have_plain_words_and_no_numbers() -> None:
    assert len(STEPS) == 5
    jargon = ("femur", "patella", "tibia", "trochlea", "valgus", "internal rotation", "MPa",
              "flexion", "lateral", "medial")
    for step in STEPS:
        assert not re.search(r"\d", step.text), step.text
        for word in jargon:
            assert word.lower() not in step.text.lower(), (word, step.text)
        assert len(step.text.split()) < 45, "a caption must be readable at a glance"


def test_story_walks_forward_and_back(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w, cv = window
    story = cv.story
    story.start()
    assert cv.story_dock.isVisible()
    assert not w.readouts.isVisible() and not w.plots.isVisible(), "numbers must be hidden"
    assert not cv.axial.show_numbers
    seen = []
    for k in range(len(STEPS)):
        if k:
            story.next()
        step = STEPS[k]
        qtbot.waitUntil(lambda: w.session.view is not None and not w.session.solving,
                        timeout=20000)
        assert story.index == k
        assert cv.story_panel.caption.text() == step.text
        assert cv.story_panel.title.text() == step.title
        assert w.session.scenario.preset == step.preset
        assert {n for n, on in cv.overlays.visible.items() if on} == set(step.overlays)
        assert cv.heatmap.visible == step.heatmap
        assert cv.overlays.see_through == step.see_through
        assert w.playback.playing == step.play
        qtbot.wait(100)  # let a playing step advance a few frames through the overlays
        seen.append(w.session.scenario.preset)
    assert not cv.story_panel.next_button.isEnabled()
    story.next()  # past the end: stays on the last step
    assert story.index == len(STEPS) - 1
    for k in reversed(range(len(STEPS) - 1)):
        story.back()
        assert story.index == k
        assert w.session.scenario.preset == STEPS[k].preset
    assert not cv.story_panel.back_button.isEnabled()
    assert "pfp" in seen and "healthy" in seen
    story.set_autoplay(True)
    assert story.autoplaying
    story.stop()
    assert not story.autoplaying and not cv.story_dock.isVisible()
    assert w.readouts.isVisible() and w.plots.isVisible() and cv.axial.show_numbers


def test_kneecap_height_and_groove_controls(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    w, cv = window
    ac = cv.anatomy_controls
    ac.set_insall_salvati(1.3)
    assert w.session.scenario.insall_salvati_ratio == pytest.approx(1.3)
    assert "alta" in ac.sliders["insall_salvati_ratio"].value_label.text()
    ac.set_insall_salvati(9.0)  # out of range: refused with a message, scenario kept
    assert "Insall-Salvati" in ac.status.text()
    assert w.session.scenario.insall_salvati_ratio == pytest.approx(1.3)
    # A new groove: the knee is rebuilt on a worker thread and replaces the current one.
    calls = []

    def loader(angle):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        from kneeviz.anatomy.knee_spec import KneeSpec

        calls.append(angle)
        return replace(default_anatomy(), knee_spec=KneeSpec(sulcus_angle_deg=angle))

    ac.loader = loader
    assert ac.sliders["sulcus_angle_deg"].slider.isEnabled()
    ac.set_sulcus_angle(152.0)
    qtbot.waitUntil(lambda: not ac.loading, timeout=90000)
    assert calls == [152.0]
    assert w.session.anatomy.knee_spec.sulcus_angle_deg == 152.0
    assert "dysplasia" in ac.sliders["sulcus_angle_deg"].value_label.text()
    qtbot.waitUntil(lambda: w.session.view is not None and not w.session.solving, timeout=20000)
    # The overlays were rebuilt for the knee and still follow the frames.
    w.session.set_frame(2)
    assert cv.overlays.frame == 2


def _on_screen_px(renderer, points):  # type: ignore[no-untyped-def]
    """Display pixel coordinates of world points in a renderer."""
    import numpy as np
    import vtk

    c = vtk.vtkCoordinate()
    c.SetCoordinateSystemToWorld()
    out = []
    for p in points:
        c.SetValue(*map(float, p))
        out.append(c.GetComputedDoubleDisplayValue(renderer))
    return np.asarray(out, dtype=float)


def test_step_three_shows_the_thigh_bones_turn_face_on_at_laptop_size(qtbot) -> None:  # type: ignore[no-untyped-def]
    """At 1366x768 the third step's arc (healthy thigh bone's ghost to the bone) is large on
    screen and seen face-on: its projected length is a good share of the 3D view's height, and
    the angle between its ends' spokes on screen is the bone's real turn (an arc seen edge-on,
    as from the earlier camera, is squeezed to a line and its angle with it)."""
    import numpy as np

    from kneeviz.scenario import Scenario

    deep = Scenario(descent_s=1.0, ascent_s=1.0, frame_rate_hz=6.0)  # down to 90 deg and more
    w = bones_only_window(qtbot, (1366, 768), deep)
    cv = w.clinical
    try:
        cv.story.start()
        cv.story.go_to(2)
        qtbot.waitUntil(lambda: not w.session.solving and w.session.healthy_view is not None
                        and w.session.healthy_view is not w.session.view, timeout=20000)
        cv.story.go_to(2)  # again with the healthy squat there to turn against
        qtbot.wait(200)
        ghost = cv.thigh_ghost
        assert ghost.turn_shown and abs(ghost.turn_deg) > 5.0
        arc = ghost.arc_display
        renderer = w.plotter.renderer
        px = _on_screen_px(renderer, arc)[:, :2]
        width, height = w.plotter.window_size
        assert height >= 300  # the story's caption leaves the 3D view most of the window
        length_px = float(np.linalg.norm(np.diff(px, axis=0), axis=1).sum())
        assert length_px > 0.12 * height, length_px
        assert (px >= 0).all() and (px[:, 0] <= width).all() and (px[:, 1] <= height).all()
        pivot = _on_screen_px(renderer, [ghost.arc_centre])[0, :2]
        a, b = px[0] - pivot, px[-1] - pivot
        seen_deg = float(np.degrees(np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))))
        assert abs(seen_deg - abs(ghost.turn_deg)) < 0.2 * abs(ghost.turn_deg), seen_deg
    finally:
        cv.shutdown()
        w.close()
