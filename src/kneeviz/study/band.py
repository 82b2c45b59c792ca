"""The "How sure?" band: how far the curves could lie, for the setting on the screen.

The app's setting (the knee, the hip's turn, the squat, and what its sliders set: VMO strength,
kneecap height) is held; every uncertain parameter the app does not set (the uncertainty table's
rows without an app control: cartilage, retinacula, the quadriceps heads, body mass) is drawn from
its published distribution (kneeviz.uncertainty) in a Latin hypercube of BAND_RUNS points (SALib),
each point's squat is solved, and each frame's 5th, 50th and 95th percentiles of every readout
measure are taken over the runs that balanced in that frame. Deterministic for a given setting
(a fixed seed), so a band can be cached per setting. A model-layer function (no Qt): the app runs
it in a background process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.measure_table import readouts
from kneeviz.motion.squat import SquatKinematics
from kneeviz.parameter import Affects
from kneeviz.scenario import Scenario, parameters_of
from kneeviz.uncertainty import UNCERTAINTY

BAND_RUNS = 24
"""Squats per band (docs/validation.md, "How sure": how the band's edges move with more runs)."""
PERCENTILES = (5.0, 50.0, 95.0)
BAND_SEED = 28


def band_parameters(scenario: Scenario) -> tuple[str, ...]:
    """The uncertainty table's parameters the band varies: those the app has no control for
    (what the user set on screen is the setting, not an uncertainty)."""
    declared = parameters_of(scenario)
    return tuple(u.name for u in UNCERTAINTY if declared[u.name].control is None)


@dataclass(frozen=True, eq=False)
class UncertaintyBand:
    """Per-frame percentiles of the readout measures over the band's runs."""

    scenario: Scenario
    knee_flexion_deg: np.ndarray
    """(frames,) of the setting's squat."""
    percentiles: tuple[float, ...]
    values: dict[str, np.ndarray]
    """Measure key -> (len(percentiles), frames); NaN where no run balanced."""
    parameters: tuple[str, ...]
    n_runs: int
    n_solved: np.ndarray
    """(frames,): runs that balanced in each frame."""
    seconds: float

    def low(self, key: str) -> np.ndarray:
        return self.values[key][0]

    def high(self, key: str) -> np.ndarray:
        return self.values[key][-1]

    def range_at(self, key: str, frame: int) -> tuple[float, float]:
        """(5th, 95th) percentile of `key` at `frame`: the readout's range."""
        v = self.values[key]
        return float(v[0, frame]), float(v[-1, frame])


def band_scenarios(scenario: Scenario, *, n_runs: int = BAND_RUNS, seed: int = BAND_SEED,
                   parameters: tuple[str, ...] | None = None) -> list[Scenario]:
    """The band's squats: `scenario` with the band's parameters drawn from the uncertainty table
    (a Latin hypercube of `n_runs` points, SALib)."""
    from kneeviz.study.design import draw_sample

    names = parameters if parameters is not None else band_parameters(scenario)
    sample = draw_sample("lhs", names, n_runs, seed)
    return [scenario.with_changes(**dict(zip(names, map(float, row), strict=True)))
            for row in sample]


def band_run(anatomy: Anatomy, scenario: Scenario,
             kinematics: SquatKinematics | None = None) -> dict[str, np.ndarray]:
    """One of the band's squats: every readout measure per frame, NaN where the frame is not a
    result (it did not balance, the kneecap is off its groove, or the model withholds it:
    kneeviz.result_check.result_frames)."""
    from kneeviz.result_check import result_frames
    from kneeviz.simulation import simulate

    traj = simulate(anatomy, scenario, kinematics=kinematics)
    ok = result_frames(traj)
    out = {m.key: np.where(ok, np.asarray(traj[m.key], dtype=float), np.nan)
           for m in readouts()}
    out["knee_flexion_deg"] = np.asarray(traj["knee_flexion_deg"], dtype=float)  # always known
    return out


def band_of(scenario: Scenario, runs: list[dict[str, np.ndarray]],
            parameters: tuple[str, ...], seconds: float) -> UncertaintyBand:
    """The band of solved runs (band_run's): per-frame percentiles over the runs with a result."""
    keys = [m.key for m in readouts()]
    values = {}
    for k in keys:
        stack = np.vstack([r[k] for r in runs])
        pct = np.full((len(PERCENTILES), stack.shape[1]), np.nan)
        frame_ok = np.isfinite(stack).any(axis=0)
        if frame_ok.any():
            pct[:, frame_ok] = np.nanpercentile(stack[:, frame_ok], PERCENTILES, axis=0)
        values[k] = pct
    solved = np.vstack([np.isfinite(r["patella_lateral_tilt_deg"]) for r in runs]).sum(axis=0)
    return UncertaintyBand(scenario, runs[0]["knee_flexion_deg"], PERCENTILES, values,
                           parameters, len(runs), solved, seconds)


def compute_band(anatomy: Anatomy, scenario: Scenario, *, n_runs: int = BAND_RUNS,
                 seed: int = BAND_SEED, parameters: tuple[str, ...] | None = None,
                 on_run: Callable[[int, int], None] | None = None) -> UncertaintyBand:
    """The band of `scenario` on `anatomy` (see the module docstring), in this process.
    `on_run(done, total)` is called after each squat (a caller may raise from it to stop)."""
    from kneeviz.motion.from_recording import scenario_kinematics

    t0 = time.perf_counter()
    names = parameters if parameters is not None else band_parameters(scenario)
    declared = parameters_of(scenario)
    # the bones' motion is the setting's for every run unless a sampled parameter changes it
    same_motion = all(declared[n].affects is Affects.TISSUE for n in names)
    kin = scenario_kinematics(anatomy, scenario) if same_motion else None
    scenarios = band_scenarios(scenario, n_runs=n_runs, seed=seed, parameters=names)
    runs = []
    for i, s in enumerate(scenarios):
        runs.append(band_run(anatomy, s, kin))
        if on_run is not None:
            on_run(i + 1, len(scenarios))
    return band_of(scenario, runs, names, time.perf_counter() - t0)
