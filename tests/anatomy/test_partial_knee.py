"""A knee MRI's knee: partial femur and tibia completed from the LLP26 atlas, the patient's own
cartilage (issue 17). Uses ../shared/meshes (skips with a reason when absent)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from kneeviz.anatomy.build import anatomy_from_files
from kneeviz.anatomy.completion import fit_atlas
from kneeviz.anatomy.knee import Anatomy
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.anatomy.mesh_io import load_mesh
from kneeviz.anatomy.own_cartilage import check_on_bone
from kneeviz.errors import KneevizError, MeshError
from kneeviz.scenario import Scenario
from kneeviz.simulation import simulate
from lenhart_fixture import LENHART_DIR, require_lenhart
from partial_fixtures import cut_bone, icl_pieces

pytestmark = pytest.mark.usefixtures("shared_grid_cache")


def lenhart(name: str) -> str:
    return str(LENHART_DIR / f"lenhart2015-R-{name}.stl")


@lru_cache(maxsize=1)
def lenhart_own() -> tuple[Anatomy, tuple[str, ...]]:
    require_lenhart()
    warnings: list[str] = []
    a = anatomy_from_files(
        lenhart("femur-subchondral-bone"), lenhart("patella-bone"), lenhart("tibia-bone"),
        warnings=warnings, femur_cartilage=lenhart("femur-cartilage"),
        patella_cartilage=lenhart("patella-cartilage"),
    )
    return a, tuple(warnings)


@pytest.mark.slow
def test_lenhart_knee_loads_with_its_own_cartilage_and_its_whole_squat_solves() -> None:
    a, warnings = lenhart_own()
    assert a.completion is not None and a.completion.bones == ("femur", "tibia")
    assert a.completion.pelvis_estimated and a.pelvis is not None
    assert a.cartilage_source == "segmented"
    # the segmented layers are used as they are (not grown): same vertex count as the files
    assert a.femur_cartilage.n_vertices == load_mesh(lenhart("femur-cartilage")).mesh.n_vertices
    assert a.patella_cartilage.n_vertices == load_mesh(
        lenhart("patella-cartilage")).mesh.n_vertices
    # what was estimated is said, per file
    assert any("femur-subchondral-bone.stl: a partial femur" in w and "ESTIMATED" in w
               for w in warnings)
    assert any("tibia-bone.stl: a partial tibia" in w for w in warnings)
    # adult proportions from the fit (a young woman: femur 380-470, tibia 310-420 mm)
    assert 360.0 < a.femur_length_mm < 480.0
    assert 300.0 < a.tibia_length_mm < 430.0
    assert a.completion.femur_rms_mm is not None and a.completion.femur_rms_mm < 2.0
    sc = Scenario.from_preset("healthy", frame_rate_hz=10.0)
    tr = simulate(a, sc)
    assert tr.converged.all()
    assert not np.any(tr["dislocated"])
    assert float(tr["knee_flexion_deg"].max()) == pytest.approx(sc.max_flexion_deg)
    # the kneecap carries load through its own cartilage in flexion
    deep = tr["knee_flexion_deg"] > 60.0
    assert np.all(tr["contact_area_mm2"][deep] > 100.0)


def test_cartilage_of_another_bone_is_refused_naming_the_file() -> None:
    """Lenhart's femur and both layers share the femur frame: the patellar layer put on the femur
    does not sit on it; its own layer does (and the thickness is a cartilage's)."""
    require_lenhart()
    femur = load_mesh(lenhart("femur-subchondral-bone")).mesh
    own = check_on_bone(load_mesh(lenhart("femur-cartilage")).mesh, femur, "femur", "f.stl")
    assert 1.0 < own.thickness_median_mm < 3.5 and own.p90_distance_mm < 6.0
    with pytest.raises(MeshError, match=r"p\.stl: .*does not sit on the femur"):
        check_on_bone(load_mesh(lenhart("patella-cartilage")).mesh, femur, "femur", "p.stl")


def test_cartilage_from_another_knee_or_in_other_units_is_refused() -> None:
    """The same layer moved 6 mm and scaled by 1.1 (another knee's cartilage in this knee's
    frame) does not sit on this femur; one left in cm (a tenth the size) is refused as units."""
    require_lenhart()
    femur = load_mesh(lenhart("femur-subchondral-bone")).mesh
    m = load_mesh(lenhart("femur-cartilage")).mesh
    c = m.vertices_mm.mean(0)
    other = SurfaceMesh((m.vertices_mm - c) * 1.1 + c + [6.0, 0.0, 0.0], m.faces)
    with pytest.raises(MeshError, match=r"o\.stl: .*does not sit on the femur"):
        check_on_bone(other, femur, "femur", "o.stl")
    with pytest.raises(MeshError, match=r"cm\.stl: .*times the size of its bone: wrong units"):
        check_on_bone(SurfaceMesh(m.vertices_mm * 0.1, m.faces), femur, "femur", "cm.stl")


def test_a_whole_femurs_own_cartilage_is_taken() -> None:
    """A femur segmented whole (a CT of the leg) with its cartilage: the layer covers a fifth of
    the bone's length. It was refused as "0.19 times the size of its bone: wrong units"; the
    layer is now measured against the part of the bone it covers."""
    from kneeviz.anatomy.build import assets_dir

    folder = assets_dir()
    femur = load_mesh(folder / "femur.stl").mesh
    own = check_on_bone(load_mesh(folder / "femur_cartilage.stl").mesh, femur, "femur", "f.stl")
    assert own.median_distance_mm < 3.5


def test_a_partial_femur_too_short_for_the_trochlea_is_refused() -> None:
    """The distal 25 mm of the ICL femur holds the condyles but not the trochlea."""
    from kneeviz.anatomy.landmarks import find_femur

    p = icl_pieces()
    stub = cut_bone(p["femur"], find_femur(p["femur"]).T_input_femur, 25.0, distal=True)
    with pytest.raises(MeshError, match=r"stub\.stl: this partial femur is too short.*trochlea"):
        fit_atlas(stub, "femur", "stub.stl")


def test_a_tibia_piece_given_as_the_femur_is_refused() -> None:
    p = icl_pieces()
    with pytest.raises(KneevizError, match=r"t\.stl: "):
        fit_atlas(p["tibia_partial"], "femur", "t.stl")
