"""Contact pressure as a heat map on the patellar and trochlear cartilage.

The cartilage actors KneeScene built once receive the solver's per-vertex pressures (MPa) as a
point array, unchanged, so what is coloured is exactly what was computed. The colour scale is FIXED
(0 to PRESSURE_MAX_MPA) so a frame, a preset or a patient can be compared with another by colour
alone; pressures above it are drawn in the top colour. Vertices with no contact turn a pale
neutral grey, so the contact patch stands out.

The ramp runs from blue through grey to yellow with steadily rising lightness: readable with
red-green colour blindness and in greyscale (the design idea of cividis: Nunez JR, Anderton CR,
Renslow RS (2018), PLoS ONE 13(7):e0199239). Its anchor colours are kneeviz's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.scene.knee_scene import KneeScene
from kneeviz.scene.materials import PRESSURE_ARRAY

PRESSURE_MAX_MPA = 8.0
"""Top of the fixed scale. The model's peak patellofemoral pressures in a bodyweight squat are
about 5-12 MPa (kneeviz.simulation); 8 MPa puts the typical range in the upper half of
the ramp, and higher values saturate to the top colour."""
CONTACT_MIN_MPA = 1e-3
"""Below this a vertex counts as not in contact and keeps the cartilage colour."""
SCALAR_BAR_TITLE = "Pressure (MPa)"

_ANCHORS = np.array([
    [0.00, 0.15, 0.30, 0.70],
    [0.25, 0.33, 0.42, 0.62],
    [0.50, 0.55, 0.55, 0.52],
    [0.75, 0.78, 0.70, 0.40],
    [1.00, 1.00, 0.90, 0.20],
])
"""(position, r, g, b): blue -> slate -> grey -> ochre -> yellow. It starts at a mid blue, not a
near-black navy, so the light contact pressures of shallow flexion (1-2 MPa) still stand out."""
NO_CONTACT_COLOUR = (0.86, 0.86, 0.84)
"""Cartilage out of contact while the heat map is on: a pale neutral grey, against which every
colour of the ramp stands out (the cartilage's own bluish tint would blend with the low end)."""

PARTS: dict[str, str] = {"patella_cartilage": "patella", "femur_cartilage": "femur"}
"""Heat-mapped actor -> whose pressures it shows."""


def ramp(n: int = 256) -> FloatArray:
    """The colour ramp as (n, 3) RGB in 0..1."""
    t = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(t, _ANCHORS[:, 0], _ANCHORS[:, k]) for k in (1, 2, 3)], axis=1)


def relative_luminance(rgb: FloatArray) -> FloatArray:
    """Rec. 709 luma of RGB rows (for the monotonic-lightness check)."""
    rgb = np.asarray(rgb, dtype=float)
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def lookup_table() -> pv.LookupTable:
    """The fixed-scale lookup table; no-contact vertices (below CONTACT_MIN_MPA) pale grey,
    above the top in the top colour."""
    lut = pv.LookupTable()
    colours = ramp(256)
    lut.values = np.hstack([colours * 255.0, np.full((256, 1), 255.0)]).astype(np.uint8)
    lut.scalar_range = (CONTACT_MIN_MPA, PRESSURE_MAX_MPA)
    lut.below_range_color = NO_CONTACT_COLOUR
    lut.above_range_color = tuple(colours[-1])
    return lut


def colour_of(pressure_mpa: FloatArray) -> FloatArray:
    """RGB (0..1) the heat map gives each pressure (what the lookup table does, in numpy)."""
    p = np.asarray(pressure_mpa, dtype=float)
    colours = ramp(256)
    idx = np.clip(((p - CONTACT_MIN_MPA) / (PRESSURE_MAX_MPA - CONTACT_MIN_MPA) * 255.0)
                  .round().astype(int), 0, 255)
    out = colours[idx]
    out[p < CONTACT_MIN_MPA] = NO_CONTACT_COLOUR
    return out


def pressure_centre(points_mm: FloatArray, pressure_mpa: FloatArray) -> FloatArray | None:
    """The pressure-weighted centre of the contact (None without contact)."""
    p = np.asarray(pressure_mpa, dtype=float)
    total = float(p.sum())
    if total <= 0.0:
        return None
    return np.asarray((p[:, None] * np.asarray(points_mm, dtype=float)).sum(axis=0) / total)


def _rendered(actor: pv.Actor) -> Any:
    """The VTK dataset the actor's mapper really draws (pyvista may hand the mapper a copy of
    the mesh it was given, e.g. for smooth shading)."""
    data = actor.mapper.GetInput()
    return data if data is not None else actor.mapper.dataset


def _get_array(data: Any) -> FloatArray | None:
    arr = data.GetPointData().GetArray(PRESSURE_ARRAY)
    return None if arr is None else np.asarray(vtk_to_numpy(arr))


def _set_array(data: Any, values: FloatArray) -> None:
    arr = numpy_to_vtk(np.ascontiguousarray(values, dtype=np.float32), deep=True)
    arr.SetName(PRESSURE_ARRAY)
    pd = data.GetPointData()
    pd.RemoveArray(PRESSURE_ARRAY)
    pd.AddArray(arr)
    data.Modified()


FEMUR_PAINT_MM = 1.5
"""A contacting patellar point's pressure goes to the femoral cartilage vertices this close to it
(the same rule kneeviz.simulation uses for Trajectory.femur_pressure_mpa)."""


