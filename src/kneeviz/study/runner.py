"""Run a study's design: in parallel, locally or on a Dask cluster, by one code path.

Both places run a study through a `concurrent.futures.Executor`: locally a process pool over the
machine's cores, on a cluster dask.distributed's own executor (`Client.get_executor`, whose
futures are concurrent.futures futures fed by Dask's). Runs are submitted, their futures consumed
as they complete (`concurrent.futures.as_completed`), and each finished run is written at once
(kneeviz.study.store), so the table on disk grows run by run wherever the runs are solved.

Faults: a run that fails is recorded with its status and reason and the study goes on
(kneeviz.study.worker). A worker killed mid-run: Dask re-runs its tasks on the other workers (a
task that kills three workers is marked failed: recorded as an error); a local pool whose worker
died is broken, so its unfinished runs go to a new pool (up to POOL_RESTARTS times). Ctrl-C: the
runs not started are cancelled, the ones running are let finish (a run takes about a second) and
kept, the table is written with what finished, and KeyboardInterrupt goes on to the command.

Progress: runs done, failed and the time left, on one line of stderr (a bar on a terminal).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kneeviz.errors import KneevizError
from kneeviz.study.design import Design, Run
from kneeviz.study.store import RunStore, gather, gather_frames, table_is, write_table
from kneeviz.study.worker import ERROR, SOLVED, quiet_worker, solve_run

POOL_RESTARTS = 3
"""How many times a local pool broken by a dead worker is replaced before the rest is given up."""


@dataclass
class Progress:
    """Counts of a study under way, and its line on stderr."""

    total: int
    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.perf_counter)
    _shown: float = 0.0
    _last: int = -1

    def add(self, outcome: dict[str, Any]) -> None:
        self.done += 1
        if outcome.get("status") != SOLVED:
            self.failed += 1
        self.show()

    def seconds_left(self) -> float | None:
        if self.done == 0:
            return None
        elapsed = time.perf_counter() - self.started
        return elapsed / self.done * (self.total - self.done)

    def line(self) -> str:
        left = self.seconds_left()
        when = "time left unknown" if left is None else f"{_duration(left)} left"
        rate = self.done / max(time.perf_counter() - self.started, 1e-9) * 60.0
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        return (f"[{bar}] {self.done}/{self.total} runs done, {self.failed} failed, {when} "
                f"({rate:.0f} runs/min)")

    def show(self, final: bool = False) -> None:
        if self.stream is None:
            return
        now = time.perf_counter()
        tty = self.stream.isatty()
        every = 0.2 if tty else 15.0
        if not final and now - self._shown < every and self.done != self.total:
            return
        self._shown = now
        if tty:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
        elif not final or self._last != self.done:
            self.stream.write(self.line() + "\n")
        self._last = self.done
        self.stream.flush()


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 90:
        return f"{s} s"
    if s < 5400:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
"""Thread pools a local worker keeps to one thread (unless the user set them), as Dask's workers
do: with a process per core, a math library's own threads per process only compete."""


@contextmanager
def _one_thread_each() -> Iterator[None]:
    """The environment the local workers are started with (their math libraries read it when
    they load)."""
    saved = {k: os.environ.get(k) for k in ONE_THREAD}
    for k in ONE_THREAD:
        os.environ.setdefault(k, "1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def open_executor(scheduler: str | None, workers: int | None) -> Iterator[cf.Executor]:
    """A local process pool (`workers` processes, default the machine's cores) or, with a
    scheduler address, dask.distributed's executor on that cluster."""
    if scheduler is None:
        n = workers or os.cpu_count() or 1
        # spawned, not forked: the study's own process may hold threads (pyarrow's) and a fork
        # copies their locks mid-use
        with _one_thread_each():
            pool = cf.ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(
                "spawn"), initializer=quiet_worker)
            try:
                yield pool
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        return
    try:
        from distributed import Client
    except ImportError:
        raise KneevizError("--scheduler needs dask.distributed: pip install 'kneeviz[study]'"
                           ) from None
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise KneevizError(f"cannot reach the Dask scheduler {scheduler!r} ({exc}): check the "
                           "address (tcp://HOST:8786) and that the scheduler runs") from None
    executor = client.get_executor(pure=False)
    try:
        yield executor
    finally:
        executor.shutdown(wait=False)
        client.close()


