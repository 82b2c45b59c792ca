"""Solving off the UI thread: requests run in QThreadPool workers; only the newest counts.

A request (knee, scenario) first computes the squat kinematics (milliseconds, on the preview thread)
and posts a preview (the bones in their new poses, the patella carried along), then runs the
equilibrium solve (driven from the solve thread): the frame on screen first, then the squat,
posting what is solved as it comes, and finally the solved view. The app's own solve runs in a
worker process at the lowest CPU priority (kneeviz.app.state.solve_process: a solve on a thread
held the interpreter lock the window needs for every frame); a solve function passed in (tests,
tools) runs on the solve thread itself. Each request has an id; when a newer request
arrives the older one stops at its next frame (its progress callback raises) and anything it still
posts is dropped, so a fast slider drag never shows stale results.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

from kneeviz.anatomy.knee import Anatomy
from kneeviz.app.state import squat_view as sv
from kneeviz.app.state.solve_process import SolveCancelledError, SolveProcess, shared
from kneeviz.errors import KneevizError
from kneeviz.scenario import Scenario

KinematicsFn = Callable[[Anatomy, Scenario], Any]
SimulateFn = Callable[..., Any]


SWITCH_INTERVAL_S = 0.001
"""How long a thread may hold the interpreter lock while another waits for it (Python's default is
5 ms). The UI thread takes the lock for every slot and paint handler of a frame; behind a solve
holding it, each of those waited up to 5 ms, tens of milliseconds a frame."""
LADDER_FRAMES = 4
"""Frames solved to reach the frame on screen before the full sweep."""
SOLVE_NICE = 10
"""The solve thread's nice value (Linux): the renderer's threads come first."""
SOLVE_DUTY = 1.0
"""The share of wall time the solve may take between frames: below 1 it sleeps after each frame
for (1 / duty - 1) times the frame's solve time, leaving the CPU to the renderer."""
PARTIAL_EVERY_S = 0.5
"""How often the part of the squat solved so far is shown."""


class _CancelledError(Exception):
    """Raised inside a superseded solve to stop it early."""


@dataclass(frozen=True)
class SolveRequest:
    request_id: int
    anatomy: Anatomy
    scenario: Scenario
    T_femur_patella_hint: Any
    """(N,4,4) or (4,4) patella pose relative to the femur for the preview."""
    purpose: str = "current"
    """"current" (what the user asked for) or "healthy" (the reference curve)."""
    frame: int = 0
    """The frame on screen: solved first, so it updates before the rest of the squat."""


class SolverSignals(QObject):
    preview = pyqtSignal(int, object)  # request id, SquatView (kinematics only)
    solved = pyqtSignal(int, object)  # request id, SquatView (solved)
    progress = pyqtSignal(int, int, int)  # request id, frames done, frames total
    failed = pyqtSignal(int, str)  # request id, message


class _PreviewJob(QRunnable):
    """The squat kinematics (milliseconds) on the preview thread, so a new setting shows at once
    even while the solve thread is busy; then it queues the solve."""

    def __init__(self, solver: Solver, request: SolveRequest) -> None:
        super().__init__()
        self.solver = solver
        self.request = request
        self.setAutoDelete(True)

    def run(self) -> None:
        s, r = self.solver, self.request
        try:
            if s.is_stale(r):
                return
            kin = s.kinematics_fn(r.anatomy, r.scenario)
            preview = sv.view_from_kinematics(kin, r.scenario, _hint(r, kin.n_frames), r.anatomy)
            if s.is_stale(r):
                return
            s.signals.preview.emit(r.request_id, preview)
            if s.simulate_fn is None:  # bones only: the preview is the final answer
                s.signals.solved.emit(r.request_id, preview)
                return
            s.pool.start(_SolveJob(s, r, kin, preview))
        except KneevizError as exc:
            s.signals.failed.emit(r.request_id, str(exc))
        except Exception as exc:  # a model bug must not kill the window: report it
            traceback.print_exc()
            s.signals.failed.emit(r.request_id, f"the squat could not be computed: {exc!r}")


