"""Render the whole-limb squat offscreen as a frame strip (PNG) and optionally a video (MP4).

Rows per scenario: side view (the person faces right), front view (facing the person: a right leg is
on the left of the image), top view (from above, anterior up) and a front close-up of the knee;
columns: frames through the descent. In the pfp rows the healthy femur is drawn as a translucent
ghost, so the hip-driven femoral rotation shows as the gap between the two.
The femur's epicondylar axis is drawn red.

Usage:
    VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow .venv/bin/python scripts/render_squat_strip.py \
        --out /work/helper-notes/squat_strip.png [--knee default] [--video out.mp4]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np  # noqa: E402
import pyvista as pv  # noqa: E402

from kneeviz.anatomy.knee import Anatomy  # noqa: E402
from kneeviz.anatomy.mesh import SurfaceMesh  # noqa: E402
from kneeviz.motion.squat import SquatKinematics, squat_kinematics  # noqa: E402
from kneeviz.scenario import Scenario  # noqa: E402

pv.OFF_SCREEN = True

VIEWS = {
    # name: (camera direction from the focal point, view up)
    "side": (np.array([0.0, 0.0, 1.0]), (0.0, 1.0, 0.0)),
    "front": (np.array([1.0, 0.0, 0.0]), (0.0, 1.0, 0.0)),
    "top": (np.array([0.0, 1.0, 0.0]), (1.0, 0.0, 0.0)),
    "knee close-up, front": (np.array([1.0, 0.0, 0.0]), (0.0, 1.0, 0.0)),
}


def load_knee(which: str) -> Anatomy:
    if which == "synthetic":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from anatomy_fixtures import synthetic_anatomy

        return synthetic_anatomy("right")
    try:
        from kneeviz.anatomy.default import load_default_anatomy
    except ImportError:
        from kneeviz.anatomy.build import load_default_anatomy
    return load_default_anatomy()


def to_polydata(mesh: SurfaceMesh, T: np.ndarray) -> pv.PolyData:
    v = mesh.vertices_mm @ T[:3, :3].T + T[:3, 3]
    faces = np.hstack([np.full((mesh.n_triangles, 1), 3), mesh.faces]).ravel()
    return pv.PolyData(v, faces)


def box(centre: np.ndarray, size: tuple[float, float, float], T: np.ndarray) -> pv.PolyData:
    b = pv.Box(bounds=(-size[0] / 2, size[0] / 2, -size[1] / 2, size[1] / 2,
                       -size[2] / 2, size[2] / 2)).triangulate()
    pts = (np.asarray(b.points) + centre) @ T[:3, :3].T + T[:3, 3]
    b.points = pts
    return b


def add_limb(pl: pv.Plotter, knee: Anatomy, k: SquatKinematics, i: int, ghost: bool) -> None:
    D = knee.T_display_model
    Tf, Tt, Tp = D @ k.T_world_femur[i], D @ k.T_world_tibia[i], D @ k.T_world_pelvis[i]
    if ghost:
        pl.add_mesh(to_polydata(knee.femur, Tf), color="white", opacity=0.25)
        return
    pl.add_mesh(to_polydata(knee.femur, Tf), color="wheat")
    pl.add_mesh(to_polydata(knee.tibia, Tt), color="burlywood")
    fl = knee.femur_landmarks
    ends = np.array([fl.medial_epicondyle_mm, fl.lateral_epicondyle_mm]) * 1.6
    ends = ends @ Tf[:3, :3].T + Tf[:3, 3]
    pl.add_mesh(pv.Tube(pointa=ends[0], pointb=ends[1], radius=4.0), color="red")
    if knee.pelvis is not None:
        pl.add_mesh(to_polydata(knee.pelvis, Tp), color="lightsteelblue")
    else:  # a stand-in pelvis block and a trunk stub, posed by T_world_pelvis
        side = -1.0 if knee.side == "left" else 1.0
        pl.add_mesh(box(np.array([0.0, 40.0, -side * 60.0]), (120.0, 110.0, 200.0), Tp),
                    color="lightsteelblue")
        pl.add_mesh(box(np.array([-20.0, 260.0, -side * 90.0]), (90.0, 300.0, 120.0), Tp),
                    color="lightsteelblue", opacity=0.5)
    # the planted foot (not part of the model: a fixed block under the ankle)
    pl.add_mesh(box(np.array([55.0, -55.0, 0.0]), (250.0, 40.0, 90.0), np.eye(4)), color="gray")


def render(knee: Anatomy, presets: list[str], n_cols: int, out: Path, video: Path | None) -> None:
    runs = {p: squat_kinematics(knee, Scenario.from_preset(p)) for p in presets}
    healthy = runs.get("healthy") or squat_kinematics(knee, Scenario())
    k0 = next(iter(runs.values()))
    bottom = int(np.argmax(k0.knee_flexion_deg))
    # frames at evenly spaced knee angles through the descent
    targets = np.linspace(0.0, k0.knee_flexion_deg[bottom], n_cols)
    frames = np.array([int(np.argmin(np.abs(k0.knee_flexion_deg[: bottom + 1] - t)))
                       for t in targets])
    rows = [(p, v) for p in presets for v in VIEWS]
    pl = pv.Plotter(shape=(len(rows), n_cols), off_screen=True,
                    window_size=(n_cols * 220, len(rows) * 240), border=True)
    for r, (preset, view) in enumerate(rows):
        k = runs[preset]
        for c, i in enumerate(frames):
            pl.subplot(r, c)
            pl.set_background("white")
            add_limb(pl, knee, k, int(i), ghost=False)
            if preset != "healthy":
                add_limb(pl, knee, healthy, int(i), ghost=True)
            if c == 0:
                pl.add_text(f"{preset} {view}", font_size=9, color="black")
            pl.add_text(f"knee {k.knee_flexion_deg[i]:.0f} deg", position="lower_edge",
                        font_size=7, color="black")
            direction, up = VIEWS[view]
            focal, scale = np.array([-60.0, 520.0, 0.0]), 640.0
            if view == "top":
                focal, scale = np.array([0.0, 400.0, 0.0]), 330.0
            elif view.startswith("knee"):
                focal, scale = healthy.knee_centre_world_mm[i] @ knee.T_display_model[:3, :3], 90.0
            pl.camera.focal_point = focal
            pl.camera.position = focal + 3000.0 * direction
            pl.camera.up = up
            pl.camera.parallel_projection = True
            pl.camera.parallel_scale = scale
    out.parent.mkdir(parents=True, exist_ok=True)
    pl.screenshot(str(out))
    pl.close()
    print(f"wrote {out}")
    if video is not None:
        write_video(knee, runs, healthy, video)


def write_video(knee: Anatomy, runs: dict[str, SquatKinematics], healthy: SquatKinematics,
                path: Path) -> None:
    import imageio.v2 as imageio

    presets = list(runs)
    pl = pv.Plotter(shape=(1, 2 * len(presets)), off_screen=True,
                    window_size=(2 * len(presets) * 320, 480))
    writer = imageio.get_writer(str(path), fps=30)
    n = next(iter(runs.values())).n_frames
    for i in range(0, n, 2):
        for r in pl.renderers:
            r.clear()
        for j, preset in enumerate(presets):
            for m, view in enumerate(("side", "front")):
                pl.subplot(0, 2 * j + m)
                pl.set_background("white")
                add_limb(pl, knee, runs[preset], i, ghost=False)
                if preset != "healthy":
                    add_limb(pl, knee, healthy, i, ghost=True)
                pl.add_text(f"{preset} {view}", font_size=9, color="black")
                direction, up = VIEWS[view]
                focal = np.array([-60.0, 520.0, 0.0])
                pl.camera.focal_point = focal
                pl.camera.position = focal + 3000.0 * direction
                pl.camera.up = up
                pl.camera.parallel_projection = True
                pl.camera.parallel_scale = 640.0
        writer.append_data(pl.screenshot(return_img=True))
    writer.close()
    pl.close()
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("squat_strip.png"))
    parser.add_argument("--knee", choices=["synthetic", "default"], default="synthetic")
    parser.add_argument("--presets", nargs="+", default=["healthy", "pfp"])
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument("--video", type=Path, default=None)
    args = parser.parse_args(argv)
    render(load_knee(args.knee), args.presets, args.columns, args.out, args.video)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
