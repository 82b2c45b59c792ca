"""The knee in 3D: one pyvista actor per bone and cartilage, created once, posed by matrices.

A frame of the squat is a set of world poses (T_world_<bone>, model coordinates, right-knee
convention). Each actor keeps its mesh in its bone frame and receives
`T_display_model @ T_world_bone` as its `user_matrix`, so playing the squat never rebuilds geometry
(and a left knee is mirrored back for display in that one product).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvista as pv

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray, IntArray, SurfaceMesh, reduce_for_display
from kneeviz.scene.materials import (
    BACKGROUND_BOTTOM,
    BACKGROUND_TOP,
    BONE,
    CARTILAGE,
    GHOST,
    Material,
)
from kneeviz.transforms import apply, invert, unit
from kneeviz.view_state import CAMERA_FRAMES, CAMERAS, DEFAULT_CAMERA_FRAME

BONES = ("pelvis", "femur", "tibia", "patella")
"""The rigid bodies a frame poses."""

PARTS: dict[str, tuple[str, Material]] = {
    "patella": ("patella", BONE),
    "patella_cartilage": ("patella", CARTILAGE),
    "femur_cartilage": ("femur", CARTILAGE),
    "femur": ("femur", BONE),
    "tibia": ("tibia", BONE),
    "pelvis": ("pelvis", BONE),
}
"""Actor name -> (the bone whose pose moves it, its material), in the order they are drawn: from
the front of the knee backwards. Software OpenGL shades a pixel only when it passes the depth
test, so a surface drawn after what hides it costs nothing there: drawn the other way (the thigh
bone before its cartilage and the kneecap), the thigh bone's close-up shaded most pixels two or
three times (57 ms a frame at 1280x800 against 30 ms for the front view, the same triangles)."""

GHOST_PARTS: dict[str, tuple[str, str]] = {
    "femur_completion": ("femur", "femur"),
    "tibia_completion": ("tibia", "tibia"),
}
"""A partial bone's completion from the atlas (Anatomy.completion): actor name -> (the bone whose
pose moves it, the Completion attribute holding the mesh). Drawn in GHOST."""

CAMERA_PRESETS = tuple(CAMERAS)
"""The camera presets this scene places (kneeviz.view_state.CAMERAS names them)."""

APP_TRIANGLE_BUDGET: dict[str, int] = {
    "pelvis": 6000,
    "femur": 12000,
    "tibia": 8000,
    "patella": 4000,
    "femur_cartilage": 12000,
    "patella_cartilage": 5000,
    "femur_completion": 6000,
    "tibia_completion": 4000,
}
"""Display triangles per part in the app: about 47k in all. Software rendering costs roughly
0.5 ms per 1000 triangles at 1280x800, so the bundled knee's 150k would halve the frame rate
while adding no visible detail at knee scale. The model keeps the full meshes."""


CLOSEUP_FILL = 2.1
"""The thigh bone's close-up frames this many kneecap heights (top to bottom of the view): the
kneecap and its groove fill the picture, so a kneecap 2 mm further out moves tens of pixels."""
CLOSEUP_FROM_BELOW_DEG = 25.0
"""The thigh bone's close-up looks at the groove from in front and this far below the thigh
bone's front (in its sagittal plane, so the outward direction lies flat across the screen): the
kneecap stays in sight from the standing knee to a deep squat."""
VIEW_ANGLE_DEG = 30.0
"""The 3D view's vertical view angle (VTK's default), for framing."""

CUT_FACE_COLOR = (0.45, 0.40, 0.34)
"""Inside of a bone, were a clipping plane ever to cut it: darker than its surface."""


def configure_renderer(plotter: pv.BasePlotter) -> None:
    """Cheaper translucency: plain alpha blending instead of VTK's order-independent translucency
    (OIT). The translucent things in the scene (the healthy kneecap's ghost, the see-through
    kneecap) are single thin shells drawn over opaque bone, where both give the same picture (no
    pixel differed by more than 9 of 255 in a close-up with the ghost), but OIT adds float
    framebuffers and a full-screen blend pass every frame: about 8 ms of a 30 ms frame at
    1280x800 in software rendering (llvmpipe)."""
    renderer = getattr(plotter, "renderer", None)
    if renderer is not None:
        renderer.SetUseOIT(False)


def is_closed_outward(mesh: SurfaceMesh) -> bool:
    """True when the surface is closed and consistently wound with its normals outward: every
    directed edge appears once and its reverse once, and the enclosed volume is positive. Only
    such a surface can have its back faces skipped (culled) without anything visible missing."""
    f = np.asarray(mesh.faces, dtype=np.int64)
    if len(f) == 0:
        return False
    n = int(mesh.n_vertices)
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    codes = directed[:, 0] * n + directed[:, 1]
    if len(np.unique(codes)) != len(codes):
        return False  # an edge used twice in the same direction: inconsistent or non-manifold
    reverse = np.sort(directed[:, 1] * n + directed[:, 0])
    if not np.array_equal(np.sort(codes), reverse):
        return False  # an edge without its partner: an open border
    v = np.asarray(mesh.vertices_mm, dtype=float)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) > 0.0


def polydata_from_mesh(mesh: SurfaceMesh) -> pv.PolyData:
    """A pyvista surface with smooth point normals; the vertex order is kept (scalars such as
    cartilage pressure can later be set per original vertex)."""
    faces = np.hstack([np.full((mesh.n_triangles, 1), 3, dtype=np.int64), mesh.faces]).ravel()
    poly = pv.PolyData(np.array(mesh.vertices_mm, dtype=float), faces)
    poly.point_data["Normals"] = mesh.vertex_normals().astype(np.float32)
    poly.point_data.active_normals_name = "Normals"
    return poly


def groove_anchor_mm(anatomy: Anatomy, T_femur_patella: FloatArray) -> FloatArray:
    """The deepest point of the groove at the kneecap's level, in the femur frame: the groove
    line's point nearest the kneecap's centre in the sagittal plane (where its shift is measured
    from, kneeviz.mechanics.measures), interpolated along the line so a camera held on it glides
    rather than steps from one groove point to the next."""
    g = np.asarray(anatomy.femur_landmarks.groove_line_mm, dtype=float)
    o = np.asarray(T_femur_patella, dtype=float)[:3, 3]
    if g.ndim != 2 or len(g) == 0:
        return np.zeros(3)
    if len(g) == 1:
        return g[0].copy()
    a, b = g[:-1], g[1:]
    ab = (b - a)[:, :2]
    t = np.clip(np.einsum("ij,ij->i", o[:2] - a[:, :2], ab)
                / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0.0, 1.0)
    p = a + t[:, None] * (b - a)
    k = int(np.argmin(np.linalg.norm(p[:, :2] - o[:2], axis=1)))
    return np.asarray(p[k], dtype=float)


@dataclass(frozen=True)
class CameraPose:
    """position, focal point, view-up (display coordinates, mm)."""

    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    clipping_range: tuple[float, float] | None = None
    """Near/far distances when the preset cuts the view (None: fit the scene)."""

    def as_list(self) -> list[tuple[float, float, float]]:
        return [self.position, self.focal_point, self.view_up]


def _t(v: FloatArray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


class KneeScene:
    """The actors of one knee in one pyvista plotter (a QtInteractor or an offscreen Plotter)."""

    def __init__(
        self,
        plotter: pv.BasePlotter,
        anatomy: Anatomy,
        triangle_budget: Mapping[str, int] | None = None,
    ) -> None:
        """triangle_budget: display triangles per part (None: the full meshes). With a budget,
        `vertex_map[name]` gives each displayed vertex's original vertex index."""
        self.plotter = plotter
        self.anatomy = anatomy
        self.triangle_budget = dict(triangle_budget) if triangle_budget else None
        self.actors: dict[str, pv.Actor] = {}
        self.vertex_map: dict[str, IntArray] = {}
        self._poses: dict[str, FloatArray] = {}
        self._follow_offset: FloatArray | None = None
        self.camera_frame: str | None = None
        """What the camera is held to (kneeviz.view_state.CAMERA_FRAMES); None: each preset's
        default (DEFAULT_CAMERA_FRAME). See `frame_of`."""
        self._held_anchor: FloatArray | None = None
        """The groove point (femur frame) the camera rode from last, in the thigh bone's view."""
        self._clip: tuple[float, float] | None = None
        self._cullable: set[str] = set()
        self._marks: tuple[Any, ...] | None = None
        """The skyline view's capped cut and its groove and ridge marks (kneeviz.scene.skyline_cut,
        skyline_marks), made on first use."""
        self._withheld: set[str] = set()
        """Parts not drawn whatever the camera (`withhold`)."""
        self._preset = ""
        """The preset whose parts are shown (set_preset_parts)."""
        self._recut_interval_s = 0.0
        """Parts whose back faces are never seen unless a clipping plane cuts them open."""
        plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)  # type: ignore[arg-type]
        configure_renderer(plotter)
        self._build()
        from kneeviz.scene.side_labels import SideLabels

        self.sides = SideLabels(self)
        """"outer side" / "inner side" in the view's upper corners (update_sides)."""

    # -- actors ---------------------------------------------------------------------------
    def _parts(self) -> dict[str, tuple[str, Material, SurfaceMesh | None]]:
        """Every part to draw: (bone, material, mesh); an estimated pelvis and the completion of
        a partial bone are ghosted."""
        out: dict[str, tuple[str, Material, SurfaceMesh | None]] = {
            name: (bone, material, getattr(self.anatomy, name))
            for name, (bone, material) in PARTS.items()
        }
        completion = self.anatomy.completion
        if completion is not None:
            if completion.pelvis_estimated:
                out["pelvis"] = ("pelvis", GHOST, self.anatomy.pelvis)
            for name, (bone, attr) in GHOST_PARTS.items():
                out[name] = (bone, GHOST, getattr(completion, attr))
        return out

    def _build(self) -> None:
        for name, (_bone, material, mesh) in self._parts().items():
            if mesh is None:
                continue
            budget = self.triangle_budget.get(name) if self.triangle_budget else None
            if budget is not None:
                mesh, self.vertex_map[name] = reduce_for_display(mesh, budget)
            else:
                self.vertex_map[name] = np.arange(mesh.n_vertices, dtype=np.int64)
            actor = self.plotter.add_mesh(
                polydata_from_mesh(mesh),
                color=material.color,
                ambient=material.ambient,
                diffuse=material.diffuse,
                specular=material.specular,
                specular_power=material.specular_power,
                opacity=material.opacity,
                smooth_shading=True,
                # the inside of a see-through part in its own colour (not a dark cut colour:
                # the see-through kneecap read as a brown lump)
                backface_params={"color": material.color, "ambient": 0.5, "diffuse": 0.4,
                                 "specular": 0.0},
                name=f"kneeviz-{name}",
                reset_camera=False,
                render=False,
            )
            # Slightly push the bone back in depth so coincident cartilage-bone surfaces favour
            # the cartilage instead of flickering.
            if material is BONE:
                actor.mapper.SetResolveCoincidentTopologyToPolygonOffset()
            self.actors[name] = actor
            if is_closed_outward(mesh):
                self._cullable.add(name)
        self.update_culling()

    def update_culling(self) -> None:
        """Skip the back faces of closed, opaque surfaces (about a tenth of a frame's time in
        software rendering: their pixels are shaded only to be hidden), except while a preset's
        clipping range cuts the bones open (the skyline view: the cut shows their inside in
        CUT_FACE_COLOR). A see-through part keeps its back faces, so it looks as it did (call
        this again after changing a part's opacity)."""
        cull = self._clip is None
        for name, actor in self.actors.items():
            prop = actor.GetProperty()
            prop.SetBackfaceCulling(cull and name in self._cullable and prop.GetOpacity() >= 1.0)

    def set_anatomy(self, anatomy: Anatomy) -> None:
        """Replace the knee (the only time actors are rebuilt)."""
        self.remove()
        self.anatomy = anatomy
        self._held_anchor = None  # the window places its camera again on the new knee
        self._cullable = set()
        self._build()
        if self._poses:
            self.set_poses(self._poses)

    def remove(self) -> None:
        for part in self._marks or ():
            part.remove()
        self._marks = None
        for name in list(self.actors):
            self.plotter.remove_actor(self.actors.pop(name), render=False)

    # -- poses ----------------------------------------------------------------------------
    @property
    def T_display_model(self) -> FloatArray:
        return self.anatomy.T_display_model

    def set_poses(self, T_world: Mapping[str, FloatArray]) -> None:
        """Pose every actor from world poses of the bones (keys from BONES; missing keys keep
        the actor where it is). Moves the camera along if follow-knee is on."""
        D = self.T_display_model
        F_before = self.display_femur() if self._held_anchor is not None else None
        for bone, T in T_world.items():
            self._poses[bone] = np.asarray(T, dtype=float)
        for name, bone in [(n, b) for n, (b, _m) in PARTS.items()] + [
            (n, b) for n, (b, _a) in GHOST_PARTS.items()
        ]:
            actor = self.actors.get(name)
            if actor is not None and bone in T_world:
                actor.user_matrix = D @ self._poses[bone]
        if self._follow_offset is not None:
            if F_before is not None and self._preset == "skyline":
                self._aim_skyline()
            elif F_before is not None:
                self._ride(F_before)
            else:
                self._apply_follow()
        for part in self._marks or ():
            part.update()
        self.sides.update()

    def update_sides(self) -> None:
        """Name the sides again (after the camera was turned by hand)."""
        self.sides.update()

    def pose_of(self, bone: str) -> FloatArray:
        return self._poses.get(bone, np.eye(4))

    # -- landmarks in display coordinates --------------------------------------------------
    def _display(self, T_world_bone: FloatArray, p_bone: FloatArray) -> FloatArray:
        p = self.T_display_model @ T_world_bone @ np.append(np.asarray(p_bone, float), 1.0)
        return np.asarray(p[:3])

    def knee_centre(self) -> FloatArray:
        return self._display(self.pose_of("femur"), np.zeros(3))

    def patella_centre(self) -> FloatArray:
        return self._display(self.pose_of("patella"), np.zeros(3))

    def hip_centre(self) -> FloatArray:
        return self._display(self.pose_of("femur"), self.anatomy.femur_landmarks.hip_centre_mm)

    def ankle_centre(self) -> FloatArray:
        return self._display(self.pose_of("tibia"), self.anatomy.tibia_landmarks.ankle_centre_mm)

    def display_femur(self) -> FloatArray:
        """The femur frame to display coordinates at the current frame (4x4)."""
        return np.asarray(self.T_display_model @ self.pose_of("femur"), dtype=float)

    def groove_anchor(self) -> FloatArray:
        """groove_anchor_mm at the current frame (femur frame)."""
        T_fp = invert(self.pose_of("femur")) @ self.pose_of("patella")
        return groove_anchor_mm(self.anatomy, T_fp)

    def _lateral(self) -> FloatArray:
        """Unit vector towards the knee's lateral side in display coordinates."""
        return np.array([0.0, 0.0, -1.0 if self.anatomy.side == "left" else 1.0])

    # -- cameras ---------------------------------------------------------------------------
    def frame_of(self, preset: str) -> str:
        """The frame a preset is placed in: `camera_frame` when set, else the preset's default."""
        frame = self.camera_frame or DEFAULT_CAMERA_FRAME.get(preset, "room")
        if frame not in CAMERA_FRAMES:
            raise ValueError(f"unknown camera frame {frame!r}: one of {tuple(CAMERA_FRAMES)}")
        return frame

    def camera_pose(self, preset: str, frame: str | None = None) -> CameraPose:
        """Camera for a named preset at the current frame (display coordinates), in `frame`
        (None: frame_of(preset)). In the thigh bone's frame the close-up and the skyline are
        placed from the thigh bone alone (its groove at the kneecap's level, its own axes), so
        every hip setting puts the groove on the same pixels; the other presets are placed as in
        the room and then ride with the thigh bone (set_poses)."""
        if preset not in CAMERA_PRESETS:
            raise ValueError(f"unknown camera preset {preset!r}: one of {CAMERA_PRESETS}")
        thigh = (frame or self.frame_of(preset)) == "thigh"
        if preset == "skyline" and thigh:
            return self._thigh_pose(preset)
        if preset == "closeup":
            # in the room: the thigh bone's close-up of the thigh bone as it would stand had it
            # not turned about the room's vertical, so the turn itself is seen
            return self._thigh_pose(preset, unturned=not thigh)
        return self._room_pose(preset)

    def _unturned_femur(self) -> FloatArray:
        """The femur's pose with its turn about the room's vertical taken out (about the knee
        centre): where a thigh bone that had not turned in would stand."""
        T = np.array(self.pose_of("femur"), dtype=float)
        z = T[:3, 2]
        theta = float(np.arctan2(z[0], z[2]))  # the turn (overlays.rotation_about_vertical_deg)
        c, s = np.cos(-theta), np.sin(-theta)
        Ry = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
        T[:3, :3] = Ry @ T[:3, :3]
        return T

    def _thigh_pose(self, preset: str, unturned: bool = False) -> CameraPose:
        """The close-up or the skyline held to the thigh bone (see camera_pose); `unturned`
        places it on the thigh bone with its turn taken out (_unturned_femur)."""
        F = (self.T_display_model @ self._unturned_femur()) if unturned else self.display_femur()
        anchor = self.groove_anchor()
        focal = apply(F, anchor)
        if preset == "closeup":
            a = np.radians(CLOSEUP_FROM_BELOW_DEG)
            direction_f = np.array([np.cos(a), -np.sin(a), 0.0])  # front and below, no side
            up_f = np.array([np.sin(a), np.cos(a), 0.0])
            height = float(self.anatomy.patella_landmarks.height_mm)
            dist = CLOSEUP_FILL * height / (2.0 * np.tan(np.radians(VIEW_ANGLE_DEG) / 2.0))
            direction, up = unit(F[:3, :3] @ direction_f), unit(F[:3, :3] @ up_f)
            return CameraPose(_t(focal + dist * direction), _t(focal), _t(up))
        # skyline: down the patellar tendon's line as seen in the thigh bone's side view (its
        # sideways part left out, so the outward direction lies flat across the screen), from
        # the feet (kneeviz.scene.skyline)
        from kneeviz.scene.skyline import SKYLINE_DISTANCE_MM

        Tt, Tp = self.pose_of("tibia"), self.pose_of("patella")
        Tf_inv = invert(self.pose_of("femur"))
        apex = apply(Tf_inv @ Tp, np.asarray(self.anatomy.patella_landmarks.apex_mm, float))
        tub = apply(Tf_inv @ Tt, np.asarray(self.anatomy.tibia_landmarks.tuberosity_mm, float))
        look_f = (tub - apex) * np.array([1.0, 1.0, 0.0])
        if float(np.linalg.norm(look_f)) < 1e-6:
            look_f = np.array([0.0, -1.0, 0.0])
        look_f = unit(look_f)
        front_f = np.array([1.0, 0.0, 0.0])
        up_f = unit(front_f - float(front_f @ look_f) * look_f)
        look, up = unit(F[:3, :3] @ look_f), unit(F[:3, :3] @ up_f)
        return CameraPose(_t(focal + SKYLINE_DISTANCE_MM * look), _t(focal), _t(up))

    def _room_pose(self, preset: str) -> CameraPose:
        """A preset placed in the room at the current frame."""
        up = np.array([0.0, 1.0, 0.0])
        ant = np.array([1.0, 0.0, 0.0])
        lat = self._lateral()
        knee = self.knee_centre()
        if preset == "front":
            focal = knee + np.array([0.0, -20.0, 0.0])
            pos = focal + 620.0 * unit(ant + 0.12 * lat + 0.08 * up)
        elif preset == "side":
            focal = knee + np.array([10.0, -20.0, 0.0])
            pos = focal + 620.0 * lat
        elif preset == "whole-leg":
            hip, ankle = self.hip_centre(), self.ankle_centre()
            top = hip + 160.0 * up  # the iliac crest is about this far above the hip centre
            pts = np.stack([top, ankle - 40.0 * up, knee])
            focal = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
            extent = max(float(np.ptp(pts, axis=0).max()), 400.0)
            dist = 1.1 * 0.5 * extent / np.tan(np.radians(15.0))
            pos = focal + dist * unit(ant + 0.7 * lat + 0.1 * up)
        elif preset == "skyline":
            # Skyline (Merchant) view along the patellar tendon's line (kneeviz.scene.skyline);
            # the tibia and pelvis are hidden for it (set_camera), nothing is cut open.
            from kneeviz.scene.skyline import skyline_camera

            pos, focal, up = skyline_camera(self.anatomy, self.pose_of("femur"),
                                            self.pose_of("patella"), self.pose_of("tibia"),
                                            self.T_display_model)
        else:
            raise ValueError(f"unknown camera preset {preset!r}: one of {CAMERA_PRESETS}")
        return CameraPose(_t(pos), _t(focal), _t(up))

    def set_camera(self, preset: str, recut: bool = True) -> None:
        """Place the preset's camera at the current frame. `recut=False` leaves a skyline cut
        already shown as it is (riding with its bones: a view playing the squat re-cuts only
        once it pauses)."""
        pose = self.camera_pose(preset)
        self.plotter.camera_position = pose.as_list()
        self._held_anchor = self.groove_anchor() if self.frame_of(preset) == "thigh" else None
        self._clip = pose.clipping_range
        cut_before = self._marks is not None and self._marks[0].visible
        self.set_preset_parts(preset)  # a cut shown anew is made here, after the camera ...
        if cut_before and recut:
            self.recut()  # ... and one shown already follows the camera too
        self.update_culling()
        self._reset_clipping()
        if self._follow_offset is not None:
            self._follow_offset = np.array(self.plotter.camera.focal_point) - self.knee_centre()
        self.sides.update()

    def camera_placed(self, frame: str) -> None:
        """The camera as it is now (placed by a caller, not a preset) is held to `frame` from
        here on: it rides with the thigh bone, or follows the knee through the room."""
        self._held_anchor = self.groove_anchor() if frame == "thigh" else None
        if self._follow_offset is not None:
            self._follow_offset = np.array(self.plotter.camera.focal_point) - self.knee_centre()
        self.sides.update()

    def set_recut_interval(self, seconds: float) -> None:
        """How often the skyline's capped cut is made again while the poses change (0: every
        frame); setting it re-cuts the frame on screen, so a paused frame is cut exactly."""
        self._recut_interval_s = float(seconds)
        if self._marks is not None:
            cut = self._marks[0]
            cut.recut_interval_s = self._recut_interval_s
            cut.update(force=True)

    def recut(self) -> None:
        """Make the skyline's capped cut again now, through the camera as it is (after a camera
        was placed or turned by hand); nothing outside the skyline view."""
        if self._marks is not None and self._marks[0].visible:
            self._marks[0].update(force=True)

    def set_preset_parts(self, preset: str) -> None:
        """Show every part except those a preset hides (the skyline view: the tibia and pelvis),
        and the skyline's groove and ridge marks only in the skyline view."""
        from kneeviz.scene.skyline import HIDDEN_PARTS
        from kneeviz.scene.skyline_cut import CUT_PARTS

        self._preset = preset
        skyline = preset == "skyline"
        for name, actor in self.actors.items():
            actor.SetVisibility(not (skyline and name in (*HIDDEN_PARTS, *CUT_PARTS))
                                and name not in self._withheld)
        if skyline and self._marks is None:
            from kneeviz.scene.skyline_cut import SkylineCut
            from kneeviz.scene.skyline_marks import SkylineMarks

            self._marks = (SkylineCut(self), SkylineMarks(self))
            self._marks[0].recut_interval_s = self._recut_interval_s
        for part in self._marks or ():
            part.set_visible(skyline)
        if skyline and self._marks is not None:
            for name in self._withheld:
                cut = self._marks[0].actors.get(name)
                if cut is not None:
                    cut.SetVisibility(False)

    def withhold(self, names: tuple[str, ...], on: bool) -> None:
        """Leave these parts undrawn whatever the camera (`on`), or draw them again: a kneecap
        off its groove is not drawn at a pose the model cannot vouch for."""
        withheld = (self._withheld | set(names)) if on else (self._withheld - set(names))
        if withheld != self._withheld:
            self._withheld = withheld
            self.set_preset_parts(self._preset)

    # -- follow the knee ------------------------------------------------------------------------
    @property
    def following(self) -> bool:
        return self._follow_offset is not None

    def set_follow(self, on: bool) -> None:
        """Keep the camera's focal point at a fixed offset from the knee centre while it moves."""
        if on:
            self._follow_offset = np.array(self.plotter.camera.focal_point) - self.knee_centre()
        else:
            self._follow_offset = None

    def _ride(self, F_before: FloatArray) -> None:
        """The thigh bone's view: carry the camera with the thigh bone from its pose before this
        frame to its pose now, and along the groove with the kneecap (from the groove point it
        rode from to the one at the kneecap's level now): the groove stays where it was on
        screen, and a camera turned by hand stays turned."""
        assert self._held_anchor is not None
        anchor = self.groove_anchor()
        F = self.display_femur()
        shift = np.eye(4)
        shift[:3, 3] = anchor - self._held_anchor
        M = F @ shift @ invert(F_before)
        self._held_anchor = anchor
        if np.allclose(M, np.eye(4), atol=1e-12):
            return
        cam = self.plotter.camera
        cam.position = _t(apply(M, np.array(cam.position)))
        cam.focal_point = _t(apply(M, np.array(cam.focal_point)))
        cam.up = _t(M[:3, :3] @ np.array(cam.up))
        self._reset_clipping()

    def _aim_skyline(self) -> None:
        """The thigh bone's skyline, placed again for this frame: its line of sight follows the
        tendon's as the knee bends (carried rigidly from the frame it was placed at, it looked
        along a line of another knee bend, and at a deep one from the wrong side)."""
        pose = self._thigh_pose("skyline")
        cam = self.plotter.camera
        cam.position, cam.focal_point, cam.up = pose.position, pose.focal_point, pose.view_up
        self._held_anchor = self.groove_anchor()
        self._reset_clipping()

    def _apply_follow(self) -> None:
        assert self._follow_offset is not None
        cam = self.plotter.camera
        focal = np.array(cam.focal_point)
        shift = self.knee_centre() + self._follow_offset - focal
        if float(np.linalg.norm(shift)) < 1e-9:
            return
        cam.focal_point = _t(focal + shift)
        cam.position = _t(np.array(cam.position) + shift)
        self._reset_clipping()

    def _reset_clipping(self) -> None:
        if self._clip is None:
            self.plotter.reset_camera_clipping_range()
        else:
            self.plotter.camera.clipping_range = self._clip
