"""Plain-numpy repairs for triangle meshes read from user files.

Why our own: trimesh's winding fix and hole filling need networkx (not a dependency) and walk the
face graph in Python; these use scipy.sparse graphs and vectorised numpy, and every step reports
how much it changed so the loader can tell the user what was repaired.
All functions are unit-free (tolerances are relative to the mesh size) because units are decided
only after the mesh is clean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from kneeviz.transforms import FloatArray

IntArray = NDArray[np.int64]


def bbox_diagonal(vertices: FloatArray) -> float:
    if len(vertices) == 0:
        return 0.0
    return float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))


def merge_vertices(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray, int]:
    """Weld vertices closer than a billionth of the mesh size; returns the number removed.

    STL stores every triangle's corners separately, so welding is what makes it a surface at all.
    """
    diag = bbox_diagonal(vertices)
    if len(vertices) == 0 or diag == 0.0:
        return vertices, faces, 0
    step = diag * 1e-9
    key = np.round((vertices - vertices.min(axis=0)) / step).astype(np.int64)
    first, inverse = _unique_rows(key)
    merged = vertices[first]
    return merged, inverse[faces], int(len(vertices) - len(first))


def _unique_rows(rows: IntArray) -> tuple[IntArray, IntArray]:
    """(index of the first of each distinct row, group of every row), by one lexsort.

    Much faster than np.unique(axis=0), which compares rows as structured records.
    """
    if len(rows) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort(rows.T[::-1])
    srt = rows[order]
    new_group = np.ones(len(rows), dtype=bool)
    new_group[1:] = np.any(srt[1:] != srt[:-1], axis=1)
    group_sorted = np.cumsum(new_group) - 1
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = group_sorted
    # lexsort is stable: equal rows keep their file order, so each group's first sorted row is
    # its first row in the file (np.minimum.at did the same, several times slower)
    first = order[new_group]
    return first, inverse


def face_areas(vertices: FloatArray, faces: IntArray) -> FloatArray:
    tri = vertices[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return 0.5 * np.linalg.norm(cross, axis=1)


def drop_bad_faces(vertices: FloatArray, faces: IntArray) -> tuple[IntArray, int, int]:
    """Remove degenerate (repeated corner or zero area) and duplicate triangles.

    Returns (faces, n_degenerate, n_duplicate). Two triangles on the same three vertices are
    duplicates whatever their winding (a double-sided sheet is not a bone surface).
    """
    if len(faces) == 0:
        return faces, 0, 0
    repeated = (
        (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])
    )
    diag = bbox_diagonal(vertices)
    tiny = face_areas(vertices, faces) <= (diag * 1e-10) ** 2
    degenerate = repeated | tiny
    kept = faces[~degenerate]
    first, _ = _unique_rows(np.sort(kept, axis=1))
    first.sort()
    n_dup = len(kept) - len(first)
    return kept[first], int(degenerate.sum()), int(n_dup)


def drop_unused_vertices(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray]:
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.reshape(-1)] = True
    new_index = np.cumsum(used) - 1
    return vertices[used], new_index[faces].astype(np.int64)


def face_bodies(n_vertices: int, faces: IntArray) -> tuple[int, IntArray]:
    """Connected pieces (sharing at least a vertex): (count, label of each face)."""
    if len(faces) == 0:
        return 0, np.zeros(0, dtype=np.int64)
    rows = np.concatenate([faces[:, 0], faces[:, 1]])
    cols = np.concatenate([faces[:, 1], faces[:, 2]])
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n_vertices,) * 2)
    count, labels = connected_components(graph, directed=False)
    return int(count), labels[faces[:, 0]].astype(np.int64)


@dataclass(frozen=True)
class _EdgeTable:
    """Every directed edge (3 per face) with its undirected key grouped."""

    directed: IntArray  # (3M, 2) start, end
    face: IntArray  # (3M,) owning face
    key_count: IntArray  # (3M,) how many directed edges share this undirected edge
    order: IntArray  # argsort of undirected keys
    inverse: IntArray  # undirected edge id of each directed edge


def _edges(faces: IntArray) -> _EdgeTable:
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    face = np.tile(np.arange(len(faces), dtype=np.int64), 3)
    n = int(faces.max()) + 1 if len(faces) else 1
    key = np.minimum(directed[:, 0], directed[:, 1]) * n + np.maximum(
        directed[:, 0], directed[:, 1]
    )
    order = np.argsort(key, kind="stable")
    srt = key[order]
    new_group = np.ones(len(key), dtype=bool)
    new_group[1:] = srt[1:] != srt[:-1]
    group_sorted = np.cumsum(new_group) - 1
    inverse = np.empty(len(key), dtype=np.int64)
    inverse[order] = group_sorted
    counts = np.bincount(group_sorted)
    return _EdgeTable(directed, face, counts[inverse], order, inverse)


def closed_faces(faces: IntArray) -> NDArray[np.bool_]:
    """Faces none of whose edges is open, non-manifold or wound the same way as its neighbour's."""
    if len(faces) == 0:
        return np.zeros(0, dtype=bool)
    table = _edges(faces)
    good_edge = table.key_count == 2
    idx = table.order[good_edge[table.order]].reshape(-1, 2)
    opposed = table.directed[idx[:, 0], 0] == table.directed[idx[:, 1], 1]
    good_edge[idx[~opposed].ravel()] = False
    bad_face = np.zeros(len(faces), dtype=bool)
    bad_face[table.face[~good_edge]] = True
    return ~bad_face


