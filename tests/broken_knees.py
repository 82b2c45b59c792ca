"""Deliberately broken knees for the self-check's tests (kneeviz.result_check), written as the
bone files a user would give `kneeviz simulate --femur --patella --tibia --pelvis`.

The bundled knee's bones are exported in one shared "scan" frame (the femur's): the femur and
pelvis as they are, the tibia at its reference pose, the kneecap where the bundled knee balances
it standing. Loaded back through the same path as a patient's files (landmarks found, cartilage
grown), that knee is the control, which passes every check (to 90 deg of flexion); each broken
knee changes one thing in it:
- the tibia moved 15 mm forward (anterior) under the femur;
- the femur (and nothing else) turned 20 deg about its mechanical axis (the tibia and kneecap now
  sit 20 deg turned under it);
- the kneecap of another knee: the Lenhart 2015 knee's patella (../shared/meshes, test data
  only), placed where the bundled kneecap stands.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from hostile_fixtures import write_stl
from kneeviz.anatomy.build import load_default_anatomy
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.transforms import axis_angle, make_transform

BONES = ("femur", "patella", "tibia", "pelvis")


@lru_cache(maxsize=1)
def standing_patella_pose() -> np.ndarray:
    """Where the bundled knee balances its kneecap standing (femur frame)."""
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    a = load_default_anatomy()
    sc = Scenario.from_preset("healthy", max_flexion_deg=10.0, frame_rate_hz=10.0)
    return np.asarray(simulate(a, sc).T_femur_patella[0], dtype=float)


def bundled_scan() -> dict[str, SurfaceMesh]:
    """The bundled knee's bones in one scan frame (the femur's)."""
    a = load_default_anatomy()
    assert a.pelvis is not None
    return {
        "femur": a.femur,
        "patella": a.patella.transformed(standing_patella_pose()),
        "tibia": a.tibia.transformed(a.T_femur_tibia_ref),
        "pelvis": a.pelvis.transformed(a.T_femur_pelvis_ref),
    }


def tibia_forward(scan: dict[str, SurfaceMesh], mm: float = 15.0) -> dict[str, SurfaceMesh]:
    """The tibia moved `mm` anteriorly (+X of the femur frame)."""
    return {**scan, "tibia": scan["tibia"].transformed(make_transform(np.eye(3),
                                                                        np.array([mm, 0, 0])))}


def femur_turned(scan: dict[str, SurfaceMesh], deg: float = 20.0) -> dict[str, SurfaceMesh]:
    """The femur turned `deg` about its mechanical axis (knee centre to hip centre)."""
    axis = load_default_anatomy().femur_landmarks.mechanical_axis
    T = make_transform(axis_angle(np.asarray(axis, dtype=float), np.radians(deg)), np.zeros(3))
    return {**scan, "femur": scan["femur"].transformed(T)}


def other_patella(scan: dict[str, SurfaceMesh], patella: SurfaceMesh) -> dict[str, SurfaceMesh]:
    """Another knee's kneecap (in any frame) placed where the bundled kneecap stands: its
    centroid on the bundled one's, its axes as it was exported."""
    v = np.asarray(patella.vertices_mm, dtype=float)
    centred = patella.transformed(make_transform(np.eye(3), -v.mean(axis=0)))
    return {**scan, "patella": centred.transformed(standing_patella_pose())}


def write_knee(folder: Path, scan: dict[str, SurfaceMesh]) -> list[str]:
    """The bones as binary STL files; the `kneeviz simulate` options that give them."""
    folder.mkdir(parents=True, exist_ok=True)
    args: list[str] = []
    for bone in BONES:
        m = scan[bone]
        path = write_stl(folder / f"{bone}.stl", m.vertices_mm, m.faces)
        args += [f"--{bone}", str(path)]
    return args
