"""Ctrl-C in the terminal that started the app closes its window, as the window's close button
does (playback stopped, the solve worker ended, settings saved), and `kneeviz` exits with 130.

Why this is needed: Python runs a signal handler only when the interpreter next runs Python code,
and an idle Qt event loop runs none, so the default Ctrl-C (a KeyboardInterrupt) was never raised
at all: the app ignored Ctrl-C for as long as it sat paused. Had it been raised, it would have
been raised inside whatever Qt slot ran next, where PyQt cannot pass it on. So the handler only
asks Qt to close the window, and a timer wakes the interpreter a few times a second to run it.
A second Ctrl-C, if the window has not closed by then, ends the process at once.

While the window is being built (seconds on a first start) a Ctrl-C is only noted, by
`note_ctrl_c_until_the_window`, and the window closes as soon as it is shown. Raised as a
KeyboardInterrupt it landed in whatever Python code ran then, often code that VTK calls (a
pyvista algorithm's RequestData while a mesh is added): VTK logged a "Failure when calling method"
and went on, the Ctrl-C was lost and the app kept running (seen in 3 of 12 Ctrl-Cs sent about a
second after the window first appeared, at load 6).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

from kneeviz import atomic

if TYPE_CHECKING:
    from PyQt6.QtWidgets import QWidget

WAKE_MS = 200
"""How often the interpreter is woken to run a pending signal handler (a Ctrl-C closes the
window within this time)."""


_noted = threading.Event()
"""A Ctrl-C came before the window's own handler was installed."""


def _note(_signum: int, _frame: FrameType | None) -> None:
    _noted.set()
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C: end now


def note_ctrl_c_until_the_window() -> None:
    """From now until CloseOnInterrupt is installed, a Ctrl-C is noted instead of raised (call it
    before Qt and VTK are imported; main thread only, elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        return
    atomic.install_signal_cleanup()  # its SIGTERM handler; SIGINT's is replaced here
    signal.signal(signal.SIGINT, _note)


class CloseOnInterrupt:
    """Installed for one window (main thread only); `interrupted` says whether Ctrl-C closed it."""

    def __init__(self, window: QWidget) -> None:
        from PyQt6.QtCore import QTimer

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
        if _noted.is_set():  # Ctrl-C while the window was built: close it once it is shown
            _noted.clear()
            self.interrupted = True
            QTimer.singleShot(0, self.window.close)
            return
        signal.signal(signal.SIGINT, self._on_sigint)
        self._wake.start()

    def _on_sigint(self, _signum: int, _frame: FrameType | None) -> None:
        from PyQt6.QtCore import QTimer

        self.interrupted = True
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C: end now
        QTimer.singleShot(0, self.window.close)
