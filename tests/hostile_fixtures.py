"""The hostile-file set of issue 8, generated into a folder (never committed as files).

Each case is a file a clinic might really hand kneeviz (truncated, empty, misnamed, junk, NaN or
infinite coordinates, degenerate or inside-out triangles, several bodies, 1000x too big or small,
a patella given as the femur) with what the loader's documented rules say must happen: it loads
with a warning matching `says`, loads cleanly, or is refused with a message matching `says`.
The femur, patella and tibia are the bundled default knee's (assets/meshes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from kneeviz.anatomy.build import assets_dir

WARN, LOAD, REFUSE = "warn", "load", "refuse"
NAMES = (
    "empty.stl", "empty.ply", "half.stl", "header_only.stl", "cut_ascii.stl", "cut.ply",
    "stl_named.obj", "femur.txt", "ply_named.stl", "obj_named.stl", "upper_case.STL",
    "junk.stl", "junk.ply", "junk.obj", "junk.off", "junk.vtk", "junk.vtp", "junk_stl_header.stl",
    "few_nan.stl", "many_nan.stl", "one_inf.stl", "all_inf.stl", "degenerate.stl",
    "all_degenerate.stl", "inside_out_femur.stl", "inside_out_patella.stl", "whole_knee.stl",
    "femur_with_debris.stl", "patella.stl", "tibia.stl", "femur_um.stl", "femur_m.stl",
    "patella_um.stl", "patella_m.stl", "femur_x1e6.stl",
)
"""The files make_hostile_set writes, in order (for test parametrization)."""


@dataclass(frozen=True)
class Hostile:
    kind: str  # the words: "truncated", "wrong extension", ...
    path: Path
    expect: str  # WARN, LOAD or REFUSE (by the loader)
    says: str  # regex the warning or refusal must match (case-insensitive); "" for LOAD
    slot: str = "femur"  # which bone the file is given as in the app and `simulate`
    bone_refused: bool = False  # loads as a mesh but is refused as this slot's bone

    def matches(self, text: str) -> bool:
        return re.search(self.says, text, flags=re.IGNORECASE) is not None


def bone(name: str) -> trimesh.Trimesh:
    """A bone of the bundled knee with its vertices welded (so edits touch whole corners). The
    bundled files hold the knee as one scan holds it (the femur's frame: landmarks.json's
    meshes_frame), so three of them given to `simulate` are a patient's knee in place."""
    return trimesh.load(assets_dir() / f"{name}.stl", file_type="stl", process=True)


def scan_knee_files() -> dict[str, Path]:
    """The bundled femur, patella and tibia files, already in one scan frame: the knee the
    hostile files are put into, one slot at a time."""
    return {name: assets_dir() / f"{name}.stl" for name in ("femur", "patella", "tibia")}


def write_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> Path:
    """Binary STL (float32 corners, NaN and inf kept as they are)."""
    with np.errstate(invalid="ignore", over="ignore"):
        # rounded to float32 before the corners are gathered: the same floats as gathering in
        # float64 and rounding after, with a quarter of the memory
        v32 = np.asarray(vertices, dtype=np.float64).astype(np.float32)
    return write_stl_corners(path, v32[np.asarray(faces)])


