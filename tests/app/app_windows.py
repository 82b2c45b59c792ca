"""Shared ways the app tests open a window: a bones-only window at a given size (quick: no
solves), and the whole app run in this interpreter as `kneeviz ARGV` until its window is up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clinical_fixtures import default_anatomy
from kneeviz.scenario import Scenario

SHORT = Scenario(max_flexion_deg=60.0, descent_s=0.6, ascent_s=0.6, frame_rate_hz=5.0)
"""A short squat: the window's views, not its physics, are under test."""
WINDOW_TIMEOUT_MS = 120_000
"""A safety net for a whole app run: never hang the suite."""


def bones_only_window(qtbot: Any, size: tuple[int, int], scenario: Scenario = SHORT) -> Any:
    """The main window on the default knee with a bones-only solver, shown at `size`, once its
    squat is shown."""
    from kneeviz.app.state.solver import Solver
    from kneeviz.app.window.main_window import MainWindow

    w = MainWindow(default_anatomy(), scenario, solver=Solver(simulate_fn=None))
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.view is not None and not w.session.solving, timeout=20000)
    return w


def run_app(qapp: Any, argv: list[str], act: Callable[[Any], dict[str, object]],
            settle: bool = False) -> dict[str, object]:
    """Run `kneeviz ARGV` in this interpreter until its window is up, record act(window), close
    it; "rc" is main's return code. `settle` first processes the events pending then (inside
    the app's own event loop: a later test's worker signal was then never delivered in this
    process, so only the settings tests, which run in an interpreter of their own, ask for it)."""
    from PyQt6.QtCore import QTimer

    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.cli import main

    seen: dict[str, object] = {}

    def look() -> None:
        windows = [w for w in qapp.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:  # still loading the knee
            QTimer.singleShot(50, look)
            return
        (w,) = windows
        if settle:
            qapp.processEvents()
        seen.update(act(w))
        w.close()
        qapp.quit()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(qapp.quit)
    timer.start(WINDOW_TIMEOUT_MS)
    QTimer.singleShot(0, look)
    seen["rc"] = main(argv)
    timer.stop()
    return seen
