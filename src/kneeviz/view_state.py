"""How a squat is shown: the one view-state model, and the one list of cameras and overlays.

The window's session holds a ViewState (every view reads it and writes it only through
Session.set_display), a scenario file saves it (kneeviz.scenario_file), and the renderer starts
from a file's. The camera presets and the overlays are listed here once, with the words on their
buttons and boxes; the 3D scene (kneeviz.scene) places each camera and draws each overlay.
No Qt or VTK here.
"""

from __future__ import annotations

from dataclasses import dataclass

CAMERAS: dict[str, str] = {
    "front": "Front",
    "side": "Side",
    "closeup": "Knee close-up",
    "whole-leg": "Whole leg",
    "skyline": "Skyline",
}
"""The 3D view's camera presets (kneeviz.scene.knee_scene places each) -> the words on their
buttons, in the order the app shows them."""
SPLIT_CAMERA = "split"
"""The renderer's front | side picture: not one camera, but a scenario file may ask for it."""
FILE_CAMERAS = (*CAMERAS, SPLIT_CAMERA)
"""The camera names a scenario file may hold."""
RENDER_VIEWS = (*FILE_CAMERAS, "underside", "compare")
"""What `kneeviz render --view` draws: a camera, the split, the kneecap's underside maps (healthy
beside this setting) or healthy | this setting side by side."""

OVERLAYS: dict[str, str] = {
    "ghost": "Healthy kneecap (green ghost)",
    "rotation": "Thigh bone's inward turn (arc)",
    "groove": "Groove line",
    "trail": "Kneecap's path",
    "pull": "Lines of pull",
    "labels": "Bone names",
}
"""The overlays of the 3D view (kneeviz.scene.overlays draws each) -> the words on their boxes."""

PLAYBACK_SPEED_RANGE = (0.05, 10.0)
"""Playback speeds a scenario file may hold (times real time)."""


@dataclass(frozen=True)
class ViewState:
    """How the squat is shown: the live settings every view reads from the window's session
    (and writes only through Session.set_display); a scenario file saves them."""

    camera: str = "front"
    """A camera preset of the 3D view (CAMERAS)."""
    heatmap: bool = True
    """Cartilage coloured by contact pressure."""
    overlays: frozenset[str] = frozenset({"ghost", "rotation"})
    """Overlays shown (names of OVERLAYS)."""
    see_through: bool = False
    """The kneecap drawn see-through (the contact beneath it visible)."""
    follow: bool = True
    """The camera keeps the knee in view as it travels through the squat."""
    side_by_side: bool = False
    """The healthy squat's 3D view beside this setting's (kneeviz.app.panels.compare_view)."""
    underside: bool = False
    """The clinical dock shows the kneecap's underside map (else the axial slice)."""
    thigh_ghost: bool = False
    """The healthy thigh bone drawn as a green ghost (story mode's step 3)."""
