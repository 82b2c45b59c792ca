"""Offscreen rendering: MP4/GIF frame counts and sizes, frames that change over the squat, a PNG
strip that is not blank, the heat map, atomic video files, the `render` and `headless-demo`
commands and their one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from export_fixtures import default_knee, short_scenario, short_trajectory
from kneeviz import cli
from kneeviz.errors import KneevizError
from kneeviz.scenario_file import ScenarioFile, save_scenario_file
from kneeviz.scene.render import (
    ProgressBar,
    RenderOptions,
    TrajectoryFrames,
    VideoWriter,
    caption_height,
    check_size,
    parse_size,
    render_still,
    render_strip,
    render_video,
    strip_frames,
)
from kneeviz.view_state import ViewState

SIZE = (320, 240)


def _bright_fraction(img: np.ndarray) -> float:
    """Share of pixels brighter than the dark background gradient (bone is ivory, cartilage
    light blue; the background never exceeds about 75 of 255)."""
    return float((img.max(axis=2) > 110).mean())


@pytest.fixture(scope="module")
def pfp_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrajectoryFrames]:
    src = TrajectoryFrames(short_trajectory("pfp"))
    out = tmp_path_factory.mktemp("video") / "pfp.mp4"
    render_video(out, default_knee(), src, RenderOptions(view="front", size=SIZE, title="pfp"),
                 fps=5.0)
    return out, src


def test_mp4_has_the_frame_count_and_size(pfp_video: tuple[Path, TrajectoryFrames]) -> None:
    path, src = pfp_video
    frames = iio.imread(path)
    assert frames.shape == (src.n_frames, SIZE[1], SIZE[0], 3)
    assert sorted(p.name for p in path.parent.iterdir()) == ["pfp.mp4"]  # no temp file left


def test_mp4_frames_change_over_the_squat(pfp_video: tuple[Path, TrajectoryFrames]) -> None:
    path, src = pfp_video
    frames = iio.imread(path).astype(float)
    h3d = SIZE[1] - caption_height(SIZE)
    scene = frames[:, :h3d]
    flex = np.array([src.value("knee_flexion_deg", i) for i in range(src.n_frames)])
    bottom = int(np.argmax(flex))
    # the 3D part (not just the caption) changes between standing and the bottom of the squat...
    assert np.abs(scene[bottom] - scene[0]).mean() > 5.0
    # ...and the video returns to where it started (the squat comes back up)
    assert np.abs(scene[-1] - scene[0]).mean() < np.abs(scene[bottom] - scene[0]).mean() / 3
    for f in scene:
        assert _bright_fraction(f.astype(np.uint8)) > 0.02


def test_gif_plays_the_squat_in_time(tmp_path: Path) -> None:
    from PIL import Image, ImageSequence

    src = TrajectoryFrames(short_trajectory("pfp"))
    out = render_video(tmp_path / "s.gif", default_knee(), src,
                       RenderOptions(view="side", size=(160, 128)), fps=5.0)
    with Image.open(out) as im:
        frames = [(np.asarray(f.convert("RGB")), f.info["duration"])
                  for f in ImageSequence.Iterator(im)]
    # Pillow merges identical consecutive frames into one longer frame: count time, not frames
    assert sum(d for _f, d in frames) == src.n_frames * 200
    assert 2 <= len(frames) <= src.n_frames
    assert frames[0][0].shape == (128, 160, 3)
    assert max(np.abs(f.astype(float) - frames[0][0]).mean() for f, _d in frames) > 1.0


def test_png_strip_is_not_blank(tmp_path: Path) -> None:
    src = TrajectoryFrames(short_trajectory("pfp"))
    picks = strip_frames(src, 6)
    flex = [src.value("knee_flexion_deg", i) for i in picks]
    assert flex == sorted(flex) and flex[0] == 0.0  # standing first, deepest last
    out = render_strip(tmp_path / "strip.png", default_knee(), src,
                       RenderOptions(view="split", size=SIZE, title="pfp"), columns=3)
    img = iio.imread(out)[:, :, :3]
    assert img.shape[0] >= SIZE[1] and img.shape[1] == min(3, len(picks)) * SIZE[0] + \
        (min(3, len(picks)) - 1) * 4
    assert img.std() > 20.0
    for k in range(min(3, len(picks))):
        tile = img[: SIZE[1] - caption_height(SIZE), k * (SIZE[0] + 4): k * (SIZE[0] + 4) + SIZE[0]]
        assert _bright_fraction(tile) > 0.02, f"tile {k} is blank"


def test_caption_text_follows_the_frame(tmp_path: Path) -> None:
    src = TrajectoryFrames(short_trajectory("pfp"))
    opts = RenderOptions(view="front", size=SIZE, title="pfp")
    a = iio.imread(render_still(tmp_path / "a.png", default_knee(), src, opts, 0))
    b = iio.imread(render_still(tmp_path / "b.png", default_knee(), src, opts, 1))
    cap_a, cap_b = a[-caption_height(SIZE):], b[-caption_height(SIZE):]
    assert (cap_a.max(axis=2) > 150).mean() > 0.02  # there is text
    assert np.any(cap_a != cap_b)  # and it changes with the frame's numbers


def test_heatmap_paints_contact_pressure(tmp_path: Path) -> None:
    traj = short_trajectory("pfp")
    src = TrajectoryFrames(traj)
    i = int(np.argmax((traj.patella_pressure_mpa > 0).sum(axis=1)))
    assert traj.patella_pressure_mpa[i].max() > 0

    class NoContact(TrajectoryFrames):
        """The same squat with every pressure zero."""

        def __init__(self) -> None:
            super().__init__(traj)
            self.patella_pressure_mpa = np.zeros_like(self.patella_pressure_mpa)
            self.femur_pressure_mpa = np.zeros_like(self.femur_pressure_mpa)

    opts = RenderOptions(view="closeup", size=SIZE, heatmap=True)
    with_p = iio.imread(render_still(tmp_path / "h.png", default_knee(), src, opts, i))
    without = iio.imread(render_still(tmp_path / "z.png", default_knee(), NoContact(), opts, i))
    h3d = SIZE[1] - caption_height(SIZE)
    changed = np.abs(with_p[:h3d].astype(int) - without[:h3d].astype(int)).max(axis=2) > 30
    assert changed.sum() > 30  # the contact patch is coloured...
    # ...with the heat map's colours, which are less blue than the cartilage they replace
    assert with_p[:h3d][changed][:, 2].mean() < without[:h3d][changed][:, 2].mean()


def test_sizes_round_to_macroblocks() -> None:
    assert parse_size("1920x1080") == (1920, 1088)
    assert check_size((1280, 720)) == (1280, 720)
    with pytest.raises(KneevizError, match="outside"):
        check_size((100, 100))
    with pytest.raises(KneevizError, match="width x height"):
        parse_size("big")


def test_aborted_video_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), VideoWriter(tmp_path / "v.mp4", 10) as w:
        w.append(np.zeros((128, 160, 3), np.uint8))
        raise RuntimeError("cancelled")
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, log = Tty(), io.StringIO()
    for stream in (tty, log):
        bar = ProgressBar("rendering", 4, stream)
        for k in range(1, 5):
            bar.update(k)
        bar.finish()
    assert "4/4" in tty.getvalue() and "[" in tty.getvalue()
    assert log.getvalue() == ""


@pytest.fixture(scope="module")
def short_scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    doc = ScenarioFile(short_scenario("pfp"), view=ViewState(camera="skyline"), name="demo")
    return save_scenario_file(tmp_path_factory.mktemp("sc") / "s.kneeviz.json", doc)


def test_render_command_mp4(tmp_path: Path, short_scenario_file: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.mp4"
    rc = cli.main(["render", "--scenario", str(short_scenario_file), "--size", "320x240",
                   "--out", str(out)])
    assert rc == 0
    frames = iio.imread(out)
    assert frames.shape == (short_scenario("pfp").n_frames, 240, 320, 3)
    assert str(out) in capsys.readouterr().out


def test_render_command_single_frame(tmp_path: Path, short_scenario_file: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.png"
    rc = cli.main(["render", "--scenario", str(short_scenario_file), "--flexion", "30",
                   "--view", "closeup", "--size", "320x240", "--out", str(out)])
    assert rc == 0
    said = capsys.readouterr().out
    shown = float(said.split("the frame at ", 1)[1].split(" deg", 1)[0])
    assert abs(shown - 30.0) < 2.0  # a frame of the same squat lands at the asked flexion
    img = iio.imread(out)
    assert img.shape[:2] == (240, 320) and _bright_fraction(img[:, :, :3]) > 0.02


def test_headless_demo_says_no_display(tmp_path: Path, short_scenario_file: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    rc = cli.main(["headless-demo", "--scenario", str(short_scenario_file), "--fps", "5",
                   "--size", "320x240", "--out-dir", str(tmp_path / "demo")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "no display" in out
    video = next(line.split(": ", 1)[1] for line in out.splitlines()
                 if line.startswith("video: "))
    strip = next(line.split(": ", 1)[1] for line in out.splitlines()
                 if line.startswith("frame strip: "))
    assert iio.imread(video).shape[0] == short_scenario("pfp").n_frames
    assert _bright_fraction(iio.imread(strip)[:, :, :3]) > 0.02


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--out", "x.avi"], "must end in .mp4, .gif, .png"),
        (["--out", "nowhere/x.mp4"], "does not exist"),
        (["--out", "x.png", "--size", "wide"], "give width x height"),
        (["--out", "x.mp4", "--flexion", "30"], "--flexion picks one frame"),
        (["--out", "x.png", "--flexion", "130"], "deeper than this squat goes"),
        (["--out", "x.png", "--femur", "f.stl"], "all three of --femur"),
        (["--out", "x.png", "--femoral-ir", "55"], "femoral internal rotation 55 deg is outside"),
        (["--out", "x.png", "--scenario", "missing.kneeviz.json"], "scenario file not found"),
        (["--out", "x.png", "--scenario", "CORRUPT"], "invalid JSON at line 1"),
        (["--out", "x.png", "--scenario", "FUTURE"], "is newer than this kneeviz"),
    ],
)
def test_render_errors_are_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    corrupt = tmp_path / "c.kneeviz.json"
    corrupt.write_text('{"format": "kneeviz-scenario",, }')
    future = tmp_path / "f.kneeviz.json"
    future.write_text(json.dumps({"format": "kneeviz-scenario", "version": 99}))
    args = [{"CORRUPT": str(corrupt), "FUTURE": str(future)}.get(a, a) for a in args]
    r = subprocess.run([sys.executable, "-m", "kneeviz", "render", *args], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kneeviz: error:"), r.stderr
    assert expected in lines[0]
    assert "Traceback" not in r.stderr


def test_outputs_get_normal_permissions(pfp_video: tuple[Path, TrajectoryFrames]) -> None:
    """Written through a private temp file, the result is still readable by others (umask)."""
    path, _src = pfp_video
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def _withheld_at(traj, i: int) -> type[TrajectoryFrames]:  # type: ignore[no-untyped-def]
    """The frames of `traj` with frame i withheld by the model (two balances)."""
    from kneeviz import measure_table

    class Withheld(TrajectoryFrames):
        def __init__(self) -> None:
            super().__init__(traj)
            self.not_solved = {i: f"{measure_table.TWO_BALANCES}: the kneecap balances another "
                                  "way coming up than going down here"}

    return Withheld


def test_the_underside_view_paints_no_pressure_where_a_frame_is_not_a_result(
        tmp_path: Path) -> None:
    """The kneecap's underside map of a withheld frame is plain cartilage; the healthy squat's
    map beside it is painted as before."""
    traj, healthy = short_trajectory("pfp"), short_trajectory("healthy")
    i = int(np.argmax((traj.patella_pressure_mpa > 0).sum(axis=1)))
    opts = RenderOptions(view="underside", size=SIZE, heatmap=True)
    ref = TrajectoryFrames(healthy)
    shown = iio.imread(render_still(tmp_path / "s.png", default_knee(), TrajectoryFrames(traj),
                                    opts, i, ref))
    withheld = iio.imread(render_still(tmp_path / "w.png", default_knee(),
                                       _withheld_at(traj, i)(), opts, i, ref))
    h3d = SIZE[1] - caption_height(SIZE)
    half = SIZE[0] // 2
    diff = np.abs(shown[:h3d].astype(int) - withheld[:h3d].astype(int)).max(axis=2) > 30
    assert diff[:, half:].sum() > 30  # this squat's map lost its colours
    assert diff[:, :half].sum() == 0  # the healthy map is the same


def test_a_frame_that_is_not_a_result_is_drawn_faded_and_uncoloured(tmp_path: Path) -> None:
    """A frame the model withholds is rendered as the app shows it: the kneecap faded where the
    solver left it, no contact pressure painted (its pressures are not results), the caption
    saying why; the next result frame is drawn as before."""
    from kneeviz.scene.overlays import NOT_A_RESULT_OPACITY
    from kneeviz.scene.render import SquatRenderer

    traj = short_trajectory("pfp")
    i = int(np.argmax((traj.patella_pressure_mpa > 0).sum(axis=1)))
    Withheld = _withheld_at(traj, i)
    opts = RenderOptions(view="closeup", size=SIZE, heatmap=True)
    shown = iio.imread(render_still(tmp_path / "s.png", default_knee(), TrajectoryFrames(traj),
                                    opts, i))
    with SquatRenderer(default_knee(), Withheld(), opts) as r:
        withheld = r.frame(i)
        scene = r._renderers[0].scene
        assert scene.actors["patella"].prop.opacity == pytest.approx(NOT_A_RESULT_OPACITY)
        assert scene.actors["patella_cartilage"].prop.opacity == pytest.approx(
            NOT_A_RESULT_OPACITY)
        r.frame(i - 1)
        assert scene.actors["patella_cartilage"].prop.opacity == pytest.approx(1.0)
    h3d = SIZE[1] - caption_height(SIZE)
    changed = np.abs(shown[:h3d].astype(int) - withheld[:h3d, :, :3].astype(int)).max(axis=2) > 30
    assert changed.sum() > 200  # the kneecap is drawn otherwise
