"""Closing the window never waits for the solve worker, even during the first solve on an empty
cache, when the worker spends its first 10-25 s before any frame compiling the kernel (and, for a
knee whose distance grid is not shipped, building the grid): a cancel is only seen between
frames, and the window took 15 s to close.

Three ways to close, each the real `kneeviz` command in a process of its own, with an empty cache
of its own (a new user's first start):
- Ctrl-C in the terminal (to the whole process group, as a terminal sends it: the worker gets it
  too): the window closes, `kneeviz` exits 130 with one line and no traceback. Qt's event loop
  sits idle meanwhile (the solve is another process): before, an idle app ignored Ctrl-C, Python
  never got control back from Qt's loop to run its handler;
- the window's close button (QWidget.close(), what Qt does on the window manager's close);
- File > Quit (its action triggered).
Each while the worker compiles the kernel (the default knee: its grid is shipped), Ctrl-C also
while it builds the grid (the default knee from a copy of its folder without the shipped grid).

What is checked is behaviour, not time: the close comes while that work runs (its start is seen,
its end and the first frame never are), the cache holds no grid and no half-written file
afterwards, and no worker is left. The timeouts only catch a hang.

The only things added to the command: a note when its window is on screen, a hook that closes
the window when asked (through a file), and in the worker (the spawned process runs this script's
top level as __mp_main__) notes of when the grid's build, the kernel's compile and the first
frame start and end. The worker compiles the kernel as it starts, usually while the window is
still being built; the hook holds the compile's start until the window is on screen.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

HANG_S = 180.0
"""Only a hang takes this long (the app's start and the grid's start, on a loaded machine)."""

CHILD = """
import os
import sys
import time
from pathlib import Path

MARKS = Path(os.environ["KNEEVIZ_TEST_MARKS"])


def noted(module, name, started, ended, after=None):
    \"\"\"Wrap module.name: note its first call's start and end (the start held until the mark
    `after` exists).\"\"\"
    real = getattr(module, name, None)
    if real is None:  # code without it
        return

    def call(*args, **kwargs):
        first = not (MARKS / started).exists()
        if first:
            while after is not None and not (MARKS / after).exists():
                time.sleep(0.02)
            (MARKS / started).touch()
        out = real(*args, **kwargs)
        if first:
            (MARKS / ended).touch()
        return out

    setattr(module, name, call)


if __name__ == "__mp_main__":  # the solve worker
    from kneeviz import simulation
    from kneeviz.mechanics import contact, kernel

    noted(contact, "build_distance_grid", "grid-started", "grid-built")
    # The worker compiles the kernel as it starts (kernel.warm_up), usually while the window is
    # still being built: held until the window is on screen, so the close can come during it.
    noted(kernel, "warm_up", "kernel-started", "kernel-compiled", after="window-shown")
    noted(kernel, "evaluate", "kernel-started", "kernel-compiled")  # code without a warm-up
    solve = simulation.simulate

    def noted_simulate(*args, on_frame=None, **kwargs):
        def frame(k, sol):
            (MARKS / "frame").touch()
            if on_frame is not None:
                on_frame(k, sol)

        return solve(*args, on_frame=frame, **kwargs)

    simulation.simulate = noted_simulate

