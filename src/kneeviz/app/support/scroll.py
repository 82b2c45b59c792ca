"""A panel in a scroll area that scrolls only when the window is too small for it."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QFrame, QScrollArea, QStyle, QWidget

FULL_PANELS_WIDTH_PX = 1280
"""Screens at least this wide (in Qt's device-independent pixels) show the side panel at the
full width its words need; 1366x768 is the smallest common clinic laptop."""


def scrolling(widget: QWidget) -> QScrollArea:
    """The widget in a scroll area that scrolls down only when the window is too short for it,
    so a panel never forces the window taller than the screen. On a screen at least
    FULL_PANELS_WIDTH_PX wide it is never narrower than the widget needs (with room for the
    scroll bar): a panel squeezed by a dock or a splitter cut its words off at the right edge. On
    a narrower screen (a laptop at 200 % scaling) the window must still fit: the panel may be
    squeezed to the width it set itself, and then scrolls sideways rather than cut its words
    off."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(widget)
    style = area.style()
    bar = style.pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) if style else 16
    need = widget.minimumWidth()  # a width the panel asked for itself is always kept
    screen = QApplication.primaryScreen()
    if screen is None or screen.availableGeometry().width() >= FULL_PANELS_WIDTH_PX:
        need = max(need, widget.minimumSizeHint().width())
    area.setMinimumWidth(need + bar + 2)
    return area
