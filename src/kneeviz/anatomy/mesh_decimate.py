"""A binary STL too fine to read whole (a fine CT export: millions of triangles) is decimated as
it is read, instead of refused.

A bone needs about 100 thousand triangles. Reading a 7.5-million-triangle export the ordinary way
(every corner as float64, then repairs on the full mesh) needs several GB and minutes, so files
above mesh_io.MAX_READ_TRIANGLES were refused. Here the file's triangles are read in pieces as
float32 corners, welded by their exact coordinates, and the welded surface is decimated at
once (quadric edge collapse, fast-simplification, a dependency) to the triangle count the
caller keeps; the ordinary repairs then run on that. (Vertex clustering first, to spare the
quadric decimation most of its work, was tried: at a third of the final edge it left the femur
in 16 thousand pieces, not closed.) The
figures (time and memory against size) are in docs/performance.md; above
MAX_DECIMATE_TRIANGLES the file is still refused by its header, unread.

Only binary STL: its size and triangle count are in its header and its records are fixed-size,
so it can be read in pieces. Nothing here evaluates file content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAX_DECIMATE_TRIANGLES = 12_000_000
"""Largest binary STL decimated on load (600 MB of file; measured: 7.5 million triangles took
about 2.1 GB at the peak, docs/performance.md). Larger ones are refused by their header."""
PIECE_TRIANGLES = 1 << 20
SLAB_TRIANGLES = 2_000_000
"""Triangles decimated in one piece at most (about 0.35 GB of the library's working memory)."""
"""Triangles read per piece."""

_RECORD = np.dtype([("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])


def read_corners(path: Path, n_triangles: int) -> NDArray[np.float32]:
    """The file's triangle corners, (3 n, 3) float32, read in pieces (a binary STL)."""
    out = np.empty((3 * n_triangles, 3), dtype=np.float32)
    with open(path, "rb") as fh:  # a regular file (checked by the caller): cannot block
        fh.seek(84)
        for start in range(0, n_triangles, PIECE_TRIANGLES):
            count = min(PIECE_TRIANGLES, n_triangles - start)
            tris = np.fromfile(fh, dtype=_RECORD, count=count)
            if len(tris) != count:
                raise EOFError(f"the file ends after {start + len(tris):,} triangles")
            out[3 * start: 3 * (start + count)] = tris["v"].reshape(-1, 3)
    return out


def weld(corners: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
    """Vertices (the unique points) and, for each point, its vertex's index: points with the
    same three floats are one vertex (an STL's corners in threes give its triangles). Keys are
    a 64-bit hash of the floats' bits, sorted once
    (an argsort: np.unique with an inverse took twice as long); two different corners sharing a
    hash are detected, and the exact (slower) weld is used instead."""
    bits = corners.view(np.uint32)
    key = (bits[:, 0].astype(np.uint64) * np.uint64(0x9E3779B185EBCA87)
           ^ bits[:, 1].astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
           ^ bits[:, 2].astype(np.uint64) * np.uint64(0x165667B19E3779F9))
    order = np.argsort(key)
    key = key[order]
    new = np.empty(len(key), dtype=bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    del key
    inverse = np.empty(len(order), dtype=np.int32)
    inverse[order] = np.cumsum(new, dtype=np.int32) - 1
    vertices = corners[order[new]]
    del order, new
    if not np.array_equal(vertices[inverse], corners):  # a hash collision: weld exactly
        exact = np.ascontiguousarray(corners).view(np.dtype((np.void, 12))).ravel()
        _u, first, inv = np.unique(exact, return_index=True, return_inverse=True)
        vertices, inverse = corners[first], inv.ravel().astype(np.int32)
    return vertices, inverse


def _simplify(vertices: NDArray[Any], faces: NDArray[Any], target: int, border: bool = False
              ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    import fast_simplification

    if len(faces) <= target:
        return np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64)
    v, f = fast_simplification.simplify(vertices, faces, target_count=target,
                                        preserve_border=border)
    return np.asarray(v, dtype=np.float64), np.asarray(f, dtype=np.int64)


def decimate(vertices: NDArray[np.float32], faces: NDArray[np.int32], target: int
             ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Quadric decimation to about `target` triangles in bounded memory: a mesh larger than
    SLAB_TRIANGLES is cut into slabs along its longest extent, each decimated to twice its
    share with its cut edges kept exactly where they are (fast-simplification's
    preserve_border), the slabs welded back along those unmoved edges, and the whole decimated
    once more to `target`. One pass over 7.5 million triangles peaked at 2.4 GB; the library
    holds about 160 bytes per triangle (docs/performance.md)."""
    n_slabs = -(-len(faces) // SLAB_TRIANGLES)
    if n_slabs <= 1:
        return _simplify(vertices, faces, target)
    v = np.asarray(vertices, dtype=np.float64)
    axis = int(np.argmax(np.ptp(v, axis=0)))
    centre = v[faces, axis].mean(axis=1)
    cuts = np.quantile(centre, np.linspace(0.0, 1.0, n_slabs + 1)[1:-1])
    slab = np.searchsorted(cuts, centre)
    del centre
    pieces_v: list[NDArray[np.float64]] = []
    pieces_f: list[NDArray[np.int64]] = []
    offset = 0
    for k in range(n_slabs):
        part = faces[slab == k]
        used, local = np.unique(part, return_inverse=True)
        share = max(4, round(2 * target * len(part) / len(faces)))
        pv, pf = _simplify(v[used], local.reshape(-1, 3).astype(np.int32), share, border=True)
        pieces_v.append(pv)
        pieces_f.append(pf + offset)
        offset += len(pv)
    del slab
    merged_v = np.concatenate(pieces_v).astype(np.float32)  # the kept edges' corners are the
    merged_f = np.concatenate(pieces_f)                     # file's float32 values, unmoved
    welded_v, index = weld(merged_v)
    faces2 = index[merged_f].astype(np.int32)
    return _simplify(welded_v, faces2, target)


def decimated_binary_stl(path: Path, n_triangles: int, target_triangles: int, read_cap: int
                         ) -> tuple[NDArray[np.float64], NDArray[np.int64], str]:
    """(vertices, faces, what was done) of a binary STL of `n_triangles`, decimated to at most
    `target_triangles` as it is read (`read_cap`: what the ordinary reader reads whole, for the
    note)."""
    corners = read_corners(path, n_triangles)
    finite = np.isfinite(corners).all(axis=1).reshape(-1, 3).all(axis=1)
    if not finite.all():  # as the ordinary reader does: a few are dropped, many are an error
        n_bad = int(np.count_nonzero(~finite))
        if n_bad > 0.01 * n_triangles:
            raise ValueError(f"NaN or infinite coordinates in {n_bad:,} triangles")
        corners = corners[np.repeat(finite, 3)]
    vertices, index = weld(corners)
    del corners
    faces = index.reshape(-1, 3)
    # zero-area triangles (a corner repeated) cannot be collapsed: drop them first
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2])
                  & (faces[:, 0] != faces[:, 2])]
    if not len(faces):
        raise ValueError(f"all {n_triangles:,} triangles have zero area: it holds no surface")
    v, f = decimate(vertices, faces, max(4, int(target_triangles)))
    note = (f"decimated on load from {n_triangles:,} to {len(f):,} triangles (quadric edge "
            f"collapse): the file holds more than kneeviz reads whole ({read_cap:,})")
    return np.asarray(v, dtype=np.float64), np.asarray(f, dtype=np.int64), note
