"""The kneecap's underside in the window: the healthy pressure map beside this setting's.

The picture is kneeviz.scene.underside's (the same pixels as `kneeviz render --view underside`),
drawn at the widget's device pixels so it stays sharp and legible on a high-DPI screen (its text
is sized from the pixel height). `set_pressures` takes one frame's per-vertex patellar pressures
of the healthy squat and of this setting.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QSize
from PyQt6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.scene.compare import COMPARE_TITLES
from kneeviz.scene.underside import BACKGROUND, UndersideMapSpec, draw_underside_panel


class UndersideView(QWidget):
    """Paints draw_underside_panel for the latest pressures."""

    def __init__(self, anatomy: Anatomy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.anatomy = anatomy
        self.healthy: FloatArray | None = None
        self.current: FloatArray | None = None
        self.title = COMPARE_TITLES[1]
        self.show_numbers = True
        self.lateral_shares: tuple[float, ...] = ()
        """What the last picture shows: the share of pressure on the outer facet, per map."""
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None
        self.setMinimumSize(280, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("The kneecap's underside (its cartilage), seen through the kneecap from "
                        "the front: where it presses and how hard, healthy hip control on the "
                        "left.")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(420, 230)

    def set_anatomy(self, anatomy: Anatomy) -> None:
        self.anatomy = anatomy
        self.healthy = self.current = None
        self._image = None
        self.update()

    def set_pressures(self, healthy_mpa: FloatArray | None, current_mpa: FloatArray | None,
                      title: str | None = None) -> None:
        self.healthy, self.current = healthy_mpa, current_mpa
        if title is not None:
            self.title = title
        self._image = None
        self.update()

    def set_show_numbers(self, on: bool) -> None:
        self.show_numbers = bool(on)
        self._image = None
        self.update()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt name)
        self._image = None
        super().resizeEvent(event)  # type: ignore[arg-type]

    def render_image(self) -> QImage:
        """The panel at the widget's device pixels (cached until the data or size change)."""
        if self._image is None:
            dpr = self.devicePixelRatioF()
            w, h = max(120, int(self.width() * dpr)), max(100, int(self.height() * dpr))
            img, layouts = draw_underside_panel(
                self.anatomy,
                [UndersideMapSpec(COMPARE_TITLES[0], self.healthy),
                 UndersideMapSpec(self.title, self.current)],
                (w, h), show_numbers=self.show_numbers,
            )
            self.lateral_shares = tuple(lay.lateral_share for lay in layouts)
            self._buffer = np.ascontiguousarray(img)
            qimg = QImage(self._buffer.tobytes(), self._buffer.shape[1], self._buffer.shape[0],
                          3 * self._buffer.shape[1], QImage.Format.Format_RGB888).copy()
            qimg.setDevicePixelRatio(dpr)
            self._image = qimg
        return self._image

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), _qcolour(BACKGROUND))
            if self.isVisible():
                p.drawImage(0, 0, self.render_image())
        finally:  # never leave the painter open past its paint event (see AxialView)
            p.end()


def _qcolour(rgb: tuple[int, int, int]) -> QColor:
    return QColor(*rgb)
