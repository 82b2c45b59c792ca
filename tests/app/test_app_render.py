"""The 3D view's cheaper render settings keep the picture: back faces are skipped only on closed,
outward-wound surfaces (the skyline view cuts them closed, kneeviz.scene.skyline_cut);
translucency is plain blending (kneeviz.scene.knee_scene)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.scene.knee_scene import is_closed_outward

CUBE_V = np.array([[x, y, z] for x in (0.0, 10.0) for y in (0.0, 10.0) for z in (0.0, 10.0)])
CUBE_F = np.array([
    [0, 1, 3], [0, 3, 2],  # x = 0
    [4, 6, 7], [4, 7, 5],  # x = 10
    [0, 4, 5], [0, 5, 1],  # y = 0
    [2, 3, 7], [2, 7, 6],  # y = 10
    [0, 2, 6], [0, 6, 4],  # z = 0
    [1, 5, 7], [1, 7, 3],  # z = 10
])


def test_a_closed_outward_cube_is_recognised() -> None:
    cube = SurfaceMesh(CUBE_V, CUBE_F)
    # The winding really points outward: the face normals leave the cube's centre.
    centres = CUBE_V[CUBE_F].mean(axis=1)
    assert np.all(np.einsum("ij,ij->i", cube.face_normals(), centres - 5.0) > 0)
    assert is_closed_outward(cube)


def test_open_inside_out_or_inconsistent_surfaces_are_not_culled() -> None:
    assert not is_closed_outward(SurfaceMesh(CUBE_V, CUBE_F[:-1]))  # a hole
    assert not is_closed_outward(SurfaceMesh(CUBE_V, CUBE_F[:, ::-1].copy()))  # inside out
    mixed = CUBE_F.copy()
    mixed[0] = mixed[0][::-1]  # one triangle wound the other way
    assert not is_closed_outward(SurfaceMesh(CUBE_V, mixed))


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="rendering needs an X server (xvfb-run)")
def test_culling_follows_the_camera_preset() -> None:
    from kneeviz.anatomy.build import assets_dir, load_default_anatomy
    from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET
    from kneeviz.scene.offscreen import OffscreenRenderer

    if not (assets_dir() / "landmarks.json").is_file():
        pytest.skip(f"the bundled knee is not built at {assets_dir()} (run 'make assets')")
    anatomy = load_default_anatomy()
    with OffscreenRenderer(anatomy, (320, 200), triangle_budget=APP_TRIANGLE_BUDGET) as r:
        scene = r.scene
        assert not scene.plotter.renderer.GetUseOIT()
        scene.set_camera("front")
        def culled_now() -> set[str]:
            return {n for n, a in scene.actors.items() if a.GetProperty().GetBackfaceCulling()}

        culled = culled_now()
        assert {"femur", "tibia", "patella"} <= culled  # the bundled bones are closed shells
        scene.set_camera("skyline")  # a capped cut, no clipping range: still closed surfaces
        assert culled_now() == culled
        assert not scene.actors["tibia"].GetVisibility()
        scene.set_camera("side")
        assert scene.actors["tibia"].GetVisibility()
        assert culled_now() == culled
