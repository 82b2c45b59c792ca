"""Take the README's two pictures of the real window: docs/images/window.png (the app on a solved
typical-PFP squat at 30 deg, knee close-up) and docs/images/story.png (story mode, step 4, at
the step's own frame). Look at both before committing them.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/readme_pictures.py

The window is a 1366 x 740 laptop-sized one, grabbed with QWidget.grab(); the PNGs are reduced to
256 colours (dithered, so the overlays keep their colours) to stay small.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
SIZE = (1366, 740)
LIMIT_S = 300.0


def main() -> None:
    from PIL import Image
    from PyQt6.QtWidgets import QApplication

    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.app.state.solve_process import stop_shared
    from kneeviz.app.window.main_window import MainWindow
    from kneeviz.commands.app import APP_FRAME_RATE_HZ
    from kneeviz.scenario import Scenario

    app = QApplication([])

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    def wait_solved(w: MainWindow) -> None:
        t0 = time.perf_counter()
        while (w.session.solving or w.session.view is None or not w.session.view.solved
               or w.session.healthy_view is None) and time.perf_counter() - t0 < LIMIT_S:
            pump(0.1)

    def go_to_flexion(w: MainWindow, angle_deg: float) -> None:
        kf = np.asarray(w.session.view.measures["knee_flexion_deg"])
        down = np.arange(int(np.argmax(kf)) + 1)
        w.session.set_frame(int(down[np.argmin(np.abs(kf[down] - angle_deg))]))
        pump(2.5)

    def save(w: MainWindow, name: str) -> None:
        w.grab().save(str(OUT / f".{name}"))
        im = Image.open(OUT / f".{name}").convert("RGB")
        im.quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                    dither=Image.Dither.FLOYDSTEINBERG).save(OUT / name, optimize=True)
        (OUT / f".{name}").unlink()
        print(f"wrote {(OUT / name).relative_to(ROOT)}", file=sys.stderr)

    OUT.mkdir(parents=True, exist_ok=True)
    w = MainWindow(load_default_anatomy(),
                   Scenario.from_preset("pfp", frame_rate_hz=APP_FRAME_RATE_HZ))
    w.resize(*SIZE)
    w.show()
    wait_solved(w)
    w.session.set_display(camera="closeup", see_through=False)
    go_to_flexion(w, 30.0)
    save(w, "window.png")
    story = w.clinical.story
    shown: list[int] = []
    story.step_changed.connect(shown.append)  # a step's words go up once its picture is on screen
    story.start()
    story.go_to(3)  # step 4: the kneecap rides outward
    t0 = time.perf_counter()
    while 3 not in shown and time.perf_counter() - t0 < LIMIT_S:
        pump(0.1)
    wait_solved(w)
    if w.playback.playing:
        w.playback.pause()
    pump(2.0)  # the slice and the underside maps of the step's frame
    save(w, "story.png")  # at the step's own frame, as a patient sees it
    w.clinical.shutdown()
    w.close()
    pump(0.5)
    stop_shared()


if __name__ == "__main__":  # the solve worker is started with spawn: it imports this module
    main()
