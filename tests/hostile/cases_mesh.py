"""Hostile mesh files: special paths, every format damaged every way, huge declared counts, and
shapes that are not bones (through build.load_bone, the gate every patient bone passes)."""

from __future__ import annotations

import os
import socket
import zlib
from pathlib import Path

import numpy as np
import trimesh

from hostile_core import RESULT, Case
from kneeviz.anatomy.build import load_bone
from kneeviz.anatomy.geometry_checks import bone_errors
from kneeviz.anatomy.landmarks import identify_bone
from kneeviz.anatomy.mesh_io import load_mesh
from kneeviz.errors import KneevizError


def patella_like() -> trimesh.Trimesh:
    """A 44 x 36 x 20 mm closed ellipsoid (1,280 triangles): loads as a patella-sized mesh."""
    m = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    m.vertices = m.vertices * np.array([10.0, 18.0, 22.0])
    return m


def _stl_binary(m: trimesh.Trimesh) -> bytes:
    return bytes(trimesh.exchange.stl.export_stl(m))


def _stl_ascii(m: trimesh.Trimesh) -> bytes:
    return trimesh.exchange.stl.export_stl_ascii(m).encode()


def _vtk(m: trimesh.Trimesh) -> bytes:
    v, f = m.vertices, m.faces
    lines = ["# vtk DataFile Version 3.0", "hostile", "ASCII", "DATASET POLYDATA",
             f"POINTS {len(v)} float"] + [" ".join(f"{x:.6f}" for x in p) for p in v]
    lines += [f"POLYGONS {len(f)} {4 * len(f)}"] + [f"3 {a} {b} {c}" for a, b, c in f]
    return ("\n".join(lines) + "\n").encode()


def _vtp(m: trimesh.Trimesh) -> bytes:
    v, f = m.vertices, m.faces
    pts = " ".join(f"{x:.6f}" for x in v.ravel())
    conn = " ".join(str(int(i)) for i in f.ravel())
    offs = " ".join(str(3 * (i + 1)) for i in range(len(f)))
    return (
        '<?xml version="1.0"?>\n<VTKFile type="PolyData" version="0.1" byte_order="LittleEndian">'
        f'<PolyData><Piece NumberOfPoints="{len(v)}" NumberOfPolys="{len(f)}">'
        f'<Points><DataArray type="Float32" NumberOfComponents="3" format="ascii">{pts}'
        '</DataArray></Points><Polys>'
        f'<DataArray type="Int32" Name="connectivity" format="ascii">{conn}</DataArray>'
        f'<DataArray type="Int32" Name="offsets" format="ascii">{offs}</DataArray>'
        "</Polys></Piece></PolyData></VTKFile>\n"
    ).encode()


FORMATS = {
    "stl-binary": (".stl", _stl_binary),
    "stl-ascii": (".stl", _stl_ascii),
    "obj": (".obj", lambda m: m.export(file_type="obj").encode()),
    "ply-binary": (".ply", lambda m: bytes(m.export(file_type="ply", encoding="binary"))),
    "ply-ascii": (".ply", lambda m: bytes(m.export(file_type="ply", encoding="ascii"))),
    "off": (".off", lambda m: m.export(file_type="off").encode()),
    "vtk": (".vtk", _vtk),
    "vtp": (".vtp", _vtp),
}