if __name__ == "__main__":
    from PyQt6.QtCore import QTimer
    from PyQt6.QtGui import QAction

    from kneeviz.app.window import main_window
    from kneeviz.cli import main

    shown = main_window.MainWindow.showEvent

    def close_when_asked(window):
        how = MARKS / "close"
        if how.exists():
            way = how.read_text()
            if way == "quit":
                quit_action = next(a for a in window.findChildren(QAction)
                                   if a.text() == "&Quit")
                quit_action.trigger()
            else:
                window.close()  # what Qt does when the window manager's close button is hit
            return
        QTimer.singleShot(50, lambda: close_when_asked(window))

    def on_screen(window):
        (MARKS / "window-shown").touch()
        print("window shown", flush=True)
        close_when_asked(window)

    def show_event(self, event):  # sent before the window is on screen: say it from the loop
        shown(self, event)
        QTimer.singleShot(0, lambda: on_screen(self))

    main_window.MainWindow.showEvent = show_event
    if os.environ.get("KNEEVIZ_TEST_HOLD_BUILD"):
        from kneeviz.commands import app as app_command

        build = app_command.open_window

        def held_open_window(*args, **kwargs):
            # The window is built; before it is returned, a slot that Qt calls (as Qt and VTK
            # call Python code all through the window's building) waits for the test's Ctrl-C
            # and goes on a moment after it has arrived.
            from PyQt6.QtCore import QEventLoop, QTimer

            window = build(*args, **kwargs)
            (MARKS / "window-built").touch()
            loop = QEventLoop()

            def wait_for_the_ctrl_c():
                while not (MARKS / "ctrl-c-sent").exists():
                    time.sleep(0.02)
                for _ in range(25):  # the signal's handler runs here, between two calls
                    time.sleep(0.02)
                loop.quit()

            QTimer.singleShot(0, wait_for_the_ctrl_c)
            loop.exec()
            return window

        app_command.open_window = held_open_window
    sys.exit(main(["app"]))
"""


class App:
    """The `kneeviz` command started in a new session (its own process group) with an empty
    cache, settings and home of its own."""

    def __init__(self, tmp_path: Path, knee: Path | None = None, *,
                 hold_build: bool = False) -> None:
        self.cache = tmp_path / "cache"
        self.marks = tmp_path / "marks"
        for folder in (self.cache, self.marks, tmp_path / "home"):
            folder.mkdir()
        script = tmp_path / "kneeviz_app.py"
        script.write_text(CHILD)
        env = dict(os.environ, HOME=str(tmp_path / "home"),
                   XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
                   KNEEVIZ_CONFIG_DIR=str(tmp_path / "home" / "kneeviz-config"),
                   KNEEVIZ_CACHE_DIR=str(self.cache), KNEEVIZ_TEST_MARKS=str(self.marks))
        env.pop("NUMBA_CACHE_DIR", None)  # kneeviz points numba at its own cache folder
        env.pop("KNEEVIZ_NO_NUMBA", None)  # the compiled kernel, as a user has it
        if knee is not None:
            env["KNEEVIZ_ASSETS"] = str(knee)
        if hold_build:
            env["KNEEVIZ_TEST_HOLD_BUILD"] = "1"
        self.proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env,
                                     start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for_line(self, text: str) -> None:
        try:
            line = self.lines.get(timeout=HANG_S)
        except queue.Empty:
            self.fail(f"no {text!r} from the app in {HANG_S:.0f} s")
        if line.strip() != text:
            self.fail(f"{line!r} instead of {text!r}")

    def wait_for_mark(self, name: str) -> None:
        deadline = time.monotonic() + HANG_S
        while not (self.marks / name).exists():
            if self.proc.poll() is not None:
                self.fail(f"the app ended by itself before {name!r}")
            if time.monotonic() > deadline:
                self.fail(f"no {name!r} in {HANG_S:.0f} s")
            time.sleep(0.02)

    def fail(self, why: str) -> None:
        """End the app and fail with what it wrote on stderr."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        err = self.proc.stderr.read() if self.proc.stderr else ""
        pytest.fail(f"{why}; its stderr: {err[-1500:]}")

    def end(self) -> str:
        """Wait for the app to end (a hang is killed and fails); its stderr."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=HANG_S)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            pytest.fail(f"the app was still running {HANG_S:.0f} s after its close")
        return self.proc.stderr.read() if self.proc.stderr else ""


STAGES = {"kernel": ("kernel-started", "kernel-compiled"), "grid": ("grid-started", "grid-built")}
"""The first solve's long steps before its first frame: the marks of their start and end."""


