"""Loading a user's bone mesh: read, refuse clearly, repair, find the units, reduce.

A user's file is untrusted input: whatever is wrong with it (missing, empty, truncated, an image
renamed .stl, a point cloud, NaN coordinates, a size no bone has) becomes one MeshError whose
message names the file, says what is wrong and what to do. Nothing here unpickles or evaluates
file content.
Readers: STL (our own, so truncation is detected exactly), OBJ/PLY/OFF (trimesh), VTK/VTP (our own
pure-python reader in io_vtk, so the model layer needs no VTK).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kneeviz.anatomy import io_repair as rep
from kneeviz.anatomy.io_repair import FloatArray, IntArray
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.errors import KneevizError, MeshError
from kneeviz.safe_read import os_problem, read_bounded, regular_file_stat

MAX_FILE_BYTES = 2 * 1024**3
"""Files larger than this are refused before reading (2 GiB: about 40 million STL triangles)."""


# fraction of the NaN-touched triangles we drop (with a warning) rather than refuse the file
_MAX_NONFINITE_FRACTION = 0.01
# a piece whose area is below this fraction of the largest piece is loose debris
_DEBRIS_AREA_FRACTION = 0.01
# holes whose perimeter is below this fraction of the piece's diagonal are filled
_SMALL_HOLE_FRACTION = 0.1


@dataclass(frozen=True, eq=False)
class LoadedMesh:
    """A user's mesh in millimetres, repaired, with what was found and done to it."""

    path: str
    mesh: SurfaceMesh  # in millimetres, repaired, possibly reduced
    units: str  # detected units of the file: "mm", "cm", "m" or "um"
    scale_to_mm: float
    watertight: bool
    n_bodies: int  # connected pieces before debris was dropped
    original_triangles: int
    warnings: tuple[str, ...]  # human sentences: what was repaired or assumed
    format: str = ""  # e.g. "STL (binary)"


@dataclass
class _Raw:
    vertices: FloatArray
    faces: IntArray
    format: str
    indexed: bool  # False for STL, where repeated corners are the format, not a defect
    n_line_cells: int = 0
    n_point_cells: int = 0
    notes: tuple[str, ...] = ()
    original_triangles: int = 0  # the file's count, when reading reduced it (mesh_decimate)


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BM", None),  # too weak alone: checked with the size field below
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"DICM", None),
    (b"\x80\x04\x95", "a Python pickle"),
    (b"\x93NUMPY", "a NumPy array file"),
    (b"\x7fELF", "a program (ELF executable)"),
)


def _sniff_not_mesh(head: bytes, size: int) -> str | None:
    """What the file is, when its first bytes say it is plainly not a mesh."""
    for magic, what in _MAGIC:
        if what is not None and head.startswith(magic):
            return what
    if head.startswith(b"BM") and len(head) >= 6 and int.from_bytes(head[2:6], "little") == size:
        return "a BMP image"
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "a DICOM image (segment the bone and export a surface mesh first)"
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "a web page (HTML)"
    return None


def load_mesh(
    path: str | Path, *, max_triangles: int = 400_000, max_file_bytes: int = MAX_FILE_BYTES
) -> LoadedMesh:
    """Read a bone surface from a user's file: millimetres, repaired, at most max_triangles.

    Raises MeshError (and nothing else) for any file that cannot be used.
    """
    p = Path(path)
    name = str(path)
    raw = _read_raw(p, name, max_file_bytes, decimate_to=max_triangles)
    warnings: list[str] = list(raw.notes)
    original_triangles = raw.original_triangles or len(raw.faces)
    vertices, faces = _check_numbers(raw, name, warnings)
    vertices, faces, n_bodies = _repair(vertices, faces, raw.indexed, name, warnings)
    units, scale = _detect_units(vertices, faces, name)
    if units != "mm":
        warnings.append(
            f"coordinates are in {_UNIT_WORDS[units]} (judged from the bone's size); "
            f"scaled by {scale:g} to millimetres"
        )
    vertices = vertices * scale
    if len(faces) > max_triangles:
        before = len(faces)
        vertices, faces, how = _reduce(vertices, faces, max_triangles, name)
        warnings.append(
            f"reduced from {before:,} to {len(faces):,} triangles ({how}) for display and analysis"
        )
    watertight = rep.is_watertight(faces)
    return LoadedMesh(
        path=name,
        mesh=SurfaceMesh(vertices, faces),
        units=units,
        scale_to_mm=scale,
        watertight=watertight,
        n_bodies=n_bodies,
        original_triangles=original_triangles,
        warnings=tuple(warnings),
        format=raw.format,
    )


