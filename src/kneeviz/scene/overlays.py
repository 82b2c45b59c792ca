"""What the 3D view adds to the bones so the mechanism is visible: the healthy kneecap as a ghost
during the same squat, the thigh bone's inward turn as an arc at the knee, the trochlear groove
line, the kneecap's path (a trail), the quadriceps and patellar tendon lines of pull, bone labels,
and a see-through kneecap so the pressure on the groove shows.

Every actor is created once (in the constructor) and then only moved: by `user_matrix` where the
shape is rigid, by replacing a few points where it is not (the arc, the lines of pull, the label
anchors). A squat is given as `SquatPoses` (world poses per bone and the patella in the femur
frame), for the current hip setting and for the healthy one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv
import vtk

from kneeviz import view_state
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics.muscles import ExtensorModel, wrapped_target
from kneeviz.scene.knee_scene import KneeScene, polydata_from_mesh
from kneeviz.transforms import apply, unit

OVERLAYS: tuple[str, ...] = tuple(view_state.OVERLAYS)
"""Overlay names, each a toggle (kneeviz.view_state lists them with their words)."""

GHOST_COLOUR = (0.35, 0.85, 0.45)
GHOST_OPACITY = 0.28
CURRENT_COLOUR = (0.98, 0.55, 0.20)
GROOVE_COLOUR = (0.92, 0.35, 0.78)
QUAD_COLOUR = (0.90, 0.25, 0.20)
TENDON_COLOUR = (0.98, 0.78, 0.25)
ARC_RADIUS_MM = 75.0
ARC_HEIGHT_MM = 90.0
"""The arc is drawn around the thigh bone this far above the knee centre (along its axis), in the
horizontal plane: the spokes show the front of the thigh bone, healthy (green) and now (orange)."""
RING_RADIUS_MM = 34.0
RING_SWEEP_DEG = 110.0
"""The turning sign around the thigh bone: a fixed sweep, so it reads at any angle."""
TURN_SHOWN_DEG = 1.0
"""Below this inward turn against the healthy squat the arc, its arrowhead and the turning sign
are hidden: there is no turn to show."""
PULL_LENGTH_MM = 110.0
TUBE_RADIUS_MM_PER_PX = 0.3
"""The overlay lines are tubes of this radius per pixel of the width they were drawn with as lines
(an 8 px arc: 2.4 mm), in the knee's own millimetres, so they scale with it as the camera moves."""
TUBE_SIDES = 12
SEE_THROUGH_OPACITY = 0.12

LABELS = {
    "femur": "thigh bone (femur)",
    "patella": "kneecap (patella)",
    "tibia": "shin bone (tibia)",
}


@dataclass(frozen=True, eq=False)
class SquatPoses:
    """The poses of one squat: bone -> (N, 4, 4) world poses; patella (N, 4, 4) in the femur."""

    T_world: Mapping[str, FloatArray]
    T_femur_patella: FloatArray
    scenario: Any = None
    """The squat's Scenario (its solved mechanics model gives the lines of pull)."""

    @property
    def n_frames(self) -> int:
        return int(np.asarray(self.T_femur_patella).shape[0])

    @classmethod
    def of(cls, squat: Any) -> SquatPoses:
        """From anything with T_world / T_femur_patella (the app's SquatView) or a Trajectory."""
        scenario = getattr(squat, "scenario", None)
        if hasattr(squat, "T_world"):
            return cls(dict(squat.T_world), np.asarray(squat.T_femur_patella, dtype=float),
                       scenario)
        return cls(
            {"femur": squat.T_world_femur, "tibia": squat.T_world_tibia,
             "patella": squat.T_world_patella, "pelvis": squat.T_world_pelvis},
            np.asarray(squat.T_femur_patella, dtype=float),
            scenario,
        )

    def index(self, i: int, n_other: int) -> int:
        """The frame of this squat at the same phase as frame i of a squat of n_other frames."""
        if n_other == self.n_frames or n_other <= 1:
            return min(max(i, 0), self.n_frames - 1)
        return int(round(i * (self.n_frames - 1) / (n_other - 1)))


def rotation_about_vertical_deg(T_world_bone: FloatArray) -> float:
    """The bone's Z (mediolateral) axis turned about the world vertical, + internal for a right
    knee (the convention of kneeviz.mechanics.measures.world_rotation_deg)."""
    z = np.asarray(T_world_bone)[:3, 2]
    return float(np.degrees(np.arctan2(z[0], z[2])))


