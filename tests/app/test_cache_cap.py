"""Issue 8 (long sessions): the app's cache of solved squats is capped by the bytes it holds, and
the healthy reference the plots draw is never evicted while it is shown.

A real Session with the real solver (worker thread) on the default knee's 6-frame squats; the cap
is set from the measured size of one solved squat, so the same test holds whatever the knee's
cartilage resolution. Under Xvfb with pytest-qt (the solver posts its results through Qt signals).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="Qt needs an X server: run under xvfb-run (make test does)",
    ),
]

from export_fixtures import default_knee, short_scenario, short_trajectory  # noqa: E402
from kneeviz.app.state import squat_view as sv  # noqa: E402
from kneeviz.app.state.session import CACHE_CAP_BYTES, Session, view_nbytes  # noqa: E402
from kneeviz.app.state.solver import Solver  # noqa: E402
from kneeviz.mechanics.equilibrium import resting_patella_pose  # noqa: E402

SOLVE_TIMEOUT_MS = 120_000
CUSTOM_IR_DEG = (3.0, 6.0, 11.0, 19.0)


def _entry_nbytes() -> int:
    return view_nbytes(sv.view_from_trajectory(short_trajectory("healthy")))


def _session(qtbot, cap: int) -> Session:  # type: ignore[no-untyped-def]
    s = Session(default_knee(), short_scenario("healthy"), Solver(), cache_cap_bytes=cap)
    s.start()
    _wait_solved(qtbot, s)
    assert s.healthy_view is s.view
    return s


def _wait_solved(qtbot, s: Session) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: s.view is not None and s.view.solved and not s.solving
                    and s.view.scenario == s.scenario, timeout=SOLVE_TIMEOUT_MS)


def _settings(s: Session) -> list:  # type: ignore[type-arg]
    """The presets, then custom hip rotations: more solved squats than the cap holds."""
    out = [s.scenario_for_preset(p) for p in ("pfp", "severe")]
    out += [s.scenario_with_hip(ir, 4.0) for ir in CUSTOM_IR_DEG]
    return out


def test_view_nbytes_counts_what_the_arrays_keep_alive() -> None:
    view = sv.view_from_trajectory(short_trajectory("pfp"))
    n = view_nbytes(view)
    poses = sum(T.nbytes for T in view.T_world.values()) + view.T_femur_patella.nbytes
    assert view.patella_pressure_mpa is not None
    assert n >= view.patella_pressure_mpa.nbytes + poses
    # A slice keeps its whole parent alive: counted as the parent (the view's Trajectory still
    # holds the pressures it replaced, so they count too).
    big = np.zeros((view.n_frames, 100_000), dtype=np.float32)
    sliced = dataclasses.replace(view, patella_pressure_mpa=big[:, :10])
    assert view_nbytes(sliced) - n == big.nbytes
    # What the view's Trajectory keeps alive is counted: the view alone holds less.
    assert view_nbytes(dataclasses.replace(view, trajectory=None)) <= n
    # One array shared by several fields is counted once.
    shared = np.zeros(view.n_frames)
    one = dataclasses.replace(view, measures=dict.fromkeys(view.measures, shared))
    two = dataclasses.replace(view, measures={k: np.zeros(view.n_frames) for k in view.measures})
    assert view_nbytes(two) - view_nbytes(one) == (len(view.measures) - 1) * shared.nbytes


def test_the_app_cap_holds_the_presets_of_a_30_hz_squat() -> None:
    """The default cap keeps the three presets (the healthy reference among them) of the app's
    squat: its size measured from the kinematics (poses) and the cartilage (pressures)."""
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario

    knee = default_knee()
    scenario = Scenario.from_preset("pfp", frame_rate_hz=APP_FRAME_RATE_HZ)
    kin = sv.kinematics(knee, scenario)
    bones = sv.view_from_kinematics(kin, scenario, resting_patella_pose(knee), knee)
    n = kin.n_frames
    pressures = np.zeros((n, knee.patella_cartilage.n_vertices), dtype=np.float32)
    solved = dataclasses.replace(bones, patella_pressure_mpa=pressures,
                                 converged=np.ones(n, dtype=bool))
    assert 3 * view_nbytes(solved) <= CACHE_CAP_BYTES


def test_the_cache_never_holds_more_than_its_byte_cap(qtbot) -> None:  # type: ignore[no-untyped-def]
    entry = _entry_nbytes()
    cap = int(2.5 * entry)  # room for two solved squats, not three
    s = _session(qtbot, cap)
    healthy = s.healthy_view
    solved_settings = 1
    try:
        for scenario in _settings(s):
            s.set_scenario(scenario)
            _wait_solved(qtbot, s)
            solved_settings += 1
            assert s.cache_bytes() <= cap
            # the running total is an honest count of what is cached now
            assert s.cache_bytes() == sum(view_nbytes(v) for v in s.cached_views())
            cached = s.cached_views()
            assert any(v is healthy for v in cached), "the healthy reference was evicted"
            assert any(v is s.view for v in cached)
        assert len(s.cached_views()) < solved_settings  # the cap did evict
        # the reference is still shown, and back on healthy it is the cached squat (no solve)
        assert s.healthy_view is healthy
        s.set_scenario(s.scenario_for_preset("healthy"))
        assert s.view is healthy and not s.solving
    finally:
        s.close()


def test_a_squat_larger_than_the_cap_keeps_only_the_healthy_reference(qtbot) -> None:  # type: ignore[no-untyped-def]
    cap = _entry_nbytes() // 2
    s = _session(qtbot, cap)
    healthy = s.healthy_view
    try:
        for scenario in _settings(s)[:2]:
            s.set_scenario(scenario)
            _wait_solved(qtbot, s)
            assert s.cached_views() == (healthy,)
            assert s.healthy_view is healthy
        s.set_scenario(s.scenario_for_preset("healthy"))
        assert s.view is healthy and not s.solving
    finally:
        s.close()


def test_a_knee_parameter_change_renews_the_healthy_reference(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The reference curve is the healthy hip on the same knee: after an Insall-Salvati change it
    is solved again for the new ratio (not left drawn for the old one)."""
    s = _session(qtbot, CACHE_CAP_BYTES)
    try:
        s.set_scenario(s.scenario_for_preset("pfp"))
        _wait_solved(qtbot, s)
        alta = dataclasses.replace(s.scenario, insall_salvati_ratio=1.3).validate()
        s.set_scenario(alta)
        qtbot.waitUntil(lambda: s.healthy_view is not None
                        and s.healthy_view.scenario == s.healthy_scenario(),
                        timeout=SOLVE_TIMEOUT_MS)
        assert s.healthy_view.scenario.insall_salvati_ratio == 1.3
        assert s.healthy_view.scenario.femoral_internal_rotation_deg == 0.0
    finally:
        s.close()


def test_changing_preset_before_the_first_solve_lands_still_gives_a_reference(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The window opens on the healthy setting, whose solve is also the reference; a preset change
    cancels it before it lands. The healthy reference (ghost, dashed curve) must still come."""
    s = Session(default_knee(), short_scenario("healthy"), Solver())
    s.start()
    s.set_scenario(s.scenario_for_preset("pfp"))  # at once: the healthy solve has not landed
    _wait_solved(qtbot, s)
    qtbot.waitUntil(lambda: s.healthy_view is not None and s.healthy_view.solved,
                    timeout=SOLVE_TIMEOUT_MS)
    assert s.healthy_view is not None
    assert s.healthy_view.scenario == s.healthy_scenario()
    assert s.view is not None and s.view.scenario.preset == "pfp"