# ----------------------------------------------------------------------------------------------
# reading


def _read_raw(p: Path, name: str, max_file_bytes: int, decimate_to: int = 0) -> _Raw:
    ext = p.suffix.lower()
    try:
        st = regular_file_stat(p, "mesh file")  # a FIFO or device is refused before opening
    except MeshError:
        raise
    except KneevizError as exc:
        raise MeshError(exc.problem, exc.path) from None
    if st.st_size == 0:
        raise MeshError("is empty (0 bytes); export the mesh again", name)
    if st.st_size > max_file_bytes:
        raise MeshError(
            f"is too large ({st.st_size / 1024**3:.1f} GiB; the limit is "
            f"{max_file_bytes / 1024**3:.1f} GiB); decimate the mesh in your segmentation or "
            "mesh software first",
            name,
        )
    if ext not in SUPPORTED:
        raise MeshError(
            f"has an unsupported extension {ext or '(none)'!r}; save the bone as "
            + ", ".join(SUPPORTED),
            name,
        )
    huge = _huge_binary_stl(p, st.st_size) if ext == ".stl" and decimate_to else None
    if huge is not None:  # a fine CT export: decimated as it is read (mesh_decimate)
        return _decimated_on_load(p, huge, decimate_to, name)
    binary_stl = ext == ".stl" and _refuse_huge_binary_stl(p, st.st_size, name)
    if ext in _FACE_LINE and not binary_stl and st.st_size > _COUNT_FIRST_BYTES:
        _refuse_huge(_count_in_file(p, _FACE_LINE[ext], name), name, MAX_TEXT_TRIANGLES)
    try:
        data = read_bounded(p, max_file_bytes, "mesh file")
    except KneevizError as exc:
        raise MeshError(exc.problem, exc.path) from None
    declared = _declared_triangles(data, ext)
    text = ext in _FACE_LINE and not (ext == ".stl" and b"\0" in data[:1024])
    _refuse_huge(declared, name, MAX_TEXT_TRIANGLES if text else MAX_READ_TRIANGLES)
    what = _sniff_not_mesh(data[:256], len(data))
    if what is not None:
        raise MeshError(f"is {what}, not a mesh; export the bone surface as {_format_words()}",
                        name)
    actual = _content_format(data)
    if actual is not None and actual != ext and not (actual == ".vtp" and ext == ".vtk"):
        raise MeshError(
            f"is named {ext} but holds a {actual[1:].upper()} file; rename it to "
            f"{p.with_suffix(actual).name} (the extension decides how it is read)",
            name,
        )
    try:
        raw = FORMATS[ext].read(data, ext, name)
    except MeshError:
        raise
    except MemoryError:
        raise MeshError("is too large to read into memory; decimate it first", name) from None
    except Exception as exc:  # a malformed file can break a parser in many ways
        raise MeshError(
            f"could not be read as {ext[1:].upper()}: the file is corrupt, truncated or not "
            f"a mesh in that format ({type(exc).__name__}: {_short(exc)}); export it again",
            name,
        ) from None
    if len(raw.faces) == 0:
        if len(raw.vertices) == 0:
            raise MeshError(
                f"holds no vertices and no triangles: it is not a mesh in {ext[1:].upper()} "
                "format (or the mesh is empty); export the bone surface again",
                name,
            )
        kind = "lines" if raw.n_line_cells else "points"
        raise MeshError(
            f"holds only {kind} ({len(raw.vertices):,} vertices, no triangles): a point cloud "
            "or outline is not a surface; reconstruct a triangle surface first",
            name,
        )
    return raw


MAX_READ_TRIANGLES = 2_500_000
"""Triangles read whole at most: reading, repairing and reducing 2.1 million takes about 27 s
and 1.2 GB on two loaded cores, so more would break the 30 s / 2 GB floor. A bone needs about
100 thousand (build.PATIENT_MAX_TRIANGLES); a finer binary STL is decimated as it is read
(mesh_decimate, up to its MAX_DECIMATE_TRIANGLES), any other finer export is refused up front
with its count."""


