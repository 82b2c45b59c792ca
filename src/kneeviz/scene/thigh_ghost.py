"""The healthy thigh bone as a green see-through ghost, where a steady hip would hold it, and a
large arc from it to the thigh bone as it is: the inward turn, seen face-on.

Story mode's "the thigh bone turns in" is a turn of a few to 15 degrees: beside nothing to compare
with, it cannot be seen. Drawn over the healthy squat's thigh bone at the same frame, the real bone
visibly stands turned against it. With the foot planted the turn pivots about the knee (the two
knees lie within a few millimetres, the hips up to 100 mm apart), so the arc is drawn about the
knee, from the ghost's shaft to the bone's, at most of the thigh's length: a 14 degree turn is
then an arc of about 70 mm, not the 17 mm of an arc around the shaft itself. It lies in the plane
of the turn (perpendicular to the axis the healthy bone turns about to become this one), and
`swing_camera` looks along that axis, so the arc faces the camera instead of being seen edge-on,
and the bone and its ghost fan out from the knee at their true angle.

One ghost actor and a few arc actors, made once, posed every frame like the bones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv
from scipy.spatial.transform import Rotation

from kneeviz.anatomy.mesh import FloatArray
from kneeviz.scene.knee_scene import polydata_from_mesh, reduce_for_display
from kneeviz.scene.overlays import cone_pose, tube_actor

GHOST_RGB = (0.35, 0.85, 0.45)
"""The healthy kneecap ghost's green (kneeviz.scene.overlays)."""
GHOST_OPACITY = 0.35
GHOST_TRIANGLES = 6000
TURN_RGB = (0.98, 0.55, 0.20)
"""The turn's orange (kneeviz.scene.overlays.CURRENT_COLOUR)."""
SWING_RADIUS_SHARE = 0.62
"""The arc's radius as a share of the knee-to-hip length: far up the thigh, where the turn is
wide, but over the thigh rather than the hip bone."""
ARC_TUBE_RADIUS_MM = 4.5
SPOKE_TUBE_RADIUS_MM = 3.0
ARROW_LENGTH_MM = 34.0
ARROW_RADIUS_MM = 13.0
ARC_LIFT_MM = 30.0
"""The arc and its spokes are lifted this far towards the camera (along the turn's axis, which
the camera looks down), so the bones do not hide them; seen along the axis, they do not move."""
TURN_SHOWN_DEG = 1.0
"""Below this turn there is no arc (kneeviz.scene.overlays.TURN_SHOWN_DEG)."""
ARC_POINTS = 48
SWING_FILL = 0.8
"""The share of the view's width (or height) the knee-to-hip span takes in `swing_camera`."""


def swing_geometry(T_world_femur_healthy: FloatArray, T_world_femur: FloatArray,
                   hip_centre_femur_mm: FloatArray, anterior_femur: FloatArray | None = None
                   ) -> tuple[FloatArray, FloatArray, FloatArray, float, float]:
    """(pivot, axis, first spoke, angle_rad, radius_mm) of the turn from the healthy thigh bone
    to this one (world coordinates): the turn R = R_now R_healthy^T about the unit `axis`
    (pointing up) by `angle_rad`, drawn about the knee centre (`pivot`) from the unit spoke
    direction (the healthy shaft's direction towards the hip, perpendicular to the axis; the
    bone's front when the shaft lies along the axis, as when standing)."""
    Th = np.asarray(T_world_femur_healthy, dtype=float)
    Tc = np.asarray(T_world_femur, dtype=float)
    rotvec = Rotation.from_matrix(Tc[:3, :3] @ Th[:3, :3].T).as_rotvec()
    angle = float(np.linalg.norm(rotvec))
    axis = rotvec / angle if angle > 1e-12 else np.array([0.0, 1.0, 0.0])
    if axis[1] < 0.0:  # the same turn, about the axis pointing up (the camera looks down it)
        axis, angle = -axis, -angle
    hip = np.asarray(hip_centre_femur_mm, dtype=float)
    length = float(np.linalg.norm(hip))
    candidates = [Th[:3, :3] @ (hip / max(length, 1e-9))]
    candidates.append(Th[:3, :3] @ (np.array([1.0, 0.0, 0.0]) if anterior_femur is None
                                    else np.asarray(anterior_femur, dtype=float)))
    perp = [d - float(d @ axis) * axis for d in candidates]
    spoke = perp[0] if np.linalg.norm(perp[0]) >= 0.5 else max(perp, key=np.linalg.norm)
    spoke = spoke / max(float(np.linalg.norm(spoke)), 1e-9)
    pivot = Tc[:3, 3].copy()
    return pivot, axis, spoke, angle, SWING_RADIUS_SHARE * length


