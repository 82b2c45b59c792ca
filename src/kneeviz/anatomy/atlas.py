"""Read the LLP26 mean lower-limb atlas (PyPI `musculoskeletal-models`) into triangle meshes.

The atlas stores each bone as a mesh of high-order Lagrange elements (cubic/quartic quads and
triangles). We rebuild the global node numbering, evaluate every element's polynomial on a regular
grid of the same density along every edge, and merge the shared edge points: the result is a
smooth, watertight triangle surface.

File facts (docs/model.md section 1.1): `.geof` is JSON with node coordinates as strings;
`.mesh` is JSON whose values are Python-literal strings (parsed with ast.literal_eval, never eval);
`.ens` names the Lagrange basis of every element type. Coordinates are in mm, CT frame, +Z proximal.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import trimesh
from scipy.sparse import csr_matrix

from kneeviz.anatomy._geometry import components
from kneeviz.anatomy.mesh import FloatArray, IntArray, SurfaceMesh
from kneeviz.errors import KneevizError

# bone -> (geometry file, mesh-topology stem).
# We read the LEFT bones and mirror them all with ONE plane (see `atlas_bone`): the package's
# "*_right_mirrored_from_left_*" files are each mirrored about their own centroid, so their knee
# joint does not line up (the tibia sits ~55 mm off the condyles), while the left femur, patella,
# tibia+fibula and the combined pelvis share one consistent standing pose.
ATLAS_FILES: dict[str, tuple[str, str]] = {
    "femur": ("femur_left_mean_rigid_LLP26.geof", "femur_left_quartic_flat"),
    "patella": ("patella_left_mean_rigid_LLP26.geof", "patella_11_left"),
    "tibia": ("tibia_fibula_cubic_left_mean_rigid_LLP26.geof", "tibia_fibula_left_cubic_flat"),
    "pelvis": ("pelvis_combined_cubic_mean_rigid_LLP26.geof", "pelvis_combined_cubic_flat"),
}
ATLAS_SIDE = "left"
T_RIGHT_LEFT = np.diag([-1.0, 1.0, 1.0, 1.0])
"""Mirror x -> -x in the atlas CT frame: turns the left limb into a right one (one shared plane)."""

# Lagrange basis name -> (shape, degree along xi1, degree along xi2)
BASES: dict[str, tuple[str, int, int]] = {
    "quad_L4_L4": ("quad", 4, 4),
    "quad_L4_L3": ("quad", 4, 3),
    "quad_L3_L4": ("quad", 3, 4),
    "quad_L3_L3": ("quad", 3, 3),
    "simplex_L4_L4": ("tri", 4, 4),
    "simplex_L3_L3": ("tri", 3, 3),
}


def atlas_dir() -> Path:
    """The folder of atlas meshes inside the installed `musculoskeletal-models` package."""
    try:
        root = resources.files("musculoskeletal.models")
    except ModuleNotFoundError as exc:
        raise KneevizError(
            "the PyPI package 'musculoskeletal-models' is not installed: "
            "run 'make run' (or pip install musculoskeletal-models==0.2.4)"
        ) from exc
    # joinpath, not str(root): in the PyInstaller bundle the package is a MultiplexedPath
    return Path(str(root.joinpath("atlas_meshes")))


@dataclass(frozen=True)
class LagrangeMesh:
    """An atlas bone: node coordinates and elements (basis name, global node ids in local order)."""

    nodes_mm: FloatArray
    elements: tuple[tuple[str, tuple[int, ...]], ...]


def _n_local_nodes(basis: str) -> int:
    shape, p, q = BASES[basis]
    return (p + 1) * (q + 1) if shape == "quad" else (p + 1) * (p + 2) // 2


def _plain(value: object) -> str:
    """A topology value as text: plain strings stay, quoted Python literals are unquoted safely."""
    text = "" if value is None else str(value)
    if text[:1] in {"'", '"'}:
        parsed = ast.literal_eval(text)  # literals only: never executes code
        return str(parsed)
    return text


def read_lagrange_mesh(geof: Path, mesh_stem: Path) -> LagrangeMesh:
    """Parse one atlas bone from its .geof (coordinates), .mesh (topology) and .ens (bases)."""
    geo = json.loads(geof.read_text())
    params = geo["field_parameters"]
    keys = sorted(params, key=lambda k: int(k.split()[1]))
    nodes = np.array([[float(params[k][f"dim {d}"]) for d in range(3)] for k in keys])

    topo = json.loads(mesh_stem.with_suffix(".mesh").read_text())
    ens = json.loads(mesh_stem.with_suffix(".ens").read_text())
    basis_of_type: dict[str, str] = ens["basis"]

    elements_raw = {int(k): _plain(v) for k, v in topo["elements"].items()}
    connectivity = {str(k): _plain(v) for k, v in topo["connectivity"].items()}

    global_id: dict[str, int] = {}
    counter = 0
    elements: list[tuple[str, tuple[int, ...]]] = []
    for elem in sorted(elements_raw):
        etype = elements_raw[elem].split()[1]
        basis = basis_of_type[etype]
        ids: list[int] = []
        for local in range(_n_local_nodes(basis)):
            key = f"{elem}_{local}"
            if key not in global_id:
                global_id[key] = counter
                for other in connectivity.get(key, "").split():
                    global_id[other] = counter
                counter += 1
            ids.append(global_id[key])
        elements.append((basis, tuple(ids)))
    if counter != len(nodes):
        raise KneevizError(
            f"atlas node count mismatch ({counter} from topology, {len(nodes)} in geometry)",
            geof,
        )
    return LagrangeMesh(nodes, tuple(elements))


def _lagrange_1d(degree: int, t: FloatArray) -> FloatArray:
    """Equally spaced 1-D Lagrange basis of `degree` at parameters t: (len(t), degree + 1)."""
    knots = np.linspace(0.0, 1.0, degree + 1)
    out = np.ones((len(t), degree + 1))
    for i in range(degree + 1):
        for j in range(degree + 1):
            if i != j:
                out[:, i] *= (t - knots[j]) / (knots[i] - knots[j])
    return out


def _tri_basis(degree: int, xi: FloatArray) -> FloatArray:
    """Equally spaced Lagrange basis on the triangle, nodes row by row (xi1 fastest)."""
    n = degree
    b = np.stack([xi[:, 0], xi[:, 1], 1.0 - xi[:, 0] - xi[:, 1]], axis=1)

    def shifted(k: int, lam: FloatArray) -> FloatArray:
        # prod_{m<k} (n*lam - m) / (k - m)
        out = np.ones_like(lam)
        for m in range(k):
            out *= (n * lam - m) / (k - m)
        return out

    cols = []
    for j in range(n + 1):
        for i in range(n + 1 - j):
            k = n - i - j
            cols.append(shifted(i, b[:, 0]) * shifted(j, b[:, 1]) * shifted(k, b[:, 2]))
    return np.stack(cols, axis=1)


def _element_grid(shape: str, n: int) -> tuple[FloatArray, IntArray]:
    """Parameter points and triangles of an n x n subdivision of a unit quad or triangle."""
    pts: list[tuple[float, float]] = []
    index: dict[tuple[int, int], int] = {}
    for j in range(n + 1):
        for i in range(n + 1 if shape == "quad" else n + 1 - j):
            index[(i, j)] = len(pts)
            pts.append((i / n, j / n))
    tris: list[tuple[int, int, int]] = []
    for j in range(n):
        for i in range(n if shape == "quad" else n - j):
            a, b, d = index[(i, j)], index[(i + 1, j)], index[(i, j + 1)]
            if shape == "quad" or (i + 1, j + 1) in index:
                c = index[(i + 1, j + 1)]
                tris += [(a, b, c), (a, c, d)]
            else:
                tris.append((a, b, d))
            if shape == "tri" and (i + 1, j + 1) not in index:
                continue
    return np.array(pts), np.array(tris, dtype=np.int64)


def _element_basis(basis: str, subdivisions: int) -> tuple[FloatArray, IntArray]:
    """One element type's basis functions at its grid points, (points, nodes), and the grid's
    triangles: the element's surface points are phi @ its nodes."""
    shape, p, q = BASES[basis]
    xi, tris = _element_grid(shape, subdivisions)
    if shape == "quad":
        bu = _lagrange_1d(p, xi[:, 0])
        bv = _lagrange_1d(q, xi[:, 1])
        phi = (bv[:, :, None] * bu[:, None, :]).reshape(len(xi), -1)
    else:
        phi = _tri_basis(p, xi)
    return phi, tris