MAX_TEXT_TRIANGLES = 500_000
"""Text formats (ASCII STL, OBJ) cost far more per triangle to parse than binary STL: at most
this many (about 75 MB of ASCII STL). Measured on two cores at load average 9-10: a 0.9-million
facet ASCII STL took 92 s and 0.9 GB, breaking the 30 s floor."""
_COUNT_FIRST_BYTES = 64 * 1024**2
"""Text files larger than this have their faces counted in a streaming pass before being read."""


def _count_in_file(p: Path, token: bytes, name: str) -> int:
    """How often `token` occurs in the file, read in 16 MB pieces (bounded memory)."""
    count, carry = 0, b""
    try:
        with open(p, "rb") as fh:  # a regular file (checked): opening cannot block
            while chunk := fh.read(1 << 24):
                block = carry + chunk
                count += block.count(token)
                carry = block[-(len(token) - 1):]  # a token split between two pieces
    except OSError as exc:
        raise MeshError(os_problem(exc, p, "mesh file"), name) from None
    return count


def _refuse_huge(n_triangles: int | None, name: str, limit: int = 0) -> None:
    limit = limit or MAX_READ_TRIANGLES
    if n_triangles is not None and n_triangles > limit:
        raise MeshError(
            f"holds {n_triangles:,} triangles, more than kneeviz reads "
            f"({limit:,}; a bone needs about 100,000): decimate it first (e.g. "
            "MeshLab's Quadric Edge Collapse Decimation to 200,000 faces) and export again",
            name,
        )


def _refuse_huge_binary_stl(p: Path, size: int, name: str) -> bool:
    """A binary STL's triangle count is in its header: refuse a huge one before reading it.
    True when the file is a binary STL by its size."""
    if size < 84:
        return False
    try:
        with open(p, "rb") as fh:  # a regular file (checked): opening cannot block
            head = fh.read(84)
    except OSError as exc:
        raise MeshError(os_problem(exc, p, "mesh file"), name) from None
    n = int.from_bytes(head[80:84], "little")
    if size == 84 + 50 * n:  # binary (even when the header starts with "solid")
        from kneeviz.anatomy.mesh_decimate import MAX_DECIMATE_TRIANGLES

        _refuse_huge(n, name, MAX_DECIMATE_TRIANGLES)  # fewer are decimated as they are read
        return True
    return False


def _huge_binary_stl(p: Path, size: int) -> int | None:
    """The triangle count of a binary STL above MAX_READ_TRIANGLES but not above
    mesh_decimate.MAX_DECIMATE_TRIANGLES (None otherwise)."""
    from kneeviz.anatomy.mesh_decimate import MAX_DECIMATE_TRIANGLES

    if size < 84:
        return None
    try:
        with open(p, "rb") as fh:  # a regular file (checked): opening cannot block
            head = fh.read(84)
    except OSError:
        return None  # the ordinary reader says what is wrong
    n = int.from_bytes(head[80:84], "little")
    return n if size == 84 + 50 * n and MAX_READ_TRIANGLES < n <= MAX_DECIMATE_TRIANGLES else None


def _decimated_on_load(p: Path, n: int, target: int, name: str) -> _Raw:
    from kneeviz.anatomy.mesh_decimate import decimated_binary_stl

    try:
        vertices, faces, note = decimated_binary_stl(p, n, target, MAX_READ_TRIANGLES)
    except MemoryError:
        raise MeshError(f"holds {n:,} triangles, too many to decimate in this computer's "
                        "memory: decimate it first (e.g. MeshLab's Quadric Edge Collapse "
                        "Decimation to 200,000 faces) and export again", name) from None
    except (OSError, EOFError, ValueError) as exc:
        raise MeshError(f"could not be read as a binary STL ({_short(exc)}); export it again",
                        name) from None
    return _Raw(vertices, faces, "STL (binary)", True, notes=(note,), original_triangles=n)



