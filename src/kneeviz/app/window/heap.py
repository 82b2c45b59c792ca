"""The window's start-up objects kept out of Python's full garbage collections.

By the time the window is up the interpreter holds millions of long-lived objects (Qt, VTK, scipy,
numba, the knee's meshes and models). A full (oldest-generation) collection walks all of them: in
the window it took 130 ms, once every several seconds, the longest stall of a slider drag.
Frozen (gc.freeze), they are skipped; that collection then takes under a millisecond. They are
still freed when nothing refers to them; only a reference cycle among them would stay, and these
are meant to live as long as the window.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_heap() -> None:
    """Collect what is already garbage, then freeze everything that is left."""
    gc.collect()
    gc.freeze()


@contextmanager
def frozen_startup_heap() -> Iterator[None]:
    """The start-up heap frozen while the window runs, and collected as usual again once it has
    closed (a process that goes on after the window, a test running the app, is not left with
    the window's objects never collected)."""
    freeze_startup_heap()
    try:
        yield
    finally:
        gc.unfreeze()
