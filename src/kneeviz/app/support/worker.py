"""The one way the window runs work off the UI thread: loading a knee, re-cutting the groove,
exporting data (the squat solver keeps its own queue of jobs in kneeviz.app.state.solver).

`Job(fn)` runs `fn(progress, cancelled)` on a QThreadPool thread; its `signals` report back on the
UI thread: done(result), failed(message) with "" for a cancellation, progress(done, total). A
user's error (KneevizError) fails with its one-line message; anything else fails with a short
line (and the traceback on stderr for a bug report), never taking the window down.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

from PyQt6.QtCore import QObject, QRunnable, pyqtSignal

from kneeviz.errors import KneevizError

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class JobSignals(QObject):
    done = pyqtSignal(object)
    failed = pyqtSignal(str)
    progress = pyqtSignal(int, int)


class CancelledError(Exception):
    """Raised by a job's function when `cancelled()` says stop: the job fails with ""."""


class Job(QRunnable):
    """See the module docstring. `unexpected` starts the message of an unexpected failure."""

    def __init__(self, fn: Callable[[Progress, Cancelled], object],
                 unexpected: str = "unexpected failure",
                 signals: JobSignals | None = None) -> None:
        """`signals`: a JobSignals the caller keeps (connected once, shared by its jobs)."""
        super().__init__()
        self.fn = fn
        self.unexpected = unexpected
        self.signals = signals if signals is not None else JobSignals()
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit, lambda: self.cancelled)
        except CancelledError:
            self.signals.failed.emit("")
        except KneevizError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # must not take the window down
            traceback.print_exc()
            self.signals.failed.emit(f"{self.unexpected}: {exc!r}")
        else:
            self.signals.done.emit(result)
