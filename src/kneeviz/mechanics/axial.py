"""The axial slice through the patella at one frame: what a clinician reads on an axial MRI image
or a skyline (Merchant) radiograph, as plain 2-D geometry.

The femur, its cartilage, the patella and its cartilage are cut by the plane through the patella's
centre perpendicular to its apex->base axis: the same plane in which kneeviz.mechanics.measures
takes the lateral tilt (at full extension that is the femur's axial plane Souza et al. 2010 imaged;
in flexion it is the skyline view). Everything is returned in slice coordinates (mm):

    u: lateral   (the femur's Z axis projected onto the plane; + towards the lateral side)
    v: anterior  (normal x u, so u, v and the normal are right-handed; + away from the femur)
    origin: the patella's centre.

Landmarks that lie off the plane are brought onto it in two ways, each the one its measure
uses: the posterior condyles orthogonally (the tilt is an angle in this plane), the patella's
borders and the deepest groove point along the normal's part perpendicular to the femur's Z axis,
which keeps their mediolateral (femur Z) position (the bisect offset and the shift compare
mediolateral positions; orthogonal projection would mix in how far each point lies above or below
the plane whenever the patella spins, by up to a few percent).

The measures are taken again here from the 2-D drawing itself (angle between two drawn lines, ratio
of drawn lengths), so the axial view shows numbers that come from what it draws, and tests can check
them against the Trajectory's. Pure numpy: no Qt, VTK or pyvista.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.mechanics.measures import nearest_groove_point
from kneeviz.transforms import apply

KEEP_RADIUS_MM = 75.0
"""Outline pieces farther than this from the patella's centre (in the plane) are dropped: a plane
is infinite, and in deep flexion it would also cut the femoral shaft far from the joint."""


@dataclass(frozen=True, eq=False)
class AxialSlice:
    """One axial slice in slice coordinates (u lateral, v anterior; mm). Outlines are lists of
    (K, 2) polylines; closed ones repeat their first point at the end."""

    femur: list[FloatArray]
    femur_cartilage: list[FloatArray]
    patella: list[FloatArray]
    patella_cartilage: list[FloatArray]
    condylar_medial: FloatArray
    """The medial posterior condyle projected onto the plane (2,)."""
    condylar_lateral: FloatArray
    patella_axis_medial: FloatArray
    """The medial end of the patella's mediolateral axis (through its centre, its width long)."""
    patella_axis_lateral: FloatArray
    patella_medial_border: FloatArray
    patella_lateral_border: FloatArray
    groove_point: FloatArray
    """The deepest point of the trochlear groove at the patella's level, projected (2,)."""
    origin_femur_mm: FloatArray
    """The plane's origin (patella centre) in the femur frame (3,)."""
    u_femur: FloatArray
    v_femur: FloatArray
    normal_femur: FloatArray

    @property
    def tilt_deg(self) -> float:
        """Lateral patellar tilt read off the drawing: the angle from the patella's axis to the
        posterior condylar line, + when the patella's lateral edge dips towards the femur."""
        c = self.condylar_lateral - self.condylar_medial
        m = self.patella_axis_lateral - self.patella_axis_medial
        a = np.arctan2(c[1], c[0]) - np.arctan2(m[1], m[0])
        return float(np.degrees((a + np.pi) % (2.0 * np.pi) - np.pi))

    @property
    def bisect_offset_pct(self) -> float:
        """Share of the patella's drawn width lying lateral of the deepest groove point (%)."""
        width = float(self.patella_lateral_border[0] - self.patella_medial_border[0])
        if abs(width) < 1e-6:
            return 50.0
        return 100.0 * float(self.patella_lateral_border[0] - self.groove_point[0]) / width

    @property
    def lateral_shift_mm(self) -> float:
        """The patella's centre (the slice origin) lateral of the deepest groove point (mm),
        along the femur's Z axis: the drawn lateral distance times the cosine of the plane's
        tilt out of that axis."""
        return float(-self.groove_point[0] * np.sqrt(max(1.0 - self.normal_femur[2] ** 2, 0.0)))

    def to_femur(self, uv: FloatArray) -> FloatArray:
        """Slice coordinates (..., 2) back to femur-frame points on the plane (..., 3)."""
        uv = np.asarray(uv, dtype=float)
        return (self.origin_femur_mm + uv[..., :1] * self.u_femur + uv[..., 1:2] * self.v_femur)