def _declared_triangles(data: bytes, ext: str) -> int | None:
    """The triangle count a file states or plainly holds (headers, face lines), None when that
    would need a parse. At least 1 per polygon: a quad is 2 triangles, counted as 1 here."""
    if ext == ".obj" or (ext == ".stl" and b"\0" not in data[:1024]):
        return data.count(_FACE_LINE[ext])
    head = data[:4096]
    if ext == ".ply":
        m = re.search(rb"element\s+face\s+(\d{1,12})", head)
        return int(m.group(1)) if m else None
    if ext == ".off":
        m = re.match(rb"\s*[CN]?OFF\s+(?:#[^\n]*\n\s*)*\d+\s+(\d{1,12})", head)
        return int(m.group(1)) if m else None
    return None


def _content_format(data: bytes) -> str | None:
    """The mesh format the first bytes clearly announce (None when they do not say)."""
    head = data[:512].lstrip()
    if head.startswith(b"ply") and head[3:4] in (b"\n", b"\r"):
        return ".ply"
    if head.lower().startswith(b"# vtk datafile"):
        return ".vtk"
    if head.startswith(b"<VTKFile") or (head.startswith(b"<?xml") and b"<VTKFile" in head):
        return ".vtp"
    if head[:3] in (b"OFF", b"COFF", b"NOFF") and head[3:4] in (b"\n", b"\r", b" "):
        return ".off"
    n = int.from_bytes(data[80:84], "little") if len(data) >= 84 else -1
    if n > 0 and len(data) == 84 + 50 * n and not head.startswith(b"solid"):
        return ".stl"
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:120]


_FLOAT = rb"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_VERTEX_RE = re.compile(
    rb"vertex\s+(" + _FLOAT + rb")\s+(" + _FLOAT + rb")\s+(" + _FLOAT + rb")", re.IGNORECASE
)


