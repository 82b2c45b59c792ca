"""The window's patient views (issue: make the maltracking visible): the VMO control re-solves
with the scenario's range, story step 4 gives the cut and the underside map room at 1366x768
without the window growing past the screen, and the side-by-side views show healthy | this
setting at the same frame with the same camera relative to the thigh bone.

A bones-only solver keeps the window quick (the physics of the pictures is tested in
test_underside and test_skyline)."""

from __future__ import annotations

import numpy as np
import pytest

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

from app_windows import SHORT, bones_only_window  # noqa: E402

from kneeviz.scenario import Scenario  # noqa: E402


@pytest.fixture
def window(qtbot):  # type: ignore[no-untyped-def]
    w = bones_only_window(qtbot, (1366, 768), SHORT)
    yield w
    w.clinical.shutdown()
    w.close()


def test_the_vmo_control_uses_the_scenario_range_and_re_solves(window) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.scenario import PARAMETERS

    ac = window.clinical.anatomy_controls
    lo, hi = PARAMETERS["vmo_strength"].low, PARAMETERS["vmo_strength"].high
    vmo = ac.sliders["vmo_strength"]
    assert (vmo.slider.minimum(), vmo.slider.maximum()) == (round(100 * lo), round(100 * hi))
    assert vmo.slider.value() == round(100 * window.session.scenario.vmo_strength)
    vmo.slider.setValue(40)
    vmo.slider.sliderReleased.emit()
    assert window.session.scenario.vmo_strength == pytest.approx(0.4)
    assert "weak" in vmo.value_label.text()
    ac.set_vmo_strength(hi + 1.0)  # outside the range: refused with the scenario's message
    assert "VMO" in ac.status.text()
    assert window.session.scenario.vmo_strength == pytest.approx(0.4)
    ac.reset()
    assert window.session.scenario.vmo_strength == Scenario().vmo_strength


def test_story_step_four_gives_its_pictures_room(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    cv = window.clinical
    cv.story.start()
    cv.story.go_to(3)
    qtbot.waitUntil(lambda: not window.session.solving, timeout=20000)
    qtbot.wait(200)
    assert cv.story_slice.isVisible() and cv.story_underside.isVisible()
    assert window.height() <= 768 + 1  # nothing forced the window past the laptop's screen
    assert cv.story_slice.width() >= 220 and cv.story_slice.height() >= 200
    assert cv.story_underside.width() >= 1.2 * cv.story_slice.width() - 2
    assert cv.story_dock.height() >= 0.35 * window.height()
    assert not cv.story_underside.show_numbers
    # the healthy outline is there, so the arrow has words for the patient
    assert cv.story_slice.ghost is not None or window.session.healthy_view is window.session.view
    cv.story.go_to(0)
    assert not cv.story_side.isVisible()
    cv.story.stop()


def test_side_by_side_shows_the_same_frame_and_camera(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.transforms import invert

    s = window.session
    s.set_scenario(s.scenario_for_preset("severe"))
    qtbot.waitUntil(lambda: not s.solving and s.healthy_view is not None, timeout=20000)
    s.set_frame(3)
    cv = window.clinical
    cv.set_compare(True)
    qtbot.waitUntil(lambda: cv.compare is not None and cv.compare_dock.isVisible(),
                    timeout=5000)
    cv._update_compare(s.frame)
    cmp = cv.compare
    assert np.allclose(cmp.current.scene.pose_of("femur"), s.view.T_world["femur"][3])
    assert np.allclose(cmp.healthy.scene.pose_of("femur"), s.healthy_view.T_world["femur"][3])
    # the healthy femur really is elsewhere in the world (the thigh turned in) ...
    assert not np.allclose(s.view.T_world["femur"][3], s.healthy_view.T_world["femur"][3])
    # ... but both cameras sit at the same place relative to their thigh bone
    def in_femur(side):  # type: ignore[no-untyped-def]
        T = invert(side.scene.T_display_model @ side.scene.pose_of("femur"))
        cam = side.plotter.camera
        return [T[:3, :3] @ np.array(p) + T[:3, 3] for p in (cam.position, cam.focal_point)]
    for a, b in zip(in_femur(cmp.healthy), in_femur(cmp.current), strict=True):
        assert np.allclose(a, b, atol=1e-6)
    assert not cmp.current.scene.actors["tibia"].GetVisibility()  # the skyline camera
    assert s.display.side_by_side  # live view state in the Session
    # one 3D widget draws both pictures (each extra one costs every frame's composition) ...
    assert cmp.healthy.plotter.owner is cmp.current.plotter.owner
    assert cmp.healthy.renderer is not cmp.current.renderer
    # ... and only when the frame changed (a paused window asks again after each 3D frame)
    drawn = cmp.renders
    cv._update_compare(s.frame)
    assert cmp.renders == drawn
    s.set_frame(4)
    cv._update_compare(s.frame)
    assert cmp.renders == drawn + 1
    assert np.allclose(cmp.current.scene.pose_of("femur"), s.view.T_world["femur"][4])
    # playing: the two slabs ride with their bones uncut; paused: the frame is cut exactly
    cuts = [side.scene._marks[0] for side in cmp.sides]
    made = [c.cuts_made for c in cuts]
    cv._on_playing(True)
    s.set_frame(5)
    cv._update_compare(s.frame)
    assert [c.cuts_made for c in cuts] == made
    femur = cmp.current.scene.actors["femur"]
    assert np.allclose(cuts[1].actors["femur"].user_matrix, femur.user_matrix)
    cv._on_playing(False)
    assert all(c.cuts_made > m for c, m in zip(cuts, made, strict=True))
    # the healthy picture turned by hand takes this setting's along, still linked
    before = np.array(cmp.current.plotter.camera.position)
    cmp.healthy.plotter.camera.Azimuth(25.0)
    style = cmp.plotter.iren.interactor.GetInteractorStyle()
    style.SetCurrentRenderer(cmp.healthy.renderer)
    cmp._on_interaction()
    assert np.linalg.norm(np.array(cmp.current.plotter.camera.position) - before) > 10.0
    for a, b in zip(in_femur(cmp.healthy), in_femur(cmp.current), strict=True):
        assert np.allclose(a, b, atol=1e-6)
    cv.set_compare(False)
    assert not cv.panel.compare.isChecked() and not cv.compare_dock.isVisible()
    assert not s.display.side_by_side