def plane_section(
    vertices_mm: FloatArray, faces: np.ndarray, origin: FloatArray, normal: FloatArray
) -> list[FloatArray]:
    """Cut a triangle mesh by a plane: the section as 3-D polylines (closed loops repeat their
    first point). Vertices exactly on the plane are nudged to one side, so every crossing triangle
    contributes one segment whose ends lie on two of its edges; segments sharing an edge are
    chained."""
    V = np.asarray(vertices_mm, dtype=float)
    F = np.asarray(faces, dtype=np.int64)
    n = np.asarray(normal, dtype=float)
    n = n / np.linalg.norm(n)
    d = (V - np.asarray(origin, dtype=float)) @ n
    d = np.where(d == 0.0, 1e-9, d)
    above = (d > 0.0)[F]  # a bool gather: a quarter of the time of comparing d[F] itself
    crossing = np.flatnonzero((above[:, 0] != above[:, 1]) | (above[:, 1] != above[:, 2]))
    if not len(crossing):
        return []
    Fc = F[crossing]
    # For every crossing face, the two edges whose ends lie on opposite sides.
    pairs = ((0, 1), (1, 2), (2, 0))
    sides = above[crossing]
    slot = np.zeros(len(crossing), dtype=int)
    edge_a = np.zeros((len(crossing), 2), dtype=np.int64)
    edge_b = np.zeros((len(crossing), 2), dtype=np.int64)
    for i, j in pairs:
        cut = sides[:, i] != sides[:, j]
        a = np.minimum(Fc[:, i], Fc[:, j])
        b = np.maximum(Fc[:, i], Fc[:, j])
        first = cut & (slot == 0)
        second = cut & (slot == 1)
        edge_a[first, 0], edge_b[first, 0] = a[first], b[first]
        edge_a[second, 1], edge_b[second, 1] = a[second], b[second]
        slot = slot + cut
    # Intersection point of every cut edge.
    keys = np.concatenate([edge_a[:, 0] * len(V) + edge_b[:, 0],
                           edge_a[:, 1] * len(V) + edge_b[:, 1]])
    ea = np.concatenate([edge_a[:, 0], edge_a[:, 1]])
    eb = np.concatenate([edge_b[:, 0], edge_b[:, 1]])
    t = d[ea] / (d[ea] - d[eb])
    pts = V[ea] + t[:, None] * (V[eb] - V[ea])
    uniq, inverse = np.unique(keys, return_inverse=True)
    point_of = np.zeros((len(uniq), 3))
    point_of[inverse] = pts
    m = len(crossing)
    seg = np.stack([inverse[:m], inverse[m:]], axis=1)
    return [point_of[np.asarray(chain)] for chain in _chain(seg.tolist(), len(uniq))]


def _chain(seg: list[list[int]], n_points: int) -> list[list[int]]:
    """Segments (point index pairs) joined into polylines through their shared points. Plain
    Python lists: the walk is a loop over a few hundred segments a section, where numpy's
    per-element indexing cost more than the whole rest of the cut."""
    incident: list[list[int]] = [[] for _ in range(n_points)]
    for s, (p, q) in enumerate(seg):
        incident[p].append(s)
        incident[q].append(s)
    used = bytearray(len(seg))
    chains: list[list[int]] = []
    for start in range(len(seg)):
        if used[start]:
            continue
        used[start] = 1
        p0, p1 = seg[start]
        forward, backward = [p0, p1], list[int]()
        # walk forwards from p1, then backwards from p0
        for cur, out in ((p1, forward), (p0, backward)):
            while True:
                nxt = -1
                for s in incident[cur]:
                    if not used[s]:
                        nxt = s
                        break
                if nxt < 0:
                    break
                used[nxt] = 1
                q0, q1 = seg[nxt]
                cur = q1 if q0 == cur else q0
                out.append(cur)
        backward.reverse()
        chains.append(backward + forward)
    return chains


def _to_uv(points: FloatArray, origin: FloatArray, u: FloatArray, v: FloatArray) -> FloatArray:
    rel = np.asarray(points, dtype=float) - origin
    return np.stack([rel @ u, rel @ v], axis=-1)