def _damage(kind: str, data: bytes) -> bytes:
    rng = np.random.default_rng(zlib.crc32(kind.encode()))  # the same damage every run
    n = len(data)
    if kind.startswith("cut"):
        return data[: int(n * float(kind[3:]) / 100)]
    if kind.startswith("flip"):
        b = bytearray(data)
        for i in rng.integers(0, n, int(kind[4:])):
            b[i] ^= int(rng.integers(1, 256))
        return bytes(b)
    if kind == "zero-block":
        return data[: n // 2] + b"\0" * 512 + data[n // 2 + 512:]
    if kind == "junk-tail":
        return data + rng.bytes(10_000)
    if kind == "junk-head":
        return rng.bytes(300) + data
    if kind == "twice":
        return data + data
    if kind == "head-only":
        return data[:100]
    if kind == "nan-text":
        return data.replace(b"1", b"nan ", 3) if b"1" in data else data + b"nan"
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    raise ValueError(kind)


DAMAGES = ("intact", "cut5", "cut30", "cut50", "cut80", "cut97", "flip3", "flip40", "flip400",
           "zero-block", "junk-tail", "junk-head", "twice", "head-only", "nan-text", "crlf")


def _loaded_ok(path: Path, original: trimesh.Trimesh, strict: bool) -> str:
    """A mesh that loads must be one: finite, in range, the original's size (or, when damaged,
    refused downstream by the bone gate rather than passed on with a spike)."""
    loaded = load_mesh(path)
    v, f = loaded.mesh.vertices_mm, loaded.mesh.faces
    assert len(f) > 0 and np.isfinite(v).all(), "loaded an empty or non-finite mesh"
    assert f.min() >= 0 and f.max() < len(v), "faces out of range"
    ext = np.sort(np.ptp(v, axis=0))
    want = np.sort(np.ptp(original.vertices, axis=0))
    if np.allclose(ext, want, rtol=0.25):
        with bone_errors("patella", path):
            found = identify_bone(loaded.mesh)
        assert found == "patella", f"the patella-sized mesh is a {found}"
        return RESULT
    assert not strict, f"an intact file loaded at the wrong size {ext} (want {want})"
    with bone_errors("patella", path):  # a damaged size must be refused by the bone gate
        load_bone(path, "patella")
    raise AssertionError(f"a damaged file loaded at a wrong size {ext} and passed as a patella")


def format_cases() -> list[Case]:
    cases = []
    for fmt, (ext, writer) in FORMATS.items():
        for dmg in DAMAGES:
            def run(folder: Path, fmt: str = fmt, ext: str = ext, writer=writer,  # type: ignore[no-untyped-def]
                    dmg: str = dmg) -> str:
                m = patella_like()
                data = writer(m)
                path = folder / f"{fmt}-{dmg}{ext}"
                path.write_bytes(data if dmg == "intact" else _damage(dmg, data))
                return _loaded_ok(path, m, strict=dmg in ("intact", "crlf"))
            cases.append(Case("mesh", f"{fmt}-{dmg}", run, names=(f"{fmt}-{dmg}",),
                              expect=(RESULT,) if dmg == "intact" else (RESULT, "clean refusal")))
    return cases


def _special(name: str, make) -> Case:  # type: ignore[no-untyped-def]
    def run(folder: Path) -> str:
        path = make(folder)
        load_mesh(path)
        raise AssertionError(f"{name} loaded as a mesh")
    return Case("mesh", f"path-{name}", run, names=(name, "/dev/", "aaaa", "\\x00", "'"),
                expect=("clean refusal",))


def _fifo(folder: Path) -> Path:
    p = folder / "fifo.stl"
    os.mkfifo(p)
    return p


def _socket(folder: Path) -> Path:
    p = folder / "sock.stl"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    s.close()
    return p


def _link_to_fifo(folder: Path) -> Path:
    p = folder / "link-fifo.stl"
    p.symlink_to(_fifo(folder))
    return p


def _loop(folder: Path) -> Path:
    a, b = folder / "loop-a.stl", folder / "loop-b.stl"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _sparse_stl(n: int):  # type: ignore[no-untyped-def]
    def make(folder: Path) -> Path:
        p = folder / f"huge-{n}.stl"
        with open(p, "wb") as fh:
            fh.write(b"binary".ljust(80, b" ") + np.uint32(n).tobytes())
            fh.truncate(84 + 50 * n)  # sparse: no disk used; all zeros, so no surface
        return p
    return make


def _ascii_facets(folder: Path) -> Path:
    p = folder / "many-facets.stl"
    p.write_bytes(b"solid x\n" + b"facet\nendfacet\n" * 2_600_000 + b"endsolid x\n")
    return p


def special_cases() -> list[Case]:
    def write(name: str, data: bytes):  # type: ignore[no-untyped-def]
        def make(folder: Path) -> Path:
            (folder / name).write_bytes(data)
            return folder / name
        return make

    def through_file(folder: Path) -> Path:
        (folder / "afile.stl").write_bytes(_stl_binary(patella_like()))
        return folder / "afile.stl" / "femur.stl"

    return [
        _special("fifo.stl", _fifo),
        _special("link-fifo.stl", _link_to_fifo),
        _special("sock.stl", _socket),
        _special("/dev/zero", lambda f: Path("/dev/zero")),
        _special("/dev/null", lambda f: Path("/dev/null")),
        _special("/dev/urandom", lambda f: Path("/dev/urandom")),
        _special("folder.stl", lambda f: (f / "folder.stl").mkdir() or f / "folder.stl"),
        _special("loop-a.stl", _loop),
        _special("missing.stl", lambda f: f / "missing.stl"),
        _special("aaaa", lambda f: f / ("a" * 5000 + ".stl")),
        _special("nul", lambda f: Path(str(f / "nul") + "\0.stl")),
        _special("afile.stl", through_file),
        _special("empty.stl", write("empty.stl", b"")),
        _special("mesh.docx", write("mesh.docx", b"PK\x03\x04junk")),
        _special("png.stl", write("png.stl", b"\x89PNG\r\n\x1a\n" + b"\0" * 200)),
        _special("pickle.ply", write("pickle.ply", b"\x80\x04\x95" + b"\0" * 100)),
        _special("huge-7500000.stl", _sparse_stl(7_500_000)),
        _special("huge-2600000.stl", _sparse_stl(2_600_000)),
        _special("huge-12000001.stl", _sparse_stl(12_000_001)),  # refused by its header
        _special("many-facets.stl", _ascii_facets),
        _special("huge.ply", write("huge.ply", b"ply\nformat ascii 1.0\nelement vertex 3\n"
                                   b"element face 9000000\nproperty list uchar int vertex_indices\n"
                                   b"end_header\n")),
        _special("huge.off", write("huge.off", b"OFF\n3 9000000 0\n0 0 0\n")),
        _special("huge-points.vtk", write("huge-points.vtk", (
            b"# vtk DataFile Version 3.0\nx\nASCII\nDATASET POLYDATA\nPOINTS 4000000000 float\n"
            b"0 0 0\nPOLYGONS 3000000000 12000000000\n3 0 0 0\n"))),
        _special("huge-binary.vtk", write("huge-binary.vtk", (
            b"# vtk DataFile Version 3.0\nx\nBINARY\nDATASET POLYDATA\n"
            b"POINTS 900000000 float\n\0\0"))),
        _special("huge-points.vtp", write("huge-points.vtp", (
            b'<?xml version="1.0"?><VTKFile type="PolyData" version="0.1" '
            b'byte_order="LittleEndian" header_type="UInt64"><PolyData><Piece '
            b'NumberOfPoints="4000000000" NumberOfPolys="4000000000"><Points><DataArray '
            b'type="Float32" NumberOfComponents="3" format="binary">AAAAAAAAAAAAAAAA</DataArray>'
            b"</Points></Piece></PolyData></VTKFile>"))),
    ]


# -- shapes that are not bones -------------------------------------------------------------------
def _cylinder(length: float, radius: float, sections: int, dense: bool = False) -> trimesh.Trimesh:
    m = trimesh.creation.cylinder(radius=radius, height=length, sections=sections)
    if dense:
        for _ in range(4):
            m = m.subdivide()
    m.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
    return m


def _soup(n: int, seed: int) -> trimesh.Trimesh:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(3 * n, 3)) * np.array([200.0, 20.0, 20.0])
    return trimesh.Trimesh(v, np.arange(3 * n).reshape(-1, 3), process=False)


