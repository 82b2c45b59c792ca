"""The hostile set prints its tally at the end of the run (tests/hostile/hostile_core.py)."""

from __future__ import annotations

from typing import Any

from hostile_core import TALLY, tally_lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if sum(TALLY.values()):
        terminalreporter.section("hostile set tally")
        for line in tally_lines():
            terminalreporter.write_line(line)