def write_stl_corners(path: Path, corners: np.ndarray) -> Path:
    """Binary STL of (n, 3, 3) triangle corners (rounded to float32; NaN and inf kept)."""
    record = np.dtype([("normal", "<f4", (3,)), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    data = np.zeros(len(corners), dtype=record)
    with np.errstate(invalid="ignore", over="ignore"):
        data["v"] = corners
    with open(path, "wb") as fh:
        fh.write(b"kneeviz hostile test".ljust(80, b" "))
        fh.write(np.uint32(len(corners)).tobytes())
        fh.write(data.data.cast("B"))  # no copy of a file-sized buffer
    return path


_QUARTERS = np.array([[0, 3, 5], [3, 1, 4], [5, 4, 2], [3, 4, 5]])
"""A triangle's four (of its corners a, b, c and midpoints ab, bc, ca), in trimesh's order."""


def subdivide_corners(vertices: np.ndarray, faces: np.ndarray, times: int) -> np.ndarray:
    """The (n 4^times, 3, 3) corners of trimesh.remesh.subdivide applied `times` times, rounded
    to float32 as a binary STL holds them: the same midpoints ((a + b) / 2 in float64) in the
    same triangle order, computed per triangle with no edge table. Written with
    write_stl_corners, the same file byte for byte as trimesh's subdivide and write_stl, in a
    fraction of the time and memory (7.5 M triangles)."""
    tri = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]
    for level in range(times):
        six = np.empty((len(tri), 6, 3))
        six[:, :3] = tri
        for k, (i, j) in enumerate(((0, 1), (1, 2), (2, 0))):
            np.add(tri[:, i], tri[:, j], out=six[:, 3 + k])
        six[:, 3:] /= 2.0
        if level == times - 1:
            with np.errstate(invalid="ignore", over="ignore"):
                six = six.astype(np.float32)
        tri = np.take(six, _QUARTERS, axis=1).reshape(-1, 3, 3)
    with np.errstate(invalid="ignore", over="ignore"):
        return tri.astype(np.float32, copy=False)


def subdivided_femur(path: Path, times: int = 3) -> Path:
    """The default femur subdivided `times` times (4x the triangles each: 3 -> 2.1 million)."""
    fem = bone("femur")
    return write_stl_corners(path, subdivide_corners(fem.vertices, fem.faces, times))


def make_hostile_set(folder: Path) -> list[Hostile]:
    """Write every hostile file but the 2-million-triangle femur (see subdivided_femur)."""
    folder.mkdir(parents=True, exist_ok=True)
    fem, pat, tib = bone("femur"), bone("patella"), bone("tibia")
    fv, ff = np.asarray(fem.vertices), np.asarray(fem.faces)
    rng = np.random.default_rng(8)
    good_stl = write_stl(folder / "clean_femur.stl", fv, ff).read_bytes()
    cases: list[Hostile] = []

    def add(kind: str, name: str, expect: str, says: str, **kw: object) -> Path:
        p = folder / name
        cases.append(Hostile(kind, p, expect, says, **kw))  # type: ignore[arg-type]
        return p

    # -- zero-byte and truncated
    add("zero-byte", "empty.stl", REFUSE, r"empty \(0 bytes\)").write_bytes(b"")
    add("zero-byte", "empty.ply", REFUSE, r"empty \(0 bytes\)").write_bytes(b"")
    add("truncated", "half.stl", REFUSE, "truncated").write_bytes(good_stl[: len(good_stl) // 2])
    add("truncated", "header_only.stl", REFUSE, "truncated").write_bytes(good_stl[:100])
    ascii_stl = trimesh.exchange.stl.export_stl_ascii(fem).encode()
    add("truncated", "cut_ascii.stl", REFUSE, "truncated").write_bytes(
        ascii_stl[: int(len(ascii_stl) * 0.7)])
    ply = trimesh.exchange.ply.export_ply(fem, encoding="binary")
    add("truncated", "cut.ply", REFUSE, "truncated").write_bytes(ply[: int(len(ply) * 0.6)])

    # -- wrong extensions
    add("wrong extension", "stl_named.obj", REFUSE, r"holds a STL file; rename it to "
        r"stl_named\.stl").write_bytes(good_stl)
    add("wrong extension", "femur.txt", REFUSE, "unsupported extension '.txt'").write_bytes(
        good_stl)
    add("wrong extension", "ply_named.stl", REFUSE, r"rename it to ply_named\.ply").write_bytes(
        ply)
    obj = trimesh.exchange.obj.export_obj(fem).encode()
    add("wrong extension", "obj_named.stl", REFUSE, "not an ASCII STL").write_bytes(obj)
    add("wrong extension", "upper_case.STL", LOAD, "").write_bytes(good_stl)

    # -- binary junk, whatever the extension, and junk with a self-consistent STL header
    for ext in (".stl", ".ply", ".obj", ".off", ".vtk", ".vtp"):
        junk = rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes()
        add("binary junk", f"junk{ext}", REFUSE, r"\S").write_bytes(junk)
    n = 2000
    junk = rng.integers(0, 256, 84 + 50 * n, dtype=np.uint8).tobytes()
    add("binary junk", "junk_stl_header.stl", REFUSE, r"NaN|beyond 1e12|no bone").write_bytes(
        junk[:80] + np.uint32(n).tobytes() + junk[84:])

    # -- NaN and infinite coordinates: a few triangles dropped with a warning; many refused
    few = fv.copy()
    few[rng.choice(len(fv), 3, replace=False)] = np.nan
    write_stl(add("NaN/inf coordinates", "few_nan.stl", WARN, "NaN or infinite"), few, ff)
    many = fv.copy()
    many[rng.random(len(fv)) < 0.3, 1] = np.nan
    write_stl(add("NaN/inf coordinates", "many_nan.stl", REFUSE, "NaN or infinite"), many, ff)
    one_inf = fv.copy()
    one_inf[len(fv) // 2, 0] = np.inf
    write_stl(add("NaN/inf coordinates", "one_inf.stl", WARN, "NaN or infinite"), one_inf, ff)
    all_inf = fv.copy()
    all_inf[:, 2] = -np.inf
    write_stl(add("NaN/inf coordinates", "all_inf.stl", REFUSE, "NaN or infinite"), all_inf, ff)

    # -- degenerate triangles: among good ones dropped with a warning; only those refused
    corner = ff[rng.choice(len(ff), 400, replace=False)]
    zero_area = np.stack([corner[:, 0], corner[:, 0], corner[:, 1]], axis=1)  # repeated corner
    mid = len(fv)
    line_v = np.vstack([fv, (fv[corner[:, 0]] + fv[corner[:, 1]]) / 2])  # collinear third corner
    collinear = np.stack([corner[:, 0], corner[:, 1], mid + np.arange(len(corner))], axis=1)
    write_stl(add("degenerate triangles", "degenerate.stl", WARN, "degenerate"), line_v,
              np.vstack([ff, zero_area, collinear]))
    write_stl(add("degenerate triangles", "all_degenerate.stl", REFUSE, "no usable triangles"),
              fv, np.stack([ff[:, 0], ff[:, 0], ff[:, 1]], axis=1))

    # -- inside-out normals
    write_stl(add("inside-out normals", "inside_out_femur.stl", WARN, "pointed inward"), fv,
              ff[:, ::-1])
    write_stl(add("inside-out normals", "inside_out_patella.stl", WARN, "pointed inward",
                  slot="patella"), pat.vertices, pat.faces[:, ::-1])

    # -- several bodies in one file: the whole knee as "the femur"; a femur with loose debris
    knee = trimesh.util.concatenate([fem, tib.copy().apply_translation([0, -10, 0]),
                                     pat.copy().apply_translation([60, 0, 0])])
    write_stl(add("several bodies", "whole_knee.stl", WARN, r"\d separate large bodies",
                  bone_refused=True), knee.vertices, knee.faces)
    debris = trimesh.creation.icosphere(subdivisions=1, radius=1.0).apply_translation([0, 0, 80])
    both = trimesh.util.concatenate([fem, debris])
    write_stl(add("several bodies", "femur_with_debris.stl", WARN, "small loose piece"),
              both.vertices, both.faces)

    # -- another bone given as the femur
    write_stl(add("patella as femur", "patella.stl", LOAD, "", bone_refused=True),
              pat.vertices, pat.faces)
    write_stl(add("tibia as femur", "tibia.stl", WARN, "separate large bodies",
                  bone_refused=True), tib.vertices, tib.faces)

    # -- 1000x too big or too small (micrometres, metres: rescaled with a warning); 1e6 refused
    write_stl(add("1000x too big", "femur_um.stl", WARN, "micrometres"), fv * 1000.0, ff)
    write_stl(add("1000x too small", "femur_m.stl", WARN, "in metres"), fv / 1000.0, ff)
    write_stl(add("1000x too big", "patella_um.stl", WARN, "micrometres", slot="patella"),
              pat.vertices * 1000.0, pat.faces)
    write_stl(add("1000x too small", "patella_m.stl", WARN, "in metres", slot="patella"),
              pat.vertices / 1000.0, pat.faces)
    write_stl(add("1000x too big", "femur_x1e6.stl", REFUSE, "a size no bone has"),
              fv * 1e6, ff)
    (folder / "clean_femur.stl").unlink()
    assert tuple(c.path.name for c in cases) == NAMES
    return cases
