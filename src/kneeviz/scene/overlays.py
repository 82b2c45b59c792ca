"""What the 3D view adds to the bones so the mechanism is visible, drawn from what the model gives:

- "ghost": the healthy squat's kneecap at the same frame, drawn as a green OUTLINE (the real
  kneecap is never hidden behind it). Green is the healthy squat as the view holds it: in the
  thigh bone's view, carried with the thigh bone (where a healthy hip would hold the kneecap on
  this thigh bone), in the room view where it is in the room. And the drawn offset: ticks at the
  groove's centre (pink) and this kneecap's centre (orange) across its front, in the thigh
  bone's view also at the healthy kneecap's centre (green) with an arrow from it to this one;
  its value in words ("3.4 mm further out than healthy"). An offset too small to see is drawn
  at a minimum length (MIN_OFFSET_DRAWN_MM) in its true direction; the words carry the value;
- "groove": the groove's deepest line (pink) and the kneecap's centre line (orange, down its
  front): the kneecap sits outward of its groove when the orange line lies outward of the pink;
- "rotation" (the room view only, where the thigh bone turns on screen): the healthy squat's
  groove line (green) and, on a ring round the thigh bone at the groove's level, an arc from
  where the healthy squat holds the groove (green tick) to where it is (pink tick), with its
  angle in words, and this kneecap's centre on the same ring (orange tick): the thigh bone
  turning in under the kneecap, and the kneecap outward of its groove;
- "trail": the kneecap's path on the way down; "pull": the quadriceps' and the patellar
  tendon's lines of pull of the solved model; "labels": the bones' names, each placed where it
  lands on its own bone on screen;
- a see-through kneecap, so the pressure on the groove shows;
- always, past a dislocation: the kneecap is not drawn at the solver's pose (the model has nothing
  to hold a kneecap off its groove, so that pose is not a result): a red outline where it last
  sat in its groove and the words "off its groove (dislocated)" say so.

Every actor is created once (in the constructor) and then only moved: by `user_matrix` where the
shape is rigid, by replacing a few points where it is not. A squat is given as `SquatPoses`
(world poses per bone and the patella in the femur frame), for the current setting and for the
healthy one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv

from kneeviz import view_state
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray, reduce_for_display
from kneeviz.mechanics.muscles import ExtensorModel, wrapped_target
from kneeviz.result_check import NOT_A_RESULT_OPACITY
from kneeviz.scene.knee_scene import KneeScene, groove_anchor_mm, polydata_from_mesh
from kneeviz.scene.overlay_labels import PointWords, place_bone_labels
from kneeviz.scene.overlay_marks import (
    cone_pose,
    line_actor,
    on_top,
    outline_actor,
    polyline,
    scaled_cone_pose,
    set_points,
    tube_actor,
)
from kneeviz.transforms import apply, invert, unit

__all__ = ["OVERLAYS", "Overlays", "SquatPoses", "cone_pose", "offset_words",
           "rotation_about_vertical_deg", "tube_actor"]

OVERLAYS: tuple[str, ...] = tuple(view_state.OVERLAYS)
"""Overlay names, each a toggle (kneeviz.view_state lists them with their words)."""

GHOST_COLOUR = (0.35, 0.85, 0.45)
CURRENT_COLOUR = (0.98, 0.55, 0.20)
GROOVE_COLOUR = (0.92, 0.35, 0.78)
OFF_GROOVE_COLOUR = (0.95, 0.25, 0.22)
QUAD_COLOUR = (0.90, 0.25, 0.20)
TENDON_COLOUR = (0.98, 0.78, 0.25)
OUTLINE_PX = 3.0
MARK_PX = 4.0
TICK_HALF_MM = 6.0
"""The offset's ticks run this far above and below the mark's row."""
MIN_OFFSET_DRAWN_MM = 5.0
"""A shorter offset is drawn this long, in its true direction, so it can be seen; its words give
the true value (a tenth of a millimetre is never drawn as if it were five)."""
SAME_PLACE_MM = 0.5
"""Below this the kneecap sits where a healthy one would: no arrow, words that say so."""
RING_LIFT_MM = 6.0
"""The groove's ring runs this far outside the groove's floor, in front of the cartilage."""
TURN_SHOWN_DEG = 1.0
"""Below this inward turn against the healthy squat the ring's arc and its words are hidden:
there is no turn to show."""
PULL_LENGTH_MM = 110.0
TUBE_RADIUS_MM = 1.6
SEE_THROUGH_OPACITY = 0.12
KNEECAP_PARTS = ("patella", "patella_cartilage")
"""The scene's parts that make the kneecap (withheld off its groove, faded when not a result)."""
FADED_WORDS = "faded: not a result at this frame\n(the numbers say why)"
"""What the app's 3D view says beside a faded kneecap (the readouts give the reason)."""
OUTLINE_TRIANGLES = 3000
"""The kneecap's outline is the silhouette of a mesh this coarse: the same outline to a pixel at
the close-up's scale, a tenth of the work every frame."""

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
    """The squat's Scenario (its mechanics model gives the lines of pull)."""
    dislocated: np.ndarray | None = None
    """(N,) frames at or after the kneecap came off its groove (None: none known)."""
    bisect_offset_pct: np.ndarray | None = None
    """(N,) how much of the kneecap lies outward of the groove (which way it came off)."""
    unsettled: np.ndarray | None = None
    """(N,) frames whose balance did not settle, that were not solved or that the model withheld
    (two balances, not decided by the scan): the kneecap's pose is
    the solver's last, not a result (None: none known)."""

    @property
    def n_frames(self) -> int:
        return int(np.asarray(self.T_femur_patella).shape[0])

    @classmethod
    def of(cls, squat: Any) -> SquatPoses:
        """From anything with T_world / T_femur_patella (the app's SquatView) or a Trajectory."""
        scenario = getattr(squat, "scenario", None)
        if hasattr(squat, "T_world"):  # the app's SquatView
            measures = getattr(squat, "measures", {})
            n = int(np.asarray(squat.T_femur_patella).shape[0])
            unsettled = np.zeros(n, dtype=bool)
            if getattr(squat, "solved", False) and squat.converged is not None:
                unsettled |= ~np.asarray(squat.converged, dtype=bool)
            for k in (getattr(squat, "not_solved", None) or {}):
                if 0 <= int(k) < n:
                    unsettled[int(k)] = True
            return cls(dict(squat.T_world), np.asarray(squat.T_femur_patella, dtype=float),
                       scenario, np.asarray(squat.dislocated, dtype=bool),
                       _array(measures.get("bisect_offset_pct")), unsettled)
        values = getattr(squat, "values", {})
        d = values.get("dislocated")
        from kneeviz.result_check import not_solved_frames

        # not settled, not solved, or withheld by the model
        unsettled = ~np.asarray(squat.converged, dtype=bool) | not_solved_frames(squat)
        return cls(
            {"femur": squat.T_world_femur, "tibia": squat.T_world_tibia,
             "patella": squat.T_world_patella, "pelvis": squat.T_world_pelvis},
            np.asarray(squat.T_femur_patella, dtype=float),
            scenario,
            None if d is None else np.nan_to_num(np.asarray(d, dtype=float)) > 0.5,
            _array(values.get("bisect_offset_pct")),
            unsettled,
        )

    def index(self, i: int, n_other: int) -> int:
        """The frame of this squat at the same phase as frame i of a squat of n_other frames."""
        if n_other == self.n_frames or n_other <= 1:
            return min(max(i, 0), self.n_frames - 1)
        return int(round(i * (self.n_frames - 1) / (n_other - 1)))

    def off_groove(self, i: int) -> bool:
        return self.dislocated is not None and bool(self.dislocated[i])

    def no_result(self, i: int) -> bool:
        """Frame i's kneecap pose is not a result: off its groove, unsettled or not solved."""
        return self.off_groove(i) or (self.unsettled is not None and bool(self.unsettled[i]))

    def last_seated(self, i: int) -> int | None:
        """The last frame before i with the kneecap in its groove and its pose a result (an
        unsettled frame's pose is the solver's last, not where the kneecap sat; None: there is
        none)."""
        if self.dislocated is None:
            return i
        seated = ~self.dislocated[: i + 1]
        if self.unsettled is not None:
            settled = seated & ~self.unsettled[: i + 1]
            seated = settled if settled.any() else seated
        found = np.nonzero(seated)[0]
        return int(found[-1]) if len(found) else None

    def came_off_way(self, i: int) -> str | None:
        """Which way the kneecap left its groove by frame i: "outward", "inward", or None when
        it cannot be said. The first frame off the groove is a balanced pose beyond the groove
        (bisect offset above 100 % or below 0 %); the seated frames before it show which way the
        kneecap was heading (its bisect offset rising or falling from the first result). When
        the two disagree (the balanced pose off the groove found on the other side, e.g. past
        a run of frames that did not settle) no side is named rather than a wrong one."""
        if self.bisect_offset_pct is None or self.dislocated is None:
            return "outward"
        off = self.dislocated[: i + 1]
        first = int(np.argmax(off)) if off.any() else i
        pct = self.bisect_offset_pct
        v = float(pct[first])
        at_pose = None if not math.isfinite(v) else ("inward" if v < 50.0 else "outward")
        seated = self.last_seated(first)
        result = ~self.dislocated if self.unsettled is None else ~self.dislocated & ~self.unsettled
        start = int(np.argmax(result)) if result.any() else None
        heading = None
        if seated is not None and start is not None and start < seated < first:
            v0, v1 = float(pct[start]), float(pct[seated])
            if math.isfinite(v0) and math.isfinite(v1) and v1 != v0:
                heading = "outward" if v1 > v0 else "inward"
        if at_pose is None or heading is None:
            return at_pose or heading
        return at_pose if at_pose == heading else None


