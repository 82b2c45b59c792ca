"""The app's one mutable state: the knee, the scenario, the squat being shown and the frame.

Views subscribe to its signals and write back only through its setters (docs/architecture.md).
Solving goes through a Solver (worker thread); solved squats are kept per (knee, scenario), so going
back to a preset is instant. The cache is capped by the bytes its squats hold (a solved squat
carries per-vertex pressures: about 4.3 MB for the default knee's 121-frame squat at 30 Hz), so a
screen left cycling through settings for hours keeps a constant footprint.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import fields, is_dataclass, replace
from typing import Any

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.app.state.solver import Solver
from kneeviz.app.state.squat_view import SquatView
from kneeviz.mechanics.equilibrium import resting_patella_pose
from kneeviz.motion.from_recording import healthy_counterpart
from kneeviz.scenario import Scenario
from kneeviz.view_state import ViewState

CACHE_CAP_BYTES = 24 * 1024 * 1024
"""Bytes of solved squats the session's cache keeps (those on screen included): five of the
default knee's 30 Hz squats (about 4.3 MB each, measured by view_nbytes), i.e. the three presets,
the healthy reference among them, and two custom settings. The soak (benchmarks/soak_app.py)
cycles through more than that."""


def _arrays(value: Any) -> Iterator[np.ndarray]:
    if isinstance(value, np.ndarray):
        yield value
    elif is_dataclass(value) and not isinstance(value, type):  # the view's Trajectory
        for f in fields(value):
            yield from _arrays(getattr(value, f.name))
    elif hasattr(value, "held_arrays"):  # the Trajectory's femoral pressure map
        yield from value.held_arrays()
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)


def view_nbytes(view: SquatView) -> int:
    """The bytes of numpy data a SquatView keeps alive: every array field (the poses, measures,
    pressures), each counted through to the array that owns its memory (a slice keeps its whole
    parent alive) and each owner once (arrays shared between fields, or views of one buffer)."""
    owners: dict[int, int] = {}
    for f in fields(view):
        for a in _arrays(getattr(view, f.name)):
            while isinstance(a.base, np.ndarray):
                a = a.base
            owners[id(a)] = int(a.nbytes)
    return sum(owners.values())


class Session(QObject):
    anatomy_changed = pyqtSignal()
    scenario_changed = pyqtSignal()
    view_changed = pyqtSignal()
    """A new squat to show (a preview or a solve of the current scenario)."""
    healthy_changed = pyqtSignal()
    frame_changed = pyqtSignal(int)
    solving_changed = pyqtSignal(bool)
    progress = pyqtSignal(int, int)
    error = pyqtSignal(str)
    display_changed = pyqtSignal(object, object)
    """(new ViewState, previous ViewState)."""

    def __init__(
        self, anatomy: Anatomy, scenario: Scenario, solver: Solver | None = None,
        parent: QObject | None = None, cache_cap_bytes: int = CACHE_CAP_BYTES,
    ) -> None:
        super().__init__(parent)
        self.anatomy = anatomy
        self.scenario = scenario.validate()
        self.solver = solver if solver is not None else Solver()
        self.view: SquatView | None = None
        self.healthy_view: SquatView | None = None
        self.frame = 0
        self.solving = False
        self.display = ViewState()
        self._current_id = -1
        self._healthy_id = -1
        self._cache: OrderedDict[tuple[str, Scenario], SquatView] = OrderedDict()
        """Solved squats, least recently shown first."""
        self._cache_nbytes: dict[tuple[str, Scenario], int] = {}
        self.cache_cap_bytes = int(cache_cap_bytes)
        self._anatomy_key: tuple[Anatomy, str] | None = None
        self._solve_deferred = False
        """The scenario shown is a bones-only preview whose solve waits (set_scenario)."""
        self._healthy_wanted: Scenario | None = None
        """The healthy reference asked for last (shown, or being solved)."""
        self.solver.signals.preview.connect(self._on_preview)
        self.solver.signals.solved.connect(self._on_solved)
        self.solver.signals.progress.connect(self._on_progress)
        self.solver.signals.failed.connect(self._on_failed)

    # -- display ------------------------------------------------------------------------------
    def set_display(self, **changes: Any) -> None:
        """Change how the squat is shown (ViewState fields); views follow display_changed."""
        if "overlays" in changes:
            changes["overlays"] = frozenset(changes["overlays"])
        new = replace(self.display, **changes)
        if new == self.display:
            return
        old, self.display = self.display, new
        self.display_changed.emit(new, old)

    def set_overlay(self, name: str, on: bool) -> None:
        shown = set(self.display.overlays)
        (shown.add if on else shown.discard)(name)
        self.set_display(overlays=frozenset(shown))

    # -- scenario ------------------------------------------------------------------------------
    def healthy_scenario(self) -> Scenario:
        """The comparison ghost: the healthy hip, or for a recording the same recording with a
        steady hip (the femur held over the foot)."""
        return healthy_counterpart(self.scenario)

    def scenario_for_preset(self, name: str) -> Scenario:
        return self.scenario.for_preset(name)

    def scenario_with_hip(self, internal_rotation_deg: float, adduction_deg: float) -> Scenario:
        return self.scenario.with_changes(femoral_internal_rotation_deg=internal_rotation_deg,
                                          hip_adduction_deg=adduction_deg)

    def set_scenario(self, scenario: Scenario, *, solve: bool = True) -> None:
        """Show `scenario`; `solve=False` (a slider still moving) re-poses the bones only and
        leaves the solve until it is set again with `solve=True` (the slider rested)."""
        scenario.validate()
        if scenario == self.scenario and self.view is not None:
            if not (solve and self._solve_deferred):
                return
            self._request_current()  # the slider rested on the setting shown
        else:
            self.scenario = scenario
            self.scenario_changed.emit()
            self._request_current(solve)
            if not solve:
                return
        if self._healthy_wanted is not None and self._healthy_wanted != self.healthy_scenario():
            # A knee or squat parameter changed (not only the hip): the reference follows it.
            self._request_healthy()
        elif self.healthy_view is None and self._healthy_id == -1:
            # The healthy reference was riding on the current solve (the window opened on the
            # healthy setting), which this change has just cancelled: solve it on its own.
            self._request_healthy()

    # -- knee ------------------------------------------------------------------------------------
    def set_anatomy(self, anatomy: Anatomy) -> None:
        self.anatomy = anatomy
        self.view = None
        self.healthy_view = None
        self.anatomy_changed.emit()
        self.start()

    def start(self) -> None:
        """Show the bones at once (kinematics on this thread: milliseconds), then solve the
        current scenario and the healthy reference in the worker."""
        self._request_current()
        self._request_healthy()

    def _key(self, scenario: Scenario) -> tuple[str, Scenario]:
        # The knee's content hash, computed once per knee (it hashes every mesh).
        if self._anatomy_key is None or self._anatomy_key[0] is not self.anatomy:
            self._anatomy_key = (self.anatomy, self.anatomy.key())
        return (self._anatomy_key[1], scenario)

    def _hint(self) -> FloatArray:
        if self.view is not None:
            return self.view.T_femur_patella
        if self.healthy_view is not None:
            return self.healthy_view.T_femur_patella
        return resting_patella_pose(self.anatomy)

    def _request_current(self, solve: bool = True) -> None:
        key = self._key(self.scenario)
        cached = self._cache.get(key)
        self._solve_deferred = False
        if cached is not None:
            self._cache.move_to_end(key)  # recently shown: evicted last
            self.solver.cancel("current")
            self._current_id = -1
            self._set_solving(False)
            self._show(cached)
            return
        # The bones at once, on this thread (kinematics: milliseconds); the solve in the worker.
        self.solver.cancel("current")
        self._current_id = -1
        hint = self._hint()
        kin, preview = self.solver.preview(self.anatomy, self.scenario, hint)
        self._show(preview)
        if self.solver.simulate_fn is None:  # bones only: nothing more to come
            self._remember(self._key(self.scenario), preview)
            self._set_solving(False)
            return
        if not solve:
            self._solve_deferred = True
            self._set_solving(False)
            return
        self._current_id = self.solver.submit(self.anatomy, self.scenario, hint, "current",
                                             self.frame, kin, preview)
        self._set_solving(True)

    def _request_healthy(self) -> None:
        hs = self.healthy_scenario()
        self._healthy_wanted = hs
        # A healthy solve still running is for another knee or scenario: stop it, so it
        # cannot land as this one's reference.
        self.solver.cancel("healthy")
        self._healthy_id = -1
        cached = self._cache.get(self._key(hs))
        if cached is not None:
            self._cache.move_to_end(self._key(hs))
            self.healthy_view = cached
            self.healthy_changed.emit()
            return
        if hs == self.scenario:
            return  # the current solve is the healthy one (_on_solved files it)
        self._healthy_id = self.solver.submit(self.anatomy, hs, self._hint(), "healthy")

    # -- solver results ------------------------------------------------------------------------
    def _on_preview(self, rid: int, view: SquatView) -> None:
        if rid == self._current_id:
            self._show(view)

    def _on_solved(self, rid: int, view: SquatView) -> None:
        key = self._key(view.scenario)
        if rid == self._current_id:
            self._remember(key, view)
            self._current_id = -1
            self._set_solving(False)
            self._show(view)
            if view.scenario == self.healthy_scenario():
                self.healthy_view = view
                self.healthy_changed.emit()
        elif rid == self._healthy_id:
            self._remember(key, view)
            self._healthy_id = -1
            self.healthy_view = view
            self.healthy_changed.emit()

    def _on_progress(self, rid: int, done: int, total: int) -> None:
        if rid == self._current_id:
            self.progress.emit(done, total)

    def _on_failed(self, rid: int, message: str) -> None:
        if rid == self._current_id:
            self._current_id = -1
            self._set_solving(False)
            self.error.emit(message)
        elif rid == self._healthy_id:
            self._healthy_id = -1
            self.error.emit(message)

    def _remember(self, key: tuple[str, Scenario], view: SquatView) -> None:
        """File a squat and evict the least recently shown ones until the cache's bytes are
        within `cache_cap_bytes`: first those not on screen (`view`, about to be shown, counts
        as on screen), then, if squats that large leave no room, the current one too. The
        healthy reference is never evicted while it is the plots' reference curve, even when
        it alone is larger than the cap (a very fine patient mesh): then it is the only squat
        kept."""
        self._cache[key] = view
        self._cache.move_to_end(key)
        self._cache_nbytes[key] = view_nbytes(view)
        healthy = self.healthy_view
        if view.scenario == self.healthy_scenario():
            healthy = view
        for pinned in ((self.view, view, healthy), (healthy,)):
            for k in [k for k, v in self._cache.items() if not any(v is p for p in pinned)]:
                if self.cache_bytes() <= self.cache_cap_bytes:
                    return
                del self._cache[k]
                del self._cache_nbytes[k]

    def cache_bytes(self) -> int:
        """Bytes of numpy data held by the cached squats (view_nbytes of each)."""
        return sum(self._cache_nbytes.values())

    def cached_views(self) -> tuple[SquatView, ...]:
        """The cached squats, least recently shown first."""
        return tuple(self._cache.values())

    def _set_solving(self, on: bool) -> None:
        if on != self.solving:
            self.solving = on
            self.solving_changed.emit(on)

    def _show(self, view: SquatView) -> None:
        old_n = self.view.n_frames if self.view is not None else None
        self.view = view
        if old_n != view.n_frames:
            self.frame = min(self.frame, view.n_frames - 1)
        self.view_changed.emit()
        self.frame_changed.emit(self.frame)

    # -- frame -----------------------------------------------------------------------------------
    def set_frame(self, i: int) -> None:
        if self.view is None:
            return
        i = int(np.clip(i, 0, self.view.n_frames - 1))
        if i != self.frame:
            self.frame = i
            self.frame_changed.emit(i)

    def close(self) -> None:
        self._current_id = self._healthy_id = -1
        self.solver.shutdown()
