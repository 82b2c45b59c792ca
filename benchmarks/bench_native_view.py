"""What a native-window 3D view would save: the same knee in pyvistaqt's widget (a QOpenGLWidget:
VTK renders into Qt's framebuffer, and Qt composes the whole window through OpenGL) and in VTK's
own native-window Qt widget (VTK renders into an X window of its own; Qt paints the rest of the
window in software as usual), each in a window with a panel of labels beside a 1280x800 view.
Prints the UI thread's time for a re-posed frame, for a label repaint alone, and for both at once.

Run under Xvfb, one kind per process (the two kinds of GL context do not share a process well):

    xvfb-run -a -s "-screen 0 2400x1080x24" .venv/bin/python benchmarks/bench_native_view.py

Not the app: the bones at full resolution, no overlays, no multisampling. Asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

KINDS = ("qopenglwidget", "native")
ROUNDS = 40


def _knee_meshes() -> list[Any]:
    import numpy as np
    import pyvista as pv

    from kneeviz.anatomy.build import load_default_anatomy

    anatomy = load_default_anatomy()
    out = []
    for name in ("femur", "femur_cartilage", "patella", "patella_cartilage", "tibia"):
        m = getattr(anatomy, name)
        faces = np.hstack([np.full((len(m.faces), 1), 3), m.faces]).ravel()
        out.append(pv.PolyData(np.asarray(m.vertices_mm), faces).compute_normals())
    return out


def child(kind: str) -> None:
    import vtk
    from PyQt6.QtWidgets import QApplication, QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

    app = QApplication([])
    meshes = _knee_meshes()
    win = QMainWindow()
    central = QWidget()
    row = QHBoxLayout(central)
    win.setCentralWidget(central)
    if kind == "qopenglwidget":
        from pyvistaqt import QtInteractor

        plotter = QtInteractor(central, multi_samples=0, auto_update=False)
        actors = [plotter.add_mesh(m, color="wheat", smooth_shading=True) for m in meshes]
        plotter.reset_camera()
        widget = plotter.interactor

        def draw() -> None:
            widget.update()  # the widget renders in its paint, with the window's composition
    else:
        from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor

        widget = QVTKRenderWindowInteractor(central)
        window = widget.GetRenderWindow()
        window.SetMultiSamples(0)
        renderer = vtk.vtkRenderer()
        window.AddRenderer(renderer)
        actors = []
        for m in meshes:
            mapper = vtk.vtkPolyDataMapper()
            mapper.SetInputData(m)
            actor = vtk.vtkActor()
            actor.SetMapper(mapper)
            actor.GetProperty().SetColor(0.96, 0.87, 0.70)
            actor.GetProperty().SetInterpolationToPhong()
            renderer.AddActor(actor)
            actors.append(actor)
        renderer.ResetCamera()
        widget.Initialize()

        def draw() -> None:
            window.Render()  # straight into its own X window
    widget.setFixedSize(1280, 800)
    row.addWidget(widget)
    side = QWidget()
    column = QVBoxLayout(side)
    labels = [QLabel(f"readout {k}") for k in range(20)]
    for label in labels:
        column.addWidget(label)
    side.setFixedWidth(800)
    row.addWidget(side)
    win.show()
    for _ in range(50):
        app.processEvents()
        time.sleep(0.01)
    step = [0]

    def repose() -> None:
        step[0] += 1
        m = vtk.vtkMatrix4x4()
        m.SetElement(0, 3, 5.0 * (step[0] % 7) / 7.0)
        for actor in actors[2:4]:  # the kneecap and its cartilage
            actor.SetUserMatrix(m)
        draw()

    def relabel() -> None:
        step[0] += 1
        labels[step[0] % len(labels)].setText(f"{time.time():.6f}")

    def ms(action: Any) -> float:
        action()
        app.processEvents()
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            action()
            app.processEvents()
            times.append((time.perf_counter() - t0) * 1000.0)
            time.sleep(0.01)
        return statistics.median(times)

    print(f"{kind}: window {win.width()}x{win.height()}; re-posed frame {ms(repose):.1f} ms, "
          f"a label repaint alone {ms(relabel):.1f} ms, both in one pass "
          f"{ms(lambda: (repose(), relabel())):.1f} ms (medians of {ROUNDS})", flush=True)
    win.close()


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for _ in range(2):  # in turns
        for kind in KINDS:
            out = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True,
                                 text=True, timeout=600)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith(kind)]
            print(lines[-1] if lines else f"{kind}: failed: {out.stderr.strip()[-300:]}")
    print(f"load average now: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
