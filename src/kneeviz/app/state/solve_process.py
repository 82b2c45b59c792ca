"""The window's squat solves in a process of their own, at the lowest CPU priority.

Why a process: a solve on a thread shares Python's interpreter lock with the window. While it
ran, the UI thread waited for the lock at every slot and paint handler of a frame (measured: the
longest UI stall while playing 33 ms above the same playback without a solve, and 84-86 % of its
frames/s). A process has its own interpreter; at the lowest priority it takes only the CPU the
window leaves, and the window's solve thread only waits on a pipe (the lock released).

One worker process serves the whole app, one request at a time (the Solver already runs one solve
at a time). It is started on first use with the spawn method (forking a process with Qt's
threads running is unsafe), keeps the last knee it was sent (a knee is sent once: about 5 MB,
milliseconds), and is started again if it dies. No Qt here: the worker imports only the model.

Messages: the parent sends ("solve", anatomy or None, scenario, kinematics); the worker answers
("frame", k, T_femur_patella) for every frame solved, then one of ("done", trajectory),
("cancelled",), ("user-error", message) or ("failed", message). A request is cancelled by a
("cancel",) message, which the worker looks for between frames (a shared event would need
semaphores, which a killed app leaves behind with a warning): a new setting while solving.

Closing the app is not a cancel: it never waits for the worker (`stop`). A cancel is seen only
between frames, and a first solve on an empty cache spends its first 10-25 s before any frame,
building the knee's distance grid and compiling the kernel; a window that waited for it took 15 s
to close. `stop` ends the worker at once (SIGTERM, then SIGKILL), without the lock a solve holds;
the waiting solve thread sees its pipe end and raises SolveCancelledError. A SIGTERM'd worker
removes the temporary files it was writing (kneeviz.atomic's handler); a SIGKILLed one's are swept
here. A cache entry is renamed into place only once whole, so a stopped grid build leaves none,
and the next start builds it again.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.errors import KneevizError
from kneeviz.scenario import Scenario

WORKER_NICE: int | None = None
"""The worker's priority: None for the lowest there is (Linux's idle scheduling class), else a
nice value. Chosen by benchmarks/bench_app.py --stalls --compare (docs/performance.md, "Stalls")."""
STARVED_S = 10.0
"""A solve in the idle class still running after this long is starved (other programs keep every
core busy: the idle class then gets a fraction of a percent), and the worker is moved to the
normal class at nice 19 for good. A squat takes 0.4 s alone, 2-3 s while the window plays."""
POLL_S = 0.05
"""How often a waiting parent looks whether its request has gone stale (between frames too)."""
STOP_TIMEOUT_S = 5.0
"""How long a worker that is being replaced may take to end after SIGTERM (a solve thread's
clean-up, never the window's close)."""
TERM_GRACE_S = 0.5
"""How long `stop` gives the worker to leave after SIGTERM (its handler runs between two Python
steps; inside a long C call, a KD-tree query or the kernel's compile, it cannot) before SIGKILL."""
IDLE_GRACE_S = 0.5
"""How long `stop` gives an idle worker to leave by itself once told to (before SIGTERM)."""
RELEASE_TIMEOUT_S = 2.0
"""How long `stop` waits for the stopped solve's thread to see the end of its pipe and let go
(it looks every POLL_S)."""


@dataclass(frozen=True)
class FramePose:
    """What the worker reports of one solved frame: the patella's pose in the femur frame (the
    part of a simulation.FrameSolution the window's partial previews use)."""

    T_femur_patella: FloatArray


class SolveCancelledError(Exception):
    """The request went stale (or its on_frame raised) and the worker stopped it."""


class _WorkerCancelledError(Exception):
    """Raised inside the worker's solve when the parent cancels it."""


def lower_priority(nice: int | None) -> str:
    """Put this process behind the window for the CPU; what was set, in words. `nice` None: the
    lowest there is (Linux: nice 19 and the idle scheduling class, which runs only on CPU nobody
    else wants; other POSIX: nice 19; Windows: the idle priority class); else that nice value
    (POSIX). Measured (bench_app.py --stalls --compare): with the idle class the window kept
    96 % of its frames/s during re-solves, at nice 19 74 %: a normal-class process is not
    always put aside at once when the UI thread wakes, an idle-class one is."""
    said = "normal priority"
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(19 if nice is None else nice)
            said = f"nice {19 if nice is None else nice}"
    if nice is None and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle scheduling class"
    if said != "normal priority":
        return said
    if sys.platform == "win32":
        import ctypes

        idle_priority_class = 0x40
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        if kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), idle_priority_class):
            return "idle priority class"
    return said


