"""The "How sure?" band for the setting on screen: computed in the background, kept per setting.

When switched on, the band of the session's setting (kneeviz.study.band: the setting held, the
tissues' uncertain properties drawn from their published ranges, BAND_RUNS squats) is solved one
squat at a time in a process of its own at the lowest CPU priority (as the window's solves are:
state.solve_process), so the window never waits for it; the timer that collects the finished
squats only looks at their futures. A band is kept per (knee, setting), so going back to a
setting shows its band at once. A new setting cancels the squats of the old one not yet started
(the one running finishes, about a second). No widgets here: the plots and readouts show
`band` and `status` and follow `changed`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.knee_spec import KneeSpec
from kneeviz.app.state.session import Session
from kneeviz.app.state.solve_process import (
    STARVED_S,
    end_worker,
    in_idle_class,
    leave_idle_class,
)
from kneeviz.scenario import Scenario
from kneeviz.study.band import BAND_RUNS, UncertaintyBand, band_of, band_parameters

BANDS_KEPT = 12
"""Bands kept (each a few hundred numbers per readout measure)."""
POLL_MS = 150
SETTLE_MS = 400
"""A setting must stay this long before its band is started (a slider drag passes many)."""


def _band_worker_start() -> None:
    """The band's worker: lowest CPU priority (the window and its solves first), deaf to Ctrl-C
    (the window ends it)."""
    import signal

    from kneeviz.app.state.solve_process import lower_priority

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lower_priority(None)


@lru_cache(maxsize=2)
def _worker_knee(spec: KneeSpec) -> Anatomy:
    from kneeviz.anatomy.loader import load_knee

    return load_knee(spec)


def band_plan(scenario: Scenario, n_runs: int, names: tuple[str, ...]) -> list[Scenario]:
    """The band's squats, drawn in the worker (kneeviz.study.band.band_scenarios)."""
    from kneeviz.study.band import band_scenarios

    return band_scenarios(scenario, n_runs=n_runs, parameters=names)


def band_squat(knee: KneeSpec | Anatomy, scenario: Scenario) -> dict[str, np.ndarray]:
    """One of the band's squats, in the worker (a knee named by its spec is loaded once there)."""
    from kneeviz.study.band import band_run

    anatomy = _worker_knee(knee) if isinstance(knee, KneeSpec) else knee
    return band_run(anatomy, scenario)


