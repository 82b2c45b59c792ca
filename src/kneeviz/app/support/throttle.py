"""Coalesce fast repeated updates: during playback the side panels redraw a few times a second
while the 3D view gets every frame (each widget repaint costs a window composition under software
OpenGL, and numbers changing 30 times a second cannot be read anyway)."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QElapsedTimer, QObject, QTimer


class Throttle(QObject):
    """call(arg): run fn(arg) now, or, when `interval_ms` is set and the last run was more recent
    than that, later with the latest arg.

    "Later" is the first call after the interval has passed: while the squat plays, calls come
    with every 3D frame, so a panel is redrawn in the same event-loop pass as a 3D frame and
    shares its window composition (a timer of its own would make the window compose once more
    for the panel alone: about 30 ms of llvmpipe time, a fifth of all playback time when
    measured). With `trailing=True`, or when the interval is switched off (playback paused), the
    latest pending arg is run at once so the panel never stays behind the last frame."""

    def __init__(self, fn: Callable[[int], None], parent: QObject | None = None,
                 trailing: bool = False) -> None:
        super().__init__(parent)
        self.fn = fn
        self.interval_ms = 0
        self.trailing = trailing
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
        if self.trailing and not self._timer.isActive():
            self._timer.start(max(1, self.interval_ms - int(self._clock.elapsed())))

    def _fire(self) -> None:
        if self._pending is not None:
            arg, self._pending = self._pending, None
            self._clock.start()
            self.fn(arg)
