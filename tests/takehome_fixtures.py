"""This setting beside the healthy squat on the default knee, for the take-home tests: a squat to
50 deg at 20 frames a second (51 frames), whose descent has a frame within 2.1 deg of each of the
report's angles (0, 15, 30, 45), solved once per test session."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from clinical_fixtures import default_anatomy
from kneeviz.scenario import Scenario

SQUAT_50 = {"max_flexion_deg": 50.0, "descent_s": 1.25, "ascent_s": 1.25, "frame_rate_hz": 20.0}


@lru_cache(maxsize=4)
def solved(preset: str) -> Any:
    from kneeviz.simulation import simulate

    return simulate(default_anatomy(), Scenario.from_preset(preset, **SQUAT_50))


def take_home(preset: str = "pfp", **kw: Any) -> Any:
    from kneeviz.takehome.content import TakeHome

    return TakeHome(default_anatomy(), solved(preset), solved("healthy"), **kw)


WITHHELD_NEAR_DEG = 40.0


def withheld_near(c: Any, near_deg: float = WITHHELD_NEAR_DEG, half_width_deg: float = 3.0,
                  who: str = "this") -> tuple[Any, list[int]]:
    """The take-home `c` with the descent frames within `half_width_deg` of `near_deg` of one
    squat (`who`: "this" or "healthy") withheld by the model (two balances:
    kneeviz.measure_table.TWO_BALANCES), as a solve that balances the kneecap two ways leaves
    them; and those frames."""
    from dataclasses import replace

    import numpy as np

    from kneeviz import measure_table

    flex = np.asarray(c.this["knee_flexion_deg"], dtype=float)
    near = [int(k) for k in c.descent() if abs(flex[k] - near_deg) <= half_width_deg]
    reason = (f"{measure_table.TWO_BALANCES}: the kneecap balances another way coming up than "
              "going down here")
    squat = getattr(c, who)
    withheld = replace(squat, meta={**squat.meta, "not_solved": {str(k): reason for k in near}})
    return replace(c, **{who: withheld}), near