@dataclass
class _Job:
    key: tuple[str, Scenario]
    scenario: Scenario
    parameters: tuple[str, ...]
    knee: KneeSpec | Anatomy
    plan: cf.Future[Any]
    """The band's squats (band_scenarios), drawn in the worker: the sampler's libraries are not
    imported by the window (seconds, on a busy machine)."""
    futures: list[cf.Future[Any]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    last_done: int = 0
    last_change: float = field(default_factory=time.perf_counter)

    @property
    def done(self) -> int:
        return sum(f.done() for f in self.futures)

    def cancel(self) -> None:
        self.plan.cancel()
        for f in self.futures:
            f.cancel()


class BandKeeper(QObject):
    changed = pyqtSignal()
    """The band shown, or its status, changed."""

    def __init__(self, session: Session, parent: QObject | None = None,
                 n_runs: int = BAND_RUNS) -> None:
        super().__init__(parent)
        self.session = session
        self.n_runs = n_runs
        self.enabled = False
        self.error = ""
        self._bands: OrderedDict[tuple[str, Scenario], UncertaintyBand] = OrderedDict()
        self._job: _Job | None = None
        self._pool: cf.ProcessPoolExecutor | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._collect)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._start)
        session.scenario_changed.connect(self._on_setting)
        session.anatomy_changed.connect(self._on_setting)

    # -- what the panels read ----------------------------------------------------------------
    def _key(self) -> tuple[str, Scenario]:
        return (self.session.anatomy.key(), self.session.scenario)

    @property
    def band(self) -> UncertaintyBand | None:
        """The band of the setting on screen, when switched on and ready."""
        if not self.enabled:
            return None
        return self._bands.get(self._key())

    @property
    def status(self) -> str:
        if not self.enabled:
            return ""
        if self.error:
            return self.error
        band = self.band
        if band is not None:
            return (f"How sure: shaded, 5-95 % of {band.n_runs} squats over the tissues' "
                    f"published ranges ({band.seconds:.0f} s)")
        job = self._job
        if job is not None and job.key == self._key():
            if not job.futures:
                return "How sure: preparing the band..."
            return f"How sure: solving the band, {job.done} of {len(job.futures)} squats..."
        return "How sure: waiting for the setting to settle..."

    # -- switching -----------------------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        if on == self.enabled:
            return
        self.enabled = on
        if on:
            self._on_setting()
        else:
            self._cancel()
        self.changed.emit()

    def shutdown(self) -> None:
        """Stop the worker (the window is closing)."""
        self._cancel()
        pool, self._pool = self._pool, None
        if pool is not None:
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:  # a squat under way would hold the exit for a second
                # SIGTERM, then SIGKILL, out of the idle class first: a bare terminate() left
                # the idle-class worker alive 10 s later on a busy machine (make test, load 6)
                end_worker(p)

    # -- the work ------------------------------------------------------------------------------
    def _on_setting(self) -> None:
        if not self.enabled:
            return
        if self._job is not None and self._job.key != self._key():
            self._cancel()
        self.error = ""
        self._settle.start()
        self.changed.emit()

    def _cancel(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.cancel()
        self._poll.stop()

    def _start(self) -> None:
        key = self._key()
        if not self.enabled or key in self._bands or (self._job and self._job.key == key):
            self.changed.emit()
            return
        anatomy = self.session.anatomy
        knee: KneeSpec | Anatomy = anatomy.knee_spec if anatomy.knee_spec is not None else anatomy
        scenario = self.session.scenario
        names = band_parameters(scenario)
        try:
            plan = self._worker().submit(band_plan, scenario, self.n_runs, names)
        except cf.BrokenExecutor:  # its worker died (killed from outside): a new one
            self._pool = None
            plan = self._worker().submit(band_plan, scenario, self.n_runs, names)
        self._job = _Job(key, scenario, names, knee, plan)
        self._poll.start()
        self.changed.emit()

    def _unstarve(self) -> None:
        """No squat of the band finished for STARVED_S: other programs keep every core busy and
        the idle class gets nothing, so the worker goes to the normal class at nice 19 (as the
        window's solve worker does: state.solve_process)."""
        for p in getattr(self._pool, "_processes", {}).values():
            if p.pid is not None and in_idle_class(p.pid):
                leave_idle_class(p.pid)

    def _worker(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_band_worker_start)
        return self._pool

    def _collect(self) -> None:
        job = self._job
        if job is None:
            self._poll.stop()
            return
        if not job.futures:
            if not job.plan.done():
                return
            try:
                squats = job.plan.result()
                job.futures = [self._worker().submit(band_squat, job.knee, sq) for sq in squats]
            except Exception as exc:  # the worker died
                self._job = None
                self._poll.stop()
                self.error = f"How sure: the band could not be solved ({exc})"
                self.changed.emit()
                return
            self.changed.emit()
            return
        done = job.done
        if done < len(job.futures):
            if done != job.last_done:
                job.last_done, job.last_change = done, time.perf_counter()
                self.changed.emit()  # progress
            elif time.perf_counter() - job.last_change > STARVED_S:
                self._unstarve()
                job.last_change = time.perf_counter()
            return
        self._poll.stop()
        self._job = None
        try:
            runs = [f.result() for f in job.futures]
        except Exception as exc:  # the knee refused in the worker, or the worker died
            self.error = f"How sure: the band could not be solved ({exc})"
            self.changed.emit()
            return
        self._bands[job.key] = band_of(job.scenario, runs, job.parameters,
                                       time.perf_counter() - job.started)
        while len(self._bands) > BANDS_KEPT:
            self._bands.popitem(last=False)
        self.changed.emit()
