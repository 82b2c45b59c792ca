"""The kneecap's underside: the patellar cartilage seen from its articular side, coloured by
pressure.

In every 3D camera the contact patch is hidden, because it lies between the kneecap and the thigh
bone. Pressure films and contact maps in the literature are therefore shown as the patella's
articular surface laid open, looked at from the femur. This module draws that picture, as an image
(numpy RGB), with no Qt, VTK or pyvista, so the window, story mode and `kneeviz render` show the
same pixels:

- `UndersideMap(anatomy, size)` rasterises the articular face once per knee and size (which
  cartilage triangle, and where in it, every pixel shows) so a frame is a few array look-ups;
- `draw_underside_panel(...)` lays out the healthy map beside this setting's with the facets named
  in plain words, the kneecap's ridge, "top" (towards the hip) and the colour bar.

Orientation: the articular face as seen through the kneecap from the front (as if the kneecap
were glass; top of the kneecap up), the app's one convention for every picture of a knee
(kneeviz.view_state.outer_side_on_right): a right knee's lateral (outer) facet is on the image's
LEFT, a left knee's on its right, as in the 3D view from the front, the skyline and the axial
slice, so the kneecap's outer side is on the same side in every picture. Both sides are always
labelled in words, so the orientation never has to be known. The colours are the heat map's
(kneeviz.scene.heatmap) on the same fixed scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.view_state import outer_side_on_right

ARTICULAR_MIN_COS = 0.15
"""A cartilage triangle belongs to the articular face when its normal points towards the femur
(-X in the patella frame) by at least this cosine: the layer's bone side and rim drop out."""
SUPERSAMPLE = 2
"""The map is rasterised this many times finer each way and averaged down (smooth edges)."""
BACKGROUND = (21, 24, 29)
FACE_RGB = np.array([0.86, 0.86, 0.84])
"""Cartilage out of contact (the heat map's NO_CONTACT_COLOUR)."""
TEXT = (238, 238, 238)
DIM = (170, 178, 190)
RIDGE = (250, 215, 60)
"""The ridge line: the axial view's kneecap-axis yellow."""
MARGIN_FRAC = 0.06


def _font(size_px: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=max(6, int(size_px)))
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        return ImageFont.load_default()


