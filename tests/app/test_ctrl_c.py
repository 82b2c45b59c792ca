"""Ctrl-C in the terminal that started `kneeviz` closes the window and exits 130, with one line
and no traceback (the solve worker, in the same process group, gets it too), also while the
window sits idle (before, an idle app ignored Ctrl-C: Python never got control back from Qt's
event loop to run its handler).

The real command in a process of its own, on the default knee. The only thing added to it is a
note of when its window has been shown, so the Ctrl-C lands in the running event loop and not
during the start-up imports (where Python's own KeyboardInterrupt would end it anyway).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gui_marks import GUI_MARKS

pytestmark = GUI_MARKS

CHILD = """
import sys
from kneeviz.app.window import main_window
from kneeviz.cli import main

shown = main_window.MainWindow.showEvent

def show_event(self, event):
    shown(self, event)
    print("window shown", flush=True)

main_window.MainWindow.showEvent = show_event
sys.exit(main(["app"]))
"""


def test_ctrl_c_closes_an_idle_window(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "window shown", line
        time.sleep(3.0)  # the squat solved or solving, the window idle and paused
        assert child.poll() is None, "the app ended by itself"
        children = _children(child.pid)  # the solve worker among them
        sent = time.monotonic()
        os.killpg(child.pid, signal.SIGINT)  # as a terminal sends it: the whole group
        child.wait(timeout=20)
        took = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    err = child.stderr.read() if child.stderr else ""
    assert child.returncode == 130, (child.returncode, err[-500:])
    assert "Traceback" not in err, err[-800:]
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], err[-800:]  # one line, the app's
    assert took < 10.0, f"the window took {took:.1f} s to close"
    deadline = time.monotonic() + 10.0
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "a worker outlived the app"


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
