"""The Scenario: every parameter of one simulated squat, frozen (a slider change makes a new one).

Each parameter is declared once, as a field of Scenario with a `Parameter` in its metadata: its
range, unit, label, help and command-line flag. Validation, scenario files, every command's
options (kneeviz.commands.options) and the app's sliders are made from that declaration
(`PARAMETERS`), so a new squat parameter is one field declaration here (and the code that uses
it). What shapes the knee itself (the sulcus angle) is not a squat parameter: it is part of the
knee's specification (kneeviz.anatomy.knee_spec).

Presets (femoral internal rotation, hip adduction in deg) follow shared/reference/literature.md
section 2: Souza & Powers 2009 (JOSPT 39:12) measured about +6 deg more peak hip internal rotation
in patellofemoral pain (PFP) and Nakagawa et al. 2012 (JOSPT 42:491) about +4 deg more hip
adduction; "severe" is the upper end of the suggested slider range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from kneeviz.errors import KneevizError

PRESETS: dict[str, tuple[float, float]] = {
    "healthy": (0.0, 0.0),
    "pfp": (8.0, 4.0),
    "severe": (15.0, 8.0),
}
"""Preset name -> (femoral internal rotation deg, hip adduction deg): the HIP_PARAMETERS."""

CUSTOM = "custom"
HIP_PARAMETERS = ("femoral_internal_rotation_deg", "hip_adduction_deg")
"""The settings a preset fixes; any other value of them makes the scenario "custom"."""


@dataclass(frozen=True)
class Parameter:
    """What a user may set about a squat: one declaration serves every place that shows it."""

    low: float
    high: float
    unit: str
    """"deg", "s", "Hz", "kg" or "" (a ratio or a fraction)."""
    label: str
    """Words for messages and controls ("femoral internal rotation")."""
    help: str
    flag: str
    """The command-line option, e.g. "--femoral-ir"."""
    name: str = ""
    """The Scenario field (filled in from the declaration)."""

    @property
    def metavar(self) -> str:
        return {"deg": "DEG", "s": "S", "Hz": "HZ", "kg": "KG"}.get(self.unit, "X")

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


def _parameter(default: float, low: float, high: float, unit: str, label: str, help: str,
               flag: str) -> Any:
    return field(default=default,
                 metadata={"parameter": Parameter(low, high, unit, label, help, flag)})


@dataclass(frozen=True)
class Scenario:
    """Parameters of one squat. Angles in degrees, times in seconds.

    femoral_internal_rotation_deg / hip_adduction_deg: the extra, hip-driven femoral motion at the
    deepest point of the squat (kneeviz.motion.squat says how it grows with depth).
    """

    femoral_internal_rotation_deg: float = _parameter(
        0.0, -10.0, 30.0, "deg", "femoral internal rotation",
        "hip-driven femoral internal rotation at the bottom of the squat", "--femoral-ir")
    hip_adduction_deg: float = _parameter(
        0.0, -10.0, 20.0, "deg", "hip adduction", "hip-driven adduction (the knee drops inward)",
        "--hip-adduction")
    max_flexion_deg: float = _parameter(
        120.0, 10.0, 140.0, "deg", "maximum knee flexion", "deepest knee flexion of the squat",
        "--max-flexion")
    descent_s: float = _parameter(2.0, 0.5, 10.0, "s", "descent time", "seconds down",
                                  "--descent")
    ascent_s: float = _parameter(2.0, 0.5, 10.0, "s", "ascent time", "seconds up", "--ascent")
    frame_rate_hz: float = _parameter(
        60.0, 5.0, 240.0, "Hz", "frame rate", "frames per second of the squat", "--frame-rate")
    body_mass_kg: float = _parameter(70.0, 30.0, 200.0, "kg", "body mass", "body mass",
                                     "--body-mass")
    vmo_strength: float = _parameter(
        1.0, 0.0, 1.0, "", "VMO strength (fraction of normal)",
        "strength of the inner quadriceps (vastus medialis obliquus), fraction of normal",
        "--vmo-strength")
    insall_salvati_ratio: float = _parameter(
        1.02, 0.6, 1.6, "", "Insall-Salvati ratio",
        "patellar tendon length / patella length (patella alta above 1.2)", "--insall-salvati")
    preset: str = "healthy"

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> Scenario:
        """A scenario from a named preset; overrides set other fields (see `with_changes`)."""
        if name not in PRESETS:
            raise KneevizError(
                f"unknown preset {name!r}: choose one of {', '.join(sorted(PRESETS))}"
            )
        ir, add = PRESETS[name]
        base = cls(femoral_internal_rotation_deg=ir, hip_adduction_deg=add, preset=name)
        return base.with_changes(**overrides)

    def with_changes(self, **changes: Any) -> Scenario:
        """This scenario with some parameters changed (None values are ignored), validated.

        The one rule for presets: the preset is the one whose hip settings these are, else
        "custom" (a slider moved back onto a preset's values is that preset again)."""
        unknown = sorted(set(changes) - set(PARAMETERS))
        if unknown:
            raise KneevizError(
                f"unknown scenario parameter(s) {', '.join(unknown)}: known are "
                f"{', '.join(PARAMETERS)}"
            )
        given: dict[str, Any] = {
            k: PARAMETERS[k].check(v) for k, v in changes.items() if v is not None
        }
        s = replace(self, **given)
        if any(k in HIP_PARAMETERS for k in given):
            s = replace(s, preset=preset_of(s))
        return s.validate()

    @property
    def hip(self) -> tuple[float, float]:
        """(femoral internal rotation, hip adduction) in deg: what a preset fixes."""
        return (self.femoral_internal_rotation_deg, self.hip_adduction_deg)

    def for_preset(self, name: str) -> Scenario:
        """This squat with a preset's hip settings (and its name)."""
        if name not in PRESETS:
            raise KneevizError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
        ir, add = PRESETS[name]
        return replace(self, femoral_internal_rotation_deg=ir, hip_adduction_deg=add,
                       preset=name).validate()

    @property
    def n_frames(self) -> int:
        """Frames at both ends of the squat: (descent + ascent) * rate + 1."""
        return int(round((self.descent_s + self.ascent_s) * self.frame_rate_hz)) + 1

    def validate(self) -> Scenario:
        """Raise KneevizError naming the first bad value and its allowed range; return self."""
        for name, p in PARAMETERS.items():
            p.check(getattr(self, name))
        if not isinstance(self.preset, str) or (
            self.preset not in PRESETS and self.preset != CUSTOM
        ):
            shown = repr(self.preset)
            if len(shown) > 60:  # a 5 MB string would otherwise be the whole message
                shown = f"{shown[:40]}... ({len(shown):,} characters)"
            raise KneevizError(
                f"preset {shown} is not one of {', '.join([*sorted(PRESETS), CUSTOM])}"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (float, str)."""
        out: dict[str, Any] = {name: float(getattr(self, name)) for name in PARAMETERS}
        out["preset"] = self.preset
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        """The inverse of to_dict; rejects unknown keys and wrong types with KneevizError."""
        if not isinstance(data, dict):
            raise KneevizError(f"a scenario must be a JSON object, got {type(data).__name__}")
        known = [*PARAMETERS, "preset"]
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise KneevizError(
                f"unknown scenario key(s) {', '.join(unknown)}: known are {', '.join(known)}"
            )
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "preset":
                if not isinstance(value, str):
                    raise KneevizError(f"scenario key 'preset' must be a string, got {value!r}")
                kwargs[key] = value
            else:
                try:
                    kwargs[key] = PARAMETERS[key].check(value)
                except KneevizError as exc:
                    raise KneevizError(f"scenario key {key!r}: {exc}") from None
        return cls(**kwargs).validate()


PARAMETERS: dict[str, Parameter] = {
    f.name: replace(f.metadata["parameter"], name=f.name)
    for f in fields(Scenario)
    if "parameter" in f.metadata
}
"""Field name -> its declaration, in declaration order."""


def preset_of(scenario: Scenario) -> str:
    """The preset whose hip settings `scenario` has, else "custom"."""
    for name, values in PRESETS.items():
        if scenario.hip == values:
            return name
    return CUSTOM
