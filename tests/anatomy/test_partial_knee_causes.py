"""Why the bundled knee, cut to a knee MRI's field of view, completed to a wrong knee or was refused
(issue 26), one test per cause; each failed on the code before its fix.

The bundled knee's own meshes are put in one frame (the femur's) as a scan holds them
(tests/partial_cases.py) and cut square to the bone, the rims closed unless said."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kneeviz.anatomy.build import identify_or_complete
from kneeviz.anatomy.completion import fit_atlas
from kneeviz.anatomy.landmarks import find_femur, find_tibia, identify_bone
from kneeviz.errors import KneevizError, MeshError
from partial_cases import Cut, cut_piece, knee, load, pieces, squat, write_stl

pytestmark = pytest.mark.usefixtures("shared_grid_cache")


def _world(T: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.asarray(T[:3, :3] @ p + T[:3, 3])


def test_a_tibia_piece_with_its_fibulas_head_completes_to_the_whole_tibias_ankle() -> None:
    """The bundled tibia's proximal 125 mm holds the fibula's head as a second body, as many
    segmentations keep it. It was refused ("does not match the atlas tibia, fit RMS 5.0 mm": the
    fibula's points pulled the tibia's fit); a tibia completed without its fibula has its ankle
    centre where the fibular notch is, not between the malleoli: 13.5 mm and 1.4 deg off the
    whole tibia's."""
    k = knee("bundled")
    whole = find_tibia(k.tibia)
    _, piece = pieces(k, Cut(110.0, 125.0))
    fit = fit_atlas(piece, "tibia", "t.stl")
    assert fit.fibula is not None and fit.rms_mm < 1.5
    done = find_tibia(fit.composite, fit.fibula, one_piece=True)
    ankle_err = np.linalg.norm(_world(done.T_input_tibia, done.landmarks.ankle_centre_mm)
                               - _world(whole.T_input_tibia, whole.landmarks.ankle_centre_mm))
    axis_err = np.degrees(np.arccos(np.clip(
        done.T_input_tibia[:3, 1] @ whole.T_input_tibia[:3, 1], -1.0, 1.0)))
    assert ankle_err < 3.0 and axis_err < 0.5


def test_a_second_body_that_is_not_the_fibula_is_refused_by_name() -> None:
    """A kneecap in the tibia's file, 60 mm in front of the tibia."""
    from kneeviz.anatomy._geometry import merge

    k = knee("bundled")
    _, piece = pieces(k, Cut(110.0, 90.0))
    moved = k.patella.transformed(np.array([[1.0, 0, 0, 60.0], [0, 1, 0, -60.0], [0, 0, 1, 0],
                                            [0, 0, 0, 1]]))
    with pytest.raises(MeshError, match=r"t\.stl: this tibia file holds a second body"):
        fit_atlas(merge([piece, moved]), "tibia", "t.stl")


def test_a_piece_with_its_cut_edge_open_has_the_same_articular_cartilage_as_a_closed_one() -> None:
    """A segmentation exported with the cut edge open is an open bone surface. The contact grid
    took as articular every cartilage face pointing away from its nearest bone vertex; the grown
    layer's inner sheet lies on the bone, so half of it passed: 12558 articular faces against
    5988 for the same piece closed, a second contact surface inside the first (the bundled knee
    cut 100/80 mm, open: 11 frames of the squat unsolved, the kneecap 7.4 mm off)."""
    from kneeviz.mechanics.contact import articular_faces

    k = knee("bundled")
    counts = []
    for open_edge in (False, True):
        femur, tibia = pieces(k, Cut(100.0, 80.0, open_edge=open_edge))
        with tempfile.TemporaryDirectory() as tmp:
            a = load(k, femur, tibia, False, Path(tmp))
        ids, normals = articular_faces(a.femur_cartilage, a.femur)
        centres = a.femur_cartilage.vertices_mm[a.femur_cartilage.faces[ids]].mean(axis=1)
        outward = np.einsum("ij,ij->i", normals, centres - np.array([0.0, 10.0, 0.0])) > 0
        counts.append(len(ids))
        assert outward.mean() > 0.9
    assert abs(counts[1] - counts[0]) < 0.05 * counts[0]


