"""Ctrl-C in the terminal that started the app closes its window, as the window's close button
does (playback stopped, the solve worker ended, settings saved), and `kneeviz` exits with 130.

Why this is needed: Python runs a signal handler only when the interpreter next runs Python code,
and an idle Qt event loop runs none, so the default Ctrl-C (a KeyboardInterrupt) was never raised
at all: the app ignored Ctrl-C for as long as it sat paused. Had it been raised, it would have
been raised inside whatever Qt slot ran next, where PyQt cannot pass it on. So the handler only
asks Qt to close the window, and a timer wakes the interpreter a few times a second to run it.
A second Ctrl-C, if the window has not closed by then, ends the process at once.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QWidget

from kneeviz import atomic

WAKE_MS = 200
"""How often the interpreter is woken to run a pending signal handler (a Ctrl-C closes the
window within this time)."""


class CloseOnInterrupt:
    """Installed for one window (main thread only); `interrupted` says whether Ctrl-C closed it."""

    def __init__(self, window: QWidget) -> None:
        self.window = window
        self.interrupted = False
        self._wake = QTimer(window)
        self._wake.setInterval(WAKE_MS)
        self._wake.timeout.connect(lambda: None)  # a Python call: pending handlers run here
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers are the main thread's only
        # kneeviz.atomic's own SIGINT handler (remove the live temporary files, then stop) is
        # replaced here: in the window, a Ctrl-C is the close button, whose writers clean up
        # after themselves; its SIGTERM handler stays.
        atomic.install_signal_cleanup()
        signal.signal(signal.SIGINT, self._on_sigint)
        self._wake.start()

    def _on_sigint(self, _signum: int, _frame: FrameType | None) -> None:
        self.interrupted = True
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C: end now
        QTimer.singleShot(0, self.window.close)
