"""What a user may set, declared once: `Parameter` (range, unit, words, flag) and what it affects.

A parameter's declaration is the one place its range, unit, label, help text, command-line flag,
what it changes in the model and where its control sits in the app are written. The Scenario's
fields (kneeviz.scenario) and the knee's re-cut (kneeviz.anatomy.knee_spec) declare theirs here;
validation, scenario files, every command's options, the mechanics model's cache key and build
arguments (kneeviz.simulation) and the app's controls are made from the declarations, so a new
parameter is its declaration plus the code that uses it (docs/development.md has the worked
example).

This module sits at the bottom of the layers (it imports nothing of kneeviz but errors) so the
anatomy layer can declare the knee's own parameters too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kneeviz.errors import KneevizError

HIP_GROUP = "Hip control"
WHAT_IF_GROUP = "What if... (groove depth, kneecap height, inner thigh muscle)"
"""The app's control groups (Control.group), in the order the app shows them."""


class Affects(StrEnum):
    """What changing a parameter changes, i.e. what must be computed again.

    SQUAT: the bones' motion or the load (new kinematics, the same mechanics model).
    KNEE_SHAPE: the knee itself (the knee is rebuilt, and everything after it).
    TISSUE: the mechanics model (soft tissues, cartilage): the model is rebuilt, so each TISSUE
    parameter is part of the model's cache key and reaches the model's build.
    VIEW: only what is drawn.
    """

    SQUAT = "squat"
    KNEE_SHAPE = "knee shape"
    TISSUE = "tissue model"
    VIEW = "view"


@dataclass(frozen=True)
class Band:
    """Plain words for a range of a parameter's values ("high-riding kneecap (alta)" above an
    Insall-Salvati ratio of 1.2): shown beside the control. `low` inclusive, `high` exclusive."""

    low: float
    high: float
    words: str


@dataclass(frozen=True)
class Control:
    """Where and how the app shows a parameter: a slider in `group`, in declaration order.

    `words` is the plain question a clinician reads above the slider ("Thigh turns inward");
    the slider runs over the parameter's range in steps of `step` (in the parameter's unit)
    and shows the value times `scale` followed by `suffix` (" deg", "% of normal", "\u00b0").
    """

    group: str
    words: str
    step: float = 1.0
    scale: float = 1.0
    suffix: str = ""
    decimals: int = 0
    signed: bool = False
    """Show a + on positive values (a direction, e.g. inward / outward)."""
    tip: str = ""
    bands: tuple[Band, ...] = ()
    """Words for ranges of the value, shown after it (first band that holds it)."""

    def words_for(self, value: float) -> str:
        """The first band's words that hold `value` ("" when none does)."""
        return next((b.words for b in self.bands if b.low <= value < b.high), "")

    def shown(self, value: float) -> str:
        """The value as the control's label shows it ("+8 deg", "80 %", "1.02")."""
        spec = f"{'+' if self.signed else ''}.{self.decimals}f"
        text = format(value * self.scale, spec)
        if float(text) == 0.0:
            text = format(0.0, spec)
        return text + self.suffix


@dataclass(frozen=True)
class Parameter:
    """What a user may set: one declaration serves every place that shows or uses it."""

    low: float
    high: float
    unit: str
    """"deg", "s", "Hz", "kg", "mm", "MPa", "N", "N/mm" or "" (a ratio or a fraction)."""
    label: str
    """Words for messages ("femoral internal rotation")."""
    help: str
    flag: str
    """The command-line option, e.g. "--femoral-ir"."""
    affects: Affects
    control: Control | None = None
    """The app's control for it (None: set from files and commands only)."""
    name: str = ""
    """The field that holds it (filled in from the declaration)."""

    @property
    def metavar(self) -> str:
        return {"deg": "DEG", "s": "S", "Hz": "HZ", "kg": "KG", "mm": "MM",
                "MPa": "MPA"}.get(self.unit, "X")

    def range_text(self) -> str:
        u = f" {self.unit}" if self.unit else ""
        return f"{self.low:g}..{self.high:g}{u}"

    def check(self, value: Any) -> float:
        """The value as a float, or KneevizError naming the quantity and its allowed range."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise KneevizError(f"{self.label} must be a number, got {value!r}")
        try:
            v = float(value)
        except OverflowError:
            raise KneevizError(f"{self.label} {str(value)[:20]}... is outside "
                               f"{self.range_text()}") from None
        u = f" {self.unit}" if self.unit else ""
        if not math.isfinite(v) or not self.low <= v <= self.high:
            raise KneevizError(f"{self.label} {v:g}{u} is outside {self.range_text()}")
        return v
