"""Take docs/images/how_sure_window.png: the window on the bundled knee's typical-PFP squat with
"How sure?" switched on, at 30 deg, and print how long the band took. Look at it before
committing it.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/how_sure_picture.py

A 1366 x 740 laptop-sized window, grabbed with QWidget.grab(), reduced to 256 colours (dithered).
The band's time is from switching it on to the band shown, with the load average beside it: the
band's worker runs at the lowest priority, so a busy machine slows it most.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
SIZE = (1366, 740)
LIMIT_S = 900.0


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

    def wait(until: object) -> None:
        t0 = time.perf_counter()
        while not until() and time.perf_counter() - t0 < LIMIT_S:  # type: ignore[operator]
            pump(0.1)

    w = MainWindow(load_default_anatomy(),
                   Scenario.from_preset("pfp", frame_rate_hz=APP_FRAME_RATE_HZ))
    w.resize(*SIZE)
    w.show()
    wait(lambda: not w.session.solving and w.session.view is not None and w.session.view.solved
         and w.session.healthy_view is not None)
    load = os.getloadavg()
    t0 = time.perf_counter()
    w.plots.how_sure.setChecked(True)
    wait(lambda: w.band.band is not None)
    took = time.perf_counter() - t0
    band = w.band.band
    assert band is not None, "the band did not arrive"
    print(f"band of {band.n_runs} squats ({band.scenario.n_frames} frames each): {took:.1f} s "
          f"from switching on to shown (load {load[0]:.1f} -> {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores)", file=sys.stderr)
    w.session.set_display(camera="closeup", see_through=False)
    kf = np.asarray(w.session.view.measures["knee_flexion_deg"])
    down = np.arange(int(np.argmax(kf)) + 1)
    w.session.set_frame(int(down[np.argmin(np.abs(kf[down] - 30.0))]))
    pump(1.0)
    # on a laptop-sized window the plots lie below the readouts: scroll the column to them
    from PyQt6.QtWidgets import QScrollArea

    parent = w.plots.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if parent is not None and parent.widget() is not None:
        from PyQt6.QtCore import QPoint

        top = w.readouts.range_note.mapTo(parent.widget(), QPoint(0, 0)).y()
        parent.verticalScrollBar().setValue(top - 8)
    pump(2.0)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "how_sure_window.png"
    w.grab().save(str(OUT / f".{name}"))
    im = Image.open(OUT / f".{name}").convert("RGB")
    im.quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                dither=Image.Dither.FLOYDSTEINBERG).save(OUT / name, optimize=True)
    (OUT / f".{name}").unlink()
    print(f"wrote {(OUT / name).relative_to(ROOT)}", file=sys.stderr)
    w.close()
    pump(0.5)
    stop_shared()


if __name__ == "__main__":  # the workers are started with spawn: they import this module
    main()
