"""The axial slice view: the knee cut through the kneecap, drawn like the study's axial MRI images
(Souza et al. 2010), with the measurements a clinician reads on them drawn and labelled.

The slice and its painting live in kneeviz.scene.axial_picture (AxialPainting), which the take-home
report prints too; this widget is its window: it sizes, repaints and ends its painter safely.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize
from PyQt6.QtGui import QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget

from kneeviz.anatomy.knee import Anatomy
from kneeviz.scene.axial_picture import AxialPainting


class AxialView(QWidget, AxialPainting):
    """Paints an AxialSlice. `set_pose` cuts the knee at a patella pose (femur frame)."""

    def __init__(self, anatomy: Anatomy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.init_painting(anatomy)
        self.setMinimumSize(320, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip(
            "The knee cut across through the kneecap, as on an axial MRI image, seen from the "
            "feet. Cyan: the line along the back of the two thigh-bone condyles. Yellow: the "
            "kneecap's axis. Magenta: the deepest point of the groove."
        )

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(420, 400)

    def px_per_pt(self) -> float:
        return self.logicalDpiY() / 72.0

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        try:
            self._paint(p)
        finally:  # a painter left open past its paint event (an exception drawing) can crash Qt
            p.end()
