"""The take-home page: ONE self-contained HTML file that opens offline in a phone's browser (from an
e-mail attachment or a file): the squat playing in 3D, turned with a finger, a switch between
healthy hip control and this setting, the story's sentences and the clinician's note.

Made with plotly (the `takehome` extra): the PyPI package ships plotly.js, which is embedded whole
in the page (its MIT licence header included), so nothing is fetched when the page opens. The
knee's meshes (kneeviz.takehome.parts: decimated, one colour per part) and every frame's bone poses
(12 numbers a bone) are embedded as base64 arrays; the page's own script (page_template.html,
written by the kneeviz team) poses the meshes frame by frame and hands them to plotly.js. Poses,
not posed meshes: 241 frames of a squat cost about 100 KB instead of tens of MB.

Coordinates on the page (mm): x = -Z (so a right knee's outer side is on the viewer's left, as
facing the patient), y = -X (the front of the knee towards the camera), z = Y (up).
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kneeviz import __version__
from kneeviz.atomic import atomic_write_text
from kneeviz.errors import KneevizError
from kneeviz.result_check import NOT_A_RESULT_OPACITY
from kneeviz.takehome.content import FADED_KNEECAP_WORDS
from kneeviz.takehome.parts import (
    GHOST_LOOK,
    PART_WORDS,
    Part,
    PartLook,
    bone_poses,
    frame_times_s,
    knee_parts,
)

if TYPE_CHECKING:
    from kneeviz.takehome.content import TakeHome

C_PAGE_MODEL = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
"""kneeviz (X anterior, Y up, Z lateral) -> the page (x right of a viewer in front, y away from
them, z up): a proper rotation."""
PAUSE_S = 0.8
"""The page rests this long at the end of the squat before it plays again."""
MAX_PAGE_BYTES = 10_000_000


def check_page_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm"):
        raise KneevizError(f"the take-home page is an HTML file: the name must end in .html, not "
                           f"{p.suffix or '(no extension)'}", p)
    return p


def _plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise KneevizError("the take-home page needs plotly: pip install 'kneeviz[takehome]' "
                           "(or pip install plotly)") from None
    return str(get_plotlyjs())


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _hex(look: PartLook) -> str:
    return "#" + "".join(f"{round(255 * c):02x}" for c in look.rgb)


def page_poses(T: np.ndarray) -> np.ndarray:
    """Poses (N, 4, 4) in kneeviz's display frame (mm) -> the page's frame, the top three rows
    flattened (N, 12) float32."""
    T = np.asarray(T, dtype=float)
    out = np.empty_like(T)
    out[:] = np.eye(4)
    out[:, :3, :3] = np.einsum("ij,njk,lk->nil", C_PAGE_MODEL, T[:, :3, :3], C_PAGE_MODEL)
    out[:, :3, 3] = T[:, :3, 3] @ C_PAGE_MODEL.T
    return out[:, :3, :].reshape(len(T), 12).astype(np.float32)


def _ranges(parts: list[Part], posed: list[tuple[Part, np.ndarray]]) -> dict[str, list[float]]:
    """Axis ranges that hold every part in every frame of both squats, with a margin, centred on
    the knee (the origin, kneeviz.takehome.parts.bone_poses `follow`): the view stays still while
    the squat plays and turns about the knee."""
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for part, T in posed:
        v = np.asarray(part.vertices_mm, dtype=float) @ C_PAGE_MODEL.T
        # the mesh's bounding box corners carried through every pose
        c0, c1 = v.min(axis=0), v.max(axis=0)
        corners = np.array([[x, y, z] for x in (c0[0], c1[0]) for y in (c0[1], c1[1])
                            for z in (c0[2], c1[2])])
        R = T[:, :12].reshape(-1, 3, 4)
        pts = np.einsum("nij,kj->nki", R[:, :, :3], corners) + R[:, None, :, 3]
        lo = np.minimum(lo, pts.reshape(-1, 3).min(axis=0))
        hi = np.maximum(hi, pts.reshape(-1, 3).max(axis=0))
    half = np.maximum(np.abs(lo), np.abs(hi)) + 0.02 * float(np.max(hi - lo))
    return {k: [float(-half[i]), float(half[i])] for i, k in enumerate("xyz")}


def page_data(c: TakeHome) -> dict[str, Any]:
    """What the page's script reads: meshes, poses per squat, knee flexion per frame, ranges."""
    parts = knee_parts(c.anatomy)
    this = bone_poses(c.anatomy, c.this, ghost_of=c.healthy, follow=c.healthy)
    healthy = bone_poses(c.anatomy, c.healthy, follow=c.healthy)
    poses = {
        "this": {b: page_poses(this[b]) for b in ("femur", "tibia", "patella")},
        "healthy": {b: page_poses(healthy[b]) for b in ("femur", "tibia", "patella")},
        "ghost": {"patella": page_poses(this["healthy_patella"])},
    }
    entries = []
    posed = []
    patella = next(p for p in parts if p.name == "patella")
    for p, look in [(p, p.look) for p in parts] + [(patella, GHOST_LOOK)]:
        name = p.name if look is not GHOST_LOOK else "healthy_patella"
        v = (np.asarray(p.vertices_mm, dtype=float) @ C_PAGE_MODEL.T).astype(np.float32)
        entries.append({
            "name": name, "words": PART_WORDS.get(name, name),
            "pose": p.bone, "color": _hex(look), "opacity": float(look.opacity),
            "vertices": _b64(v), "faces": _b64(np.asarray(p.faces, dtype=np.uint32)),
        })
        if look is not GHOST_LOOK:
            for which in ("this", "healthy"):
                posed.append((p, poses[which][p.bone]))
    ranges = _ranges(parts, posed)
    span = np.array([r[1] - r[0] for r in ranges.values()])
    aspect = span / span.max()
    start = c.frame_at(30.0)
    return {
        "parts": entries,
        "poses": {k: {b: _b64(a) for b, a in v.items()} for k, v in poses.items()},
        "times": [round(float(t), 4) for t in frame_times_s(c.this)],
        "flexion": [round(float(f), 2) for f in np.asarray(c.this["knee_flexion_deg"])],
        "ranges": ranges,
        "aspect": {"x": float(aspect[0]), "y": float(aspect[1]), "z": float(aspect[2])},
        "start_frame": int(start if start is not None else 0),
        "eye": {"x": 0.25, "y": -1.0, "z": 0.18},
        "pause_s": PAUSE_S,
        "result": {"this": [int(x) for x in c.usable(c.this)],
                   "healthy": [int(x) for x in c.usable(c.healthy)]},
        "faded_opacity": NOT_A_RESULT_OPACITY,
        "faded_words": FADED_KNEECAP_WORDS,
    }


