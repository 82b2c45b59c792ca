"""Landmark finders on real segmented bones: the right bone, the right side, sane anatomy, and the
same answer however the input is rotated, translated or mirrored.

Uses the ICL_MRI right leg (test data beside the repository, ../shared/meshes; skipped when absent).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from kneeviz.anatomy._geometry import components
from kneeviz.anatomy.landmarks import (
    analyse_bone,
    find_femur,
    find_patella,
    find_pelvis,
    find_tibia,
    identify_bone,
)
from kneeviz.anatomy.landmarks_tibia import split_tibia_fibula
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh
from kneeviz.errors import KneevizError, MeshError
from kneeviz.transforms import apply, axis_angle, invert, make_transform

MESHES = Path(__file__).resolve().parents[3] / "shared" / "meshes"
ICL = MESHES / "ICL_MRI"
LENHART = MESHES / "lenhart2015"
MIRROR_X = np.diag([-1.0, 1.0, 1.0, 1.0])

needs_icl = pytest.mark.skipif(
    not ICL.is_dir(), reason=f"ICL_MRI test meshes not found at {ICL} (test data, not shipped)"
)


@cache
def load(path: Path, scale: float = 1.0) -> SurfaceMesh:
    import trimesh

    m = trimesh.load(path, force="mesh")
    return SurfaceMesh(np.asarray(m.vertices) * scale, np.asarray(m.faces))


def icl(name: str) -> SurfaceMesh:
    return load(ICL / f"ICL_MRI_{name}.stl")


def random_rigid(seed: int) -> FloatArray:
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=3)
    return make_transform(axis_angle(axis, rng.uniform(0.3, np.pi)), rng.uniform(-300, 300, 3))


def axis_angle_error_deg(A: FloatArray, B: FloatArray) -> float:
    """Largest angle between corresponding columns (frame axes) of two 3x3 matrices."""
    cos = np.clip(np.einsum("ij,ij->j", A, B), -1.0, 1.0)
    return float(np.degrees(np.arccos(cos)).max())


def assert_same_frame(T_expected: FloatArray, T_found: FloatArray) -> None:
    assert np.linalg.norm(T_expected[:3, 3] - T_found[:3, 3]) < 1.0
    assert axis_angle_error_deg(T_expected[:3, :3], T_found[:3, :3]) < 1.0


def femur_points(fit) -> dict[str, FloatArray]:  # type: ignore[no-untyped-def]
    lm = fit.landmarks
    return {
        "hip": lm.hip_centre_mm,
        "me": lm.medial_epicondyle_mm,
        "le": lm.lateral_epicondyle_mm,
        "mpc": lm.medial_posterior_condyle_mm,
        "lpc": lm.lateral_posterior_condyle_mm,
    }


@cache
def icl_femur():  # type: ignore[no-untyped-def]
    return find_femur(icl("femur_r"))


# ---------------------------------------------------------------- identify_bone


@needs_icl
@pytest.mark.parametrize(
    ("name", "bone"),
    [("femur_r", "femur"), ("tibia_r", "tibia"), ("fibula_r", "fibula"),
     ("patella_r", "patella"), ("pelvis_no_sacrum", "pelvis")],
)
def test_identify_bone_names_each_icl_bone(name: str, bone: str) -> None:
    mesh = icl(name)
    assert identify_bone(mesh) == bone
    assert identify_bone(mesh.transformed(random_rigid(7) @ MIRROR_X)) == bone


@needs_icl
def test_a_bone_in_metres_is_refused_and_works_once_scaled_back() -> None:
    metres = icl("femur_r").transformed(np.diag([1e-3, 1e-3, 1e-3, 1.0]))
    with pytest.raises(MeshError, match="metres"):
        identify_bone(metres)
    back = metres.transformed(np.diag([1e3, 1e3, 1e3, 1.0]))
    assert identify_bone(back) == "femur"
    fit = find_femur(back)
    assert np.linalg.norm(fit.landmarks.hip_centre_mm - icl_femur().landmarks.hip_centre_mm) < 1e-6


def test_identify_bone_refuses_a_fragment_with_a_clear_message() -> None:
    # a 100 x 90 x 80 mm box: too big for a patella, too short for a long bone
    from itertools import product

    v = np.array(list(product([0, 100.0], [0, 90.0], [0, 80.0])))
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    with pytest.raises(MeshError, match="cannot tell which bone"):
        identify_bone(SurfaceMesh(v, f))


# ---------------------------------------------------------------- femur


@needs_icl
def test_icl_femur_side_and_anatomy_are_sane() -> None:
    fit = icl_femur()
    lm = fit.landmarks
    assert fit.side == "right"
    assert np.linalg.det(fit.T_input_femur[:3, :3]) == pytest.approx(1.0)
    assert 380.0 < np.linalg.norm(lm.hip_centre_mm) < 520.0
    assert 18.0 < lm.femoral_head_radius_mm < 30.0
    width = np.linalg.norm(lm.lateral_epicondyle_mm - lm.medial_epicondyle_mm)
    assert 65.0 < width < 100.0
    # by construction: hip on +Y, epicondyles on the Z axis, medial at -Z
    assert lm.hip_centre_mm[1] > 0 and abs(lm.hip_centre_mm[0]) < 1e-6
    assert lm.medial_epicondyle_mm[2] < 0 < lm.lateral_epicondyle_mm[2]
    # posterior condyles are posterior (-X), at knee level, on their own sides
    for p in (lm.medial_posterior_condyle_mm, lm.lateral_posterior_condyle_mm):
        assert -45.0 < p[0] < -15.0 and abs(p[1]) < 20.0
    assert lm.medial_posterior_condyle_mm[2] < lm.lateral_posterior_condyle_mm[2]
    # the femoral head overhangs the shaft medially (femoral offset): the shaft's mid-point lies
    # lateral (+Z) of the mechanical axis
    mesh_local = icl("femur_r").transformed(invert(fit.T_input_femur))
    mid = np.abs(mesh_local.vertices_mm[:, 1] - 0.5 * lm.hip_centre_mm[1]) < 10.0
    assert mesh_local.vertices_mm[mid, 2].mean() > 5.0
    # trochlea: groove anterior, proximal to distal
    assert 120.0 < lm.sulcus_angle_deg < 160.0
    assert 3.0 < lm.groove_depth_mm < 10.0
    assert np.all(np.diff(lm.groove_line_mm[:, 1]) < 0)
    assert np.all(lm.groove_line_mm[:, 0] > 10.0)


@needs_icl
def test_icl_femur_frame_matches_the_scan_axes() -> None:
    """The scan's own frame (ICL: +x right, +y anterior, +z up) agrees with the found frame."""
    R = icl_femur().T_input_femur[:3, :3]
    # femur X (anterior) ~ scan +y, Y (proximal) ~ scan +z, Z (lateral, right) ~ scan +x
    assert R[1, 0] > 0.9 and R[2, 1] > 0.9 and R[0, 2] > 0.9


