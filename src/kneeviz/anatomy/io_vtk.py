"""Pure-python readers for VTK surface files, so the model layer never needs VTK itself.

Legacy .vtk (ASCII or big-endian BINARY; POLYDATA or UNSTRUCTURED_GRID; both the classic
"count id id id" cell lists and the version 5.1 OFFSETS/CONNECTIVITY layout) and XML .vtp/.vtu
(ascii, inline base64 binary, appended raw or base64; uncompressed, zlib or lzma compressed;
UInt32 or UInt64 headers). Written from the file-format description in the VTK user's guide
("VTK File Formats"). Polygons are fanned into triangles, strips unrolled; lines and vertices are
only counted (so a point cloud can be refused with a clear message).
Malformed input raises ValueError (the loader turns it into a MeshError naming the file).
"""

from __future__ import annotations

import base64
import binascii
import lzma
import re
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

import numpy as np
from numpy.typing import NDArray

from kneeviz.transforms import FloatArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class VtkSurface:
    vertices: FloatArray
    faces: IntArray
    format: str
    n_line_cells: int = 0
    n_point_cells: int = 0
    notes: tuple[str, ...] = ()


# cell types of an unstructured grid that are surfaces, and volume types to name in errors
_VTK_TRIANGLE, _VTK_TRIANGLE_STRIP, _VTK_POLYGON, _VTK_PIXEL, _VTK_QUAD = 5, 6, 7, 8, 9
_VTK_VERTEX, _VTK_POLY_VERTEX, _VTK_LINE, _VTK_POLY_LINE = 1, 2, 3, 4
_MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
_VOLUME_TYPES = {10: "tetrahedra", 11: "voxels", 12: "hexahedra", 13: "wedges", 14: "pyramids"}


def _fan(cells: list[IntArray]) -> IntArray:
    """Triangles from polygons given as vertex-index arrays (fan from the first vertex)."""
    out: list[IntArray] = []
    for c in cells:
        if len(c) >= 3:
            a = np.full(len(c) - 2, c[0])
            out.append(np.column_stack([a, c[1:-1], c[2:]]))
    return np.vstack(out).astype(np.int64) if out else np.zeros((0, 3), np.int64)


def _fan_by_size(offsets: IntArray, connectivity: IntArray) -> IntArray:
    """Fan triangulation of cells given by offsets (n+1) into connectivity, vectorised by size."""
    sizes = np.diff(offsets)
    if len(sizes) and (sizes.min() < 0 or offsets[-1] > len(connectivity)):
        raise ValueError("cell offsets run past the connectivity array")
    out: list[IntArray] = []
    for size in np.unique(sizes):
        if size < 3:
            continue
        starts = offsets[:-1][sizes == size]
        idx = connectivity[starts[:, None] + np.arange(size)]
        for k in range(1, size - 1):
            out.append(idx[:, [0, k, k + 1]])
    return np.vstack(out).astype(np.int64) if out else np.zeros((0, 3), np.int64)


def _strips(offsets: IntArray, connectivity: IntArray) -> IntArray:
    """Triangles of triangle strips (alternate triangles reversed to keep one winding)."""
    out: list[IntArray] = []
    for i in range(len(offsets) - 1):
        s = connectivity[offsets[i] : offsets[i + 1]]
        for k in range(len(s) - 2):
            tri = [s[k], s[k + 1], s[k + 2]] if k % 2 == 0 else [s[k + 1], s[k], s[k + 2]]
            out.append(np.asarray(tri))
    return np.vstack(out).astype(np.int64) if out else np.zeros((0, 3), np.int64)


