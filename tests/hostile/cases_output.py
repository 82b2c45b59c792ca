"""Hostile conditions for every writer: a full disk, a read-only file system, a name too long,
a missing folder, a folder in the way, an interrupt mid-write, and SIGTERM / SIGINT / SIGKILL to
a writing process. Each must refuse in one line (or stop cleanly), leave the old file as it was
and leave no temporary file (or, after SIGKILL, one that the next write sweeps).

The full disk and the read-only file system are real tmpfs mounts when this process may mount
(root); otherwise they are simulated in-process (fsync raising ENOSPC, creating a file raising
EROFS), which exercises the same code paths.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from hostile_core import INTERRUPTED, REFUSED, RESULT, Case
from kneeviz import atomic
from kneeviz.atomic import TEMP_TAG

OLD = b"the user's earlier file\n"


@lru_cache(maxsize=1)
def short_trajectory() -> Any:
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    return simulate(load_default_anatomy(), Scenario.from_preset("pfp", max_flexion_deg=30,
                                                                 frame_rate_hz=5))


def _scenario(path: Path) -> None:
    from kneeviz.scenario import Scenario
    from kneeviz.scenario_file import ScenarioFile, save_scenario_file

    save_scenario_file(path, ScenarioFile(scenario=Scenario.from_preset("pfp")))


def _data(path: Path) -> None:
    """The one trajectory writer (`kneeviz simulate --out` and File > Export data)."""
    from kneeviz.trajectory_file import write_trajectory

    write_trajectory(path, short_trajectory())


def _png(path: Path) -> None:
    from kneeviz.scene.render import write_png

    write_png(path, np.full((128, 160, 3), 120, dtype=np.uint8))


def _video(path: Path) -> None:
    from kneeviz.scene.render import VideoWriter

    with VideoWriter(path, 10) as w:
        for k in range(5):
            w.append(np.full((128, 160, 3), 40 * k, dtype=np.uint8))
        w.commit()


@lru_cache(maxsize=1)
def take_home_content() -> Any:
    """This short PFP squat beside the healthy one, for the take-home writers."""
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.motion.from_recording import healthy_counterpart
    from kneeviz.simulation import simulate
    from kneeviz.takehome.content import TakeHome

    this = short_trajectory()
    healthy = simulate(load_default_anatomy(), healthy_counterpart(this.scenario))
    return TakeHome(load_default_anatomy(), this, healthy, note="Hip exercises daily.",
                    clinician="Dr A. Example")


def _report(path: Path) -> None:
    from kneeviz.takehome.report import write_report

    write_report(path, take_home_content())


def _glb(path: Path) -> None:
    from kneeviz.takehome.gltf import write_glb

    write_glb(path, take_home_content())


def _page(path: Path) -> None:
    from kneeviz.takehome.page import write_page

    write_page(path, take_home_content())


WRITERS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "scenario": (".kneeviz.json", _scenario),
    "data-json": (".json", _data),
    "data-csv": (".csv", _data),
    "data-npz": (".npz", _data),
    "png": (".png", _png),
    "gif": (".gif", _video),
    "mp4": (".mp4", _video),
    "report-pdf": (".pdf", _report),
    "glb": (".glb", _glb),
    "page-html": (".html", _page),
}


# -- real mounts when possible --------------------------------------------------------------------
@lru_cache(maxsize=1)
def mounts() -> dict[str, Path] | None:
    """A 4 MB tmpfs to fill and a read-only tmpfs, or None when this process cannot mount."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return None
    base = Path(tempfile.mkdtemp(prefix="kneeviz-hostile-"))
    full, ro = base / "full", base / "ro"
    full.mkdir()
    ro.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(full)],
                        capture_output=True).returncode == 0
    ok = ok and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(ro)],
                               capture_output=True).returncode == 0

    def unmount() -> None:
        for m in (full, ro):
            subprocess.run(["umount", "-l", str(m)], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)

    atexit.register(unmount)
    return {"full": full, "ro": ro} if ok else None


@contextlib.contextmanager
def full_disk(folder: Path) -> Iterator[Path]:
    """A folder on a file system with no space left (the old file written before filling it)."""
    m = mounts()
    if m is None:
        with _patched(atomic.os, "fsync", _raise(errno.ENOSPC)):
            yield folder
        return
    place = Path(tempfile.mkdtemp(dir=m["full"]))
    (place / "old").write_bytes(OLD)
    fd = os.open(place / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (1 << 16, 1 << 12, 1 << 8, 1):  # to the last byte
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * chunk) == chunk:
                    pass
    finally:
        os.close(fd)
    try:
        yield place
    finally:
        shutil.rmtree(place, ignore_errors=True)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    m = mounts()
    if m is None:
        (folder / "old").write_bytes(OLD)
        with _patched(atomic.os, "open", _raise(errno.EROFS)):
            yield folder
        return
    yield m["ro"]