def arc_points(pivot: FloatArray, axis: FloatArray, spoke: FloatArray, angle_rad: float,
               radius_mm: float, n: int = ARC_POINTS, lift_mm: float = ARC_LIFT_MM) -> FloatArray:
    """(n, 3) points of the arc: the spoke turned about the axis from 0 to angle_rad."""
    e1 = np.asarray(spoke, dtype=float)
    e2 = np.cross(np.asarray(axis, dtype=float), e1)
    t = np.linspace(0.0, float(angle_rad), int(n))
    centre = np.asarray(pivot, dtype=float) + lift_mm * np.asarray(axis, dtype=float)
    return centre + radius_mm * (np.cos(t)[:, None] * e1 + np.sin(t)[:, None] * e2)


class ThighGhost:
    """A see-through green femur on a KneeScene's plotter and the turn's arc, hidden until
    shown."""

    def __init__(self, scene: Any) -> None:
        self.scene = scene
        mesh, _ = reduce_for_display(scene.anatomy.femur, GHOST_TRIANGLES)
        self.actor = scene.plotter.add_mesh(
            polydata_from_mesh(mesh), color=GHOST_RGB, opacity=GHOST_OPACITY, ambient=0.3,
            diffuse=0.7, specular=0.1, smooth_shading=True, name="kneeviz-thigh-ghost",
            reset_camera=False, render=False, pickable=False,
        )
        self.actor.GetProperty().SetBackfaceCulling(True)  # a thin green shell, no inside
        self.visible = False
        self.actor.SetVisibility(False)
        self.turn_deg = 0.0
        """The turn from the ghost to the bone at the frame shown (degrees, about `axis`)."""
        self.arc_display: FloatArray = np.zeros((0, 3))
        """The arc's points in display coordinates as last drawn (empty: no arc)."""
        self.arc_centre: FloatArray = np.zeros(3)
        """The arc's centre (the knee, lifted towards the camera) in display coordinates."""
        self._geometry: tuple[FloatArray, FloatArray, FloatArray, float, float] | None = None
        self._arc = self._line_actor(ARC_TUBE_RADIUS_MM, TURN_RGB)
        self._spoke_h = self._line_actor(SPOKE_TUBE_RADIUS_MM, GHOST_RGB)
        self._spoke_c = self._line_actor(SPOKE_TUBE_RADIUS_MM, TURN_RGB)
        cone = pv.Cone(center=(0.0, 0.0, 0.0), direction=(1.0, 0.0, 0.0), height=ARROW_LENGTH_MM,
                       radius=ARROW_RADIUS_MM, resolution=24)
        self._arrow = scene.plotter.add_mesh(cone, color=TURN_RGB, name="kneeviz-thigh-turn-tip",
                                             ambient=0.55, diffuse=0.6, reset_camera=False,
                                             render=False, pickable=False)
        self._turn_actors = [a for a, _ in (self._arc, self._spoke_h, self._spoke_c)]
        self._turn_actors.append(self._arrow)
        for a in self._turn_actors:
            a.SetVisibility(False)

    def _line_actor(self, radius_mm: float, rgb: tuple[float, float, float]
                    ) -> tuple[pv.Actor, pv.PolyData]:
        """A tube around a polyline whose points are replaced every frame (see
        kneeviz.scene.overlays.Overlays._add_tube: real tubes cost next to nothing to draw)."""
        line = pv.PolyData(np.zeros((2, 3)), lines=np.array([2, 0, 1], dtype=np.int64))
        actor = tube_actor(line, radius_mm, rgb, sides=12)
        actor.prop.ambient = 0.35
        actor.SetPickable(False)
        self.scene.plotter.renderer.AddActor(actor)
        return actor, line

    @staticmethod
    def _set_line(line: pv.PolyData, points: FloatArray) -> None:
        pts = np.asarray(points, dtype=float)
        line.copy_from(pv.PolyData(pts, lines=np.hstack([[len(pts)], np.arange(len(pts))])
                                   .astype(np.int64)))
        line.Modified()

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        self.actor.SetVisibility(self.visible)
        self._show_turn()

    def set_pose(self, T_world_femur_healthy: FloatArray | None,
                 T_world_femur: FloatArray | None = None) -> None:
        """Where the healthy squat holds the thigh bone at this frame (None: hidden), and the
        arc from it to the bone at `T_world_femur` (this squat's thigh bone at the frame)."""
        if T_world_femur_healthy is None:
            self.actor.SetVisibility(False)
            self._geometry = None
            self._show_turn()
            return
        self.actor.SetVisibility(self.visible)
        D = self.scene.T_display_model
        self.actor.user_matrix = D @ np.asarray(T_world_femur_healthy, dtype=float)
        if T_world_femur is None:
            self._geometry = None
        else:
            self._geometry = swing_geometry(
                D @ np.asarray(T_world_femur_healthy, dtype=float),
                D @ np.asarray(T_world_femur, dtype=float),
                self.scene.anatomy.femur_landmarks.hip_centre_mm)
            self._draw_turn()
        self._show_turn()

    def _draw_turn(self) -> None:
        assert self._geometry is not None
        pivot, axis, spoke, angle, radius = self._geometry
        self.turn_deg = float(np.degrees(angle))
        pts = arc_points(pivot, axis, spoke, angle, radius)
        self.arc_display = pts
        lifted = pivot + ARC_LIFT_MM * axis
        self.arc_centre = lifted
        self._set_line(self._arc[1], pts[:-3])  # the arrowhead finishes it
        self._set_line(self._spoke_h[1], np.array([lifted, lifted + 1.12 * (pts[0] - lifted)]))
        self._set_line(self._spoke_c[1], np.array([lifted, lifted + 1.12 * (pts[-1] - lifted)]))
        tangent = pts[-1] - pts[-2]
        self._arrow.user_matrix = cone_pose(pts[-1], tangent, ARROW_LENGTH_MM)

    def _show_turn(self) -> None:
        shown = (self.visible and self._geometry is not None
                 and abs(self.turn_deg) > TURN_SHOWN_DEG)
        if not shown:
            self.arc_display = np.zeros((0, 3)) if self._geometry is None else self.arc_display
        for a in self._turn_actors:
            a.SetVisibility(shown)

    @property
    def turn_shown(self) -> bool:
        return bool(self._arrow.GetVisibility())

    def swing_camera(self, view_angle_deg: float = 30.0, aspect: float = 16.0 / 9.0
                     ) -> tuple[FloatArray, FloatArray, FloatArray] | None:
        """(position, focal point, view-up) looking down the turn's axis at the knee and the
        thigh, so the arc faces the camera, framed to the knee-to-hip span across a view of
        `aspect` (width / height) with a vertical view angle `view_angle_deg`; the thigh runs
        across the picture, hip on the left, knee on the right. None before the ghost has a
        pose."""
        if self._geometry is None:
            return None
        pivot, axis, spoke, _angle, radius = self._geometry
        arc = arc_points(pivot, axis, spoke, self._geometry[3], radius, lift_mm=0.0)
        span = radius / SWING_RADIUS_SHARE  # knee to hip
        mid = 0.5 * (arc[0] + arc[-1])
        chord = mid - pivot
        along = chord / max(float(np.linalg.norm(chord)), 1e-9)  # knee towards the hip
        focal = pivot + 0.47 * span * along
        # the thigh runs across the wide picture, the knee on the right: what the patient sees
        # looking down at their own thigh, turned a quarter to the right
        up = np.cross(along, axis)
        half_h = np.tan(np.radians(view_angle_deg) / 2.0)
        dist = max(span / (2.0 * SWING_FILL * half_h * max(aspect, 1e-3)),
                   0.7 * span / (2.0 * SWING_FILL * half_h))
        position = focal + dist * axis
        return position, focal, up

    def remove(self) -> None:
        plotter = self.scene.plotter
        plotter.remove_actor(self.actor, render=False)
        plotter.remove_actor(self._arrow, render=False)
        for a, _line in (self._arc, self._spoke_h, self._spoke_c):
            plotter.renderer.RemoveActor(a)
