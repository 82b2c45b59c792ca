"""The axial slice as a picture: the knee cut through the kneecap, drawn like the study's axial MRI
images (Souza et al. 2010), with the measurements a clinician reads on them drawn and labelled.

The geometry comes from kneeviz.mechanics.axial (pure numpy); `AxialPainting` paints it with any
QPainter, so the window's widget (kneeviz.app.panels.axial_view.AxialView) and a printed page
(`AxialPicture`, kneeviz.takehome.report) draw the same slice with the same code. It paints in
its own logical pixels (`width()` x `height()`) with fonts sized in pixels: a page scales the
painter to the size the slice gets on paper, and lines and text scale with it (on a PDF they stay
vectors and real text).

Radiological convention: the image is seen from the feet, anterior up, so a right knee's lateral
side is on the image's LEFT (a left knee's on its right), the app's one convention for every
picture of a knee (kneeviz.view_state.outer_side_on_right); both sides are labelled in words at
the top, under the heading, where they stay in sight (outer = lateral). A kneecap off its groove
is not drawn at the solver's pose (not a result): words say so where it would be.

Drawn: the femur and patella (bone light, cartilage darker), the posterior condylar line (cyan), a
copy of it through the patella (dotted) and the patella's mediolateral axis (yellow) with the tilt
angle between them; a vertical line through the deepest point of the groove (magenta) and the
patella's width split into the part lateral of it (the bisect offset). With `show_numbers` off
(story mode, for patients) the measurement lines and numbers go: the bones, the healthy outline,
the groove's deepest point and the pressure dots stay, with plain side labels.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.mechanics.axial import AxialSlice, axial_slice, section_in
from kneeviz.scene.heatmap import colour_of
from kneeviz.view_state import outer_side_on_right

BACKGROUND = QColor(8, 8, 10)
BONE_FILL = QColor(205, 202, 192)
CARTILAGE_FILL = QColor(105, 118, 135)
GHOST_PEN = QColor(120, 220, 140)
CONDYLAR = QColor(70, 210, 230)
AXIS = QColor(250, 215, 60)
GROOVE = QColor(235, 90, 200)
TEXT = QColor(235, 235, 235)
OFF_GROOVE = QColor(255, 120, 105)

VIEW_U_MM = (-62.0, 62.0)
"""Lateral extent of the view around the patella's centre (mm)."""
VIEW_V_MM = (-88.0, 30.0)
"""Anterior extent (posterior negative): deep enough to show the posterior condylar line."""
PATIENT_VIEW_U_MM = (-40.0, 40.0)
PATIENT_VIEW_V_MM = (-45.0, 30.0)
"""Without the numbers (story mode) there is no condylar line to show: closer on the kneecap and
its groove, so the shift the arrow points out is big enough to see."""
TOP_PX = 50
BOTTOM_PX = 60
"""Screen space above the drawing (title, then the side labels) and below it (the numbers)."""
SCREEN_LIMIT_PX = 1.0e5
"""The farthest a drawn point may lie outside the widget: far beyond any screen, well inside the
range Qt's rasteriser handles."""