def tessellate(lm: LagrangeMesh, subdivisions: int) -> SurfaceMesh:
    """Sample every element on a grid and merge shared edges into one watertight triangle mesh."""
    verts: list[FloatArray] = []
    faces: list[IntArray] = []
    offset = 0
    for basis, ids in lm.elements:
        phi, tris = _element_basis(basis, subdivisions)
        verts.append(phi @ lm.nodes_mm[list(ids)])
        faces.append(tris + offset)
        offset += len(phi)
    tm = trimesh.Trimesh(np.vstack(verts), np.vstack(faces), process=False)
    tm.merge_vertices(digits_vertex=4)
    tm.update_faces(tm.nondegenerate_faces(height=1e-9))
    tm.update_faces(tm.unique_faces())
    tm.remove_unreferenced_vertices()
    trimesh.repair.fix_normals(tm)
    return SurfaceMesh(np.asarray(tm.vertices), np.asarray(tm.faces))


@lru_cache(maxsize=8)
def atlas_bone(bone: str, subdivisions: int = 16) -> SurfaceMesh:
    """One atlas bone as a RIGHT-limb triangle mesh in the (mirrored) atlas CT frame (mm, +Z up).

    All bones share the frame, so their relative standing pose is the atlas's own."""
    geof_name, stem = ATLAS_FILES[bone]
    d = atlas_dir()
    mesh = tessellate(read_lagrange_mesh(d / geof_name, d / stem), subdivisions)
    return mesh.transformed(T_RIGHT_LEFT)