@needs_icl
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_femur_is_invariant_to_rotation_and_translation(seed: int) -> None:
    base = icl_femur()
    T = random_rigid(seed)
    fit = find_femur(icl("femur_r").transformed(T))
    assert fit.side == "right"
    assert_same_frame(T @ base.T_input_femur, fit.T_input_femur)
    for key, p in femur_points(base).items():
        assert np.linalg.norm(femur_points(fit)[key] - p) < 1.0, key
    assert abs(fit.landmarks.sulcus_angle_deg - base.landmarks.sulcus_angle_deg) < 1.0


@needs_icl
def test_mirrored_femur_is_a_left_femur_with_mirrored_landmarks() -> None:
    base = icl_femur()
    T = random_rigid(11) @ MIRROR_X
    fit = find_femur(icl("femur_r").transformed(T))
    assert fit.side == "left"
    assert np.linalg.det(fit.T_input_femur[:3, :3]) == pytest.approx(-1.0)
    assert_same_frame(T @ base.T_input_femur, fit.T_input_femur)
    # same femur-frame landmarks (right-knee convention), so mirrored in input coordinates
    for key, p in femur_points(base).items():
        assert np.linalg.norm(femur_points(fit)[key] - p) < 1.0, key
        in_input = apply(fit.T_input_femur, femur_points(fit)[key])
        assert np.linalg.norm(in_input - apply(T @ base.T_input_femur, p)) < 1.0


