"""The take-home report: one A4 (or Letter) page for the patient's record, made with Qt's own PDF
writer (QPdfWriter + QPainter: no new dependency; text is real text in embedded fonts).

What the page holds, for this setting against healthy hip control:
- a heading (the setting, the knee, the date, the clinician), two or three of the story's
  sentences (kneeviz.takehome.content picks them by what the squat shows);
- the knee cut across through the kneecap at 0, 15, 30 and 45 deg (the axial MRI images of Souza
  et al. 2010) with the tilt and the bisect offset drawn: the window's own slice painting
  (kneeviz.scene.axial_picture) painted straight onto the page, so its lines and labels are
  vectors and text;
- the kneecap's underside at 30 deg, healthy beside this setting (kneeviz.scene.underside, a
  raster picture made at PRINT_DPI so it is sharp on paper and at 100 % on screen);
- the kneecap's tilt and shift against knee flexion on the way down (vector curves);
- the readouts at the four angles (kneeviz.measure_table's labels, units and formats);
- the clinician's note; a footer with the date, kneeviz's version and the model's limits.

Outer and inner are named on every picture (outer = lateral). The slice is seen from the feet
(radiological: a right knee's outer side on the LEFT), the underside through the kneecap from the
front (a right knee's outer side on the LEFT too: kneeviz.view_state.outer_side_on_right), as in
the window; each picture says so in words.

Blocks flow down the page; one that does not fit starts a second page (a long note).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PyQt6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextOption,
)

from kneeviz import __version__, measure_table
from kneeviz.atomic import atomic_write_with
from kneeviz.errors import KneevizError
from kneeviz.takehome.content import ANGLES_DEG, CURVE_KEYS, UNDERSIDE_AT_DEG, TakeHome

PAGE_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
MARGIN_MM = 12.0
RESOLUTION_DPI = 1200
"""The PDF's coordinate resolution (QPdfWriter's default): fine enough for any line."""
PRINT_DPI = 300
"""Raster pictures (the underside maps) are drawn at this many pixels per inch of paper."""
AXIAL_BOX_PX = (360, 370)
"""The slice's own logical pixels (1/96 inch at 100 %) for one panel, scaled onto the page."""
PICTURES_MM = 80.0
PICTURES_MIN_MM = 62.0
"""The underside maps and the curves: their row's height, and the least it shrinks to."""
UNDERSIDE_SHARE = 0.56
"""Of the page's width, the underside maps' (the curves take the rest)."""
SENTENCE_PT = 11.0
"""The story's sentences: the largest text after the title, for the patient."""
AXIAL_FONT_PT = 14.0
"""Text in a slice, in its logical pixels: about 6.5 pt once the panel is scaled onto paper."""

SIDE_WORDS = ("outer (lateral)", "inner (medial)")
"""How the slice names its sides on paper (outer = lateral, as every picture of the report)."""

INK = QColor(20, 22, 26)
WARN = QColor(175, 60, 10)
"""What the reader must know about the results (a kneecap off its groove)."""
DIM = QColor(95, 100, 110)
RULE = QColor(200, 204, 210)
THIS_COLOUR = QColor(215, 95, 20)
"""This setting's curves: orange (the story's colour for the turn)."""
HEALTHY_COLOUR = QColor(40, 150, 70)
"""The healthy squat's curves: green, as the healthy ghost everywhere in kneeviz."""


_APP: list[QGuiApplication] = []
"""The application started here, kept alive for the process (Qt needs exactly one)."""


def ensure_gui() -> None:
    """Fonts and painting need a Qt application: start one offscreen when none runs (a command
    on a machine with no display). A QApplication, not the lighter QGuiApplication: a window
    opened later in the same process (the app, a test) needs one, and Qt allows only one."""
    if QGuiApplication.instance() is None:
        from PyQt6.QtWidgets import QApplication

        argv = ["kneeviz"]
        headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if headless and not os.environ.get("QT_QPA_PLATFORM"):
            argv += ["-platform", "offscreen"]  # else the platform a window would get
        _APP.append(QApplication(argv))