def is_watertight(faces: IntArray) -> bool:
    """Closed and consistently wound: every edge used exactly once in each direction."""
    return len(faces) > 0 and bool(closed_faces(faces).all())


def fix_winding(faces: IntArray) -> tuple[IntArray, int]:
    """Make neighbouring triangles agree on orientation; returns (faces, number flipped).

    Breadth-first over the manifold-edge adjacency of each piece; the parity of every face relative
    to its root is accumulated by pointer jumping (vectorised). In each piece the orientation that
    changes fewer triangles is kept, so a file whose winding is mostly right stays as it was.
    """
    n = len(faces)
    if n == 0:
        return faces, 0
    table = _edges(faces)
    manifold = table.key_count[table.order] == 2
    pairs = table.order[manifold].reshape(-1, 2)  # two directed edges of each manifold edge
    if len(pairs) == 0:
        return faces, 0
    fa, fb = table.face[pairs[:, 0]], table.face[pairs[:, 1]]
    same_direction = np.all(table.directed[pairs[:, 0]] == table.directed[pairs[:, 1]], axis=1)
    ok = fa != fb
    fa, fb, same_direction = fa[ok], fb[ok], same_direction[ok]
    if not same_direction.any():
        return faces, 0  # already consistent
    # store parity + 1 so that zeros survive the sparse format
    data = same_direction.astype(np.int8) + 1
    count, labels = connected_components(coo_matrix((data, (fa, fb)), shape=(n, n)), directed=False)
    # one breadth-first search from a virtual node joined to one face of every piece
    _, roots = np.unique(labels, return_index=True)
    hub = np.full(len(roots), n, dtype=np.int64)
    rows = np.concatenate([fa, fb, hub])
    cols = np.concatenate([fb, fa, roots])
    values = np.concatenate([data, data, np.ones(len(roots), dtype=np.int8)])
    graph = csr_matrix((values, (rows, cols)), shape=(n + 1, n + 1))
    graph.sum_duplicates()
    _, predecessors = breadth_first_order(graph, n, directed=False)
    pred = predecessors[:n].astype(np.int64)
    pred[pred == n] = np.nonzero(pred == n)[0]  # piece roots point to themselves
    child = np.nonzero(pred != np.arange(n))[0]
    rel = np.zeros(n, dtype=np.int8)
    rel[child] = (np.asarray(graph[pred[child], child]).reshape(-1) - 1) % 2
    # parity to the root = XOR of parities along the tree path (pointer jumping)
    flip = rel.copy()
    ancestor = pred.copy()
    while not np.array_equal(ancestor[ancestor], ancestor):
        flip = flip ^ flip[ancestor]
        ancestor = ancestor[ancestor]
    # keep the majority orientation of each piece
    flips_per_piece = np.bincount(labels, weights=flip, minlength=count)
    size_per_piece = np.bincount(labels, minlength=count)
    invert_piece = flips_per_piece > size_per_piece / 2
    flip = flip.astype(bool) ^ invert_piece[labels]
    out = faces.copy()
    out[flip] = out[flip][:, ::-1]
    return out, int(flip.sum())