def _cut(mesh: SurfaceMesh, T_femur_mesh: FloatArray, origin: FloatArray, normal: FloatArray,
         u: FloatArray, v: FloatArray) -> list[FloatArray]:
    V = apply(T_femur_mesh, mesh.vertices_mm)
    out = []
    for line in plane_section(V, mesh.faces, origin, normal):
        uv = _to_uv(line, origin, u, v)
        if float(np.min(np.linalg.norm(uv, axis=1))) <= KEEP_RADIUS_MM:
            out.append(uv)
    return out


def _at_height(p: FloatArray, y_mm: float) -> FloatArray:
    q = np.array(p, dtype=float)
    q[1] = y_mm
    return q


def axial_slice(anatomy: Anatomy, T_femur_patella: FloatArray) -> AxialSlice:
    """The slice through the patella posed at T_femur_patella (femur frame), see the module doc."""
    T = np.asarray(T_femur_patella, dtype=float)
    origin = T[:3, 3].copy()
    normal = T[:3, 1] / np.linalg.norm(T[:3, 1])
    z = np.array([0.0, 0.0, 1.0])
    u = z - (z @ normal) * normal
    if float(np.linalg.norm(u)) < 1e-6:  # the patella lying on its side: fall back to its own Z
        u = T[:3, 2] - (T[:3, 2] @ normal) * normal
    u = u / np.linalg.norm(u)
    v = np.cross(normal, u)
    eye = np.eye(4)
    fl, pl = anatomy.femur_landmarks, anatomy.patella_landmarks

    def uv(p: FloatArray) -> FloatArray:
        return _to_uv(np.asarray(p, dtype=float), origin, u, v)

    # Brought onto the plane keeping the femur's Z (mediolateral) coordinate: along the part of
    # the normal perpendicular to Z (see the module docstring).
    d = normal - (normal @ z) * z
    d = d / max(float(np.linalg.norm(d)), 1e-12)

    def uv_keep_z(p: FloatArray) -> FloatArray:
        p = np.asarray(p, dtype=float)
        t = float((p - origin) @ normal) / max(float(d @ normal), 1e-12)
        return uv(p - t * d)

    half = 0.5 * float(pl.width_mm)
    axis = T[:3, 2]
    condyle_y = 0.5 * float(fl.medial_posterior_condyle_mm[1] + fl.lateral_posterior_condyle_mm[1])
    return AxialSlice(
        femur=_cut(anatomy.femur, eye, origin, normal, u, v),
        femur_cartilage=_cut(anatomy.femur_cartilage, eye, origin, normal, u, v),
        patella=_cut(anatomy.patella, T, origin, normal, u, v),
        patella_cartilage=_cut(anatomy.patella_cartilage, T, origin, normal, u, v),
        # the condylar line is the femur's axial plane's (knee.FemurLandmarks): both points at
        # their mean height, so the drawn line is the one the tilt is measured against
        condylar_medial=uv(_at_height(fl.medial_posterior_condyle_mm, condyle_y)),
        condylar_lateral=uv(_at_height(fl.lateral_posterior_condyle_mm, condyle_y)),
        patella_axis_medial=uv(origin - half * axis),
        patella_axis_lateral=uv(origin + half * axis),
        patella_medial_border=uv_keep_z(apply(T, np.asarray(pl.medial_border_mm, dtype=float))),
        patella_lateral_border=uv_keep_z(apply(T, np.asarray(pl.lateral_border_mm,
                                                                dtype=float))),
        groove_point=uv_keep_z(nearest_groove_point(origin, anatomy)),
        origin_femur_mm=origin,
        u_femur=u,
        v_femur=v,
        normal_femur=normal,
    )


def section_in(slice_: AxialSlice, mesh: SurfaceMesh, T_femur_mesh: FloatArray) -> list[FloatArray]:
    """Another mesh (posed at T_femur_mesh) cut by the plane of an existing slice, in its
    coordinates: e.g. the healthy patella at the same frame, drawn over the current slice."""
    return _cut(mesh, np.asarray(T_femur_mesh, dtype=float), slice_.origin_femur_mm,
                slice_.normal_femur, slice_.u_femur, slice_.v_femur)