@needs_icl
def test_femur_without_its_head_is_refused() -> None:
    mesh = icl("femur_r")
    fit = icl_femur()
    local = invert(fit.T_input_femur)
    y = apply(local, mesh.vertices_mm)[:, 1]
    keep = np.all(y[mesh.faces] < 0.7 * fit.landmarks.hip_centre_mm[1], axis=1)
    headless = SurfaceMesh(mesh.vertices_mm, mesh.faces[keep])
    with pytest.raises(MeshError, match="femoral head"):
        find_femur(headless)
    with pytest.raises(MeshError, match="cut across its shaft"):
        identify_bone(headless)
    keep = np.all(y[mesh.faces] > 60.0, axis=1)
    with pytest.raises(MeshError, match="no distal end"):
        find_femur(SurfaceMesh(mesh.vertices_mm, mesh.faces[keep]))


@pytest.mark.skipif(not LENHART.is_dir(), reason=f"lenhart2015 test meshes not found at {LENHART}")
def test_distal_femur_only_is_refused_with_a_clear_message() -> None:
    mesh = load(LENHART / "lenhart2015-R-femur-subchondral-bone.stl", 1000.0)
    with pytest.raises(MeshError, match="export the whole femur"):
        find_femur(mesh)


@needs_icl
def test_analyse_bone_reports_femur_facts_in_input_coordinates() -> None:
    mesh = icl("femur_r")
    report = analyse_bone(mesh)
    facts = dict(report.facts)
    assert (report.bone, report.side) == ("femur", "right")
    hip = np.array([float(c) for c in facts["hip centre"].split()[:3]])
    assert np.linalg.norm(hip - apply(icl_femur().T_input_femur,
                                      icl_femur().landmarks.hip_centre_mm)) < 0.1
    # the hip centre is the centre of the head: every head point is about one radius from it
    r = float(facts["femoral head radius"].split()[0])
    d = np.linalg.norm(mesh.vertices_mm - hip, axis=1)
    assert abs(np.sort(d)[200] - r) < 3.0
    assert "sulcus angle" in facts and facts["sulcus angle"].endswith("deg")


# ---------------------------------------------------------------- tibia


def tibia_points(fit) -> dict[str, FloatArray]:  # type: ignore[no-untyped-def]
    lm = fit.landmarks
    return {k: getattr(lm, k) for k in ("medial_plateau_mm", "lateral_plateau_mm", "tuberosity_mm",
                                        "ankle_centre_mm", "medial_malleolus_mm",
                                        "lateral_malleolus_mm")}


@cache
def icl_tibia():  # type: ignore[no-untyped-def]
    return find_tibia(icl("tibia_r"))


@needs_icl
def test_icl_tibia_side_and_anatomy_are_sane() -> None:
    fit = icl_tibia()
    lm = fit.landmarks
    assert fit.side == "right" and fit.has_fibula
    assert 300.0 < np.linalg.norm(lm.ankle_centre_mm) < 460.0
    plateau_gap = np.linalg.norm(lm.lateral_plateau_mm - lm.medial_plateau_mm)
    assert 25.0 < plateau_gap < 55.0
    assert lm.medial_plateau_mm[2] < 0 < lm.lateral_plateau_mm[2]
    # tuberosity: anterior, below the plateau, near the midline
    assert lm.tuberosity_mm[0] > 20.0 and -50.0 < lm.tuberosity_mm[1] < -10.0
    assert abs(lm.tuberosity_mm[2]) < 25.0
    # malleoli at the ankle, medial on the medial side, 50-90 mm apart
    assert lm.medial_malleolus_mm[2] < 0 < lm.lateral_malleolus_mm[2]
    assert 50.0 < np.linalg.norm(lm.lateral_malleolus_mm - lm.medial_malleolus_mm) < 90.0
    # scan frame: tibia X (anterior) ~ scan +y, Y ~ +z, Z (lateral) ~ +x
    R = fit.T_input_tibia[:3, :3]
    assert R[1, 0] > 0.9 and R[2, 1] > 0.9 and R[0, 2] > 0.9