def boundary_loops(faces: IntArray) -> list[IntArray]:
    """Simple closed loops of boundary edges, each as ordered vertex indices following the winding.

    Loops through a vertex with more than one outgoing boundary edge (pinched boundaries) are
    skipped: they cannot be filled safely by a fan.
    """
    if len(faces) == 0:
        return []
    table = _edges(faces)
    boundary = table.directed[table.key_count == 1]
    if len(boundary) == 0:
        return []
    starts, start_counts = np.unique(boundary[:, 0], return_counts=True)
    pinched = set(starts[start_counts > 1].tolist())
    nxt = {int(a): int(b) for a, b in boundary if int(a) not in pinched}
    loops: list[IntArray] = []
    visited: set[int] = set()
    for start in list(nxt):
        if start in visited:
            continue
        loop = [start]
        visited.add(start)
        current = nxt[start]
        closed = False
        while True:
            if current == start:
                closed = True
                break
            if current in visited or current not in nxt:
                break
            visited.add(current)
            loop.append(current)
            current = nxt[current]
        if closed and len(loop) >= 3:
            loops.append(np.asarray(loop, dtype=np.int64))
    return loops


def fill_small_holes(
    vertices: FloatArray, faces: IntArray, max_perimeter: float, max_perimeter_few_edges: float
) -> tuple[FloatArray, IntArray, int, int]:
    """Close small boundary loops with a fan around their centroid.

    Small: a perimeter under max_perimeter, or a loop of at most 10 edges (one to a few missing
    triangles, common in coarse meshes) under max_perimeter_few_edges.
    Returns (vertices, faces, holes filled, holes left open). New triangles run against the loop's
    direction so they continue the surrounding winding.
    """
    loops = boundary_loops(faces)
    if not loops:
        return vertices, faces, 0, 0
    new_vertices: list[FloatArray] = []
    new_faces: list[IntArray] = []
    filled = 0
    next_index = len(vertices)
    for loop in loops:
        pts = vertices[loop]
        perimeter = float(np.linalg.norm(pts - np.roll(pts, -1, axis=0), axis=1).sum())
        small = perimeter <= max_perimeter or (
            len(loop) <= 10 and perimeter <= max_perimeter_few_edges
        )
        if not small:
            continue
        filled += 1
        if len(loop) == 3:
            new_faces.append(loop[::-1].reshape(1, 3))
            continue
        centre = next_index
        next_index += 1
        new_vertices.append(pts.mean(axis=0, keepdims=True))
        a, b = loop, np.roll(loop, -1)
        new_faces.append(np.column_stack([b, a, np.full(len(loop), centre, dtype=np.int64)]))
    if filled == 0:
        return vertices, faces, 0, len(loops)
    v = np.vstack([vertices, *new_vertices]) if new_vertices else vertices
    f = np.vstack([faces, *new_faces])
    return v, f, filled, len(loops) - filled


def signed_volume(vertices: FloatArray, faces: IntArray) -> float:
    """Signed volume enclosed (positive when normals point outward), about the centroid."""
    if len(faces) == 0:
        return 0.0
    centre = vertices[faces].reshape(-1, 3).mean(axis=0)
    tri = vertices[faces] - centre
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)


def orient_closed_bodies_outward(
    vertices: FloatArray, faces: IntArray, labels: IntArray
) -> tuple[IntArray, int, int]:
    """Flip every closed piece whose signed volume is negative (inside-out).

    Returns (faces, pieces flipped, open pieces whose outward side could not be checked).
    """
    out = faces.copy()
    flipped = 0
    closed = closed_faces(faces)
    n_labels = int(labels.max()) + 1 if len(labels) else 0
    piece_closed = np.bincount(labels, weights=~closed, minlength=n_labels) == 0
    present = np.bincount(labels, minlength=n_labels) > 0
    open_pieces = int((present & ~piece_closed).sum())
    for label in np.nonzero(present & piece_closed)[0]:
        mask = labels == label
        piece = out[mask]
        if signed_volume(vertices, piece) < 0:
            out[mask] = piece[:, ::-1]
            flipped += 1
    return out, flipped, open_pieces


def pca_extents(vertices: FloatArray) -> FloatArray:
    """Extents along the principal axes, largest first (size and shape whatever the pose)."""
    centred = vertices - vertices.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ vt.T
    ext = projected.max(axis=0) - projected.min(axis=0)
    return np.sort(ext)[::-1]
