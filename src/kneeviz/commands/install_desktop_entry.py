"""`kneeviz install-desktop-entry`: put kneeviz in the desktop's application menu (Linux).

Writes the freedesktop entry (kneeviz/desktop/kneeviz.desktop, its Exec line pointing at this
kneeviz: the bundle's binary, the installed `kneeviz` command, or this Python running kneeviz)
to $XDG_DATA_HOME/applications and the icon to the hicolor theme beside it. Every file is
written atomically (a temporary file in the same folder, then a rename), so a menu never sees
half an entry; running it again replaces the files.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from pathlib import Path

from kneeviz.errors import KneevizError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, metavar="FOLDER",
                        help="XDG data folder to write to (default: $XDG_DATA_HOME or "
                             "~/.local/share)")


def data_home() -> Path:
    """$XDG_DATA_HOME, else ~/.local/share (platformdirs' base user data folder)."""
    import platformdirs

    return Path(platformdirs.user_data_dir())


def exec_command() -> str:
    """The Exec= command that starts this kneeviz."""
    if getattr(sys, "frozen", False):  # the PyInstaller bundle
        return shlex.quote(sys.executable)
    found = shutil.which("kneeviz")
    if found:
        return shlex.quote(str(Path(found).resolve()))
    return f"{shlex.quote(sys.executable)} -m kneeviz"


def write_atomically(path: Path, data: bytes) -> None:
    """`data` to `path` through kneeviz.atomic (temporary file in the same folder, rename)."""
    from kneeviz.atomic import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data, what="write the desktop entry")


def desktop_entry() -> str:
    """The shipped entry with Exec pointing at this kneeviz."""
    from kneeviz.resources import package_path

    text = (package_path("desktop") / "kneeviz.desktop").read_text(encoding="utf-8")
    return "\n".join(f"Exec={exec_command()} %F" if ln.startswith("Exec=") else ln
                     for ln in text.splitlines()) + "\n"


def run(args: argparse.Namespace) -> int:
    from kneeviz.resources import icon_dir

    if sys.platform == "win32" or sys.platform == "darwin":
        raise KneevizError("desktop entries are for Linux desktops: on Windows and macOS start "
                           "kneeviz from the app bundle's folder")
    base = args.data_dir or data_home()
    written: list[Path] = []
    try:
        entry = base / "applications" / "kneeviz.desktop"
        write_atomically(entry, desktop_entry().encode("utf-8"))
        written.append(entry)
        for png in sorted(icon_dir().glob("kneeviz-*.png")):
            px = png.stem.split("-")[-1]
            out = base / "icons" / "hicolor" / f"{px}x{px}" / "apps" / "kneeviz.png"
            write_atomically(out, png.read_bytes())
            written.append(out)
        svg = base / "icons" / "hicolor" / "scalable" / "apps" / "kneeviz.svg"
        write_atomically(svg, (icon_dir() / "kneeviz.svg").read_bytes())
        written.append(svg)
    except OSError as exc:
        raise KneevizError(f"cannot write the desktop entry ({exc.strerror}): choose a writable "
                           "folder with --data-dir", exc.filename) from exc
    except KneevizError as exc:
        raise KneevizError(f"{exc.problem}: choose a writable folder with --data-dir",
                           exc.path) from exc
    print(f"desktop entry: {entry}")
    print(f"icons: {len(written) - 1} files under {base / 'icons' / 'hicolor'}")
    return 0
