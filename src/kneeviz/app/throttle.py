"""Coalesce fast repeated updates: during playback the side panels redraw a few times a second
while the 3D view gets every frame (each widget repaint costs a window composition under software
OpenGL, and numbers changing 30 times a second cannot be read anyway)."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QElapsedTimer, QObject, QTimer


class Throttle(QObject):
    """call(arg): run fn(arg) now, or, when `interval_ms` is set and the last run was more recent
    than that, once at the end of the interval with the latest arg."""

    def __init__(self, fn: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self.interval_ms = 0
        self._clock = QElapsedTimer()
        self._pending: int | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def set_interval(self, ms: int) -> None:
        self.interval_ms = int(ms)
        if ms == 0 and self._pending is not None:
            self._timer.stop()
            self._fire()

    def call(self, arg: int) -> None:
        if self.interval_ms <= 0 or not self._clock.isValid() or \
                self._clock.elapsed() >= self.interval_ms:
            self._timer.stop()
            self._pending = None
            self._clock.start()
            self.fn(arg)
            return
        self._pending = arg
        if not self._timer.isActive():
            self._timer.start(max(1, self.interval_ms - int(self._clock.elapsed())))

    def _fire(self) -> None:
        if self._pending is not None:
            arg, self._pending = self._pending, None
            self._clock.start()
            self.fn(arg)