def _read_stl(data: bytes, name: str) -> _Raw:
    """Binary or ASCII STL; a binary file's size must match its triangle count exactly."""
    size = len(data)
    n_declared = int.from_bytes(data[80:84], "little") if size >= 84 else -1
    binary_size = 84 + 50 * n_declared
    looks_ascii = data.lstrip()[:5].lower() == b"solid" and b"\0" not in data[:1024]
    if n_declared >= 0 and size == binary_size:
        return _read_stl_binary(data, n_declared, name, extra=0)
    if looks_ascii:
        return _read_stl_ascii(data, name)
    head = data[:1024]
    if not looks_ascii and _is_text(head):
        raise MeshError(
            "is a text file but not an ASCII STL (which starts with 'solid' and lists facets); "
            "export the bone surface as STL again",
            name,
        )
    if size < 84:
        raise MeshError(
            f"is only {size} bytes: too short to be an STL file (truncated or not an STL); "
            "export the mesh again",
            name,
        )
    if size < binary_size:
        raise MeshError(
            f"is not a complete binary STL: its header declares {n_declared:,} triangles "
            f"({binary_size:,} bytes) but the file has {size:,} bytes; it is truncated or not an "
            "STL file: export the mesh again",
            name,
        )
    # longer than declared: some exporters pad; accept a small tail, refuse junk
    if n_declared > 0 and size - binary_size < 50 * max(1, n_declared // 100) + 512:
        return _read_stl_binary(data, n_declared, name, extra=size - binary_size)
    raise MeshError(
        f"is not a binary STL: its header declares {n_declared:,} triangles but the file has "
        f"{size:,} bytes, and it is not ASCII STL either; export the mesh again",
        name,
    )


def read_stl_triangles(data: bytes, name: str) -> tuple[FloatArray, IntArray]:
    """An STL's triangles as they are stored (three vertices each, not welded): the one STL
    parser, for patient files (load_mesh) and the bundled knee alike."""
    raw = _read_stl(data, name)
    return raw.vertices, raw.faces


def _is_text(head: bytes) -> bool:
    """Printable text (UTF-8, no control bytes besides whitespace)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _read_stl_binary(data: bytes, n: int, name: str, extra: int) -> _Raw:
    record = np.dtype([("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    tris = np.frombuffer(data, dtype=record, count=n, offset=84)
    with np.errstate(invalid="ignore", over="ignore"):  # junk floats: judged by _check_numbers
        vertices = tris["v"].reshape(-1, 3).astype(np.float64)
    faces = np.arange(len(vertices), dtype=np.int64).reshape(-1, 3)
    notes: tuple[str, ...] = ()
    if extra:
        notes = (f"ignored {extra} extra bytes after the last triangle",)
    return _Raw(vertices, faces, "STL (binary)", False, notes=notes)


def _read_stl_ascii(data: bytes, name: str) -> _Raw:
    tail = data.rstrip()[-2000:].lower()
    n_facets = len(re.findall(rb"\bfacet\b", data, flags=re.IGNORECASE))
    found = _VERTEX_RE.findall(data)
    if b"endsolid" not in tail:
        raise MeshError(
            "is an ASCII STL that ends early (no 'endsolid' line): the file is truncated; "
            "export the mesh again",
            name,
        )
    if len(found) % 3 != 0 or len(found) != 3 * n_facets:
        raise MeshError(
            f"is a malformed ASCII STL: {n_facets:,} facets but {len(found):,} readable "
            "vertex lines (3 expected per facet); export the mesh again",
            name,
        )
    vertices = np.array(found, dtype=np.float64).reshape(-1, 3) if found else np.zeros((0, 3))
    faces = np.arange(len(vertices), dtype=np.int64).reshape(-1, 3)
    return _Raw(vertices, faces, "STL (ASCII)", False)


def _read_with_trimesh(data: bytes, ext: str, name: str) -> _Raw:
    import io

    import trimesh

    loaded = trimesh.load(
        io.BytesIO(data), file_type=ext[1:], process=False, force=None, skip_materials=True
    )
    if isinstance(loaded, trimesh.Scene):
        geoms = list(loaded.geometry.values())
        meshes = [g for g in geoms if isinstance(g, trimesh.Trimesh)]
        if meshes:
            loaded = trimesh.util.concatenate(meshes)
        elif geoms:
            loaded = geoms[0]
        else:
            return _Raw(np.zeros((0, 3)), np.zeros((0, 3), np.int64), ext[1:].upper(), True)
    vertices = np.asarray(getattr(loaded, "vertices", np.zeros((0, 3))), dtype=np.float64)
    faces_attr = getattr(loaded, "faces", None)
    faces = (
        np.zeros((0, 3), np.int64)
        if faces_attr is None
        else np.asarray(faces_attr, dtype=np.int64).reshape(-1, 3)
    )
    n_lines = 0
    if isinstance(loaded, trimesh.PointCloud) and ext == ".obj":
        n_lines = len(re.findall(rb"(?m)^\s*l\s", data))
    return _Raw(vertices.reshape(-1, 3), faces, ext[1:].upper(), True, n_line_cells=n_lines)


def _read_vtk(data: bytes, ext: str, name: str) -> _Raw:
    from kneeviz.anatomy import io_vtk

    result = (io_vtk.read_legacy_vtk if ext == ".vtk" else io_vtk.read_vtp)(data)
    return _Raw(result.vertices, result.faces, result.format, True, result.n_line_cells,
                result.n_point_cells, result.notes)


@dataclass(frozen=True)
class MeshFormat:
    """One mesh file format kneeviz reads: the one place its suffix, name and reader are given.

    `face_line` is the byte string that starts (or ends) each face in a text file of the format,
    so a huge file's triangles can be counted in a streaming pass before it is read."""

    suffix: str
    name: str
    read: Callable[[bytes, str, str], _Raw]
    """(file bytes, suffix, the file's name for messages) -> vertices and faces as read."""
    face_line: bytes | None = None


FORMATS: dict[str, MeshFormat] = {f.suffix: f for f in (
    MeshFormat(".stl", "STL", lambda data, _ext, name: _read_stl(data, name),
               face_line=rb"endfacet"),
    MeshFormat(".obj", "OBJ", _read_with_trimesh, face_line=rb"\nf "),
    MeshFormat(".ply", "PLY", _read_with_trimesh),
    MeshFormat(".off", "OFF", _read_with_trimesh),
    # VTK's own readers (vtkPolyDataReader, vtkXMLPolyDataReader) are not used: the model layers
    # never import VTK, and on the hostile set's damaged VTK/VTP files they reported no error for
    # any of 35 (truncated files read as points without triangles or as nothing) and aborted the
    # process on a .vtp declaring 4e9 points (docs/architecture.md, "Reading meshes").
    MeshFormat(".vtk", "VTK", _read_vtk),
    MeshFormat(".vtp", "VTP", _read_vtk),
)}
"""Suffix -> format, in the order messages list them."""
SUPPORTED = tuple(FORMATS)
_FACE_LINE = {s: f.face_line for s, f in FORMATS.items() if f.face_line is not None}


def _format_words() -> str:
    names = [f.name for f in FORMATS.values()]
    return ", ".join(names[:-1]) + " or " + names[-1]


# ----------------------------------------------------------------------------------------------
# checking and repair


def _check_numbers(raw: _Raw, name: str, warnings: list[str]) -> tuple[FloatArray, IntArray]:
    vertices, faces = raw.vertices, raw.faces
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshError(
            f"is corrupt: a triangle refers to vertex {int(faces.max())} but the file has "
            f"{len(vertices):,} vertices (truncated or damaged); export the mesh again",
            name,
        )
    finite_vertex: NDArray[np.bool_] = np.asarray(np.isfinite(vertices).all(axis=1))
    if not finite_vertex.all():
        bad_faces = ~finite_vertex[faces].all(axis=1)
        n_bad = int(bad_faces.sum())
        if n_bad > _MAX_NONFINITE_FRACTION * len(faces) or n_bad == len(faces):
            raise MeshError(
                f"has NaN or infinite coordinates in {n_bad:,} of {len(faces):,} triangles; "
                "the export is broken: export the mesh again",
                name,
            )
        faces = faces[~bad_faces]
        warnings.append(
            f"dropped {n_bad:,} triangles with NaN or infinite coordinates (of {len(raw.faces):,})"
        )
        vertices = np.where(np.isfinite(vertices), vertices, 0.0)
    if np.abs(vertices).max() > 1e12:
        raise MeshError(
            "has coordinates beyond 1e12: the file is corrupt or not a mesh; export it again",
            name,
        )
    return vertices, faces


def _repair(
    vertices: FloatArray, faces: IntArray, indexed: bool, name: str, warnings: list[str]
) -> tuple[FloatArray, IntArray, int]:
    vertices, faces = rep.drop_unused_vertices(vertices, faces)
    vertices, faces, n_merged = rep.merge_vertices(vertices, faces)
    if indexed and n_merged:
        warnings.append(f"merged {n_merged:,} duplicate vertices")
    faces, n_degenerate, n_duplicate = rep.drop_bad_faces(vertices, faces)
    if n_degenerate:
        warnings.append(f"dropped {n_degenerate:,} degenerate (zero-area) triangles")
    if n_duplicate:
        warnings.append(f"dropped {n_duplicate:,} duplicate triangles")
    if len(faces) == 0:
        raise MeshError(
            "has no usable triangles: every triangle is degenerate (zero area) or a duplicate; "
            "export the bone surface again",
            name,
        )
    vertices, faces = rep.drop_unused_vertices(vertices, faces)

    n_bodies, labels = rep.face_bodies(len(vertices), faces)
    if n_bodies > 1:
        areas = np.bincount(labels, weights=rep.face_areas(vertices, faces), minlength=n_bodies)
        big = areas >= _DEBRIS_AREA_FRACTION * areas.max()
        n_big = int(big.sum())
        if n_big < n_bodies:
            keep = big[labels]
            n_small = n_bodies - n_big
            warnings.append(
                f"removed {n_small:,} small loose piece{'s' if n_small > 1 else ''} "
                f"({int((~keep).sum()):,} triangles, "
                f"{100 * areas[~big].sum() / areas.sum():.2g}% of the area)"
            )
            faces = faces[keep]
            vertices, faces = rep.drop_unused_vertices(vertices, faces)
        if n_big > 1:
            warnings.append(
                f"the file holds {n_big} separate large bodies (e.g. tibia and fibula); "
                "all were kept"
            )

    faces, n_flipped = rep.fix_winding(faces)
    if n_flipped:
        warnings.append(f"re-oriented {n_flipped:,} triangles wound against their neighbours")

    _, labels = rep.face_bodies(len(vertices), faces)
    diag = rep.bbox_diagonal(vertices)
    vertices, faces, n_filled, n_open = rep.fill_small_holes(
        vertices, faces, _SMALL_HOLE_FRACTION * diag, 2.5 * _SMALL_HOLE_FRACTION * diag
    )
    if n_filled:
        warnings.append(f"filled {n_filled:,} small hole{'s' if n_filled > 1 else ''}")
    if n_open:
        warnings.append(
            f"the surface is open ({n_open:,} large hole{'s' if n_open > 1 else ''} or cut "
            "edge left as is)"
        )

    _, labels = rep.face_bodies(len(vertices), faces)
    faces, n_inverted, n_open_bodies = rep.orient_closed_bodies_outward(vertices, faces, labels)
    if n_inverted:
        warnings.append(
            "the normals pointed inward (inside-out surface); flipped them to point outward"
        )
    if n_open_bodies:
        warnings.append(
            "the surface is not closed, so whether its normals point outward was not checked"
        )
    return vertices, faces, n_bodies


# ----------------------------------------------------------------------------------------------
# units

_UNIT_WORDS = {"mm": "millimetres", "cm": "centimetres", "m": "metres", "um": "micrometres"}


def _detect_units(vertices: FloatArray, faces: IntArray, name: str) -> tuple[str, float]:
    """The file's length unit, judged from the bone's size and shape alone.

    Bone sizes (adult): femur 380-520 mm and tibia/fibula 300-450 mm long (elongated: principal
    extents ratio above about 4), patella 30-60 mm (compact), pelvis 200-300 mm wide (compact but
    hollow: volume about a fifth of its convex hull). Partial bones and cartilage caps are smaller.
    Only mm and cm overlap (20-70 units): there an elongated shape means a long bone in cm and a
    hollow closed compact shape of 15-35 units a pelvis in cm; anything else is taken as mm.
    """
    extents = rep.pca_extents(vertices)
    size = float(extents[0])
    ratio = size / max(float(extents[1]), 1e-300)
    if 0.015 <= size <= 1.2:
        return "m", 1000.0
    if 1.5 <= size < 20.0:
        return "cm", 10.0
    if 20.0 <= size <= 70.0:
        if ratio >= 2.5 and size <= 56.0:
            return "cm", 10.0
        if size <= 35.0 and ratio < 2.5 and _is_hollow(vertices, faces):
            return "cm", 10.0
        return "mm", 1.0
    if 70.0 < size <= 1200.0:
        return "mm", 1.0
    if 15_000.0 <= size <= 1_200_000.0:
        return "um", 0.001
    raise MeshError(
        f"is {size:,.4g} units across, a size no bone has in mm, cm, m or micrometres (a "
        "patella is 30-60 mm, a femur 380-520 mm); check that the file holds one bone and "
        "that its coordinates are not corrupted",
        name,
    )


def _is_hollow(vertices: FloatArray, faces: IntArray) -> bool:
    """A closed surface enclosing under 40% of its convex hull (a pelvis ring; a patella ~95%)."""
    if not rep.is_watertight(faces):
        return False
    try:
        from scipy.spatial import ConvexHull

        hull_volume = float(ConvexHull(vertices).volume)
    except Exception:
        return False
    return hull_volume > 0 and abs(rep.signed_volume(vertices, faces)) < 0.4 * hull_volume


# ----------------------------------------------------------------------------------------------
# reduction


def _reduce(
    vertices: FloatArray, faces: IntArray, max_triangles: int, name: str
) -> tuple[FloatArray, IntArray, str]:
    """Quadric decimation (fast-simplification, a dependency) to at most max_triangles."""
    import fast_simplification

    target = max_triangles
    for _ in range(4):
        v, f = fast_simplification.simplify(
            vertices.astype(np.float64), faces.astype(np.int32), target_count=target
        )
        v = np.asarray(v, dtype=np.float64)
        f = np.asarray(f, dtype=np.int64)
        f, _, _ = rep.drop_bad_faces(v, f)
        v, f = rep.drop_unused_vertices(v, f)
        if 0 < len(f) <= max_triangles:
            return v, f, "quadric decimation"
        target = max(4, math.floor(target * 0.9))
    raise MeshError(f"could not be reduced to {max_triangles} triangles (its surface is too "
                    "broken to simplify); repair or re-export the mesh", name)


def describe_size(loaded: LoadedMesh) -> str:
    """The mesh's principal extents in mm, for reports."""
    ext = rep.pca_extents(loaded.mesh.vertices_mm)
    return " x ".join(f"{e:.1f}" for e in ext) + " mm"