@pytest.mark.parametrize("length_mm", [150.0, 175.0, 200.0])
def test_a_long_distal_femur_is_a_femur_never_a_pelvis(length_mm: float) -> None:
    """150-200 mm of distal femur is about 80 mm wide: stout (under twice as long as wide) and
    over 150 mm long, which was the whole rule for a pelvis ("this looks like a pelvis")."""
    k = knee("bundled")
    femur, _ = pieces(k, Cut(length_mm, 100.0))
    try:
        found = identify_bone(femur)
    except MeshError as exc:
        assert "cannot tell" in exc.problem or "long bone" in exc.problem
    else:
        assert found not in ("pelvis", "patella")
    fit = identify_or_complete(femur, "femur", "f.stl")
    assert fit is not None and fit.bone == "femur"


def test_a_pelvis_is_still_a_pelvis() -> None:
    assert identify_bone(knee("bundled").pelvis) == "pelvis"


def test_a_tibia_piece_given_as_the_femur_is_named_for_what_it_is() -> None:
    k = knee("bundled")
    _, tibia = pieces(k, Cut(110.0, 90.0))
    with pytest.raises(MeshError, match=r"f\.stl: this looks like a partial tibia .*not a femur"):
        identify_or_complete(tibia, "femur", "f.stl")


def test_a_piece_that_fits_neither_knee_bone_is_not_named() -> None:
    """An ellipsoidal lump the size of a distal femur: neither atlas bone fits it."""
    from kneeviz.anatomy.mesh import SurfaceMesh

    k = knee("bundled")
    v = k.patella.vertices_mm
    c = v.mean(axis=0)
    lump = SurfaceMesh((v - c) * np.array([2.2, 3.5, 2.0]), k.patella.faces)
    with pytest.raises(MeshError, match=r"l\.stl: cannot tell which bone this is.*check-mesh"):
        identify_or_complete(lump, "femur", "l.stl")


def test_bones_each_in_their_own_frame_are_refused(tmp_path: Path) -> None:
    """The bundled knee's files each hold one bone in its own frame; cut and loaded as one scan,
    the tibia's origin (its plateau centre) fell 32 mm from the femur's, within the 70 mm the
    one-knee check allowed, so the plateau sat 18 mm inside the condyles and the squat solved
    around it (the 90 deg render drew the tibia through the front of the condyles)."""
    from kneeviz.anatomy._geometry import components
    from kneeviz.anatomy.build import anatomy_from_files, load_default_anatomy

    d = load_default_anatomy()
    paths = {}
    femur = cut_piece(d.femur, np.array([0.0, 1.0, 0.0]), 110.0)
    tibia = cut_piece(components(d.tibia)[0], np.array([0.0, -1.0, 0.0]), 90.0)
    for name, mesh in (("femur", femur), ("patella", d.patella), ("tibia", tibia)):
        paths[name] = tmp_path / f"{name}_cut.stl"
        write_stl(mesh, paths[name])
    with pytest.raises(KneevizError, match=r"tibia_cut\.stl: the tibia lies \d+ mm inside the "
                                           r"femoral condyles"):
        anatomy_from_files(paths["femur"], paths["patella"], paths["tibia"])


def test_two_knees_that_differ_only_in_a_landmark_are_two_models() -> None:
    """The mechanics model was kept in memory by the meshes' content alone: a knee with another
    tendon insertion (the bundled knee's is raised 17 mm above the finder's point) got the model
    of the first, and its squat was the first's."""
    from kneeviz.anatomy.build import load_default_anatomy

    d = load_default_anatomy()
    lower = replace(d, tibia_landmarks=replace(
        d.tibia_landmarks, tuberosity_mm=d.tibia_landmarks.tuberosity_mm - [0.0, 17.0, 0.0]))
    assert d.key() != lower.key()
    a, b = squat(d), squat(lower)
    assert abs(float(a["patella_flexion_deg"][-1] - b["patella_flexion_deg"][-1])) > 1.0


def test_the_femurs_completion_does_not_follow_a_sculpted_groove() -> None:
    """The bundled femur is the atlas femur with its smoothed groove sculpted to healthy values.
    Cut to 110 mm, the shape fit bent the whole bone to the sculpted groove: hip centre 12.1 mm
    off (scale 1.022), where the unsculpted atlas femur completes to 0.3 mm. The groove is left
    out of the fit now."""
    k = knee("bundled")
    whole = find_femur(k.femur)
    femur, _ = pieces(k, Cut(110.0, 90.0))
    fit = fit_atlas(femur, "femur")
    done = find_femur(fit.composite)
    hip_err = np.linalg.norm(_world(done.T_input_femur, done.landmarks.hip_centre_mm)
                             - _world(whole.T_input_femur, whole.landmarks.hip_centre_mm))
    assert hip_err < 5.0
    assert abs(fit.scale - 1.0) < 0.01