def _raise(code: int) -> Callable[..., Any]:
    def fail(*_a: Any, **_k: Any) -> Any:
        raise OSError(code, os.strerror(code))
    return fail


@contextlib.contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TEMP_TAG in p.name)


def _check_untouched(folder: Path, target: Path, old: bytes | None) -> None:
    assert not _temps(folder), f"temporary files left: {_temps(folder)}"
    if old is not None:
        assert target.read_bytes() == old, "the old file was changed"


def _verify_written(target: Path, kind: str) -> None:
    data = target.read_bytes()
    assert data and data != OLD, "nothing new was written"
    if kind.endswith("npz"):
        with np.load(target, allow_pickle=False) as z:
            assert z["converged"].all()
    elif target.suffix == ".png":
        assert data.startswith(b"\x89PNG")
    elif target.suffix == ".gif":
        assert data.startswith(b"GIF8")
    elif target.suffix == ".mp4":
        assert b"ftyp" in data[:64]
    elif target.suffix == ".json":
        import json

        json.loads(data)
    elif target.suffix == ".pdf":
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:], "not a whole PDF"
    elif target.suffix == ".glb":
        assert data[:4] == b"glTF" and int.from_bytes(data[8:12], "little") == len(data), \
            "not a whole .glb"
    elif target.suffix == ".html":
        assert data.startswith(b"<!DOCTYPE html>") and data.rstrip().endswith(b"</html>"), \
            "not a whole page"


# -- the cases ------------------------------------------------------------------------------------
def _case(kind: str, condition: str, run: Callable[[Path], str],
          expect: tuple[str, ...] = (REFUSED,)) -> Case:
    return Case("output", f"{kind}-{condition}", run, names=("out", "n" * 20, "missing", "file"),
                expect=expect, timeout_s=60.0)