def check_report_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() != ".pdf":
        raise KneevizError(f"a report is a PDF: the name must end in .pdf, not "
                           f"{p.suffix or '(no extension)'}", p)
    return p


def check_page_size(name: str) -> str:
    key = name.lower()
    if key not in PAGE_SIZES:
        raise KneevizError(f"page size {name!r}: use {' or '.join(PAGE_SIZES)}")
    return key


def without_ligatures(font: QFont) -> QFont:
    """The font with its standard ligatures off: "offset" is then six letters in the PDF's text
    (copied, searched, read aloud), not "o", the ff ligature and "set"."""
    font.setFeature(QFont.Tag("liga"), 0)
    return font


# -- the page in millimetres --------------------------------------------------------------------
@dataclass
class Page:
    """A painter on the PDF with millimetre helpers (the painter works in device units)."""

    painter: QPainter
    dots_per_mm: float

    def mm(self, v: float) -> float:
        return v * self.dots_per_mm

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(self.mm(x), self.mm(y), self.mm(w), self.mm(h))

    def font(self, pt: float, bold: bool = False) -> QFont:
        f = without_ligatures(QFont("DejaVu Sans"))
        f.setStyleHint(QFont.StyleHint.SansSerif)
        f.setPointSizeF(pt)
        f.setBold(bold)
        return f

    def text(self, x: float, y: float, w: float, h: float, text: str, pt: float, *,
             bold: bool = False, colour: QColor = INK,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
             wrap: bool = False) -> None:
        p = self.painter
        p.setFont(self.font(pt, bold))
        p.setPen(colour)
        if wrap:
            opt = QTextOption(align)
            opt.setWrapMode(QTextOption.WrapMode.WordWrap)
            p.drawText(self.rect(x, y, w, h), text, opt)
        else:
            p.drawText(self.rect(x, y, w, h), int(align.value), text)

    def text_height_mm(self, text: str, pt: float, width_mm: float, bold: bool = False) -> float:
        fm = QFontMetricsF(self.font(pt, bold), self.painter.device())
        r = fm.boundingRect(QRectF(0, 0, self.mm(width_mm), 1e9),
                            int(Qt.TextFlag.TextWordWrap.value), text)
        return r.height() / self.dots_per_mm


@dataclass
class Block:
    height_mm: float
    draw: Callable[[Page, float, float, float], None]
    """draw(page, x_mm, y_mm, width_mm)."""
    gap_after_mm: float = 3.0


# -- the blocks ---------------------------------------------------------------------------------
def _heading(c: TakeHome) -> Block:
    def draw(pg: Page, x: float, y: float, w: float) -> None:
        pg.text(x, y, w * 0.62, 8, "Your kneecap in a squat", 17, bold=True)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        pg.text(x + w * 0.55, y + 0.5, w * 0.45, 5, c.made_on.strftime("%d %B %Y").lstrip("0"),
                9.5, align=right)
        if c.clinician:
            pg.text(x + w * 0.45, y + 5.2, w * 0.55, 5, f"Clinician: {c.clinician}", 9.5,
                    align=right)
        sub = (f"This setting: {c.setting_name} ({c.hip_words()}), "
               f"compared with healthy hip control. Knee: {c.knee_name}.")
        pg.text(x, y + 9.5, w, 9, sub, 9, colour=DIM, wrap=True)
        pg.painter.setPen(QPen(RULE, pg.mm(0.3)))
        pg.painter.drawLine(QPointF(pg.mm(x), pg.mm(y + 18)), QPointF(pg.mm(x + w), pg.mm(y + 18)))
    return Block(18.5, draw, gap_after_mm=2.0)


def _sentences(c: TakeHome, pg: Page, width_mm: float) -> Block:
    text = " ".join(c.sentences())
    h = pg.text_height_mm(text, SENTENCE_PT, width_mm) + 1.0

    def draw(pg: Page, x: float, y: float, w: float) -> None:
        pg.text(x, y, w, h, text, SENTENCE_PT, wrap=True)
    return Block(h, draw)


