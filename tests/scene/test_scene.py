"""The 3D scene: actors built once and posed by matrices, a left knee mirrored for display,
camera presets that look at the knee, offscreen images that show bone and cartilage."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from anatomy_fixtures import synthetic_anatomy  # noqa: E402
from kneeviz.app.state import squat_view as sv  # noqa: E402
from kneeviz.mechanics.equilibrium import resting_patella_pose
from kneeviz.scenario import Scenario  # noqa: E402
from kneeviz.scene.knee_scene import CAMERA_PRESETS, PARTS  # noqa: E402
from kneeviz.scene.materials import BONE, CARTILAGE  # noqa: E402
from kneeviz.scene.offscreen import OffscreenRenderer  # noqa: E402

SIZE = (480, 320)


def _view(anatomy, scenario=None):  # type: ignore[no-untyped-def]
    sc = scenario or Scenario(frame_rate_hz=5.0)
    kin = sv.kinematics(anatomy, sc)
    return sv.view_from_kinematics(kin, sc, resting_patella_pose(anatomy), anatomy)


@pytest.fixture(scope="module")
def right():  # type: ignore[no-untyped-def]
    return synthetic_anatomy("right")


def test_actors_are_built_once_and_posed_by_user_matrix(right) -> None:  # type: ignore[no-untyped-def]
    view = _view(right)
    with OffscreenRenderer(right, SIZE) as r:
        actors = dict(r.scene.actors)
        n_props = r.plotter.renderer.GetActors().GetNumberOfItems()
        for i in range(view.n_frames):
            r.render(view.poses(i), camera=None)
            for name, (bone, _m) in PARTS.items():
                if name in actors:
                    np.testing.assert_allclose(actors[name].user_matrix, view.T_world[bone][i],
                                               atol=1e-9)
        assert r.scene.actors == actors  # the same objects, never rebuilt
        assert r.plotter.renderer.GetActors().GetNumberOfItems() == n_props
        # Mesh points stay in the bone frame (only the matrix moves).
        pts = np.asarray(actors["femur"].mapper.dataset.points)
        np.testing.assert_allclose(pts, right.femur.vertices_mm, atol=1e-4)


def test_materials_bone_ivory_and_cartilage_bluish(right) -> None:  # type: ignore[no-untyped-def]
    with OffscreenRenderer(right, SIZE) as r:
        bone = r.scene.actors["femur"].prop
        cart = r.scene.actors["femur_cartilage"].prop
        assert np.allclose(bone.color.float_rgb, BONE.color, atol=0.01)
        assert np.allclose(cart.color.float_rgb, CARTILAGE.color, atol=0.01)
        assert cart.specular > bone.specular
        assert CARTILAGE.color[2] > CARTILAGE.color[0]  # blue over red
        assert BONE.color[0] >= BONE.color[1] >= BONE.color[2]  # warm off-white
        assert bone.interpolation.name in ("GOURAUD", "PHONG")


def test_a_left_knee_is_mirrored_for_display() -> None:
    left = synthetic_anatomy("left")
    view = _view(left)
    with OffscreenRenderer(left, SIZE) as r:
        r.render(view.poses(0), camera=None)
        T = np.asarray(r.scene.actors["femur"].user_matrix)
        assert np.linalg.det(T[:3, :3]) < 0
        np.testing.assert_allclose(T, np.diag([1.0, 1.0, -1.0, 1.0]) @ view.T_world["femur"][0],
                                   atol=1e-9)
        # The lateral epicondyle (model +Z) is shown on the left knee's lateral side (-Z).
        lat = r.scene._display(view.T_world["femur"][0],
                               left.femur_landmarks.lateral_epicondyle_mm)
        med = r.scene._display(view.T_world["femur"][0],
                               left.femur_landmarks.medial_epicondyle_mm)
        assert lat[2] < med[2]


def test_camera_presets_look_at_the_knee(right) -> None:  # type: ignore[no-untyped-def]
    view = _view(right)
    with OffscreenRenderer(right, SIZE) as r:
        r.render(view.poses(view.n_frames // 2), camera=None)
        knee = r.scene.knee_centre()
        for preset in CAMERA_PRESETS:
            pose = r.scene.camera_pose(preset)
            pos, focal = np.array(pose.position), np.array(pose.focal_point)
            assert np.all(np.isfinite(pos)) and np.all(np.isfinite(focal))
            d = pos - focal
            assert np.linalg.norm(d) > 100.0
            if preset != "whole-leg":
                assert np.linalg.norm(focal - knee) < 80.0, preset
        assert (np.array(r.scene.camera_pose("front").position) - knee)[0] > 300  # anterior
        assert (np.array(r.scene.camera_pose("side").position) - knee)[2] > 300  # lateral
        with pytest.raises(ValueError, match="unknown camera preset"):
            r.scene.camera_pose("top")


def test_offscreen_image_shows_bone_and_cartilage(right) -> None:  # type: ignore[no-untyped-def]
    view = _view(right)
    with OffscreenRenderer(right, SIZE) as r:
        img = r.render(view.poses(0), camera="closeup")
    assert img.shape == (SIZE[1], SIZE[0], 3)
    rgb = img.astype(float)
    ivory = (rgb[..., 0] > 150) & (rgb[..., 0] >= rgb[..., 2] + 15)
    bluish = (rgb[..., 2] > 120) & (rgb[..., 2] > rgb[..., 0] + 25)
    assert ivory.mean() > 0.05
    assert bluish.mean() > 0.001


def test_follow_keeps_the_knee_at_the_focal_point(right) -> None:  # type: ignore[no-untyped-def]
    view = _view(right)
    with OffscreenRenderer(right, SIZE) as r:
        r.render(view.poses(0), camera="front")
        offset = np.array(r.plotter.camera.focal_point) - r.scene.knee_centre()
        r.scene.set_follow(True)
        i = int(np.argmax(view.measures["knee_flexion_deg"]))
        r.render(view.poses(i), camera=None)
        moved = np.linalg.norm(view.T_world["femur"][i][:3, 3] - view.T_world["femur"][0][:3, 3])
        assert moved > 50.0  # the knee really travels in a squat
        np.testing.assert_allclose(np.array(r.plotter.camera.focal_point) - r.scene.knee_centre(),
                                   offset, atol=1e-6)


def test_set_anatomy_rebuilds_and_keeps_the_pose(right) -> None:  # type: ignore[no-untyped-def]
    left = synthetic_anatomy("left")
    view = _view(right)
    with OffscreenRenderer(right, SIZE) as r:
        r.render(view.poses(3), camera=None)
        old = dict(r.scene.actors)
        r.scene.set_anatomy(left)
        assert all(r.scene.actors[k] is not old[k] for k in old)
        np.testing.assert_allclose(
            r.scene.actors["tibia"].user_matrix,
            np.diag([1.0, 1.0, -1.0, 1.0]) @ view.T_world["tibia"][3], atol=1e-9)
