"""The hostile set (issue 15): several hundred things a careless user, a broken exporter or a
full disk would feed kneeviz; each must end in a clean refusal, a correct result or a clean
interruption. The tally prints at the end of the run (`make hostile` runs this folder alone).
Cases live in cases_*.py; how they are judged in hostile_core.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cases_cache
import cases_cli
import cases_knee
import cases_mesh
import cases_output
import cases_scenario
from hostile_core import MISHANDLED, Case, run_case
from kneeviz.anatomy.build import assets_dir

ALL: list[Case] = (cases_mesh.cases() + cases_scenario.cases() + cases_cli.cases()
                   + cases_output.cases() + cases_knee.cases() + cases_cache.cases())
SLOW_GROUPS = ("knee",)


def test_the_set_is_large() -> None:
    assert len(ALL) >= 300, len(ALL)
    assert len({c.id for c in ALL}) == len(ALL), "case names repeat"


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.group in SLOW_GROUPS
                  or "slow" in c.marks else []) for c in ALL],
)
def test_hostile(case: Case, tmp_path: Path) -> None:
    if (case.group in ("knee", "output", "cache") or "assets" in case.marks) and not (
            assets_dir() / "femur.stl").is_file():
        pytest.skip(f"the bundled knee is not built at {assets_dir()} (run 'make assets')")
    outcome, detail = run_case(case, tmp_path)
    assert outcome != MISHANDLED, f"{case.id}: {detail}"