def _count_list_to_offsets(values: IntArray, n_cells: int) -> tuple[IntArray, IntArray]:
    """Classic legacy cell list [n, i1..in, n, ...] -> (offsets, connectivity)."""
    if len(values) == 4 * n_cells and np.all(values[::4] == 3):  # all triangles: the usual case
        return np.arange(n_cells + 1, dtype=np.int64) * 3, values.reshape(-1, 4)[:, 1:].ravel()
    offsets = np.zeros(n_cells + 1, dtype=np.int64)
    keep = np.ones(len(values), dtype=bool)
    pos = 0
    for i in range(n_cells):
        if pos >= len(values):
            raise ValueError("cell list ends early")
        n = int(values[pos])
        if n < 0 or pos + 1 + n > len(values):
            raise ValueError("cell list is inconsistent")
        keep[pos] = False
        offsets[i + 1] = offsets[i] + n
        pos += 1 + n
    return offsets, values[keep[: len(values)]][: offsets[-1]]


# ----------------------------------------------------------------------------------------------
# legacy .vtk

_LEGACY_TYPES = {
    "bit": None,
    "unsigned_char": "u1",
    "char": "i1",
    "unsigned_short": "u2",
    "short": "i2",
    "unsigned_int": "u4",
    "int": "i4",
    "unsigned_long": "u8",
    "long": "i8",
    "float": "f4",
    "double": "f8",
    "vtktypeint64": "i8",
    "vtktypeuint64": "u8",
    "vtktypeint32": "i4",
    "vtktypeuint32": "u4",
    "vtkidtype": "i8",
}


class _LegacyCursor:
    def __init__(self, data: bytes, pos: int, binary: bool) -> None:
        self.data = data
        self.pos = pos
        self.binary = binary
        if not binary:
            self.tokens = data[pos:].split()
            self.ti = 0

    def at_end(self) -> bool:
        if self.binary:
            return not self.data[self.pos :].strip()
        return self.ti >= len(self.tokens)

    def words(self, k: int) -> list[str]:
        if self.binary:
            while self.pos < len(self.data) and self.data[self.pos : self.pos + 1] in b" \t\r\n":
                self.pos += 1
            end = self.data.find(b"\n", self.pos)
            end = len(self.data) if end < 0 else end
            line = self.data[self.pos : end].decode("ascii", "replace").split()
            self.pos = end + 1
            if len(line) < k:
                raise ValueError(f"expected {k} words, found {line!r}")
            return line
        if self.ti + k > len(self.tokens):
            raise ValueError("file ends early")
        out = [t.decode("ascii", "replace") for t in self.tokens[self.ti : self.ti + k]]
        self.ti += k
        return out

    def peek(self) -> str:
        if self.binary:
            rest = self.data[self.pos :].lstrip()
            return rest.split(None, 1)[0].decode("ascii", "replace") if rest else ""
        return self.tokens[self.ti].decode("ascii", "replace") if self.ti < len(self.tokens) else ""

    def array(self, n: int, type_name: str) -> NDArray[np.generic]:
        code = _LEGACY_TYPES.get(type_name.lower())
        if code is None:
            raise ValueError(f"unsupported data type {type_name!r}")
        if n < 0 or n > 10**9:
            raise ValueError(f"implausible array length {n}")
        if self.binary:
            dtype = np.dtype(">" + code)
            nbytes = n * dtype.itemsize
            if self.pos + nbytes > len(self.data):
                raise ValueError("binary data ends early (truncated file)")
            out = np.frombuffer(self.data, dtype=dtype, count=n, offset=self.pos)
            self.pos += nbytes
            return out.astype(dtype.newbyteorder("="))
        if self.ti + n > len(self.tokens):
            raise ValueError("data ends early (truncated file)")
        chunk = self.tokens[self.ti : self.ti + n]
        self.ti += n
        kind = np.float64 if code.startswith("f") else np.int64
        return np.array(chunk).astype(np.float64).astype(kind)


_LEGACY_SECTIONS = {
    "POINTS",
    "POLYGONS",
    "TRIANGLE_STRIPS",
    "LINES",
    "VERTICES",
    "CELLS",
    "CELL_TYPES",
    "POINT_DATA",
    "CELL_DATA",
    "FIELD",
    "METADATA",
}