@needs_icl
def test_tibia_alone_and_fibula_argument_agree_with_the_combined_mesh() -> None:
    tib, fib = split_tibia_fibula(icl("tibia_r"))
    assert fib is not None
    given = find_tibia(tib, fibula=fib)
    assert given.has_fibula
    assert_same_frame(icl_tibia().T_input_tibia, given.T_input_tibia)
    alone = find_tibia(tib)
    assert alone.side == "right" and not alone.has_fibula
    assert axis_angle_error_deg(icl_tibia().T_input_tibia[:3, :3], alone.T_input_tibia[:3, :3]) < 5
    mirrored = find_tibia(tib.transformed(MIRROR_X))
    assert mirrored.side == "left"


@needs_icl
@pytest.mark.parametrize("seed", [4, 5])
def test_tibia_is_invariant_to_rotation_translation_and_mirroring(seed: int) -> None:
    base = icl_tibia()
    for T, side in ((random_rigid(seed), "right"), (random_rigid(seed) @ MIRROR_X, "left")):
        fit = find_tibia(icl("tibia_r").transformed(T))
        assert fit.side == side
        assert_same_frame(T @ base.T_input_tibia, fit.T_input_tibia)
        for key, p in tibia_points(base).items():
            assert np.linalg.norm(tibia_points(fit)[key] - p) < 1.0, key


# ---------------------------------------------------------------- patella


def patella_points(fit) -> dict[str, FloatArray]:  # type: ignore[no-untyped-def]
    lm = fit.landmarks
    return {k: getattr(lm, k) for k in ("apex_mm", "base_mm", "medial_border_mm",
                                        "lateral_border_mm")}


@cache
def icl_patella():  # type: ignore[no-untyped-def]
    return find_patella(icl("patella_r"))


def check_patella_anatomy(fit) -> None:  # type: ignore[no-untyped-def]
    lm = fit.landmarks
    # Iranpour: 34.4 +/- 3.8 x 44.8 +/- 4.8 x 22.4 +/- 2.3 mm (height x width x thickness); the
    # ICL patella is 53 mm tall (4.8 SD), so height gets a wider band than +/- 3 SD
    assert 25.0 < lm.height_mm < 56.0
    assert 44.8 - 3 * 4.8 < lm.width_mm < 44.8 + 3 * 4.8
    assert 22.4 - 3 * 2.3 < lm.thickness_mm < 22.4 + 3 * 2.3
    assert lm.apex_mm[1] < -10.0 < 10.0 < lm.base_mm[1]
    assert lm.medial_border_mm[2] < -15.0 and lm.lateral_border_mm[2] > 15.0
    # the ridge is on the back, runs superior to inferior, and lies medial of the middle
    # (the lateral facet is the larger)
    ridge = lm.ridge_line_mm
    assert np.all(ridge[:, 0] < -5.0)
    assert ridge[0, 1] > ridge[-1, 1]
    middle = 0.5 * (lm.medial_border_mm[2] + lm.lateral_border_mm[2])
    assert np.median(ridge[:, 2]) < middle


@needs_icl
def test_icl_patella_side_frame_and_size() -> None:
    fit = icl_patella()
    assert fit.side == "right"
    check_patella_anatomy(fit)
    R = fit.T_input_patella[:3, :3]  # scan: +y anterior, +z up, +x right
    assert R[1, 0] > 0.9 and R[2, 1] > 0.9 and R[0, 2] > 0.9