class FemurPainter:
    """The pressure on the femoral (trochlear) cartilage from the patellar cartilage's pressure
    at a patella pose: for a squat view that carries only the patellar pressures. Each contacting
    patellar vertex, posed in the femur frame, paints its pressure on the (up to 4) femoral
    vertices within FEMUR_PAINT_MM; a vertex painted twice keeps the larger value."""

    def __init__(self, anatomy: Anatomy) -> None:
        from scipy.spatial import cKDTree

        self.patella_vertices = np.asarray(anatomy.patella_cartilage.vertices_mm, dtype=float)
        self.n_femur = int(anatomy.femur_cartilage.n_vertices)
        self.tree = cKDTree(anatomy.femur_cartilage.vertices_mm)

    def __call__(self, T_femur_patella: FloatArray, patella_mpa: FloatArray) -> np.ndarray:
        out = np.zeros(self.n_femur, dtype=np.float32)
        p = np.asarray(patella_mpa, dtype=float)
        if p.shape[0] != len(self.patella_vertices):
            return out
        active = np.nonzero(p > 0.0)[0]
        if not len(active):
            return out
        T = np.asarray(T_femur_patella, dtype=float)
        pts = self.patella_vertices[active] @ T[:3, :3].T + T[:3, 3]
        d, idx = self.tree.query(pts, k=4, distance_upper_bound=FEMUR_PAINT_MM)
        ok = np.isfinite(d)
        values = np.broadcast_to(p[active][:, None], d.shape)
        np.maximum.at(out, idx[ok], values[ok].astype(np.float32))
        return out


class PressureHeatmap:
    """Colours KneeScene's cartilage actors by pressure; a toggle; one colour bar."""

    def __init__(self, scene: KneeScene, visible: bool = True) -> None:
        self.scene = scene
        self.lut = lookup_table()
        self.visible = visible
        self._pressures: dict[str, FloatArray | None] = {"patella": None, "femur": None}
        self._attached: dict[str, int] = {}
        self._bar_shown = False
        self.show_bar = True
        """The colour bar with its MPa numbers (story mode turns it off: no numbers)."""

    # -- data ---------------------------------------------------------------------------------
    def set_pressures(self, patella_mpa: FloatArray | None, femur_mpa: FloatArray | None = None
                      ) -> None:
        """One frame's pressures per cartilage vertex (None: unknown, drawn as plain cartilage)."""
        self._pressures = {"patella": patella_mpa, "femur": femur_mpa}
        self._apply()

    def scalars(self, part: str) -> FloatArray | None:
        """The pressure array the actor `part` renders (None when it has none)."""
        actor = self.scene.actors.get(part)
        if actor is None:
            return None
        return _get_array(_rendered(actor))

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        self._apply()

    # -- actors -------------------------------------------------------------------------------
    def _apply(self) -> None:
        shown_any = False
        for part, whose in PARTS.items():
            actor = self.scene.actors.get(part)
            if actor is None:
                continue
            mapper = actor.mapper
            ds = _rendered(actor)
            p = self._pressures.get(whose)
            n = int(ds.GetNumberOfPoints())
            if p is not None and len(p) != n:
                # The scene may show a decimated mesh: each shown vertex takes its original's value.
                vmap = getattr(self.scene, "vertex_map", {}).get(part)
                p = np.asarray(p)[vmap] if vmap is not None and len(vmap) == n else None
            if p is not None and len(p) == n:
                _set_array(ds, np.asarray(p))
            elif _get_array(ds) is not None:
                _set_array(ds, np.zeros(n))
            has = _get_array(ds) is not None
            if self._attached.get(part) != id(actor):
                mapper.lookup_table = self.lut
                mapper.SetScalarModeToUsePointFieldData()
                mapper.SelectColorArray(PRESSURE_ARRAY)
                mapper.SetUseLookupTableScalarRange(True)
                mapper.SetColorModeToMapScalars()
                self._attached[part] = id(actor)
            show = self.visible and has
            mapper.SetScalarVisibility(show)
            shown_any = shown_any or show
        self._show_bar(shown_any and self.show_bar)

    def set_bar_visible(self, on: bool) -> None:
        self.show_bar = bool(on)
        self._apply()

    def _show_bar(self, on: bool) -> None:
        plotter = self.scene.plotter
        if on and not self._bar_shown:
            actor = self.scene.actors.get("patella_cartilage")
            if actor is None:
                return
            plotter.add_scalar_bar(  # type: ignore[call-arg]
                title=SCALAR_BAR_TITLE, mapper=actor.mapper, n_labels=5, fmt="%.0f",
                # at the view's right edge, below its corner words (kneeviz.scene.side_labels)
                vertical=True, position_x=0.9, position_y=0.12, width=0.05, height=0.45,
                title_font_size=16, label_font_size=14, color="white", render=False,
                below_label="no contact", above_label="more",
            )
            self._bar_shown = True
        elif not on and self._bar_shown:
            if SCALAR_BAR_TITLE in plotter.scalar_bars:
                plotter.remove_scalar_bar(SCALAR_BAR_TITLE, render=False)  # type: ignore[arg-type]
            self._bar_shown = False

    def reattach(self) -> None:
        """After the scene rebuilt its actors (a new knee): colour the new ones."""
        self._show_bar(False)
        self._pressures = {"patella": None, "femur": None}
        self._apply()
