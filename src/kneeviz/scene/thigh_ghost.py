"""The healthy thigh bone as a green see-through ghost, where a steady hip would hold it, and the
turn of the thigh bone against it, drawn where a patient sees "the knee turns in": the way the
knee faces, seen from above.

Story mode's "the thigh bone turns in" is a turn of a few to 15 degrees: beside nothing to compare
with, it cannot be seen. Drawn over the healthy squat's thigh bone at the same frame, the real bone
visibly stands turned against it. The turn the model measures is the thigh bone's knee axis
turning about the room's vertical (kneeviz.mechanics.measures.world_rotation_deg), so two long
pointers leave the knee, level, in the directions the knee faces: with a healthy hip (green) and
now (orange), with an arc and an arrowhead from the first to the second and the words "turns
inward". The pointers are long (POINTER_LENGTH_SHARE of the thigh's length) so that a turn of ten
degrees spans tens of millimetres of arc, at its true angle. (An arc drawn about the knee from
the ghost's shaft to the bone's showed the hip end swinging outward, which is where an inward
turn with the knee held takes it, and read as the thigh swinging sideways.) An arrow in front of
the knee marks "inward", and `leg_camera` frames the whole leg, shin included, from the front and
above, where the level arc is seen opened out.

One ghost actor and a few arc actors, made once, posed every frame like the bones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv

from kneeviz.anatomy.mesh import FloatArray, reduce_for_display
from kneeviz.scene.knee_scene import polydata_from_mesh
from kneeviz.scene.overlay_labels import PointWords
from kneeviz.scene.overlay_marks import cone_pose, tube_actor

GHOST_RGB = (0.35, 0.85, 0.45)
"""The healthy kneecap's green (kneeviz.scene.overlays)."""
GHOST_OPACITY = 0.35
GHOST_TRIANGLES = 6000
TURN_RGB = (0.98, 0.55, 0.20)
"""The turn's orange (kneeviz.scene.overlays.CURRENT_COLOUR)."""
POINTER_LENGTH_SHARE = 0.55
"""The pointers' length as a share of the knee-to-hip length (about 210 mm)."""
POINTER_LIFT_MM = 60.0
"""The pointers leave from this far above the knee centre, clear of the kneecap."""
ARC_TUBE_RADIUS_MM = 4.0
SPOKE_TUBE_RADIUS_MM = 3.0
ARROW_LENGTH_MM = 30.0
ARROW_RADIUS_MM = 11.0
TURN_SHOWN_DEG = 1.0
"""Below this turn there is no arc (kneeviz.scene.overlays.TURN_SHOWN_DEG)."""
ARC_POINTS = 48
LEG_ELEVATION = 0.75
LEG_SIDEWAYS = 0.8
"""`leg_camera` looks at the leg from the front, this far up and this far to the knee's outer
side (per unit forward): the level arc in front of the knee is seen opened out, not end-on, and
the shin and the thigh at their length."""
LEG_FILL = 0.9
"""The share of the view the leg and the arc take in `leg_camera`."""
INWARD_ARROW_MM = 60.0
"""The "inward" arrow in front of the shin: this long, pointing to the knee's inner side."""
INWARD_DOWN_SHARE = 0.4
"""How far down the shin (knee to ankle) the "inward" arrow is, clear of the kneecap's name."""


def heading_geometry(T_display_femur_healthy: FloatArray, T_display_femur: FloatArray,
                     hip_centre_femur_mm: FloatArray, mirrored: bool = False
                     ) -> tuple[FloatArray, FloatArray, FloatArray, float, float]:
    """(centre, axis, first pointer, angle_rad, radius_mm) of the turn from the healthy thigh
    bone to this one about the room's vertical (display coordinates): the pointers are the
    directions the two knees face, level (square to each bone's knee axis, its Z); the angle is
    signed about the vertical (`axis`, pointing up); the centre is above the knee centre.
    `mirrored`: a left knee shown mirrored (its knee axis points the other way on screen)."""
    F, Fh = np.asarray(T_display_femur, dtype=float), np.asarray(T_display_femur_healthy, float)
    up = np.array([0.0, 1.0, 0.0])
    sign = -1.0 if mirrored else 1.0

    def facing(T: FloatArray) -> FloatArray:
        z = T[:3, 2] - float(T[:3, 2] @ up) * up
        f = sign * np.cross(up, z)
        return f / max(float(np.linalg.norm(f)), 1e-9)

    now, then = facing(F), facing(Fh)
    angle = float(np.arctan2(float(np.cross(then, now) @ up), float(then @ now)))
    length = float(np.linalg.norm(np.asarray(hip_centre_femur_mm, dtype=float)))
    centre = F[:3, 3] + POINTER_LIFT_MM * up
    return centre, up, then, angle, POINTER_LENGTH_SHARE * length


