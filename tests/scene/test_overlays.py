"""The overlays follow the squat: the healthy kneecap's outline is the healthy patella on the
current femur in the thigh bone's view and where the healthy squat holds it in the room view, the
drawn offset is the kneecap's true offset (at least a minimum length, its value in words), the
ring's arc spans the thigh bone's inward turn against the healthy squat, the lines of pull start
at the patella and the tendon ends at the tibial tuberosity, the trail is the patella's path."""

from __future__ import annotations

import numpy as np
import pytest

from clinical_fixtures import default_anatomy, trajectory
from kneeviz.mechanics.measures import world_rotation_deg
from kneeviz.mechanics.muscles import wrapped_target
from kneeviz.scene.overlays import (
    MIN_OFFSET_DRAWN_MM,
    OVERLAYS,
    Overlays,
    SquatPoses,
    offset_words,
    rotation_about_vertical_deg,
)
from kneeviz.simulation import model_for
from kneeviz.transforms import apply


@pytest.fixture(scope="module")
def rendered():  # type: ignore[no-untyped-def]
    from kneeviz.scene.offscreen import OffscreenRenderer

    anatomy = default_anatomy()
    r = OffscreenRenderer(anatomy, (320, 240))
    yield anatomy, r
    r.close()


def _pose(r, squat: SquatPoses, i: int) -> None:  # type: ignore[no-untyped-def]
    r.scene.set_poses({k: v[i] for k, v in squat.T_world.items()})


def test_overlays_follow_the_pfp_squat(rendered) -> None:  # type: ignore[no-untyped-def]
    anatomy, r = rendered
    pfp, healthy = trajectory("pfp"), trajectory("healthy")
    ov = Overlays(r.scene)
    ov.set_squats(pfp, healthy)
    ov.set_all(set(OVERLAYS))
    n_actors = r.plotter.renderer.GetActors().GetNumberOfItems()
    cur = SquatPoses.of(pfp)
    for i in range(pfp.n_frames):
        _pose(r, cur, i)
        ov.update(i)
        ov.set_camera_frame("thigh")
        # Outline, thigh bone's view: the healthy patella's pose relative to the femur, on the
        # current femur; room view: the healthy squat's patella where it is
        want = pfp.T_world_femur[i] @ healthy.T_femur_patella[i]
        np.testing.assert_allclose(ov._ghost.user_matrix, want, atol=1e-9)
        # the drawn offset: the true offset along the thigh bone's outward axis, never drawn
        # shorter than the minimum, its value in words
        offset = float(pfp.T_femur_patella[i][2, 3] - healthy.T_femur_patella[i][2, 3])
        assert ov.offset_mm == pytest.approx(offset, abs=1e-9)
        if abs(offset) >= 0.5:
            assert ov.offset_drawn_mm == pytest.approx(max(abs(offset), MIN_OFFSET_DRAWN_MM))
            assert ov._offset.GetVisibility() and ov._offset_words.texts == [
                offset_words(offset)]
        ov.set_camera_frame("room")
        np.testing.assert_allclose(ov._ghost.user_matrix,
                                   healthy.T_world_femur[i] @ healthy.T_femur_patella[i],
                                   atol=1e-9)
        assert not ov._offset.GetVisibility()  # the ring's row shows it in the room
        # The arc spans the difference of the femurs' rotations about the vertical.
        turn = (world_rotation_deg(pfp.T_world_femur[i])
                - world_rotation_deg(healthy.T_world_femur[i]))
        assert ov.femur_turn_deg == pytest.approx(turn, abs=1e-6)
        # The tendon runs from the patella's apex region to the tibial tuberosity.
        q0, q1 = np.asarray(ov._tendon_poly.points)
        tub = apply(pfp.T_world_tibia[i], anatomy.tibia_landmarks.tuberosity_mm)
        apex = apply(pfp.T_world_patella[i], anatomy.patella_landmarks.apex_mm)
        assert np.linalg.norm(q1 - tub) < 15.0 and np.linalg.norm(q0 - apex) < 15.0
        # The quadriceps pulls upward (proximally along the femur) from the patella's base.
        p0, p1 = np.asarray(ov._quad_poly.points)
        up = pfp.T_world_femur[i][:3, 1]
        assert float((p1 - p0) @ up) > 0.8 * float(np.linalg.norm(p1 - p0))
        base = apply(pfp.T_world_patella[i], anatomy.patella_landmarks.base_mm)
        assert np.linalg.norm(p0 - base) < 15.0
        r.plotter.render()
    # Typical PFP turns the thigh bone inward against the healthy squat, and the kneecap sits
    # further out in its groove than a healthy hip holds it
    assert ov.femur_turn_deg > 0.0
    assert ov.offset_mm > 0.5 and "further out" in ov._offset_words.texts[0]
    assert rotation_about_vertical_deg(pfp.T_world_femur[0]) == pytest.approx(
        world_rotation_deg(pfp.T_world_femur[0]))
    # Moving never adds actors.
    assert r.plotter.renderer.GetActors().GetNumberOfItems() == n_actors
    # Trail: the patella's front over the way down, in the femur frame.
    trail = np.asarray(ov._trail_poly.points)
    assert len(trail) == (pfp.n_frames + 1) // 2
    origins = pfp.T_femur_patella[: len(trail), :3, 3]
    assert np.all(np.linalg.norm(trail - origins, axis=1) < anatomy.patella_landmarks.thickness_mm)
    # Toggles.
    ov.set_visible("ghost", False)
    assert not ov._ghost.GetVisibility()
    ov.set_all(set())
    assert not any(a.GetVisibility() for actors in ov.actors.values() for a in actors)
    with pytest.raises(ValueError):
        ov.set_visible("nonsense", True)
    ov.set_see_through(True)
    assert r.scene.actors["patella"].prop.opacity < 0.5
    assert r.scene.actors["patella_cartilage"].prop.opacity < 0.5
    ov.set_see_through(False)
    assert r.scene.actors["patella"].prop.opacity == 1.0
    ov.remove()