SHAPES = {
    "two-triangles": lambda: trimesh.Trimesh(
        [[0, 0, 0], [100, 0, 0], [0, 400, 0], [0, 0, 30.0]], [[0, 1, 2], [0, 2, 3]],
        process=False),
    "one-triangle": lambda: trimesh.Trimesh([[0, 0, 0], [100, 0, 0], [0, 400, 0]], [[0, 1, 2]],
                                            process=False),
    "tetrahedron": lambda: trimesh.creation.box(extents=[40, 400, 40]).convex_hull,
    "cylinder-8": lambda: _cylinder(420, 15, 8),
    "cylinder-64": lambda: _cylinder(420, 15, 64),
    "cylinder-256": lambda: _cylinder(380, 25, 256),
    "dense-cylinder": lambda: _cylinder(420, 15, 64, dense=True),
    "short-cylinder": lambda: _cylinder(120, 15, 64),
    "box": lambda: trimesh.creation.box(extents=[40, 420, 40]),
    "dense-box": lambda: trimesh.creation.box(extents=[40, 420, 40]).subdivide().subdivide()
    .subdivide().subdivide(),
    "plate": lambda: trimesh.creation.box(extents=[420, 60, 0.01]).subdivide().subdivide(),
    "needle": lambda: trimesh.creation.box(extents=[420, 0.01, 0.01]).subdivide().subdivide(),
    "sphere-200": lambda: trimesh.creation.icosphere(subdivisions=4, radius=100.0),
    "sphere-40": lambda: trimesh.creation.icosphere(subdivisions=4, radius=20.0),
    "capsule": lambda: trimesh.creation.capsule(height=400, radius=15, count=[64, 64]),
    "soup": lambda: _soup(3000, 1),
    "soup-small": lambda: _soup(200, 2),
    "torus": lambda: trimesh.creation.torus(major_radius=150, minor_radius=20),
    "femur-190mm": lambda: _scaled_bone("femur", 190.0),
    "tibia-150mm": lambda: _scaled_bone("tibia", 150.0),
}