def _caveats(c: TakeHome, pg: Page, width_mm: float) -> Block | None:
    text = " ".join(c.caveats())
    if not text:
        return None
    h = pg.text_height_mm(text, 9, width_mm) + 0.5

    def draw(pg: Page, x: float, y: float, w: float) -> None:
        pg.text(x, y, w, h, text, 9, bold=True, colour=WARN, wrap=True)
    return Block(h, draw)


def _section_title(title: str, detail: str = "") -> Block:
    def draw(pg: Page, x: float, y: float, w: float) -> None:
        pg.text(x, y, w, 5, title, 10.5, bold=True)
        if detail:
            pg.text(x, y + 4.8, w, 5, detail, 8, colour=DIM)
    return Block(9.5 if detail else 5.5, draw, gap_after_mm=1.0)


def _axial_row(c: TakeHome, width_mm: float) -> Block:
    from kneeviz.scene.axial_picture import AxialPicture

    n = len(ANGLES_DEG)
    gap = 2.5
    frames = c.frames_at()
    tilt_m = measure_table.by_key()["patella_lateral_tilt_deg"]
    bisect_m = measure_table.by_key()["bisect_offset_pct"]
    bw, bh = AXIAL_BOX_PX

    def draw(pg: Page, x: float, y: float, w: float) -> None:
        pw = (w - gap * (n - 1)) / n
        ph = pw * bh / bw
        p = pg.painter
        for k, angle in enumerate(ANGLES_DEG):
            px = x + k * (pw + gap)
            i = frames[angle]
            if i is None:
                pg.text(px, y, pw, ph, f"{angle:.0f}\u00b0: {c.why_no_frame(angle)}", 8,
                        colour=DIM, align=Qt.AlignmentFlag.AlignCenter, wrap=True)
                continue
            flex = float(c.this["knee_flexion_deg"][i])
            pic = AxialPicture(c.anatomy, AXIAL_BOX_PX, font=without_ligatures(QFont()),
                               font_pt=AXIAL_FONT_PT, bottom_px=34,
                               caption_lines=False, heading=f"knee bent {flex:.0f}\u00b0",
                               side_words=SIDE_WORDS)
            pic.set_pose(c.this.T_femur_patella[i], c.healthy.T_femur_patella[i],
                         c.this.patella_pressure_mpa[i])
            p.save()
            p.translate(pg.mm(px), pg.mm(y))
            p.scale(pg.mm(pw) / bw, pg.mm(ph) / bh)
            pic.paint(p)
            p.restore()
            tilt = (tilt_m.text(c.value(c.this, tilt_m.key, i)),
                    tilt_m.text(c.value(c.healthy, tilt_m.key, i)))
            bis = (bisect_m.text(c.value(c.this, bisect_m.key, i)),
                   bisect_m.text(c.value(c.healthy, bisect_m.key, i)))
            pg.text(px, y + ph + 0.8, pw, 4, f"tilt {tilt[0]} (healthy {tilt[1]})", 7.2)
            pg.text(px, y + ph + 4.2, pw, 4, f"bisect offset {bis[0]} (healthy {bis[1]})", 7.2)

    return Block((width_mm - gap * (n - 1)) / n * bh / bw + 8.5, draw)


def _axial_legend(c: TakeHome, pg: Page, width_mm: float) -> Block:
    outer = "right" if c.anatomy.side == "left" else "left"
    text = (f"At the angles an MRI study of this problem imaged (Souza et al. 2010). Seen from "
            f"the feet, the front of the knee up: this {c.anatomy.side} knee's outer side is on "
            f"the {outer}. Yellow: the kneecap's axis, its tilt measured against the cyan line "
            "along the back of the thigh bone's condyles. Magenta: the deepest point of the "
            "groove; the thick bar is the share of the kneecap's width outside it (bisect "
            "offset). Green dashes: a healthy kneecap in the same squat. Dots: where the "
            "cartilage presses.")
    h = pg.text_height_mm(text, 6.9, width_mm) + 0.3

    def draw(pg: Page, x: float, y: float, w: float) -> None:
        pg.text(x, y, w, h, text, 6.9, colour=DIM, wrap=True)
    return Block(h, draw)