def test_no_healthy_squat_hides_ghost_and_arc(rendered) -> None:  # type: ignore[no-untyped-def]
    _anatomy, r = rendered
    pfp = trajectory("pfp")
    ov = Overlays(r.scene)
    ov.set_squats(pfp, None)
    ov.set_all(set(OVERLAYS))
    ov.update(3)
    assert not ov._ghost.GetVisibility()
    assert all(not a.GetVisibility() for a in ov.actors["rotation"])
    assert all(a.GetVisibility() for a in ov.actors["pull"])
    # The healthy squat on screen: one path, not the same path twice.
    healthy = trajectory("healthy")
    ov.set_squats(healthy, healthy)
    assert ov._trail.GetVisibility() and not ov._trail_h.GetVisibility()
    # ... and no outline sitting exactly round the kneecap, no ring, arc or arrowhead for a
    # turn of zero (a stick floated on the healthy thigh bone)
    ov.update(3)
    assert not ov._ghost.GetVisibility()
    assert ov.femur_turn_deg == pytest.approx(0.0, abs=1e-9)
    assert not any(a.GetVisibility() for a in ov.actors["rotation"])
    ov.set_squats(pfp, healthy)
    assert ov._trail.GetVisibility() and ov._trail_h.GetVisibility()
    i = pfp.n_frames // 2  # at depth the thigh bone has turned in
    ov.update(i)
    assert ov._ghost.GetVisibility()
    assert ov.femur_turn_deg > 1.0
    assert ov._arrow.GetVisibility() and all(a.GetVisibility() for a in ov.actors["rotation"])
    assert "thigh bone turned in" in ov._turn_words.texts[0]
    ov.set_camera_frame("thigh")  # the thigh bone held still: no ring for its turn
    assert not any(a.GetVisibility() for a in ov.actors["rotation"])
    ov.remove()


def test_the_quadriceps_arrow_is_the_solved_line_of_pull(rendered) -> None:  # type: ignore[no-untyped-def]
    """The arrow points along the quadriceps resultant of the very model the squat was solved
    with (its bundles, shares and wrap), not a model the scene lays out for itself; a squat not
    solved in this process draws no arrow rather than a guess."""
    anatomy, r = rendered
    pfp = trajectory("pfp")
    model = model_for(anatomy, pfp.scenario)  # the cached model simulate() used
    ov = Overlays(r.scene)
    ov.set_squats(pfp, None)
    ov.set_all({"pull"})
    assert ov.extensor() is model.extensor
    i = pfp.n_frames // 3
    ov.update(i)
    T_fp = pfp.T_femur_patella[i]
    T_fpelvis = np.linalg.inv(pfp.T_world_femur[i]) @ pfp.T_world_pelvis[i]
    total = np.zeros(3)
    for b in model.extensor.bundles:
        p = apply(T_fp, b.insertion_mm)
        o = apply(T_fpelvis, b.origin_mm) if b.on_pelvis else np.asarray(b.origin_mm)
        target, _ = wrapped_target(p, o, model.extensor.wrap_centre_mm,
                                   model.extensor.wrap_radius_mm)
        total += b.share * (target - p) / np.linalg.norm(target - p)
    want = pfp.T_world_femur[i][:3, :3] @ (total / np.linalg.norm(total))
    p0, p1 = np.asarray(ov._quad_poly.points)
    got = (p1 - p0) / np.linalg.norm(p1 - p0)
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert all(a.GetVisibility() for a in ov.actors["pull"])
    # another squat of the same knee, never solved: no arrow
    from dataclasses import replace

    unsolved = replace(SquatPoses.of(pfp), scenario=replace(pfp.scenario, vmo_strength=0.123))
    ov.set_squats(unsolved, None)
    ov.update(i)
    assert ov.extensor() is None
    assert not any(a.GetVisibility() for a in ov.actors["pull"])
    ov.remove()


