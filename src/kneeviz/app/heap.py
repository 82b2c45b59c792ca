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


def freeze_startup_heap() -> None:
    """Collect what is already garbage, then freeze everything that is left."""
    gc.collect()
    gc.freeze()