def _line(points: FloatArray) -> pv.PolyData:
    pts = np.asarray(points, dtype=float)
    return pv.PolyData(pts, lines=np.hstack([[len(pts)], np.arange(len(pts))]).astype(np.int64))


class Overlays:
    """The overlay actors of one KneeScene (see the module docstring)."""

    def __init__(self, scene: KneeScene, extensor: ExtensorModel | None = None) -> None:
        self.scene = scene
        self.plotter = scene.plotter
        self.anatomy: Anatomy = scene.anatomy
        self.actors: dict[str, list[pv.Actor]] = {name: [] for name in OVERLAYS}
        self.visible: dict[str, bool] = dict.fromkeys(OVERLAYS, False)
        self.current: SquatPoses | None = None
        self._pull_known = False
        self.healthy: SquatPoses | None = None
        self.frame = 0
        self.see_through = False
        self._turn_visible = False
        self._same = False
        self.femur_turn_deg = 0.0
        """Inward turn of the thigh bone against the healthy squat at the current frame."""
        self._extensor = extensor
        self._solved_for: tuple[Any, ExtensorModel] | None = None
        """(scenario, its solved extensor): the last one found by extensor()."""
        self._build()

    # -- building -------------------------------------------------------------------------------
    def _add(self, name: str, mesh: pv.DataSet, **kw: Any) -> pv.Actor:
        if kw.pop("render_lines_as_tubes", False):
            actor = self._add_tube(mesh, float(kw.pop("line_width")), **kw)
        else:
            actor = self.plotter.add_mesh(
                mesh, reset_camera=False, render=False,
                name=f"kneeviz-overlay-{name}-{len(self.actors[name])}", **kw)
        actor.SetVisibility(False)
        actor.SetPickable(False)
        self.actors[name].append(actor)
        return actor

    def _add_tube(self, line: pv.DataSet, line_width_px: float, color: Any) -> pv.Actor:
        """A line drawn as a real tube around it (TUBE_RADIUS_MM_PER_PX x the width it had as a
        line), made again by VTK whenever the line's points change. VTK's lines drawn as tubes
        are a shader effect that costs about 2 ms a line a frame in software OpenGL; the tube's
        few hundred triangles cost next to nothing."""
        actor = tube_actor(line, TUBE_RADIUS_MM_PER_PX * line_width_px, color)
        self.plotter.renderer.AddActor(actor)
        return actor

    def _build(self) -> None:
        a = self.anatomy
        ghost = polydata_from_mesh(a.patella)
        self._ghost = self._add("ghost", ghost, color=GHOST_COLOUR, opacity=GHOST_OPACITY,
                                smooth_shading=True, specular=0.2)
        groove = np.asarray(a.femur_landmarks.groove_line_mm, dtype=float)
        self._groove = self._add("groove", _line(groove + np.array([1.5, 0.0, 0.0])),
                                 color=GROOVE_COLOUR, line_width=5, render_lines_as_tubes=True)
        zeros2 = np.zeros((2, 3))
        self._trail_poly = _line(np.zeros((2, 3)))
        self._trail = self._add("trail", self._trail_poly, color=CURRENT_COLOUR, line_width=4,
                                render_lines_as_tubes=True)
        self._trail_h_poly = _line(np.zeros((2, 3)))
        self._trail_h = self._add("trail", self._trail_h_poly, color=GHOST_COLOUR, line_width=4,
                                  render_lines_as_tubes=True)
        self._arc_poly = _line(np.zeros((33, 3)))
        arc = self._add("rotation", self._arc_poly, color=CURRENT_COLOUR, line_width=8,
                  render_lines_as_tubes=True)
        self._spoke_h = _line(zeros2.copy())
        self._add("rotation", self._spoke_h, color=GHOST_COLOUR, line_width=7,
                  render_lines_as_tubes=True)
        self._spoke_c = _line(zeros2.copy())
        spoke_c = self._add("rotation", self._spoke_c, color=CURRENT_COLOUR, line_width=7,
                  render_lines_as_tubes=True)
        cone = pv.Cone(center=(0.0, 0.0, 0.0), direction=(1.0, 0.0, 0.0), height=10.0,
                       radius=5.0, resolution=24)
        self._arrow = self._add("rotation", cone, color=CURRENT_COLOUR)
        self._ring_poly = _line(np.zeros((41, 3)))
        ring = self._add("rotation", self._ring_poly, color=CURRENT_COLOUR, line_width=9,
                  render_lines_as_tubes=True)
        self._ring_tip = self._add("rotation", pv.Cone(direction=(1.0, 0.0, 0.0), height=14.0,
                                                       radius=7.0, resolution=24),
                                   color=CURRENT_COLOUR)
        self._turn_actors = (arc, spoke_c, self._arrow, ring, self._ring_tip)
        """What shows the turn itself: hidden when there is no turn to show (then only the
        healthy thigh bone's front spoke stays; a zero-length arc's arrowhead would float by
        the thigh pointing nowhere)."""
        self._quad_poly = _line(zeros2.copy())
        self._add("pull", self._quad_poly, color=QUAD_COLOUR, line_width=7,
                  render_lines_as_tubes=True)
        self._quad_tip = self._add("pull", pv.Cone(direction=(1.0, 0.0, 0.0), height=10.0,
                                                   radius=5.0, resolution=24), color=QUAD_COLOUR)
        self._tendon_poly = _line(zeros2.copy())
        self._add("pull", self._tendon_poly, color=TENDON_COLOUR, line_width=7,
                  render_lines_as_tubes=True)
        self._tendon_tip = self._add("pull", pv.Cone(direction=(1.0, 0.0, 0.0), height=10.0,
                                                     radius=5.0, resolution=24),
                                     color=TENDON_COLOUR)
        self._label_poly = pv.PolyData(np.zeros((len(LABELS), 3)))
        # A named array on our own points (a list would make pyvista copy the points, and the
        # labels would not follow the bones).
        self._label_poly.point_data["labels"] = np.array(list(LABELS.values()))
        label_actor = self.plotter.add_point_labels(
            self._label_poly, "labels", font_size=18, point_size=1,
            shape_opacity=0.65, text_color="white", shape_color="black", always_visible=True,
            show_points=False, name="kneeviz-overlay-labels", reset_camera=False, render=False,
        )
        label_actor.SetVisibility(False)
        self.actors["labels"].append(label_actor)

    def extensor(self) -> ExtensorModel | None:
        """The extensor mechanism the solver used for the squat on screen (its muscle bundles,
        wrap and tendon attachments), or None until that squat has been solved in this process:
        the arrows drawn are the solved lines of pull, never a second model's. Found once per
        squat (finding it hashes the knee's meshes: milliseconds, too slow for every frame)."""
        if self._extensor is not None:
            return self._extensor
        scenario = self.current.scenario if self.current is not None else None
        if scenario is None:
            return None
        if self._solved_for is not None and self._solved_for[0] == scenario:
            return self._solved_for[1]
        from kneeviz.simulation import solved_model

        model = solved_model(self.anatomy, scenario)
        if model is None:
            return None  # not solved yet: asked again once it is
        self._solved_for = (scenario, model.extensor)
        return model.extensor

    def remove(self) -> None:
        for actors in self.actors.values():
            for actor in actors:
                self.plotter.remove_actor(actor, render=False)
        self.actors = {name: [] for name in OVERLAYS}

    def set_anatomy(self, anatomy: Anatomy, extensor: ExtensorModel | None = None) -> None:
        """A new knee: rebuild the overlay actors (the only rebuild)."""
        self.remove()
        self.anatomy = anatomy
        self._extensor = extensor
        self._solved_for = None
        self.current = self.healthy = None
        self._build()
        for name, on in self.visible.items():
            self.set_visible(name, on)

    # -- state ------------------------------------------------------------------------------------
    def set_visible(self, name: str, on: bool) -> None:
        if name not in self.visible:
            raise ValueError(f"unknown overlay {name!r}: one of {', '.join(OVERLAYS)}")
        self.visible[name] = bool(on)
        self.update(self.frame)  # a hidden overlay is not kept in place: place it now

    def set_all(self, names: set[str] | frozenset[str]) -> None:
        """Show exactly these overlays."""
        for name in OVERLAYS:
            self.visible[name] = name in names
        self.update(self.frame)

    def set_squats(self, current: Any, healthy: Any | None) -> None:
        """The squat on screen and the healthy one (SquatView, Trajectory or SquatPoses); then
        update(i) places the overlays at frame i (the window does it once, for the frame it
        shows next, not here as well)."""
        self.current = current if isinstance(current, SquatPoses) or current is None \
            else SquatPoses.of(current)
        self.healthy = healthy if isinstance(healthy, SquatPoses) or healthy is None \
            else SquatPoses.of(healthy)
        self._same = self._same_squat()
        self._set_trails()
        self._refresh_visibility()

    def set_see_through(self, on: bool) -> None:
        """Make the kneecap (bone and cartilage) see-through, so the pressure on the groove
        beneath it shows."""
        self.see_through = bool(on)
        for name in ("patella", "patella_cartilage"):
            actor = self.scene.actors.get(name)
            if actor is not None:
                actor.prop.opacity = SEE_THROUGH_OPACITY if on else 1.0

    def _refresh_visibility(self) -> None:
        for name, actors in self.actors.items():
            show = self.visible[name] and self.current is not None
            if name in ("ghost", "rotation"):
                show = show and self.healthy is not None
            if name == "pull":
                show = show and self._pull_known  # drawn once the squat is solved
            if name == "ghost":
                # the healthy squat on screen: the ghost would sit exactly in the kneecap and
                # z-fight with it (a zebra pattern), and has nothing to show
                show = show and not self._same
            for actor in actors:
                actor.SetVisibility(show)
        if not self._turn_visible:
            for actor in self._turn_actors:
                actor.SetVisibility(False)
        if self.visible["trail"] and (self.healthy is None or self._same):
            self._trail_h.SetVisibility(False)  # one path when the squat on screen is healthy

    def _same_squat(self) -> bool:
        cur, h = self.current, self.healthy
        return (cur is not None and h is not None and cur.n_frames == h.n_frames
                and bool(np.allclose(cur.T_femur_patella, h.T_femur_patella, atol=1e-9)))

    # -- per frame --------------------------------------------------------------------------------
    def _D(self) -> FloatArray:
        return self.anatomy.T_display_model

    def _set_trails(self) -> None:
        front = np.array([0.5 * float(self.anatomy.patella_landmarks.thickness_mm) + 3.0, 0, 0])
        for squat, poly in ((self.current, self._trail_poly),
                            (self.healthy, self._trail_h_poly)):
            if squat is None:
                continue
            n = squat.n_frames
            half = squat.T_femur_patella[: max(2, (n + 1) // 2)]  # the way down
            pts = np.array([apply(T, front) for T in half])
            new = _line(pts)
            poly.copy_from(new)
            poly.Modified()

    def update(self, i: int) -> None:
        """Move every overlay to frame i of the current squat."""
        self.frame = int(i)
        cur = self.current
        if cur is None:
            self._refresh_visibility()
            return
        i = min(max(self.frame, 0), cur.n_frames - 1)
        D = self._D()
        T_wf = np.asarray(cur.T_world["femur"][i], dtype=float)
        T_wt = np.asarray(cur.T_world["tibia"][i], dtype=float)
        T_wp = T_wf @ cur.T_femur_patella[i]
        for actor in (self._groove, self._trail, self._trail_h):
            actor.user_matrix = D @ T_wf
        # Only what is shown is placed (set_visible places an overlay as it is turned on): the
        # arc and the lines of pull are milliseconds of Python each, every frame of a drag.
        if self.healthy is not None:
            j = self.healthy.index(i, cur.n_frames)
            self._ghost.user_matrix = D @ T_wf @ self.healthy.T_femur_patella[j]
            T_wf_healthy = np.asarray(self.healthy.T_world["femur"][j], dtype=float)
            self.femur_turn_deg = float(rotation_about_vertical_deg(T_wf)
                                        - rotation_about_vertical_deg(T_wf_healthy))
            if self.visible["rotation"]:
                self._update_rotation(T_wf, T_wf_healthy)
        if self.visible["pull"]:
            self._update_pull(T_wf, T_wt, T_wp)
        if self.visible["labels"]:
            self._update_labels(T_wf, T_wt, T_wp)
        self._refresh_visibility()

    def turn_camera(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(position, focal point, view-up) looking at the knee from in front and well above, so
        the inward-turn arc and the turning sign around the thigh are seen opened out, not
        edge-on (display coordinates, current frame)."""
        cur = self.current
        T_wf = (np.asarray(cur.T_world["femur"][min(max(self.frame, 0), cur.n_frames - 1)])
                if cur is not None else np.eye(4))
        D = self._D()
        axis = np.asarray(self.anatomy.femur_landmarks.mechanical_axis, dtype=float)
        focal = apply(D @ T_wf, 0.7 * ARC_HEIGHT_MM * axis) + np.array([30.0, 0.0, 0.0])
        lat = np.array([0.0, 0.0, -1.0 if self.anatomy.side == "left" else 1.0])
        direction = np.array([1.0, 0.75, 0.0]) + 0.2 * lat
        pos = focal + 460.0 * direction / np.linalg.norm(direction)
        return pos, focal, np.array([0.0, 1.0, 0.0])

    def kneecap_camera(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(position, focal point, view-up) close on the kneecap from in front, outside and
        above, so the see-through kneecap shows the pressure on the groove beneath it."""
        cur = self.current
        D = self._D()
        if cur is None:
            T_wp = np.eye(4)
        else:
            i = min(max(self.frame, 0), cur.n_frames - 1)
            T_wp = np.asarray(cur.T_world["femur"][i]) @ cur.T_femur_patella[i]
        focal = apply(D @ T_wp, np.array([-8.0, 0.0, 0.0]))
        lat = np.array([0.0, 0.0, -1.0 if self.anatomy.side == "left" else 1.0])
        direction = np.array([1.0, 0.55, 0.0]) + 0.35 * lat
        pos = focal + 190.0 * direction / np.linalg.norm(direction)
        return pos, focal, np.array([0.0, 1.0, 0.0])

    def _update_rotation(self, T_wf: FloatArray, T_wf_healthy: FloatArray) -> None:
        """An arc in the horizontal plane around the thigh bone just above the knee, from the
        healthy femur's front to the current one, with an arrowhead: the thigh bone's inward
        turn, at its true angle."""
        D = self._D()
        axis = np.asarray(self.anatomy.femur_landmarks.mechanical_axis, dtype=float)
        centre = apply(D @ T_wf, ARC_HEIGHT_MM * axis)
        a_h = np.radians(rotation_about_vertical_deg(T_wf_healthy))
        a_c = np.radians(rotation_about_vertical_deg(T_wf))

        def direction(a: float) -> FloatArray:
            """The femur's anterior direction when its Z axis is turned by `a` about the vertical
            (Z = (sin a, 0, cos a), so X = Y x Z = (cos a, 0, -sin a)): the arc is drawn in front
            of the knee, where the viewer looks."""
            return np.asarray(D[:3, :3] @ np.array([np.cos(a), 0.0, -np.sin(a)]))

        t = np.linspace(a_h, a_c, 33)
        pts = np.array([centre + ARC_RADIUS_MM * direction(a) for a in t])
        self._arc_poly.points = pts
        self._spoke_h.points = np.array([centre, centre + 1.15 * ARC_RADIUS_MM * direction(a_h)])
        self._spoke_c.points = np.array([centre, centre + 1.15 * ARC_RADIUS_MM * direction(a_c)])
        # Arrowhead at the arc's end, pointing along the turn.
        tangent = pts[-1] - pts[-2]
        if float(np.linalg.norm(tangent)) < 1e-9:
            tangent = np.cross(np.array([0.0, 1.0, 0.0]), direction(a_c))
        self._arrow.user_matrix = cone_pose(pts[-1], tangent)
        # A turning sign around the thigh bone (fixed sweep, so it reads at any angle): which way
        # it turns. Hidden (with the arc) when it does not turn.
        sign = 1.0 if self.femur_turn_deg >= 0.0 else -1.0
        sweep = np.radians(RING_SWEEP_DEG)
        t = a_c + sign * np.linspace(-sweep, 0.0, 41)
        ring = np.array([centre + RING_RADIUS_MM * direction(a) for a in t])
        self._ring_poly.points = ring
        self._ring_tip.user_matrix = cone_pose(ring[-1] + 3.0 * unit(ring[-1] - ring[-2]),
                                                 ring[-1] - ring[-2])
        self._turn_visible = abs(self.femur_turn_deg) > TURN_SHOWN_DEG

    def _update_pull(self, T_wf: FloatArray, T_wt: FloatArray, T_wp: FloatArray) -> None:
        """The quadriceps' resultant line of pull from the patella's base and the patellar
        tendon's from its apex to the tibial tuberosity (display coordinates)."""
        D = self._D()
        ext = self.extensor()
        self._pull_known = ext is not None
        if ext is None:
            return
        T_fp = np.linalg.inv(T_wf) @ T_wp
        T_ft = np.linalg.inv(T_wf) @ T_wt
        T_fpelvis = None
        if self.current is not None and "pelvis" in self.current.T_world:
            i = min(max(self.frame, 0), self.current.n_frames - 1)
            T_fpelvis = np.linalg.inv(T_wf) @ np.asarray(self.current.T_world["pelvis"][i])
        total = np.zeros(3)
        start = np.zeros(3)
        for b in ext.bundles:
            p = apply(T_fp, b.insertion_mm)
            if b.on_pelvis:
                if T_fpelvis is None:
                    continue
                o = apply(T_fpelvis, b.origin_mm)
            else:
                o = np.asarray(b.origin_mm, dtype=float)
            target, _ = wrapped_target(p, o, ext.wrap_centre_mm, ext.wrap_radius_mm)
            d = target - p
            total += b.share * d / max(float(np.linalg.norm(d)), 1e-9)
            start += b.share * p
        start /= max(sum(b.share for b in ext.bundles), 1e-9)
        direction = total / max(float(np.linalg.norm(total)), 1e-9)
        # Drawn from the front half of the base, where the quadriceps tendon lies over the femur
        # (the computed line itself runs under the cartilage surface once it wraps).
        start = start + T_fp[:3, 0] * 0.3 * float(self.anatomy.patella_landmarks.thickness_mm)
        p0 = apply(D @ T_wf, start)
        p1 = apply(D @ T_wf, start + PULL_LENGTH_MM * direction)
        self._quad_poly.points = np.array([p0, p1])
        self._quad_tip.user_matrix = cone_pose(p1, p1 - p0)
        tendon_p = np.mean([apply(T_fp, s.patella_mm) for s in ext.tendons], axis=0)
        tendon_t = np.mean([apply(T_ft, s.other_mm) for s in ext.tendons], axis=0)
        q0 = apply(D @ T_wf, tendon_p)
        q1 = apply(D @ T_wf, tendon_t)
        self._tendon_poly.points = np.array([q0, q1])
        self._tendon_tip.user_matrix = cone_pose(q1, q1 - q0)

    def _update_labels(self, T_wf: FloatArray, T_wt: FloatArray, T_wp: FloatArray) -> None:
        D = self._D()
        a = self.anatomy
        lat = np.array([0.0, 0.0, 1.0])
        femur_pt = 0.35 * np.asarray(a.femur_landmarks.hip_centre_mm, dtype=float) + 30.0 * lat
        tibia_pt = 0.35 * np.asarray(a.tibia_landmarks.ankle_centre_mm, dtype=float) + 30.0 * lat
        patella_pt = np.array([0.5 * float(a.patella_landmarks.thickness_mm) + 5.0, 0.0, 25.0])
        self._label_poly.points = np.array([
            apply(D @ T_wf, femur_pt), apply(D @ T_wp, patella_pt), apply(D @ T_wt, tibia_pt),
        ])


def tube_actor(line: pv.DataSet, radius_mm: float, color: Any, sides: int = TUBE_SIDES
               ) -> pv.Actor:
    """An actor drawing a real tube of `radius_mm` around a polyline, made again by VTK whenever
    the line's points change (not yet added to a renderer)."""
    tube = vtk.vtkTubeFilter()
    tube.SetInputData(line)
    tube.SetRadius(radius_mm)
    tube.SetNumberOfSides(sides)
    tube.CappingOn()
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputConnection(tube.GetOutputPort())
    mapper.ScalarVisibilityOff()
    actor = pv.Actor(mapper=mapper)
    actor.prop.color = color
    actor.prop.interpolation = "phong"
    return actor


def cone_pose(tip: FloatArray, direction: FloatArray, length_mm: float = 10.0) -> FloatArray:
    """A 4x4 placing a cone built along +X (centred at the origin, `length_mm` long: the
    arrowheads here are 10 mm) with its tip at `tip`, pointing along `direction`."""
    x = np.asarray(direction, dtype=float)
    x = x / max(float(np.linalg.norm(x)), 1e-9)
    helper = np.array([0.0, 1.0, 0.0]) if abs(x[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    y = np.cross(helper, x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2] = x, y, z
    T[:3, 3] = np.asarray(tip, dtype=float) - 0.5 * length_mm * x
    return T