def _solve_all(executor_factory: Callable[[], Any], runs: list[Run], store: RunStore,
               per_frame: bool, progress: Progress) -> None:
    """Solve `runs`, writing each as it finishes; replace a broken local pool (see the module
    docstring). KeyboardInterrupt propagates after what finished is written."""
    remaining = list(runs)
    for attempt in range(POOL_RESTARTS + 1):
        broken: list[Run] = []
        with executor_factory() as executor:
            futures = {executor.submit(solve_run, run, per_frame): run for run in remaining}
            try:
                for fut in cf.as_completed(futures):
                    run = futures[fut]
                    try:
                        outcome = fut.result()
                    except cf.process.BrokenProcessPool:
                        broken.append(run)
                        continue
                    except cf.CancelledError:
                        continue
                    except Exception as exc:  # Dask gave up on it (e.g. KilledWorker)
                        outcome = {"run": run.key, "status": ERROR,
                                   "reason": f"{type(exc).__name__}: {exc}"}
                    store.write(outcome)
                    progress.add(outcome)
            except KeyboardInterrupt:
                for fut in futures:
                    fut.cancel()
                executor.shutdown(wait=True)  # the runs under way finish (about a second)
                _keep_finished(futures, store, progress)
                raise
        if not broken:
            return
        remaining = broken
        if attempt == POOL_RESTARTS:
            for run in remaining:
                outcome = {"run": run.key, "status": ERROR,
                           "reason": "its worker process died every time it ran"}
                store.write(outcome)
                progress.add(outcome)


def _keep_finished(futures: dict[Any, Run], store: RunStore, progress: Progress) -> None:
    """After Ctrl-C: write the runs that finished but were not yet taken (the ones that were
    running when it came)."""
    for fut in futures:
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            outcome = fut.result()
            if isinstance(outcome, dict) and "run" in outcome and not store.has(futures[fut],
                                                                                 False):
                store.write(outcome)
                progress.add(outcome)


@dataclass(frozen=True)
class StudyResult:
    """What a study did: runs solved now, found on disk, and whether the table was written."""

    table: Any
    solved_now: int
    found: int
    written: bool
    interrupted: bool = False


def run_study(design: Design, out: Path, *, scheduler: str | None = None,
              workers: int | None = None, per_frame: bool = False,
              stream: TextIO | None = sys.stderr) -> StudyResult:
    """Solve every run of `design` that has no result beside `out` yet, then write the table
    (and the per-frame table when `per_frame`); see the module docstring."""
    store = RunStore(out)
    todo: dict[str, Run] = {}
    for run in design.runs:
        if not store.has(run, per_frame):
            todo.setdefault(run.key, run)
    found = len({r.key for r in design.runs}) - len(todo)
    progress = Progress(len(todo), stream)
    interrupted = False
    if todo:
        if stream is not None:
            where = f"on the Dask cluster at {scheduler}" if scheduler else (
                f"in {workers or os.cpu_count() or 1} local processes")
            runs = "1 run" if len(todo) == 1 else f"{len(todo)} runs"
            stream.write(f"kneeviz sweep: {runs} to solve {where}"
                         + (f" ({found} already done)" if found else "") + "\n")
        try:
            _solve_all(lambda: open_executor(scheduler, workers), list(todo.values()), store,
                       per_frame, progress)
        except KeyboardInterrupt:
            interrupted = True
        progress.show(final=True)
    table = gather(design, store)
    written = False
    if not table_is(out, table):
        write_table(table, out)
        written = True
    if per_frame:
        from kneeviz.study.store import frames_path

        frames = gather_frames(design, store)
        if frames is not None and not table_is(frames_path(out), frames):
            write_table(frames, frames_path(out))
            written = True
    result = StudyResult(table, progress.done, found, written, interrupted)
    if interrupted:
        raise StudyInterrupted(result)
    return result


class StudyInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a study; `result` is what was kept (the table holds the finished runs)."""

    def __init__(self, result: StudyResult) -> None:
        super().__init__()
        self.result = result