@pytest.mark.skipif(not LENHART.is_dir(), reason=f"lenhart2015 test meshes not found at {LENHART}")
def test_lenhart_patella_frame_matches_its_published_frame() -> None:
    """Lenhart's patella is stored in its own frame (X anterior, Y up, Z lateral, right knee)."""
    fit = find_patella(load(LENHART / "lenhart2015-R-patella-bone.stl", 1000.0))
    assert fit.side == "right"
    check_patella_anatomy(fit)
    assert axis_angle_error_deg(np.eye(3), fit.T_input_patella[:3, :3]) < 10.0


@needs_icl
@pytest.mark.parametrize("seed", [8, 9])
def test_patella_is_invariant_to_rotation_translation_and_mirroring(seed: int) -> None:
    base = icl_patella()
    for T, side in ((random_rigid(seed), "right"), (random_rigid(seed) @ MIRROR_X, "left")):
        fit = find_patella(icl("patella_r").transformed(T))
        assert fit.side == side
        assert_same_frame(T @ base.T_input_patella, fit.T_input_patella)
        for key, p in patella_points(base).items():
            assert np.linalg.norm(patella_points(fit)[key] - p) < 1.0, key


@needs_icl
def test_patella_side_hint_overrides_the_shape_vote() -> None:
    fit = find_patella(icl("patella_r"), side_hint="left")
    assert fit.side == "left" and fit.side_from_shape == "right"
    assert np.linalg.det(fit.T_input_patella[:3, :3]) == pytest.approx(-1.0)
    # same anterior and superior axes, lateral flipped
    R0 = icl_patella().T_input_patella[:3, :3]
    R1 = fit.T_input_patella[:3, :3]
    assert np.allclose(R0[:, :2], R1[:, :2]) and np.allclose(R0[:, 2], -R1[:, 2])
    with pytest.raises(MeshError, match="side hint"):
        find_patella(icl("patella_r"), side_hint="up")


# ---------------------------------------------------------------- pelvis


@cache
def icl_pelvis(side: str):  # type: ignore[no-untyped-def]
    return find_pelvis(icl("pelvis_no_sacrum"), side)


@needs_icl
def test_icl_pelvis_hip_centre_is_the_femoral_head_centre() -> None:
    """Two bones, two methods (acetabulum socket vs femoral head ball), one joint centre."""
    right, left = icl_pelvis("right"), icl_pelvis("left")
    assert right.whole and left.whole
    head = apply(icl_femur().T_input_femur, icl_femur().landmarks.hip_centre_mm)
    assert np.linalg.norm(right.T_input_pelvis[:3, 3] - head) < 3.0
    assert 150.0 < np.linalg.norm(right.T_input_pelvis[:3, 3] - left.T_input_pelvis[:3, 3]) < 230.0
    assert 18.0 < right.acetabulum_radius_mm < 35.0
    assert np.linalg.det(right.T_input_pelvis[:3, :3]) == pytest.approx(1.0)
    assert np.linalg.det(left.T_input_pelvis[:3, :3]) == pytest.approx(-1.0)
    for fit in (right, left):
        lm = fit.landmarks
        # ASIS anterior and well above the hip; AIIS below it, still anterior and above the hip
        assert lm.asis_mm[0] > 20.0 and lm.asis_mm[1] > 40.0
        assert lm.aiis_mm[0] > 10.0 and 10.0 < lm.aiis_mm[1] < lm.asis_mm[1]
        assert abs(lm.asis_mm[2]) < 40.0
    R = right.T_input_pelvis[:3, :3]  # scan: +y anterior, +z up, +x right
    assert R[1, 0] > 0.9 and R[2, 1] > 0.9 and R[0, 2] > 0.9