def _underside(pg: Page, c: TakeHome, x: float, y: float, w: float, h: float) -> None:
    """The healthy map beside this setting's at 30 deg, drawn at PRINT_DPI."""
    from kneeviz.scene.compare import COMPARE_TITLES
    from kneeviz.scene.underside import UndersideMapSpec, draw_underside_panel

    i = c.frame_at(UNDERSIDE_AT_DEG)
    if i is None:
        pg.text(x, y, w, h, f"The kneecap's underside at {UNDERSIDE_AT_DEG:.0f}\u00b0: "
                f"{c.why_no_frame(UNDERSIDE_AT_DEG)}", 8, colour=DIM,
                align=Qt.AlignmentFlag.AlignCenter, wrap=True)
        return
    size = (int(round(w / 25.4 * PRINT_DPI)), int(round(h / 25.4 * PRINT_DPI)))
    specs = [UndersideMapSpec(t, np.asarray(tr.patella_pressure_mpa[i]))
             for t, tr in zip(COMPARE_TITLES, (c.healthy, c.this), strict=True)]
    img, _layout = draw_underside_panel(
        c.anatomy, specs, size,
        heading=f"The kneecap's underside at {float(c.this['knee_flexion_deg'][i]):.0f}\u00b0, "
                "seen through it from the front")
    _draw_rgb(pg.painter, img, pg.rect(x, y, w, h))


