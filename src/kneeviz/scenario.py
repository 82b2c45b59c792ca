"""The Scenario: every parameter of one simulated squat, frozen (a slider change makes a new one).

Presets (femoral internal rotation, hip adduction in deg) follow shared/reference/literature.md
section 2: Souza & Powers 2009 (JOSPT 39:12) measured about +6 deg more peak hip internal rotation
in patellofemoral pain (PFP) and Nakagawa et al. 2012 (JOSPT 42:491) about +4 deg more hip
adduction; "severe" is the upper end of the suggested slider range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from kneeviz.errors import KneevizError

PRESETS: dict[str, tuple[float, float]] = {
    "healthy": (0.0, 0.0),
    "pfp": (8.0, 4.0),
    "severe": (15.0, 8.0),
}
"""Preset name -> (femoral internal rotation deg, hip adduction deg)."""

CUSTOM = "custom"

SULCUS_ANGLE_RANGE_DEG = (120.0, 165.0)
"""Trochlear sulcus angles the default knee can be re-cut to (healthy about 138, dysplasia above
150). 165 is severe dysplasia, a 1-2 mm deep proximal trochlea; flatter, the proximal groove is
under 1 mm deep, too shallow to be found and measured, so the groove line (and the quadriceps wrap
fitted to it) would rest on the distal slices alone and deep frames stop balancing."""

# field -> (low, high, unit, words used in messages)
_RANGES: dict[str, tuple[float, float, str, str]] = {
    "femoral_internal_rotation_deg": (-10.0, 30.0, "deg", "femoral internal rotation"),
    "hip_adduction_deg": (-10.0, 20.0, "deg", "hip adduction"),
    "max_flexion_deg": (10.0, 140.0, "deg", "maximum knee flexion"),
    "descent_s": (0.5, 10.0, "s", "descent time"),
    "ascent_s": (0.5, 10.0, "s", "ascent time"),
    "frame_rate_hz": (5.0, 240.0, "Hz", "frame rate"),
    "body_mass_kg": (30.0, 200.0, "kg", "body mass"),
    "vmo_strength": (0.0, 1.0, "", "VMO strength (fraction of normal)"),
    "insall_salvati_ratio": (0.6, 1.6, "", "Insall-Salvati ratio"),
    "sulcus_angle_deg": (*SULCUS_ANGLE_RANGE_DEG, "deg", "trochlear sulcus angle"),
}


@dataclass(frozen=True)
class Scenario:
    """Parameters of one squat. Angles in degrees, times in seconds.

    femoral_internal_rotation_deg / hip_adduction_deg: the extra, hip-driven femoral motion
    (see kneeviz.motion.squat for how it is applied). sulcus_angle_deg None keeps the knee as built.
    """

    femoral_internal_rotation_deg: float = 0.0
    hip_adduction_deg: float = 0.0
    max_flexion_deg: float = 120.0
    descent_s: float = 2.0
    ascent_s: float = 2.0
    frame_rate_hz: float = 60.0
    body_mass_kg: float = 70.0
    vmo_strength: float = 1.0
    insall_salvati_ratio: float = 1.02
    sulcus_angle_deg: float | None = None
    preset: str = "healthy"

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> Scenario:
        """A scenario from a named preset; overrides set other fields (preset becomes "custom" if
        they change the preset's hip parameters)."""
        if name not in PRESETS:
            raise KneevizError(
                f"unknown preset {name!r}: choose one of {', '.join(sorted(PRESETS))}"
            )
        ir, add = PRESETS[name]
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise KneevizError(
                f"unknown scenario parameter(s) {', '.join(unknown)}: known are "
                f"{', '.join(sorted(known))}"
            )
        s = cls(femoral_internal_rotation_deg=ir, hip_adduction_deg=add, preset=name)
        s = replace(s, **overrides)
        if "preset" not in overrides and (
            s.femoral_internal_rotation_deg != ir or s.hip_adduction_deg != add
        ):
            s = replace(s, preset=CUSTOM)
        s.validate()
        return s

    @property
    def n_frames(self) -> int:
        """Frames at both ends of the squat: (descent + ascent) * rate + 1."""
        return int(round((self.descent_s + self.ascent_s) * self.frame_rate_hz)) + 1

    def validate(self) -> Scenario:
        """Raise KneevizError naming the first bad value and its allowed range; return self."""
        for name, (lo, hi, unit, words) in _RANGES.items():
            value = getattr(self, name)
            if value is None and name == "sulcus_angle_deg":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise KneevizError(f"{words} must be a number, got {value!r}")
            u = f" {unit}" if unit else ""
            if not math.isfinite(value) or not lo <= value <= hi:
                raise KneevizError(
                    f"{words} {value:g}{u} is outside {lo:g}..{hi:g}{u}"
                )
        if not isinstance(self.preset, str) or (
            self.preset not in PRESETS and self.preset != CUSTOM
        ):
            raise KneevizError(
                f"preset {self.preset!r} is not one of {', '.join([*sorted(PRESETS), CUSTOM])}"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (float, str, None)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v if v is None or isinstance(v, str) else float(v)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        """The inverse of to_dict; rejects unknown keys and wrong types with KneevizError."""
        if not isinstance(data, dict):
            raise KneevizError(f"a scenario must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise KneevizError(
                f"unknown scenario key(s) {', '.join(unknown)}: known are "
                f"{', '.join(sorted(known))}"
            )
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "preset":
                if not isinstance(value, str):
                    raise KneevizError(f"scenario key 'preset' must be a string, got {value!r}")
                kwargs[key] = value
            elif key == "sulcus_angle_deg" and value is None:
                kwargs[key] = None
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise KneevizError(f"scenario key {key!r} must be a number, got {value!r}")
            else:
                kwargs[key] = float(value)
        return cls(**kwargs).validate()