@needs_icl
@pytest.mark.parametrize("seed", [12, 13])
def test_pelvis_is_invariant_to_rotation_translation_and_mirroring(seed: int) -> None:
    T = random_rigid(seed)
    for side in ("right", "left"):
        base = icl_pelvis(side)
        fit = find_pelvis(icl("pelvis_no_sacrum").transformed(T), side)
        assert_same_frame(T @ base.T_input_pelvis, fit.T_input_pelvis)
        assert np.linalg.norm(fit.landmarks.asis_mm - base.landmarks.asis_mm) < 1.0
        assert np.linalg.norm(fit.landmarks.aiis_mm - base.landmarks.aiis_mm) < 1.0
    # mirrored: the original right socket becomes the left one, same landmarks in the frame
    M = T @ MIRROR_X
    fit = find_pelvis(icl("pelvis_no_sacrum").transformed(M), "left")
    base = icl_pelvis("right")
    assert_same_frame(M @ base.T_input_pelvis, fit.T_input_pelvis)
    assert np.linalg.norm(fit.landmarks.asis_mm - base.landmarks.asis_mm) < 1.0


@needs_icl
def test_one_hemipelvis_gives_the_same_hip_and_spines() -> None:
    pieces = components(icl("pelvis_no_sacrum"))
    for side in ("right", "left"):
        whole = icl_pelvis(side)
        hip = whole.T_input_pelvis[:3, 3]
        hemi = min(pieces, key=lambda p: np.linalg.norm(p.vertices_mm.mean(0) - hip))
        fit = find_pelvis(hemi, side)
        assert not fit.whole
        assert np.linalg.norm(fit.T_input_pelvis[:3, 3] - hip) < 0.5
        for key in ("asis_mm", "aiis_mm"):
            a = apply(whole.T_input_pelvis, getattr(whole.landmarks, key))
            b = apply(fit.T_input_pelvis, getattr(fit.landmarks, key))
            assert np.linalg.norm(a - b) < 6.0, key
        # anterior axis close to the whole pelvis's (the hemi's up/lateral are rougher: gaps)
        assert axis_angle_error_deg(whole.T_input_pelvis[:3, :1], fit.T_input_pelvis[:3, :1]) < 12
        other = "left" if side == "right" else "right"
        with pytest.raises(MeshError, match=f"looks like a {side}"):
            find_pelvis(hemi, other)


# ---------------------------------------------------------------- LLP26 mean atlas


@cache
def atlas(bone: str) -> SurfaceMesh:
    """An atlas bone in its CT frame (+z proximal, -y anterior; mirrored to a right: -x lateral)."""
    try:
        from kneeviz.anatomy.atlas import atlas_bone

        return atlas_bone(bone)
    except (ImportError, KneevizError) as exc:
        pytest.skip(f"LLP26 atlas not available: {exc}")


# the atlas CT frame, as femur/tibia/patella/pelvis frame columns (X anterior, Y up, Z lateral)
ATLAS_AXES = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize("bone", ["femur", "tibia", "patella", "pelvis"])
def test_atlas_bones_are_identified(bone: str) -> None:
    assert identify_bone(atlas(bone)) == bone


def test_atlas_femur_and_tibia_frames_and_sides() -> None:
    f = find_femur(atlas("femur"))
    t = find_tibia(atlas("tibia"))
    assert f.side == "right" and t.side == "right" and t.has_fibula
    assert np.all(np.einsum("ij,ij->j", f.T_input_femur[:3, :3], ATLAS_AXES) > 0.9)
    assert np.all(np.einsum("ij,ij->j", t.T_input_tibia[:3, :3], ATLAS_AXES) > 0.9)
    assert 380.0 < np.linalg.norm(f.landmarks.hip_centre_mm) < 520.0
    assert 18.0 < f.landmarks.femoral_head_radius_mm < 30.0
    assert 300.0 < np.linalg.norm(t.landmarks.ankle_centre_mm) < 460.0
    # the atlas trochlea is shallow (docs/model.md section 1.1): a groove, but flatter than a
    # healthy one
    assert 130.0 < f.landmarks.sulcus_angle_deg < 165.0
    # standing pose: the tibial plateau sits just below the femoral epicondyles
    knee_gap = f.T_input_femur[:3, 3] - t.T_input_tibia[:3, 3]
    assert 0.0 < knee_gap @ f.T_input_femur[:3, 1] < 40.0