class _SolveJob(QRunnable):
    """The equilibrium solve on the solve thread: the frame on screen first, then the squat."""

    def __init__(self, solver: Solver, request: SolveRequest, kin: Any, preview: Any) -> None:
        super().__init__()
        self.solver = solver
        self.request = request
        self.kin = kin
        self.preview = preview
        self.setAutoDelete(True)

    def run(self) -> None:
        s, r = self.solver, self.request
        assert s.simulate_fn is not None
        simulate: SimulateFn = s.simulate_fn
        if s.process is not None:
            simulate = _in_process(s.process, lambda: s.is_stale(r))
        with s._lock:
            s._in_worker += 1  # before any stale check in it: see shutdown
        try:
            self._run(simulate)
        finally:
            with s._lock:
                s._in_worker -= 1

    def _run(self, simulate: SimulateFn) -> None:
        s, r, kin, preview = self.solver, self.request, self.kin, self.preview
        _lower_priority(s.nice)
        last = [time.perf_counter()]
        try:
            n = int(kin.n_frames)

            def check(_i: int, _sol: object) -> None:
                if s.is_stale(r):
                    raise _CancelledError
                # between frames: let a waiting UI thread have the lock at once (and, with a
                # duty below 1, the CPU for a while)
                now = time.perf_counter()
                time.sleep(max(0.0, (now - last[0]) * (1.0 / s.duty - 1.0)) if s.duty < 1 else 0)
                last[0] = time.perf_counter()

            check(0, None)
            # 1. The frame on screen first, reached through a short ladder of frames from the
            #    start (the solve warm-starts each frame from the one before).
            i = min(max(int(r.frame), 0), n - 1)
            if r.purpose == "current" and 0 < i < n - 1:
                ladder = np.unique(np.round(np.linspace(0, i, min(LADDER_FRAMES, i + 1))))
                part = simulate(r.anatomy, r.scenario, sv.slice_kinematics(kin, ladder), check)
                preview = sv.merge_solved(preview, sv.view_from_trajectory(part), ladder)
                check(0, None)
                s.signals.preview.emit(r.request_id, preview)

            # 2. The whole squat, frame by frame; what is solved is shown as it comes.
            done: list[Any] = []
            last_post = [time.monotonic()]

            def on_frame(k: int, sol: object) -> None:
                check(k, sol)
                done.append(sv.solution_pose(sol))
                s.signals.progress.emit(r.request_id, k + 1, n)
                now = time.monotonic()
                if r.purpose == "current" and now - last_post[0] > PARTIAL_EVERY_S:
                    last_post[0] = now
                    partial = sv.with_patella_poses(preview, r.anatomy, range(len(done)), done)
                    s.signals.preview.emit(r.request_id, partial)

            traj = simulate(r.anatomy, r.scenario, kin, on_frame)
            check(n, None)
            from kneeviz.result_check import self_check

            self_check(traj, r.anatomy)  # already done (and kept) when the worker process solved
            s.signals.solved.emit(r.request_id, sv.view_from_trajectory(traj))
        except (_CancelledError, SolveCancelledError):
            return
        except KneevizError as exc:
            if not s.is_stale(r):
                s.signals.failed.emit(r.request_id, str(exc))
        except Exception as exc:  # a model bug must not kill the window: report it
            traceback.print_exc()
            s.signals.failed.emit(r.request_id, f"the solve failed: {exc!r}")


def _in_process(process: SolveProcess, stale: Callable[[], bool]) -> SimulateFn:
    """A simulate function (squat_view.simulate's signature) that solves in the worker process;
    `stale` is polled while waiting, so a superseded solve stops even between frames."""

    def simulate(anatomy: Anatomy, scenario: Scenario, kin: Any, on_frame: Any) -> Any:
        return process.solve(anatomy, scenario, kin, on_frame, stale=stale)

    return simulate


def _lower_priority(nice: int) -> None:
    """Let the operating system prefer the UI thread (and the renderer's threads) over the solve:
    on Linux a thread's nice value can be set by its id."""
    # Not Linux, or not permitted: run at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