@pytest.mark.slow
def test_the_kneecaps_tilt_is_taken_against_an_axial_condylar_line() -> None:
    """The posterior condylar line's two tangent points lie on surfaces nearly parallel to the
    mechanical axis: the ICL femur cut to 200 mm and completed (its axis 1.4 deg off the whole
    femur's) had its medial point 4.3 mm higher up, the 3-D line turned 5 deg, and the kneecap's
    tilt, taken against it, was 2-4 deg off from 36 to 90 deg of flexion (worst 4.3 deg). The
    line is now the femur's axial plane's, as tilt and TT-TG are axial-image measures."""
    from partial_cases import TILT_FLOOR_DEG, run_case
    from partial_fixtures import require_icl

    require_icl()
    out = run_case("icl", Cut(200.0, 100.0, open_edge=True))
    assert out.outcome == "completed", out.message
    assert out.tilt_err_deg < TILT_FLOOR_DEG
    assert abs(find_femur(knee("icl").femur).landmarks.posterior_condylar_axis[1]) < 1e-12


@pytest.mark.slow
def test_a_distal_femur_cut_obliquely_is_not_taken_for_a_whole_femur() -> None:
    """Population knee atlas:02's distal 200 mm, cut 7 deg off square with the rim left open:
    the sphere grown on a condyle passed for a femoral head, the piece was loaded as a whole femur
    with its 'hip' at the knee, and the knee was refused as a left femur on a right tibia."""
    k = knee("atlas:02")
    femur, _ = pieces(k, Cut(200.0, 80.0, 7.0, "lateral", open_edge=True))
    with pytest.raises(MeshError, match="cut across its shaft"):
        identify_bone(femur)


@pytest.mark.slow
def test_the_pelvis_socket_is_the_one_holding_the_femurs_head() -> None:
    """Of a whole pelvis's two sockets the shape's own cues (where they open, where the bulk
    lies) named the wrong one in 14 of the 26 population knees: atlas:07's rectus femoris then
    pulled from the far side of the pelvis, 138 mm medial of its hip. The socket holding the
    femur's head is the femur's side's."""
    from kneeviz.anatomy.population import load_population_knee

    a = load_population_knee(7)
    T = a.T_femur_pelvis_ref
    aiis = T[:3, :3] @ a.pelvis_landmarks.aiis_mm + T[:3, 3] - a.femur_landmarks.hip_centre_mm
    assert 15.0 < aiis[0] < 60.0 and 15.0 < aiis[1] < 60.0 and -15.0 < aiis[2] < 35.0
    assert np.linalg.norm(T[:3, 3] - a.femur_landmarks.hip_centre_mm) < 30.0


@pytest.mark.parametrize("name", ["bundled", "atlas:05"])
def test_a_built_knees_files_put_the_tendons_insertion_where_the_built_knee_has_it(
        name: str, tmp_path: Path) -> None:
    """The atlas tibia's tuberosity is smoothed away, so a built knee's tendon inserts 17 mm
    above the point the tuberosity finder picks on it (default_knee.TENDON_INSERTION_RAISE_MM).
    Its saved tibia did not show that: loaded from the files, the insertion was 17 mm low, the
    kneecap rode low (Caton-Deschamps 0.48-0.59 at 30 deg against the built knees' 0.93-0.96)
    and the squat to 120 deg failed its self-check. The saved tibia now has a tuberosity there
    (the bundled knee's files, and a population knee's as tests/partial_cases.py writes them)."""
    from kneeviz.anatomy.build import load_default_anatomy
    from kneeviz.anatomy.default_knee import INSERTION_FOUND_MM
    from kneeviz.anatomy.population import load_population_knee

    built = (load_default_anatomy() if name == "bundled"
             else load_population_knee(int(name.split(":")[1])))
    k = knee(name)
    loaded = load(k, k.femur, k.tibia, True, tmp_path)
    want = _world(built.T_femur_tibia_ref, built.tibia_landmarks.tuberosity_mm)
    got = _world(loaded.T_femur_tibia_ref, loaded.tibia_landmarks.tuberosity_mm)
    up, across = built.T_femur_tibia_ref[:3, 1], built.T_femur_tibia_ref[:3, 2]
    assert abs((got - want) @ up) < INSERTION_FOUND_MM
    assert abs((got - want) @ across) < INSERTION_FOUND_MM