def test_atlas_pelvis_hip_centre_is_near_the_femoral_head() -> None:
    """The atlas's mean femur and pelvis are one standing pose (their head and socket overlap
    by about 6 mm in the atlas itself, hence the 10 mm tolerance)."""
    f = find_femur(atlas("femur"))
    p = find_pelvis(atlas("pelvis"), "right")
    assert p.whole
    head = apply(f.T_input_femur, f.landmarks.hip_centre_mm)
    assert np.linalg.norm(p.T_input_pelvis[:3, 3] - head) < 10.0
    assert p.T_input_pelvis[:3, 0] @ ATLAS_AXES[:, 0] > 0.8  # anterior


@pytest.mark.parametrize("hints", [False, True])
def test_atlas_patella_frame(hints: bool) -> None:
    """The smoothed mean patella is oriented by its shape alone, and the same with the knee's
    directions given as hints."""
    kw = {"anterior_hint": ATLAS_AXES[:, 0], "superior_hint": ATLAS_AXES[:, 1]} if hints else {}
    fit = find_patella(atlas("patella"), **kw)
    assert fit.side == "right" and fit.side_from_shape == "right"
    assert np.all(np.einsum("ij,ij->j", fit.T_input_patella[:3, :3], ATLAS_AXES) > 0.9)
    check_patella_anatomy(fit)


# ---------------------------------------------------------------- the default knee (assets)

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "meshes"


def asset(bone: str) -> SurfaceMesh:
    """The bundled `bone` in its own bone frame: the files hold the knee as one scan does (the
    femur's frame, landmarks.json `meshes_frame`), so each is brought back by its recorded pose,
    as kneeviz.anatomy.build.load_anatomy_folder does."""
    import json

    from kneeviz.anatomy.build import MESHES_FRAME, SAVED_IN_FEMUR_FRAME

    path = ASSETS / f"{bone}.stl"
    if not path.is_file():
        pytest.skip(f"default knee asset {path} not built yet")
    mesh = load(path)
    record = json.loads((ASSETS / "landmarks.json").read_text())
    if record.get("meshes_frame") == MESHES_FRAME and bone in SAVED_IN_FEMUR_FRAME:
        mesh = mesh.transformed(invert(np.asarray(record[SAVED_IN_FEMUR_FRAME[bone]], float)))
    return mesh


def test_default_knee_bones_are_found_in_their_own_frames() -> None:
    """The assets are stored in their bone frames, so finding them again gives the identity
    (re-finding is idempotent, up to the finder changes made since the assets were last built:
    hence 3 mm / 3 deg), with no hints."""
    fits = {
        "femur": find_femur(asset("femur")).T_input_femur,
        "tibia": find_tibia(asset("tibia")).T_input_tibia,
        "patella": find_patella(asset("patella")).T_input_patella,
        "pelvis": find_pelvis(asset("pelvis"), "right").T_input_pelvis,
    }
    for bone, T in fits.items():
        assert identify_bone(asset(bone)) == bone
        assert np.linalg.norm(T[:3, 3]) < 3.0
        assert axis_angle_error_deg(np.eye(3), T[:3, :3]) < 3.0


def test_default_knee_trochlea_has_the_sculpted_sulcus_angle() -> None:
    import json

    options = json.loads((ASSETS / "landmarks.json").read_text())["options"]
    fit = find_femur(asset("femur"))
    assert fit.landmarks.sulcus_angle_deg == pytest.approx(options["sulcus_angle_deg"], abs=4.0)
    assert fit.landmarks.groove_depth_mm > 3.0


@pytest.mark.parametrize("seed", [21, 22])
def test_default_knee_patella_is_invariant_without_hints(seed: int) -> None:
    T = random_rigid(seed)
    for M, side in ((T, "right"), (T @ MIRROR_X, "left")):
        fit = find_patella(asset("patella").transformed(M))
        assert fit.side == side
        assert_same_frame(M, fit.T_input_patella)


