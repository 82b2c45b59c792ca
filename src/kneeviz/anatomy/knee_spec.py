"""What a knee is made from: the bundled default knee (optionally re-cut), or a patient's files.

A KneeSpec is the knee's half of what a user sets (the Scenario is the squat's half): which mesh
files, and the parameters that re-shape the knee itself. It is what the one knee loader
(kneeviz.anatomy.loader) takes and what scenario files record, so the app, every command and a
reopened scenario build the same knee from the same words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from kneeviz.errors import KneevizError
from kneeviz.parameter import WHAT_IF_GROUP, Affects, Band, Control, Parameter

SULCUS_ANGLE = Parameter(
    120.0, 165.0, "deg", "trochlear sulcus angle",
    "re-cut the bundled knee's groove to this sulcus angle (healthy about 138, dysplastic above "
    "150)", "--sulcus-angle", Affects.KNEE_SHAPE,
    Control(WHAT_IF_GROUP, "Groove angle (sulcus angle; larger = shallower)", suffix="\u00b0",
            bands=(Band(-math.inf, math.nextafter(145.0, math.inf), "normal depth"),
                   Band(math.nextafter(145.0, math.inf), math.nextafter(150.0, math.inf),
                        "borderline shallow"),
                   Band(math.nextafter(150.0, math.inf), math.inf,
                        "shallow groove (dysplasia)"))),
    name="sulcus_angle_deg")
"""Trochlear sulcus angles the default knee can be re-cut to (healthy about 138, dysplasia above
150; Merchant 1974: 138 +/- 6 deg). 165 is severe dysplasia, a 1-2 mm deep proximal trochlea;
flatter, the proximal groove is under 1 mm deep, too shallow to be found and measured, so the
groove line (and the quadriceps wrap fitted to it) would rest on the distal slices alone and deep
frames stop balancing."""
SULCUS_ANGLE_RANGE_DEG = (SULCUS_ANGLE.low, SULCUS_ANGLE.high)
KNEE_PARAMETERS: dict[str, Parameter] = {SULCUS_ANGLE.name: SULCUS_ANGLE}
"""The knee's own parameters (Affects.KNEE_SHAPE), as KneeSpec fields: the app shows their
controls before the squat's (kneeviz.scenario.parameters_of)."""

BONES = ("femur", "patella", "tibia", "pelvis")
"""Mesh files a patient's knee may name; femur, patella and tibia are required."""
REQUIRED_BONES = BONES[:3]
FILES = (*BONES, "femur_cartilage", "patella_cartilage", "labels")
"""Every file a knee may name: the bones, the segmented cartilage meshes (optional: else grown)
and a label map ("labels", instead of the bone meshes, with `label_values`)."""


DEFAULT_NAME = "default"
"""The bundled knee's name where knees are named in words (--knee, a study's design)."""
POPULATION_PREFIX = "atlas:"
POPULATION_SIZE = 26
"""The LLP26 shape model's training limbs, named atlas:01 .. atlas:26
(kneeviz.anatomy.population)."""


def population_name(limb: int) -> str:
    """"atlas:07" for limb 7."""
    return f"{POPULATION_PREFIX}{limb:02d}"


def parse_population_name(text: str) -> int:
    """The limb number (1-26) of "atlas:07" (or "atlas:7"), else a KneevizError saying the
    names there are."""
    names = f"{population_name(1)} .. {population_name(POPULATION_SIZE)}"
    if not isinstance(text, str) or not text.startswith(POPULATION_PREFIX):
        raise KneevizError(f"{text!r} is not a population knee: name one of {names}")
    digits = text[len(POPULATION_PREFIX):]
    if not digits.isdigit() or not 1 <= int(digits) <= POPULATION_SIZE:
        raise KneevizError(f"there is no population knee {text!r}: name one of {names}")
    return int(digits)


