"""Words anchored to points of the 3D view, and where to put each bone's name so that it lands on
its own bone: a name placed at a fixed point of its bone landed on the kneecap when the thigh bone
was seen end-on (a deep squat from the front)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import FloatArray
from kneeviz.transforms import apply

LABEL_FONT_SIZE = 18
LABEL_BOX_PX = (200.0, 30.0)
"""About the size of a bone's name on screen (width, height): kept inside the view."""
ALONG = np.linspace(0.18, 0.8, 14)
"""Where along its shaft a long bone's name may sit (share of knee -> hip or knee -> ankle)."""
SIDEWAYS_MM = 22.0
"""A long bone's name sits this far to its outer side of the shaft's axis."""
CONDYLE_GAPS_MM = (6.0, 30.0)
"""How far beside the thigh bone's epicondyles its name may sit."""
CLEAR_ENOUGH_PX = 40.0
"""A name this far on screen from every other bone and name is clear of them: among such
places the one nearest its own bone is taken (farther, in a close-up, a name floated in the
empty background well away from the bone it names)."""


CHAR_PX = 0.52
"""About how wide a character is, as a share of the font size in pixels (a point label's box)."""


class PointWords:
    """A few words, each anchored to a 3D point (pyvista point labels on our own points, so
    moving the points moves the words; always drawn over the bones)."""

    def __init__(self, plotter: Any, n: int, color: str, name: str,
                 font_size: int = LABEL_FONT_SIZE) -> None:
        import pyvista as pv

        self.poly = pv.PolyData(np.zeros((n, 3)))
        self.poly.point_data["labels"] = np.array([" "] * n)
        self.actor = plotter.add_point_labels(
            self.poly, "labels", font_size=font_size, point_size=1, shape_opacity=0.7,
            text_color=color, shape_color="black", always_visible=True, show_points=False,
            name=name, reset_camera=False, render=False)
        self.actor.SetVisibility(False)
        self.actor.SetPickable(False)
        self.texts: list[str] = [" "] * n
        self.plotter = plotter
        self.font_size = int(font_size)

    def set(self, points: Sequence[FloatArray], texts: Sequence[str]) -> None:
        """Words at points (display coordinates); a point whose words would run past the view's
        right edge is moved left (across the screen, at its depth) until they fit."""
        points = [self.fit(p, t) for p, t in zip(np.asarray(points, dtype=float).reshape(-1, 3),
                                                  texts, strict=True)]
        self.poly.points = np.asarray(points, dtype=float).reshape(-1, 3)
        texts = [t or " " for t in texts]
        if texts != self.texts:
            self.poly.point_data["labels"] = np.array(texts)
            self.texts = list(texts)
        self.poly.Modified()


    def fit(self, point: FloatArray, text: str) -> FloatArray:
        """The point, moved left across the screen as far as its words (drawn to the point's
        right) need to end inside the view."""
        renderer = getattr(self.plotter, "renderer", None)
        if renderer is None or not text.strip():
            return np.asarray(point, dtype=float)
        width, _h = (float(v) for v in renderer.GetSize())
        scale = float(renderer.GetRenderWindow().GetDPI()) / 72.0 if renderer.GetRenderWindow() \
            else 1.0
        need = CHAR_PX * self.font_size * max(scale, 1.0) * len(text) + 12.0
        x, _y = to_screen(renderer, point[None, :])[0]
        over = x + need - (width - 4.0)
        if over <= 0 or width <= need:
            return np.asarray(point, dtype=float)
        # pixels to millimetres at the point's depth: one millimetre across the screen
        cam = renderer.GetActiveCamera()
        look = np.subtract(cam.GetFocalPoint(), cam.GetPosition())
        right = np.cross(look, np.asarray(cam.GetViewUp(), dtype=float))
        right = right / max(float(np.linalg.norm(right)), 1e-9)
        px_per_mm = float(to_screen(renderer, (point + right)[None, :])[0, 0]) - x
        if px_per_mm <= 1e-6:
            return np.asarray(point, dtype=float)
        return np.asarray(point - (over / px_per_mm) * right, dtype=float)


def to_screen(renderer: Any, points: FloatArray) -> FloatArray:
    """Display coordinates (x right, y up, pixels) of display-space points (N, 3)."""
    out = []
    for p in np.asarray(points, dtype=float).reshape(-1, 3):
        renderer.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
        renderer.WorldToDisplay()
        out.append(renderer.GetDisplayPoint()[:2])
    return np.asarray(out, dtype=float)


def bone_samples(anatomy: Anatomy) -> dict[str, FloatArray]:
    """Points that trace each bone in its own frame: a long bone's axis and its end near the
    knee, the kneecap's centre and rim. Their screen positions stand for where the bone is."""
    fl, tl, pl = anatomy.femur_landmarks, anatomy.tibia_landmarks, anatomy.patella_landmarks
    t = np.linspace(0.0, 1.0, 9)[:, None]
    hip = np.asarray(fl.hip_centre_mm, dtype=float)
    ankle = np.asarray(tl.ankle_centre_mm, dtype=float)
    femur = np.vstack([t * hip, np.asarray(fl.lateral_epicondyle_mm, dtype=float),
                       np.asarray(fl.medial_epicondyle_mm, dtype=float)])
    tibia = t * ankle
    h, w = 0.5 * float(pl.height_mm), 0.5 * float(pl.width_mm)
    patella = np.array([[0.0, 0.0, 0.0], [0.0, h, 0.0], [0.0, -h, 0.0], [0.0, 0.0, w],
                        [0.0, 0.0, -w], [0.0, 0.6 * h, 0.6 * w], [0.0, -0.6 * h, 0.6 * w],
                        [0.0, 0.6 * h, -0.6 * w], [0.0, -0.6 * h, -0.6 * w]])
    return {"femur": femur, "tibia": tibia, "patella": patella}