def in_idle_class(pid: int) -> bool:
    """Whether process `pid` (its main thread) runs in Linux's idle scheduling class."""
    getter = getattr(os, "sched_getscheduler", None)
    if getter is None or not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        return bool(getter(pid) == os.SCHED_IDLE)
    except OSError:
        return False


def leave_idle_class(pid: int) -> bool:
    """Move process `pid` (its main thread, which solves) back to the normal class, keeping its
    nice 19: allowed without privileges for a process of the same user, since the nice value is
    not lowered. False where that is refused."""
    try:
        os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))
    except (AttributeError, OSError):
        return False
    return True


def _start_without_ctrl_c(proc: Any) -> None:
    """Start the worker with SIGINT blocked (a spawned child inherits the blocked set), so a
    Ctrl-C while it still imports Python's modules, before _serve ignores SIGINT, cannot print
    a KeyboardInterrupt traceback from it into the user's terminal."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process-group Ctrl-C of this kind
        proc.start()
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        proc.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _serve(conn: Connection, nice: int | None) -> None:
    """The worker's loop (in the child process): one solve per message until None or EOF. The
    model is imported and the kernel compiled at normal priority (at the lowest, a busy window
    could hold the first solve back for a minute), then the priority is lowered."""
    # The terminal's Ctrl-C goes to the whole process group; the window decides what it means
    # (kneeviz.app.window.interrupt) and ends this worker itself. Started with SIGINT blocked (see
    # _start_without_ctrl_c), the worker now ignores it for good.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # The window's close ends this worker with SIGTERM, whatever it is doing: the handler removes
    # the temporary files being written (a cache entry half written never gets its name).
    from kneeviz.atomic import install_signal_cleanup

    install_signal_cleanup()
    from kneeviz.mechanics.kernel import warm_up
    from kneeviz.result_check import self_check
    from kneeviz.simulation import simulate

    # The kernel's first compile (5-15 s once per machine; numba caches it) at normal priority
    # too, while the window is being built: in the idle class, on a busy machine, the first
    # solve's compile took 40 s (benchmarks/bench_first_start.py).
    try:
        warm_up()
    except Exception:  # a kernel bug: the first solve meets it again and reports it
        traceback.print_exc()
    lower_priority(nice)
    anatomy: Anatomy | None = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        if msg[0] == "cancel":  # it came after that request had finished
            continue
        _kind, sent_anatomy, scenario, kin = msg
        if sent_anatomy is not None:
            anatomy = sent_anatomy
        try:
            if anatomy is None:
                raise RuntimeError("no knee was sent with the first request")
            reporter = _Reporter(conn)
            traj = simulate(anatomy, scenario, kinematics=kin, on_frame=reporter)
            reporter.check()
            self_check(traj, anatomy)  # here, off the window's process (kneeviz.result_check)
            reply: tuple[Any, ...] = ("done", traj)
        except _WorkerCancelledError:
            reply = ("cancelled",)
        except KneevizError as exc:
            reply = ("user-error", str(exc))
        except Exception as exc:  # a model bug: report it, keep serving
            traceback.print_exc()
            reply = ("failed", repr(exc))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Reporter:
    """The worker's on_frame: sends each solved frame's pose and stops at a cancel."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def check(self) -> None:
        """Raise if the parent has sent a cancel (the only message it sends during a solve)."""
        if self.conn.poll():
            self.conn.recv()
            raise _WorkerCancelledError

    def __call__(self, k: int, sol: Any) -> None:
        self.check()
        self.conn.send(("frame", k, sol.T_femur_patella))


