"""The knee's parts as a phone shows them: the bones near the knee and their cartilage, decimated,
each with one colour (phone viewers ignore per-vertex colours: one material per part), and the
bones' rigid poses per frame. Pure numpy (no Qt, no VTK): the glTF file and the page both use it.

Frames and units, as kneeviz stores them: millimetres, each mesh in its bone's frame (X anterior,
Y up, Z lateral for a right knee; a left knee is stored mirrored to the right and mirrored back for
display by Anatomy.T_display_model). Here a left knee is mirrored back into the vertices (its
triangles re-wound so they still face outward) and into the poses (D T D, still rigid), so every
transform handed on is a proper rotation plus a translation.

The thigh and shin bones are cut KNEE_CROP_MM from the knee: the file is about the knee, a phone
frames the whole model, and a whole femur would leave the kneecap a few pixels tall.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray, IntArray, SurfaceMesh, reduce_for_display

if TYPE_CHECKING:
    from kneeviz.simulation import Trajectory

KNEE_CROP_MM = 140.0
"""Thigh bone kept below, shin bone above this height (bone frame Y, the knee at 0)."""
PHONE_TRIANGLES: dict[str, int] = {
    "femur": 9000,
    "tibia": 5000,
    "patella": 3000,
    "femur_cartilage": 8000,
    "patella_cartilage": 3000,
}
"""Triangles per part: about 28k in all, a few hundred KB in a .glb, smooth at phone size."""


@dataclass(frozen=True)
class PartLook:
    """One part's material: sRGB colour (0..1), opacity, roughness (glTF's PBR terms)."""

    rgb: tuple[float, float, float]
    opacity: float = 1.0
    roughness: float = 0.8


KNEECAP_RGB = (0.96, 0.78, 0.52)
"""The kneecap's bone in light amber on take-home files: a patient finds it at a glance (the
window shows every bone ivory and draws labels instead)."""


def _looks() -> dict[str, PartLook]:
    """Each part's own material: the window's bone and cartilage colours (scene.materials),
    the kneecap in KNEECAP_RGB."""
    from kneeviz.scene.materials import BONE, CARTILAGE

    bone = PartLook(BONE.color, 1.0, 0.85)
    cartilage = PartLook(CARTILAGE.color, 1.0, 0.45)
    return {"femur": bone, "tibia": bone, "patella": PartLook(KNEECAP_RGB, 1.0, 0.8),
            "femur_cartilage": cartilage, "patella_cartilage": cartilage}


GHOST_LOOK = PartLook((0.47, 0.86, 0.55), 0.45, 0.6)
"""The healthy kneecap: green and see-through, as the healthy ghost in the window."""


def faded(look: PartLook) -> PartLook:
    """A kneecap part's look in a frame that is not a result: the same colour, see-through
    (kneeviz.result_check.NOT_A_RESULT_OPACITY), as the window draws it."""
    from kneeviz.result_check import NOT_A_RESULT_OPACITY

    return replace(look, opacity=min(look.opacity, NOT_A_RESULT_OPACITY))


@dataclass(frozen=True, eq=False)
class Part:
    name: str
    bone: str
    """The bone whose pose moves it ("femur", "tibia", "patella")."""
    look: PartLook
    vertices_mm: FloatArray
    """(N, 3) in the bone's frame, display-mirrored."""
    faces: IntArray
    normals: FloatArray

    @property
    def n_triangles(self) -> int:
        return int(len(self.faces))


PARTS: dict[str, str] = {
    "femur": "femur",
    "tibia": "tibia",
    "patella": "patella",
    "femur_cartilage": "femur",
    "patella_cartilage": "patella",
}
"""Part -> the bone that moves it."""
PART_WORDS: dict[str, str] = {
    "femur": "thigh bone",
    "tibia": "shin bone",
    "patella": "kneecap",
    "femur_cartilage": "thigh bone's cartilage",
    "patella_cartilage": "kneecap's cartilage",
    "healthy_patella": "healthy kneecap",
    "patella_faded": "kneecap, faded: not a result at this frame",
    "patella_cartilage_faded": "kneecap's cartilage, faded: not a result at this frame",
}
"""Each part's name for a patient (materials and node names in the files say it)."""


