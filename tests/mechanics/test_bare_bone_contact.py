"""The kneecap's bone meets the femur wherever it faces it, not only where cartilage covers it
(kneeviz.mechanics.contact.bare_patella_points; docs/validation.md, "Population knees and the
self-check")."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from kneeviz.anatomy.knee_spec import KneeSpec
from kneeviz.anatomy.loader import load_knee
from kneeviz.mechanics.contact import (
    BARE_BONE_LAYER_MM,
    BARE_BONE_SPACING_MM,
    bare_patella_points,
    patellar_contact_points,
)


def test_every_part_of_the_kneecaps_posterior_bone_has_contact_points_over_it() -> None:
    """The self-check holds the kneecap's posterior half (cartilage-covered or bare: its rim, its
    apex) against the femur; the contact model must too. Each posterior bone vertex lies within
    a contact point's spacing and a cartilage layer of one (with cartilage points alone the rim
    and apex of the bundled kneecap lay up to 12.8 mm from any), and the bare-bone points carry
    the bone's own area and no layer of their own."""
    knee = load_knee(KneeSpec())
    cp = patellar_contact_points(knee.patella_cartilage, knee.patella)
    v = np.asarray(knee.patella.vertices_mm, dtype=float)
    posterior = v[v[:, 0] <= np.median(v[:, 0])]
    d, _ = cKDTree(cp.points_mm).query(posterior)
    n_cart = cp.n_cartilage
    d_cart, _ = cKDTree(cp.points_mm[:n_cart]).query(posterior)
    # within a cartilage layer's thickness (the points lie on its articular side) and a spacing
    reach = float(cp.thickness_mm[:n_cart].max()) + BARE_BONE_SPACING_MM
    assert d_cart.max() > reach + 5.0  # the cartilage alone left the rim and apex uncovered
    assert d.max() < reach, d.max()
    # the bare points: on the bone, no layer of their own, areas summing to the bone's
    bare, areas = bare_patella_points(knee.patella_cartilage, knee.patella)
    assert len(bare) > 100 and len(cp.points_mm) == n_cart + len(bare)
    assert np.allclose(cp.thickness_mm[n_cart:], BARE_BONE_LAYER_MM)
    on_bone, _ = cKDTree(v).query(bare)
    assert on_bone.max() < 3.0
    assert 100.0 < areas.sum() < 0.5 * knee.patella.face_areas_mm2().sum()
    # the cartilage's own points (and their map to its vertices) are as they were
    assert cp.vertex_of.max() < n_cart
