"""The Scenario: every parameter of one simulated squat, frozen (a slider change makes a new one).

Each parameter is declared once, as a field of Scenario with a `kneeviz.parameter.Parameter` in
its metadata: its range, unit, label, help, command-line flag, what it affects and its app
control. Validation, scenario files, every command's options (kneeviz.commands.options), the
mechanics model's cache key and build arguments (`tissue_setting`, kneeviz.simulation) and the
app's sliders are made from that declaration (`parameters_of`), so a new squat or tissue
parameter is one field declaration here (and the code that uses it). What shapes the knee itself
(the sulcus angle) is not a squat parameter: it is declared with the knee's specification
(kneeviz.anatomy.knee_spec.KNEE_PARAMETERS).

Presets (femoral internal rotation, hip adduction in deg) follow docs/literature.md section 2 (the
hip's range; docs/model.md section 6.1): Souza & Powers 2009 (JOSPT 39:12) measured about +6 deg
more peak hip internal rotation in patellofemoral pain (PFP) and Nakagawa et al. 2012 (JOSPT
42:491) about +4 deg more hip adduction; "severe" is the upper end of the suggested slider
range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from kneeviz.errors import KneevizError
from kneeviz.parameter import HIP_GROUP, WHAT_IF_GROUP, Affects, Band, Control, Parameter

PRESETS: dict[str, tuple[float, float]] = {
    "healthy": (0.0, 0.0),
    "pfp": (8.0, 4.0),
    "severe": (15.0, 8.0),
}
"""Preset name -> (femoral internal rotation deg, hip adduction deg): the HIP_PARAMETERS."""

PRESET_LABELS: dict[str, str] = {"healthy": "Healthy", "pfp": "Typical PFP", "severe": "Severe"}
"""How a preset is named to people (buttons, the take-home report)."""

CUSTOM = "custom"
_ABOVE_ALTA = math.nextafter(1.2, math.inf)
"""Patella alta is an Insall-Salvati ratio above 1.2 (Insall & Salvati 1971): 1.2 is normal."""
HIP_PARAMETERS = ("femoral_internal_rotation_deg", "hip_adduction_deg")
"""The settings a preset fixes; any other value of them makes the scenario "custom"."""


def _parameter(default: float, low: float, high: float, unit: str, label: str, help: str,
               flag: str, affects: Affects, control: Control | None = None) -> Any:
    return field(default=default, metadata={
        "parameter": Parameter(low, high, unit, label, help, flag, affects, control)})


@dataclass(frozen=True)
class Scenario:
    """Parameters of one squat. Angles in degrees, times in seconds.

    femoral_internal_rotation_deg / hip_adduction_deg: the extra, hip-driven femoral motion at the
    deepest point of the squat (kneeviz.motion.squat says how it grows with depth).
    """

    femoral_internal_rotation_deg: float = _parameter(
        0.0, -10.0, 30.0, "deg", "femoral internal rotation",
        "hip-driven femoral internal rotation at the bottom of the squat", "--femoral-ir",
        Affects.SQUAT,
        Control(HIP_GROUP, "Thigh turns inward\n(femoral internal rotation)", suffix=" deg",
                signed=True))
    hip_adduction_deg: float = _parameter(
        0.0, -10.0, 20.0, "deg", "hip adduction", "hip-driven adduction (the knee drops inward)",
        "--hip-adduction", Affects.SQUAT,
        Control(HIP_GROUP, "Knee drops inward\n(hip adduction)", suffix=" deg", signed=True))
    max_flexion_deg: float = _parameter(
        120.0, 10.0, 140.0, "deg", "maximum knee flexion", "deepest knee flexion of the squat",
        "--max-flexion", Affects.SQUAT)
    descent_s: float = _parameter(2.0, 0.5, 10.0, "s", "descent time", "seconds down",
                                  "--descent", Affects.SQUAT)
    ascent_s: float = _parameter(2.0, 0.5, 10.0, "s", "ascent time", "seconds up", "--ascent",
                                 Affects.SQUAT)
    frame_rate_hz: float = _parameter(
        60.0, 5.0, 240.0, "Hz", "frame rate", "frames per second of the squat", "--frame-rate",
        Affects.SQUAT)
    body_mass_kg: float = _parameter(70.0, 30.0, 200.0, "kg", "body mass", "body mass",
                                     "--body-mass", Affects.SQUAT)
    insall_salvati_ratio: float = _parameter(
        1.02, 0.6, 1.6, "", "Insall-Salvati ratio",
        "patellar tendon length / patella length (patella alta above 1.2)", "--insall-salvati",
        Affects.TISSUE,
        Control(WHAT_IF_GROUP, "Kneecap height (Insall-Salvati ratio)", step=0.01, decimals=2,
                bands=(Band(-math.inf, 0.8, "low-riding kneecap (baja)"),
                       Band(0.8, _ABOVE_ALTA, "normal height"),
                       Band(_ABOVE_ALTA, math.inf, "high-riding kneecap (alta)"))))
    vmo_strength: float = _parameter(
        1.0, 0.0, 1.0, "", "VMO strength (fraction of normal)",
        "strength of the inner quadriceps (vastus medialis obliquus), fraction of normal",
        "--vmo-strength", Affects.TISSUE,
        Control(WHAT_IF_GROUP, "Inner thigh muscle (VMO) strength", step=0.01, scale=100.0,
                suffix="% of normal",
                tip="The innermost part of the thigh muscle (vastus medialis obliquus) pulls "
                    "the kneecap inward; strengthening it is a classic exercise.",
                bands=(Band(0.9, math.inf, "(normal)"), Band(0.5, 0.9, "(weaker)"),
                       Band(-math.inf, 0.5, "(weak)"))))
    cartilage_modulus_mpa: float = _parameter(
        5.0, 2.0, 20.0, "MPa", "cartilage elastic modulus",
        "elastic modulus of the articular cartilage in the contact model (the reference model "
        "uses 5 MPa)", "--cartilage-modulus", Affects.TISSUE)
    """Lenhart et al. 2015 (Ann Biomed Eng 43:2675) use 5 MPa with a Poisson ratio of 0.45; the
    distributed OpenSim JAM model file uses 10 MPa. Reported cartilage moduli span about 2-20 MPa
    with the loading rate (docs/model.md, contact)."""
    # The tissue model's properties, known only within ranges: each declared here with its
    # allowed range; its published range or distribution and source are in the uncertainty table
    # (kneeviz.uncertainty). No app control: a study (kneeviz sweep), a scenario file or a
    # command's option sets them, and the app's "How sure?" band samples them.
    cartilage_thickness_scale: float = _parameter(
        1.0, 0.3, 2.0, "", "cartilage thickness (fraction of the knee's)",
        "cartilage layer thickness under each contact point, as a fraction of what the knee's "
        "meshes give (the articular surfaces stay where they are)",
        "--cartilage-thickness-scale", Affects.TISSUE)
    mpfl_stiffness_scale: float = _parameter(
        1.0, 0.0, 6.0, "", "MPFL stiffness (fraction of 7 N/mm)",
        "medial patellofemoral ligament in-situ stiffness, as a fraction of 7 N/mm (0: torn; 6: "
        "the isolated ligament's 42.5 N/mm)", "--mpfl-stiffness-scale", Affects.TISSUE)
    lateral_retinaculum_stiffness_scale: float = _parameter(
        1.0, 0.0, 6.0, "", "lateral retinaculum stiffness (fraction of normal)",
        "in-situ stiffness of the lateral patellofemoral ligament and iliopatellar band, as a "
        "fraction of the model's (0: a lateral release)", "--lateral-stiffness-scale",
        Affects.TISSUE)
    mpfl_reference_strain: float = _parameter(
        0.0, -0.2, 0.1, "", "MPFL strain in the standing knee",
        "the MPFL's strain with the knee standing (negative: slack by that fraction of its "
        "length; OpenSim's reference strain)", "--mpfl-reference-strain", Affects.TISSUE)
    lateral_retinaculum_reference_strain: float = _parameter(
        0.0, -0.2, 0.1, "", "lateral retinaculum strain in the standing knee",
        "the lateral retinaculum's strain with the knee standing (negative: slack)",
        "--lateral-reference-strain", Affects.TISSUE)
    vastus_lateralis_share_scale: float = _parameter(
        1.0, 0.2, 3.0, "", "vastus lateralis size (fraction of typical)",
        "vastus lateralis cross-sectional area as a fraction of the typical (its share of the "
        "quadriceps force)", "--vl-scale", Affects.TISSUE)
    vastus_intermedius_share_scale: float = _parameter(
        1.0, 0.2, 3.0, "", "vastus intermedius size (fraction of typical)",
        "vastus intermedius cross-sectional area as a fraction of the typical",
        "--vi-scale", Affects.TISSUE)
    rectus_femoris_share_scale: float = _parameter(
        1.0, 0.2, 3.0, "", "rectus femoris size (fraction of typical)",
        "rectus femoris cross-sectional area as a fraction of the typical",
        "--rf-scale", Affects.TISSUE)
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
        declared = parameters_of(self)
        unknown = sorted(set(changes) - set(declared))
        if unknown:
            raise KneevizError(
                f"unknown scenario parameter(s) {', '.join(unknown)}: known are "
                f"{', '.join(declared)}"
            )
        given: dict[str, Any] = {
            k: declared[k].check(v) for k, v in changes.items() if v is not None
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
        for name, p in parameters_of(self).items():
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
        out: dict[str, Any] = {name: float(getattr(self, name)) for name in parameters_of(self)}
        out["preset"] = self.preset
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Scenario:
        """The inverse of to_dict; rejects unknown keys and wrong types with KneevizError."""
        if not isinstance(data, dict):
            raise KneevizError(f"a scenario must be a JSON object, got {type(data).__name__}")
        declared = parameters_of(cls)
        known = [*declared, "preset"]
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
                    kwargs[key] = declared[key].check(value)
                except KneevizError as exc:
                    raise KneevizError(f"scenario key {key!r}: {exc}") from None
        return cls(**kwargs).validate()


_DECLARED: dict[type, dict[str, Parameter]] = {}


def _declared(cls: type) -> dict[str, Parameter]:
    if cls not in _DECLARED:
        _DECLARED[cls] = {f.name: replace(f.metadata["parameter"], name=f.name)
                          for f in fields(cls) if "parameter" in f.metadata}
    return _DECLARED[cls]


def parameters_of(scenario: Scenario | type[Scenario]) -> dict[str, Parameter]:
    """Field name -> declaration of a Scenario (or a Scenario class), in declaration order.
    Everything that lists parameters asks this, so a parameter declared on a subclass (a test's,
    a study's) is validated, keyed, offered and shown like the built-in ones."""
    return _declared(scenario if isinstance(scenario, type) else type(scenario))


PARAMETERS: dict[str, Parameter] = parameters_of(Scenario)
"""Field name -> its declaration, in declaration order (the built-in Scenario's)."""


def tissue_setting(scenario: Scenario) -> tuple[tuple[str, float], ...]:
    """(name, value) of every parameter that shapes the mechanics model (Affects.TISSUE), in
    declaration order: the model's cache key and its build arguments (kneeviz.simulation), so a
    tissue parameter left out of either is impossible by construction."""
    return tuple((name, float(getattr(scenario, name)))
                 for name, p in parameters_of(scenario).items() if p.affects is Affects.TISSUE)


def preset_of(scenario: Scenario) -> str:
    """The preset whose hip settings `scenario` has, else "custom"."""
    for name, values in PRESETS.items():
        if scenario.hip == values:
            return name
    return CUSTOM
