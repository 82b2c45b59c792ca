"""Which frames of a completed knee's squat its scan does not decide (completion_check)."""

from __future__ import annotations

import numpy as np

from kneeviz.anatomy.completion_check import (
    FLEXION_UNCERTAINTY_DEG,
    undetermined_frames,
    undetermined_sentence,
)


def _squat(n: int = 241, deepest: float = 120.0) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    return deepest * np.sin(np.pi * t)  # down and up again


def test_a_kneecap_that_tracks_smoothly_is_decided_everywhere() -> None:
    flex = _squat()
    tilt = 3.0 + 0.03 * flex  # 3.6 deg over the whole squat
    shift = 4.0 - 0.02 * flex
    assert not undetermined_frames(flex, tilt, shift).any()


def test_a_sudden_drop_of_tilt_leaves_the_frames_around_it_undetermined() -> None:
    """Tilt falls 10 deg between 84 and 86 deg of flexion (a kneecap entering the notch):
    within FLEXION_UNCERTAINTY_DEG of the drop, the knee could be on either side of it."""
    flex = _squat()
    tilt = np.where(flex < 84.0, 4.0, np.where(flex > 86.0, -6.0, 4.0 - 5.0 * (flex - 84.0)))
    mask = undetermined_frames(flex, tilt, np.zeros_like(flex))
    assert mask.any()
    assert np.all(np.abs(flex[mask] - 85.0) <= FLEXION_UNCERTAINTY_DEG + 1.0 + 1e-9)
    assert not mask[np.abs(flex - 85.0) > FLEXION_UNCERTAINTY_DEG + 1.0].any()
    # both the descent and the ascent pass the drop
    deepest = int(np.argmax(flex))
    assert mask[:deepest].any() and mask[deepest:].any()
    assert "depend on where the estimated hip and ankle" in (
        undetermined_sentence(flex, mask) or "")


def test_a_shift_that_jumps_is_judged_as_tilt_is() -> None:
    flex = _squat()
    shift = np.where(flex < 60.0, 2.0, 6.0)
    mask = undetermined_frames(flex, np.zeros_like(flex), shift)
    assert mask.any() and np.all(np.abs(flex[mask] - 60.0) <= FLEXION_UNCERTAINTY_DEG + 1.0)


def test_unsolved_frames_are_not_read_and_not_judged() -> None:
    flex = _squat()
    tilt = 3.0 + 0.0 * flex
    tilt[100:110] = 40.0  # garbage in frames that did not solve
    solved = np.ones_like(flex, dtype=bool)
    solved[100:110] = False
    assert not undetermined_frames(flex, tilt, np.zeros_like(flex), solved).any()
    assert undetermined_sentence(flex, np.zeros_like(flex, dtype=bool)) is None
