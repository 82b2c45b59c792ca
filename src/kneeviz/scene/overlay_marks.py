"""Small drawing tools the 3D view's overlays share: lines and tubes whose points move every frame,
outlines that follow the camera, marks drawn over the bones, words anchored to a point.

None of them exaggerates what it marks: an outline is the real silhouette of the real mesh at its
real pose, a line joins the real points. What they change is only how an overlay competes with
the bones for the eye (drawn over them, in a colour of its own).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv
import vtk

from kneeviz.anatomy.mesh import FloatArray

TUBE_SIDES = 12
ON_TOP_UNITS = -66000.0
"""VTK's coincident-topology offset that pulls a mark's depth towards the camera by about the
whole depth range: drawn over the bones, whatever lies between (the skyline marks use the same)."""


def polyline(points: FloatArray) -> pv.PolyData:
    """One open polyline through the points."""
    pts = np.asarray(points, dtype=float)
    return pv.PolyData(pts, lines=np.hstack([[len(pts)], np.arange(len(pts))]).astype(np.int64))


def set_points(line: pv.PolyData, points: FloatArray) -> None:
    """Replace a polyline's points (and its one cell when their number changes)."""
    pts = np.asarray(points, dtype=float)
    if line.n_points == len(pts):
        line.points = pts
    else:
        line.copy_from(polyline(pts))
    line.Modified()


def on_top(actor: Any) -> None:
    """Draw the actor's lines and surfaces over the bones (see ON_TOP_UNITS)."""
    mapper = actor.GetMapper()
    mapper.SetResolveCoincidentTopologyToPolygonOffset()
    mapper.SetRelativeCoincidentTopologyLineOffsetParameters(0.0, ON_TOP_UNITS)
    mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(0.0, ON_TOP_UNITS)
    mapper.SetRelativeCoincidentTopologyPointOffsetParameter(ON_TOP_UNITS)


def line_actor(line: pv.DataSet, width_px: float, color: Any) -> pv.Actor:
    """An actor drawing a polyline as a plain line of `width_px` (not yet added to a renderer):
    flat colour, no lighting, so it reads the same on bone and on background."""
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputData(line)
    mapper.ScalarVisibilityOff()
    actor = pv.Actor(mapper=mapper)
    actor.prop.color = color
    actor.prop.line_width = float(width_px)
    actor.prop.lighting = False
    return actor


def tube_actor(line: pv.DataSet, radius_mm: float, color: Any, sides: int = TUBE_SIDES
               ) -> pv.Actor:
    """An actor drawing a real tube of `radius_mm` around a polyline, made again by VTK whenever
    the line's points change (not yet added to a renderer). VTK's lines drawn as tubes are a
    shader effect that costs about 2 ms a line a frame in software OpenGL; the tube's few hundred
    triangles cost next to nothing."""
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


def outline_actor(mesh: pv.PolyData, camera: Any, width_px: float, color: Any
                  ) -> tuple[pv.Actor, Any]:
    """An actor drawing the outline of `mesh` as the camera sees it (its silhouette and border
    edges, made again by VTK when the camera or the actor's pose changes), as flat lines over
    the bones; and its silhouette filter (give it the renderer's camera again if that changes).
    Pose it with its `user_matrix`, like the bones."""
    sil = vtk.vtkPolyDataSilhouette()
    sil.SetInputData(mesh)
    sil.SetCamera(camera)
    sil.SetDirectionToCameraOrigin()
    sil.BorderEdgesOn()
    sil.SetEnableFeatureAngle(False)
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputConnection(sil.GetOutputPort())
    mapper.ScalarVisibilityOff()
    actor = pv.Actor(mapper=mapper)
    sil.SetProp3D(actor)  # the camera taken into the mesh's own frame through the actor's pose
    actor.prop.color = color
    actor.prop.line_width = float(width_px)
    actor.prop.lighting = False
    on_top(actor)
    return actor, sil


def cone_pose(tip: FloatArray, direction: FloatArray, length_mm: float = 10.0) -> FloatArray:
    """A 4x4 placing a cone built along +X (centred at the origin, `length_mm` long: the
    arrowheads here are 10 mm) with its tip at `tip`, pointing along `direction`."""
    x = np.asarray(direction, dtype=float)
    if not np.all(np.isfinite(x)) or float(np.linalg.norm(x)) < 1e-9:
        x = np.array([1.0, 0.0, 0.0])  # no direction (a zero-length arrow): any will do
    x = x / float(np.linalg.norm(x))
    helper = np.array([0.0, 1.0, 0.0]) if abs(x[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    y = np.cross(helper, x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2] = x, y, z
    T[:3, 3] = np.asarray(tip, dtype=float) - 0.5 * length_mm * x
    return T


def scaled_cone_pose(tip: FloatArray, direction: FloatArray, length_mm: float) -> FloatArray:
    """cone_pose for a unit cone (1 mm long, built along +X) scaled to `length_mm`."""
    T = cone_pose(tip, direction, length_mm)
    T[:3, :3] *= float(length_mm)
    return T