def _legacy_cells(cur: _LegacyCursor, a: int, b: int) -> tuple[IntArray, IntArray]:
    """A cell section: classic (a cells, b values) or 5.1 (a offsets, b connectivity)."""
    if cur.peek().upper() == "OFFSETS":
        _, t = cur.words(2)
        offsets = cur.array(a, t).astype(np.int64)
        word, t = cur.words(2)
        if word.upper() != "CONNECTIVITY":
            raise ValueError("OFFSETS not followed by CONNECTIVITY")
        connectivity = cur.array(b, t).astype(np.int64)
        return offsets, connectivity
    values = cur.array(b, "int").astype(np.int64)
    return _count_list_to_offsets(values, a)


def read_legacy_vtk(data: bytes) -> VtkSurface:
    first = data[:256].split(b"\n", 1)[0]
    if not first.lstrip().lower().startswith(b"# vtk datafile"):
        raise ValueError("no '# vtk DataFile' header line")
    lines = data.split(b"\n", 4)
    if len(lines) < 4:
        raise ValueError("header ends early")
    mode = lines[2].strip().upper()
    if mode not in (b"ASCII", b"BINARY"):
        raise ValueError("third line must say ASCII or BINARY")
    binary = mode == b"BINARY"
    dataset_line = lines[3].decode("ascii", "replace").split()
    if len(dataset_line) < 2 or dataset_line[0].upper() != "DATASET":
        raise ValueError("fourth line must be 'DATASET ...'")
    dataset = dataset_line[1].upper()
    if dataset not in ("POLYDATA", "UNSTRUCTURED_GRID"):
        raise ValueError(f"dataset {dataset} holds no surface (need POLYDATA)")
    pos = sum(len(line) + 1 for line in lines[:4])
    cur = _LegacyCursor(data, pos, binary)
    points = np.zeros((0, 3))
    faces: list[IntArray] = []
    n_lines = n_verts = 0
    cells: tuple[IntArray, IntArray] | None = None
    types: IntArray | None = None
    while not cur.at_end():
        word = cur.peek().upper()
        if word == "POINTS":
            _, n, t = cur.words(3)
            points = cur.array(3 * int(n), t).astype(np.float64).reshape(-1, 3)
        elif word in ("POLYGONS", "TRIANGLE_STRIPS", "LINES", "VERTICES", "CELLS"):
            _, a, b = cur.words(3)
            offsets, conn = _legacy_cells(cur, int(a), int(b))
            if word == "POLYGONS":
                faces.append(_fan_by_size(offsets, conn))
            elif word == "TRIANGLE_STRIPS":
                faces.append(_strips(offsets, conn))
            elif word == "LINES":
                n_lines += len(offsets) - 1
            elif word == "VERTICES":
                n_verts += len(offsets) - 1
            else:
                cells = (offsets, conn)
        elif word == "CELL_TYPES":
            _, n = cur.words(2)
            types = cur.array(int(n), "int").astype(np.int64)
        elif word == "METADATA":
            cur.words(1)
            while not cur.at_end() and cur.peek().upper() not in _LEGACY_SECTIONS - {"METADATA"}:
                cur.words(1)
        elif word in ("POINT_DATA", "CELL_DATA", "FIELD"):
            break  # attributes follow: the geometry is complete
        else:
            raise ValueError(f"unexpected section {word!r}")
    if cells is not None:
        tri, n_l, n_v = _grid_cells(cells[0], cells[1], types)
        faces.append(tri)
        n_lines += n_l
        n_verts += n_v
    all_faces = np.vstack(faces) if faces else np.zeros((0, 3), np.int64)
    kind = "binary" if binary else "ASCII"
    return VtkSurface(points, all_faces, f"VTK legacy ({kind})", n_lines, n_verts)


def _grid_cells(
    offsets: IntArray, conn: IntArray, types: IntArray | None
) -> tuple[IntArray, int, int]:
    if types is None or len(types) != len(offsets) - 1:
        raise ValueError("cells without matching cell types")
    volume = sorted({_VOLUME_TYPES[t] for t in np.unique(types) if t in _VOLUME_TYPES})
    surface = np.isin(types, [_VTK_TRIANGLE, _VTK_POLYGON, _VTK_QUAD])
    if volume and not surface.any():
        raise ValueError(
            f"a volume mesh of {', '.join(volume)}, not a surface: extract its outer surface"
        )
    sel = np.nonzero(surface)[0]
    polys = [conn[offsets[i] : offsets[i + 1]] for i in sel]
    tri = _fan(polys)
    n_lines = int(np.isin(types, [_VTK_LINE, _VTK_POLY_LINE]).sum())
    n_verts = int(np.isin(types, [_VTK_VERTEX, _VTK_POLY_VERTEX]).sum())
    return tri, n_lines, n_verts


