"""User mesh import: every format, units from size, repairs, reduction, and every refusal.

Meshes are generated here (bone-sized ellipsoids, capsules, rings) and written by small writers in
this file or by trimesh/VTK (VTK only in tests: the loader itself must not need it).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneeviz.anatomy import io_repair
from kneeviz.anatomy.mesh_io import MAX_FILE_BYTES, LoadedMesh, load_mesh
from kneeviz.errors import MeshError

FIXTURE_REUSE = HealthCheck.function_scoped_fixture  # tmp_path is reused, files are overwritten

# ----------------------------------------------------------------------------------------------
# generated bones and writers


def patella_like() -> trimesh.Trimesh:
    """An ellipsoid of patella size: 50 x 44 x 22 mm (compact)."""
    m = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    m.apply_scale([25.0, 22.0, 11.0])
    return m


def femur_like() -> trimesh.Trimesh:
    """A capsule of femur size: 450 mm long, 30 mm thick (elongated)."""
    return trimesh.creation.capsule(height=420.0, radius=15.0, count=[24, 24])


def pelvis_like() -> trimesh.Trimesh:
    """A ring of pelvis size: 250 mm across, hollow (a third of its convex hull)."""
    return trimesh.creation.torus(major_radius=110.0, minor_radius=15.0)


def write_stl_binary(path: Path, vertices: np.ndarray, faces: np.ndarray) -> Path:
    with np.errstate(over="ignore"):  # huge random values become inf in float32, on purpose
        tri = np.asarray(vertices, dtype=np.float32)[np.asarray(faces)]
    record = np.zeros(len(tri), dtype=[("n", "<f4", (3,)), ("v", "<f4", (3, 3)), ("a", "<u2")])
    record["v"] = tri
    with open(path, "wb") as fh:
        fh.write(b"binary stl written by the kneeviz tests".ljust(80, b" "))
        fh.write(struct.pack("<I", len(tri)))
        fh.write(record.tobytes())
    return path


def write_stl_ascii(path: Path, vertices: np.ndarray, faces: np.ndarray) -> Path:
    lines = ["solid test"]
    for tri in np.asarray(vertices)[np.asarray(faces)]:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {float(x)!r} {float(y)!r} {float(z)!r}" for x, y, z in tri]
        lines += ["    endloop", "  endfacet"]
    lines.append("endsolid test")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_vtk_classic(path: Path, vertices: np.ndarray, faces: np.ndarray, binary: bool) -> Path:
    """Legacy VTK 4.2 POLYDATA with the classic 'count id id id' cell list."""
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    cells = np.column_stack([np.full(len(f), 3), f])
    head = (
        f"# vtk DataFile Version 4.2\ntest\n{'BINARY' if binary else 'ASCII'}\n"
        f"DATASET POLYDATA\nPOINTS {len(v)} double\n"
    )
    with open(path, "wb") as fh:
        fh.write(head.encode())
        if binary:
            fh.write(v.astype(">f8").tobytes())
        else:
            fh.write("\n".join(" ".join(repr(float(c)) for c in p) for p in v).encode())
        fh.write(f"\nPOLYGONS {len(f)} {cells.size}\n".encode())
        if binary:
            fh.write(cells.astype(">i4").tobytes())
        else:
            fh.write("\n".join(" ".join(str(c) for c in row) for row in cells).encode())
        fh.write(b"\n")
    return path


def write_vtk_xml(path: Path, m: trimesh.Trimesh, mode: str, compressor: str, encode: bool) -> Path:
    vtk = pytest.importorskip("vtk")
    pv = pytest.importorskip("pyvista")
    faces = np.column_stack([np.full(len(m.faces), 3), m.faces]).ravel()
    poly = pv.PolyData(np.asarray(m.vertices), faces)
    writer = vtk.vtkXMLPolyDataWriter()
    writer.SetInputData(poly)
    writer.SetFileName(str(path))
    getattr(writer, f"SetDataModeTo{mode}")()
    getattr(writer, f"SetCompressorTypeTo{compressor}")()
    writer.SetEncodeAppendedData(encode)
    writer.Write()
    return path


def write_vtk_legacy_51(path: Path, m: trimesh.Trimesh, binary: bool) -> Path:
    """Legacy VTK as VTK 9 writes it (version 5.1: OFFSETS / CONNECTIVITY)."""
    pv = pytest.importorskip("pyvista")
    faces = np.column_stack([np.full(len(m.faces), 3), m.faces]).ravel()
    pv.PolyData(np.asarray(m.vertices), faces).save(str(path), binary=binary)
    return path


def assert_same_surface(loaded: LoadedMesh, m: trimesh.Trimesh, tol: float = 1e-4) -> None:
    """Same triangle count, same vertex set, closed, outward (volume matches)."""
    got = loaded.mesh
    assert got.n_triangles == len(m.faces)
    assert got.n_vertices == len(m.vertices)
    a = np.unique(np.round(got.vertices_mm, 3), axis=0)
    b = np.unique(np.round(np.asarray(m.vertices), 3), axis=0)
    assert a.shape == b.shape
    assert np.allclose(a, b, atol=tol * 10 + 2e-3)
    assert loaded.watertight
    volume = io_repair.signed_volume(got.vertices_mm, got.faces)
    assert volume == pytest.approx(m.volume, rel=1e-4)


# ----------------------------------------------------------------------------------------------
# formats


FORMATS = [
    "stl-binary",
    "stl-ascii",
    "obj",
    "ply",
    "ply-ascii",
    "off",
    "vtk-ascii-4.2",
    "vtk-binary-4.2",
    "vtk-ascii-5.1",
    "vtk-binary-5.1",
]


def write_format(tmp_path: Path, m: trimesh.Trimesh, kind: str) -> Path:
    v, f = np.asarray(m.vertices), np.asarray(m.faces)
    if kind == "stl-binary":
        return write_stl_binary(tmp_path / "bone.stl", v, f)
    if kind == "stl-ascii":
        return write_stl_ascii(tmp_path / "bone.stl", v, f)
    if kind in ("obj", "off"):
        path = tmp_path / f"bone.{kind}"
        m.export(path)
        return path
    if kind == "ply":
        path = tmp_path / "bone.ply"
        m.export(path, encoding="binary")
        return path
    if kind == "ply-ascii":
        path = tmp_path / "bone.ply"
        m.export(path, encoding="ascii")
        return path
    if kind.startswith("vtk") and kind.endswith("4.2"):
        return write_vtk_classic(tmp_path / "bone.vtk", v, f, binary="binary" in kind)
    return write_vtk_legacy_51(tmp_path / "bone.vtk", m, binary="binary" in kind)


@pytest.mark.parametrize("kind", FORMATS)
def test_every_format_loads_the_same_surface(tmp_path: Path, kind: str) -> None:
    m = patella_like()
    loaded = load_mesh(write_format(tmp_path, m, kind))
    assert_same_surface(loaded, m)
    assert loaded.units == "mm" and loaded.scale_to_mm == 1.0
    assert loaded.n_bodies == 1
    assert loaded.original_triangles == len(m.faces)
    assert loaded.warnings == ()


@pytest.mark.parametrize(
    ("mode", "compressor", "encode"),
    [
        ("Ascii", "None", True),
        ("Binary", "None", True),
        ("Binary", "ZLib", True),
        ("Binary", "LZMA", True),
        ("Appended", "None", False),
        ("Appended", "ZLib", False),
        ("Appended", "None", True),
        ("Appended", "ZLib", True),
    ],
)
def test_vtp_every_encoding(tmp_path: Path, mode: str, compressor: str, encode: bool) -> None:
    m = femur_like()
    loaded = load_mesh(write_vtk_xml(tmp_path / "bone.vtp", m, mode, compressor, encode))
    assert_same_surface(loaded, m)
    assert loaded.format.startswith("VTP")


def test_vtk_polygons_and_strips_become_triangles(tmp_path: Path) -> None:
    """A unit cube as 6 quads (fanned) or 2 strips of 3 quads each: 12 triangles, closed."""
    path = tmp_path / "cube.vtk"
    pts = "0 0 0 40 0 0 40 40 0 0 40 0 0 0 40 40 0 40 40 40 40 0 40 40"
    quads = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (2, 3, 7, 6), (1, 2, 6, 5), (0, 4, 7, 3)]
    body = "\n".join(f"4 {a} {b} {c} {d}" for a, b, c, d in quads)
    path.write_text(
        "# vtk DataFile Version 3.0\ncube\nASCII\nDATASET POLYDATA\n"
        f"POINTS 8 float\n{pts}\nPOLYGONS 6 30\n{body}\n"
    )
    loaded = load_mesh(path)
    assert loaded.mesh.n_triangles == 12
    assert loaded.watertight
    assert io_repair.signed_volume(loaded.mesh.vertices_mm, loaded.mesh.faces) == pytest.approx(
        40.0**3
    )
    strips = tmp_path / "strips.vtk"
    strips.write_text(
        "# vtk DataFile Version 3.0\nstrip\nASCII\nDATASET POLYDATA\n"
        f"POINTS 8 float\n{pts}\nTRIANGLE_STRIPS 1 9\n8 0 1 3 2 7 6 4 5\n"
    )
    loaded = load_mesh(strips)
    assert loaded.mesh.n_triangles == 6
    normals = loaded.mesh.face_normals()
    # a strip keeps one winding: adjacent triangles of the band share an edge in opposite order
    assert io_repair.fix_winding(loaded.mesh.faces)[1] == 0
    assert np.all(np.isfinite(normals))


# ----------------------------------------------------------------------------------------------
# units


@pytest.mark.parametrize("make", [patella_like, femur_like, pelvis_like], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("unit", "file_units_per_mm"), [("m", 1e-3), ("cm", 0.1), ("mm", 1.0), ("um", 1e3)]
)
def test_units_detected_from_size(
    tmp_path: Path, make: object, unit: str, file_units_per_mm: float
) -> None:
    m = make()  # type: ignore[operator]
    v = np.asarray(m.vertices) * file_units_per_mm
    loaded = load_mesh(write_stl_binary(tmp_path / "bone.stl", v, np.asarray(m.faces)))
    assert loaded.units == unit
    assert loaded.scale_to_mm == pytest.approx(1.0 / file_units_per_mm)
    # back in millimetres whatever the file's unit (float32 storage limits the agreement)
    ext = io_repair.pca_extents(loaded.mesh.vertices_mm)
    assert np.allclose(ext, io_repair.pca_extents(np.asarray(m.vertices)), rtol=1e-5)
    if unit == "mm":
        assert not any("millimetres" in w for w in loaded.warnings)
    else:
        assert any("scaled by" in w and "millimetres" in w for w in loaded.warnings)


@pytest.mark.parametrize("size", [0.005, 1.35, 3000.0, 5e6])
def test_a_size_no_bone_has_is_refused(tmp_path: Path, size: float) -> None:
    m = patella_like()
    v = np.asarray(m.vertices) / 50.0 * size
    path = write_stl_binary(tmp_path / "odd.stl", v, np.asarray(m.faces))
    with pytest.raises(MeshError, match="size no bone has") as err:
        load_mesh(path)
    assert str(path) in str(err.value)


# ----------------------------------------------------------------------------------------------
# repair


def test_inside_out_surface_is_turned_outward(tmp_path: Path) -> None:
    m = patella_like()
    faces = np.asarray(m.faces)[:, ::-1]
    loaded = load_mesh(write_stl_binary(tmp_path / "inv.stl", np.asarray(m.vertices), faces))
    assert io_repair.signed_volume(loaded.mesh.vertices_mm, loaded.mesh.faces) > 0
    assert any("inside-out" in w for w in loaded.warnings)
    # and the vertex normals now point away from the centre
    radial = loaded.mesh.vertices_mm - loaded.mesh.vertices_mm.mean(axis=0)
    assert np.all(np.einsum("ij,ij->i", radial, loaded.mesh.vertex_normals()) > 0)


def test_inconsistent_winding_is_fixed(tmp_path: Path) -> None:
    m = patella_like()
    faces = np.asarray(m.faces).copy()
    rng = np.random.default_rng(3)
    flip = rng.random(len(faces)) < 0.2
    faces[flip] = faces[flip][:, ::-1]
    loaded = load_mesh(write_stl_binary(tmp_path / "mixed.stl", np.asarray(m.vertices), faces))
    assert loaded.watertight
    assert io_repair.signed_volume(loaded.mesh.vertices_mm, loaded.mesh.faces) == pytest.approx(
        m.volume, rel=1e-4
    )
    assert any("re-oriented" in w for w in loaded.warnings)


def test_duplicate_vertices_are_merged(tmp_path: Path) -> None:
    """An OBJ whose triangles each have their own three vertices (a triangle soup)."""
    m = patella_like()
    tri = np.asarray(m.vertices)[np.asarray(m.faces)]
    lines = [f"v {float(x)!r} {float(y)!r} {float(z)!r}" for x, y, z in tri.reshape(-1, 3)]
    lines += [f"f {3 * i + 1} {3 * i + 2} {3 * i + 3}" for i in range(len(tri))]
    path = tmp_path / "soup.obj"
    path.write_text("\n".join(lines) + "\n")
    loaded = load_mesh(path)
    assert loaded.mesh.n_vertices == len(m.vertices)
    assert loaded.watertight
    assert any("merged" in w and "duplicate vertices" in w for w in loaded.warnings)


def test_degenerate_and_duplicate_triangles_are_dropped(tmp_path: Path) -> None:
    m = patella_like()
    v = np.asarray(m.vertices)
    f = np.asarray(m.faces)
    extra = np.array([[0, 0, 1], [2, 2, 2]])  # repeated corners
    dup = f[:5][:, ::-1]  # the same triangles again, wound the other way
    path = tmp_path / "dirty.ply"
    trimesh.Trimesh(v, np.vstack([f, extra, dup]), process=False).export(path)
    loaded = load_mesh(path)
    assert loaded.mesh.n_triangles == len(f)
    assert loaded.watertight
    assert any("degenerate" in w for w in loaded.warnings)
    assert any("duplicate triangles" in w for w in loaded.warnings)


def test_small_hole_is_filled(tmp_path: Path) -> None:
    m = patella_like()
    f = np.asarray(m.faces)
    hole = np.any(f == 0, axis=1)  # the fan around vertex 0: a small hole
    assert not trimesh.Trimesh(m.vertices, f[~hole]).is_watertight
    loaded = load_mesh(write_stl_binary(tmp_path / "hole.stl", np.asarray(m.vertices), f[~hole]))
    assert loaded.watertight
    assert any("filled 1 small hole" in w for w in loaded.warnings)
    assert io_repair.signed_volume(loaded.mesh.vertices_mm, loaded.mesh.faces) == pytest.approx(
        m.volume, rel=0.01
    )


def test_large_opening_is_reported_not_filled(tmp_path: Path) -> None:
    """Half an ellipsoid (like a cut bone or a cartilage cap) stays open, with a warning."""
    m = patella_like()
    f = np.asarray(m.faces)
    keep = np.asarray(m.triangles_center)[:, 2] > 0
    loaded = load_mesh(write_stl_binary(tmp_path / "cap.stl", np.asarray(m.vertices), f[keep]))
    assert not loaded.watertight
    assert loaded.mesh.n_triangles == int(keep.sum())
    assert any("open" in w for w in loaded.warnings)


def test_tiny_debris_is_removed(tmp_path: Path) -> None:
    bone = femur_like()
    speck = trimesh.creation.icosphere(subdivisions=1, radius=1.0)
    speck.apply_translation([200.0, 0.0, 0.0])
    both = trimesh.util.concatenate([bone, speck])
    loaded = load_mesh(write_stl_binary(tmp_path / "debris.stl", both.vertices, both.faces))
    assert loaded.n_bodies == 2
    assert loaded.mesh.n_triangles == len(bone.faces)
    assert loaded.mesh.vertices_mm[:, 0].max() < 100.0  # the speck at x = 200 is gone
    assert any("loose piece" in w for w in loaded.warnings)


def test_two_large_bodies_are_both_kept(tmp_path: Path) -> None:
    """Like a tibia and a fibula in one file: both kept, and said so."""
    tibia = femur_like()
    fibula = trimesh.creation.capsule(height=350.0, radius=8.0, count=[16, 16])
    fibula.apply_translation([60.0, 0.0, 0.0])
    both = trimesh.util.concatenate([tibia, fibula])
    loaded = load_mesh(write_stl_binary(tmp_path / "tibfib.stl", both.vertices, both.faces))
    assert loaded.n_bodies == 2
    assert loaded.mesh.n_triangles == len(both.faces)
    assert loaded.watertight
    assert any("2 separate large bodies" in w for w in loaded.warnings)


def test_a_few_nan_vertices_are_dropped_with_a_warning(tmp_path: Path) -> None:
    m = femur_like()
    v = np.asarray(m.vertices).copy()
    f = np.asarray(m.faces)
    one = int(f[len(f) // 2, 0])  # a vertex on the shaft (6 triangles), not a pole (24)
    v[one] = np.nan
    loaded = load_mesh(write_stl_binary(tmp_path / "nan.stl", v, f))
    assert np.isfinite(loaded.mesh.vertices_mm).all()
    assert any("NaN" in w for w in loaded.warnings)
    assert loaded.watertight  # the hole the dropped triangles left is small: filled


# ----------------------------------------------------------------------------------------------
# reduction


def test_a_million_triangles_are_reduced(tmp_path: Path) -> None:
    m = trimesh.creation.icosphere(subdivisions=8, radius=25.0)  # 1.3 million triangles
    assert len(m.faces) > 1_000_000
    path = tmp_path / "dense.ply"
    m.export(path, encoding="binary")
    loaded = load_mesh(path, max_triangles=100_000)
    assert loaded.original_triangles == len(m.faces)
    assert 50_000 < loaded.mesh.n_triangles <= 100_000
    assert any("reduced from" in w for w in loaded.warnings)
    r = np.linalg.norm(loaded.mesh.vertices_mm, axis=1)
    assert np.allclose(r, 25.0, atol=0.05)


# ----------------------------------------------------------------------------------------------
# refusals: each names the file and the problem


def refused(path: Path | str, *, match: str, **kwargs: object) -> MeshError:
    with pytest.raises(MeshError, match=match) as err:
        load_mesh(path, **kwargs)  # type: ignore[arg-type]
    assert str(path) in str(err.value)
    assert err.value.path == str(path)
    return err.value


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "nowhere.stl", match="no such file")


def test_folder(tmp_path: Path) -> None:
    refused(tmp_path, match="folder")


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.stl"
    os.mkfifo(fifo)
    refused(fifo, match="not a regular file")


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The OS refusing to open the file (simulated: the tests run as root, which reads anything)."""
    path = write_stl_binary(tmp_path / "locked.stl", *_patella_arrays())
    import kneeviz.anatomy.mesh_io as mesh_io

    def deny(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(mesh_io, "open", deny, raising=False)
    refused(path, match="permission denied")


def _patella_arrays() -> tuple[np.ndarray, np.ndarray]:
    m = patella_like()
    return np.asarray(m.vertices), np.asarray(m.faces)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.stl"
    path.write_bytes(b"")
    refused(path, match="empty")


def test_huge_file_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.stl"
    with open(path, "wb") as fh:  # sparse: no disk space used
        fh.truncate(MAX_FILE_BYTES + 1)
    refused(path, match="too large")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "bone.step"
    path.write_text("ISO-10303-21;")
    refused(path, match="unsupported extension")


@pytest.mark.parametrize("ext", [".stl", ".ply", ".vtp"])
def test_truncated_binary_files(tmp_path: Path, ext: str) -> None:
    m = patella_like()
    full = tmp_path / f"full{ext}"
    if ext == ".stl":
        write_stl_binary(full, np.asarray(m.vertices), np.asarray(m.faces))
    elif ext == ".ply":
        m.export(full, encoding="binary")
    else:
        write_vtk_xml(full, m, "Appended", "None", False)
    data = full.read_bytes()
    path = tmp_path / f"cut{ext}"
    path.write_bytes(data[: len(data) // 2])
    refused(path, match="truncated")


def test_truncated_ascii_stl(tmp_path: Path) -> None:
    full = write_stl_ascii(tmp_path / "full.stl", *_patella_arrays())
    text = full.read_text()
    path = tmp_path / "cut.stl"
    path.write_text(text[: len(text) // 2])
    refused(path, match="truncated")


def test_truncated_obj_refers_to_missing_vertices(tmp_path: Path) -> None:
    m = patella_like()
    lines = [f"v {x} {y} {z}" for x, y, z in m.vertices[:-20]]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in m.faces]
    path = tmp_path / "cut.obj"
    path.write_text("\n".join(lines))
    refused(path, match="corrupt|truncated")


@pytest.mark.parametrize("ext", [".stl", ".obj", ".ply", ".off", ".vtk", ".vtp"])
def test_junk_bytes(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"junk{ext}"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    refused(path, match=r"not|corrupt|truncated")


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xff\xd8\xff\xe0", "JPEG image"),
        (b"%PDF-1.7\n", "PDF"),
        (b"PK\x03\x04", "ZIP archive"),
        (b"\x80\x04\x95", "pickle"),
    ],
)
def test_other_file_types_renamed_stl(tmp_path: Path, head: bytes, what: str) -> None:
    path = tmp_path / "bone.stl"
    path.write_bytes(head + bytes(range(256)) * 4)
    err = refused(path, match=what)
    assert "not a mesh" in str(err)


def test_text_that_is_not_stl(tmp_path: Path) -> None:
    path = tmp_path / "notes.stl"
    path.write_text("These are my notes about the femur scan.\n" * 10)
    refused(path, match="text file")


def test_point_cloud_is_not_a_surface(tmp_path: Path) -> None:
    pts = patella_like().vertices
    path = tmp_path / "cloud.ply"
    trimesh.PointCloud(pts).export(path)
    refused(path, match="only points.*not a surface")


@pytest.mark.parametrize("ext", [".obj", ".vtk"])
def test_lines_only_are_not_a_surface(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"outline{ext}"
    if ext == ".obj":
        path.write_text("v 0 0 0\nv 40 0 0\nv 0 40 0\nl 1 2\nl 2 3\nl 3 1\n")
    else:
        path.write_text(
            "# vtk DataFile Version 3.0\nlines\nASCII\nDATASET POLYDATA\n"
            "POINTS 3 float\n0 0 0 40 0 0 0 40 0\nLINES 1 5\n4 0 1 2 0\n"
        )
    refused(path, match="only lines")


def test_volume_mesh_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tets.vtk"
    path.write_text(
        "# vtk DataFile Version 3.0\ntet\nASCII\nDATASET UNSTRUCTURED_GRID\n"
        "POINTS 4 float\n0 0 0 40 0 0 0 40 0 0 0 40\nCELLS 1 5\n4 0 1 2 3\nCELL_TYPES 1\n10\n"
    )
    refused(path, match="volume mesh of tetrahedra")


def test_empty_after_cleaning(tmp_path: Path) -> None:
    v = np.array([[0.0, 0, 0], [40, 0, 0], [80, 0, 0], [0, 40, 0]])
    f = np.array([[0, 1, 2], [0, 0, 3], [1, 1, 1]])  # collinear and repeated corners
    refused(write_stl_binary(tmp_path / "flat.stl", v, f), match="no usable triangles")


def test_nan_coordinates_everywhere(tmp_path: Path) -> None:
    v, f = _patella_arrays()
    v = v.copy()
    v[::3] = np.nan
    refused(write_stl_binary(tmp_path / "nan.stl", v, f), match="NaN or infinite")


def test_infinite_coordinates(tmp_path: Path) -> None:
    v, f = _patella_arrays()
    v = v.copy()
    v[:, 0] = np.inf
    refused(write_stl_binary(tmp_path / "inf.stl", v, f), match="NaN or infinite")


# ----------------------------------------------------------------------------------------------
# real meshes (test data only, beside the repository)


def test_real_meshes_load_in_mm(shared_meshes_dir: Path) -> None:
    icl = shared_meshes_dir / "ICL_MRI"
    for name in ("ICL_MRI_femur_r.stl", "ICL_MRI_patella_r.stl", "ICL_MRI_tibia_r.stl"):
        loaded = load_mesh(icl / name)
        assert loaded.units == "mm", name
        assert loaded.watertight, name
        assert io_repair.signed_volume(loaded.mesh.vertices_mm, loaded.mesh.faces) > 0
    tibia = load_mesh(icl / "ICL_MRI_tibia_r.stl")
    assert tibia.n_bodies == 2  # this file holds the fibula too
    assert any("separate large bodies" in w for w in tibia.warnings)


def test_real_mesh_in_metres_detected(shared_meshes_dir: Path, tmp_path: Path) -> None:
    src = load_mesh(shared_meshes_dir / "ICL_MRI" / "ICL_MRI_patella_r.stl")
    v = src.mesh.vertices_mm / 1000.0
    loaded = load_mesh(write_stl_binary(tmp_path / "patella_m.stl", v, src.mesh.faces))
    assert loaded.units == "m"
    assert np.allclose(loaded.mesh.vertices_mm, src.mesh.vertices_mm, atol=1e-3)
    lenhart = load_mesh(shared_meshes_dir / "lenhart2015" / "lenhart2015-R-patella-bone.stl")
    assert lenhart.units == "m"
    assert 30.0 < io_repair.pca_extents(lenhart.mesh.vertices_mm)[0] < 60.0


# ----------------------------------------------------------------------------------------------
# property: any bytes, any vertex array -> a mesh or a MeshError, nothing else


@settings(
    max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.binary(min_size=1, max_size=3000),
    ext=st.sampled_from([".stl", ".obj", ".ply", ".off", ".vtk", ".vtp"]),
)
def test_random_bytes_load_or_refuse(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / f"random{ext}"
    path.write_bytes(data)
    try:
        loaded = load_mesh(path)
    except MeshError as exc:
        assert str(path) in str(exc)
    else:
        assert loaded.mesh.n_triangles > 0


@settings(
    max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    coords=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=9, max_size=900
    ),
    scale=st.sampled_from([1e-3, 1.0, 100.0, 1e6]),
)
def test_random_triangles_load_or_refuse(tmp_path: Path, coords: list[float], scale: float) -> None:
    n = len(coords) // 9 * 9
    v = np.asarray(coords[:n], dtype=np.float64).reshape(-1, 3) * scale
    f = np.arange(len(v)).reshape(-1, 3)
    path = write_stl_binary(tmp_path / "random.stl", v, f)
    try:
        loaded = load_mesh(path)
    except MeshError as exc:
        assert str(path) in str(exc)
    else:
        assert loaded.mesh.n_triangles > 0
        assert np.isfinite(loaded.mesh.vertices_mm).all()
        assert loaded.units in ("mm", "cm", "m", "um")


def test_compressed_vtp_cannot_inflate_beyond_its_header(tmp_path: Path) -> None:
    """A block that inflates past its declared size (a decompression bomb) is refused."""
    import base64
    import zlib

    bomb = zlib.compress(b"\0" * 50_000_000)  # 50 MB of zeros in about 50 kB
    header = np.array([1, 1200, 1200, len(bomb)], dtype="<u4").tobytes()
    payload = base64.b64encode(header).decode() + base64.b64encode(bomb).decode()
    path = tmp_path / "bomb.vtp"
    path.write_text(
        '<?xml version="1.0"?>\n<VTKFile type="PolyData" version="1.0" '
        'byte_order="LittleEndian" header_type="UInt32" compressor="vtkZLibDataCompressor">'
        '<PolyData><Piece NumberOfPoints="100" NumberOfPolys="0"><Points>'
        f'<DataArray type="Float32" NumberOfComponents="3" format="binary">{payload}</DataArray>'
        "</Points></Piece></PolyData></VTKFile>\n"
    )
    refused(path, match="more data than its header says")


@pytest.mark.parametrize(
    ("written", "named"), [(".ply", ".stl"), (".stl", ".obj"), (".off", ".ply")]
)
def test_content_that_contradicts_the_extension(tmp_path: Path, written: str, named: str) -> None:
    m = patella_like()
    real = tmp_path / f"bone{written}"
    if written == ".stl":
        write_stl_binary(real, np.asarray(m.vertices), np.asarray(m.faces))
    else:
        m.export(real)
    path = tmp_path / f"bone{named}"
    path.write_bytes(real.read_bytes())
    refused(path, match=f"holds a {written[1:].upper()} file; rename it to bone{written}")