def _array(values: Any) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=float)


def rotation_about_vertical_deg(T_world_bone: FloatArray) -> float:
    """The bone's Z (mediolateral) axis turned about the world vertical, + internal for a right
    knee (the convention of kneeviz.mechanics.measures.world_rotation_deg)."""
    z = np.asarray(T_world_bone)[:3, 2]
    return float(np.degrees(np.arctan2(z[0], z[2])))


def offset_words(offset_mm: float, in_groove: bool = False, exact: bool = True) -> str:
    """The kneecap's offset in its groove from where a healthy hip holds it, in words (+
    outward); `in_groove` says "in its groove" (where the groove itself is seen to move);
    `exact` off rounds it for a patient ("about 3 mm")."""
    if not math.isfinite(offset_mm):
        return ""
    where = " in its groove" if in_groove else ""
    if abs(offset_mm) < SAME_PLACE_MM:
        return f"sits{where} where a healthy kneecap does"
    way = "further out" if offset_mm > 0 else "further in"
    size = f"{abs(offset_mm):.1f} mm" if exact else f"about {max(1, round(abs(offset_mm)))} mm"
    return f"{size} {way}{where} than healthy"


def turn_words(turn_deg: float) -> str:
    way = "in" if turn_deg >= 0 else "out"
    return f"thigh bone turned {way} {abs(turn_deg):.0f} degrees"