def writer_cases() -> list[Case]:
    out: list[Case] = []
    for kind, (suffix, write) in WRITERS.items():
        def ok(folder: Path, suffix: str = suffix, write=write, kind: str = kind) -> str:  # type: ignore[no-untyped-def]
            target = folder / f"out{suffix}"
            target.write_bytes(OLD)
            write(target)
            _verify_written(target, kind)
            assert not _temps(folder), "temporary files left"
            return RESULT

        def full(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            with full_disk(folder) as place:
                target = place / f"out{suffix}"
                os.replace(place / "old", target) if (place / "old").exists() else \
                    target.write_bytes(OLD)
                try:
                    write(target)
                finally:
                    _check_untouched(place, target, OLD)
            raise AssertionError("wrote onto a full disk")

        def ro(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            with read_only(folder) as place:
                target = place / f"out{suffix}"
                try:
                    write(target)
                finally:
                    _check_untouched(place, target, OLD if target.exists() else None)
            raise AssertionError("wrote onto a read-only file system")

        def long_name(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            target = folder / ("n" * 300 + suffix)
            try:
                write(target)
            finally:
                _check_untouched(folder, target, None)
            raise AssertionError("wrote a 300-character name")

        def missing(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            write(folder / "missing" / f"out{suffix}")
            raise AssertionError("wrote into a missing folder")

        def folder_in_way(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            target = folder / f"out{suffix}"
            target.mkdir()
            (target / "keep").write_bytes(OLD)
            try:
                write(target)
            finally:
                assert (target / "keep").read_bytes() == OLD, "the folder's content was lost"
                _check_untouched(folder, target / "keep", OLD)
            raise AssertionError("wrote over a folder")

        def interrupted(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            target = folder / f"out{suffix}"
            target.write_bytes(OLD)

            def ctrl_c(*_a: Any, **_k: Any) -> Any:
                raise KeyboardInterrupt

            try:
                with _patched(atomic.os, "fsync", ctrl_c):
                    write(target)
            except KeyboardInterrupt:
                _check_untouched(folder, target, OLD)
                return INTERRUPTED
            raise AssertionError("the interrupt was swallowed")

        def through_link(folder: Path, suffix: str = suffix, write=write,  # type: ignore[no-untyped-def]
                         kind: str = kind, dangling: bool = False) -> str:
            """An output path that is a symbolic link is written through: the file it leads to
            is replaced (or created), the link stays a link (issue 26: it was replaced by a
            regular file)."""
            (folder / "real").mkdir()
            real = folder / "real" / f"results{suffix}"
            if not dangling:
                real.write_bytes(OLD)
            link = folder / f"out{suffix}"
            link.symlink_to(Path("real") / real.name)
            write(link)
            assert link.is_symlink(), "the link was replaced by a regular file"
            _verify_written(real, kind)
            assert not _temps(folder) and not _temps(folder / "real"), "temporary files left"
            return RESULT

        def link_to_device(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            link = folder / f"out{suffix}"
            link.symlink_to("/dev/full")
            try:
                write(link)
            finally:
                assert link.is_symlink() and os.readlink(link) == "/dev/full", "the link changed"
                _check_untouched(folder, link, None)
            raise AssertionError("wrote through a link to a device (or replaced the link)")

        def link_loop(folder: Path, suffix: str = suffix, write=write) -> str:  # type: ignore[no-untyped-def]
            a, b = folder / f"out{suffix}", folder / f"other{suffix}"
            a.symlink_to(b.name)
            b.symlink_to(a.name)
            try:
                write(a)
            finally:
                assert a.is_symlink() and b.is_symlink(), "a link was replaced"
                _check_untouched(folder, a, None)
            raise AssertionError("wrote a loop of links")

        out += [
            _case(kind, "through-a-link", through_link, (RESULT,)),
            _case(kind, "through-a-dangling-link",
                  lambda f, t=through_link: t(f, dangling=True), (RESULT,)),
            _case(kind, "link-to-dev-full", link_to_device),
            _case(kind, "link-loop", link_loop),
            _case(kind, "ok", ok, (RESULT,)),
            _case(kind, "full-disk", full),
            _case(kind, "read-only", ro),
            _case(kind, "long-name", long_name),
            _case(kind, "missing-folder", missing),
            _case(kind, "folder-in-the-way", folder_in_way),
            _case(kind, "interrupted", interrupted, (INTERRUPTED,)),
        ]
    return out


CHILD = """
import sys, time
from kneeviz.atomic import atomic_write_with
def slow(tmp):
    with open(tmp, "wb") as fh:
        fh.write(b"partial")
        fh.flush()
        print("writing", flush=True)
        time.sleep(60)
atomic_write_with(sys.argv[1], slow)
"""


def _signal_case(sig: signal.Signals) -> Case:
    def run(folder: Path) -> str:
        target = folder / "out.json"
        target.write_bytes(OLD)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(target)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        assert _temps(folder), "no temporary file while writing"
        child.send_signal(sig)
        child.wait(timeout=20)
        if sig == signal.SIGKILL:
            assert _temps(folder), "SIGKILL cannot be caught: its temp file should be left"
            assert target.read_bytes() == OLD
            atomic.atomic_write_text(target, "new\n")  # the next write sweeps the stale one
            assert not _temps(folder), f"stale temp not swept: {_temps(folder)}"
            assert target.read_text() == "new\n"
            return INTERRUPTED
        assert "Traceback" not in child.stderr.read() or sig == signal.SIGINT
        _check_untouched(folder, target, OLD)
        return INTERRUPTED
    return Case("output", f"signal-{sig.name}", run, expect=(INTERRUPTED,), timeout_s=40.0)


DEFERRED_CHILD = """
import os, signal, sys
from kneeviz.atomic import check_interrupt, interrupts_between_steps, new_temp
tmp = new_temp(sys.argv[1])
open(tmp, "wb").close()
try:
    with interrupts_between_steps():
        os.kill(os.getpid(), signal.SIGINT)
        print("went on", os.path.exists(tmp), flush=True)  # one step finishes, its temp is gone
        check_interrupt()
        print("check_interrupt did not raise", flush=True)
except KeyboardInterrupt:
    print("raised at the step boundary", flush=True)
try:
    with interrupts_between_steps():
        os.kill(os.getpid(), signal.SIGINT)  # the process is already stopping: raises at once
        print("a second Ctrl-C was deferred too", flush=True)
except KeyboardInterrupt:
    print("second raised at once", flush=True)
"""


def _deferred_interrupt_case() -> Case:
    """Inside `interrupts_between_steps` a Ctrl-C removes the temp files at once and raises only
    at the next step boundary (a KeyboardInterrupt inside a VTK import segfaulted a render);
    a second Ctrl-C is not deferred."""
    def run(folder: Path) -> str:
        done = subprocess.run([sys.executable, "-c", DEFERRED_CHILD, str(folder / "out.mp4")],
                              capture_output=True, text=True, timeout=60)
        assert done.stdout.splitlines() == ["went on False", "raised at the step boundary",
                                            "second raised at once"], done.stdout + done.stderr
        assert not _temps(folder)
        return INTERRUPTED
    return Case("output", "ctrl-c-deferred-to-a-step", run, expect=(INTERRUPTED,), timeout_s=60.0)


def _render_signal_case(sig: signal.Signals, after_s: float = 1.0) -> Case:
    """A real `kneeviz render` MP4 told to stop while encoding (`after_s` after its temp file
    appears; 0.2 s lands in the first frame, where VTK modules are still being imported): no
    temp file, exit 130/143, no crash."""
    def run(folder: Path) -> str:
        target = folder / "squat.mp4"
        child = subprocess.Popen([sys.executable, "-m", "kneeviz", "render", "--size", "160x128",
                                  "--out", str(target)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while not _temps(folder):
            assert child.poll() is None, "render ended before it started writing"
            assert time.monotonic() < deadline, "render never started writing"
            time.sleep(0.2)
        time.sleep(after_s)
        child.send_signal(sig)
        child.wait(timeout=30)
        err = child.stderr.read() if child.stderr else ""
        assert "Traceback" not in err, err[-400:]
        assert child.returncode in (130, -sig, 128 + sig), f"exit {child.returncode}: {err[-300:]}"
        assert not target.exists(), "a video was published"
        _check_untouched(folder, target, None)
        return INTERRUPTED
    name = f"render-mp4-{sig.name}" + ("" if after_s >= 1.0 else "-first-frame")
    return Case("output", name, run, expect=(INTERRUPTED,), timeout_s=120.0, marks=("slow",))


def _caption_case() -> Case:
    """A caption whose title is 4.9 million characters (a scenario's name, before names were
    bounded): Pillow refuses such a string ("too many characters in string"); the caption draws
    what fits, at its own size."""
    def run(folder: Path) -> str:
        from kneeviz.scene.render import CAPTION_FG, caption_height, draw_caption

        strip = draw_caption((320, 240), [[("8" * 4_900_000, CAPTION_FG)],
                                          [("kneecap tilt +1.0 deg", CAPTION_FG)]])
        assert strip.shape == (caption_height((320, 240)), 320, 3)
        return RESULT
    return Case("output", "caption-title-4.9M-characters", run, expect=(RESULT,))


SIMULATE_CTRL_C = """
import atexit, os, runpy, signal, sys
mode = sys.argv[1]
sys.argv = ["kneeviz", *sys.argv[2:]]


def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


if mode == "at-exit":  # the command has returned: Python is tearing down
    atexit.register(ctrl_c)
else:
    import kneeviz.atomic as atomic

    # only the output's own write: the cache's entries (an empty cache fills on the way) are
    # written the same way, and a Ctrl-C during one of them is another case
    out_folder = os.path.dirname(os.path.abspath(sys.argv[-1]))

    def is_output(path):
        here = os.path.abspath(str(path))
        return here == out_folder or os.path.dirname(here) == out_folder

    if mode == "after-rename":  # the new file is in place, the command not yet done
        done = atomic.fsync_folder

        def fsync_folder(folder):
            done(folder)
            if is_output(folder):
                ctrl_c()

        atomic.fsync_folder = fsync_folder
    else:  # "before-rename": the temporary file is written, not yet renamed
        chmod = os.chmod

        def slow_chmod(path, mode):
            if is_output(path):
                ctrl_c()
            return chmod(path, mode)

        atomic.os.chmod = slow_chmod
runpy.run_module("kneeviz", run_name="__main__", alter_sys=True)
"""


def _simulate_ctrl_c_case(mode: str) -> Case:
    """Ctrl-C while `kneeviz simulate` writes its JSON (issue 26): before the file's rename a
    clean interruption (exit 130, one line, the old file intact, no temporary file); after it a
    completed write (exit 0, the new file whole, no traceback). Before, a Ctrl-C after the rename
    said "interrupted" (exit 130) of a complete file, and one during Python's exit printed a
    KeyboardInterrupt traceback from atomic.py's handler and exited 0."""
    def run(folder: Path) -> str:
        import json

        target = folder / "out.json"
        target.write_bytes(OLD)
        done = subprocess.run(
            [sys.executable, "-c", SIMULATE_CTRL_C, mode, "simulate", "--max-flexion", "30",
             "--frame-rate", "5", "--out", str(target)],
            capture_output=True, text=True, timeout=150)
        err = done.stderr
        assert "Traceback" not in err and "Exception ignored" not in err, err[-600:]
        assert not _temps(folder), f"temporary files left: {_temps(folder)}"
        if mode == "before-rename":
            assert done.returncode == 130, f"exit {done.returncode}: {err[-300:]}"
            assert err.strip().splitlines() == ["kneeviz: interrupted"], err[-300:]
            assert target.read_bytes() == OLD, "the old file was replaced"
            return INTERRUPTED
        assert done.returncode == 0, f"exit {done.returncode}: {err[-300:]}"
        assert json.loads(target.read_text())["frames"], "the new file is not whole"
        return RESULT
    expect = (INTERRUPTED,) if mode == "before-rename" else (RESULT,)
    return Case("output", f"simulate-json-ctrl-c-{mode}", run, expect=expect, timeout_s=160.0)


def _take_home(folder: Path) -> list[Any]:
    from kneeviz.takehome.folder import write_take_home

    return write_take_home(folder, take_home_content(), video=False)


def take_home_cases() -> list[Case]:
    """The take-home folder: made if missing, refused when it is a file or cannot be written;
    the files of an earlier visit are replaced whole or left as they were."""
    from kneeviz.takehome.folder import PAGE_NAME, REPORT_NAME

    def ok(folder: Path) -> str:
        out = folder / "visit"
        out.mkdir()
        (out / REPORT_NAME).write_bytes(OLD)
        written = _take_home(out)
        assert [w.path.name for w in written] == [REPORT_NAME, PAGE_NAME], written
        _verify_written(out / REPORT_NAME, "pdf")
        _verify_written(out / PAGE_NAME, "html")
        assert not _temps(out), "temporary files left"
        return RESULT

    def made(folder: Path) -> str:
        _take_home(folder / "new-visit")
        _verify_written(folder / "new-visit" / REPORT_NAME, "pdf")
        return RESULT

    def is_a_file(folder: Path) -> str:
        (folder / "visit").write_bytes(OLD)
        try:
            _take_home(folder / "visit")
        finally:
            assert (folder / "visit").read_bytes() == OLD, "the file was changed"
        raise AssertionError("wrote into a file")

    def named_like_a_file(folder: Path) -> str:
        _take_home(folder / "visit.pdf")
        raise AssertionError("took a file name for a folder")

    def missing_parent(folder: Path) -> str:
        _take_home(folder / "missing" / "visit")
        raise AssertionError("wrote into a missing folder")

    def full(folder: Path) -> str:
        with full_disk(folder) as place:
            target = place / REPORT_NAME
            os.replace(place / "old", target) if (place / "old").exists() else \
                target.write_bytes(OLD)
            try:
                _take_home(place)
            finally:
                _check_untouched(place, target, OLD)
        raise AssertionError("wrote onto a full disk")

    def ro(folder: Path) -> str:
        with read_only(folder) as place:
            try:
                _take_home(place)
            finally:
                assert not _temps(place), "temporary files left"
        raise AssertionError("wrote onto a read-only file system")

    names = ("visit", "missing", "folder", "file", "space", "only")
    return [Case("output", f"take-home-{n}", run, names=names, expect=expect, timeout_s=120.0)
            for n, run, expect in (("ok", ok, (RESULT,)), ("made", made, (RESULT,)),
                                   ("is-a-file", is_a_file, (REFUSED,)),
                                   ("named-like-a-file", named_like_a_file, (REFUSED,)),
                                   ("missing-parent", missing_parent, (REFUSED,)),
                                   ("full-disk", full, (REFUSED,)),
                                   ("read-only", ro, (REFUSED,)))]


def cases() -> list[Case]:
    return ([_caption_case()]
            + [_simulate_ctrl_c_case(m) for m in ("before-rename", "after-rename", "at-exit")]
            + writer_cases() + take_home_cases()
            + [_signal_case(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL)]
            + [_deferred_interrupt_case()]
            + [_render_signal_case(s) for s in (signal.SIGINT, signal.SIGTERM)]
            + [_render_signal_case(signal.SIGINT, after_s=0.2)])