def _knee_without_its_grid(tmp_path: Path) -> Path:
    from kneeviz.resources import default_knee_dir

    knee = tmp_path / "knee"
    shutil.copytree(default_knee_dir(), knee, ignore=shutil.ignore_patterns("femoral-sdf-*"))
    return knee


def _close_during_the_first_solve(tmp_path: Path, close: str,
                                  stage: str) -> tuple[App, str, list[int]]:
    knee = _knee_without_its_grid(tmp_path) if stage == "grid" else None
    app = App(tmp_path, knee)
    try:
        app.wait_for_line("window shown")
        app.wait_for_mark(STAGES[stage][0])  # the worker is in that step of the first solve
        workers = _children(app.proc.pid)
        assert workers, "no solve worker"
        if close == "ctrl-c":
            os.killpg(app.proc.pid, signal.SIGINT)  # as a terminal sends it: the whole group
        else:
            (app.marks / "close").write_text(close)
        err = app.end()
    finally:
        if app.proc.poll() is None:
            os.killpg(app.proc.pid, signal.SIGKILL)
            app.proc.wait()
    return app, err, workers


def _check_nothing_left(app: App, workers: list[int], stage: str) -> None:
    """No worker outlives the app; the close came before the step ended (and before the first
    frame), and the cache holds neither a grid nor a half-written file (the next start does the
    step again)."""
    deadline = time.monotonic() + 10.0
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "a worker outlived the app"
    ended = STAGES[stage][1]
    assert not (app.marks / ended).exists(), f"the close waited for the first solve ({ended})"
    assert not (app.marks / "frame").exists(), "the close waited for the first frame"
    assert not list(app.cache.glob("femoral-sdf-*")), "a grid was written after the close"
    from kneeviz.atomic import TEMP_TAG

    left = [p.name for p in app.cache.rglob("*") if TEMP_TAG in p.name or ".tmp." in p.name]
    assert not left, f"half-written cache files were left: {left}"


@pytest.mark.parametrize("stage", ["kernel", "grid"])
def test_ctrl_c_during_the_first_solve_closes_at_once(tmp_path: Path, stage: str) -> None:
    app, err, workers = _close_during_the_first_solve(tmp_path, "ctrl-c", stage)
    assert app.proc.returncode == 130, (app.proc.returncode, err[-500:])
    assert "Traceback" not in err, err[-800:]
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], err[-800:]  # one line, the app's
    _check_nothing_left(app, workers, stage)


@pytest.mark.parametrize("close", ["close-button", "quit"])
def test_closing_the_window_during_the_first_solve_does_not_wait(tmp_path: Path,
                                                                 close: str) -> None:
    app, err, workers = _close_during_the_first_solve(tmp_path, close, "kernel")
    assert app.proc.returncode == 0, (app.proc.returncode, err[-500:])
    assert "Traceback" not in err, err[-800:]
    _check_nothing_left(app, workers, "kernel")


def test_ctrl_c_while_the_window_is_built_closes_it(tmp_path: Path) -> None:
    """A Ctrl-C that arrives while the window is being built, inside a call Qt makes (where a
    KeyboardInterrupt was swallowed and the app went on running), closes the window as soon as
    it is shown: exit 130, the app's one line, no worker left."""
    app = App(tmp_path, hold_build=True)
    try:
        app.wait_for_mark("window-built")
        workers = _children(app.proc.pid)
        os.killpg(app.proc.pid, signal.SIGINT)  # as a terminal sends it: the whole group
        (app.marks / "ctrl-c-sent").touch()
        err = app.end()
    finally:
        if app.proc.poll() is None:
            os.killpg(app.proc.pid, signal.SIGKILL)
            app.proc.wait()
    assert app.proc.returncode == 130, (app.proc.returncode, err[-800:])
    assert "Traceback" not in err and "Failure when calling" not in err, err[-800:]
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], err[-800:]
    deadline = time.monotonic() + 10.0  # a hang catcher: the worker is ended at the close
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "a worker outlived the app"


def _children(pid: int) -> list[int]:
    """The process's children (Linux's /proc; none where it has no such file)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
