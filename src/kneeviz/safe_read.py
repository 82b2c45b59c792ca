"""Reading a file a user named, bounded: one policy for every input file (meshes, scenarios).

A path can be anything: a FIFO (opening it blocks until some writer appears, forever), /dev/zero
(reading it never ends), a folder, a 5,000-character string, `~/x` when HOME is unset. Each of
these becomes one KneevizError naming the path and what to do, raised BEFORE the file is opened
where opening itself could hang. The file is opened non-blocking and checked again on the open
descriptor (so a file swapped for a FIFO between the check and the open is still refused), and
never more than the caller's limit is read. No Qt here: the model layer reads through this.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from kneeviz.errors import KneevizError
from kneeviz.file_paths import read_problem

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device (like /dev/zero)"),
    (stat.S_ISBLK, "a disk device"),
    (stat.S_ISSOCK, "a socket"),
)


MAX_SHOWN_PATH = 160


def shown(path: str | Path) -> str:
    """`path` for a message: a path too long to be real is cut in the middle (a 5,000-character
    path would otherwise be the whole message)."""
    text = str(path)
    if len(text) <= MAX_SHOWN_PATH:
        return text
    return f"{text[:100]}...{text[-40:]} ({len(text):,} characters)"


def expand_user(path: str | Path, what: str = "file") -> Path:
    """`path` with a leading `~` expanded; a `~` that cannot be expanded (HOME unset, unknown
    user) is a KneevizError rather than Python's RuntimeError."""
    p = Path(path)
    if not str(p).startswith("~"):
        return p
    try:
        return p.expanduser()
    except RuntimeError:
        raise KneevizError(
            f"cannot expand '~' in the {what} path (the home folder is not known: HOME is not "
            "set); give the full path",
            path,
        ) from None


def os_problem(exc: OSError, p: Path, what: str = "file") -> str:
    """Why the OS refused `p`, in words saying what to do."""
    if exc.errno == errno.ENAMETOOLONG:
        return (f"the path is too long for the file system ({len(str(p)):,} characters); "
                "give a shorter path")
    if exc.errno == errno.ELOOP:
        return "the path goes round a loop of symbolic links; give the real file's path"
    where = None
    with contextlib.suppress(OSError):
        where = read_problem(p)
    if where is not None:
        return f"cannot read {what}: {where}"
    if isinstance(exc, FileNotFoundError):
        return f"{what} not found: no such file; check the path and its spelling"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied; check the file's permissions"
    return f"cannot be read ({exc.strerror or exc}); check the path"


def regular_file_stat(path: str | Path, what: str = "file") -> os.stat_result:
    """stat() of `path`, which must be a regular file; anything else (missing, a folder, a FIFO,
    a device, a socket, an unusable path) is a KneevizError naming it. Never opens the file."""
    p = Path(path)
    try:
        st = os.stat(p)
    except (OSError, ValueError) as exc:  # ValueError: an embedded NUL byte
        if isinstance(exc, ValueError):
            raise KneevizError(f"is not a usable {what} path (it contains a NUL byte)",
                               repr(str(path))) from None
        raise KneevizError(os_problem(exc, p, what), shown(p)) from None
    _refuse_kind(st, p, what)
    return st


def _refuse_kind(st: os.stat_result, p: Path, what: str) -> None:
    if stat.S_ISREG(st.st_mode):
        return
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise KneevizError(
                f"is {kind}, not a regular file; give the path of the {what} itself", p)
    raise KneevizError(f"is not a regular file; give the path of a {what}", p)


def read_bounded(path: str | Path, max_bytes: int, what: str = "file",
                 too_large: str = "") -> bytes:
    """The bytes of the regular file `path`, refusing (before reading) one over `max_bytes`.

    `too_large` is what to do about a file over the limit (appended to the message)."""
    p = Path(path)
    st = regular_file_stat(p, what)
    if st.st_size > max_bytes:
        raise KneevizError(_size_message(st.st_size, max_bytes, what, too_large), p)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        raise KneevizError(os_problem(exc, p, what), shown(p)) from None
    try:
        _refuse_kind(os.fstat(fd), p, what)  # swapped after the check: still refused
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 24, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # grew while being read
                raise KneevizError(_size_message(total, max_bytes, what, too_large), p)
    except OSError as exc:
        raise KneevizError(f"cannot be read ({exc.strerror or exc})", p) from None
    except MemoryError:
        raise KneevizError(f"is too large to read into memory (the limit is "
                           f"{_human(max_bytes)})", p) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _human(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _size_message(size: int, max_bytes: int, what: str, too_large: str) -> str:
    return (f"is too large for a {what} ({_human(size)}; the limit is {_human(max_bytes)})"
            + (f"; {too_large}" if too_large else ": is it the right file?"))
