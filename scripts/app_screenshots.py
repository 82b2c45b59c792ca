"""Screenshots of the real app's window, for looking at what a clinician sees.

Run under a screen of the laptop's size:
    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/app_screenshots.py OUT_DIR \
        [SET ...] [-- kneeviz app args]

SET names a group of pictures (default: main): "main" (healthy, typical PFP, severe at 0, 15 and
30 deg of knee bend, in the thigh bone's view and in the room view), "story" (every story step),
"layout" (the presentation layout's tabs, side by side), "dislocation" (a kneecap off its
groove). Each picture is the whole window once its squat is solved; the file names say what
each shows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

Step = Callable[[Any], None]
SETTLE_MS = 1200


def frame_at(window: Any, flexion_deg: float) -> int:
    """The frame on the way down nearest this knee bend."""
    flex = np.asarray(window.session.view.measures["knee_flexion_deg"], dtype=float)
    half = flex[: max(1, (len(flex) + 1) // 2)]
    return int(np.argmin(np.abs(half - flexion_deg)))


def main_shots() -> list[tuple[str, Step]]:
    shots: list[tuple[str, Step]] = []
    for frame in ("thigh", "room"):
        for preset in ("healthy", "pfp", "severe"):
            for deg in (0, 15, 30):
                def act(w: Any, p: str = preset, d: float = deg, f: str = frame) -> None:
                    s = w.session
                    if s.scenario.preset != p:
                        s.set_scenario(s.scenario_for_preset(p))
                    w.set_camera("closeup")
                    w.set_camera_frame(f)
                    w._shot_frame = d
                shots.append((f"main_{frame}_{preset}_{deg:02d}deg", act))
    return shots


def story_shots() -> list[tuple[str, Step]]:
    from kneeviz.app.panels.story import STEPS

    shots: list[tuple[str, Step]] = []
    for k in range(len(STEPS)):
        def act(w: Any, k: int = k) -> None:
            story = w.clinical.story
            if not story.active:
                story.start()
            story.go_to(k)
            w._shot_story = k
        shots.append((f"story_step{k + 1}", act))

    def leave(w: Any) -> None:
        w.clinical.story.stop()
    shots.append(("story_after_exit", leave))
    return shots


def layout_shots() -> list[tuple[str, Step]]:
    def tab(name: str) -> Step:
        def act(w: Any) -> None:
            tabs = w.panel_tabs
            for i in range(tabs.count()):
                if tabs.tabText(i) == name:
                    tabs.setCurrentIndex(i)
            w._shot_frame = 30
        return act

    def compare(w: Any) -> None:
        w.clinical.set_compare(True)
        w._shot_frame = 30

    def no_compare(w: Any) -> None:
        w.clinical.set_compare(False)
        tab("Essentials")(w)
        w.set_camera("skyline")

    return [("layout_essentials", tab("Essentials")), ("layout_settings", tab("Hip and knee")),
            ("layout_numbers", tab("Numbers")), ("layout_plots", tab("Plots")),
            ("layout_slice", tab("Slice")), ("layout_show", tab("Show")),
            ("layout_side_by_side", compare), ("layout_skyline", no_compare)]


def dislocation_shots() -> list[tuple[str, Step]]:
    """The setting on the command line (e.g. --preset severe --sulcus-angle 155
    --insall-salvati 1.4 --vmo-strength 0.2) at three knee bends, in the thigh bone's view."""
    shots: list[tuple[str, Step]] = []
    for deg in (30, 60, 90):
        def act(w: Any, d: float = deg) -> None:
            w.set_camera("closeup")
            w._shot_frame = d
        shots.append((f"dislocation_{deg}deg", act))

    def slice_tab(w: Any) -> None:
        w.panel_tabs.setCurrentWidget(w.clinical.axial)
        w._shot_frame = 90
    shots.append(("dislocation_90deg_slice", slice_tab))
    return shots


SETS = {"main": main_shots, "story": story_shots, "layout": layout_shots,
        "dislocation": dislocation_shots}


def run() -> None:
    args = sys.argv[1:]
    rest = args[args.index("--") + 1:] if "--" in args else []
    args = args[: args.index("--")] if "--" in args else args
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    names = args[1:] or ["main"]
    shots = [shot for name in names for shot in SETS[name]()]
    app = QApplication(sys.argv[:1])
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.cli import main

    queue = list(shots)

    def solved(w: Any) -> bool:
        s = w.session
        return (s.view is not None and not s.solving and s.view.solved
                and s.healthy_view is not None and s.healthy_view.solved)

    def next_shot(w: Any) -> None:
        if not queue:
            w.close()
            app.quit()
            return
        name, act = queue.pop(0)
        w._shot_frame = None
        w._shot_story = None
        act(w)

        def ready() -> None:
            if not solved(w) or (w._shot_story is not None
                                 and w.clinical.story_panel.caption.text() == ""):
                QTimer.singleShot(200, ready)
                return
            if w._shot_frame is not None:
                w.session.set_frame(frame_at(w, w._shot_frame))

            def grab() -> None:
                path = out / f"{name}.png"
                w.grab().save(str(path))
                s = w.session
                print(f"saved {path}: {s.scenario.preset} frame {s.frame} "
                      f"({s.view.value('knee_flexion_deg', s.frame):.0f} deg) "
                      f"camera {s.display.camera}/{s.display.camera_frame}", flush=True)
                next_shot(w)
            QTimer.singleShot(SETTLE_MS, grab)
        QTimer.singleShot(300, ready)

    def look() -> None:
        ws = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not ws:
            QTimer.singleShot(100, look)
            return
        w = ws[0]
        screen = app.primaryScreen()
        if screen is not None:
            g = screen.availableGeometry()
            w.setGeometry(g)

        def first() -> None:
            if not solved(w):
                QTimer.singleShot(200, first)
                return
            next_shot(w)
        first()

    QTimer.singleShot(0, look)
    QTimer.singleShot(900_000, app.quit)
    main(["app", *rest])


if __name__ == "__main__":
    run()
