"""Partial knees against the same knees whole: the population validation of issue 26.

A case is one knee cut as a knee MRI's field of view cuts it (the distal femur and proximal tibia,
square to the bone or obliquely, the cut rims closed or left open), written to STL files and loaded
by the ordinary loader (kneeviz.anatomy.build.anatomy_from_files: read, checked, identified,
completed from the LLP26 atlas), then its healthy squat (to 120 deg, as the app's) compared frame
by frame over 0-90 deg with the same knee loaded whole from its whole bones (pelvis included). The
outcome is "completed", with the worst differences of kneecap tilt, shift and bisect offset;
"flagged", the same over the frames the completion check leaves shown
(kneeviz.anatomy.completion_check); or "refused", with the loader's one line.

The knees (`KNEES`):
- "bundled": the bundled knee's own meshes, put in one frame (the femur's) as a scan holds them;
- "icl": the ICL_MRI leg (../shared/meshes; test data, read by path), its tibia file holding the
  fibula;
- "atlas:01" .. "atlas:26": the population knees (kneeviz.anatomy.population: the LLP26 shape
  model's 26 training limbs, each rebuilt exactly and made into a knee the way the bundled knee
  is made from the mean); each is completed by shape models rebuilt WITHOUT it
  (shape_model.leaving_out). The search's starting bone and the completed femur's pelvis are
  still the 26-limb means.

Used by benchmarks/validate_partial_knees.py (the whole table) and
tests/anatomy/test_partial_validation.py (a few cases in `make test`). No pytest here.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kneeviz.anatomy.cartilage import boundary_edges
from kneeviz.anatomy.completion_check import SHIFT_LIMIT_MM, TILT_LIMIT_DEG
from kneeviz.anatomy.mesh import FloatArray, SurfaceMesh

ICL_DIR = Path(__file__).resolve().parents[2] / "shared" / "meshes" / "ICL_MRI"
N_LIMBS = 26
KNEES = ("bundled", "icl") + tuple(f"atlas:{j + 1:02d}" for j in range(N_LIMBS))
COMPARED_TO_DEG = 90.0
"""Frames of the descent up to this knee flexion are compared (the issue's 0-90 deg)."""
MAX_FLEXION_DEG = 120.0
"""The squat itself goes deeper, as the app's does: whether a frame near 90 deg is decided by
the scan depends on the curve beyond it too (kneeviz.anatomy.completion_check)."""
FRAME_RATE_HZ = 20.0
MEASURES = ("patella_lateral_tilt_deg", "patella_lateral_shift_mm", "bisect_offset_pct")
TILT_FLOOR_DEG = 1.5
SHIFT_FLOOR_MM = 1.5
WINDOWS_DEG = (2.0, 3.0, 4.0, 5.0, 6.0)
"""Widths of the completion check's flexion window the table also reports."""
WRONG_TILT_DEG = TILT_LIMIT_DEG
WRONG_SHIFT_MM = SHIFT_LIMIT_MM
"""A completed case off by more than these must not be presented as a result (issue 26)."""


@dataclass(frozen=True, eq=False)
class Knee:
    """A whole knee in one scan frame (mm) and the bone axes its cuts are square to."""

    name: str
    femur: SurfaceMesh
    patella: SurfaceMesh
    tibia: SurfaceMesh
    """The tibia with its fibula when the knee has one (a second body)."""
    pelvis: SurfaceMesh
    femur_up: FloatArray
    """Unit vector from the knee to the hip (the femur frame's Y)."""
    tibia_down: FloatArray
    """Unit vector from the plateau to the ankle (minus the tibia frame's Y)."""
    anterior: FloatArray
    lateral: FloatArray
    held_out: int | None = None
    """The LLP26 training limb this knee is (completed without it), or None."""


@dataclass(frozen=True)
class Cut:
    """How a case cuts its knee: lengths kept (mm, from the joint end along the bone), the cut
    planes' tilt off square (deg) and towards which side, and whether the rims stay open."""

    femur_mm: float
    tibia_mm: float
    tilt_deg: float = 0.0
    tilt_towards: str = "anterior"
    """"anterior", "lateral", "posterior" or "medial": the femur's cut plane leans that way, the
    tibia's the opposite way (one slab, not aligned with either bone)."""
    open_edge: bool = False

    @property
    def label(self) -> str:
        how = "square" if not self.tilt_deg else f"{self.tilt_deg:g} deg {self.tilt_towards}"
        return (f"femur {self.femur_mm:g} / tibia {self.tibia_mm:g} mm, {how}, "
                f"{'open' if self.open_edge else 'closed'}")


@dataclass
class Outcome:
    """What a case gave (one row of the validation table)."""

    knee: str
    cut: Cut
    outcome: str
    """"completed"; "flagged" (completed, but some frames undetermined by the scan and not shown:
    kneeviz.anatomy.completion_check); "failed check" (solved, but the squat's self-check,
    kneeviz.result_check, fails it: an error to the user, nothing shown); "refused"; "unsolved"
    (frames not converged) or "error" (a bug: anything but a KneevizError)."""
    message: str = ""
    self_check: str = ""
    """"passed", or the line a command gives instead of the result (check_words)."""
    whole_check: str = ""
    """The self-check of the same knee loaded whole, squatted the same way."""
    tilt_err_deg: float = float("nan")
    shift_err_mm: float = float("nan")
    bisect_err_pct: float = float("nan")
    tilt_err_all_deg: float = float("nan")
    shift_err_all_mm: float = float("nan")
    """The worst differences over every frame of the descent, the undetermined ones included (the
    figures above leave those out: they are not shown)."""
    undetermined: int = 0
    """Frames of the descent the completion check leaves without numbers."""
    window_errors: dict[str, float] | None = None
    """The worst tilt and shift over the frames shown had the completion check's window been
    WINDOWS_DEG wide instead ("tilt_w4", "shift_w4", "undetermined_w4", ...): how wide it must be
    for no frame shown to be off by more than 3 deg / 3 mm."""
    worst_at_deg: float = float("nan")
    """Knee flexion of the frame with the worst tilt or shift difference (the larger against its
    floor)."""
    femur_rms_mm: float = float("nan")
    tibia_rms_mm: float = float("nan")
    femur_length_err_mm: float = float("nan")
    tibia_length_err_mm: float = float("nan")
    joint_axis_err_deg: float = float("nan")
    """Angle between the tibia's long axis seen from the femur (T_femur_tibia_ref) in the cut
    knee and in the whole knee: what both bones' estimated axes do to the squat's joint."""
    seconds: float = float("nan")

    @property
    def within_floors(self) -> bool:
        """Completed, every frame shown, and within the floors at every one."""
        return (self.outcome == "completed" and self.tilt_err_deg <= TILT_FLOOR_DEG
                and self.shift_err_mm <= SHIFT_FLOOR_MM)

    @property
    def within_floors_check_aside(self) -> bool:
        """Within the floors at every frame of 0-90 deg, every frame shown, whatever the
        self-check says (it judges the squat to 120 deg, where a knee loaded from files can fail
        it whole: docs/validation.md)."""
        return (self.outcome in ("completed", "failed check") and not self.undetermined
                and self.tilt_err_deg <= TILT_FLOOR_DEG and self.shift_err_mm <= SHIFT_FLOOR_MM)

    @property
    def wrong(self) -> bool:
        """Presented as a result (a shown frame) yet off by more than the issue allows."""
        return self.outcome in ("completed", "flagged") and (
            self.tilt_err_deg > WRONG_TILT_DEG or self.shift_err_mm > WRONG_SHIFT_MM)

    @staticmethod
    def from_row(r: dict[str, str]) -> Outcome:
        """An Outcome back from its CSV row (row())."""
        cut = Cut(float(r["femur_mm"]), float(r["tibia_mm"]), float(r["tilt_deg"]),
                  r["tilt_towards"] or "anterior", r["edge"] == "open")
        o = Outcome(r["knee"], cut, r["outcome"], message=r["message"],
                    self_check=r.get("self_check", ""), whole_check=r.get("whole_check", ""))
        for name in ("tilt_err_deg", "shift_err_mm", "bisect_err_pct", "tilt_err_all_deg",
                     "shift_err_all_mm", "worst_at_deg", "femur_rms_mm", "tibia_rms_mm",
                     "femur_length_err_mm", "tibia_length_err_mm", "joint_axis_err_deg",
                     "seconds"):
            setattr(o, name, float(r[name]) if r.get(name) else float("nan"))
        o.undetermined = int(float(r["undetermined"] or 0))
        return o

    def row(self) -> dict[str, object]:
        return {
            "knee": self.knee, "femur_mm": self.cut.femur_mm, "tibia_mm": self.cut.tibia_mm,
            "tilt_deg": self.cut.tilt_deg, "tilt_towards": self.cut.tilt_towards if
            self.cut.tilt_deg else "", "edge": "open" if self.cut.open_edge else "closed",
            "outcome": self.outcome, "self_check": self.self_check,
            "whole_check": self.whole_check, "tilt_err_deg": self.tilt_err_deg,
            "shift_err_mm": self.shift_err_mm, "bisect_err_pct": self.bisect_err_pct,
            "tilt_err_all_deg": self.tilt_err_all_deg,
            "shift_err_all_mm": self.shift_err_all_mm, "undetermined": self.undetermined,
            "worst_at_deg": self.worst_at_deg, "femur_rms_mm": self.femur_rms_mm,
            "tibia_rms_mm": self.tibia_rms_mm, "femur_length_err_mm": self.femur_length_err_mm,
            "tibia_length_err_mm": self.tibia_length_err_mm,
            "joint_axis_err_deg": self.joint_axis_err_deg, "seconds": self.seconds,
            **(self.window_errors or {}),
            "message": self.message,
        }


# --------------------------------------------------------------------------------------------
# the knees


def _in_femur_frame(a) -> dict[str, SurfaceMesh]:  # type: ignore[no-untyped-def]
    """A knee's bone-frame meshes put back in one frame (the femur's), as a scan holds them: the
    tibia and pelvis at their standing poses, the kneecap where the model first rests it."""
    from kneeviz.mechanics.equilibrium import resting_patella_pose

    return {"femur": a.femur,
            "tibia": a.tibia.transformed(a.T_femur_tibia_ref),
            "patella": a.patella.transformed(resting_patella_pose(a)),
            "pelvis": a.pelvis.transformed(a.T_femur_pelvis_ref)}


def _icl() -> dict[str, SurfaceMesh]:
    """The ICL leg; its tibia file holds the fibula already (a second body, the same surface as
    the fibula file's)."""
    from kneeviz.anatomy.mesh_io import load_mesh

    def read(name: str) -> SurfaceMesh:
        return load_mesh(ICL_DIR / f"ICL_MRI_{name}.stl").mesh

    return {"femur": read("femur_r"), "patella": read("patella_r"), "pelvis":
            read("pelvis_no_sacrum"), "tibia": read("tibia_r")}


@lru_cache(maxsize=2)
def knee(name: str) -> Knee:
    """One of KNEES, whole, in one scan frame."""
    from kneeviz.anatomy.landmarks import find_femur, find_tibia

    held_out = None
    if name == "bundled":
        from kneeviz.anatomy.build import load_default_anatomy

        m = _in_femur_frame(load_default_anatomy())
    elif name == "icl":
        m = _icl()
    elif name.startswith("atlas:"):
        from kneeviz.anatomy.population import load_population_knee

        held_out = int(name.split(":")[1]) - 1
        m = _in_femur_frame(load_population_knee(held_out + 1))
    else:
        raise ValueError(f"no knee {name!r}: one of {', '.join(KNEES)}")
    T_f = find_femur(m["femur"]).T_input_femur
    T_t = find_tibia(m["tibia"]).T_input_tibia
    return Knee(name, m["femur"], m["patella"], m["tibia"], m["pelvis"], T_f[:3, 1],
                -T_t[:3, 1], T_f[:3, 0], T_f[:3, 2], held_out)


# --------------------------------------------------------------------------------------------
# cutting


def cut_piece(mesh: SurfaceMesh, towards_cut: FloatArray, keep_mm: float,
              tilt_deg: float = 0.0, tilt_towards: FloatArray | None = None,
              open_edge: bool = False) -> SurfaceMesh:
    """What an MRI slab keeps of a bone: the end of `mesh` opposite `towards_cut` (a unit
    vector along the bone pointing away from the end kept), `keep_mm` long measured from that
    end along the bone. The cut plane is square to `towards_cut`, or tilted `tilt_deg` towards
    `tilt_towards` (about the point on the bone's line where a square cut would pass: the slab
    is not aligned with the bone). Each cut rim is closed with its own flat fan (a tibia's and
    its fibula's separately), as a segmentation closed where the image ends, or left open
    (`open_edge`), as one exported with the cut edge open."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    axis = np.asarray(towards_cut, dtype=float)
    axis = axis / np.linalg.norm(axis)
    v = mesh.vertices_mm
    h = v @ axis
    level = float(h.min()) + keep_mm
    normal = axis
    if tilt_deg:
        side = np.asarray(tilt_towards, dtype=float)
        side = side - (side @ axis) * axis
        side /= np.linalg.norm(side)
        t = np.radians(tilt_deg)
        normal = np.cos(t) * axis + np.sin(t) * side
    centre = v.mean(axis=0)
    point = centre + (level - centre @ axis) * axis
    keep_v = (v - point) @ normal <= 0.0
    faces = mesh.faces[np.all(keep_v[mesh.faces], axis=1)]
    used = np.unique(faces)
    remap = np.full(mesh.n_vertices, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    verts = v[used]
    f = remap[faces]
    if open_edge:
        return SurfaceMesh(verts, f)
    edges = boundary_edges(f)
    rim = np.unique(edges)
    index = np.full(len(verts), -1, dtype=np.int64)
    index[rim] = np.arange(rim.size)
    graph = coo_matrix((np.ones(len(edges)), (index[edges[:, 0]], index[edges[:, 1]])),
                       shape=(rim.size, rim.size))
    _, loop_of = connected_components(graph, directed=False)
    loop = loop_of[index[edges[:, 0]]]
    centres = np.array([verts[rim[loop_of == k]].mean(axis=0)
                        for k in range(int(loop_of.max()) + 1)])
    cap = np.column_stack([edges[:, 1], edges[:, 0], len(verts) + loop])
    return SurfaceMesh(np.vstack([verts, centres]), np.vstack([f, cap]))


def pieces(k: Knee, cut: Cut) -> tuple[SurfaceMesh, SurfaceMesh]:
    """The femur and tibia pieces a cut leaves of a knee."""
    lean = {"anterior": k.anterior, "posterior": -k.anterior, "lateral": k.lateral,
            "medial": -k.lateral}[cut.tilt_towards]
    femur = cut_piece(k.femur, k.femur_up, cut.femur_mm, cut.tilt_deg, lean, cut.open_edge)
    tibia = cut_piece(k.tibia, k.tibia_down, cut.tibia_mm, cut.tilt_deg, -lean, cut.open_edge)
    return femur, tibia


# --------------------------------------------------------------------------------------------
# loading and comparing


def write_stl(mesh: SurfaceMesh, path: Path) -> None:
    """A binary STL (float32, as segmentation tools write it)."""
    tri = mesh.vertices_mm[mesh.faces].astype(np.float32)
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    rec = np.zeros(len(tri), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["n"], rec["v"] = n, tri
    with open(path, "wb") as fh:
        fh.write(b"kneeviz validation piece".ljust(80, b" "))
        fh.write(np.uint32(len(tri)).tobytes())
        fh.write(rec.tobytes())


@contextlib.contextmanager
def _models_for(k: Knee) -> Iterator[None]:
    """Leave-one-out for a training limb; the ordinary models for any other knee."""
    if k.held_out is None:
        yield
        return
    from kneeviz.anatomy.shape_model import leaving_out

    with leaving_out(k.held_out):
        yield


def load(k: Knee, femur: SurfaceMesh, tibia: SurfaceMesh, pelvis: bool,
         folder: Path):  # type: ignore[no-untyped-def]
    """The knee loaded from STL files as a user's would be (Anatomy)."""
    from kneeviz.anatomy.build import anatomy_from_files

    paths = {}
    for name, mesh in (("femur", femur), ("patella", k.patella), ("tibia", tibia),
                       ("pelvis", k.pelvis)):
        paths[name] = folder / f"{k.name}-{name}.stl"
        write_stl(mesh, paths[name])
    with _models_for(k):
        return anatomy_from_files(paths["femur"], paths["patella"], paths["tibia"],
                                  paths["pelvis"] if pelvis else None, warnings=[])


def squat(anatomy):  # type: ignore[no-untyped-def]
    """The healthy squat to MAX_FLEXION_DEG at FRAME_RATE_HZ (Trajectory)."""
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import simulate

    sc = Scenario.from_preset("healthy", max_flexion_deg=MAX_FLEXION_DEG,
                              frame_rate_hz=FRAME_RATE_HZ)
    return simulate(anatomy, sc)


@lru_cache(maxsize=2)
def whole(name: str):  # type: ignore[no-untyped-def]
    """(Anatomy, Trajectory) of a knee loaded whole (with its pelvis)."""
    k = knee(name)
    with tempfile.TemporaryDirectory() as tmp:
        a = load(k, k.femur, k.tibia, True, Path(tmp))
    return a, squat(a)


def check_words(anatomy, tr) -> str:  # type: ignore[no-untyped-def]
    """The squat's self-check as the commands run it (kneeviz.result_check): "passed", or the
    one line a command would give instead of the result."""
    from kneeviz.result_check import result_problem, self_check

    problem = result_problem(tr)
    if problem is None:
        problem = self_check(tr, anatomy).problem
    return "passed" if problem is None else problem


def _descending(tr) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The compared frames: the descent, up to COMPARED_TO_DEG."""
    down = tr["time_s"] <= tr["time_s"][int(np.argmax(tr["knee_flexion_deg"]))]
    return np.asarray(down & (tr["knee_flexion_deg"] <= COMPARED_TO_DEG + 1e-9))


def compare(whole_tr, cut_tr, shown=None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Worst differences over the descent (0 to COMPARED_TO_DEG, frame by frame), over the
    frames `shown` (a mask; None: all)."""
    down = _descending(whole_tr)
    if shown is not None:
        down = down & np.asarray(shown, dtype=bool)
    if not down.any():
        return {"tilt": 0.0, "shift": 0.0, "bisect": 0.0, "at": float("nan")}
    d = {m: np.abs(np.asarray(cut_tr[m]) - np.asarray(whole_tr[m]))[down] for m in MEASURES}
    worst = np.maximum(d[MEASURES[0]] / TILT_FLOOR_DEG, d[MEASURES[1]] / SHIFT_FLOOR_MM)
    return {"tilt": float(d[MEASURES[0]].max()), "shift": float(d[MEASURES[1]].max()),
            "bisect": float(d[MEASURES[2]].max()),
            "at": float(np.asarray(whole_tr["knee_flexion_deg"])[down][int(np.argmax(worst))])}


def withheld_frames(tr) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Solved frames the outputs withhold (kneeviz.measure_table.MODEL_REASONS)."""
    from kneeviz.measure_table import withheld_by_model
    from kneeviz.trajectory_file import frame_reasons

    return np.array([withheld_by_model(r) for r in frame_reasons(tr)], dtype=bool)


def run_case(name: str, cut: Cut) -> Outcome:
    """One case: cut, write, load, simulate, compare (see the module docstring)."""
    from kneeviz.anatomy.completion_check import undetermined_frames, undetermined_sentence
    from kneeviz.errors import KneevizError

    t0 = time.perf_counter()
    out = Outcome(name, cut, "error")
    try:
        k = knee(name)
        a_whole, tr_whole = whole(name)
        femur, tibia = pieces(k, cut)
        with tempfile.TemporaryDirectory() as tmp:
            a = load(k, femur, tibia, False, Path(tmp))
        tr = squat(a)
        out.self_check = check_words(a, tr)
        out.whole_check = check_words(a_whole, tr_whole)
        c = a.completion
        out.femur_rms_mm = float(c.femur_rms_mm) if c and c.femur_rms_mm else float("nan")
        out.tibia_rms_mm = float(c.tibia_rms_mm) if c and c.tibia_rms_mm else float("nan")
        out.femur_length_err_mm = a.femur_length_mm - a_whole.femur_length_mm
        out.tibia_length_err_mm = a.tibia_length_mm - a_whole.tibia_length_mm
        y_cut, y_whole = a.T_femur_tibia_ref[:3, 1], a_whole.T_femur_tibia_ref[:3, 1]
        out.joint_axis_err_deg = float(np.degrees(np.arccos(np.clip(y_cut @ y_whole, -1, 1))))
        # what the outputs withhold (kneeviz.simulation): where the scan does not decide the
        # kneecap, and where it balances two ways; the whole knee's withheld frames are no
        # result to compare with either
        undetermined = withheld_frames(tr)
        not_compared = undetermined | withheld_frames(tr_whole)
        out.undetermined = int(np.sum(undetermined & _descending(tr)))
        if not (np.all(tr.converged[_descending(tr)])):
            n_bad = int(np.sum(~tr.converged[_descending(tr)]))
            out.outcome, out.message = "unsolved", f"{n_bad} frames of the descent unsolved"
        elif out.undetermined:
            out.outcome = "flagged"
            out.message = undetermined_sentence(tr["knee_flexion_deg"],
                                                undetermined & _descending(tr)) or ""
        else:
            out.outcome = "completed"
        if out.self_check != "passed":  # nothing is shown, whatever else the squat did
            out.outcome, out.message = "failed check", out.self_check
        out.window_errors = {}
        for w in WINDOWS_DEG:
            m = undetermined_frames(tr["knee_flexion_deg"], tr["patella_lateral_tilt_deg"],
                                    tr["patella_lateral_shift_mm"], tr.converged, w)
            dw = compare(tr_whole, tr, ~m)
            out.window_errors |= {f"tilt_w{w:g}": dw["tilt"], f"shift_w{w:g}": dw["shift"],
                                  f"undetermined_w{w:g}": float(np.sum(m & _descending(tr)))}
        every = compare(tr_whole, tr)
        out.tilt_err_all_deg, out.shift_err_all_mm = every["tilt"], every["shift"]
        d = compare(tr_whole, tr, ~not_compared)
        out.tilt_err_deg, out.shift_err_mm = d["tilt"], d["shift"]
        out.bisect_err_pct, out.worst_at_deg = d["bisect"], d["at"]
    except KneevizError as exc:
        out.outcome, out.message = "refused", str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug, recorded as such
        out.outcome, out.message = "error", f"{type(exc).__name__}: {exc}"
    out.seconds = time.perf_counter() - t0
    return out