def test_a_kneecap_off_its_groove_is_not_drawn_at_the_solvers_pose(rendered) -> None:  # type: ignore[no-untyped-def]
    """From the first frame flagged off the groove the kneecap (bone and cartilage) is not
    drawn, a red outline stands where it last sat in its groove with words saying so, and its
    offset is not drawn or worded (its pose is not a result); back on a seated frame all is as
    before."""
    from dataclasses import replace

    _anatomy, r = rendered
    pfp, healthy = trajectory("pfp"), trajectory("healthy")
    k = 4
    off = np.zeros(pfp.n_frames, dtype=bool)
    off[k:] = True
    squat = replace(SquatPoses.of(pfp), dislocated=off)
    ov = Overlays(r.scene)
    ov.set_squats(squat, healthy)
    ov.set_all({"ghost", "groove"})
    for i in (k, k + 2):
        _pose(r, squat, i)
        ov.update(i)
        assert ov.off_groove
        assert not r.scene.actors["patella"].GetVisibility()
        assert not r.scene.actors["patella_cartilage"].GetVisibility()
        assert ov._off_outline.GetVisibility() and ov._off_words.actor.GetVisibility()
        np.testing.assert_allclose(ov._off_outline.user_matrix,
                                   pfp.T_world_femur[i] @ pfp.T_femur_patella[k - 1], atol=1e-9)
        assert "off its groove (outward)" in ov._off_words.texts[0]
        assert not ov._offset_words.actor.GetVisibility() and not ov._offset.GetVisibility()
    _pose(r, squat, k - 1)
    ov.update(k - 1)
    assert not ov.off_groove and not ov._off_outline.GetVisibility()
    assert r.scene.actors["patella"].GetVisibility()
    ov.remove()


def test_a_frame_that_is_not_a_result_draws_its_kneecap_faded(rendered) -> None:  # type: ignore[no-untyped-def]
    """A frame the model withholds (two balances, not decided by the scan) or that did not
    settle still draws its kneecap where the solver left it, but faded, never as a confident
    pose; a result frame draws it opaque again, and see-through stays see-through."""
    from dataclasses import replace

    from kneeviz import measure_table
    from kneeviz.scene.overlays import NOT_A_RESULT_OPACITY, SEE_THROUGH_OPACITY

    _anatomy, r = rendered
    pfp = trajectory("pfp")
    k = 5
    withheld = dict(pfp.meta)
    withheld["not_solved"] = {str(k): f"{measure_table.TWO_BALANCES}: the kneecap balances "
                                      "another way coming up than going down here"}
    squat = SquatPoses.of(replace(pfp, meta=withheld))
    assert squat.no_result(k) and not squat.no_result(k - 1)
    ov = Overlays(r.scene)
    ov.set_squats(squat, None)
    opacity = {name: r.scene.actors[name].prop.opacity for name in ("patella", "patella_cartilage")}
    for i, want in ((k, NOT_A_RESULT_OPACITY), (k - 1, 1.0), (k, NOT_A_RESULT_OPACITY)):
        _pose(r, squat, i)
        ov.update(i)
        assert ov.faded == (i == k)
        assert ov._off_words.actor.GetVisibility() == (i == k)  # words say it is not a result
        for name in opacity:
            assert r.scene.actors[name].prop.opacity == pytest.approx(want)
            assert r.scene.actors[name].GetVisibility()
    ov.set_see_through(True)
    assert r.scene.actors["patella"].prop.opacity == pytest.approx(SEE_THROUGH_OPACITY)
    ov.set_see_through(False)
    ov.update(k - 1)
    assert r.scene.actors["patella"].prop.opacity == pytest.approx(1.0)
    ov.remove()


def _off_groove_squat(bisect_pct: list[float], unsettled: list[bool],
                      dislocated_from: int) -> SquatPoses:
    n = len(bisect_pct)
    off = np.arange(n) >= dislocated_from
    return SquatPoses({}, np.tile(np.eye(4), (n, 1, 1)), None, off,
                      np.asarray(bisect_pct, dtype=float), np.asarray(unsettled, dtype=bool))


def test_the_way_a_kneecap_came_off_its_groove_is_named_only_when_known() -> None:
    """The side named is where the first balanced pose off the groove lies when the seated
    frames before it were heading that way; when they disagree (the severe setting on a
    shallow groove, high kneecap and weak VMO: the bisect offset rose 85 -> 105 % through frames
    that did not settle, then the one balanced pose off the groove came out at -65 %, and the
    words said "inward") no side is named. The outline stands where the kneecap last sat as a
    result, not at a frame that did not settle."""
    rising = [85.0, 86.0, 91.0, 99.0, 105.0, -64.7, -64.7]
    unsettled = [False, False, False, True, True, False, True]
    squat = _off_groove_squat(rising, unsettled, 5)
    assert squat.came_off_way(6) is None
    assert squat.last_seated(6) == 2
    # agreeing: heading outward and off outward; heading inward and off inward
    assert _off_groove_squat([85, 90, 96, 120, 120], [False] * 5, 3).came_off_way(4) == "outward"
    assert _off_groove_squat([40, 30, 10, -20, -20], [False] * 5, 3).came_off_way(4) == "inward"
    # off at the first frame: the pose alone says which way
    assert _off_groove_squat([130.0, 130.0], [False, True], 0).came_off_way(1) == "outward"
