"""Every file kneeviz writes is written atomically: readers see the old file or the whole new one.

A temporary file in the same folder (same file system, so the rename is atomic) is written,
flushed and fsynced, then renamed over the target, and the folder is fsynced so the rename itself
survives a power cut. Any failure (a full disk, a read-only folder, an interrupt) removes the
temporary file and leaves an existing file untouched. Temporary files still open when the process
is told to stop (SIGINT, SIGTERM) are removed before it exits; those of a process killed outright
(SIGKILL) carry its pid in a recognisable name and are swept by the next write into the folder.
No Qt here: every layer writes through these helpers.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem
from kneeviz.safe_read import shown

_live: set[str] = set()
"""Temporary files being written now (removed if the process is told to stop)."""
_lock = threading.Lock()
_installed = False


_stopping = threading.Event()
"""Set when SIGINT/SIGTERM arrived: a writer failing afterwards (its temp file removed, its
encoder's pipe broken by the same Ctrl-C) is being interrupted, not failing."""


def stopping() -> bool:
    """Whether the process was told to stop (see _stopping)."""
    return _stopping.is_set()


def remove_live_temps() -> None:
    """Remove every temporary file still being written (the process is ending: none of them
    will be finished)."""
    with _lock:
        names = list(_live)
        _live.clear()
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def install_signal_cleanup() -> None:
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
            if _prev == signal.SIG_IGN:  # the program ignores it: nothing stops, keep writing
                return
            first = not _stopping.is_set()
            _stopping.set()
            remove_live_temps()
            if first and signum == signal.SIGINT and _deferring:
                return  # raised at the next step boundary, by check_interrupt()
            if callable(_prev):
                _prev(signum, frame)
            elif _prev == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, handler)


_deferring = 0
"""Depth of `interrupts_between_steps()` blocks now open (main thread only)."""
_published_in_block = 0
"""Files published (renamed into place) inside the open `interrupts_between_steps()` blocks."""


@contextlib.contextmanager
def interrupts_between_steps() -> Iterator[None]:
    """Inside this block a first Ctrl-C removes the live temporary files at once but raises
    KeyboardInterrupt only at the next `check_interrupt()`; a second Ctrl-C interrupts at once.

    Why: Python raises KeyboardInterrupt wherever the main thread runs Python code, and that
    includes code run from inside C libraries. A VTK extension module interrupted while it
    initialises (pyvista imports them lazily, during the first frame) leaves VTK's own module
    table half-built and the next import segfaults (seen: SIGSEGV in vtkPythonUtil::AddModule
    after a Ctrl-C in the first second of `kneeviz render`). Long loops call check_interrupt()
    between their steps (frames solved, frames drawn), so the interrupt still lands within one
    step.

    A file published inside the block is the commit point of what the block writes: a Ctrl-C
    that came before its rename makes `publish` raise (the old file stays, the new one is
    discarded: a clean interruption); one that came after it interrupts nothing (the file is
    whole), so the block completes normally and the command exits 0. Reporting "interrupted"
    (exit 130) for a complete file, or a traceback, would have a script throw away or redo a
    result that was written."""
    global _deferring, _published_in_block
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    install_signal_cleanup()
    if not _deferring:
        _published_in_block = 0
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if _published_in_block and not _deferring:
        _stopping.clear()  # the Ctrl-C came after the commit: the write completed
    check_interrupt()  # a Ctrl-C during the block's last step is not lost


def check_interrupt() -> None:
    """Raise KeyboardInterrupt if the process was told to stop (a deferred Ctrl-C)."""
    if _stopping.is_set():
        raise KeyboardInterrupt


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