def _script_safe(text: str) -> str:
    """JSON inside <script>: no "</" (a "</script>" in a note would end the script early) and no
    "<!--"."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def build_page(c: TakeHome) -> str:
    """The page's HTML (see the module doc)."""
    template = resources.files("kneeviz.takehome").joinpath("page_template.html").read_text(
        encoding="utf-8")
    esc = html.escape
    sentences = "".join(f"<p>{esc(s)}</p>" for s in c.sentences())
    sentences += "".join(f'<p class="caveat">{esc(s)}</p>' for s in c.caveats())
    note = ""
    if c.note:
        who = f"Note from {c.clinician}" if c.clinician else "Note from your clinician"
        note = f'<div class="note"><b>{esc(who)}</b>{esc(c.note)}</div>'
    data = page_data(c)
    colour = {e["name"]: e["color"] for e in data["parts"]}
    key = "".join(f'<span style="background:{colour[name]}"></span>{words} &nbsp; '
                  for name, words in (("patella", "kneecap"), ("patella_cartilage", "cartilage"),
                                      ("femur", "thigh and shin bone")))
    key += ("<br>Seen from the front, the outer side of this knee is on the "
            f"{'right' if c.anatomy.side == 'left' else 'left'}.")
    setting = (f"This setting: {c.setting_name} ({c.hip_words()}), against healthy hip "
               f"control. Knee: {c.knee_name}."
               + (f" Clinician: {c.clinician}." if c.clinician else ""))
    values = {
        "GENERATOR": esc(f"kneeviz {__version__}"),
        "TITLE": "Your kneecap in a squat",
        "SETTING": esc(setting),
        "THIS_LABEL": esc(f"This setting ({c.setting_name})" if len(c.setting_name) < 18
                          else "This setting"),
        "SENTENCES": sentences,
        "NOTE": note,
        "KEY": key,
        "FOOTER": esc(c.footer()),
        "PLOTLY_JS": _plotly_js(),
        "DATA": _script_safe(json.dumps(data, separators=(",", ":"))),
    }
    # one pass: a value is never searched for placeholders again
    return re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: values[m.group(1)], template)


@dataclass(frozen=True)
class PageSummary:
    path: Path
    size_bytes: int


def write_page(path: str | Path, c: TakeHome) -> PageSummary:
    """The page at `path`, written atomically; refused past MAX_PAGE_BYTES (a phone's mail
    attachment limit is about 10-25 MB)."""
    target = check_page_path(path)
    text = build_page(c)
    size = len(text.encode("utf-8"))
    if size > MAX_PAGE_BYTES:
        raise KneevizError(f"the page would be {size / 1e6:.1f} MB, more than "
                           f"{MAX_PAGE_BYTES / 1e6:.0f} MB: too large to send", target)
    atomic_write_text(target, text, what="write the page")
    return PageSummary(target, size)