def _scaled_bone(name: str, length_mm: float) -> trimesh.Trimesh:
    """A bundled bone shrunk to `length_mm`: too short for a whole long bone."""
    from kneeviz.anatomy.build import assets_dir

    m = trimesh.load(assets_dir() / f"{name}.stl", file_type="stl")
    m.apply_scale(length_mm / float(np.ptp(m.vertices[:, 1])))
    return m


def shape_cases() -> list[Case]:
    cases = []
    for shape, make in SHAPES.items():
        for bone in ("femur", "tibia", "patella"):
            def run(folder: Path, shape: str = shape, make=make, bone: str = bone) -> str:  # type: ignore[no-untyped-def]
                path = folder / f"{shape}-as-{bone}.stl"
                make().export(path)
                try:
                    load_bone(path, bone)
                except KneevizError as exc:
                    assert bone in str(exc) or "looks like" in str(exc), \
                        f"refusal does not say which bone: {exc}"
                    raise
                raise AssertionError(f"a {shape} passed as a {bone}")
            cases.append(Case("bone", f"{shape}-as-{bone}", run, names=(f"{shape}-as-{bone}",),
                              expect=("clean refusal",)))
    return cases


def fine_export(n_triangles: int, path: Path) -> tuple[Path, np.ndarray]:
    """The bundled femur as a fine CT export: decimated to n / 256 triangles, then each triangle
    split in four, four times (about n triangles, closed); binary STL. Also its extents (mm)."""
    import fast_simplification

    from hostile_fixtures import bone, subdivide_corners, write_stl_corners

    fem = bone("femur")
    v, f = fast_simplification.simplify(np.asarray(fem.vertices),
                                        np.asarray(fem.faces, dtype=np.int32),
                                        target_count=n_triangles // 256 + 1)
    return (write_stl_corners(path, subdivide_corners(v, f, 4)),
            np.ptp(np.asarray(fem.vertices), axis=0))


def _fine_export_case(n_triangles: int, marks: tuple[str, ...] = ()) -> Case:
    """A binary STL finer than kneeviz reads whole (a fine CT export) is decimated as it is read
    and loads as the femur it is, saying what was reduced (issue 26: it was refused)."""
    def run(folder: Path) -> str:
        path, extents = fine_export(n_triangles, folder / f"femur-{n_triangles}.stl")
        warnings: list[str] = []
        mesh = load_bone(path, "femur", warnings)
        said = [w for w in warnings if "decimated on load" in w]
        assert said and f"{n_triangles // 1_000_000}," in said[0], warnings
        assert mesh.n_triangles <= 100_000, mesh.n_triangles
        got = np.ptp(mesh.vertices_mm, axis=0)
        assert np.abs(got - extents).max() < 1.0, (got, extents)  # the same bone, to 1 mm
        assert identify_bone(mesh) == "femur"
        return RESULT
    return Case("mesh", f"fine-ct-export-{n_triangles // 100_000 / 10:g}M-triangles", run,
                expect=(RESULT,), timeout_s=900.0, marks=("assets", *marks))


def cases() -> list[Case]:
    return (format_cases() + special_cases() + shape_cases()
            + [_fine_export_case(2_600_000), _fine_export_case(7_500_000, ("slow",))])
