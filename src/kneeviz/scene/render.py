"""Offscreen rendering of a squat: MP4 / GIF videos, PNG frame strips and single frames.

Works with no display (pyvista offscreen on EGL / OSMesa). Each frame is the knee scene
(kneeviz.scene.knee_scene.KneeScene, actors built once and posed by matrices) seen from a camera
preset, with a caption strip below it that says which scenario it is and what the kneecap does:
knee flexion, lateral tilt and lateral shift (the measures of Souza et al. 2010). With `heatmap`
the cartilage is coloured by contact pressure on the app's fixed scale (kneeviz.scene.heatmap),
and the patella bone is drawn half transparent so its cartilage shows through from the front.

Videos are written to a temporary file beside the target and renamed when complete, so a cancelled
or crashed export never leaves half a video under the requested name.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from kneeviz import measure_table
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.atomic import (
    atomic_write_with,
    check_interrupt,
    discard,
    new_temp,
    preflight,
    publish,
    stopping,
)
from kneeviz.errors import KneevizError
from kneeviz.safe_read import shown
from kneeviz.scenario import HIP_PARAMETERS, PARAMETERS
from kneeviz.view_state import RENDER_VIEWS

REFERENCE_VIEWS = ("underside", "compare")
SPLIT_VIEWS = ("front", "skyline")
OUTPUT_SUFFIXES = (".mp4", ".gif", ".png")
MACRO_BLOCK = 16
"""Video frame sizes are multiples of this (H.264 macroblocks; yuv420p needs even sizes)."""
MIN_SIZE = (160, 128)
MAX_SIZE = (3840, 2160)

CAPTION_BG = (14, 16, 20)
CAPTION_FG = (235, 235, 235)
CAPTION_DIM = (160, 170, 185)
CAPTION_WARN = (255, 170, 60)


class FrameSource(Protocol):
    """What the renderer needs of a squat (a Trajectory through TrajectoryFrames, or the app's
    SquatView)."""

    @property
    def n_frames(self) -> int: ...

    def poses(self, i: int) -> dict[str, FloatArray]: ...

    def value(self, key: str, i: int) -> float: ...


class TrajectoryFrames:
    """A kneeviz.simulation.Trajectory as a FrameSource."""

    def __init__(self, trajectory: Any) -> None:
        self.trajectory = trajectory
        self.scenario = trajectory.scenario
        self.patella_pressure_mpa = np.asarray(trajectory.patella_pressure_mpa)
        self.femur_pressure_mpa = np.asarray(trajectory.femur_pressure_mpa)
        self.converged = np.asarray(trajectory.converged, dtype=bool)
        self.not_solved: dict[int, str] = {
            int(k): str(v) for k, v in trajectory.meta.get("not_solved", {}).items()
        }
        """A recording's frames the model cannot answer, with the reason."""

    @property
    def n_frames(self) -> int:
        return int(self.trajectory.n_frames)

    def poses(self, i: int) -> dict[str, FloatArray]:
        t = self.trajectory
        return {
            "pelvis": t.T_world_pelvis[i],
            "femur": t.T_world_femur[i],
            "tibia": t.T_world_tibia[i],
            "patella": t.T_world_patella[i],
        }

    def value(self, key: str, i: int) -> float:
        return float(self.trajectory.values[key][i])


