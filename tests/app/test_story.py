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
    assert not cv.dock.isVisible() and not w.timeline.isVisible()
    assert not cv.axial.show_numbers
    seen = []
    for k in range(len(STEPS)):
        if k:
            story.next()
            # the words wait for their picture: none until the step's frame is on screen
            assert cv.story_panel.caption.text() == ""
        step = STEPS[k]
        qtbot.waitUntil(lambda: w.session.view is not None and not w.session.solving,
                        timeout=20000)
        qtbot.waitUntil(lambda s=step: cv.story_panel.caption.text() == s.text, timeout=5000)
        assert story.index == k
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
    assert cv.dock.isVisible() and w.timeline.isVisible() and cv.axial.show_numbers


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


def test_step_three_shows_the_whole_leg_and_marks_inward_at_laptop_size(qtbot) -> None:  # type: ignore[no-untyped-def]
    """At 1366x768 the third step shows the whole leg, hip to ankle (the shin included), with
    the thigh bone's turn drawn at its true angle and "inward" marked: the arrow in front of the
    shin points to the knee's inner side on screen, where the 3D view names the inner side, and
    the turn's words say it turns inward (an earlier camera looked down on the thigh from
    above, with no shin, and nothing said which way is inward)."""
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
        qtbot.waitUntil(lambda: cv.story_panel.caption.text() == STEPS[2].text, timeout=5000)
        ghost = cv.thigh_ghost
        assert ghost.turn_shown and ghost.turn_deg > 5.0  # typical PFP: the knee turns in
        renderer = w.plotter.renderer
        width, height = w.plotter.window_size
        assert height >= 300  # the story's caption leaves the 3D view most of the window
        scene = w.scene
        leg = _on_screen_px(renderer, [scene.hip_centre(), scene.knee_centre(),
                                       scene.ankle_centre()])[:, :2]
        assert (leg >= 0).all() and (leg[:, 0] <= width).all() and (leg[:, 1] <= height).all()
        assert np.ptp(leg[:, 1]) > 0.5 * height  # the whole leg, large
        # the turn's pointers fan out at the bone's true angle (seen at a slant, on screen
        # within a factor of two of it), their arc inside the view
        arc = _on_screen_px(renderer, ghost.arc_display)[:, :2]
        assert (arc >= 0).all() and (arc[:, 0] <= width).all()
        assert np.linalg.norm(np.diff(arc, axis=0), axis=1).sum() > 15.0
        assert ghost.words.texts[0] == "turns inward"
        # "inward" points to the side the view names as the inner side
        tail, tip = _on_screen_px(renderer, ghost.inward_display)[:, :2]
        assert ghost.words.texts[1] == "inward"
        assert scene.sides.outer_on_right is not None
        towards_right = tip[0] > tail[0]
        assert towards_right == (not scene.sides.outer_on_right)
    finally:
        cv.shutdown()
        w.close()