class UndersideMap:
    """The articular face of one knee's patellar cartilage rasterised at `size` (w, h) pixels.

    Every pixel remembers the triangle it shows and its barycentric weights, so `image(p)` turns
    per-vertex pressures (MPa, the solver's array for the full cartilage mesh) into pixels by
    interpolation, unchanged, and colours them on the heat map's fixed scale."""

    def __init__(self, anatomy: Anatomy, size: tuple[int, int]) -> None:
        self.size = (max(8, int(size[0])), max(8, int(size[1])))
        self.anatomy = anatomy
        mesh = anatomy.patella_cartilage
        v = np.asarray(mesh.vertices_mm, dtype=float)
        f = np.asarray(mesh.faces, dtype=np.int64)
        n = mesh.face_normals()
        keep = -n[:, 0] >= ARTICULAR_MIN_COS
        self.faces = f[keep]
        self.n_vertices = int(mesh.n_vertices)
        self.lateral_on_right = outer_side_on_right(anatomy.side)
        """Seen through the kneecap from the front with the base up: +Z (lateral) is the
        viewer's left for a right knee, its right for a left knee (view_state's convention)."""
        mirror = 1.0 if self.lateral_on_right else -1.0
        used = np.unique(self.faces)
        s = np.column_stack([mirror * v[:, 2], v[:, 1]])  # screen-right, up (mm)
        lo, hi = s[used].min(axis=0), s[used].max(axis=0)
        w, h = self.size
        ss = SUPERSAMPLE
        scale = (1.0 - 2 * MARGIN_FRAC) * min(w / max(hi[0] - lo[0], 1e-6),
                                              h / max(hi[1] - lo[1], 1e-6))
        self.scale_px_per_mm = float(scale)
        centre = 0.5 * (lo + hi)
        self._mirror = mirror
        self._centre = centre
        px = np.column_stack([w / 2 + scale * (s[:, 0] - centre[0]),
                              h / 2 - scale * (s[:, 1] - centre[1])])
        self._vertex_px = px
        self._raster(px * ss, v[:, 0], mesh.vertex_normals())

    def to_px(self, p_patella_mm: FloatArray) -> FloatArray:
        """Patella-frame points (N, 3) to map pixels (N, 2) (x right, y down)."""
        p = np.asarray(p_patella_mm, dtype=float).reshape(-1, 3)
        w, h = self.size
        return np.column_stack([
            w / 2 + self.scale_px_per_mm * (self._mirror * p[:, 2] - self._centre[0]),
            h / 2 - self.scale_px_per_mm * (p[:, 1] - self._centre[1]),
        ])

    def _raster(self, px: FloatArray, depth: FloatArray, normals: FloatArray) -> None:
        """Which triangle each (supersampled) pixel shows: drawn far to near (painter's order)
        with each triangle's index as its colour, then barycentric weights per pixel."""
        from PIL import Image, ImageDraw

        w, h = self.size[0] * SUPERSAMPLE, self.size[1] * SUPERSAMPLE
        ids = Image.new("I", (w, h), -1)
        draw = ImageDraw.Draw(ids)
        # far = most anterior (largest x): drawn first, nearer triangles over it
        order = np.argsort(-depth[self.faces].mean(axis=1))
        tri_px = px[self.faces]
        for k in order.tolist():
            t = tri_px[k]
            draw.polygon([(float(t[0, 0]), float(t[0, 1])), (float(t[1, 0]), float(t[1, 1])),
                          (float(t[2, 0]), float(t[2, 1]))], fill=int(k))
        face = np.asarray(ids, dtype=np.int64)
        yy, xx = np.nonzero(face >= 0)
        fid = face[yy, xx]
        a, b, c = (tri_px[fid, j] for j in range(3))
        q = np.column_stack([xx + 0.5, yy + 0.5])
        v0, v1, v2 = b - a, c - a, q - a
        d00 = np.einsum("ij,ij->i", v0, v0)
        d01 = np.einsum("ij,ij->i", v0, v1)
        d11 = np.einsum("ij,ij->i", v1, v1)
        d20 = np.einsum("ij,ij->i", v2, v0)
        d21 = np.einsum("ij,ij->i", v2, v1)
        den = d00 * d11 - d01 * d01
        den = np.where(np.abs(den) < 1e-12, 1.0, den)
        wb = np.clip((d11 * d20 - d01 * d21) / den, 0.0, 1.0)
        wc = np.clip((d00 * d21 - d01 * d20) / den, 0.0, 1.0 - wb)
        wa = 1.0 - wb - wc
        self._pix = (yy, xx)
        self._flat = yy * w + xx
        self._cache_key: Any = None
        self._cache_pixels = np.zeros(0)
        self._blank: dict[tuple[Any, bool], np.ndarray] = {}
        self._vidx = self.faces[fid]  # (P, 3)
        self._w = np.column_stack([wa, wb, wc])
        nrm = np.einsum("pk,pkj->pj", self._w, normals[self._vidx])
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-9)
        # lit from the viewer (the femur's side): the ridge and the facets' slopes read as shape
        self._shade = (0.55 + 0.45 * np.clip(-nrm[:, 0], 0.0, 1.0))[:, None].astype(np.float32)
        self._covered = np.zeros((h, w), dtype=bool)
        self._covered[yy, xx] = True
        self._lateral_px = self._lateral_side(xx / SUPERSAMPLE, yy / SUPERSAMPLE)

    def _lateral_side(self, x_px: FloatArray, y_px: FloatArray) -> np.ndarray:
        """True for pixels on the lateral side of the ridge line (as drawn)."""
        ridge = self.ridge_px()
        order = np.argsort(ridge[:, 1])
        rx = np.interp(y_px, ridge[order, 1], ridge[order, 0])
        return np.asarray(x_px > rx) if self.lateral_on_right else np.asarray(x_px < rx)

    def ridge_px(self) -> FloatArray:
        """The kneecap's median ridge (between the facets) in map pixels, top to bottom."""
        return self.to_px(np.asarray(self.anatomy.patella_landmarks.ridge_line_mm, dtype=float))

    def pixel_pressures(self, pressure_mpa: FloatArray | None) -> FloatArray:
        """The pressure (MPa) at every covered supersampled pixel (interpolated per triangle)."""
        if pressure_mpa is None:
            return np.zeros(len(self._w))
        p = np.asarray(pressure_mpa, dtype=float)
        if p.shape != (self.n_vertices,):
            return np.zeros(len(self._w))
        return np.asarray(np.einsum("pk,pk->p", self._w, p[self._vidx]))

    def _last_pixels(self, pressure_mpa: FloatArray | None) -> FloatArray:
        """pixel_pressures, kept for the last array given (the image and its share use it)."""
        if self._cache_key is not pressure_mpa or pressure_mpa is None:
            self._cache_pixels = self.pixel_pressures(pressure_mpa)
            self._cache_key = pressure_mpa
        return self._cache_pixels

    def lateral_share(self, pressure_mpa: FloatArray | None) -> float:
        """The fraction of the pressure seen on the map that lies lateral of the ridge (nan
        without contact): what the picture shows, counted on its pixels."""
        p = self._last_pixels(pressure_mpa)
        total = float(p.sum())
        return float(p[self._lateral_px].sum() / total) if total > 0 else math.nan

    def image(self, pressure_mpa: FloatArray | None,
              background: tuple[int, int, int] = BACKGROUND) -> np.ndarray:
        """The map as (h, w, 3) uint8: shaded cartilage, contact in the heat map's colours."""
        from kneeviz.scene.heatmap import CONTACT_MIN_MPA, colour_of

        p = self._last_pixels(pressure_mpa)
        hot = p >= CONTACT_MIN_MPA
        key = (tuple(background), bool(hot.any()))
        if not key[1] and key in self._blank:
            return self._blank[key]  # no contact: the shaded cartilage alone, made once
        rgb = np.empty((len(p), 3), dtype=np.float32)
        rgb[:] = FACE_RGB
        if key[1]:
            rgb[hot] = colour_of(p[hot])
        rgb *= self._shade
        w, h = self.size[0] * SUPERSAMPLE, self.size[1] * SUPERSAMPLE
        out = np.empty((h * w, 3), dtype=np.float32)
        out[:] = np.asarray(background, dtype=np.float32) / 255.0
        out[self._flat] = rgb
        grid = out.reshape(h, w, 3)
        # average each SUPERSAMPLE x SUPERSAMPLE block (strided sums: cheaper than a reduce)
        acc = sum(grid[i::SUPERSAMPLE, j::SUPERSAMPLE] for i in range(SUPERSAMPLE)
                  for j in range(SUPERSAMPLE))
        img = np.clip(acc * (255.0 / SUPERSAMPLE**2) + 0.5, 0.0, 255.0).astype(np.uint8)
        if not key[1]:
            self._blank[key] = img
        return img