def arc_points(centre: FloatArray, axis: FloatArray, spoke: FloatArray, angle_rad: float,
               radius_mm: float, n: int = ARC_POINTS) -> FloatArray:
    """(n, 3) points of the arc: the spoke turned about the axis from 0 to angle_rad."""
    e1 = np.asarray(spoke, dtype=float)
    e2 = np.cross(np.asarray(axis, dtype=float), e1)
    t = np.linspace(0.0, float(angle_rad), int(n))
    return np.asarray(centre, dtype=float) + radius_mm * (np.cos(t)[:, None] * e1
                                                           + np.sin(t)[:, None] * e2)


class ThighGhost:
    """A see-through green femur on a KneeScene's plotter and the turn's pointers and arc,
    hidden until shown."""

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
        """The turn from the ghost to the bone at the frame shown (degrees, + inward)."""
        self.arc_display: FloatArray = np.zeros((0, 3))
        """The arc's points in display coordinates as last drawn (empty: no arc)."""
        self.arc_centre: FloatArray = np.zeros(3)
        """The pointers' common end above the knee (display coordinates)."""
        self.inward_display: FloatArray = np.zeros((2, 3))
        """The "inward" arrow's tail and tip (display coordinates)."""
        self._geometry: tuple[FloatArray, FloatArray, FloatArray, float, float] | None = None
        self._arc = self._line_actor(ARC_TUBE_RADIUS_MM, TURN_RGB)
        self._spoke_h = self._line_actor(SPOKE_TUBE_RADIUS_MM, GHOST_RGB)
        self._spoke_c = self._line_actor(SPOKE_TUBE_RADIUS_MM, TURN_RGB)
        self._arrow = self._cone("kneeviz-thigh-turn-tip", 1.0)
        self._inward = self._line_actor(SPOKE_TUBE_RADIUS_MM, TURN_RGB)
        self._inward_tip = self._cone("kneeviz-thigh-inward-tip", 0.6)
        self.words = PointWords(scene.plotter, 2, "#ffb060", "kneeviz-thigh-turn-words",
                                font_size=20)
        """"turns inward" at the arc's arrowhead and "inward" at the knee's arrow."""
        self._turn_actors = [a for a, _ in (self._arc, self._spoke_h, self._spoke_c,
                                            self._inward)]
        self._turn_actors += [self._arrow, self._inward_tip, self.words.actor]
        for a in self._turn_actors:
            a.SetVisibility(False)

    def _cone(self, name: str, scale: float) -> Any:
        cone = pv.Cone(center=(0.0, 0.0, 0.0), direction=(1.0, 0.0, 0.0),
                       height=scale * ARROW_LENGTH_MM, radius=scale * ARROW_RADIUS_MM,
                       resolution=24)
        return self.scene.plotter.add_mesh(cone, color=TURN_RGB, name=name, ambient=0.55,
                                           diffuse=0.6, reset_camera=False, render=False,
                                           pickable=False)

    def _line_actor(self, radius_mm: float, rgb: tuple[float, float, float]
                    ) -> tuple[pv.Actor, pv.PolyData]:
        """A tube around a polyline whose points are replaced every frame (real tubes cost next
        to nothing to draw: kneeviz.scene.overlay_marks.tube_actor)."""
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
        turn from it to the bone at `T_world_femur` (this squat's thigh bone at the frame)."""
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
            anatomy = self.scene.anatomy
            self._geometry = heading_geometry(
                D @ np.asarray(T_world_femur_healthy, dtype=float),
                D @ np.asarray(T_world_femur, dtype=float),
                anatomy.femur_landmarks.hip_centre_mm, mirrored=anatomy.side == "left")
            self._draw_turn()
        self._show_turn()

    def _inward_sign(self) -> float:
        """+1 when a positive turn about the vertical is an inward one: a right knee's; a left
        knee is shown mirrored, its inward turn negative."""
        return -1.0 if self.scene.anatomy.side == "left" else 1.0

    def _draw_turn(self) -> None:
        assert self._geometry is not None
        centre, axis, spoke, angle, radius = self._geometry
        self.turn_deg = float(np.degrees(angle)) * self._inward_sign()
        pts = arc_points(centre, axis, spoke, angle, radius)
        self.arc_display = pts
        self.arc_centre = centre
        head = min(ARROW_LENGTH_MM, 0.6 * float(np.linalg.norm(pts[-1] - pts[0])) + 1e-6)
        self._set_line(self._arc[1], pts[:-1] if head < ARROW_LENGTH_MM else pts[:-3])
        self._set_line(self._spoke_h[1], np.array([centre, centre + 1.1 * (pts[0] - centre)]))
        self._set_line(self._spoke_c[1], np.array([centre, centre + 1.1 * (pts[-1] - centre)]))
        tangent = pts[-1] - pts[-2]
        self._arrow.user_matrix = cone_pose(pts[-1], tangent, ARROW_LENGTH_MM)
        # "inward" marked below the knee: an arrow in front of the shin pointing to the inner side
        scene = self.scene
        lateral = np.array([0.0, 0.0, -1.0 if scene.anatomy.side == "left" else 1.0])
        knee, ankle = scene.knee_centre(), scene.ankle_centre()
        front = knee + INWARD_DOWN_SHARE * (ankle - knee) + np.array([70.0, 0.0, 0.0])
        start = front + 0.5 * INWARD_ARROW_MM * lateral
        tip = front - 0.5 * INWARD_ARROW_MM * lateral
        self.inward_display = np.array([start, tip])
        self._set_line(self._inward[1], np.array([start, tip + 0.3 * ARROW_LENGTH_MM * lateral]))
        self._inward_tip.user_matrix = cone_pose(tip, -lateral, 0.6 * ARROW_LENGTH_MM)
        inward = self.turn_deg >= 0.0
        self.words.set([pts[-1] + 0.25 * (pts[-1] - centre), tip - 8.0 * lateral],
                       ["turns inward" if inward else "turns outward", "inward"])

    def _show_turn(self) -> None:
        shown = (self.visible and self._geometry is not None
                 and abs(self.turn_deg) > TURN_SHOWN_DEG)
        if not shown:
            self.arc_display = np.zeros((0, 3)) if self._geometry is None else self.arc_display
        for a in self._turn_actors:
            a.SetVisibility(shown)

    def shown_words(self) -> list[tuple[FloatArray, str]]:
        """The words on the view now (anchor in display coordinates, text): none when the turn
        is hidden."""
        if not self.turn_shown:
            return []
        points = np.asarray(self.words.poly.points, dtype=float)
        return [(p, t) for p, t in zip(points, self.words.texts, strict=True) if t.strip()]

    @property
    def turn_shown(self) -> bool:
        return bool(self._arrow.GetVisibility())

    def leg_camera(self, view_angle_deg: float = 30.0, aspect: float = 16.0 / 9.0
                   ) -> tuple[FloatArray, FloatArray, FloatArray] | None:
        """(position, focal point, view-up) looking at the whole leg, hip to ankle, from the
        front and above (LEG_ELEVATION): the turn about the thigh's axis is seen opened out,
        with the shin planted below and the "inward" arrow at the knee; framed to the leg and
        the arc as they fall on a view of `aspect` (width / height). None before the ghost has a
        pose."""
        if self._geometry is None:
            return None
        scene = self.scene
        hip, knee, ankle = scene.hip_centre(), scene.knee_centre(), scene.ankle_centre()
        lateral = np.array([0.0, 0.0, -1.0 if scene.anatomy.side == "left" else 1.0])
        direction = np.array([1.0, LEG_ELEVATION, 0.0]) + LEG_SIDEWAYS * lateral
        direction /= np.linalg.norm(direction)
        up = np.array([0.0, 1.0, 0.0])
        up = up - float(up @ direction) * direction
        up /= np.linalg.norm(up)
        right = np.cross(direction, up)
        arc = self.arc_display if len(self.arc_display) else knee[None, :]
        pts = np.vstack([hip, knee, ankle, arc])
        u, r = pts @ up, pts @ right
        mid_u, mid_r = 0.5 * (u.min() + u.max()), 0.5 * (r.min() + r.max())
        centre = pts.mean(axis=0)
        focal = centre + (mid_u - float(centre @ up)) * up + (mid_r - float(centre @ right)) * right
        half = np.tan(np.radians(view_angle_deg) / 2.0)
        dist = max(float(np.ptp(u)) / (2.0 * LEG_FILL * half),
                   float(np.ptp(r)) / (2.0 * LEG_FILL * half * max(aspect, 1e-3)))
        return focal + dist * direction, focal, up

    def remove(self) -> None:
        plotter = self.scene.plotter
        for a in (self.actor, self._arrow, self._inward_tip, self.words.actor):
            plotter.remove_actor(a, render=False)
        for a, _line in (self._arc, self._spoke_h, self._spoke_c, self._inward):
            plotter.renderer.RemoveActor(a)
