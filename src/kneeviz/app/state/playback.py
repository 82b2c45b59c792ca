"""Playback: the squat's clock. Time advances by wall-clock time x speed, so slow rendering drops
frames instead of slowing the squat down (docs/architecture.md: the frame lives in the session, the
timer here)."""

from __future__ import annotations

from PyQt6.QtCore import QElapsedTimer, QObject, QTimer, pyqtSignal

from kneeviz.app.state.session import Session

SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 1.5, 2.0)
TICK_MS = 15


class Playback(QObject):
    playing_changed = pyqtSignal(bool)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.speed = 1.0
        self.loop = True
        self._t_s = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        session.frame_changed.connect(self._follow_frame)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def time_s(self) -> float:
        return self._t_s

    def play(self) -> None:
        view = self.session.view
        if view is None or self.playing:
            return
        if self._t_s >= view.duration_s and not self.loop:
            self._t_s = float(view.time_s[0])
        self._clock.start()
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        if not 0.25 <= speed <= 2.0:
            raise ValueError(f"playback speed {speed} is outside 0.25..2")
        self.speed = float(speed)

    def step(self, delta: int) -> None:
        """One frame back or forward (pauses playback)."""
        self.pause()
        view = self.session.view
        if view is None:
            return
        self.session.set_frame((self.session.frame + delta) % view.n_frames)

    def _follow_frame(self, i: int) -> None:
        """Keep the clock on a frame chosen elsewhere (timeline scrub, step, new squat)."""
        view = self.session.view
        if view is not None and view.frame_at_time(self._t_s) != i:
            self._t_s = float(view.time_s[i])

    def _tick(self) -> None:
        view = self.session.view
        if view is None:
            return
        dt_s = self._clock.restart() / 1000.0
        t = self._t_s + dt_s * self.speed
        duration = view.duration_s
        start = float(view.time_s[0])  # a recording keeps its own clock
        if t > duration:
            if self.loop and duration > start:
                t = start + (t - start) % (duration - start)
            else:
                t = duration
                self.pause()
        self._t_s = t
        self.session.set_frame(view.frame_at_time(t))