_MAPS: dict[tuple[int, tuple[int, int]], UndersideMap] = {}


def underside_map(anatomy: Anatomy, size: tuple[int, int]) -> UndersideMap:
    """The UndersideMap of this knee at this size, kept for the last few (knee, size) pairs."""
    key = (id(anatomy), (int(size[0]), int(size[1])))
    m = _MAPS.get(key)
    if m is None or m.anatomy is not anatomy:
        if len(_MAPS) >= 6:
            _MAPS.pop(next(iter(_MAPS)))
        m = _MAPS[key] = UndersideMap(anatomy, size)
    return m


@dataclass(frozen=True)
class MapLayout:
    """Where one map of a panel landed (panel pixels), for callers that annotate or measure it."""

    box: tuple[int, int, int, int]
    """x0, y0, x1, y1 of the map image."""
    lateral_on_right: bool
    ridge_px: FloatArray
    lateral_share: float
    """Fraction of the shown pressure lateral of the ridge (nan without contact)."""


@dataclass(frozen=True)
class UndersideMapSpec:
    """One map of a panel: its title and the per-vertex patellar pressures (None: unknown)."""

    title: str
    pressure_mpa: FloatArray | None


def draw_underside_panel(
    anatomy: Anatomy,
    maps: list[UndersideMapSpec],
    size: tuple[int, int],
    *,
    show_numbers: bool = True,
    heading: str = "The kneecap's underside, seen through it from the front",
) -> tuple[np.ndarray, list[MapLayout]]:
    """Maps side by side with their titles, the facets named in plain words, the ridge, "top",
    and one colour bar under them; (H, W, 3) uint8 and each map's layout. With `show_numbers`
    off (story mode) the colour bar says "light ... firm" instead of MPa and no shares are
    written."""
    from PIL import Image, ImageDraw

    from kneeviz.scene.heatmap import PRESSURE_MAX_MPA, ramp

    W, H = max(120, int(size[0])), max(100, int(size[1]))
    n = max(1, len(maps))
    fpx = int(max(9, min(30, min(H / 17.0, W / (n * 15.0)))))
    font, small = _font(fpx), _font(int(fpx * 0.85))
    img = Image.new("RGB", (W, H), BACKGROUND)
    draw = ImageDraw.Draw(img)
    line = int(math.ceil(1.3 * fpx))
    top = line + line // 3  # heading
    title_h = line
    below = 2 * line + (line if show_numbers else 0)  # facet labels (two lines), share line
    bar_h = int(2.2 * line)
    map_h = max(20, H - top - title_h - below - bar_h)
    gap = max(6, W // 60)
    map_w = max(20, (W - (n + 1) * gap) // n)
    draw.text((W / 2, 2), heading, fill=TEXT, font=font, anchor="mt")
    layouts: list[MapLayout] = []
    m = underside_map(anatomy, (map_w, map_h))
    for k, spec in enumerate(maps):
        x0 = gap + k * (map_w + gap)
        y0 = top + title_h
        draw.text((x0 + map_w / 2, top), spec.title, fill=TEXT, font=font, anchor="mt")
        img.paste(Image.fromarray(m.image(spec.pressure_mpa)), (x0, y0))
        ridge = m.ridge_px() + np.array([x0, y0])
        pts = [(float(x), float(y)) for x, y in ridge.tolist()]
        draw.line(pts, fill=RIDGE, width=max(1, fpx // 8))
        # "top" with a small arrow, in the map's upper corner on the medial side
        ax = x0 + (map_w * 0.08 if m.lateral_on_right else map_w * 0.92)
        ay = y0 + 0.5 * fpx
        arrow = [(ax, ay), (ax - 0.35 * fpx, ay + 0.6 * fpx), (ax + 0.35 * fpx, ay + 0.6 * fpx)]
        draw.polygon(arrow, fill=DIM)
        draw.line([(ax, ay + 0.6 * fpx), (ax, ay + 1.3 * fpx)], fill=DIM, width=max(1, fpx // 6))
        draw.text((ax, ay + 1.4 * fpx), "top", fill=DIM, font=small, anchor="mt")
        draw.text((float(ridge[-1, 0]), float(ridge[-1, 1]) + 2), "ridge", fill=RIDGE,
                  font=small, anchor="mt")
        ly = y0 + map_h + 2
        lat_words, med_words = ("outer side", "(lateral facet)"), ("inner side", "(medial facet)")
        left, right = (med_words, lat_words) if m.lateral_on_right else (lat_words, med_words)
        for row in range(2):
            draw.text((x0 + 2, ly + row * line), left[row], fill=TEXT if row == 0 else DIM,
                      font=font if row == 0 else small, anchor="la")
            draw.text((x0 + map_w - 2, ly + row * line), right[row],
                      fill=TEXT if row == 0 else DIM, font=font if row == 0 else small,
                      anchor="ra")
        share = m.lateral_share(spec.pressure_mpa)
        if show_numbers:
            text = ("no contact" if not math.isfinite(share) else
                    f"outer facet carries {100 * share:.0f}% of the pressure")
            draw.text((x0 + map_w / 2, ly + 2 * line), text, fill=DIM, font=small, anchor="ma")
        layouts.append(MapLayout((x0, y0, x0 + map_w, y0 + map_h), m.lateral_on_right, ridge,
                                 share))
    # the colour bar
    bw = int(min(W - 2 * gap, max(120, 0.6 * W)))
    bx = (W - bw) // 2
    by = H - bar_h + line // 3
    bh = max(4, int(0.45 * fpx))
    grad = np.round(255 * ramp(256)).astype(np.uint8)[np.linspace(0, 255, bw).astype(int)]
    img.paste(Image.fromarray(np.repeat(grad[None], bh, axis=0)), (bx, by))
    sw = int(1.4 * fpx)
    grey = tuple(int(255 * c) for c in FACE_RGB)
    sx = bx - 2 * fpx - sw  # the "none" swatch, a word's width left of the bar
    draw.rectangle([sx, by, sx + sw, by + bh], fill=grey)
    draw.text((sx + sw / 2, by + bh + 2), "none", fill=DIM, font=small, anchor="ma")
    lo, hi = ("0", f"{PRESSURE_MAX_MPA:g} MPa or more") if show_numbers else ("light", "firm")
    draw.text((bx, by + bh + 2), lo, fill=DIM, font=small, anchor="la")
    draw.text((bx + bw, by + bh + 2), hi, fill=DIM, font=small, anchor="ra")
    draw.text((bx + bw / 2, by + bh + 2), "pressure", fill=DIM, font=small, anchor="ma")
    return np.asarray(img), layouts