def test_leaving_the_story_puts_back_the_clinicians_setting_and_view(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Story mode changes the setting, the camera, the overlays, the pressure colours and the
    frame; leaving it puts back what the clinician had (it once left "Severe" on "Healthy" and
    the kneecap's path and the bone names on), and the side panel's tab they were on."""
    w, cv = window
    s = w.session
    s.set_scenario(s.scenario_for_preset("severe"))
    qtbot.waitUntil(lambda: not s.solving, timeout=20000)
    w.set_camera("skyline")
    w.set_camera_frame("room")
    s.set_display(overlays=frozenset({"ghost", "pull"}), heatmap=False, see_through=True)
    s.set_frame(3)
    w.panel_tabs.setCurrentWidget(w.plots)
    before = (s.scenario, s.display, s.frame)
    cv.story.start()
    for k in range(len(STEPS)):
        cv.story.go_to(k)
        qtbot.waitUntil(lambda: not s.solving, timeout=20000)
    assert s.scenario != before[0] and s.display != before[1]
    cv.story.stop()
    qtbot.waitUntil(lambda: not s.solving, timeout=20000)
    assert s.scenario == before[0] and s.scenario.preset == "severe"
    assert s.display == before[1]
    assert s.frame == before[2]
    assert {n for n, on in cv.overlays.visible.items() if on} == {"ghost", "pull"}
    assert not cv.heatmap.visible and cv.overlays.see_through
    assert not cv.thigh_ghost.visible
    assert w.panel_tabs.currentWidget() is w.plots
    assert w.scene.camera_frame == "room"
    # the camera is the skyline preset again (its parts: the tibia hidden)
    assert not w.scene.actors["tibia"].GetVisibility()


def test_bone_names_never_land_on_the_kneecap(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Through story steps 1, 2, 3 and 5 (their cameras, played to the deepest frame), the thigh
    bone's and the shin bone's names lie off the kneecap on screen (the kneecap's real mesh,
    projected) and beside their own bones, no two names overlap nor run into step 3's words
    (step 5's "thigh bone" once sat on the kneecap, the thigh bone seen end-on in a deep squat
    from the front)."""
    import numpy as np

    from kneeviz.scenario import Scenario
    from kneeviz.scene.overlay_labels import CHAR_PX, LABEL_FONT_SIZE
    from kneeviz.scene.overlays import LABELS

    deep = Scenario(descent_s=1.0, ascent_s=1.0, frame_rate_hz=6.0)
    w = bones_only_window(qtbot, (1366, 768), deep)
    cv = w.clinical
    try:
        cv.story.start()
        qtbot.waitUntil(lambda: w.session.healthy_view is not None, timeout=20000)
        for k in (0, 1, 2, 4):
            cv.story.go_to(k)
            w.playback.pause()
            view = w.session.view
            frames = (w.session.frame,) if not STEPS[k].play else (
                0, int(np.argmax(view.measures["knee_flexion_deg"])))
            for i in frames:
                w.session.set_frame(i)
                qtbot.wait(50)
                renderer = w.plotter.renderer
                D = w.scene.T_display_model
                T_wp = view.T_world["patella"][i]
                verts = np.asarray(w.session.anatomy.patella.vertices_mm)[::7]
                kneecap = _on_screen_px(renderer, verts @ (D @ T_wp)[:3, :3].T
                                        + (D @ T_wp)[:3, 3])[:, :2]
                lo, hi = kneecap.min(axis=0), kneecap.max(axis=0)
                label_points = np.asarray(cv.overlays._labels.poly.points)
                anchors = _on_screen_px(renderer, label_points)[:, :2]
                boxes = {}
                for (bone, text), (x, y) in zip(LABELS.items(), anchors, strict=True):
                    bw, bh = CHAR_PX * LABEL_FONT_SIZE * len(text) + 12.0, 22.0
                    boxes[bone] = (x, y, x + bw, y + bh)  # right of and above the anchor
                for bone in ("femur", "tibia"):
                    x0, y0, x1, y1 = boxes[bone]
                    on_kneecap = x0 < hi[0] and x1 > lo[0] and y0 < hi[1] and y1 > lo[1]
                    assert not on_kneecap, (k + 1, i, bone, boxes[bone], lo, hi)
                    # and beside its own bone, not out in the background (step 1's thigh bone
                    # name once floated 130 px off the condyles)
                    T = D @ view.T_world[bone][i]
                    mesh = getattr(w.session.anatomy, bone).vertices_mm[::23]
                    own = _on_screen_px(renderer, mesh @ T[:3, :3].T + T[:3, 3])[:, :2]
                    dx = np.maximum(np.maximum(x0 - own[:, 0], own[:, 0] - x1), 0.0)
                    dy = np.maximum(np.maximum(y0 - own[:, 1], own[:, 1] - y1), 0.0)
                    gap = float(np.min(np.hypot(dx, dy)))
                    assert gap < 60.0, (k + 1, i, bone, "name off its bone by", gap)
                names = list(boxes.values())
                # nor on step 3's words of the turn ("turns inward" once ran into the kneecap's)
                for point, words in cv.thigh_ghost.shown_words():
                    (x, y), = _on_screen_px(renderer, [point])[:, :2]
                    names.append((x, y, x + CHAR_PX * LABEL_FONT_SIZE * len(words) + 12.0,
                                  y + 22.0))
                if k == 2:
                    assert len(names) == 5, "step 3 shows the turn's words"
                for a in range(3):
                    for b in range(a + 1, len(names)):
                        ax0, ay0, ax1, ay1 = names[a]
                        bx0, by0, bx1, by1 = names[b]
                        assert not (ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1), \
                            (k + 1, i, names)
    finally:
        cv.shutdown()
        w.close()
