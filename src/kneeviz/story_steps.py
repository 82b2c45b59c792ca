"""The story's steps: what each one says to a patient and what it shows, as plain data.

One home for the story's words. Story mode (kneeviz.app.panels.story) walks these steps in the
window; the take-home report and page (kneeviz.takehome) print the same sentences. So each step's
words come in two parts: `message`, sentences that hold wherever they are read (a printed page, a
phone), and `pointer`, what to look at in the window's picture ("the pink line"), said only beside
that picture. `text` is both, the window's caption.

The message follows Souza et al. 2010 and Powers 2010 (docs/literature.md section 1): with weak
hip control the thigh bone turns inward under the kneecap, the kneecap ends up towards the outside
of its groove and its outer side carries the load. No numbers and no anatomical jargon: a patient
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoryStep:
    title: str
    message: str
    """The step's sentences, true without its picture (printed on the take-home report)."""
    pointer: str
    """What to look at in the window's picture ("" when the message says it all)."""
    preset: str
    camera: str
    overlays: frozenset[str]
    heatmap: bool = False
    see_through: bool = False
    play: bool = True
    rest_at_flexion_deg: float = 30.0
    """Knee angle shown while not playing."""
    slice_view: bool = False
    """Show the cut through the knee (the axial slice, without numbers) beside the caption."""
    underside: bool = False
    """Show the kneecap's underside (its pressure map, healthy beside this one) beside it."""
    thigh_ghost: bool = False
    """Draw the healthy thigh bone as a green see-through ghost (kneeviz.scene.thigh_ghost)."""

    @property
    def text(self) -> str:
        """The window's caption: the message, then what to look at."""
        return f"{self.message} {self.pointer}" if self.pointer else self.message


STEPS: tuple[StoryStep, ...] = (
    StoryStep(
        title="1  The groove",
        message="Your kneecap sits in a groove at the end of your thigh bone. "
                "When you bend your knee, the kneecap glides along this groove.",
        pointer="The pink line marks it.",
        preset="healthy", camera="closeup", overlays=frozenset({"labels", "groove"}),
        play=False, rest_at_flexion_deg=30.0,
    ),
    StoryStep(
        title="2  A healthy squat",
        message="When the hip muscles hold the thigh bone steady, the kneecap glides smoothly "
                "along its groove all the way down and up.",
        pointer="The line shows its path.",
        preset="healthy", camera="front", overlays=frozenset({"labels", "trail"}),
        play=True,
    ),
    StoryStep(
        title="3  Weak hip: the thigh bone turns in",
        message="If the hip muscles are weak, the thigh bone turns inward as you bend.",
        pointer="Green: where a steady hip would hold it; the shin below stays put. The "
                "orange arrow shows the turn.",
        preset="pfp", camera="leg-turn", overlays=frozenset({"labels"}),
        play=False, rest_at_flexion_deg=90.0, thigh_ghost=True,
    ),
    StoryStep(
        title="4  The kneecap rides outward",
        message="The groove turns away under the kneecap, so the kneecap rides toward the "
                "outside and presses harder on its outer side.",
        pointer="Green outline: a healthy kneecap. Right: the knee cut across and the "
                "kneecap's underside (yellow presses hardest).",
        preset="pfp", camera="closeup", overlays=frozenset({"ghost", "groove"}),
        heatmap=True, see_through=False, play=False, rest_at_flexion_deg=25.0,
        slice_view=True, underside=True,
    ),
    StoryStep(
        title="5  Stronger hip, better tracking",
        message="Strong hip muscles keep the thigh bone from turning in. The kneecap glides "
                "along its groove again, closer to the middle.",
        pointer="",
        preset="healthy", camera="front", overlays=frozenset({"trail", "labels"}),
        heatmap=False, see_through=False, play=True,
    ),
)
"""The groove, a healthy squat, the thigh turning in, the kneecap riding outward, the remedy."""

GROOVE, HEALTHY_SQUAT, THIGH_TURNS_IN, KNEECAP_RIDES_OUT, STRONGER_HIP = STEPS
"""Each step by what it says (for the pages that pick sentences by what a squat shows)."""