TEMP_TAG = ".kneeviz-tmp"
"""Every temporary file is named `.<target name>.<pid>-<random>.kneeviz-tmp<suffix>`: hidden,
recognisable as kneeviz's, and carrying the writer's process id, so one left behind by a killed
process (SIGKILL cannot be caught) is swept by the next write into that folder."""
_TEMP_RE = re.compile(r"^\..*\.(\d+)-[A-Za-z0-9]+" + re.escape(TEMP_TAG) + r"(\.[^.]*)?$")
_NAME_KEEP = 120
"""Characters of the target's name kept in its temporary name (which must fit NAME_MAX too)."""


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def sweep_stale(folder: str | Path) -> int:
    """Remove temporary files in `folder` left by kneeviz processes that no longer run (killed
    mid-write); returns how many. Files of running writers are left alone."""
    removed = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.startswith(".") or TEMP_TAG not in entry.name:
                continue
            m = _TEMP_RE.match(entry.name)
            if m is None or _pid_alive(int(m.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _folder_of(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def output_target(path: str | Path, *, what: str = "save") -> Path:
    """The file a write to `path` replaces. A symbolic link is written THROUGH: its target (at
    the end of every link) is replaced atomically and the link stays, pointing at the new file,
    as the user who made the link meant (before, the rename replaced the link itself with a
    regular file). A link to something that is not a file (a device such as /dev/full, a FIFO,
    a socket) or a loop of links is refused, as is such a thing given directly: kneeviz writes
    files only, and renaming over /dev/full would replace the device itself."""
    import stat

    p = Path(path)
    target = p
    try:
        is_link = p.is_symlink()
    except (OSError, ValueError):  # a name too long, a NUL byte: the write itself says so
        is_link = False
    if is_link:
        try:
            target = p.resolve(strict=True)
        except FileNotFoundError:  # a dangling link: the file it names is created
            target = Path(os.path.realpath(p))
        except (OSError, RuntimeError):
            raise KneevizError(f"cannot {what}: it is a symbolic link that leads to itself (a "
                               "loop of links); give the path of a file", shown(p)) from None
    try:
        mode = os.stat(target).st_mode
    except (OSError, ValueError):
        return target  # missing (to be created), or a problem the write itself reports
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):  # a folder in the way: the write says so
        return target
    kind = ("a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    via = f"is a link to {shown(target)}, {kind}" if target != p else f"is {kind}"
    raise KneevizError(f"cannot {what}: it {via}, not a file; kneeviz writes files only: give "
                       "the path of a file", shown(p))


def preflight(path: str | Path, *, what: str = "save") -> Path:
    """Say now, before minutes of solving or rendering, why `path` cannot be written: a folder
    problem, a name too long for the file system, a read-only folder or file system (a test
    file is created and removed). Returns `path` as a Path."""
    given = Path(path)
    target = output_target(given, what=what)
    folder = _folder_of(target)
    problem = folder_problem(folder)
    if problem is not None:
        raise KneevizError(f"cannot {what} here: {problem}", shown(target))
    name_max = 255
    with contextlib.suppress(OSError, ValueError, AttributeError):
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    if len(os.fsencode(target.name)) > name_max:
        raise KneevizError(
            f"cannot {what}: the file name is {len(os.fsencode(target.name))} bytes long, more "
            f"than this file system allows ({name_max}); choose a shorter name",
            shown(target),
        )
    tmp = new_temp(target, what=what)
    discard(tmp)
    return given


def new_temp(target: str | Path, *, what: str = "save") -> Path:
    """Create (empty, 0600) and register a temporary file beside `target`; it is removed if the
    process is told to stop before `publish` or `discard`. Stale ones are swept first. For a
    symbolic link, beside the file it leads to (output_target)."""
    target = output_target(target, what=what)
    folder = _folder_of(target)
    sweep_stale(folder)
    install_signal_cleanup()
    if not _deferring:  # a new write after an interrupt: the program chose to go on (a
        _stopping.clear()  # deferred Ctrl-C stays pending: publish refuses to commit)
    stem = target.name[:_NAME_KEEP]
    suffix = target.suffix if len(target.suffix) <= 16 else ""
    for _ in range(100):
        name = folder / f".{stem}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_TAG}{suffix}"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise KneevizError(f"cannot {what} here: {exc.strerror or exc}",
                               shown(target)) from None
        os.close(fd)
        with _lock:
            _live.add(str(name))
        return name
    raise KneevizError(f"cannot {what} here: no free temporary name", shown(target))


def discard(tmp: str | Path) -> None:
    """Remove a temporary file (never raises)."""
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    with _lock:
        _live.discard(str(tmp))


def publish(tmp: str | Path, target: str | Path, *, what: str = "save") -> Path:
    """fsync `tmp`, give it the target's permissions and rename it over `target`; on failure
    remove it and raise a one-line KneevizError naming `target` (which is left as it was)."""
    global _published_in_block
    given = Path(target)
    target = output_target(given, what=what)
    if stopping():  # told to stop (the temp file is already gone): never publish half a file
        discard(tmp)
        raise KeyboardInterrupt
    try:
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
        if stopping():  # a deferred Ctrl-C during the fsync: still before the commit
            raise KeyboardInterrupt
        os.replace(tmp, target)
    except OSError as exc:
        discard(tmp)
        if stopping():  # the Ctrl-C's clean-up removed the temp file under us
            raise KeyboardInterrupt from None
        raise KneevizError(f"could not {what}: {exc.strerror or exc}", shown(target)) from None
    except BaseException:
        discard(tmp)
        raise
    if _deferring and threading.current_thread() is threading.main_thread():
        _published_in_block += 1  # committed: see interrupts_between_steps
    with _lock:
        _live.discard(str(tmp))
    fsync_folder(_folder_of(target))
    return given


@contextlib.contextmanager
def atomic_path(path: str | Path, *, what: str = "save") -> Iterator[Path]:
    """A temporary path beside `path` to write to; on a clean exit it is fsynced and renamed over
    `path`, on any error it is removed and `path` is left as it was.

    For writers that want a file name of their own (numpy's savez, a video encoder). OSError
    becomes a one-line KneevizError naming `path`."""
    target = output_target(path, what=what)
    problem = folder_problem(_folder_of(target))
    if problem is not None:
        raise KneevizError(f"cannot {what} here: {problem}", shown(target))
    tmp = new_temp(target, what=what)
    try:
        yield tmp
    except OSError as exc:
        discard(tmp)
        raise KneevizError(f"could not {what}: {exc.strerror or exc}", shown(target)) from None
    except BaseException:
        discard(tmp)
        raise
    publish(tmp, target, what=what)


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
