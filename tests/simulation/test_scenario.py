"""The Scenario: presets, validation messages, JSON round trip."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from kneeviz.errors import KneevizError
from kneeviz.scenario import PRESETS, Scenario


def test_defaults_are_valid_and_give_frames_at_both_ends() -> None:
    s = Scenario().validate()
    assert s.n_frames == 241  # 4 s at 60 Hz, first and last frame included
    assert s.preset == "healthy"


def test_presets_follow_the_literature_table() -> None:
    assert PRESETS == {"healthy": (0.0, 0.0), "pfp": (8.0, 4.0), "severe": (15.0, 8.0)}
    for name, (ir, add) in PRESETS.items():
        s = Scenario.from_preset(name)
        assert (s.femoral_internal_rotation_deg, s.hip_adduction_deg, s.preset) == (ir, add, name)


def test_from_preset_overrides() -> None:
    s = Scenario.from_preset("pfp", max_flexion_deg=90.0)
    assert s.max_flexion_deg == 90.0 and s.preset == "pfp"
    s = Scenario.from_preset("pfp", femoral_internal_rotation_deg=12.0)
    assert s.femoral_internal_rotation_deg == 12.0 and s.preset == "custom"
    with pytest.raises(KneevizError, match="unknown preset 'valgus'"):
        Scenario.from_preset("valgus")
    with pytest.raises(KneevizError, match="depth_deg"):
        Scenario.from_preset("pfp", depth_deg=90.0)
    with pytest.raises(KneevizError, match="maximum knee flexion 150 deg is outside 10..140 deg"):
        Scenario.from_preset("healthy", max_flexion_deg=150.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("femoral_internal_rotation_deg", 90.0,
         "femoral internal rotation 90 deg is outside -10..30 deg"),
        ("hip_adduction_deg", -15.0, "hip adduction -15 deg is outside -10..20 deg"),
        ("max_flexion_deg", 5.0, "maximum knee flexion 5 deg is outside 10..140 deg"),
        ("descent_s", 0.0, "descent time 0 s is outside"),
        ("frame_rate_hz", math.nan, "frame rate nan Hz is outside"),
        ("vmo_strength", 1.5, "VMO strength"),
        ("insall_salvati_ratio", 3.0, "Insall-Salvati ratio 3 is outside 0.6..1.6"),
        ("body_mass_kg", "heavy", "body mass must be a number"),
        ("preset", "weird", "preset 'weird' is not one of"),
    ],
)
def test_validate_names_the_bad_value(field: str, value: object, message: str) -> None:
    s = dataclasses.replace(Scenario(), **{field: value})
    with pytest.raises(KneevizError) as info:
        s.validate()
    assert message in str(info.value)


def test_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Scenario().max_flexion_deg = 90.0  # type: ignore[misc]


def test_json_round_trip() -> None:
    for s in (Scenario(), Scenario.from_preset("severe", vmo_strength=0.5, frame_rate_hz=30)):
        d = s.to_dict()
        text = json.dumps(d)
        assert all(isinstance(v, float | str | type(None)) for v in d.values())
        assert Scenario.from_dict(json.loads(text)) == s


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"max_flexion_deg": 90.0, "speed": 2}, "unknown scenario key(s) speed"),
        ({"max_flexion_deg": "90"}, "'max_flexion_deg': maximum knee flexion must be a number"),
        ({"hip_adduction_deg": True}, "'hip_adduction_deg': hip adduction must be a number"),
        ({"body_mass_kg": 10**400}, "'body_mass_kg': body mass"),
        ({"preset": 3}, "'preset' must be a string"),
        ({"max_flexion_deg": 200}, "maximum knee flexion 200 deg is outside"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_from_dict_rejects_bad_input(data: object, message: str) -> None:
    with pytest.raises(KneevizError) as info:
        Scenario.from_dict(data)
    assert message in str(info.value)


def test_from_dict_accepts_integers_and_partial_dicts() -> None:
    s = Scenario.from_dict({"max_flexion_deg": 90})
    assert s.max_flexion_deg == 90.0 and isinstance(s.max_flexion_deg, float)
    assert s.descent_s == Scenario().descent_s


def test_one_rule_names_the_preset_from_the_hip_settings() -> None:
    """A scenario whose hip settings are a preset's is that preset, whichever way it was made
    (command line, slider, scenario file); any other hip setting is custom."""
    assert Scenario.from_preset("healthy", femoral_internal_rotation_deg=8.0,
                                hip_adduction_deg=4.0).preset == "pfp"
    moved = Scenario.from_preset("pfp").with_changes(hip_adduction_deg=5.0)
    assert moved.preset == "custom"
    assert moved.with_changes(hip_adduction_deg=4.0).preset == "pfp"
    # a change that is not a hip setting keeps the preset
    assert Scenario.from_preset("severe").with_changes(max_flexion_deg=90.0).preset == "severe"


def test_every_parameter_is_declared_once_with_its_range() -> None:
    from kneeviz.scenario import PARAMETERS

    names = [f.name for f in dataclasses.fields(Scenario) if f.name != "preset"]
    assert list(PARAMETERS) == names
    flags = [p.flag for p in PARAMETERS.values()]
    assert len(set(flags)) == len(flags)
    for name, p in PARAMETERS.items():
        default = getattr(Scenario(), name)
        assert p.low <= default <= p.high, name
        with pytest.raises(KneevizError, match="is outside"):
            Scenario().with_changes(**{name: p.high + 1.0})