def atlas_bone_alone(bone: str, subdivisions: int) -> SurfaceMesh:
    """The atlas femur, or the atlas tibia without its fibula (scans rarely segment both): the
    mesh a partial bone is completed from (kneeviz.anatomy.completion) and its shape model is
    built on (kneeviz.anatomy.shape_model)."""
    mesh = atlas_bone(bone, subdivisions)
    if bone == "tibia":
        mesh = components(mesh)[0]
    return mesh


@lru_cache(maxsize=2)
def atlas_fibula(subdivisions: int) -> SurfaceMesh:
    """The atlas's fibula (the second body of its tibia-fibula), in the atlas frame: the tibia
    model carries it (shape_model.Passenger) to complete a piece that holds the fibula's head
    (kneeviz.anatomy.completion)."""
    return components(atlas_bone("tibia", subdivisions))[1]


def atlas_nodes(bone: str) -> FloatArray:
    """The Lagrange nodes of one atlas bone (mm, the package's LEFT CT frame, file order): the
    coordinates the shape model (kneeviz.anatomy.shape_model) varies."""
    geof_name, stem = ATLAS_FILES[bone]
    d = atlas_dir()
    return read_lagrange_mesh(d / geof_name, d / stem).nodes_mm


def tessellation_basis(bone: str, mesh: SurfaceMesh, subdivisions: int) -> csr_matrix:
    """The linear map B from the bone's LEFT nodes (n, 3) to the vertices of `mesh`, a RIGHT
    atlas mesh tessellated at `subdivisions` (atlas_bone, or a piece of it):
    mesh.vertices_mm == mirror(B @ nodes). Evaluating a Lagrange element is linear in its nodes,
    so any shape the model gives is the same mesh (same faces) with B @ its nodes as vertices:
    no re-tessellation, no re-merging. Each mesh vertex is matched to the raw element point it was
    merged from (the merge keeps coordinates to 1e-4 mm)."""
    from scipy.spatial import cKDTree

    geof_name, stem = ATLAS_FILES[bone]
    d = atlas_dir()
    lm = read_lagrange_mesh(d / geof_name, d / stem)
    rows: list[FloatArray] = []
    ids_all: list[IntArray] = []
    for basis, ids in lm.elements:
        phi, _ = _element_basis(basis, subdivisions)
        rows.append(phi)
        ids_all.append(np.broadcast_to(np.asarray(ids), phi.shape))
    phi_rows = [r[i] for r in rows for i in range(len(r))]
    id_rows = [ids[i] for ids in ids_all for i in range(len(ids))]
    raw = np.array([phi @ lm.nodes_mm[idx] for phi, idx in zip(phi_rows, id_rows, strict=True)])
    left = mesh.vertices_mm @ T_RIGHT_LEFT[:3, :3].T
    dist, match = cKDTree(raw).query(left)
    if float(dist.max()) > 1e-3:
        raise KneevizError(f"the atlas {bone} mesh does not come from its elements "
                           f"(a vertex {dist.max():.3g} mm off)")
    data = np.concatenate([phi_rows[i] for i in match])
    cols = np.concatenate([id_rows[i] for i in match])
    indptr = np.concatenate([[0], np.cumsum([len(phi_rows[i]) for i in match])])
    return csr_matrix((data, cols, indptr), shape=(len(left), len(lm.nodes_mm)))
