"""`kneeviz install-desktop-entry`: a valid freedesktop entry whose Exec starts this kneeviz, and
the icon in the hicolor theme, written atomically into the XDG data folder; an unwritable folder
is one clear line and exit 2."""

from __future__ import annotations

import configparser
import shlex
import sys
from pathlib import Path

import pytest

from kneeviz import cli

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="freedesktop only")


def test_the_entry_and_icons_land_in_the_xdg_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    assert cli.main(["install-desktop-entry"]) == 0
    entry = data / "applications" / "kneeviz.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(entry.read_text(encoding="utf-8"))
    d = parser["Desktop Entry"]
    assert d["Type"] == "Application" and d["Name"] == "kneeviz" and d["Icon"] == "kneeviz"
    exe = shlex.split(d["Exec"])[0]
    assert Path(exe).is_file()  # the kneeviz command (or this Python) that runs this kneeviz
    for px in (16, 32, 48, 64, 128, 256):
        png = data / "icons" / "hicolor" / f"{px}x{px}" / "apps" / "kneeviz.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = data / "icons" / "hicolor" / "scalable" / "apps" / "kneeviz.svg"
    assert b"<svg" in svg.read_bytes()
    assert str(entry) in capsys.readouterr().out
    assert cli.main(["install-desktop-entry"]) == 0  # again: replaced, no temp files left over
    leftovers = [p for p in data.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_an_unwritable_data_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert cli.main(["install-desktop-entry", "--data-dir", str(blocker / "share")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kneeviz: error: ") and "--data-dir" in err[0]