def crop(mesh: SurfaceMesh, keep_below_y: float | None = None,
         keep_above_y: float | None = None) -> SurfaceMesh:
    """The triangles whose three corners lie within the height band, unused vertices dropped."""
    v = np.asarray(mesh.vertices_mm, dtype=float)
    ok = np.ones(len(v), dtype=bool)
    if keep_below_y is not None:
        ok &= v[:, 1] <= keep_below_y
    if keep_above_y is not None:
        ok &= v[:, 1] >= keep_above_y
    f = np.asarray(mesh.faces, dtype=np.int64)
    f = f[ok[f].all(axis=1)]
    used = np.unique(f)
    remap = np.full(len(v), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return SurfaceMesh(v[used], remap[f])


def knee_parts(anatomy: Anatomy, budget: dict[str, int] | None = None,
               crop_mm: float | None = KNEE_CROP_MM) -> list[Part]:
    """The parts in PARTS order, cropped, decimated to `budget` and display-mirrored."""
    looks = _looks()
    budget = PHONE_TRIANGLES if budget is None else budget
    D = np.asarray(anatomy.T_display_model, dtype=float)[:3, :3]
    mirrored = bool(np.linalg.det(D) < 0)
    out = []
    for name, bone in PARTS.items():
        mesh: SurfaceMesh = getattr(anatomy, name)
        if crop_mm is not None and name == "femur":
            mesh = crop(mesh, keep_below_y=crop_mm)
        elif crop_mm is not None and name == "tibia":
            mesh = crop(mesh, keep_above_y=-crop_mm)
        mesh, _ = reduce_for_display(mesh, budget.get(name, mesh.n_triangles))
        v = np.asarray(mesh.vertices_mm, dtype=float) @ D.T
        f = np.asarray(mesh.faces, dtype=np.int64)
        if mirrored:
            f = f[:, ::-1].copy()  # a mirror turns the triangles inside out: turn them back
        shown = SurfaceMesh(v, f)
        out.append(Part(name, bone, looks[name], v, f, shown.vertex_normals()))
    return out


def display_poses(anatomy: Anatomy, T_world_bone: FloatArray) -> FloatArray:
    """(N, 4, 4) world poses of a bone as displayed: D T D (rigid for a left knee too)."""
    D = np.asarray(anatomy.T_display_model, dtype=float)
    return np.einsum("ij,njk,kl->nil", D, np.asarray(T_world_bone, dtype=float), D)


def bone_poses(anatomy: Anatomy, traj: Trajectory, ghost_of: Trajectory | None = None,
               follow: Trajectory | None = None) -> dict[str, FloatArray]:
    """Each bone's displayed world poses over the squat (femur, tibia, patella); with
    `ghost_of` (the healthy squat) also "healthy_patella": the healthy kneecap's pose relative to
    the thigh bone, carried on this squat's thigh bone (where a healthy kneecap would sit).

    `follow` (a squat, the healthy one for both settings): every pose is moved so that squat's
    knee (the thigh bone's origin) stays at the origin, frame by frame: a phone's view stays on
    the knee while the bones turn as in the world (the window's "follow the knee"). Moving both
    settings by the healthy knee keeps where this knee goes relative to it (a knee falling in)."""
    poses = {
        "femur": display_poses(anatomy, traj.T_world_femur),
        "tibia": display_poses(anatomy, traj.T_world_tibia),
        "patella": display_poses(anatomy, traj.T_world_patella),
    }
    if ghost_of is not None:
        T = np.asarray(traj.T_world_femur, dtype=float) @ np.asarray(ghost_of.T_femur_patella,
                                                                     dtype=float)
        poses["healthy_patella"] = display_poses(anatomy, T)
    if follow is not None:
        knee = display_poses(anatomy, follow.T_world_femur)[:, :3, 3]
        for T in poses.values():
            T[:, :3, 3] -= knee
    return poses


def frame_times_s(traj: Trajectory) -> FloatArray:
    """The frames' times from the squat's start (s), from the trajectory's own clock."""
    t = np.asarray(traj["time_s"], dtype=float)
    return t - t[0]
