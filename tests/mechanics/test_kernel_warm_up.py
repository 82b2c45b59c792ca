"""kernel.warm_up() compiles the very signatures a real solve calls: the app's solve worker
calls it at start, at normal priority, so the first squat does not compile the kernel again at
the worker's lowest priority (on a busy machine that compile took 40 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CHILD = """
import json
from kneeviz.anatomy.build import load_default_anatomy
from kneeviz.mechanics import kernel
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate

def compiled():
    km = kernel._load()
    return [len(km.wrench.signatures), len(km.distances.signatures)]

assert kernel.warm_up()
after_warm_up = compiled()
simulate(load_default_anatomy(), Scenario.from_preset("pfp", max_flexion_deg=30.0,
         descent_s=1.0, ascent_s=1.0, frame_rate_hz=5.0))
print(json.dumps({"after_warm_up": after_warm_up, "after_solve": compiled()}))
"""


def test_the_warm_up_compiles_what_the_solve_calls() -> None:
    """In a fresh process: whether numba compiles or loads its cache, a signature is listed
    once it is used in that process; a squat whose arguments differ from the warm-up's adds
    one."""
    env = dict(os.environ)
    env.pop("KNEEVIZ_NO_NUMBA", None)
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env,
                         timeout=600)
    if "No module named 'numba'" in out.stderr:
        pytest.skip("numba is not installed here: the numpy version runs, nothing to compile")
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["after_warm_up"] == [1, 1]  # the warm-up compiled both kernels
    assert got["after_solve"] == [1, 1]  # and the squat compiled nothing more