class AxialPainting:
    """The slice's state and its painting. A host class provides `width()`, `height()` (logical
    pixels), `font()` (the base font), `px_per_pt()` and `update()` (repaint request): a QWidget
    provides the first three itself (kneeviz.app.panels.axial_view), `AxialPicture` all of them."""

    top_px: float = TOP_PX
    bottom_px: float = BOTTOM_PX
    font_pt: float | None = None
    """The text size (points at px_per_pt pixels a point); None: from the width, 8-13 pt."""
    caption_lines: bool = True
    """Write the two measurement lines under the drawing (a page writes its own)."""
    heading: str | None = None
    """The line at the top; None: what the slice is ("front of the knee ...")."""
    side_words: tuple[str, str] | None = None
    """The (lateral, medial) side labels; None: "LATERAL (outer side)" ... with the numbers,
    "outer side" ... without."""

    def init_painting(self, anatomy: Anatomy) -> None:
        self.anatomy = anatomy
        self.slice: AxialSlice | None = None
        self.ghost: AxialSlice | None = None
        self.contact: tuple[FloatArray, FloatArray] | None = None
        """Contacting patellar cartilage points near the slice: (K, 2) slice coordinates and
        their pressures (MPa)."""
        self.show_numbers = True
        self.measurable = True
        self.why: tuple[str, str] | None = None
        """The two caption lines when not measurable for a reason other than a dislocation."""
        self.ghost_u_mm = math.nan
        """The healthy kneecap's centre in this slice (u, mm lateral; nan without a ghost)."""

    # the host's (QWidget's own for the window's view)
    def width(self) -> int:
        raise NotImplementedError

    def height(self) -> int:
        raise NotImplementedError

    def font(self) -> QFont:
        raise NotImplementedError

    def update(self) -> None:
        raise NotImplementedError

    def px_per_pt(self) -> float:
        """Logical pixels per typographic point (the screen's dpi / 72 in a widget)."""
        raise NotImplementedError

    # -- model -------------------------------------------------------------------------------
    def set_anatomy(self, anatomy: Anatomy) -> None:
        self.anatomy = anatomy
        self.slice = None
        self.ghost = None
        self.update()

    def set_pose(self, T_femur_patella: FloatArray, T_femur_patella_ghost: FloatArray | None = None,
                 patella_pressure_mpa: FloatArray | None = None, *,
                 measurable: bool = True, why: tuple[str, str] | None = None) -> None:
        """Cut the knee through the patella at this pose; the optional ghost (the healthy
        patella at the same frame) is cut by the SAME plane and drawn as a green outline; the
        optional per-vertex patellar pressures mark where the cartilage presses near the slice
        (dots in the heat map's colours). `measurable` False (the kneecap is off its groove) draws
        no tilt or bisect measurement, only a caption saying why (`why`: its two lines, for
        another reason: a frame not solved, a squat that failed its self-check)."""
        self.measurable = bool(measurable)
        self.why = why
        self.slice = axial_slice(self.anatomy, T_femur_patella)
        self.contact = None
        if patella_pressure_mpa is not None:
            self.contact = contact_near_slice(self.slice, self.anatomy, T_femur_patella,
                                              patella_pressure_mpa)
        self.ghost = None
        self.ghost_u_mm = math.nan
        if T_femur_patella_ghost is not None:
            self.ghost = _ghost_in(self.slice, self.anatomy, T_femur_patella_ghost)
            o = np.asarray(T_femur_patella_ghost, dtype=float)[:3, 3]
            self.ghost_u_mm = float((o - self.slice.origin_femur_mm) @ self.slice.u_femur)
        self.update()

    def set_show_numbers(self, on: bool) -> None:
        self.show_numbers = bool(on)
        self.update()

    @property
    def tilt_deg(self) -> float:
        return self.slice.tilt_deg if self.slice is not None else math.nan

    @property
    def bisect_offset_pct(self) -> float:
        return self.slice.bisect_offset_pct if self.slice is not None else math.nan

    # -- painting --------------------------------------------------------------------------------
    def _mirror(self) -> float:
        """Screen x of +lateral: -1 for a right knee (radiological convention), +1 for a left."""
        return 1.0 if outer_side_on_right(self.anatomy.side) else -1.0

    def _mapper(self) -> tuple[float, float, float]:
        vu, vv = (VIEW_U_MM, VIEW_V_MM) if self.show_numbers else (PATIENT_VIEW_U_MM,
                                                                   PATIENT_VIEW_V_MM)
        w, h = max(self.width(), 1), max(self.height() - self.top_px - self.bottom_px, 1)
        su = w / (vu[1] - vu[0])
        sv = h / (vv[1] - vv[0])
        s = min(su, sv)
        cx = w / 2.0
        cy = self.top_px + (h - s * (vv[1] - vv[0])) / 2.0 + s * vv[1]
        return s, cx, cy

    def _pt(self, uv: FloatArray) -> QPointF:
        s, cx, cy = self._mapper()
        return QPointF(cx + self._mirror() * s * float(uv[0]), cy - s * float(uv[1]))

    def _screen(self, uv: FloatArray) -> FloatArray:
        """Many slice points (N, 2) to screen coordinates at once (the mapping of _pt)."""
        s, cx, cy = self._mapper()
        uv = np.asarray(uv, dtype=float).reshape(-1, 2)
        return np.column_stack([cx + self._mirror() * s * uv[:, 0], cy - s * uv[:, 1]])

    def _path(self, lines: list[FloatArray]) -> QPainterPath:
        """The outlines as one path. An outline with a point that is not finite is left out:
        QPainterPath.addPolygon takes such points unchecked, and Qt's rasteriser is not safe
        with them; coordinates are kept within SCREEN_LIMIT_PX for the same reason."""
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.OddEvenFill)
        for line in lines:
            if len(line) < 2:
                continue
            xy = self._screen(line)
            if not np.isfinite(xy).all():
                continue
            xy = np.clip(xy, -SCREEN_LIMIT_PX, SCREEN_LIMIT_PX)
            path.addPolygon(QPolygonF([QPointF(x, y) for x, y in xy.tolist()]))
            path.closeSubpath()
        return path

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(QRectF(0.0, 0.0, float(self.width()), float(self.height())), BACKGROUND)
        sl = self.slice
        font = QFont(self.font())
        pt = self.font_pt if self.font_pt is not None else max(8.0, min(13.0, self.width() / 56.0))
        font.setPixelSize(max(1, round(pt * self.px_per_pt())))
        p.setFont(font)
        if sl is None:
            p.setPen(TEXT)
            p.drawText(QRectF(0.0, 0.0, float(self.width()), float(self.height())),
                       Qt.AlignmentFlag.AlignCenter, "No slice yet")
            return
        p.setPen(Qt.PenStyle.NoPen)
        # off its groove the kneecap's pose is the solver's, not a result: it is not drawn (a
        # frame without a result for another reason keeps the solver's last pose, so captioned)
        off_groove = not self.measurable and self.why is None
        parts = ((sl.femur, BONE_FILL), (sl.femur_cartilage, CARTILAGE_FILL),
                 (sl.patella_cartilage, CARTILAGE_FILL), (sl.patella, BONE_FILL))
        for lines, fill in parts[:2] if off_groove else parts:
            p.setBrush(QBrush(fill))
            p.drawPath(self._path(lines))
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self.ghost is not None:
            pen = QPen(GHOST_PEN, 2.0, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawPath(self._path(self.ghost.patella))
        if off_groove:
            self._draw_off_groove(p)
        elif self.show_numbers and self.measurable:
            self._draw_contact(p)
            self._draw_condylar_and_axis(p, sl)
            self._draw_bisect(p, sl)
        else:  # for patients: the anatomy, the healthy outline, the groove's deepest point
            self._draw_contact(p)
            p.setPen(QPen(GROOVE, 1.0))
            p.setBrush(QBrush(GROOVE))
            p.drawEllipse(self._pt(sl.groove_point), 5.0, 5.0)
            p.setBrush(Qt.BrushStyle.NoBrush)
            self._draw_outward_arrow(p, sl)
        self._draw_side_labels(p)
        if self.show_numbers and self.caption_lines:
            self._draw_numbers(p, sl)

    def _draw_off_groove(self, p: QPainter) -> None:
        """A kneecap off its groove: said in words where it would be drawn."""
        f = QFont(p.font())
        f.setBold(True)
        p.save()
        p.setFont(f)
        p.setPen(OFF_GROOVE)
        box = QRectF(8, self.top_px + 4, self.width() - 16, 3 * p.fontMetrics().height())
        ghost = self.ghost is not None and any(len(c) for c in self.ghost.patella)
        p.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                   | Qt.TextFlag.TextWordWrap,
                   "The kneecap has slid off its groove: where it went is not known, so it is "
                   "not drawn" + (" (green: a healthy kneecap)" if ghost else ""))
        p.restore()

    def outward_words(self) -> str:
        """How far the kneecap sits further out than the healthy one, in plain words ("" with
        no healthy outline)."""
        if not math.isfinite(self.ghost_u_mm):
            return ""
        d = -self.ghost_u_mm  # the kneecap's centre is the slice's origin
        if abs(d) < 0.5:
            return "where a healthy\nkneecap sits"
        way = "further out" if d > 0 else "further in"
        return f"about {abs(d):.0f} mm {way}\nthan a healthy kneecap"

    def _draw_outward_arrow(self, p: QPainter, sl: AxialSlice) -> None:
        """For patients: an arrow above the kneecap from the healthy kneecap's centre to this
        one's, with outward_words."""
        words = self.outward_words()
        if not words:
            return
        top = max(float(np.max(np.concatenate(sl.patella)[:, 1])) if sl.patella else 0.0, 0.0)
        y = top + 7.0
        a, b = self._pt(np.array([self.ghost_u_mm, y])), self._pt(np.array([0.0, y]))
        pen = QPen(AXIS, 3.0)
        p.setPen(pen)
        p.drawLine(a, b)
        dx = b.x() - a.x()
        if abs(dx) > 4.0:
            sgn = 1.0 if dx > 0 else -1.0
            head = QPolygonF([b, QPointF(b.x() - sgn * 10.0, b.y() - 6.0),
                              QPointF(b.x() - sgn * 10.0, b.y() + 6.0)])
            p.setBrush(QBrush(AXIS))
            p.drawPolygon(head)
            p.setBrush(Qt.BrushStyle.NoBrush)
        f = QFont(p.font())
        f.setBold(True)
        p.save()
        p.setFont(f)
        fm = p.fontMetrics()
        lines = words.split("\n")
        bw = max(fm.horizontalAdvance(t) for t in lines) + 10
        bh = len(lines) * fm.height() + 4
        x = min(max(0.5 * (a.x() + b.x()) - bw / 2.0, 2.0), self.width() - bw - 2.0)
        y = max(a.y() - 10.0 - bh, 2.0)
        box = QRectF(x, y, bw, bh)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(QColor(0, 0, 0, 190)))
        p.drawRoundedRect(box, 4.0, 4.0)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(AXIS)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, words)
        p.restore()

    def _draw_contact(self, p: QPainter) -> None:
        if self.contact is None or not len(self.contact[0]):
            return
        uv, mpa = self.contact
        colours = colour_of(mpa)
        p.setPen(QPen(QColor(255, 255, 255), 0.8))  # a white rim: visible on any fill
        order = np.argsort(mpa)  # the highest pressures on top
        xy = self._screen(uv[order])
        rgb = (255 * np.asarray(colours)[order]).astype(int)
        for (x, y), (r, g, b) in zip(xy.tolist(), rgb[:, :3].tolist(), strict=True):
            p.setBrush(QBrush(QColor(r, g, b)))
            p.drawEllipse(QPointF(x, y), 3.5, 3.5)
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _draw_condylar_and_axis(self, p: QPainter, sl: AxialSlice) -> None:
        c0, c1 = sl.condylar_medial, sl.condylar_lateral
        d = (c1 - c0) / max(float(np.linalg.norm(c1 - c0)), 1e-9)
        pen = QPen(CONDYLAR, 2.0)
        p.setPen(pen)
        p.drawLine(self._pt(c0 - 12.0 * d), self._pt(c1 + 12.0 * d))
        for c in (c0, c1):
            p.drawEllipse(self._pt(c), 4.0, 4.0)
        # The same line carried up through the patella's centre, to read the angle against.
        a0, a1 = sl.patella_axis_medial, sl.patella_axis_lateral
        mid = 0.5 * (a0 + a1)
        half = 0.5 * float(np.linalg.norm(a1 - a0)) + 8.0
        pen = QPen(CONDYLAR, 1.5, Qt.PenStyle.DotLine)
        p.setPen(pen)
        p.drawLine(self._pt(mid - half * d), self._pt(mid + half * d))
        p.setPen(QPen(AXIS, 3.0))
        p.drawLine(self._pt(a0), self._pt(a1))
        # Arc between the two lines at the patella's lateral end.
        m = (a1 - a0) / max(float(np.linalg.norm(a1 - a0)), 1e-9)
        r = 0.7 * half
        ang_c, ang_m = math.atan2(d[1], d[0]), math.atan2(m[1], m[0])
        steps = np.linspace(ang_c, ang_m, 16)
        arc = [mid + r * np.array([math.cos(t), math.sin(t)]) for t in steps]
        p.setPen(QPen(AXIS, 1.5))
        for q0, q1 in zip(arc[:-1], arc[1:], strict=True):
            p.drawLine(self._pt(q0), self._pt(q1))
        s, _, _ = self._mapper()
        p.setPen(TEXT)
        cl = self._pt(c1 + 12.0 * d)
        p.setPen(CONDYLAR)
        p.drawText(QPointF(cl.x() - 60.0 if self._mirror() > 0 else cl.x() + 4.0, cl.y() + 18.0),
                   "posterior condylar line")

    def _draw_bisect(self, p: QPainter, sl: AxialSlice) -> None:
        g = sl.groove_point
        med, lat = sl.patella_medial_border, sl.patella_lateral_border
        top = max(float(med[1]), float(lat[1]), 0.0) + 16.0
        p.setPen(QPen(GROOVE, 2.0, Qt.PenStyle.DashLine))
        p.drawLine(self._pt(np.array([g[0], g[1] - 4.0])), self._pt(np.array([g[0], top + 4.0])))
        p.setPen(QPen(GROOVE, 1.0))
        p.setBrush(QBrush(GROOVE))
        p.drawEllipse(self._pt(g), 4.0, 4.0)
        p.setBrush(Qt.BrushStyle.NoBrush)
        # The patella's width as a bar above it, the part lateral of the groove drawn thick.
        y = top
        p.setPen(QPen(TEXT, 1.5))
        p.drawLine(self._pt(np.array([med[0], y])), self._pt(np.array([lat[0], y])))
        for x in (med[0], lat[0]):
            p.drawLine(self._pt(np.array([x, y - 2.0])), self._pt(np.array([x, y + 2.0])))
        p.setPen(QPen(GROOVE, 5.0))
        p.drawLine(self._pt(np.array([g[0], y])), self._pt(np.array([lat[0], y])))
        if self.show_numbers:
            self._label(p, self._pt(np.array([0.5 * (g[0] + lat[0]), y + 3.0])),
                        f"{sl.bisect_offset_pct:.0f}%", GROOVE, centred=True)

    def _label(self, p: QPainter, at: QPointF, text: str, colour: QColor,
               centred: bool = False) -> None:
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 10, fm.height() + 4
        x = at.x() - w / 2.0 if centred else at.x()
        x = min(max(x, 2.0), self.width() - w - 2.0)
        y = min(max(at.y() - h, 2.0), self.height() - h - 2.0)
        box = QRectF(x, y, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(QColor(0, 0, 0, 190)))
        p.drawRoundedRect(box, 4.0, 4.0)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(colour)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def measurement_lines(self) -> tuple[str, str]:
        """The two measurement captions (also what a test or a screen reader can read)."""
        sl = self.slice
        if sl is None:
            return ("", "")
        if not self.measurable and self.why is not None:
            return self.why
        if not self.measurable:
            return ("The kneecap is off its groove: no tilt or bisect offset to measure",
                    "(the model cannot hold a dislocated kneecap; this pose is not a result)")
        tilt = sl.tilt_deg
        side = "lateral" if tilt >= 0 else "medial"
        return (
            f"Tilt {abs(tilt):.1f}\u00b0 {side}: kneecap axis (yellow) vs condylar line (cyan)",
            f"Bisect offset {sl.bisect_offset_pct:.0f}%: kneecap width lateral of the groove "
            f"(shift {sl.lateral_shift_mm:+.1f} mm)",
        )

    def _draw_numbers(self, p: QPainter, sl: AxialSlice) -> None:
        """The two measurement captions under the drawing, each wrapped to the width and
        stacked by the height it takes (a long caption, the dislocation's, takes two lines and
        pushes the next one down instead of overlapping it); a dark band under them."""
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        width = self.width() - 12
        lines = self.measurement_lines()
        boxes = [p.boundingRect(QRectF(6, 0, width, 1000), flags, text) for text in lines]
        total = sum(b.height() for b in boxes) + 4
        y = self.height() - total
        p.fillRect(QRectF(0, y - 2, self.width(), total + 2), QColor(8, 8, 10, 200))
        for box, text, colour in zip(boxes, lines, (AXIS, GROOVE), strict=True):
            p.setPen(colour)
            p.drawText(QRectF(6, y, width, box.height()), flags, text)
            y += box.height()

    def _draw_side_labels(self, p: QPainter) -> None:
        """The heading at the top, the two sides named under it, left and right."""
        p.setPen(TEXT)
        lateral, medial = self.side_words or (
            ("outer side (lateral)", "inner side (medial)") if self.show_numbers
            else ("outer side", "inner side"))
        left, right = (medial, lateral) if self._mirror() > 0 else (lateral, medial)
        row = p.fontMetrics().height() + 2
        heading = self.heading
        if heading is None:
            heading = ("front of the knee \u2191  (axial slice, seen from the feet)"
                       if self.show_numbers else "the knee cut across, seen from the feet")
        p.drawText(QRectF(6, 3, self.width() - 12, row),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, heading)
        p.drawText(QRectF(6, 3 + row, self.width() / 2, row),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, left)
        p.drawText(QRectF(self.width() / 2 - 6, 3 + row, self.width() / 2, row),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, right)


