"""What the app remembers between runs (QSettings, an INI file in the per-user config folder).

Window size and layout, the last folders used for opening and exporting, multisampling, and
File > Recent knees. The file is settings.ini in $KNEEVIZ_CONFIG_DIR, else the platform's config
folder (platformdirs: ~/.config/kneeviz on Linux, ~/Library/Application Support/kneeviz on macOS,
%LOCALAPPDATA%\\kneeviz on Windows). An INI file rather than the registry or a plist: one plain
file everywhere, which `--reset-settings` can remove and a user can read.

Settings are a convenience, never a reason not to start: a file that is unreadable or corrupt is
moved aside (settings.ini.bad) and the app starts with defaults; a file written by a newer kneeviz
is left as it is and not written to (that version's settings survive), with a note either way. A
recent knee whose files are gone is dropped from the list with a note, never opened.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from PyQt6.QtCore import QByteArray, QEvent, QObject, QSettings
from PyQt6.QtGui import QAction, QIcon
from PyQt6.QtWidgets import QMainWindow, QMenu, QSplitter

from kneeviz.app.window.window_api import KneeWindow

SETTINGS_VERSION = 2
"""Version of the settings layout; a file with a higher one came from a newer kneeviz."""
MAX_RECENT = 8
MAX_SETTINGS_BYTES = 1 << 20
"""A settings file is a few kilobytes: anything bigger is not a kneeviz settings file."""
SEP = "\n"
"""Separates the parts of one recent knee (a path holds no newline in practice)."""


RECENT_FILE_KEYS = ("femur_cartilage", "patella_cartilage", "labels")
"""Knee-MRI inputs of a recent knee that are files (checked to exist, like the bones)."""
RECENT_TEXT_KEYS = ("label_values",)
"""Knee-MRI inputs of a recent knee that are text (the label map's labels)."""


class RecentKnee(NamedTuple):
    """One entry of File > Recent knees: the three bone files (empty for a label map) and the
    knee-MRI inputs it was opened with, as (key, value) pairs."""

    femur: str
    patella: str
    tibia: str
    extra: tuple[tuple[str, str], ...] = ()

    def files(self) -> list[str]:
        """Every file the knee is opened from."""
        bones = [p for p in (self.femur, self.patella, self.tibia) if p]
        return bones + [v for k, v in self.extra if k in RECENT_FILE_KEYS]

    def title(self) -> str:
        """The menu entry: the file names, and what knee-MRI inputs come with them."""
        more = dict(self.extra)
        if "labels" in more:
            return f"{Path(more['labels']).name} (label map)"
        names = ", ".join(Path(p).name for p in (self.femur, self.patella, self.tibia))
        return names + (" + cartilage" if more else "")

    def stored(self) -> str:
        """One line per part: the bones, then key=value for each knee-MRI input."""
        return SEP.join([self.femur, self.patella, self.tibia,
                         *(f"{k}={v}" for k, v in self.extra)])

    @classmethod
    def parse(cls, text: str) -> RecentKnee | None:
        """The entry stored by `stored`, or None if the text is not one (skipped, not opened)."""
        parts = text.split(SEP)
        if len(parts) < 3:
            return None
        extra: list[tuple[str, str]] = []
        for part in parts[3:]:
            key, eq, value = part.partition("=")
            if not eq or key not in (*RECENT_FILE_KEYS, *RECENT_TEXT_KEYS) or not value:
                return None
            extra.append((key, value))
        knee = cls(parts[0], parts[1], parts[2], tuple(extra))
        has_bones = all((knee.femur, knee.patella, knee.tibia))
        return knee if has_bones or "labels" in dict(extra) else None


def settings_path() -> Path:
    """$KNEEVIZ_CONFIG_DIR/settings.ini, else the platform's per-user config folder."""
    env = os.environ.get("KNEEVIZ_CONFIG_DIR")
    if env:
        folder = Path(env)
    else:
        import platformdirs

        folder = Path(platformdirs.user_config_dir("kneeviz", appauthor=False))
    return folder / "settings.ini"


def reset_settings(path: Path | None = None) -> str:
    """Remove the settings file (`--reset-settings`); returns what was done, for the terminal."""
    p = path or settings_path()
    try:
        p.unlink()
    except FileNotFoundError:
        return f"no settings to reset ({p} does not exist)"
    except OSError as exc:
        return f"could not remove {p} ({exc.strerror}): remove it by hand"
    return f"settings reset (removed {p})"


def _problem(path: Path) -> str | None:
    """Why the file at `path` cannot be a kneeviz settings file (None: it may be)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or "unreadable"
    if not stat.S_ISREG(st.st_mode):
        return "not a file"
    if st.st_size > MAX_SETTINGS_BYTES:
        return f"{st.st_size} bytes, too big"
    try:
        path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return "not a text file"
    return None


class Settings:
    """The app's settings, read once at start; `notes` says what was ignored and why."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self.notes: list[str] = []
        self.writable = True
        problem = _problem(self.path)
        if problem is None and self.path.exists():
            q = QSettings(str(self.path), QSettings.Format.IniFormat)
            version = q.value("settings_version")
            if q.status() != QSettings.Status.NoError:
                problem = "it could not be parsed"
            elif version is None or not str(version).isdigit():
                problem = "it has no kneeviz settings version"
            elif int(str(version)) > SETTINGS_VERSION:
                self.writable = False
                self.notes.append(
                    f"{self.path} is from a newer kneeviz (settings version {version}): ignored "
                    "and left as it is; starting with default settings")
        if problem is not None:
            bad = self.path.with_name(self.path.name + ".bad")
            try:
                os.replace(self.path, bad)
                kept = f"moved to {bad.name}"
            except OSError:
                self.writable = False
                kept = "left as it is"
            self.notes.append(f"{self.path} is not a usable settings file ({problem}): ignored "
                              f"({kept}); starting with default settings")
        self._q: QSettings | None = None
        self._memory: dict[str, Any] = {}
        if self.writable:
            self._q = QSettings(str(self.path), QSettings.Format.IniFormat)
            if self._q.value("settings_version") is None:
                self._q.setValue("settings_version", SETTINGS_VERSION)

    # -- raw values: in the file, or only in memory when the file is not ours to write ---------
    def get(self, key: str, default: Any = None) -> Any:
        if self._q is None:
            return self._memory.get(key, default)
        return self._q.value(key, default)

    def set(self, key: str, value: Any) -> None:
        if self._q is None:
            self._memory[key] = value
        else:
            self._q.setValue(key, value)

    def sync(self) -> None:
        """Write to disk (QSettings writes the INI atomically); a failure is a note, not an
        error."""
        if self._q is None:
            return
        self._q.sync()
        if self._q.status() != QSettings.Status.NoError:
            self.notes.append(f"the settings could not be saved to {self.path}")

    # -- typed settings ------------------------------------------------------------------------
    def _text(self, key: str) -> str:
        v = self.get(key, "")
        return v if isinstance(v, str) else ""

    @property
    def open_dir(self) -> str:
        return self._text("folders/open")

    @open_dir.setter
    def open_dir(self, folder: str) -> None:
        self.set("folders/open", folder)

    @property
    def export_dir(self) -> str:
        return self._text("folders/export")

    @export_dir.setter
    def export_dir(self, folder: str) -> None:
        self.set("folders/export", folder)

    @property
    def multisampling(self) -> bool:
        v = self.get("view/multisampling", False)
        return v is True or str(v).lower() == "true"

    @multisampling.setter
    def multisampling(self, on: bool) -> None:
        self.set("view/multisampling", bool(on))

    def recent_knees(self) -> list[RecentKnee]:
        """The recent knees, newest first; a knee any of whose files is gone is dropped from the
        list, with a note."""
        raw = self.get("recent/knees", [])
        items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
        knees: list[RecentKnee] = []
        for item in items:
            knee = RecentKnee.parse(str(item))
            if knee is None:
                continue
            missing = [p for p in knee.files() if not Path(p).is_file()]
            if missing:
                self.notes.append(f"recent knee dropped: {missing[0]} no longer exists")
                continue
            knees.append(knee)
        if len(knees) != len(items):
            self._store_recent(knees)
        return knees

    def add_recent_knee(self, femur: str, patella: str, tibia: str,
                        extra: Mapping[str, str] | None = None) -> None:
        """Remember a knee opened from files; `extra` holds its knee-MRI inputs (cartilage files,
        a label map and its labels: OpenKneeDialog.knee_mri), kept with it."""
        def resolved(p: str) -> str:
            return str(Path(p).resolve()) if p else ""

        more = tuple(sorted((k, resolved(v) if k in RECENT_FILE_KEYS else v)
                            for k, v in (extra or {}).items() if v))
        knee = RecentKnee(resolved(femur), resolved(patella), resolved(tibia), more)
        knees = [k for k in self.recent_knees() if k != knee]
        self._store_recent([knee, *knees][:MAX_RECENT])

    def _store_recent(self, knees: list[RecentKnee]) -> None:
        self.set("recent/knees", [k.stored() for k in knees])

    def window_layout(self) -> tuple[QByteArray | None, QByteArray | None, QByteArray | None]:
        """Saved window geometry, main-window state (docks, toolbars) and splitter state."""
        out = []
        for key in ("window/geometry", "window/state", "window/splitter"):
            v = self.get(key)
            out.append(v if isinstance(v, QByteArray) and not v.isEmpty() else None)
        return out[0], out[1], out[2]

    def save_window_layout(self, window: QMainWindow) -> None:
        self.set("window/geometry", window.saveGeometry())
        self.set("window/state", window.saveState(SETTINGS_VERSION))
        splitter = window.centralWidget()
        if isinstance(splitter, QSplitter):
            self.set("window/splitter", splitter.saveState())


def app_icon() -> QIcon:
    """The kneeviz icon at every committed size (kneeviz/icons)."""
    from kneeviz.resources import icon_dir

    icon = QIcon()
    for png in sorted(icon_dir().glob("kneeviz-*.png")):
        icon.addFile(str(png))
    return icon


class _CloseWatcher(QObject):
    """Saves the window's layout when it closes (an event filter: MainWindow stays unaware)."""

    def __init__(self, window: QMainWindow, save: Callable[[], None]) -> None:
        super().__init__(window)
        self._save = save

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:  # noqa: N802
        if event is not None and event.type() == QEvent.Type.Close:
            self._save()
        return False


def install_settings(window: KneeWindow, settings: Settings) -> None:
    """Apply `settings` to the main window and keep them up to date: layout restored now and
    saved on close, the open/export folders, multisampling, File > Recent knees, the icon."""
    window.setWindowIcon(app_icon())
    window.settings = settings
    window.open_dir = settings.open_dir
    window.export_dir = settings.export_dir
    geometry, state, splitter_state = settings.window_layout()
    if geometry is not None:
        window.restoreGeometry(geometry)
    if state is not None:
        window.restoreState(state, SETTINGS_VERSION)
        if window.clinical is not None and not window.clinical.story.active:
            window.clinical.story_dock.hide()  # only story mode shows it
    splitter = window.centralWidget()
    if splitter_state is not None and isinstance(splitter, QSplitter):
        splitter.restoreState(splitter_state)

    menu = QMenu("Recent &knees", window)
    window.recent_menu = menu
    file_menu = window.file_menu
    actions = file_menu.actions()
    file_menu.insertMenu(actions[1] if len(actions) > 1 else None, menu)

    def refill() -> None:
        menu.clear()
        knees = settings.recent_knees()
        for knee in knees:
            a = QAction(knee.title(), menu)
            a.setToolTip("\n".join(knee.files()
                                   + [f"{k}: {v}" for k, v in knee.extra
                                      if k not in RECENT_FILE_KEYS]))
            a.triggered.connect(
                lambda _c=False, k=knee: window.open_knee_files(
                    k.femur, k.patella, k.tibia, extra=dict(k.extra) or None))
            menu.addAction(a)
        menu.setEnabled(bool(knees))
        flush_notes()

    def flush_notes() -> None:
        if settings.notes:
            window.status_bar.showMessage("; ".join(settings.notes), 15_000)
            for note in settings.notes:
                print(f"kneeviz: note: {note}", file=sys.stderr)
            settings.notes.clear()

    def opened(knee: tuple[Any, ...]) -> None:
        extra: dict[str, str] = knee[3] if len(knee) > 3 else {}
        settings.add_recent_knee(knee[0], knee[1], knee[2], extra)
        first = next(p for p in (knee[0], extra.get("labels", "")) if p)
        settings.open_dir = str(Path(first).resolve().parent)
        settings.sync()
        refill()

    def multisampling(on: bool) -> None:
        settings.multisampling = on
        settings.sync()

    def save() -> None:
        if window.clinical is not None:
            # the clinician's layout, not story mode's (it hides the side panel, the timeline
            # and the camera bar: saved so, the next start had none of them)
            window.clinical.story.stop()
        settings.save_window_layout(window)
        settings.open_dir = window.open_dir or settings.open_dir
        settings.export_dir = window.export_dir or settings.export_dir
        settings.sync()

    window.knee_opened.connect(opened)
    window.msaa_action.toggled.connect(multisampling)
    menu.aboutToShow.connect(refill)
    refill()
    window.installEventFilter(_CloseWatcher(window, save))
    with contextlib.suppress(RuntimeError):
        settings.sync()