def _hint(r: SolveRequest, n: int) -> Any:
    import numpy as np

    h = np.asarray(r.T_femur_patella_hint, dtype=float)
    if h.ndim == 3 and h.shape[0] != n:
        # A different number of frames: resample the old relative poses by index.
        idx = np.round(np.linspace(0, h.shape[0] - 1, n)).astype(int)
        h = h[idx]
    return h


class Solver(QObject):
    """Runs SolveRequests: kinematics previews on one worker thread, solves on another; the
    `latest` id per purpose decides what is stale."""

    def __init__(
        self,
        kinematics_fn: KinematicsFn = sv.kinematics,
        simulate_fn: SimulateFn | None = sv.simulate,
        parent: QObject | None = None,
        in_process: bool | None = None,
    ) -> None:
        """`in_process`: solve in the shared worker process (kneeviz.app.state.solve_process); None
        means exactly when `simulate_fn` is the model's own solve (a function passed in cannot
        be sent to another process)."""
        super().__init__(parent)
        if in_process is None:
            in_process = simulate_fn is sv.simulate
        if in_process and simulate_fn is not sv.simulate:
            raise ValueError("only the model's own solve runs in the solve process")
        self.process: SolveProcess | None = shared() if in_process else None
        if self.process is not None:
            self.process.start()
        self.kinematics_fn = kinematics_fn
        self.simulate_fn = simulate_fn
        self.signals = SolverSignals()
        self.preview_pool = QThreadPool()
        self.preview_pool.setMaxThreadCount(1)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self._lock = threading.Lock()
        self._next_id = 0
        self._latest: dict[str, int] = {}
        self._closed = False
        self._in_worker = 0
        """Solve jobs of this solver running now (their solves may be in the worker)."""
        self.nice = SOLVE_NICE
        self.duty = SOLVE_DUTY
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

    def preview(
        self, anatomy: Anatomy, scenario: Scenario, T_femur_patella_hint: Any
    ) -> tuple[Any, sv.SquatView]:
        """The kinematics and the bones-only view, on the calling thread (milliseconds: the UI
        shows a new setting at once this way, without waiting for a worker's turn)."""
        kin = self.kinematics_fn(anatomy, scenario)
        probe = SolveRequest(0, anatomy, scenario, T_femur_patella_hint)
        return kin, sv.view_from_kinematics(kin, scenario, _hint(probe, kin.n_frames), anatomy)

    def submit(
        self, anatomy: Anatomy, scenario: Scenario, T_femur_patella_hint: Any,
        purpose: str = "current", frame: int = 0,
        kin: Any = None, preview: sv.SquatView | None = None,
    ) -> int:
        """Queue a request; with `kin` and `preview` (from `preview()`) it goes straight to the
        solve thread, otherwise the preview thread computes them first and posts the preview."""
        with self._lock:
            self._next_id += 1
            rid = self._next_id
            self._latest[purpose] = rid
        request = SolveRequest(rid, anatomy, scenario, T_femur_patella_hint, purpose, frame)
        if kin is not None and preview is not None and self.simulate_fn is not None:
            self.pool.start(_SolveJob(self, request, kin, preview))
        else:
            self.preview_pool.start(_PreviewJob(self, request))
        return rid

    def is_stale(self, r: SolveRequest) -> bool:
        with self._lock:
            return self._closed or self._latest.get(r.purpose) != r.request_id

    def cancel(self, purpose: str) -> None:
        """Make the running request of this purpose stale (it stops at its next frame)."""
        with self._lock:
            self._latest.pop(purpose, None)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Stop every request and wait for the solve thread. A solve of ours in the worker
        process is not waited for: the worker is ended (SolveProcess.stop, in
        kneeviz.app.state.solve_process), since it looks for a cancel only between frames and a
        first solve could spend 10-25 s before its first frame (building a distance grid,
        compiling the kernel). A solve on the solve thread itself stops at its next frame."""
        with self._lock:
            self._closed = True
            self._latest.clear()
            ours_in_worker = self.process is not None and self._in_worker > 0
        # A job that had not counted itself yet sees _closed before it sends any request.
        if ours_in_worker:
            assert self.process is not None
            self.process.stop()
        self.preview_pool.clear()
        self.preview_pool.waitForDone(timeout_ms)
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
