"""Issue 8: an output path through a regular file (`notes.txt/out.png`) or into a missing folder is
refused BEFORE any work, with a message naming the culprit, for every command and writer that
saves: `kneeviz simulate --out`, `kneeviz render --out`, the video writer and the PNG writer. The
user's file is left as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kneeviz.errors import KneevizError
from kneeviz.scene.render import VideoWriter, write_png

NOT_A_FOLDER = "is a file, not a folder"
CONTENT = b"the user's notes\n"


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    p = tmp_path / "notes.txt"
    p.write_bytes(CONTENT)
    return p


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kneeviz", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize(("command", "name"), [("simulate", "out.json"), ("render", "out.png")])
def test_cli_output_through_a_file(a_file: Path, command: str, name: str) -> None:
    out = _cli(command, "--max-flexion", "10", "--out", str(a_file / name))
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert NOT_A_FOLDER in out.stderr and str(a_file) in out.stderr
    # refused up front: no "simulated ..." line, nothing solved or rendered first
    assert "simulated" not in out.stdout
    assert a_file.read_bytes() == CONTENT


@pytest.mark.parametrize("command", ["simulate", "render"])
def test_cli_output_into_a_missing_folder_names_it(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "results"
    out = _cli(command, "--max-flexion", "10", "--out", str(missing / "deep" / "out.png"
                                                           if command == "render" else
                                                           missing / "deep" / "out.json"))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert f"the folder {missing} does not exist" in out.stderr


def test_writers_through_a_file(a_file: Path) -> None:
    image = np.zeros((16, 16, 3), dtype=np.uint8)
    with pytest.raises(KneevizError, match=NOT_A_FOLDER):
        write_png(a_file / "frame.png", image)
    with pytest.raises(KneevizError, match=NOT_A_FOLDER):
        VideoWriter(a_file / "squat.mp4", 30.0)
    assert a_file.read_bytes() == CONTENT
    assert sorted(p.name for p in a_file.parent.iterdir()) == ["notes.txt"]
