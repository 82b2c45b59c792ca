"""The window's start-up objects are frozen out of the full collections (kneeviz.app.window.heap):
what is already garbage is collected first, not frozen; what lives on is frozen and still freed by
reference counting when it is no longer used."""

from __future__ import annotations

import gc
import weakref


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_freeze_collects_garbage_first_then_freezes_the_rest() -> None:
    from kneeviz.app.window.heap import freeze_startup_heap

    a, b = _Node(), _Node()
    a.other, b.other = b, a  # a reference cycle: only the collector frees it
    dead = weakref.ref(a)
    del a, b
    kept = _Node()
    alive = weakref.ref(kept)
    try:
        freeze_startup_heap()
        assert dead() is None  # collected before the freeze, not frozen for good
        assert gc.get_freeze_count() > 0
        assert gc.is_tracked(kept) and alive() is kept
        del kept  # a frozen object is still freed when nothing refers to it
        assert alive() is None
    finally:
        gc.unfreeze()


def test_the_window_run_leaves_the_process_collecting_as_before() -> None:
    from kneeviz.app.window.heap import frozen_startup_heap

    assert gc.get_freeze_count() == 0
    with frozen_startup_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
