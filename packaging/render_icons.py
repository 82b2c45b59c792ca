"""Render the PNG sizes of the application icon from src/kneeviz/icons/kneeviz.svg with Qt's
SVG renderer. Run after editing the SVG (`make icons`); the PNGs are committed, so neither a
wheel nor a bundle build needs Qt to make them."""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QGuiApplication, QImage, QPainter
from PyQt6.QtSvg import QSvgRenderer

SIZES_PX = (16, 32, 48, 64, 128, 256)
ICONS = Path(__file__).resolve().parent.parent / "src" / "kneeviz" / "icons"


def main() -> int:
    _app = QGuiApplication(sys.argv[:1] + ["-platform", "offscreen"])
    renderer = QSvgRenderer(str(ICONS / "kneeviz.svg"))
    if not renderer.isValid():
        print(f"cannot read {ICONS / 'kneeviz.svg'}", file=sys.stderr)
        return 1
    for px in SIZES_PX:
        image = QImage(px, px, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ICONS / f"kneeviz-{px}.png"
        image.save(str(out))
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
