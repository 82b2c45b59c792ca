"""The skyline view shows no cut-open bone: measured by drawing every back face in a sentinel
colour (with back-face culling off) and counting its pixels. A control shows the count sees
them: a near clipping plane through the bones (what the view used to do) leaves many."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"),
                                reason="rendering needs an X server (xvfb-run)")
SENTINEL = (0.0, 1.0, 0.0)


def sentinel_pixels(r) -> int:  # type: ignore[no-untyped-def]
    """Render with every actor's back faces in flat SENTINEL green, culling off; count them."""
    import vtk

    actors = r.plotter.renderer.GetActors()
    actors.InitTraversal()
    for _ in range(actors.GetNumberOfItems()):
        a = actors.GetNextActor()
        a.GetProperty().SetBackfaceCulling(False)
        back = vtk.vtkProperty()
        back.SetColor(*SENTINEL)
        back.SetAmbient(1.0)
        back.SetDiffuse(0.0)
        back.SetSpecular(0.0)
        a.SetBackfaceProperty(back)
    r.plotter.render()
    img = np.asarray(r.plotter.screenshot(return_img=True))[:, :, :3].astype(int)
    return int(((img[:, :, 0] < 10) & (img[:, :, 1] > 245) & (img[:, :, 2] < 10)).sum())


@pytest.mark.slow  # a real solve of the 60 deg squat (the 30 deg one is shared): about 10 s
@pytest.mark.parametrize("flexion_deg", [30.0, 60.0])
def test_the_skyline_view_has_no_back_face_pixels(anatomy, flexion_deg) -> None:  # type: ignore[no-untyped-def]
    from clinical_fixtures import SHORT_30, trajectory
    from kneeviz.scenario import Scenario
    from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET
    from kneeviz.scene.offscreen import OffscreenRenderer
    from kneeviz.scene.render import TrajectoryFrames
    from kneeviz.simulation import simulate

    traj = (trajectory("pfp") if flexion_deg == 30.0 else
            simulate(anatomy, Scenario.from_preset("pfp", **{**SHORT_30,
                                                             "max_flexion_deg": flexion_deg})))
    i = int(np.argmax(traj["knee_flexion_deg"]))
    assert abs(float(traj["knee_flexion_deg"][i]) - flexion_deg) < 1.0
    poses = TrajectoryFrames(traj).poses(i)
    with OffscreenRenderer(anatomy, (480, 400), triangle_budget=APP_TRIANGLE_BUDGET) as r:
        r.render(poses, camera="skyline")
        assert sentinel_pixels(r) == 0
        # the knee is really in the picture: bone-coloured pixels fill a good part of it
        img = np.asarray(r.plotter.screenshot(return_img=True))[:, :, :3].astype(int)
        assert (img.min(axis=2) > 150).mean() > 0.1
        # control: a near clipping plane through the knee opens the bones, and the count sees it
        cam = r.plotter.camera
        d = float(np.linalg.norm(np.subtract(cam.position, cam.focal_point)))
        cam.clipping_range = (d - 5.0, d + 400.0)
        r.scene.set_preset_parts("front")  # the uncut bones
        assert sentinel_pixels(r) > 500


def test_a_playing_window_recuts_a_few_times_a_second(anatomy) -> None:  # type: ignore[no-untyped-def]
    """While the squat plays the capped cut is made again at most every recut interval: between
    cuts the slab cut last rides rigidly with its bone (its pose follows, its plane does not); a
    paused frame (interval 0, or setting the interval) is cut exactly through its joint point."""
    from clinical_fixtures import trajectory
    from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET
    from kneeviz.scene.offscreen import OffscreenRenderer
    from kneeviz.scene.render import TrajectoryFrames

    traj = trajectory("pfp")
    frames = TrajectoryFrames(traj)
    i, j = 1, traj.n_frames // 3  # far apart on the way down
    with OffscreenRenderer(anatomy, (320, 240), triangle_budget=APP_TRIANGLE_BUDGET) as r:
        r.render(frames.poses(i), camera="skyline")
        cut = r.scene._marks[0]
        plane = cut._pipes["femur"][0]
        origin_i = np.array(plane.GetOrigin())
        r.scene.set_recut_interval(60.0)  # playing (a long interval: no cut during the test)
        r.scene.set_poses(frames.poses(j))  # the next frames, the camera where it was
        np.testing.assert_allclose(plane.GetOrigin(), origin_i)  # not cut again...
        femur = r.scene.actors["femur"]
        np.testing.assert_allclose(cut.actors["femur"].user_matrix, femur.user_matrix)  # ...moved
        r.scene.set_recut_interval(0.0)  # paused: this frame is cut now
        assert np.linalg.norm(np.array(plane.GetOrigin()) - origin_i) > 0.1
        r.scene.set_poses(frames.poses(i))
        r.scene.set_camera("skyline")
        np.testing.assert_allclose(plane.GetOrigin(), origin_i, atol=1e-6)


def test_pressure_colours_do_not_recut_and_follow_the_frame(anatomy) -> None:  # type: ignore[no-untyped-def]
    """New pressures every frame (the heat map) neither cut the slab again between cuts (the cut
    read the live cartilage mesh, saw it modified and was made again on every render) nor leave
    the slab's colours behind: each slab point shows the pressure of its nearest uncut vertex."""
    from scipy.spatial import cKDTree
    from vtkmodules.util.numpy_support import vtk_to_numpy

    from clinical_fixtures import trajectory
    from kneeviz.scene.heatmap import PressureHeatmap
    from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET
    from kneeviz.scene.materials import PRESSURE_ARRAY
    from kneeviz.scene.offscreen import OffscreenRenderer
    from kneeviz.scene.render import TrajectoryFrames

    traj = trajectory("pfp")
    frames = TrajectoryFrames(traj)
    with OffscreenRenderer(anatomy, (320, 240), triangle_budget=APP_TRIANGLE_BUDGET) as r:
        heat = PressureHeatmap(r.scene)
        n_pat = anatomy.patella_cartilage.n_vertices
        n_fem = anatomy.femur_cartilage.n_vertices
        rng = np.random.default_rng(3)
        heat.set_pressures(rng.random(n_pat), rng.random(n_fem))
        r.render(frames.poses(1), camera="skyline")
        cut = r.scene._marks[0]
        r.scene.set_recut_interval(60.0)  # playing: no cut due during the test
        made = cut.cuts_made
        clip = cut._pipes["patella_cartilage"][1]
        clip_time = clip.GetOutput().GetMTime()
        for _ in range(3):
            heat.set_pressures(rng.random(n_pat), rng.random(n_fem))
            r.scene.set_poses(frames.poses(2))
            r.plotter.reset_camera_clipping_range()
            r.plotter.render()
        assert cut.cuts_made == made
        assert clip.GetOutput().GetMTime() == clip_time  # the filter did not run again
        for part in ("patella_cartilage", "femur_cartilage"):
            slab = cut.actors[part].mapper.GetInput()
            src = r.scene.actors[part].mapper.GetInput()
            shown = vtk_to_numpy(slab.GetPointData().GetArray(PRESSURE_ARRAY))
            now = vtk_to_numpy(src.GetPointData().GetArray(PRESSURE_ARRAY))
            _d, idx = cKDTree(vtk_to_numpy(src.GetPoints().GetData())).query(
                vtk_to_numpy(slab.GetPoints().GetData()))
            np.testing.assert_allclose(shown, now[idx], rtol=1e-6)