class SolveProcess:
    """The parent's handle on the worker process. `solve()` blocks the calling (solve) thread,
    never the UI thread; one call at a time (a lock held for the whole solve). `stop()` does not
    take that lock: it ends the worker under a running solve."""

    def __init__(self, nice: int | None = WORKER_NICE, starved_s: float = STARVED_S) -> None:
        self.nice = nice
        self.starved_s = starved_s
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        """Held by a solve from its request to its answer (one request at a time)."""
        self._state = threading.RLock()
        """Held while the worker's handles change or it is being ended (never for long)."""
        self._proc: Any = None
        self._conn: Connection | None = None
        self._sent: weakref.ref[Anatomy] | None = None
        self._stops = 0
        """How many times `stop` ran: a solve that sees it change was stopped."""

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before the first solve)."""
        proc = self._proc
        return None if proc is None else int(proc.pid)

    def start(self) -> None:
        """Start the worker now (it imports the model meanwhile), not at the first solve."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> Connection:
        with self._state:
            if self._proc is not None and self._proc.is_alive() and self._conn is not None:
                return self._conn
            self._discard()
            parent, child = self._ctx.Pipe(duplex=True)
            self._proc = self._ctx.Process(
                target=_serve, args=(child, self.nice),
                name="kneeviz-solve", daemon=True)
            _start_without_ctrl_c(self._proc)
            child.close()
            self._conn = parent
            self._sent = None
            return parent

    def _discard(self) -> None:
        """Close the pipe and end the worker if it still runs (the caller holds the solve lock,
        or no solve is running)."""
        with self._state:
            proc, conn = self._proc, self._conn
            self._proc = self._conn = self._sent = None
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
            if proc is not None:
                end_worker(proc, STOP_TIMEOUT_S)

    def _send(self, request: tuple[Any, ...], anatomy: Anatomy) -> Connection:
        conn = self._ensure_started()
        send_knee = self._sent is None or self._sent() is not anatomy
        _kind, _none, scenario, kin = request
        try:
            conn.send(("solve", anatomy if send_knee else None, scenario, kin))
        except (BrokenPipeError, OSError) as exc:
            self._discard()
            raise KneevizError("the solve process could not be reached; change a setting "
                               "to try again") from exc
        self._sent = weakref.ref(anatomy)
        return conn

    def solve(self, anatomy: Anatomy, scenario: Scenario, kin: Any,
              on_frame: Callable[[int, FramePose], None] | None = None,
              stale: Callable[[], bool] = lambda: False) -> Any:
        """The squat solved in the worker: kneeviz.simulation.simulate(anatomy, scenario,
        kinematics=kin), with on_frame(k, FramePose) called here for each frame as it comes.
        If `stale()` turns true or on_frame raises, the worker is told to stop: the exception
        raised by on_frame (or SolveCancelledError) is raised here once it has stopped. If
        `stop()` ends the worker meanwhile (the app closes), SolveCancelledError is raised at
        once. A user error in the solve is raised as KneevizError; a worker that dies is
        reported as one (the next solve starts a new worker)."""
        while not self._lock.acquire(timeout=POLL_S):  # another request is being answered
            if stale():
                raise SolveCancelledError()
        try:
            return self._solve_locked(anatomy, scenario, kin, on_frame, stale)
        finally:
            self._lock.release()

    def _solve_locked(self, anatomy: Anatomy, scenario: Scenario, kin: Any,
                      on_frame: Callable[[int, FramePose], None] | None,
                      stale: Callable[[], bool]) -> Any:
        stops = self._stops  # read before `stale`: see Solver.shutdown
        if stale():
            raise SolveCancelledError()
        conn = self._send(("solve", None, scenario, kin), anatomy)
        started = time.monotonic()
        raised: BaseException | None = None
        while True:
            if self._stops != stops:  # stop() ended the worker (or is ending it)
                self._discard()
                raise raised if raised is not None else SolveCancelledError()
            if raised is None and stale():
                raised = SolveCancelledError()
                self._cancel_running(conn)
            if time.monotonic() - started > self.starved_s:
                self._unstarve()
            try:
                if not conn.poll(POLL_S):
                    continue
                msg = conn.recv()
            except (EOFError, OSError) as exc:
                self._discard()
                if raised is not None:
                    raise raised from None
                if self._stops != stops:
                    raise SolveCancelledError() from None
                raise KneevizError("the solve process stopped unexpectedly; change a "
                                   "setting to solve again") from exc
            kind = msg[0]
            if kind == "frame":
                if raised is None and on_frame is not None:
                    try:
                        on_frame(int(msg[1]), FramePose(msg[2]))
                    except Exception as exc:  # the caller's own way of cancelling
                        raised = exc
                        self._cancel_running(conn)
                continue
            if raised is not None:
                raise raised
            if kind == "done":
                return msg[1]
            if kind == "cancelled":
                raise SolveCancelledError()
            if kind == "user-error":
                raise KneevizError(str(msg[1]))
            raise RuntimeError(f"the solve failed in the solve process: {msg[1]}")

    @staticmethod
    def _cancel_running(conn: Connection) -> None:
        with contextlib.suppress(OSError):
            conn.send(("cancel",))

    def _unstarve(self) -> None:
        """A solve running past `starved_s` with the worker in the idle class is starved (every
        core busy with other programs): the worker moves to the normal class at nice 19, for
        good (a system call each poll once a solve has run that long)."""
        pid = self.pid
        if pid is not None and in_idle_class(pid):
            leave_idle_class(pid)

    def stop(self) -> None:
        """End the worker now, without waiting for the solve it may be running (the app is
        closing): an idle worker is told to leave; a busy one, or one that does not leave within
        IDLE_GRACE_S, gets SIGTERM, then SIGKILL after TERM_GRACE_S. A solve waiting on it
        raises SolveCancelledError. The next solve starts a new worker."""
        with self._state:
            self._stops += 1
        idle = self._lock.acquire(blocking=False)
        if idle:  # no solve is running: nobody else uses the pipe
            try:
                with self._state:
                    if self._conn is not None:
                        with contextlib.suppress(OSError):
                            self._conn.send(None)
                    if self._proc is not None:
                        self._proc.join(IDLE_GRACE_S)
                    self._discard_now()
            finally:
                self._lock.release()
            return
        with self._state:  # the solve thread keeps its pipe: it is polling it
            if self._proc is not None:
                end_worker(self._proc, TERM_GRACE_S)
        # The solve thread sees the end within POLL_S, closes the pipe and lets go.
        if self._lock.acquire(timeout=RELEASE_TIMEOUT_S):
            try:
                self._discard_now()
            finally:
                self._lock.release()

    def _discard_now(self) -> None:
        """_discard, with no time given to a worker that still runs (the app is closing)."""
        with self._state:
            if self._proc is not None:
                end_worker(self._proc, TERM_GRACE_S)
            self._discard()


def end_worker(proc: Any, term_grace_s: float = TERM_GRACE_S) -> None:
    """End worker process `proc` (a multiprocessing Process) and reap it: SIGTERM (the solve
    worker's handler removes the temporary files it is writing), then SIGKILL if it is still
    there after `term_grace_s`; temporary files it left in the cache folder are then swept
    (they carry its pid). It is first moved out of the idle class: on a busy machine an
    idle-class process could wait many seconds for the CPU it needs to leave."""
    if not proc.is_alive():
        proc.join(0)
        return
    leave_idle_class(int(proc.pid))
    proc.terminate()
    proc.join(term_grace_s)
    if proc.is_alive():
        proc.kill()
        proc.join(STOP_TIMEOUT_S)
    from kneeviz.atomic import sweep_stale
    from kneeviz.cache import cache_dir

    sweep_stale(cache_dir())


_SHARED: SolveProcess | None = None
_SHARED_LOCK = threading.Lock()


def shared() -> SolveProcess:
    """The app's one solve process (its worker started on first use)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = SolveProcess()
        return _SHARED


def stop_shared() -> None:
    """End the app's solve process if it was started (at the app's exit)."""
    with _SHARED_LOCK:
        process = _SHARED
    if process is not None:
        process.stop()