# -- sizes and options ----------------------------------------------------------------------------
def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720); a clear KneevizError otherwise."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise KneevizError(f"--size {text!r}: give width x height in pixels, e.g. 1280x720") \
            from None
    return check_size((w, h))


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size rounded to the nearest multiple of 16 each way; outside 160x128..3840x2160 is an
    error."""
    w, h = int(size[0]), int(size[1])
    if not (MIN_SIZE[0] <= w <= MAX_SIZE[0] and MIN_SIZE[1] <= h <= MAX_SIZE[1]):
        raise KneevizError(
            f"size {w}x{h} is outside {MIN_SIZE[0]}x{MIN_SIZE[1]}..{MAX_SIZE[0]}x{MAX_SIZE[1]} "
            "pixels"
        )
    return (
        max(MACRO_BLOCK, MACRO_BLOCK * round(w / MACRO_BLOCK)),
        max(MACRO_BLOCK, MACRO_BLOCK * round(h / MACRO_BLOCK)),
    )


@dataclass(frozen=True)
class RenderOptions:
    """How to draw each frame. `size` is the whole frame, caption strip included."""

    view: str = "front"
    heatmap: bool = False
    size: tuple[int, int] = (1280, 720)
    title: str = ""
    """Scenario name for the caption (e.g. "pfp")."""
    multi_samples: int = 0
    full_detail: bool = False
    """Draw the full meshes; by default the app's display meshes (about 47k triangles, the same
    look as the window at about half the software-rendering cost)."""

    def __post_init__(self) -> None:
        if self.view not in RENDER_VIEWS:
            raise KneevizError(f"view {self.view!r} is not one of {', '.join(RENDER_VIEWS)}")


# -- the caption strip ---------------------------------------------------------------------------
def _font(size_px: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size_px)
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        return ImageFont.load_default()


def caption_height(size: tuple[int, int]) -> int:
    """Two lines of text whose size follows the frame height (even, so the 3D part is too)."""
    font_px = _caption_font_px(size)
    return int(2 * math.ceil(1.35 * font_px) + 0.8 * font_px) // 2 * 2


def _caption_font_px(size: tuple[int, int]) -> int:
    return int(min(28, max(10, round(size[1] / 34))))


def draw_caption(size: tuple[int, int], lines: list[list[tuple[str, tuple[int, int, int]]]],
                 legend: tuple[float, Any] | None = None) -> np.ndarray:
    """A (caption_height, width, 3) strip with text runs (text, colour) on up to two lines, and an
    optional pressure colour bar (max MPa, lookup colours (256, 3) uint8) at the right."""
    from PIL import Image, ImageDraw

    w = size[0]
    h = caption_height(size)
    img = Image.new("RGB", (w, h), CAPTION_BG)
    draw = ImageDraw.Draw(img)
    px = _caption_font_px(size)
    right = w
    max_chars = max(8, w // 3)  # the narrowest glyphs at the smallest font are about 3 px wide
    if legend is not None:
        vmax, colours = legend
        bar_w = max(40, w // 8)
        bar_h = max(4, px // 2)
        x0 = w - bar_w - px // 2
        y0 = int(0.35 * px)
        grad = np.asarray(colours, dtype=np.uint8)[
            np.linspace(0, len(colours) - 1, bar_w).astype(int)
        ]
        img.paste(Image.fromarray(np.repeat(grad[None], bar_h, axis=0)), (x0, y0))
        small = _font(max(8, int(px * 0.8)))
        draw.text((x0, y0 + bar_h + 2), "0", fill=CAPTION_DIM, font=small)
        label = f"{vmax:g} MPa"
        lw = draw.textlength(label, font=small)
        draw.text((x0 + bar_w - lw, y0 + bar_h + 2), label, fill=CAPTION_DIM, font=small)
        right = x0 - px // 2
    for row, all_runs in enumerate(lines[:2]):
        # no run can be longer than the strip is wide at the smallest font (Pillow refuses a
        # string of a million characters, "too many characters in string")
        runs = [(t if len(t) <= max_chars else t[: max_chars - 3] + "...", c)
                for t, c in all_runs]
        # shrink the font until the line fits
        fpx = px
        while True:
            font = _font(fpx)
            total = sum(draw.textlength(t, font=font) for t, _c in runs)
            if total <= right - px // 2 or fpx <= 7:
                break
            fpx -= 1
        x = float(px // 2)
        y = int(0.4 * px + row * math.ceil(1.35 * px))
        for text, colour in runs:
            draw.text((x, y), text, fill=colour, font=font)
            x += draw.textlength(text, font=font)
    return np.asarray(img)


def caption_lines(source: FrameSource, i: int, title: str
                  ) -> list[list[tuple[str, tuple[int, int, int]]]]:
    """Line 1: the scenario and its hip settings; line 2: what the knee and kneecap do now."""
    def v(key: str) -> float:
        try:
            return source.value(key, i)
        except (KeyError, IndexError):
            return float("nan")

    first: list[tuple[str, tuple[int, int, int]]] = [(title or "squat", CAPTION_FG)]
    scenario = getattr(source, "scenario", None)  # the hip SETTINGS of this squat
    if scenario is not None:
        for name in HIP_PARAMETERS:
            p = PARAMETERS[name]
            first.append((f"   {p.label} {float(getattr(scenario, name)):.1f} {p.unit}",
                          CAPTION_DIM))
    second: list[tuple[str, tuple[int, int, int]]] = []
    why = no_result_reason(source, i)
    for k, m in enumerate(measure_table.caption()):
        value = v(m.key) if measure_table.shown(m, why) else float("nan")  # a dash, no number
        second.append((("   " if k else "") + f"{m.short} {m.text(value)}", CAPTION_FG))
    second.append(("  (+ = lateral)", CAPTION_DIM))
    reason = (getattr(source, "not_solved", None) or {}).get(i)
    if reason and measure_table.withheld_by_model(reason):
        second.append((f"   not a result: {reason}", CAPTION_WARN))
    elif reason:
        second.append((f"   not solved: {reason}", CAPTION_WARN))
    elif why == measure_table.DISLOCATED:
        second.append(("   kneecap off its groove: not a result", CAPTION_WARN))
    elif why:
        second.append(("   solver did not converge: not a result", CAPTION_WARN))
    return [first, second]


def no_result_reason(source: FrameSource, i: int) -> str:
    """Why frame i of `source` carries no measures ("" for a result): not solved (a recording's
    reason), off its groove, not converged (kneeviz.measure_table.no_result_reasons)."""
    converged = getattr(source, "converged", None)
    try:
        dislocated: list[float] | None = [source.value("dislocated", i)]
    except (KeyError, IndexError):
        dislocated = None
    return measure_table.no_result_reasons(
        1, None if converged is None else [bool(np.asarray(converged)[i])],
        None if dislocated is None else [float(np.nan_to_num(dislocated[0]))],
        {0: (getattr(source, "not_solved", None) or {}).get(i, "")})[0]


def label_halves(image: np.ndarray, titles: tuple[str, ...]) -> np.ndarray:
    """Titles written at the top of equal-width panels of an image (the compare view's)."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.ascontiguousarray(image))
    draw = ImageDraw.Draw(img)
    n = len(titles)
    w = img.width // max(1, n)
    font = _font(int(min(26, max(11, img.height / 26))))
    for k, title in enumerate(titles):
        # below the views' own corner labels (the skyline's side names)
        draw.text((k * w + w / 2, int(0.08 * img.height)), title, fill=CAPTION_FG, font=font,
                  anchor="mt",
                  stroke_width=2, stroke_fill=CAPTION_BG)
        if k:
            draw.line([(k * w, 0), (k * w, img.height)], fill=CAPTION_BG, width=3)
    return np.asarray(img)


# -- pressure heat map --------------------------------------------------------------------------
def pressure_colours(n: int = 256) -> np.ndarray:
    """The app's heat-map ramp (kneeviz.scene.heatmap) as uint8 (n, 3), for the caption's bar."""
    from kneeviz.scene.heatmap import ramp

    return np.round(ramp(n) * 255.0).astype(np.uint8)


def pressure_scale_mpa() -> float:
    """The top of the colour scale: the app's fixed scale, so a video matches the screen."""
    from kneeviz.scene.heatmap import PRESSURE_MAX_MPA

    return float(PRESSURE_MAX_MPA)


class _HeatMap:
    """The app's PressureHeatmap on one offscreen KneeScene, with two changes for pictures:

    - the colour bar goes in the caption strip (drawn by draw_caption), not over the 3D view;
    - the patellar cartilage's articular face looks at the femur, hidden from every camera in
      contact, so the pressure of each articular vertex is also painted on the vertices of the
      layer's bone-side face within SPREAD_MM (its projection through the cartilage, a few mm
      thick), and the patella bone is drawn half transparent: from the front the patch shows
      through the kneecap where it is. The articular values themselves are unchanged.
    """

    SPREAD_MM = 6.0

    def __init__(self, scene: Any, pressures: dict[str, np.ndarray | None],
                 see_through: bool = True) -> None:
        from kneeviz.scene.heatmap import PressureHeatmap

        class _NoBar(PressureHeatmap):
            def _show_bar(self, on: bool) -> None:  # the caption strip has the bar
                return

        self.heatmap = _NoBar(scene, visible=True)
        self._spread: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in ("patella_cartilage", "femur_cartilage"):
            mesh = getattr(scene.anatomy, name, None)
            if mesh is not None:
                self._spread[name] = self._spread_map(np.asarray(mesh.vertices_mm),
                                                      pressures.get(name))
        patella = scene.actors.get("patella")
        if patella is not None and see_through:
            patella.prop.opacity = 0.5

    @classmethod
    def _spread_map(cls, vertices: np.ndarray, pressures: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """(targets, sources): vertices never loaded in the squat take the value of the nearest
        vertex that is (the articular face), if it lies within SPREAD_MM."""
        none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if pressures is None:
            return none
        p = np.asarray(pressures)
        if p.ndim != 2 or p.shape[1] != len(vertices):
            return none
        loaded = p.max(axis=0) > 0
        if not loaded.any() or loaded.all():
            return none
        from scipy.spatial import cKDTree

        src_idx = np.nonzero(loaded)[0]
        tgt_idx = np.nonzero(~loaded)[0]
        d, k = cKDTree(vertices[src_idx]).query(vertices[tgt_idx],
                                                distance_upper_bound=cls.SPREAD_MM)
        ok = np.isfinite(d)
        return tgt_idx[ok], src_idx[k[ok]]

    def _spread_values(self, name: str, p: np.ndarray | None) -> np.ndarray | None:
        if p is None:
            return None
        out = np.array(p, dtype=np.float32)
        tgt, src = self._spread.get(name, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        if len(tgt) and len(out) > int(max(tgt.max(), src.max())):
            out[tgt] = np.maximum(out[tgt], out[src])
        return out

    def set(self, patella: np.ndarray | None, femur: np.ndarray | None) -> None:
        self.heatmap.set_pressures(self._spread_values("patella_cartilage", patella),
                                   self._spread_values("femur_cartilage", femur))


def kneecap_opacity(scene: Any) -> dict[str, float]:
    """The kneecap's parts' opacities as a view set them up (see fade_kneecap)."""
    from kneeviz.scene.overlays import KNEECAP_PARTS

    return {name: float(scene.actors[name].prop.opacity)
            for name in KNEECAP_PARTS if name in scene.actors}


def fade_kneecap(scene: Any, faded: bool, as_set: dict[str, float]) -> None:
    """Draw the kneecap faded (result_check.NOT_A_RESULT_OPACITY) in a frame that is not a result,
    as the app does; otherwise at its opacity `as_set` (opaque, or see-through for the heat
    map)."""
    from kneeviz.result_check import NOT_A_RESULT_OPACITY

    for name, base in as_set.items():
        scene.actors[name].prop.opacity = min(base, NOT_A_RESULT_OPACITY) if faded else base
    update_culling = getattr(scene, "update_culling", None)
    if update_culling is not None:
        update_culling()


# -- the renderer ------------------------------------------------------------------------------
def use_offscreen_gl() -> None:
    """With no X display, make VTK go straight to EGL (no failed X attempt first)."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


class SquatRenderer:
    """Renders frames of one squat offscreen: `frame(i)` -> (H, W, 3) uint8 with the caption."""

    def __init__(self, anatomy: Anatomy, source: FrameSource, options: RenderOptions,
                 reference: FrameSource | None = None) -> None:
        """`reference`: the healthy squat (same frames) for the underside and compare views."""
        use_offscreen_gl()
        from kneeviz.scene.knee_scene import APP_TRIANGLE_BUDGET
        from kneeviz.scene.offscreen import OffscreenRenderer

        self.anatomy = anatomy
        self.source = source
        self.reference = reference
        self.options = options
        self.size = check_size(options.size)
        w, h = self.size
        self.caption_h = caption_height(self.size)
        h3d = h - self.caption_h
        if options.view in REFERENCE_VIEWS and reference is None:
            raise KneevizError(f"the {options.view} view needs the healthy squat to compare with")
        views: tuple[str, ...] = (SPLIT_VIEWS if options.view == "split" else
                                  () if options.view == "underside" else
                                  ("compare", "compare") if options.view == "compare" else
                                  (options.view,))
        widths = [w // 2, w - w // 2] if len(views) == 2 else [w]
        self.views = views
        self._sources = [reference, source] if options.view == "compare" else \
            [source] * len(views)
        self._panel_size = (w, h3d)
        self._renderers: list[Any] = []
        self._heat: list[_HeatMap] = []
        self.vmax = pressure_scale_mpa()
        try:
            for vw, src in zip(widths, self._sources, strict=False):
                r = OffscreenRenderer(anatomy, (vw, h3d), multi_samples=options.multi_samples,
                                      triangle_budget=None if options.full_detail
                                      else APP_TRIANGLE_BUDGET)
                self._renderers.append(r)
                if options.heatmap:
                    self._heat.append(_HeatMap(r.scene, {
                        "patella_cartilage": getattr(src, "patella_pressure_mpa", None),
                        "femur_cartilage": getattr(src, "femur_pressure_mpa", None),
                    }, see_through=options.view not in ("skyline", "compare")))
        except Exception:
            self.close()
            raise
        self._kneecap_opacity = [kneecap_opacity(r.scene) for r in self._renderers]

    @property
    def n_frames(self) -> int:
        return int(self.source.n_frames)

    def _pressures(self, src: Any, i: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        pp = getattr(src, "patella_pressure_mpa", None)
        fp = getattr(src, "femur_pressure_mpa", None)
        j = min(i, int(src.n_frames) - 1)
        return (None if pp is None else np.asarray(pp[j], dtype=np.float32),
                None if fp is None else np.asarray(fp[j], dtype=np.float32))

    def render_3d(self, i: int) -> np.ndarray:
        """The 3D part of frame i (no caption); the underside view's maps."""
        if self.options.view == "underside":
            from kneeviz.scene.compare import COMPARE_TITLES
            from kneeviz.scene.underside import UndersideMapSpec, draw_underside_panel

            assert self.reference is not None
            specs = [UndersideMapSpec(t, None if no_result_reason(s, min(i, s.n_frames - 1))
                                      else self._pressures(s, i)[0])
                     for t, s in zip(COMPARE_TITLES, (self.reference, self.source), strict=True)]
            return draw_underside_panel(self.anatomy, specs, self._panel_size)[0]
        images = []
        if self.options.view == "compare":
            return self._render_compare(i)
        pat, fem = self._pressures(self.source, i) if self.options.heatmap else (None, None)
        not_a_result = bool(no_result_reason(self.source, i))
        if not_a_result:  # its pressures are not results either: plain cartilage
            pat, fem = None, None
        for k, (r, view) in enumerate(zip(self._renderers, self.views, strict=True)):
            if self._heat:
                self._heat[k].set(pat, fem)
            fade_kneecap(r.scene, not_a_result, self._kneecap_opacity[k])
            images.append(r.render(self.source.poses(i), camera=view))
        img = np.concatenate(images, axis=1) if len(images) > 1 else images[0]
        return np.ascontiguousarray(img[:, :, :3])

    def _render_compare(self, i: int) -> np.ndarray:
        """Healthy | this setting: this setting's skyline camera, carried to the healthy squat
        relative to the thigh bone (kneeviz.scene.compare)."""
        from kneeviz.scene.compare import COMPARE_CAMERA, COMPARE_TITLES, carry_plotter_camera

        healthy, this = self._renderers
        assert self.reference is not None
        j = min(i, int(self.reference.n_frames) - 1)
        for k, (src, idx) in enumerate(((self.reference, j), (self.source, i))):
            self._renderers[k].scene.set_poses(src.poses(idx))
            not_a_result = bool(no_result_reason(src, idx))
            if self._heat:
                self._heat[k].set(*((None, None) if not_a_result else self._pressures(src, idx)))
            fade_kneecap(self._renderers[k].scene, not_a_result, self._kneecap_opacity[k])
        this.scene.set_camera(COMPARE_CAMERA)
        healthy.scene.set_camera(COMPARE_CAMERA)  # hides the same parts, shows the marks
        D = self.anatomy.T_display_model
        carry_plotter_camera(this.plotter, healthy.plotter, D @ this.scene.pose_of("femur"),
                             D @ healthy.scene.pose_of("femur"))
        healthy.scene.recut()  # the cut follows the carried camera
        healthy.plotter.reset_camera_clipping_range()
        images = [r.render({}, camera=None)[:, :, :3] for r in (healthy, this)]
        return np.ascontiguousarray(label_halves(np.concatenate(images, axis=1),
                                                 COMPARE_TITLES))

    def frame(self, i: int) -> np.ndarray:
        """Frame i: the 3D view(s) over the caption strip, exactly `size` pixels."""
        check_interrupt()  # a deferred Ctrl-C lands here, between two frames
        img = self.render_3d(i)
        legend = (self.vmax, pressure_colours()) if self.options.heatmap else None
        cap = draw_caption(self.size, caption_lines(self.source, i, self.options.title), legend)
        out = np.concatenate([img, cap], axis=0)
        w, h = self.size
        if out.shape[:2] != (h, w):  # a driver that rounds the window size: pad or crop
            fixed = np.zeros((h, w, 3), dtype=np.uint8)
            hh, ww = min(h, out.shape[0]), min(w, out.shape[1])
            fixed[:hh, :ww] = out[:hh, :ww]
            out = fixed
        return out

    def close(self) -> None:
        for r in self._renderers:
            r.close()
        self._renderers = []

    def __enter__(self) -> SquatRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- progress --------------------------------------------------------------------------------------
class ProgressBar:
    """A one-line progress bar on a terminal; silent when the stream is not a tty (logs, CI)."""

    def __init__(self, label: str, total: int, stream: IO[str] | None = None,
                 enabled: bool | None = None) -> None:
        self.label = label
        self.total = max(1, int(total))
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label:<10} [{bar}] {done}/{self.total}")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.update(self.total)
            self.stream.write("\n")
            self.stream.flush()


# -- writers ------------------------------------------------------------------------------------
class VideoWriter:
    """An MP4 (H.264, yuv420p, via imageio-ffmpeg) or GIF written to a temp file beside `path`
    and renamed onto it by `commit()`; `abort()` (or leaving the `with` block by an exception)
    removes the temp file."""

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        self.fps = float(fps)
        suffix = self.path.suffix.lower()
        if suffix not in (".mp4", ".gif"):
            raise KneevizError(f"a video must end in .mp4 or .gif, not {suffix or '(nothing)'}",
                               self.path)
        if not 1.0 <= self.fps <= 240.0:
            raise KneevizError(f"frame rate {fps:g} is outside 1..240 frames per second")
        preflight(self.path, what="write the video")
        # registered with kneeviz.atomic: removed on SIGINT/SIGTERM, swept after a SIGKILL
        self.tmp = new_temp(self.path, what="write the video")
        self._gif_frames: list[Any] = []
        self._writer: Any = None
        self.n_written = 0
        if suffix == ".mp4":
            import imageio.v2 as iio

            self._writer = self._guard(lambda: iio.get_writer(
                str(self.tmp), format="FFMPEG", mode="I", fps=self.fps, codec="libx264",
                quality=8, pixelformat="yuv420p", macro_block_size=MACRO_BLOCK,
                ffmpeg_log_level="quiet",  # its failures are reported as one line
                # x264's "veryfast" preset: about a third of the default's CPU for a slightly
                # larger file; the encoder shares the cores with the software renderer
                output_params=["-preset", "veryfast"],
            ))

    def _guard(self, step: Callable[[], Any]) -> Any:
        """Run an encoder step; its failures (a full disk: OSError, or the encoder's broken pipe
        reported as several lines) become one line naming the video, the temp file removed."""
        try:
            return step()
        except KneevizError:
            self.abort()
            raise
        except (OSError, RuntimeError, ValueError) as exc:
            self.abort()
            if stopping():  # Ctrl-C or SIGTERM broke the encoder: an interruption
                raise KeyboardInterrupt from None
            why = getattr(exc, "strerror", None) or _first_line(exc)
            if "No space left" in str(exc) or _disk_full(self.path):
                why = "No space left on device"  # the encoder only sees its pipe break
            elif "Broken pipe" in str(exc) or isinstance(exc, BrokenPipeError):
                why = f"the video encoder (ffmpeg) stopped ({why})"
            raise KneevizError(f"could not write the video: {why}", shown(self.path)) from None

    def append(self, frame: np.ndarray) -> None:
        if stopping():  # a Ctrl-C that a C library (VTK, the encoder) swallowed
            self.abort()
            raise KeyboardInterrupt
        if self._writer is not None:
            writer = self._writer
            self._guard(lambda: writer.append_data(frame))
        else:
            from PIL import Image

            # adaptive palette per frame: bone, cartilage and heat map colours all survive
            self._gif_frames.append(
                Image.fromarray(frame).quantize(colors=255, dither=Image.Dither.NONE)
            )
        self.n_written += 1

    def commit(self) -> Path:
        def finish() -> None:
            if self._writer is not None:
                writer, self._writer = self._writer, None
                writer.close()
            elif self._gif_frames:
                first, *rest = self._gif_frames
                first.save(self.tmp, format="GIF", save_all=True, append_images=rest,
                           duration=max(20, round(1000.0 / self.fps)), loop=0, disposal=1)
                self._gif_frames = []

        try:
            self._guard(finish)
            self._guard(self._check_complete)
        except BaseException:
            self.abort()
            raise
        return publish(self.tmp, self.path, what="write the video")

    def _check_complete(self) -> None:
        """The encoder can exit without an error on a full disk, leaving a file without its
        index (MP4 'moov') or trailer (GIF ';'): such a file is never published."""
        size = self.tmp.stat().st_size
        with open(self.tmp, "rb") as fh:
            head = fh.read(1 << 16)
            fh.seek(max(0, size - (4 << 20)))
            tail = fh.read()
        if self.path.suffix.lower() == ".mp4":
            complete = b"ftyp" in head[:64] and (b"moov" in tail or b"moov" in head)
        else:
            complete = head.startswith(b"GIF8") and tail.endswith(b";")
        if not complete:
            raise OSError(errno.ENOSPC if _disk_full(self.path) else errno.EIO,
                          "No space left on device" if _disk_full(self.path) else
                          "the encoder did not finish the file")

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
            self._writer = None
        self._gif_frames = []
        discard(self.tmp)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None or self.tmp.exists() and self.n_written == 0:
            self.abort()


def _disk_full(path: Path) -> bool:
    """Whether the file system that `path` is on has (almost) no space left."""
    try:
        st = os.statvfs(path.parent if str(path.parent) else Path("."))
    except (OSError, AttributeError):
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:160]


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Save an RGB image as PNG atomically (kneeviz.atomic: temp file, fsync, rename)."""
    from PIL import Image

    def save(tmp: Path) -> None:
        Image.fromarray(np.ascontiguousarray(image)).save(tmp, format="PNG")

    atomic_write_with(path, save, what="write the image")
    return Path(path)


def iter_video(renderer: SquatRenderer, writer: VideoWriter,
               frames: Iterable[int] | None = None) -> Iterator[int]:
    """Render and append frames one at a time, yielding the count done after each (so a GUI can
    run it in event-loop chunks and stop between frames). The caller commits or aborts."""
    indices = list(range(renderer.n_frames) if frames is None else frames)
    for k, i in enumerate(indices):
        writer.append(renderer.frame(i))
        yield k + 1


def render_video(
    path: str | Path,
    anatomy: Anatomy,
    source: FrameSource,
    options: RenderOptions,
    fps: float,
    *,
    progress: Callable[[int, int], None] | None = None,
    reference: FrameSource | None = None,
) -> Path:
    """Every frame of `source` into an MP4 or GIF at `fps` frames per second."""
    with SquatRenderer(anatomy, source, options, reference) as r, VideoWriter(path, fps) as w:
        for done in iter_video(r, w):
            if progress is not None:
                progress(done, r.n_frames)
        return w.commit()


def strip_frames(source: FrameSource, count: int = 6) -> list[int]:
    """`count` frames spread evenly in knee flexion over the descent (standing to deepest); of a
    recording (a source with frames not solved), solved frames spread evenly over its time."""
    n = source.n_frames
    if getattr(source, "not_solved", None):
        conv = np.asarray(getattr(source, "converged", np.ones(n, dtype=bool)), dtype=bool)
        solved = [i for i in range(n) if i not in source.not_solved and conv[i]]  # type: ignore[attr-defined]
        if solved:
            idx = np.linspace(0, len(solved) - 1, min(count, len(solved)))
            return sorted({solved[int(round(k))] for k in idx})
    flex = np.array([source.value("knee_flexion_deg", i) for i in range(n)])
    bottom = int(np.nanargmax(flex)) if np.isfinite(flex).any() else n - 1
    targets = np.linspace(float(flex[0]), float(flex[bottom]), min(count, bottom + 1))
    picks: list[int] = []
    for t in targets:
        i = int(np.nanargmin(np.abs(flex[: bottom + 1] - t)))
        if i not in picks:
            picks.append(i)
    return picks


def tile(images: list[np.ndarray], columns: int, gap: int = 4) -> np.ndarray:
    """Images of one size in a grid (row-major) with a dark gap between them."""
    h, w = images[0].shape[:2]
    columns = max(1, min(columns, len(images)))
    rows = math.ceil(len(images) / columns)
    out = np.full((rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap, 3),
                  CAPTION_BG, dtype=np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = img
    return out


def render_strip(
    path: str | Path,
    anatomy: Anatomy,
    source: FrameSource,
    options: RenderOptions,
    *,
    count: int = 6,
    columns: int = 3,
    progress: Callable[[int, int], None] | None = None,
    reference: FrameSource | None = None,
) -> Path:
    """A PNG of `count` frames through the descent; each tile is `options.size`."""
    picks = strip_frames(source, count)
    images = []
    with SquatRenderer(anatomy, source, options, reference) as r:
        for k, i in enumerate(picks):
            images.append(r.frame(i))
            if progress is not None:
                progress(k + 1, len(picks))
    return write_png(path, tile(images, columns))


def render_still(
    path: str | Path,
    anatomy: Anatomy,
    source: FrameSource,
    options: RenderOptions,
    frame: int,
    reference: FrameSource | None = None,
) -> Path:
    """One captioned frame as a PNG."""
    with SquatRenderer(anatomy, source, options, reference) as r:
        return write_png(path, r.frame(frame))

