"""The take-home folder: the report (PDF), a short side-by-side video (healthy | this setting, MP4)
and the 3D page (HTML), for one patient's setting. Each file is written atomically
(kneeviz.atomic): an earlier file of the same name is replaced whole or left as it was.

The video is the window's side-by-side view (`kneeviz render --view compare`: the same skyline
camera relative to the thigh bone, the pressure colours on) through the one MP4 writer
(kneeviz.scene.render), every VIDEO_STEP-th solved frame at that fraction of the solve rate: the
squat in real time with a third of the frames to draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kneeviz.errors import KneevizError
from kneeviz.file_paths import folder_problem

if TYPE_CHECKING:
    from kneeviz.takehome.content import TakeHome

REPORT_NAME = "kneecap-report.pdf"
VIDEO_NAME = "squat-side-by-side.mp4"
PAGE_NAME = "kneecap-3d.html"
VIDEO_SIZE = (960, 544)
VIDEO_STEP = 3
"""Every VIDEO_STEP-th solved frame, at frame rate / VIDEO_STEP: 20 fps from a 60 Hz squat (the
software renderer draws two views a frame; a phone plays 20 fps smoothly enough for a squat)."""


@dataclass(frozen=True)
class Written:
    path: Path
    size_bytes: int
    what: str


def check_folder(folder: str | Path) -> Path:
    """The output folder: made if missing (its parent must exist); one clear line when it cannot
    hold the files (a file of that name, no permission)."""
    p = Path(folder)
    if p.suffix.lower() in (".pdf", ".mp4", ".html", ".htm", ".glb"):
        raise KneevizError("take-home writes a folder of files: give a folder, not a file name",
                           p)
    if p.exists() and not p.is_dir():
        raise KneevizError("is a file, not a folder: give a folder for the take-home files", p)
    if not p.exists():
        parent = p.parent if str(p.parent) else Path(".")
        problem = folder_problem(parent)
        if problem is not None:
            raise KneevizError(f"cannot make the take-home folder here: {problem}", p)
        try:
            p.mkdir()
        except OSError as exc:
            raise KneevizError(f"cannot make the take-home folder: {exc.strerror or exc}",
                               p) from None
    problem = folder_problem(p)
    if problem is not None:
        raise KneevizError(f"cannot write the take-home files here: {problem}", p)
    return p


def video_plan(c: TakeHome) -> tuple[Any, list[int], float]:
    """(render options, frames, frames per second) of the side-by-side video: the one plan the
    command and the app's chunked export draw."""
    from kneeviz.scene.render import RenderOptions

    options = RenderOptions(view="compare", heatmap=True, size=VIDEO_SIZE,
                            title=c.setting_name)
    frames = list(range(0, c.this.n_frames, VIDEO_STEP))
    return options, frames, float(c.this.scenario.frame_rate_hz) / VIDEO_STEP


def write_video(path: Path, c: TakeHome,
                progress: Callable[[int, int], None] | None = None) -> Path:
    """Healthy | this setting through the whole squat, MP4 (the render module's writer)."""
    from kneeviz.scene.render import SquatRenderer, TrajectoryFrames, VideoWriter, iter_video

    options, frames, fps = video_plan(c)
    with SquatRenderer(c.anatomy, TrajectoryFrames(c.this), options,
                       TrajectoryFrames(c.healthy)) as r, VideoWriter(path, fps) as w:
        for done in iter_video(r, w, frames):
            if progress is not None:
                progress(done, len(frames))
        return w.commit()


def write_take_home(folder: str | Path, c: TakeHome, *, page_size: str = "a4",
                    video: bool = True,
                    progress: Callable[[str, int, int], None] | None = None) -> list[Written]:
    """The three files in `folder` (made if missing); what was written, in order."""
    from kneeviz.takehome.page import write_page
    from kneeviz.takehome.report import write_report

    out = check_folder(folder)
    written = []
    report, pages = write_report(out / REPORT_NAME, c, page_size)
    written.append(Written(report, report.stat().st_size,
                           f"the report, {pages} page{'s' if pages > 1 else ''}"))
    page = write_page(out / PAGE_NAME, c)
    written.append(Written(page.path, page.size_bytes, "the 3D page (opens offline)"))
    if video:
        def step(done: int, total: int) -> None:
            if progress is not None:
                progress("video", done, total)

        v = write_video(out / VIDEO_NAME, c, step)
        written.append(Written(v, v.stat().st_size, "the side-by-side video"))
    return written
