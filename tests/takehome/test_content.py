"""What the take-home files say (kneeviz.takehome.content): the frames at the MRI study's angles,
the story's sentences picked by what the squat shows, the numbers as the measure table formats
them, and a note or a name checked before anything is solved."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from kneeviz import measure_table
from kneeviz.errors import KneevizError
from kneeviz.story_steps import GROOVE, HEALTHY_SQUAT, KNEECAP_RIDES_OUT, THIGH_TURNS_IN
from kneeviz.takehome.content import ANGLES_DEG, TABLE_KEYS, TakeHome, clean_text
from takehome_fixtures import take_home, withheld_near


def test_frames_at_the_studys_angles_are_on_the_way_down() -> None:
    c = take_home("pfp")
    frames = c.frames_at()
    flex = np.asarray(c.this["knee_flexion_deg"])
    bottom = int(np.argmax(flex))
    for angle, i in frames.items():
        assert i is not None and i <= bottom
        assert abs(flex[i] - angle) <= 2.1
        assert flex[i] == pytest.approx(c.healthy["knee_flexion_deg"][i])  # same timing
    assert [frames[a] for a in ANGLES_DEG] == sorted(frames.values())


def test_an_angle_the_squat_never_reaches_has_no_frame() -> None:
    from clinical_fixtures import default_anatomy, trajectory

    c = TakeHome(default_anatomy(), trajectory("pfp"), trajectory("healthy"))  # 0 -> 30 -> 0
    assert c.frame_at(45.0) is None
    assert c.frame_at(30.0) is not None
    assert math.isnan(c.value(c.this, "knee_flexion_deg", None))
    assert all(cells[3] == ("-", "-") for _m, cells in c.numbers())  # 45 deg: "-"


def test_the_sentences_follow_what_the_squat_shows() -> None:
    pfp, healthy = take_home("pfp"), take_home("healthy")
    assert pfp.thigh_turns_in() and pfp.rides_out(), (pfp.shift_difference_mm())
    assert pfp.sentences()[:2] == [THIGH_TURNS_IN.message, KNEECAP_RIDES_OUT.message]
    assert not healthy.thigh_turns_in() and not healthy.rides_out()
    assert healthy.sentences() == [GROOVE.message, HEALTHY_SQUAT.message]
    assert healthy.is_healthy and not pfp.is_healthy


def test_the_numbers_are_the_measure_tables() -> None:
    c = take_home("pfp")
    rows = c.numbers()
    assert [m.key for m, _ in rows] == list(TABLE_KEYS)
    frames = c.frames_at()
    for m, cells in rows:
        assert m is measure_table.by_key()[m.key]
        for (this, healthy), i in zip(cells, frames.values(), strict=True):
            assert this == m.number(float(c.this[m.key][i]))
            assert healthy == m.number(float(c.healthy[m.key][i]))


@pytest.mark.parametrize("text, why", [("a\x07b", "U+0007"), ("x" * 1501, "1501"),
                                       ("a\u202eb", "U+202E")])
def test_a_note_that_cannot_be_printed_is_refused(text: str, why: str) -> None:
    with pytest.raises(KneevizError, match=re.escape(why)):
        clean_text(text, "note", 1500)
    with pytest.raises(KneevizError, match="note"):
        take_home("pfp", note=text)


def test_a_note_keeps_its_lines_and_letters() -> None:
    assert clean_text("  Hüft-Übungen\r\ntwice a day\tplease  ", "note", 100) == \
        "Hüft-Übungen\ntwice a day\tplease"


def test_a_kneecap_off_its_groove_is_said_and_never_shown_as_a_result() -> None:
    from dataclasses import replace

    c = take_home("pfp")
    i30 = c.frame_at(30.0)
    assert i30 is not None and not c.caveats()
    off = np.zeros(c.this.n_frames)
    off[i30 - 2:] = 1.0  # off the groove from just before 30 deg on
    this = replace(c.this, values={**c.this.values, "dislocated": off})
    d = TakeHome(c.anatomy, this, c.healthy)
    assert d.frame_at(30.0) is None and d.frame_at(45.0) is None
    assert d.frame_at(15.0) == c.frame_at(15.0)
    assert "off its groove" in d.why_no_frame(45.0)
    (caveat,) = d.caveats()
    assert "this setting" in caveat and "off its groove" in caveat
    flex = float(c.this["knee_flexion_deg"][i30 - 2])
    assert f"({flex:.0f}\u00b0 of knee bend)" in caveat
    assert d.why_no_frame(80.0) == "not reached in this squat"


def test_a_frame_the_model_withholds_is_never_shown_as_a_result() -> None:
    """A solved frame the model withholds (two balances, not decided by the scan) keeps the
    solver's numbers in memory; the take-home never picks it for an angle's numbers, in either
    squat, and says why frames are left out."""
    c = take_home("pfp")
    assert c.frame_at(30.0) is not None
    for who in ("this", "healthy"):
        d, near = withheld_near(c, 30.0, who=who)
        assert near
        assert d.frame_at(30.0) is None
        assert d.frame_at(15.0) == c.frame_at(15.0)
        assert "cannot say where the kneecap sits" in d.why_no_frame(30.0)
        row = dict(d.numbers())[measure_table.by_key()["patella_lateral_shift_mm"]]
        assert row[ANGLES_DEG.index(30.0)] == ("-", "-")
        assert any("left out" in caveat for caveat in d.caveats())


def test_a_completed_knee_says_its_axes_are_estimated_and_how_close_such_knees_came() -> None:
    """The take-home files say what the window says of a knee completed from the atlas
    (kneeviz.anatomy.completion_check.estimated_sentence), and nothing of the kind for a whole
    knee."""
    from dataclasses import replace

    from kneeviz.anatomy.completion_check import VALIDATED_WITHIN_FLOORS_PCT
    from kneeviz.anatomy.knee import Completion

    c = take_home("pfp")
    assert not any("estimated" in caveat for caveat in c.caveats())
    femur_only = replace(c.anatomy, completion=Completion(femur=c.anatomy.femur))
    d = TakeHome(femur_only, c.this, c.healthy)
    (caveat,) = [x for x in d.caveats() if x.startswith("Axes estimated")]
    assert "the hip centre and femoral axis come from the atlas fitted to the partial femur" \
        in caveat
    assert "ankle" not in caveat
    assert f"{VALIDATED_WITHIN_FLOORS_PCT} %" in caveat
