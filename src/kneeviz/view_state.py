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
    "closeup": "Close-up",
    "skyline": "Skyline",
    "front": "Front",
    "side": "Side",
    "whole-leg": "Whole leg",
}
"""The 3D view's camera presets (kneeviz.scene.knee_scene places each) -> the words on their
buttons, in the order the app shows them."""
CAMERA_FRAMES: dict[str, str] = {
    "thigh": "Thigh bone's view",
    "room": "Room view",
}
"""What the camera is held to -> the words on its switch. In the thigh bone's view the camera
rides with the thigh bone: its groove stays still on screen and the kneecap is seen moving in it
(the shin and the room turn instead). In the room view the camera stays in the room (it only
travels with the knee): the thigh bone is seen turning in under the kneecap."""
CAMERA_FRAME_TIPS: dict[str, str] = {
    "thigh": "The camera rides with the thigh bone: its groove stays still and the kneecap is "
             "seen moving in it",
    "room": "The camera stays in the room: the thigh bone is seen turning in under the kneecap",
}
DEFAULT_CAMERA_FRAME: dict[str, str] = {
    "closeup": "thigh",
    "skyline": "thigh",
    "front": "room",
    "side": "room",
    "whole-leg": "room",
}
"""The frame each preset is placed in when chosen (the switch then changes it)."""
SPLIT_CAMERA = "split"
"""The renderer's front | side picture: not one camera, but a scenario file may ask for it."""
FILE_CAMERAS = (*CAMERAS, SPLIT_CAMERA)
"""The camera names a scenario file may hold."""
RENDER_VIEWS = (*FILE_CAMERAS, "underside", "compare")
"""What `kneeviz render --view` draws: a camera, the split, the kneecap's underside maps (healthy
beside this setting) or healthy | this setting side by side."""

OVERLAYS: dict[str, str] = {
    "ghost": "Healthy kneecap (green outline)",
    "rotation": "Thigh bone's turn (ring)",
    "groove": "Groove and kneecap lines",
    "trail": "Kneecap's path",
    "pull": "Lines of pull",
    "labels": "Bone names",
}
"""The overlays of the 3D view (kneeviz.scene.overlays draws each) -> the words on their boxes."""

SIDE_WORDS = ("outer side", "inner side")
"""How every picture names the knee's lateral and medial sides."""


def outer_side_on_right(knee_side: str) -> bool:
    """The one left/right convention of every picture of a knee the app shows: each is seen as
    one faces the patient (the 3D view's front cameras, the thigh bone's close-up), from the feet
    (the skyline, the axial slice: the radiological convention) or through the kneecap from the
    front (its underside's pressure map). So a right knee's outer (lateral) side is on the LEFT of
    every picture and a left knee's on the right, and the kneecap riding outward moves the same
    way on screen in all of them. Each picture also names its sides in words (SIDE_WORDS)."""
    return knee_side == "left"


PLAYBACK_SPEED_RANGE = (0.05, 10.0)
"""Playback speeds a scenario file may hold (times real time)."""


@dataclass(frozen=True)
class ViewState:
    """How the squat is shown: the live settings every view reads from the window's session
    (and writes only through Session.set_display); a scenario file saves them."""

    camera: str = "closeup"
    """A camera preset of the 3D view (CAMERAS)."""
    camera_frame: str = "thigh"
    """What the camera is held to (CAMERA_FRAMES): the thigh bone or the room."""
    heatmap: bool = True
    """Cartilage coloured by contact pressure."""
    overlays: frozenset[str] = frozenset({"ghost", "groove", "rotation"})
    """Overlays shown (names of OVERLAYS)."""
    see_through: bool = False
    """The kneecap drawn see-through (the contact beneath it visible)."""
    follow: bool = True
    """The camera keeps the knee in view as it travels through the squat."""
    side_by_side: bool = False
    """The healthy squat's 3D view beside this setting's (kneeviz.app.panels.compare_view)."""
    underside: bool = True
    """The side panel shows the essentials with the kneecap's underside map (else the axial
    slice)."""
    thigh_ghost: bool = False
    """The healthy thigh bone drawn as a green ghost (story mode's step 3)."""