def label_candidates(anatomy: Anatomy) -> dict[str, FloatArray]:
    """Where each bone's name may be anchored, in its own frame: along a long bone's shaft, just
    to its outer side, and beside the thigh bone's condyles (seen end-on in a deep squat from
    the front, its shaft hides behind the knee); on the kneecap's front."""
    fl, tl, pl = anatomy.femur_landmarks, anatomy.tibia_landmarks, anatomy.patella_landmarks
    side = np.array([0.0, 0.0, SIDEWAYS_MM])
    hip = np.asarray(fl.hip_centre_mm, dtype=float)
    ankle = np.asarray(tl.ankle_centre_mm, dtype=float)
    lat = np.asarray(fl.lateral_epicondyle_mm, dtype=float)
    med = np.asarray(fl.medial_epicondyle_mm, dtype=float)
    out = (lat - med) / max(float(np.linalg.norm(lat - med)), 1e-9)
    front = 0.5 * float(pl.thickness_mm) + 3.0
    h = 0.3 * float(pl.height_mm)
    return {
        "femur": np.vstack([*(a * hip + side for a in ALONG),
                            *(lat + gap * out for gap in CONDYLE_GAPS_MM),
                            *(med - gap * out for gap in CONDYLE_GAPS_MM)]),
        "tibia": np.vstack([a * ankle + side for a in ALONG]),
        "patella": np.array([[front, 0.0, 0.0], [front, h, 0.0], [front, -h, 0.0]]),
    }


PLACING_ORDER = ("patella", "femur", "tibia")
"""The kneecap's name first: it has the fewest places of its own."""


def place_bone_labels(renderer: Any, anatomy: Anatomy, T_display_bone: Mapping[str, FloatArray],
                      texts: Mapping[str, str] | None = None,
                      avoid: Sequence[tuple[FloatArray, str]] = ()) -> dict[str, FloatArray]:
    """For each bone, the anchor (display coordinates) of its name: of its candidate points, the
    one whose name's box lies inside the view and farthest on screen from every other bone (its
    traced points) and from the names placed before it, so a name never covers another bone;
    past CLEAR_ENOUGH_PX of clearance, the one nearest its own bone.
    A point label's box runs right and up from its anchor; `texts` give each name's length.
    `avoid`: other words on the view (anchor in display coordinates, text), kept clear too."""
    samples = bone_samples(anatomy)
    cands = label_candidates(anatomy)
    width, height = (float(v) for v in renderer.GetSize())
    screen_of = {b: to_screen(renderer, apply(T_display_bone[b], p)) for b, p in samples.items()}
    out: dict[str, FloatArray] = {}
    _w, bh = LABEL_BOX_PX
    placed: list[FloatArray] = []  # corners of the names' boxes placed so far
    for point, words in avoid:
        x, y = to_screen(renderer, np.asarray(point, dtype=float)[None, :])[0]
        placed.append(_box_corners(x, y, CHAR_PX * LABEL_FONT_SIZE * len(words) + 12.0, bh))
    for bone in PLACING_ORDER:
        points = cands[bone]
        text = (texts or {}).get(bone, "")
        bw = CHAR_PX * LABEL_FONT_SIZE * len(text) + 12.0 if text else LABEL_BOX_PX[0]
        world = apply(T_display_bone[bone], points)
        xy = to_screen(renderer, world)
        obstacles = [screen_of[b] for b in samples if b != bone] + placed
        others = np.vstack(obstacles) if obstacles else np.zeros((0, 2))
        own = screen_of[bone]
        best, best_score = 0, (-np.inf, -np.inf)
        for k, (x, y) in enumerate(xy):
            inside = x >= 0.0 and x + bw <= width and y >= 0.0 and y + bh <= height
            # distance from the name's box (right of and above its anchor) to the nearest
            # point of another bone or of a name placed already, and to its own bone
            clear = _box_distance(x, y, bw, bh, others) if len(others) else 1e9
            near = _box_distance(x, y, bw, bh, own)
            score = (min(clear, CLEAR_ENOUGH_PX) + (0.0 if inside else -1e6), -near)
            if score > best_score:
                best, best_score = k, score
        out[bone] = world[best]
        x, y = xy[best]
        placed.append(_box_corners(x, y, bw, bh))
    return out


def _box_corners(x: float, y: float, bw: float, bh: float) -> FloatArray:
    """Points standing for a name's box on screen (its corners and the middles of its long
    sides)."""
    return np.array([[x, y], [x + bw, y], [x, y + bh], [x + bw, y + bh],
                     [x + bw / 2, y], [x + bw / 2, y + bh]])


def _box_distance(x: float, y: float, bw: float, bh: float, points: FloatArray) -> float:
    """Screen distance from the box (x, y)-(x + bw, y + bh) to the nearest of points (N, 2)."""
    dx = np.maximum(np.maximum(x - points[:, 0], points[:, 0] - (x + bw)), 0.0)
    dy = np.maximum(np.maximum(y - points[:, 1], points[:, 1] - (y + bh)), 0.0)
    return float(np.min(np.hypot(dx, dy)))