class Overlays:
    """The overlay actors of one KneeScene (see the module docstring)."""

    def __init__(self, scene: KneeScene, extensor: ExtensorModel | None = None) -> None:
        self.scene = scene
        self.plotter = scene.plotter
        self.anatomy: Anatomy = scene.anatomy
        self.actors: dict[str, list[Any]] = {name: [] for name in OVERLAYS}
        self.visible: dict[str, bool] = dict.fromkeys(OVERLAYS, False)
        self.current: SquatPoses | None = None
        self._pull_known = False
        self.healthy: SquatPoses | None = None
        self.frame = 0
        self.see_through = False
        self.faded = False
        """The kneecap is drawn faded: this frame is not a result (NOT_A_RESULT_OPACITY)."""
        self.camera_frame = "room"
        """What the window's camera is held to (kneeviz.view_state.CAMERA_FRAMES): the ring
        of the thigh bone's turn is drawn only in the room view."""
        self.other_words: list[tuple[FloatArray, str]] = []
        """Words another part of the view shows (anchor in display coordinates, text): the
        bones' names keep clear of them (story step 3's "turns inward" ran into the kneecap's)."""
        self._turn_visible = False
        self._same = False
        self.femur_turn_deg = 0.0
        """Inward turn of the thigh bone against the healthy squat at the current frame."""
        self.offset_mm = math.nan
        """This kneecap's centre minus the healthy one's on this thigh bone, along its outward
        axis (mm, + outward), at the frame shown (nan: no healthy squat)."""
        self.offset_drawn_mm = 0.0
        """The arrow's drawn length (at least MIN_OFFSET_DRAWN_MM when there is an offset)."""
        self.off_groove = False
        """The kneecap is off its groove at the frame shown (drawn as such)."""
        self.no_result = False
        """The kneecap's pose at the frame shown is not a result (off its groove, unsettled, not
        solved): no offset is drawn or worded for it."""
        self.show_numbers = True
        """The offset's words with their value ("3.4 mm further out"); off (story mode for
        patients) they round it ("about 3 mm further out")."""
        self._extensor = extensor
        self._solved_for: tuple[Any, ExtensorModel] | None = None
        """(scenario, its extensor): the last one found by extensor()."""
        self._build()

    # -- building -------------------------------------------------------------------------------
    def _keep(self, name: str, actor: Any) -> Any:
        actor.SetVisibility(False)
        actor.SetPickable(False)
        self.actors[name].append(actor)
        return actor

    def _line(self, name: str, n: int, width_px: float, color: Any, top: bool = True
              ) -> tuple[Any, pv.PolyData]:
        poly = polyline(np.zeros((n, 3)))
        actor = line_actor(poly, width_px, color)
        if top:
            on_top(actor)
        self.plotter.renderer.AddActor(actor)
        return self._keep(name, actor), poly

    def _tube(self, name: str, poly: pv.PolyData, color: Any, radius_mm: float = TUBE_RADIUS_MM
              ) -> Any:
        actor = tube_actor(poly, radius_mm, color)
        self.plotter.renderer.AddActor(actor)
        return self._keep(name, actor)

    def _cone(self, name: str, color: Any, top: bool = True) -> Any:
        cone = pv.Cone(center=(0.0, 0.0, 0.0), direction=(1.0, 0.0, 0.0), height=1.0,
                       radius=0.4, resolution=20)
        actor = self.plotter.add_mesh(cone, color=color, ambient=0.6, diffuse=0.5,
                                      reset_camera=False, render=False,
                                      name=f"kneeviz-overlay-{name}-{len(self.actors[name])}")
        if top:
            on_top(actor)
        return self._keep(name, actor)

    def _words(self, name: str, n: int, color: str) -> PointWords:
        words = PointWords(self.plotter, n, color, f"kneeviz-overlay-{name}-words")
        self._keep(name, words.actor)
        return words

    def _build(self) -> None:
        a = self.anatomy
        camera = self.plotter.renderer.GetActiveCamera()
        outline_mesh, _ = reduce_for_display(a.patella, OUTLINE_TRIANGLES)
        self._outline_poly = polydata_from_mesh(outline_mesh)
        # ghost: the healthy kneecap's outline, and the drawn offset
        self._ghost, self._ghost_sil = outline_actor(self._outline_poly, camera, OUTLINE_PX,
                                                     GHOST_COLOUR)
        self.plotter.renderer.AddActor(self._ghost)
        self._keep("ghost", self._ghost)
        self._tick_h, self._tick_h_poly = self._line("ghost", 2, MARK_PX, GHOST_COLOUR)
        self._tick_c, self._tick_c_poly = self._line("ghost", 2, MARK_PX, CURRENT_COLOUR)
        self._offset, self._offset_poly = self._line("ghost", 2, MARK_PX, CURRENT_COLOUR)
        self._offset_head = self._cone("ghost", CURRENT_COLOUR)
        self._offset_words = self._words("ghost", 1, "#ffb060")
        self._offset_actors = (self._tick_c, self._offset, self._offset_head)
        # groove: its deepest line, the kneecap's centre line and the groove's tick
        groove = np.asarray(a.femur_landmarks.groove_line_mm, dtype=float)
        self._groove_line = groove + np.array([1.5, 0.0, 0.0])
        self._groove = self._tube("groove", polyline(self._groove_line), GROOVE_COLOUR)
        self._centre, self._centre_poly = self._line("groove", 2, MARK_PX, CURRENT_COLOUR,
                                                     top=False)
        self._tick_g, self._tick_g_poly = self._line("groove", 2, MARK_PX, GROOVE_COLOUR)
        # rotation: the healthy groove, the ring, the arc of the turn and its words
        self._groove_h = self._tube("rotation", polyline(self._groove_line), GHOST_COLOUR,
                                    0.8 * TUBE_RADIUS_MM)
        self._arc, self._arc_poly = self._line("rotation", 33, MARK_PX + 1, CURRENT_COLOUR)
        self._arrow = self._cone("rotation", CURRENT_COLOUR)
        self._ring_tick_h, self._ring_tick_h_poly = self._line("rotation", 2, MARK_PX,
                                                               GHOST_COLOUR)
        self._ring_tick_c, self._ring_tick_c_poly = self._line("rotation", 2, MARK_PX,
                                                               GROOVE_COLOUR)
        self._ring_tick_k, self._ring_tick_k_poly = self._line("rotation", 2, MARK_PX,
                                                               CURRENT_COLOUR)
        self._turn_words = self._words("rotation", 1, "#ffb060")
        self._turn_actors = (self._arc, self._arrow, self._ring_tick_h, self._ring_tick_c,
                             self._ring_tick_k, self._turn_words.actor)
        # trail
        self._trail_poly = polyline(np.zeros((2, 3)))
        self._trail = self._tube("trail", self._trail_poly, CURRENT_COLOUR)
        self._trail_h_poly = polyline(np.zeros((2, 3)))
        self._trail_h = self._tube("trail", self._trail_h_poly, GHOST_COLOUR)
        # pull
        self._quad_poly = polyline(np.zeros((2, 3)))
        self._tube("pull", self._quad_poly, QUAD_COLOUR, 2.1)
        self._quad_tip = self._cone("pull", QUAD_COLOUR, top=False)
        self._tendon_poly = polyline(np.zeros((2, 3)))
        self._tube("pull", self._tendon_poly, TENDON_COLOUR, 2.1)
        self._tendon_tip = self._cone("pull", TENDON_COLOUR, top=False)
        # labels
        self._labels = self._words("labels", len(LABELS), "white")
        # off its groove: not an overlay, the state of the kneecap (always drawn when it holds)
        self._off_outline, self._off_sil = outline_actor(self._outline_poly, camera,
                                                         OUTLINE_PX + 1, OFF_GROOVE_COLOUR)
        self._off_outline.SetVisibility(False)
        self._off_outline.SetPickable(False)
        self.plotter.renderer.AddActor(self._off_outline)
        self._off_words = PointWords(self.plotter, 1, "#ff8070", "kneeviz-overlay-off-words",
                                     font_size=20)

    def extensor(self) -> ExtensorModel | None:
        """The extensor mechanism of the squat on screen (its muscle bundles, wrap and tendon
        attachments), from the mechanics model of its knee and tissue setting when one is built
        in this process (kneeviz.simulation.model_for: the window builds it beside its worker's
        solve, the same model for the same knee and setting), else None: the arrows drawn are
        the model's lines of pull, never a second model's. Found once per squat (finding it
        hashes the knee's meshes: milliseconds, too slow for every frame)."""
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
            return None  # not built yet: asked again once it is
        self._solved_for = (scenario, model.extensor)
        return model.extensor

    def remove(self) -> None:
        for actors in self.actors.values():
            for actor in actors:
                self.plotter.remove_actor(actor, render=False)
        for actor in (self._off_outline, self._off_words.actor):
            self.plotter.remove_actor(actor, render=False)
        self.actors = {name: [] for name in OVERLAYS}
        self._withhold_kneecap(False)

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

    def set_camera_frame(self, frame: str) -> None:
        """What the camera is held to (the ring of the turn shows in the room view only)."""
        self.camera_frame = str(frame)
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
        self._set_kneecap_opacity()

    def _set_kneecap_opacity(self) -> None:
        """See-through when asked, faded in a frame that is not a result, else opaque."""
        opacity = 1.0
        if self.faded:
            opacity = NOT_A_RESULT_OPACITY
        if self.see_through:
            opacity = min(opacity, SEE_THROUGH_OPACITY)
        changed = False
        for name in KNEECAP_PARTS:
            actor = self.scene.actors.get(name)
            if actor is not None and actor.prop.opacity != opacity:
                actor.prop.opacity = opacity
                changed = True
        update_culling = getattr(self.scene, "update_culling", None)
        if changed and update_culling is not None:
            update_culling()

    def _refresh_visibility(self) -> None:
        room = self.camera_frame == "room"
        for name, actors in self.actors.items():
            show = self.visible[name] and self.current is not None
            if name in ("ghost", "rotation"):
                show = show and self.healthy is not None
            if name == "pull":
                show = show and self._pull_known  # drawn once the model is known
            if name == "ghost":
                # the healthy squat on screen: an outline exactly round the kneecap, nothing
                # to show
                show = show and not self._same
            if name == "rotation":
                show = show and room and not self._same
            for actor in actors:
                actor.SetVisibility(show)
        if not self._turn_visible:
            for actor in self._turn_actors:
                actor.SetVisibility(False)
        if self.visible["trail"] and (self.healthy is None or self._same):
            self._trail_h.SetVisibility(False)  # one path when the squat on screen is healthy
        if self.no_result:  # its offset, centre line and lines of pull are not results
            for actor in (*self._offset_actors, self._offset_words.actor, self._tick_h,
                          self._tick_g, self._centre, self._ring_tick_k, self._quad_tip,
                          self._tendon_tip):
                actor.SetVisibility(False)
            for actor in self.actors["pull"]:
                actor.SetVisibility(False)
        elif (abs(self.offset_mm) < SAME_PLACE_MM or not math.isfinite(self.offset_mm)
              or self.camera_frame != "thigh"):
            # no arrow: the words say it sits where it should; in the room view the healthy
            # kneecap is elsewhere with its own thigh bone (the ring shows the turn)
            for actor in (self._offset, self._offset_head):
                actor.SetVisibility(False)
        if self.camera_frame != "thigh":  # the ring's row marks them in the room view
            for actor in (self._tick_h, self._tick_c, self._tick_g):
                actor.SetVisibility(False)
        self._off_outline.SetVisibility(self.off_groove and self.current is not None)
        self._off_words.actor.SetVisibility((self.off_groove or self.faded)
                                            and self.current is not None)

    def _same_squat(self) -> bool:
        cur, h = self.current, self.healthy
        return (cur is not None and h is not None and cur.n_frames == h.n_frames
                and bool(np.allclose(cur.T_femur_patella, h.T_femur_patella, atol=1e-9)))

    def _withhold_kneecap(self, on: bool) -> None:
        withhold = getattr(self.scene, "withhold", None)
        if withhold is not None:
            withhold(KNEECAP_PARTS, on)

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
            set_points(poly, np.array([apply(T, front) for T in half]))

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
        T_fp = np.asarray(cur.T_femur_patella[i], dtype=float)
        T_wp = T_wf @ T_fp
        F = D @ T_wf
        self.off_groove = cur.off_groove(i)
        self.no_result = cur.no_result(i)
        self._withhold_kneecap(self.off_groove)
        self.faded = self.no_result and not self.off_groove  # off its groove it is not drawn
        self._set_kneecap_opacity()
        for actor in (self._groove, self._trail, self._trail_h):
            actor.user_matrix = F
        camera = self.plotter.renderer.GetActiveCamera()
        for sil in (self._ghost_sil, self._off_sil):
            if sil.GetCamera() is not camera:
                sil.SetCamera(camera)
        T_fh: FloatArray | None = None
        if self.healthy is not None:
            j = self.healthy.index(i, cur.n_frames)
            T_fh = np.asarray(self.healthy.T_femur_patella[j], dtype=float)
            T_wf_healthy = np.asarray(self.healthy.T_world["femur"][j], dtype=float)
            # the healthy squat as the view holds it: with this thigh bone, or in the room
            self._ghost.user_matrix = (F if self.camera_frame == "thigh"
                                       else D @ T_wf_healthy) @ T_fh
            self.femur_turn_deg = float(rotation_about_vertical_deg(T_wf)
                                        - rotation_about_vertical_deg(T_wf_healthy))
            if self.visible["rotation"]:
                self._update_turn(T_wf, T_fp, T_wf_healthy, T_fh)
        self.offset_mm = math.nan if T_fh is None else float(T_fp[2, 3] - T_fh[2, 3])
        if self.visible["ghost"] or self.visible["groove"]:
            self._update_offset(F, T_fp, T_fh)
        if self.visible["pull"] and not self.off_groove:
            self._update_pull(T_wf, T_wt, T_wp)
        if self.visible["labels"]:
            self._update_labels(T_wf, T_wt, T_wp)
        if self.off_groove:
            self._update_off_groove(F, cur, i)
        elif self.faded:
            front = apply(F @ T_fp, np.array([0.5 * float(self.anatomy.patella_landmarks
                                                          .thickness_mm), 0.0, 0.0]))
            self._off_words.set([front], [FADED_WORDS])
        self._refresh_visibility()

    def _update_offset(self, F: FloatArray, T_fp: FloatArray, T_fh: FloatArray | None) -> None:
        """The drawn offset (femur frame, then display): one row across the kneecap's front at
        its centre's height, with ticks at the groove's centre and this kneecap's; in the
        thigh bone's view also at the healthy kneecap's, with the arrow from it to this one."""
        a = self.anatomy
        front = apply(T_fp, np.array([0.5 * float(a.patella_landmarks.thickness_mm) + 2.0,
                                      0.0, 0.0]))
        x, y = float(front[0]), float(front[1])
        up = TICK_HALF_MM * self._across_view(F)

        def tick(z: float) -> FloatArray:
            p = np.array([x, y, z])
            return np.array([apply(F, p - up), apply(F, p + up)])

        z_c = float(T_fp[2, 3])
        set_points(self._tick_c_poly, tick(z_c))
        g = groove_anchor_mm(a, T_fp)
        set_points(self._tick_g_poly, tick(float(g[2])))
        ridge = np.asarray(a.patella_landmarks.ridge_line_mm, dtype=float)
        if len(ridge) >= 2:  # the kneecap's centre line, down its front
            lift = np.array([0.5 * float(a.patella_landmarks.thickness_mm) + 1.0, 0.0, 0.0])
            ends = ridge[[0, -1]] * np.array([0.0, 1.0, 1.0]) + lift
            set_points(self._centre_poly, apply(F @ T_fp, ends))
        if T_fh is None:
            self.offset_drawn_mm = 0.0
            return
        thigh = self.camera_frame == "thigh"
        z_h = float(T_fh[2, 3])
        set_points(self._tick_h_poly, tick(z_h))
        d = z_c - z_h
        drawn = math.copysign(max(abs(d), MIN_OFFSET_DRAWN_MM), d) if abs(d) >= SAME_PLACE_MM \
            else 0.0
        self.offset_drawn_mm = abs(drawn)
        p0, p1 = np.array([x, y, z_h]), np.array([x, y, z_h + drawn])
        q0, q1 = apply(F, p0), apply(F, p1)
        head = min(3.0, 0.45 * max(abs(drawn), 1e-6))
        set_points(self._offset_poly, np.array([q0, q1 - head * unit(q1 - q0)])
                   if abs(drawn) > 0 else np.array([q0, q0]))
        if abs(drawn) > 0:
            self._offset_head.user_matrix = scaled_cone_pose(q1, q1 - q0, head)
        anchor = apply(F, np.array([x, y, 0.5 * (z_h + z_c)]) + (1.0 + 2.0 / TICK_HALF_MM) * up)
        self._offset_words.set([anchor],
                               [offset_words(d, in_groove=not thigh, exact=self.show_numbers)])

    def _across_view(self, F: FloatArray) -> FloatArray:
        """The thigh bone's long axis (femur frame), or its front when the camera looks along
        the long axis (the skyline), made square to the line of sight: the offset's ticks are
        seen at full length from any camera."""
        cam = self.plotter.camera
        look = F[:3, :3].T @ np.subtract(cam.focal_point, cam.position)
        n = float(np.linalg.norm(look))
        look = look / n if n > 1e-9 else np.array([1.0, 0.0, 0.0])
        for axis in (np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0])):
            d = axis - float(axis @ look) * look
            if float(np.linalg.norm(d)) > 0.5:
                return unit(d)
        return np.array([0.0, 1.0, 0.0])

    def _update_turn(self, T_wf: FloatArray, T_fp: FloatArray, T_wf_healthy: FloatArray,
                     T_fh: FloatArray) -> None:
        """The ring round the thigh bone at the groove's level (display coordinates) and the arc
        from where the healthy squat holds the groove to where it is: the thigh bone's inward
        turn, at its true angle, about the room's vertical."""
        D = self._D()
        F, F_h = D @ T_wf, D @ T_wf_healthy
        self._groove_h.user_matrix = F_h
        axis = np.asarray(self.anatomy.femur_landmarks.mechanical_axis, dtype=float)
        g = groove_anchor_mm(self.anatomy, T_fp)
        g_h = groove_anchor_mm(self.anatomy, T_fh)
        centre = apply(F, float(g @ axis) * axis)
        now, then = apply(F, g) - centre, apply(F_h, g_h) - centre
        vertical = np.array([0.0, 1.0, 0.0])
        flat_now = now - float(now @ vertical) * vertical
        flat_then = then - float(then @ vertical) * vertical
        r = float(np.linalg.norm(flat_now)) + RING_LIFT_MM
        e1 = unit(flat_now) if np.linalg.norm(flat_now) > 1e-6 else np.array([1.0, 0.0, 0.0])
        e2 = np.cross(vertical, e1)
        a_then = math.atan2(float(flat_then @ e2), float(flat_then @ e1))

        def at(t: FloatArray) -> FloatArray:
            return centre + r * (np.cos(t)[:, None] * e1 + np.sin(t)[:, None] * e2)

        arc = at(np.linspace(a_then, 0.0, 33))
        head = min(4.0, 0.4 * float(np.linalg.norm(arc[-1] - arc[0])) + 1e-6)
        set_points(self._arc_poly, arc)
        self._arrow.user_matrix = scaled_cone_pose(arc[-1], arc[-1] - arc[-2], head)
        lift = np.array([0.0, 7.0, 0.0])
        set_points(self._ring_tick_h_poly, np.array([arc[0] - lift, arc[0] + lift]))
        set_points(self._ring_tick_c_poly, np.array([arc[-1] - lift, arc[-1] + lift]))
        k = apply(F, np.asarray(T_fp, dtype=float)[:3, 3]) - centre
        flat_k = k - float(k @ vertical) * vertical
        a_k = math.atan2(float(flat_k @ e2), float(flat_k @ e1))
        on_ring = at(np.array([a_k]))[0]
        set_points(self._ring_tick_k_poly, np.array([on_ring - lift, on_ring + lift]))
        self._turn_words.set([arc[len(arc) // 2] - 2.5 * lift], [turn_words(self.femur_turn_deg)])
        self._turn_visible = abs(self.femur_turn_deg) > TURN_SHOWN_DEG

    def _update_off_groove(self, F: FloatArray, cur: SquatPoses, i: int) -> None:
        """Past a dislocation: the red outline where the kneecap last sat in its groove."""
        k = cur.last_seated(i)
        T = cur.T_femur_patella[k] if k is not None else cur.T_femur_patella[0]
        self._off_outline.user_matrix = F @ np.asarray(T, dtype=float)
        way = cur.came_off_way(i)
        side = f" ({way})" if way else ""
        centre = apply(F @ np.asarray(T, dtype=float),
                       np.array([0.5 * float(self.anatomy.patella_landmarks.thickness_mm), 0, 0]))
        self._off_words.set([centre], [f"kneecap slid off its groove{side}:\n"
                                       "red: where it last sat in it"])

    def turn_camera(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(position, focal point, view-up) looking at the knee from in front and well above,
        so the ring of the turn is seen opened out, not edge-on (display coordinates)."""
        cur = self.current
        T_wf = (np.asarray(cur.T_world["femur"][min(max(self.frame, 0), cur.n_frames - 1)])
                if cur is not None else np.eye(4))
        D = self._D()
        focal = apply(D @ T_wf, np.array([20.0, 40.0, 0.0]))
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

    def _update_pull(self, T_wf: FloatArray, T_wt: FloatArray, T_wp: FloatArray) -> None:
        """The quadriceps' resultant line of pull from the patella's base and the patellar
        tendon's from its apex to the tibial tuberosity (display coordinates)."""
        D = self._D()
        ext = self.extensor()
        self._pull_known = ext is not None
        if ext is None:
            return
        T_fp = invert(T_wf) @ T_wp
        T_ft = invert(T_wf) @ T_wt
        T_fpelvis = None
        if self.current is not None and "pelvis" in self.current.T_world:
            i = min(max(self.frame, 0), self.current.n_frames - 1)
            T_fpelvis = invert(T_wf) @ np.asarray(self.current.T_world["pelvis"][i])
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
        set_points(self._quad_poly, np.array([p0, p1]))
        self._quad_tip.user_matrix = scaled_cone_pose(p1, p1 - p0, 10.0)
        tendon_p = np.mean([apply(T_fp, s.patella_mm) for s in ext.tendons], axis=0)
        tendon_t = np.mean([apply(T_ft, s.other_mm) for s in ext.tendons], axis=0)
        q0 = apply(D @ T_wf, tendon_p)
        q1 = apply(D @ T_wf, tendon_t)
        set_points(self._tendon_poly, np.array([q0, q1]))
        self._tendon_tip.user_matrix = scaled_cone_pose(q1, q1 - q0, 10.0)

    def _update_labels(self, T_wf: FloatArray, T_wt: FloatArray, T_wp: FloatArray) -> None:
        D = self._D()
        points = place_bone_labels(self.plotter.renderer, self.anatomy,
                                   {"femur": D @ T_wf, "tibia": D @ T_wt, "patella": D @ T_wp},
                                   LABELS, self.other_words)
        self._labels.set([points[bone] for bone in LABELS], list(LABELS.values()))