# ----------------------------------------------------------------------------------------------
# XML .vtp / .vtu

_XML_TYPES = {
    "Int8": "i1",
    "UInt8": "u1",
    "Int16": "i2",
    "UInt16": "u2",
    "Int32": "i4",
    "UInt32": "u4",
    "Int64": "i8",
    "UInt64": "u8",
    "Float32": "f4",
    "Float64": "f8",
}


def _b64len(nbytes: int) -> int:
    return 4 * ((nbytes + 2) // 3)


class _XmlDecoder:
    def __init__(self, root: ElementTree.Element, appended: bytes, appended_encoding: str) -> None:
        self.little = root.get("byte_order", "LittleEndian") == "LittleEndian"
        header = root.get("header_type", "UInt32")
        if header not in ("UInt32", "UInt64"):
            raise ValueError(f"unsupported header_type {header}")
        self.header = np.dtype(("<" if self.little else ">") + _XML_TYPES[header])
        compressor = root.get("compressor", "")
        if compressor not in ("", "vtkZLibDataCompressor", "vtkLZMADataCompressor"):
            raise ValueError(
                f"compressor {compressor} is not supported (use zlib or none when saving)"
            )
        self.compressor = compressor
        self.appended = appended
        self.appended_base64 = appended_encoding == "base64"

    def dtype(self, element: ElementTree.Element) -> np.dtype[np.generic]:
        name = element.get("type", "")
        if name not in _XML_TYPES:
            raise ValueError(f"unsupported DataArray type {name!r}")
        return np.dtype(("<" if self.little else ">") + _XML_TYPES[name])

    def array(self, element: ElementTree.Element) -> NDArray[np.generic]:
        dtype = self.dtype(element)
        fmt = element.get("format", "ascii")
        if fmt == "ascii":
            words = (element.text or "").split()
            kind = np.float64 if dtype.kind == "f" else np.int64
            return np.array(words).astype(np.float64).astype(kind) if words else np.zeros(0, kind)
        if fmt == "binary":
            text = re.sub(rb"\s+", b"", (element.text or "").encode("ascii"))
            return self._decode_base64_block(text, dtype)
        if fmt == "appended":
            offset = int(element.get("offset", "0"))
            if self.appended_base64:
                text = re.sub(rb"\s+", b"", self.appended[offset:])
                return self._decode_base64_block(text, dtype)
            return self._decode_raw_block(self.appended, offset, dtype)
        raise ValueError(f"unknown DataArray format {fmt!r}")

    def _header_items(self, raw: bytes, count: int) -> IntArray:
        need = count * self.header.itemsize
        if len(raw) < need:
            raise ValueError("data block header ends early (truncated file)")
        return np.frombuffer(raw[:need], dtype=self.header).astype(np.int64)

    def _decode_raw_block(
        self, buf: bytes, offset: int, dtype: np.dtype[np.generic]
    ) -> NDArray[np.generic]:
        hs = self.header.itemsize
        if not self.compressor:
            (nbytes,) = self._header_items(buf[offset:], 1)
            start = offset + hs
            return self._finish(buf[start : start + nbytes], nbytes, dtype)
        n_blocks = int(self._header_items(buf[offset:], 1)[0])
        head = self._header_items(buf[offset:], 3 + n_blocks)
        start = offset + hs * (3 + n_blocks)
        return self._inflate(head, buf, start, dtype)

    def _decode_base64_block(self, text: bytes, dtype: np.dtype[np.generic]) -> NDArray[np.generic]:
        hs = self.header.itemsize
        if not self.compressor:
            # header and data were encoded together, or the header alone first
            first = _b64decode(text[: _b64len(hs)])
            (nbytes,) = self._header_items(first, 1)
            if b"=" in text[: _b64len(hs)]:
                payload = _b64decode(text[_b64len(hs) : _b64len(hs) + _b64len(nbytes)])
                return self._finish(payload, nbytes, dtype)
            whole = _b64decode(text[: _b64len(hs + nbytes)])
            return self._finish(whole[hs:], nbytes, dtype)
        first = _b64decode(text[: _b64len(hs)])
        n_blocks = int(self._header_items(first, 1)[0])
        if n_blocks < 0 or n_blocks > 10**7:
            raise ValueError("implausible compressed block count")
        hlen = _b64len(hs * (3 + n_blocks))
        head = self._header_items(_b64decode(text[:hlen]), 3 + n_blocks)
        total = int(head[3:].sum())
        payload = _b64decode(text[hlen : hlen + _b64len(total)])
        return self._inflate(head, payload, 0, dtype)

    def _inflate(
        self, head: IntArray, buf: bytes, start: int, dtype: np.dtype[np.generic]
    ) -> NDArray[np.generic]:
        n_blocks, block_size, last_size = int(head[0]), int(head[1]), int(head[2])
        sizes = head[3:]
        expected = 0 if n_blocks == 0 else block_size * (n_blocks - 1) + (last_size or block_size)
        if block_size < 0 or last_size < 0 or expected > _MAX_UNCOMPRESSED_BYTES:
            raise ValueError(
                f"a compressed array claims {expected / 1024**3:.1f} GiB uncompressed: corrupt "
                "or far too large"
            )
        pieces = []
        pos = start
        for i, size in enumerate(sizes):
            chunk = buf[pos : pos + int(size)]
            if len(chunk) < size:
                raise ValueError("compressed data ends early (truncated file)")
            limit = last_size if (i == n_blocks - 1 and last_size) else block_size
            pieces.append(self._inflate_block(chunk, limit))
            pos += int(size)
        return self._finish(b"".join(pieces), expected, dtype)

    def _inflate_block(self, chunk: bytes, limit: int) -> bytes:
        """Decompress one block, never beyond its declared size (no decompression bombs)."""
        if self.compressor == "vtkZLibDataCompressor":
            z = zlib.decompressobj()
            out = z.decompress(chunk, limit)
            overflow = bool(z.unconsumed_tail)
        else:
            x = lzma.LZMADecompressor()
            out = x.decompress(chunk, max_length=limit)
            overflow = not x.eof and not x.needs_input
        if overflow:
            raise ValueError("a compressed block holds more data than its header says (corrupt)")
        return out

    def _finish(self, raw: bytes, nbytes: int, dtype: np.dtype[np.generic]) -> NDArray[np.generic]:
        if len(raw) < nbytes or nbytes % dtype.itemsize:
            raise ValueError("data block is shorter than its header says (truncated file)")
        out = np.frombuffer(raw[:nbytes], dtype=dtype)
        return out.astype(dtype.newbyteorder("="))


def _b64decode(text: bytes) -> bytes:
    try:
        return base64.b64decode(text, validate=False)
    except binascii.Error as exc:
        raise ValueError(f"bad base64 data: {exc}") from None


def _split_appended(data: bytes) -> tuple[bytes, bytes, str]:
    """(XML text without the appended block, appended bytes after '_', encoding)."""
    start = data.find(b"<AppendedData")
    if start < 0:
        return data, b"", ""
    tag_end = data.find(b">", start)
    if tag_end < 0:
        raise ValueError("unterminated AppendedData tag")
    tag = data[start : tag_end + 1].decode("ascii", "replace")
    match = re.search(r'encoding\s*=\s*"(\w+)"', tag)
    encoding = match.group(1) if match else "raw"
    underscore = data.find(b"_", tag_end)
    if underscore < 0:
        raise ValueError("AppendedData without the '_' marker")
    end = data.rfind(b"</AppendedData>")
    if end < underscore:
        end = len(data)  # truncated: the decoder will notice missing bytes
    return data[:start] + b"</VTKFile>", data[underscore + 1 : end], encoding


def read_vtp(data: bytes) -> VtkSurface:
    head = data[:512].lstrip()
    if not (head.startswith(b"<?xml") or head.startswith(b"<VTKFile")):
        raise ValueError("not an XML VTK file (no <VTKFile> element)")
    xml_text, appended, encoding = _split_appended(data)
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as exc:
        raise ValueError(f"broken XML ({exc})") from None
    if root.tag != "VTKFile":
        raise ValueError("the root element is not <VTKFile>")
    kind = root.get("type", "")
    if kind not in ("PolyData", "UnstructuredGrid"):
        raise ValueError(f"dataset type {kind!r} holds no surface (need PolyData)")
    dec = _XmlDecoder(root, appended, encoding)
    pieces = root.findall(f"{kind}/Piece")
    if not pieces:
        raise ValueError(f"no <{kind}><Piece> element")
    all_points: list[FloatArray] = []
    all_faces: list[IntArray] = []
    n_lines = n_verts = 0
    base = 0
    for piece in pieces:
        n_points = int(piece.get("NumberOfPoints", "0"))
        pts_el = piece.find("Points/DataArray")
        if pts_el is None:
            pts = np.zeros((0, 3))
        else:
            pts = dec.array(pts_el).astype(np.float64)
            if len(pts) != 3 * n_points:
                raise ValueError(
                    f"{n_points} points declared but {len(pts) // 3} stored (truncated file?)"
                )
            pts = pts.reshape(-1, 3)
        faces: list[IntArray] = []
        if kind == "PolyData":
            for section in ("Polys", "Strips", "Lines", "Verts"):
                el = piece.find(section)
                if el is None:
                    continue
                offsets, conn = _xml_cells(dec, el)
                if section == "Polys":
                    faces.append(_fan_by_size(offsets, conn))
                elif section == "Strips":
                    faces.append(_strips(offsets, conn))
                elif section == "Lines":
                    n_lines += len(offsets) - 1
                else:
                    n_verts += len(offsets) - 1
        else:
            el = piece.find("Cells")
            if el is not None:
                offsets, conn = _xml_cells(dec, el)
                types_el = _named(el, "types")
                types = dec.array(types_el).astype(np.int64) if types_el is not None else None
                tri, n_l, n_v = _grid_cells(offsets, conn, types)
                faces.append(tri)
                n_lines += n_l
                n_verts += n_v
        if faces:
            all_faces.append(np.vstack(faces) + base)
        all_points.append(pts)
        base += len(pts)
    vertices = np.vstack(all_points) if all_points else np.zeros((0, 3))
    tris = np.vstack(all_faces) if all_faces else np.zeros((0, 3), np.int64)
    mode = "ascii"
    fmts = {el.get("format", "ascii") for el in root.iter("DataArray")}
    if "appended" in fmts:
        mode = f"appended {encoding}"
    elif "binary" in fmts:
        mode = "binary"
    if root.get("compressor"):
        mode += ", compressed"
    label = "VTP" if kind == "PolyData" else "VTU"
    return VtkSurface(vertices, tris, f"{label} XML ({mode})", n_lines, n_verts)


def _named(parent: ElementTree.Element, name: str) -> ElementTree.Element | None:
    for el in parent.findall("DataArray"):
        if el.get("Name") == name:
            return el
    return None


def _xml_cells(dec: _XmlDecoder, parent: ElementTree.Element) -> tuple[IntArray, IntArray]:
    conn_el = _named(parent, "connectivity")
    off_el = _named(parent, "offsets")
    if conn_el is None or off_el is None:
        raise ValueError(f"<{parent.tag}> lacks its connectivity or offsets array")
    conn = dec.array(conn_el).astype(np.int64)
    ends = dec.array(off_el).astype(np.int64)
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    if len(ends) and (np.any(np.diff(offsets) < 0) or ends[-1] > len(conn)):
        raise ValueError("cell offsets are inconsistent (corrupt or truncated file)")
    return offsets, conn