class AxialPicture(AxialPainting):
    """An axial slice drawn on any QPainter (a PDF page, an image): `paint(painter)` draws it in
    a `size` (w, h) box of logical pixels at the painter's origin; scale the painter to place it.
    Logical pixels are 1/96 inch, so `font_pt` reads as points when the box is shown at 96 dpi."""

    LOGICAL_DPI = 96.0

    def __init__(self, anatomy: Anatomy, size: tuple[int, int], *, font_pt: float | None = None,
                 bottom_px: float | None = None, caption_lines: bool = True,
                 heading: str | None = None,
                 side_words: tuple[str, str] | None = None, font: QFont | None = None) -> None:
        self.init_painting(anatomy)
        self._size = (max(1, int(size[0])), max(1, int(size[1])))
        self.font_pt = font_pt
        if bottom_px is not None:
            self.bottom_px = float(bottom_px)
        self.caption_lines = caption_lines
        self.heading = heading
        self.side_words = side_words
        self._font = QFont(font) if font is not None else QFont()

    def width(self) -> int:
        return self._size[0]

    def height(self) -> int:
        return self._size[1]

    def font(self) -> QFont:
        return self._font

    def update(self) -> None:
        return  # nothing on screen to repaint: paint() draws the current state

    def px_per_pt(self) -> float:
        return self.LOGICAL_DPI / 72.0

    def paint(self, painter: QPainter) -> None:
        """Draw the slice into (0, 0, width, height) of the painter, clipped to it."""
        painter.save()
        try:
            painter.setClipRect(QRectF(0.0, 0.0, float(self.width()), float(self.height())),
                                Qt.ClipOperation.IntersectClip)
            self._paint(painter)
        finally:
            painter.restore()


