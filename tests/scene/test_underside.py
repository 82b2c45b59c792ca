"""The kneecap's underside map (kneeviz.scene.underside): measured on the image it draws.

From healthy hip control to the severe setting the contact patch must move towards the lateral
facet, counted in pixels on the side the picture labels "outer side"; a left knee is drawn
mirrored (its outer side on the right, a right knee's on the left) and labelled so."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kneeviz.scene.underside import UndersideMapSpec, draw_underside_panel, underside_map

DEEPEST_30 = 5
"""The deepest frame of the clinical fixtures' short squat: 30 deg."""


def contact_pixels(anatomy, pressure):  # type: ignore[no-untyped-def]
    """(panel, layout, mask of pixels that differ from the same map with no contact)."""
    size = (900, 420)
    shown, (lay,) = draw_underside_panel(anatomy, [UndersideMapSpec("x", pressure)], size)
    blank, _ = draw_underside_panel(anatomy, [UndersideMapSpec("x", None)], size)
    x0, y0, x1, y1 = lay.box
    diff = np.abs(shown.astype(int) - blank.astype(int)).sum(axis=2)[y0:y1, x0:x1] > 30
    return lay, diff


def lateral_pixel_share(lay, mask) -> float:  # type: ignore[no-untyped-def]
    """Share of the contact pixels on the side labelled "outer side" of the drawn ridge."""
    x0, y0 = lay.box[:2]
    yy, xx = np.nonzero(mask)
    r = lay.ridge_px - np.array([x0, y0])
    order = np.argsort(r[:, 1])
    ridge_x = np.interp(yy, r[order, 1], r[order, 0])
    lateral = xx > ridge_x if lay.lateral_on_right else xx < ridge_x
    return float(lateral.mean())


@pytest.mark.slow  # the severe preset's real solve (the healthy one is shared): about 6 s
def test_the_load_moves_to_the_lateral_facet_on_the_image(anatomy) -> None:  # type: ignore[no-untyped-def]
    from clinical_fixtures import trajectory

    shares = {}
    for preset in ("healthy", "severe"):
        traj = trajectory(preset)
        assert abs(float(traj["knee_flexion_deg"][DEEPEST_30]) - 30.0) < 1.0
        lay, mask = contact_pixels(anatomy, traj.patella_pressure_mpa[DEEPEST_30])
        assert mask.sum() > 200, f"{preset}: no contact patch drawn"
        shares[preset] = lateral_pixel_share(lay, mask)
        # the panel's written share is counted on the same pixels: it agrees in direction
        assert 0.0 <= lay.lateral_share <= 1.0
    # the default knee is a right knee: seen through the kneecap from the front, its outer side
    # is on the left (the app's one convention, kneeviz.view_state.outer_side_on_right)
    assert not lay.lateral_on_right
    assert shares["severe"] > shares["healthy"] + 0.05, shares
    assert shares["severe"] > 0.9  # in the severe setting the medial facet is all but unloaded


def test_a_left_knee_is_drawn_mirrored_with_its_outer_side_on_the_right(anatomy) -> None:  # type: ignore[no-untyped-def]
    from clinical_fixtures import trajectory

    p = trajectory("severe").patella_pressure_mpa[DEEPEST_30]
    left = replace(anatomy, side="left")
    right_lay, right_mask = contact_pixels(anatomy, p)
    left_lay, left_mask = contact_pixels(left, p)
    assert left_lay.lateral_on_right
    # the same patch on the other side of the ridge, as seen on the picture
    cx_right = np.nonzero(right_mask)[1].mean() - np.median(right_lay.ridge_px[:, 0] -
                                                            right_lay.box[0])
    cx_left = np.nonzero(left_mask)[1].mean() - np.median(left_lay.ridge_px[:, 0] - left_lay.box[0])
    assert cx_right < -5 and cx_left > 5
    assert lateral_pixel_share(left_lay, left_mask) == pytest.approx(
        lateral_pixel_share(right_lay, right_mask), abs=0.05)


def test_pixels_carry_the_solver_pressures_unchanged(anatomy) -> None:  # type: ignore[no-untyped-def]
    """A uniform pressure is drawn in exactly its heat-map colour (times the shading)."""
    m = underside_map(anatomy, (200, 160))
    p = np.full(anatomy.patella_cartilage.n_vertices, 4.0)
    assert np.allclose(m.pixel_pressures(p), 4.0)
    assert np.isnan(m.lateral_share(np.zeros_like(p)))
