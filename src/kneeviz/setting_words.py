"""Which setting and which knee are on, in words: the window's title and the line above its 3D
view, and what in a setting is off normal (why a kneecap may leave its groove).

The words come from the declarations (kneeviz.parameter): a parameter's control says how a
value reads ("high-riding kneecap (alta)"), so nothing here restates a range. No Qt.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from kneeviz.anatomy.knee_spec import KNEE_PARAMETERS
from kneeviz.scenario import (
    CUSTOM,
    HIP_PARAMETERS,
    PRESET_LABELS,
    PRESETS,
    Scenario,
    parameters_of,
)


def setting_name(scenario: Scenario) -> str:
    """The hip setting's name: a preset's ("Typical PFP"), else its two hip values."""
    if scenario.preset in PRESET_LABELS and scenario.preset != CUSTOM:
        return PRESET_LABELS[scenario.preset]
    ir, add = scenario.hip
    return f"Custom hip (thigh {ir:+.0f}\u00b0, knee drops {add:+.0f}\u00b0)"


def knee_name(anatomy: Any) -> str:
    """The knee's name and side ("default knee (right)")."""
    return f"{anatomy.name} ({anatomy.side})"


def recording_name(scenario: Scenario) -> str:
    """The recorded motion's file name ("" for the synthetic squat)."""
    path = getattr(scenario, "motion_path", "")
    return Path(path).name if path else ""


def title(scenario: Scenario, anatomy: Any) -> str:
    """The window's title: "kneeviz - Typical PFP - default knee, right"."""
    parts = ["kneeviz", setting_name(scenario), knee_name(anatomy)]
    rec = recording_name(scenario)
    if rec:
        parts.append(rec)
    return " - ".join(parts)


def off_normal(scenario: Scenario, anatomy: Any) -> list[str]:
    """What in this setting is off the healthy, normal one, in words: the hip's turn and drop,
    and each what-if setting (groove, kneecap height, inner thigh muscle) whose value reads
    differently from the normal one's (its control's bands)."""
    out: list[str] = []
    ir, add = scenario.hip
    if ir > PRESETS["healthy"][0]:
        out.append(f"thigh turned in {ir:.0f}\u00b0")
    if add > PRESETS["healthy"][1]:
        out.append(f"knee dropped in {add:.0f}\u00b0")
    normal = {f.name: f.default for f in fields(scenario) if f.default is not MISSING}
    for name, p in parameters_of(scenario).items():
        if p.control is None or name in HIP_PARAMETERS or name not in normal:
            continue
        words = p.control.words_for(float(getattr(scenario, name)))
        if words and words != p.control.words_for(float(normal[name])):  # type: ignore[arg-type]
            if words.startswith("("):  # words that need their control's ("(weak)")
                words = f"{p.control.words.split(' (')[0].lower()}: {words.strip('()')}"
            out.append(words)
    spec = getattr(anatomy, "knee_spec", None)
    sulcus = getattr(spec, "sulcus_angle_deg", None) if spec is not None else None
    if sulcus is not None:
        p = KNEE_PARAMETERS["sulcus_angle_deg"]
        assert p.control is not None
        words = p.control.words_for(float(sulcus))
        if words and words != p.control.words_for(float(p.low)):
            out.append(words)
    return out
