"""Why a path a user typed cannot be read or written, in words that point at the part to fix.

The operating system says only "Not a directory" for `femur.stl/extra.stl` (a path that goes
through a regular file) and "No such file or directory" whether the file or a folder above it is
missing; these helpers find which component is at fault so a message can name it. No Qt here: the
model layer's mesh loader uses them too.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


def _kind(p: Path) -> str:
    """"folder", "file" (anything else that exists), "missing" or "unknown" (cannot be checked,
    e.g. permission denied on a folder above it)."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return "missing"
    except NotADirectoryError:
        return "missing"  # something above it is a file (found by the caller's walk)
    except OSError:
        return "unknown"
    import stat

    return "folder" if stat.S_ISDIR(st.st_mode) else "file"


def _first_above(path: str | Path, wanted: str) -> Path | None:
    """Walking down from the root to `path`'s last component, the first component of kind
    `wanted`, provided every component before it is a folder; else None."""
    for parent in reversed(Path(path).parents):
        kind = _kind(parent)
        if kind == wanted:
            return parent
        if kind != "folder":
            return None
    return None


def blocking_file(path: str | Path) -> Path | None:
    """The first component above `path`'s last one that exists but is not a folder (so nothing
    can be inside it), else None. `femur.stl/extra.stl` -> `femur.stl` when that is a file."""
    return _first_above(path, "file")


def missing_folder(path: str | Path) -> Path | None:
    """The first folder above `path`'s last component that does not exist, else None."""
    return _first_above(path, "missing")


def not_a_folder(blocker: Path) -> str:
    return f"{blocker} is a file, not a folder, so no file can be inside it"


def read_problem(path: str | Path) -> str | None:
    """Why `path` cannot be opened when a folder on the way is the problem (a file where a
    folder should be, or a missing folder), with what to do; None when the folders are fine."""
    blocker = blocking_file(path)
    if blocker is not None:
        return (f"{not_a_folder(blocker)}; give the path of the file itself (is it {blocker}?)")
    missing = missing_folder(path)
    if missing is not None:
        return f"the folder {missing} does not exist; check the path and its spelling"
    return None


def folder_problem(folder: str | Path) -> str | None:
    """Why a new file cannot be saved in `folder` (it is a file, it or a folder above it does not
    exist), with what to do; None when it is an existing folder."""
    f = Path(folder) if str(folder) else Path(".")
    kind = _kind(f)
    if kind == "folder":
        return None
    blocker = f if kind == "file" else blocking_file(f)
    if blocker is not None:
        return f"{not_a_folder(blocker)}; choose a folder to save in"
    if kind == "missing":
        missing = missing_folder(f) or f
        return f"the folder {missing} does not exist; create it first or choose another folder"
    return f"the folder {f} cannot be checked (permission denied?); choose another folder"


def is_not_a_directory(exc: OSError) -> bool:
    """True when the OS refused a path because a component of it is a file ("Not a directory")."""
    return isinstance(exc, NotADirectoryError) or exc.errno == errno.ENOTDIR
