"""The window's solves in a worker process (kneeviz.app.state.solve_process): the same squat as
a solve here to the bit, frames reported as they come, a stale request stopped early, a knee change
never answered with the previous knee, and a worker that dies reported in one line and replaced.
No Qt: the worker is the model alone."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from clinical_fixtures import default_anatomy
from kneeviz.anatomy.knee import Anatomy
from kneeviz.app.state import squat_view as sv
from kneeviz.app.state.solve_process import FramePose, SolveCancelledError, SolveProcess
from kneeviz.errors import KneevizError
from kneeviz.scenario import Scenario

SCENARIO = Scenario.from_preset("pfp", max_flexion_deg=40.0, descent_s=1.0, ascent_s=1.0,
                                frame_rate_hz=5.0)


@pytest.fixture(scope="module")
def worker():  # type: ignore[no-untyped-def]
    p = SolveProcess()
    yield p
    p.stop()


@lru_cache(maxsize=1)
def _here() -> object:
    a = default_anatomy()
    return sv.simulate(a, SCENARIO, sv.kinematics(a, SCENARIO))


def _other_knee(a: Anatomy) -> Anatomy:
    """The same knee with the kneecap's cartilage 0.5 mm further out of its bone (a thicker
    layer): another mesh, so another knee for every cache."""
    pc = a.patella_cartilage
    centre = a.patella.vertices_mm.mean(axis=0)
    out = pc.vertices_mm - centre
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return replace(a, patella_cartilage=replace(pc, vertices_mm=pc.vertices_mm + 0.5 * out))


def test_the_worker_solves_the_same_squat_to_the_bit(worker) -> None:  # type: ignore[no-untyped-def]
    a = default_anatomy()
    kin = sv.kinematics(a, SCENARIO)
    seen: list[tuple[int, np.ndarray]] = []
    traj = worker.solve(a, SCENARIO, kin, lambda k, f: seen.append((k, f.T_femur_patella)))
    ref = _here()
    assert worker.pid is not None and worker.pid != os.getpid()
    assert [k for k, _ in seen] == list(range(kin.n_frames))
    np.testing.assert_array_equal(traj.T_femur_patella, ref.T_femur_patella)
    np.testing.assert_array_equal(traj.patella_pressure_mpa, ref.patella_pressure_mpa)
    for key in ("patella_lateral_tilt_deg", "patella_lateral_shift_mm", "pfjrf_bw"):
        np.testing.assert_array_equal(traj.values[key], ref.values[key])
    # each frame's reported pose is the one the finished squat holds
    np.testing.assert_array_equal(np.array([T for _, T in seen]), ref.T_femur_patella)


def test_a_changed_knee_is_solved_as_the_new_knee(worker) -> None:  # type: ignore[no-untyped-def]
    a = default_anatomy()
    b = _other_knee(a)
    kin = sv.kinematics(a, SCENARIO)
    worker.solve(a, SCENARIO, kin)  # the worker now holds knee a
    got = worker.solve(b, SCENARIO, kin)
    want = sv.simulate(b, SCENARIO, kin)
    assert not np.array_equal(want.T_femur_patella, _here().T_femur_patella)  # b is different
    np.testing.assert_array_equal(got.T_femur_patella, want.T_femur_patella)


def test_a_stale_request_stops_early_and_the_worker_serves_on(worker) -> None:  # type: ignore[no-untyped-def]
    a = default_anatomy()
    kin = sv.kinematics(a, SCENARIO)
    seen: list[int] = []
    with pytest.raises(SolveCancelledError):
        worker.solve(a, SCENARIO, kin, lambda k, f: seen.append(k), stale=lambda: len(seen) >= 2)
    assert 2 <= len(seen) < kin.n_frames
    traj = worker.solve(a, SCENARIO, kin)
    np.testing.assert_array_equal(traj.T_femur_patella, _here().T_femur_patella)


def test_the_callers_own_exception_stops_the_solve(worker) -> None:  # type: ignore[no-untyped-def]
    class SupersededError(Exception):
        pass

    a = default_anatomy()
    kin = sv.kinematics(a, SCENARIO)

    def on_frame(k: int, f: FramePose) -> None:
        if k == 1:
            raise SupersededError

    with pytest.raises(SupersededError):
        worker.solve(a, SCENARIO, kin, on_frame)
    assert worker.solve(a, SCENARIO, kin).T_femur_patella.shape[0] == kin.n_frames


def test_a_worker_that_dies_is_reported_and_replaced(worker) -> None:  # type: ignore[no-untyped-def]
    a = default_anatomy()
    kin = sv.kinematics(a, SCENARIO)
    first = worker.pid

    def kill(k: int, f: FramePose) -> None:
        if k == 0:
            os.kill(worker.pid, signal.SIGKILL)

    with pytest.raises(KneevizError, match="stopped unexpectedly"):
        worker.solve(a, SCENARIO, kin, kill)
    traj = worker.solve(a, SCENARIO, kin)
    assert worker.pid != first
    np.testing.assert_array_equal(traj.T_femur_patella, _here().T_femur_patella)


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's idle scheduling class")
def test_the_worker_runs_in_the_idle_class_and_leaves_it_when_starved() -> None:
    """The worker puts itself in the idle class at nice 19; with every core kept busy by other
    programs (the idle class then gets a fraction of a percent) a solve that has run past the
    starvation time is moved to the normal class (still nice 19), and it finishes."""
    import subprocess
    import sys
    import time

    a = default_anatomy()
    kin = sv.kinematics(a, SCENARIO)
    p = SolveProcess()
    try:
        p.start()  # it lowers itself once the model is imported
        t0 = time.monotonic()
        while os.sched_getscheduler(p.pid) != os.SCHED_IDLE and time.monotonic() - t0 < 120:
            time.sleep(0.05)
        assert os.sched_getscheduler(p.pid) == os.SCHED_IDLE
        assert os.getpriority(os.PRIO_PROCESS, p.pid) == 19
        p.starved_s = 1e9  # never counted as starved while the knee's model is built
        p.solve(a, SCENARIO, kin)  # so that the next solve is frames only
        assert os.sched_getscheduler(p.pid) == os.SCHED_IDLE
        p.starved_s = 0.5
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range((os.cpu_count() or 1) + 1)]
        try:
            t0 = time.monotonic()
            traj = p.solve(a, SCENARIO, kin)
            took_s = time.monotonic() - t0
        finally:
            for b in busy:
                b.kill()
                b.wait()
        assert took_s > p.starved_s  # it was starved for a while: the test saw its case
        assert os.sched_getscheduler(p.pid) == os.SCHED_OTHER
        assert os.getpriority(os.PRIO_PROCESS, p.pid) == 19
        np.testing.assert_array_equal(traj.T_femur_patella, _here().T_femur_patella)
    finally:
        p.stop()


def test_the_apps_own_solve_goes_to_the_worker_and_a_function_passed_in_does_not() -> None:
    from kneeviz.app.state.solver import Solver

    own = Solver()
    assert own.process is not None and own.process.pid not in (None, os.getpid())
    assert Solver().process is own.process  # one worker for the whole app
    assert Solver(simulate_fn=lambda *a: None).process is None
    with pytest.raises(ValueError):
        Solver(simulate_fn=lambda *a: None, in_process=True)


def test_stop_ends_a_first_solve_without_waiting_for_its_first_frame(
        tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On an empty cache the worker's first solve builds the knee's distance grid and compiles
    the kernel before its first frame (10-25 s), and a cancel is only seen between frames. The
    app's close (stop) does not wait for it: the solve raises SolveCancelledError with no frame
    solved, the worker is gone, and the cache holds no grid and no half-written file (so the
    next start builds the grid again: a cache entry is only ever its whole file)."""
    import threading

    from kneeviz.atomic import TEMP_TAG

    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(tmp_path))  # the worker inherits it: empty
    a = default_anatomy()
    kin = sv.kinematics(a, SCENARIO)
    p = SolveProcess()
    waiting = threading.Event()
    frames: list[int] = []
    outcome: list[BaseException | object] = []

    asked: list[int] = []

    def stale() -> bool:  # asked once before the request is sent, then while solve() waits
        asked.append(1)
        if len(asked) >= 2:
            waiting.set()
        return False

    def run() -> None:
        try:
            outcome.append(p.solve(a, SCENARIO, kin, lambda k, f: frames.append(k), stale=stale))
        except BaseException as exc:  # noqa: BLE001 (what the solve thread saw)
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    try:
        thread.start()
        assert waiting.wait(120), "the request was never sent"
        pid = p.pid
        assert pid is not None
        assert not frames, "a frame was solved already: the test did not see its case"
        p.stop()
        thread.join(30)  # only a hang takes this long
        assert not thread.is_alive(), "the solve thread still waits for the stopped worker"
    finally:
        p.stop()
    assert len(outcome) == 1 and isinstance(outcome[0], SolveCancelledError), outcome
    assert not frames  # stopped before its first frame: not at a frame boundary
    assert not os.path.exists(f"/proc/{pid}") or _zombie_or_gone(pid)
    assert not list(tmp_path.glob("femoral-sdf-*")), "a grid was written after the stop"
    assert not [f for f in tmp_path.rglob("*") if TEMP_TAG in f.name]


def _zombie_or_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