def _draw_rgb(painter: QPainter, rgb: np.ndarray, target: QRectF) -> None:
    a = np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8)
    h, w = a.shape[:2]
    img = QImage(a.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()  # owns its pixels
    painter.drawImage(target, img)


def _curves(pg: Page, c: TakeHome, x: float, y: float, w: float, h: float) -> None:
    """The tilt and shift curves stacked, under one title line with the legend."""
    p = pg.painter
    title_h, gap = 10.0, 3.0
    pg.text(x, y, w, 5, "How the kneecap moves", 10.5, bold=True)
    for k, (colour, name) in enumerate(((THIS_COLOUR, "this setting"),
                                        (HEALTHY_COLOUR, "healthy hip control"))):
        lx = x + k * 28
        p.setPen(QPen(colour, pg.mm(0.7)))
        p.drawLine(QPointF(pg.mm(lx), pg.mm(y + 7.4)), QPointF(pg.mm(lx + 5), pg.mm(y + 7.4)))
        pg.text(lx + 6.5, y + 5.5, 30, 4, name, 8)
    ph = (h - title_h - gap) / len(CURVE_KEYS)
    for k, key in enumerate(CURVE_KEYS):
        _plot(pg, c, key, x, y + title_h + k * (ph + gap), w, ph)


def _pictures(c: TakeHome, height_mm: float) -> Block:
    """The kneecap's underside (left) beside the curves (right)."""
    gap = 6.0

    def draw(pg: Page, x: float, y: float, w: float) -> None:
        uw = UNDERSIDE_SHARE * w
        _underside(pg, c, x, y, uw, height_mm)
        _curves(pg, c, x + uw + gap, y, w - uw - gap, height_mm)
    return Block(height_mm, draw)


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _plot(pg: Page, c: TakeHome, key: str, x: float, y: float, w: float, h: float) -> None:
    """One measure against knee flexion on the way down: healthy (green) and this setting
    (orange), the four compared angles marked; vector lines and real text."""
    p = pg.painter
    m = measure_table.by_key()[key]
    fx = measure_table.by_key()["knee_flexion_deg"]
    idx = c.descent()
    flex = np.asarray(c.this["knee_flexion_deg"], dtype=float)[idx]
    series = []
    for traj in (c.healthy, c.this):
        v = np.asarray(traj[key], dtype=float)[idx].copy()
        v[~c.usable(traj)[idx]] = np.nan
        series.append(v)
    vals = np.concatenate([s[np.isfinite(s)] for s in series] + [np.zeros(1)])
    lo, hi = float(vals.min()), float(vals.max())
    step = _nice_step(max(hi - lo, 1.0), 4)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    x_hi = max(45.0, float(np.nanmax(flex)) if len(flex) else 45.0)
    xstep = _nice_step(x_hi, 5)
    x_hi = math.ceil(x_hi / xstep) * xstep
    # plot area (mm) leaving room for the axis labels
    title_h, left, bottom = 5.0, 10.0, 8.5
    ax, ay, aw, ah = x + left, y + title_h, w - left - 1.0, h - title_h - bottom
    pg.text(x, y, w, 5, f"{m.label}, {m.unit}", 8, bold=True)

    def to_pt(fv: float, vv: float) -> QPointF:
        return QPointF(pg.mm(ax + aw * fv / x_hi), pg.mm(ay + ah * (hi - vv) / (hi - lo)))

    p.setPen(QPen(RULE, pg.mm(0.15)))
    v = lo
    while v <= hi + 1e-9:
        p.drawLine(to_pt(0, v), to_pt(x_hi, v))
        pg.text(x, ay + ah * (hi - v) / (hi - lo) - 1.8, left - 1.2, 4, m.number(v) if m.fmt
                else f"{v:g}", 6.5, colour=DIM, align=Qt.AlignmentFlag.AlignRight)
        v += step
    for a in ANGLES_DEG:  # the compared angles
        p.setPen(QPen(RULE, pg.mm(0.25), Qt.PenStyle.DashLine))
        p.drawLine(to_pt(a, lo), to_pt(a, hi))
    f = 0.0
    while f <= x_hi + 1e-9:
        pg.text(ax + aw * f / x_hi - 5, ay + ah + 0.6, 10, 4, f"{f:g}", 6.5, colour=DIM,
                align=Qt.AlignmentFlag.AlignHCenter)
        f += xstep
    pg.text(ax, ay + ah + 4.0, aw, 4, f"{fx.label}, {fx.unit} (on the way down)", 6.8,
            colour=DIM, align=Qt.AlignmentFlag.AlignHCenter)
    p.setPen(QPen(INK, pg.mm(0.2)))
    p.drawLine(to_pt(0, lo), to_pt(x_hi, lo))
    p.drawLine(to_pt(0, lo), to_pt(0, hi))
    if lo < 0 < hi:
        p.setPen(QPen(DIM, pg.mm(0.2)))
        p.drawLine(to_pt(0, 0), to_pt(x_hi, 0))
    for s, colour in zip(series, (HEALTHY_COLOUR, THIS_COLOUR), strict=True):
        path = QPainterPath()
        pen_down = False
        for fv, vv in zip(flex.tolist(), s.tolist(), strict=True):
            if not math.isfinite(vv):
                pen_down = False
                continue
            pt = to_pt(fv, vv)
            if pen_down:
                path.lineTo(pt)
            else:
                path.moveTo(pt)
                pen_down = True
        p.setPen(QPen(colour, pg.mm(0.55), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.drawPath(path)


def _table(c: TakeHome) -> Block:
    """The readouts at the four angles: per angle this setting's value and the healthy one's,
    numbers only (the unit is in the row's label)."""
    rows = c.numbers()
    row_h = 3.7
    h = row_h * (len(rows) + 2) + 4.0

    def draw(pg: Page, x: float, y: float, w: float) -> None:
        p = pg.painter
        label_w = 62.0
        col_w = (w - label_w) / len(ANGLES_DEG)
        frames = c.frames_at()
        centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        pg.text(x, y, label_w, row_h, "The numbers", 8.5, bold=True, align=left)
        pg.text(x, y + row_h, label_w, row_h, "at each knee bend:", 7.5, colour=DIM, align=left)
        for k, a in enumerate(ANGLES_DEG):
            i = frames[a]
            cx = x + label_w + k * col_w
            head = (f"{float(c.this['knee_flexion_deg'][i]):.0f}\u00b0" if i is not None
                    else f"{a:.0f}\u00b0: no result")
            pg.text(cx, y, col_w, row_h, head, 8, bold=True, align=centre)
            pg.text(cx, y + row_h, col_w / 2, row_h, "this", 7.5, colour=THIS_COLOUR,
                    align=centre)
            pg.text(cx + col_w / 2, y + row_h, col_w / 2, row_h, "healthy", 7.5,
                    colour=HEALTHY_COLOUR, align=centre)
        for r, (m, cells) in enumerate(rows):
            ry = y + row_h * (r + 2)
            if r % 2 == 0:
                p.fillRect(pg.rect(x, ry, w, row_h), QColor(242, 244, 247))
            label = f"{m.label}, {m.unit}" if m.unit else m.label
            pg.text(x + 1, ry, label_w - 1, row_h, label, 7.8, align=left)
            for k, (this, healthy) in enumerate(cells):
                cx = x + label_w + k * col_w
                pg.text(cx, ry, col_w / 2, row_h, this, 7.8, align=centre)
                pg.text(cx + col_w / 2, ry, col_w / 2, row_h, healthy, 7.8, colour=DIM,
                        align=centre)
        pg.text(x, y + row_h * (len(rows) + 2) + 0.5, w, 4,
                "+ = toward the outer side. Healthy: the same squat on the same knee with the "
                "hip held steady.", 6.8, colour=DIM)
    return Block(h, draw)


def _note_document(pg: Page, head: str, note: str, width_mm: float) -> QTextDocument:
    """The note as a text document: the bold heading, then the note as typed (plain text, so
    nothing in it is read as markup)."""
    doc = QTextDocument()
    layout = doc.documentLayout()
    if layout is not None:
        layout.setPaintDevice(pg.painter.device())
    doc.setDocumentMargin(0.0)
    doc.setDefaultFont(pg.font(9.5))
    doc.setTextWidth(pg.mm(width_mm))
    cursor = QTextCursor(doc)
    bold = QTextCharFormat()
    bold.setFont(pg.font(9.5, bold=True))
    bold.setForeground(INK)
    plain = QTextCharFormat()
    plain.setFont(pg.font(9.5))
    plain.setForeground(INK)
    cursor.insertText(head + " ", bold)
    cursor.insertText(note, plain)
    return doc


def _note(c: TakeHome, pg: Page, width_mm: float) -> Block | None:
    """The clinician's note in a box, headed by who wrote it."""
    if not c.note:
        return None
    head = f"Note from {c.clinician}:" if c.clinician else "Note from your clinician:"
    h = _note_document(pg, head, c.note, width_mm - 4).size().height() / pg.dots_per_mm + 2.6

    def draw(pg: Page, x: float, y: float, w: float) -> None:
        p = pg.painter
        p.setPen(QPen(RULE, pg.mm(0.3)))
        p.drawRect(pg.rect(x, y, w, h))
        doc = _note_document(pg, head, c.note, w - 4)
        p.save()
        p.translate(pg.mm(x + 2), pg.mm(y + 1.3))
        doc.drawContents(p)
        p.restore()
    return Block(h, draw)


# -- the document ---------------------------------------------------------------------------------
def _blocks(c: TakeHome, pg: Page, width_mm: float, height_mm: float) -> list[Block]:
    """The page's blocks in order. The pictures' row gives up height (PICTURES_MM down to
    PICTURES_MIN_MM) so that everything fits one page when it can (Letter is 18 mm shorter than
    A4; a note takes lines)."""
    blocks = _blocks_with(c, pg, width_mm, PICTURES_MM)
    over = sum(b.height_mm + b.gap_after_mm for b in blocks) - blocks[-1].gap_after_mm - height_mm
    if over > 0:
        blocks = _blocks_with(c, pg, width_mm, max(PICTURES_MIN_MM, PICTURES_MM - over))
    return blocks


def _blocks_with(c: TakeHome, pg: Page, width_mm: float, pictures_mm: float) -> list[Block]:
    blocks = [_heading(c), _sentences(c, pg, width_mm)]
    caveats = _caveats(c, pg, width_mm)
    if caveats is not None:
        blocks.append(caveats)
    blocks += [
        _section_title("The knee cut across through the kneecap, as on an axial MRI image"),
        _axial_row(c, width_mm),
        _axial_legend(c, pg, width_mm),
        _pictures(c, pictures_mm),
        _table(c),
    ]
    note = _note(c, pg, width_mm)
    if note is not None:
        blocks.append(note)
    return blocks


def _paginate(blocks: list[Block], top: float, bottom: float) -> list[list[tuple[Block, float]]]:
    pages: list[list[tuple[Block, float]]] = [[]]
    y = top
    for b in blocks:
        if y + b.height_mm > bottom and pages[-1]:
            pages.append([])
            y = top
        pages[-1].append((b, y))
        y += b.height_mm + b.gap_after_mm
    return pages


def _footer(pg: Page, c: TakeHome, x: float, y: float, w: float, page: int, pages: int) -> None:
    pg.painter.setPen(QPen(RULE, pg.mm(0.3)))
    pg.painter.drawLine(QPointF(pg.mm(x), pg.mm(y - 1.0)), QPointF(pg.mm(x + w), pg.mm(y - 1.0)))
    more = f"  \u00b7  page {page} of {pages}" if pages > 1 else ""
    pg.text(x, y, w, 8, c.footer() + more, 6.6, colour=DIM, wrap=True)


def compose(path: Path, c: TakeHome, page_size: str = "a4") -> int:
    """Write the report to `path` (a plain file: write_report makes it atomic); the page count."""
    ensure_gui()
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(PAGE_SIZES[check_page_size(page_size)]),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    writer.setTitle(f"kneeviz report: {c.setting_name}")
    writer.setCreator(f"kneeviz {__version__}")
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        # pictures as they were drawn (flate), not JPEG: the maps hold text and flat colours
        painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
        size_mm: QSizeF = writer.pageLayout().pageSize().size(QPageSize.Unit.Millimeter)
        pg = Page(painter, RESOLUTION_DPI / 25.4)
        x, w = MARGIN_MM, size_mm.width() - 2 * MARGIN_MM
        footer_y = size_mm.height() - MARGIN_MM - 5.0
        bottom = footer_y - 2.5
        pages = _paginate(_blocks(c, pg, w, bottom - MARGIN_MM), MARGIN_MM, bottom)
        for n, placed in enumerate(pages):
            if n:
                writer.newPage()
            for block, y in placed:
                block.draw(pg, x, y, w)
            _footer(pg, c, x, footer_y, w, n + 1, len(pages))
    finally:
        ok = painter.end()
    if not ok:
        raise OSError(f"the PDF writer could not finish {path}")
    _check_complete(path)
    return len(pages)


def _check_complete(path: Path) -> None:
    """Qt's PDF writer reports no write errors (a full disk included): a file without its
    trailer is never published."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        fh.seek(max(0, size - 1024))
        tail = fh.read()
    if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
        import errno

        raise OSError(errno.ENOSPC, "No space left on device (the PDF was cut short)")


def write_report(path: str | Path, c: TakeHome, page_size: str = "a4") -> tuple[Path, int]:
    """The report at `path`, written atomically (kneeviz.atomic); (path, pages)."""
    target = check_report_path(path)
    check_page_size(page_size)
    pages: list[int] = []
    atomic_write_with(target, lambda tmp: pages.append(compose(tmp, c, page_size)),
                      what="write the report")
    return target, pages[0]