# ---------------------------------------------------------------- remeshing


@needs_icl
@pytest.mark.parametrize("bone", ["femur_r", "tibia_r"])
def test_frames_survive_remeshing(bone: str) -> None:
    """Half the triangles (quadric decimation) moves the frame by well under 1 mm and 1.5 deg:
    landmarks are cap centroids and bitangents, not single extreme vertices."""
    fast_simplification = pytest.importorskip("fast_simplification")
    mesh = icl(bone)
    v, f = fast_simplification.simplify(mesh.vertices_mm.astype(np.float32),
                                        mesh.faces.astype(np.int32), 0.5)
    coarse = SurfaceMesh(v.astype(np.float64), f.astype(np.int64))
    if bone == "femur_r":
        T0, T1 = icl_femur().T_input_femur, find_femur(coarse).T_input_femur
    else:
        T0, T1 = icl_tibia().T_input_tibia, find_tibia(coarse).T_input_tibia
    assert np.linalg.norm(T0[:3, 3] - T1[:3, 3]) < 1.0
    assert axis_angle_error_deg(T0[:3, :3], T1[:3, :3]) < 1.5


# ---------------------------------------------------------------- analyse_bone (check-mesh facts)


def _point(text: str) -> FloatArray:
    return np.array([float(c) for c in text.split()[:3]])


@needs_icl
def test_analyse_bone_reports_every_bone_in_input_coordinates() -> None:
    tib = analyse_bone(icl("tibia_r"))
    facts = dict(tib.facts)
    assert (tib.bone, tib.side) == ("tibia", "right")
    T = icl_tibia().T_input_tibia
    assert np.allclose(_point(facts["tuberosity"]),
                       apply(T, icl_tibia().landmarks.tuberosity_mm), atol=0.06)
    assert np.allclose(_point(facts["ankle centre"]),
                       apply(T, icl_tibia().landmarks.ankle_centre_mm), atol=0.06)
    assert facts["fibula"].startswith("present")

    pat = analyse_bone(icl("patella_r"))
    facts = dict(pat.facts)
    assert (pat.bone, pat.side) == ("patella", "right")
    h, w, t = (float(x) for x in facts["height x width x thickness"].split()[0:5:2])
    lm = icl_patella().landmarks
    assert (h, w, t) == pytest.approx((lm.height_mm, lm.width_mm, lm.thickness_mm), abs=0.06)
    # the apex is the inferior pole: below the base in the scan (+z up)
    assert _point(facts["apex (inferior pole)"])[2] < _point(facts["base (superior border)"])[2]

    pel = analyse_bone(icl("pelvis_no_sacrum"))
    facts = dict(pel.facts)
    assert (pel.bone, pel.side) == ("pelvis", "both")
    assert np.allclose(_point(facts["right hip centre"]), icl_pelvis("right").T_input_pelvis[:3, 3],
                       atol=0.06)
    assert _point(facts["right hip centre"])[0] > _point(facts["left hip centre"])[0]  # +x right

    fib = analyse_bone(icl("fibula_r"))
    assert fib.bone == "fibula" and fib.side == "unknown"


@needs_icl
def test_inside_out_meshes_give_the_same_landmarks() -> None:
    """Faces wound inwards (a common export fault) flip every normal; the finders re-orient them
    by the sign of the enclosed volume."""
    def flipped(name: str) -> SurfaceMesh:
        m = icl(name)
        return SurfaceMesh(m.vertices_mm, m.faces[:, ::-1].copy())

    assert_same_frame(icl_femur().T_input_femur, find_femur(flipped("femur_r")).T_input_femur)
    assert_same_frame(icl_patella().T_input_patella,
                      find_patella(flipped("patella_r")).T_input_patella)
    assert_same_frame(icl_pelvis("right").T_input_pelvis,
                      find_pelvis(flipped("pelvis_no_sacrum"), "right").T_input_pelvis)