@dataclass(frozen=True)
class KneeSpec:
    """The default knee (no files), one of the 26 population knees (atlas_limb), or a patient's
    femur, patella and tibia (and pelvis).

    sulcus_angle_deg re-cuts the default knee's trochlear groove (None: as built); a patient's
    groove is their own and cannot be re-cut."""

    femur: str | None = None
    patella: str | None = None
    tibia: str | None = None
    pelvis: str | None = None
    sulcus_angle_deg: float | None = None
    femur_cartilage: str | None = None
    patella_cartilage: str | None = None
    """The patient's segmented cartilage meshes (kneeviz.anatomy.own_cartilage)."""
    labels: str | None = None
    """A segmentation label map holding the knee (kneeviz.anatomy.labelmap), instead of meshes."""
    label_values: tuple[tuple[str, int], ...] = ()
    """Which label value is which tissue in `labels` (femur, patella, tibia, ...)."""
    atlas_limb: int | None = None
    """One of the LLP26 training limbs, 1-26 (kneeviz.anatomy.population), instead of files."""

    @property
    def is_default(self) -> bool:
        return (self.femur is None and self.patella is None and self.tibia is None
                and self.labels is None and self.atlas_limb is None)

    @property
    def name(self) -> str:
        """A short name: "default", "atlas:07", or the femur file's stem."""
        if self.atlas_limb is not None:
            return population_name(self.atlas_limb)
        if self.is_default:
            return DEFAULT_NAME if self.sulcus_angle_deg is None else (
                f"default, sulcus {self.sulcus_angle_deg:g} deg")
        return Path(self.labels or self.femur or "").stem

    def files(self) -> dict[str, str]:
        """Role -> path of the files given (bones, cartilage, label map)."""
        return {b: p for b in FILES if (p := getattr(self, b)) is not None}

    def validate(self) -> KneeSpec:
        if self.atlas_limb is not None:
            if self.files() or self.label_values or self.sulcus_angle_deg is not None:
                raise KneevizError(f"{population_name(self.atlas_limb)} is a population knee: "
                                   "give it alone, without mesh files or a sulcus angle")
            parse_population_name(population_name(self.atlas_limb))
            return self
        if self.labels is not None:
            if any(getattr(self, b) is not None for b in (*BONES, "femur_cartilage",
                                                           "patella_cartilage")):
                raise KneevizError("give either a label map (--labels) or mesh files, not both "
                                   "(cartilage goes in the label map as femur_cartilage=VALUE)")
            missing = [b for b in REQUIRED_BONES if b not in dict(self.label_values)]
            if missing:
                raise KneevizError("name the " + ", ".join(missing) + " label(s) of "
                                   f"{self.labels}: --label " + " --label ".join(
                                       f"{b}=VALUE" for b in missing))
            if self.sulcus_angle_deg is not None:
                raise KneevizError("the sulcus angle re-cuts the bundled knee only: a patient's "
                                   "groove is their own")
            return self
        if self.label_values:
            raise KneevizError("--label names a label of a label map: give the map with --labels")
        if (self.femur_cartilage is not None or self.patella_cartilage is not None) and any(
            getattr(self, b) is None for b in REQUIRED_BONES
        ):
            raise KneevizError("--femur-cartilage / --patella-cartilage go with the bone files: "
                               "give --femur, --patella and --tibia too")
        given = [getattr(self, b) is not None for b in REQUIRED_BONES]
        if any(given) and not all(given):
            raise KneevizError("give all three of --femur, --patella and --tibia "
                               "(or none of them, for the bundled knee)")
        if self.pelvis is not None and self.is_default:
            raise KneevizError("a pelvis file goes with a patient's femur, patella and tibia")
        if self.sulcus_angle_deg is not None:
            if not self.is_default:
                raise KneevizError("the sulcus angle re-cuts the bundled knee only: a patient's "
                                   "groove is their own")
            check_sulcus_angle(self.sulcus_angle_deg)
        return self

    @classmethod
    def from_name(cls, text: str) -> KneeSpec:
        """A knee named in words: "default" (the bundled knee) or a population knee "atlas:07"
        (KneevizError naming the names there are, otherwise)."""
        if text == DEFAULT_NAME:
            return cls()
        if not isinstance(text, str) or not text.startswith(POPULATION_PREFIX):
            raise KneevizError(f"unknown knee {text!r}: name {DEFAULT_NAME!r} or a population "
                               f"knee {population_name(1)} .. {population_name(POPULATION_SIZE)}")
        return cls(atlas_limb=parse_population_name(text))

    def with_sulcus(self, angle_deg: float | None) -> KneeSpec:
        return replace(self, sulcus_angle_deg=None if angle_deg is None else float(angle_deg))

    @classmethod
    def from_files(cls, femur: str | Path | None, patella: str | Path | None,
                   tibia: str | Path | None, pelvis: str | Path | None = None, *,
                   femur_cartilage: str | Path | None = None,
                   patella_cartilage: str | Path | None = None,
                   labels: str | Path | None = None,
                   label_values: dict[str, int] | None = None) -> KneeSpec:
        def s(p: str | Path | None) -> str | None:
            return None if p is None or str(p) == "" else str(p)

        return cls(s(femur), s(patella), s(tibia), s(pelvis),
                   femur_cartilage=s(femur_cartilage), patella_cartilage=s(patella_cartilage),
                   labels=s(labels),
                   label_values=tuple((label_values or {}).items())).validate()


def check_sulcus_angle(angle_deg: object) -> float:
    """The angle as a float, or KneevizError with the allowed range."""
    lo, hi = SULCUS_ANGLE_RANGE_DEG
    if isinstance(angle_deg, bool) or not isinstance(angle_deg, int | float):
        raise KneevizError(f"trochlear sulcus angle must be a number, got {angle_deg!r}")
    v = float(angle_deg)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise KneevizError(
            f"trochlear sulcus angle {v:g} deg is outside {lo:g}..{hi:g} deg: choose a value in "
            "that range (healthy about 138, dysplastic above 150)"
        )
    return v
