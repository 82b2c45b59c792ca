"""The skyline view's clean cut: the thigh bone, the kneecap and their cartilage cut across at the
joint, with the cut faces closed (capped), as a slab of the knee.

Looking down the patellar tendon's line (kneeviz.scene.skyline), the front of the thigh bone
above the groove faces the camera and hides the joint. The radiograph sees through it; a surface
picture has to cut it away. A camera clipping plane did that but left the bones open (their inside
and back faces showed as a brown surface and black holes), so instead each part is cut by
vtkClipClosedSurface, which closes the cut with a cap: what remains is a solid slab whose near
face is the cross-section through the joint (the kneecap's V over the groove's V, the two
cartilage layers meeting where they touch), every surface closed and seen from outside. The
pressure array the heat map put on the cartilage is carried over, so the contact's colours stay
on what is left of it.

The cut plane is perpendicular to the camera's line of sight through its focal point, which the
skyline preset puts at the joint (the groove's deepest point at the kneecap's level, or between it
and the kneecap's ridge); it moves with the frame. A second, capped cut SLAB_MM further on ends the
slab: seen from the feet the thigh bone's shaft runs on beyond the joint, and drawn whole it stood
behind the joint's section like the stem of a mushroom; the radiograph's view is of the joint.
About 15 ms a frame for the app's display meshes: while the squat plays in the window the cut is
made again at most every `recut_interval_s` (between, the slab made last rides rigidly with
its bone, a change of a fraction of a millimetre a frame), and at once on the paused frame.

The cut reads a snapshot of each part's mesh, not the mesh itself: the heat map replaces the
cartilage's pressure array every frame, and a filter reading the live mesh saw it modified and cut
the cartilage again on every render and on every clipping-range reset (20 ms a frame whatever the
interval: the interval saved nothing with the pressure colours on). Between cuts the slab's
colours still follow the frame: each of its points takes the pressure of its nearest vertex on
the uncut mesh (found once per cut), so only the shape waits for the next cut.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyvista as pv
import vtk
from scipy.spatial import cKDTree
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy

from kneeviz.scene.materials import PRESSURE_ARRAY
from kneeviz.transforms import invert

CUT_PARTS = ("femur", "femur_cartilage", "patella", "patella_cartilage")
NEAR_OFFSET_MM = 0.0
"""How far before the joint point (towards the camera) the cut lies."""
SLAB_MM = 45.0
"""How deep the slab runs beyond the cut: the kneecap and the condyles, not the shaft."""
CAP_FEATURE_ANGLE_DEG = 50.0
"""Normals are recomputed after the cut with edges sharper than this split: the caps shade flat,
the bone surfaces stay smooth."""


class SkylineCut:
    """Capped cut copies of the CUT_PARTS actors, shown instead of them in the skyline view."""

    def __init__(self, scene: Any) -> None:
        self.scene = scene
        self.actors: dict[str, pv.Actor] = {}
        self._pipes: dict[str, tuple[Any, Any, Any, Any, Any]] = {}
        self._far: dict[str, Any] = {}
        for name in CUT_PARTS:
            src = scene.actors.get(name)
            if src is None:
                continue
            plane = vtk.vtkPlane()
            far = vtk.vtkPlane()
            planes = vtk.vtkPlaneCollection()
            planes.AddItem(plane)
            planes.AddItem(far)
            clip = vtk.vtkClipClosedSurface()
            clip.SetClippingPlanes(planes)
            clip.SetPassPointData(True)
            normals = vtk.vtkPolyDataNormals()
            normals.SetInputConnection(clip.GetOutputPort())
            normals.SetFeatureAngle(CAP_FEATURE_ANGLE_DEG)
            normals.SplittingOn()
            normals.ConsistencyOn()
            normals.AutoOrientNormalsOff()
            mapper = vtk.vtkPolyDataMapper()
            mapper.SetInputData(vtk.vtkPolyData())  # the slab, from the first cut on
            actor = pv.Actor(mapper=mapper)
            actor.SetProperty(src.GetProperty())  # the same material (and opacity)
            actor.SetVisibility(False)
            actor.SetPickable(False)
            scene.plotter.renderer.AddActor(actor)
            self.actors[name] = actor
            self._pipes[name] = (plane, clip, normals, mapper, src)
            self._far[name] = far
        self.visible = False
        self.recut_interval_s = 0.0
        """0: cut every frame (renders, videos, a paused window); the window sets a few cuts a
        second while it plays; math.inf: only when asked (`update(force=True)`, a new camera),
        for a view that places its camera after the poses (kneeviz.app.panels.compare_view)."""
        self._cut_at = -1e9
        self.cuts_made = 0
        """How many times the parts were cut (tests: playback re-cuts a few times a second)."""
        self._nearest: dict[str, np.ndarray | None] = {}
        """Per part: for each point of the slab cut last, its nearest vertex on the uncut mesh
        (found when first needed: only a part with pressures needs it)."""
        self._trees: dict[str, tuple[int, Any]] = {}

    def set_visible(self, on: bool) -> None:
        """Show or hide the slab; shown anew it is cut at once (shown already, it is not cut
        again: a view that re-applies its preset parts every frame would cut twice a frame)."""
        was = self.visible
        self.visible = bool(on)
        for actor in self.actors.values():
            actor.SetVisibility(self.visible)
        if self.visible and not was:
            self.update(force=True)

    def update(self, force: bool = False) -> None:
        """Cut through the camera's focal point (the skyline preset puts it at this frame's joint
        point), perpendicular to its line of sight, so a camera carried to another squat
        (kneeviz.scene.compare) or turned by hand cuts the same way; copy
        each source actor's colouring (the heat map's lookup table and array) and pose."""
        if not self.visible:
            return
        now = time.monotonic()
        if not force and now - self._cut_at < self.recut_interval_s:
            for name, (*_pipe, src) in self._pipes.items():
                self.actors[name].user_matrix = np.asarray(src.user_matrix, dtype=float)
                self._copy_pressures(name)
            return
        self._cut_at = now
        self.cuts_made += 1
        cam = self.scene.plotter.camera
        pos, focal = np.array(cam.position, dtype=float), np.array(cam.focal_point, dtype=float)
        look = (focal - pos) / max(float(np.linalg.norm(focal - pos)), 1e-9)
        origin = focal - NEAR_OFFSET_MM * look
        for name, (plane, clip, normals, mapper, src) in self._pipes.items():
            M = np.asarray(src.user_matrix, dtype=float)
            Minv = invert(M)
            o = Minv[:3, :3] @ origin + Minv[:3, 3]
            n = M[:3, :3].T @ look  # a normal transforms by the inverse transpose (rigid: M^T)
            plane.SetOrigin(*map(float, o))
            plane.SetNormal(*map(float, n))  # keeps the side the normal points to: the far one
            far = self._far[name]
            far.SetOrigin(*map(float, o + SLAB_MM * n))
            far.SetNormal(*map(float, -n))  # ... up to SLAB_MM beyond
            snapshot = vtk.vtkPolyData()
            snapshot.ShallowCopy(src.mapper.GetInput())  # see the module docstring
            snapshot.GetPointData().RemoveArray(PRESSURE_ARRAY)  # painted after the cut
            clip.SetInputData(snapshot)
            normals.Update()
            slab = vtk.vtkPolyData()
            slab.ShallowCopy(normals.GetOutput())  # its own arrays: painted between cuts
            mapper.SetInputData(slab)
            self._nearest[name] = None
            self._copy_pressures(name)
            src_mapper = src.mapper
            mapper.SetLookupTable(src_mapper.GetLookupTable())
            mapper.SetScalarVisibility(src_mapper.GetScalarVisibility())
            mapper.SetScalarMode(src_mapper.GetScalarMode())
            mapper.SetColorMode(src_mapper.GetColorMode())
            mapper.SetUseLookupTableScalarRange(src_mapper.GetUseLookupTableScalarRange())
            mapper.SelectColorArray(src_mapper.GetArrayName())
            self.actors[name].user_matrix = M

    def _nearest_vertices(self, name: str, data: Any, slab: Any) -> np.ndarray:
        """For each point of `slab`, the index of the nearest vertex of the part's uncut mesh
        `data` (the same vertex where the cut kept it; a neighbour on the cut's rim and cap)."""
        if slab.GetNumberOfPoints() == 0:
            return np.zeros(0, dtype=np.int64)
        points = data.GetPoints()
        cached = self._trees.get(name)
        if cached is None or cached[0] != points.GetMTime():  # built once per mesh
            cached = (points.GetMTime(), cKDTree(vtk_to_numpy(points.GetData())))
            self._trees[name] = cached
        _d, idx = cached[1].query(vtk_to_numpy(slab.GetPoints().GetData()))
        return np.asarray(idx, dtype=np.int64)

    def _copy_pressures(self, name: str) -> None:
        """The slab's pressure colours from the part's pressure array of this frame."""
        *_pipe, mapper, src = self._pipes[name]
        data = src.mapper.GetInput()
        arr = data.GetPointData().GetArray(PRESSURE_ARRAY)
        slab = mapper.GetInput()
        if arr is None or slab is None or slab.GetNumberOfPoints() == 0:
            return
        idx = self._nearest.get(name)
        if idx is None:
            idx = self._nearest[name] = self._nearest_vertices(name, data, slab)
        values = vtk_to_numpy(arr)
        if len(values) != data.GetNumberOfPoints():
            return
        out = numpy_to_vtk(np.ascontiguousarray(values[idx], dtype=np.float32), deep=True)
        out.SetName(PRESSURE_ARRAY)
        pd = slab.GetPointData()
        pd.RemoveArray(PRESSURE_ARRAY)
        pd.AddArray(out)
        slab.Modified()

    def remove(self) -> None:
        for actor in self.actors.values():
            self.scene.plotter.renderer.RemoveActor(actor)
        self.actors = {}
        self._pipes = {}
