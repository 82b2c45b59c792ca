"""Every file kneeviz writes is written atomically: readers see the old file or the whole new one.

A temporary file in the same folder (same file system, so the rename is atomic) is written,
flushed and fsynced, then renamed over the target, and the folder is fsynced so the rename itself
survives a power cut. Any failure (a full disk, a read-only folder, an interrupt) removes the
temporary file and leaves an existing file untouched. Temporary files still open when the process
is told to stop (SIGINT, SIGTERM) are removed before it exits. No Qt here: every layer writes
through these helpers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem

_live: set[str] = set()
"""Temporary files being written now (removed if the process is told to stop)."""
_lock = threading.Lock()
_installed = False


def _cleanup_live() -> None:
    with _lock:
        names = list(_live)
        _live.clear()
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _install_signal_cleanup() -> None:
    """Chain a handler for SIGTERM (and SIGINT's default) that removes live temporary files
    first. Only from the main thread (Python's rule for signal handlers); elsewhere the
    try/finally of the writer is the only cleanup."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: FrameType | None, _prev: Any = previous) -> None:
            _cleanup_live()
            if callable(_prev):
                _prev(signum, frame)
            elif _prev == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, handler)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX only; elsewhere a no-op)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _mode_for(target: Path) -> int:
    """Keep an existing file's permission bits; a new file gets the user's umask."""
    with contextlib.suppress(OSError):
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | Path, *, what: str = "save") -> Iterator[Path]:
    """A temporary path beside `path` to write to; on a clean exit it is fsynced and renamed over
    `path`, on any error it is removed and `path` is left as it was.

    For writers that want a file name of their own (numpy's savez, a video encoder). OSError
    becomes a one-line KneevizError naming `path`."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    problem = folder_problem(folder)
    if problem is not None:
        raise KneevizError(f"cannot {what} here: {problem}", target)
    _install_signal_cleanup()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix,
                                        dir=folder)
        os.close(fd)
    except OSError as exc:
        raise KneevizError(f"cannot {what} here: {exc.strerror or exc}", target) from None
    with _lock:
        _live.add(tmp_name)
    try:
        yield Path(tmp_name)
        with open(tmp_name, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp_name, _mode_for(target))
        os.replace(tmp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise KneevizError(f"could not {what}: {exc.strerror or exc}", target) from None
        raise
    finally:
        with _lock:
            _live.discard(tmp_name)
    fsync_folder(folder)


def atomic_write_bytes(path: str | Path, data: bytes, *, what: str = "save") -> None:
    """Write `data` to `path` atomically (see the module docstring)."""
    with atomic_path(path, what=what) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()


def atomic_write_text(path: str | Path, text: str, *, what: str = "save") -> None:
    """Write `text` (UTF-8, newlines as written) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), what=what)


def atomic_write_with(path: str | Path, write: Callable[[Path], None], *,
                      what: str = "save") -> None:
    """Call `write(temporary_path)`, then put the result at `path` atomically."""
    with atomic_path(path, what=what) as tmp:
        write(tmp)