CONTACT_BAND_MM = 12.0
"""Contact points this close to the slice plane are drawn on it (projected): the contact patch
spans several millimetres above and below the kneecap's centre."""


def contact_near_slice(sl: AxialSlice, anatomy: Anatomy, T_femur_patella: FloatArray,
                       patella_pressure_mpa: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The contacting patellar cartilage vertices within CONTACT_BAND_MM of the slice plane, in
    slice coordinates, with their pressures."""
    V = np.asarray(anatomy.patella_cartilage.vertices_mm, dtype=float)
    p = np.asarray(patella_pressure_mpa, dtype=float)
    if p.shape[0] != len(V):
        return np.zeros((0, 2)), np.zeros(0)
    on = np.nonzero(p > 0.0)[0]
    T = np.asarray(T_femur_patella, dtype=float)
    pts = V[on] @ T[:3, :3].T + T[:3, 3]
    rel = pts - sl.origin_femur_mm
    near = np.abs(rel @ sl.normal_femur) <= CONTACT_BAND_MM
    uv = np.stack([rel[near] @ sl.u_femur, rel[near] @ sl.v_femur], axis=1)
    return uv, p[on][near]


def _ghost_in(current: AxialSlice, anatomy: Anatomy, T_femur_patella_ghost: FloatArray
              ) -> AxialSlice:
    """The ghost patella's outline in the current slice's plane and coordinates."""
    return replace(current, femur=[], femur_cartilage=[], patella_cartilage=[],
                   patella=section_in(current, anatomy.patella, T_femur_patella_ghost))
