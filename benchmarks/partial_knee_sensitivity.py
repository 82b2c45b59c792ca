"""Why a completed partial knee's kneecap is off: three measurements (issue 26; the tables in
docs/validation.md, "The remaining misses taken further").

    nice -n 10 .venv/bin/python benchmarks/partial_knee_sensitivity.py posterior atlas:20 100 80
    nice -n 10 .venv/bin/python benchmarks/partial_knee_sensitivity.py reading atlas:14 100 100
    nice -n 10 .venv/bin/python benchmarks/partial_knee_sensitivity.py landmarks [--turn 3]

posterior: the shape fit (kneeviz.anatomy.completion.fit_shape) is Gauss-Newton with a Gaussian
    prior, so its Hessian at the fit is the inverse of a posterior covariance of the pose and the
    shape weights. Carried to the completed hip centre (the femoral head's vertices) and ankle
    centre (the tibia's distal 12 mm), it says in which directions they are least sure; each bone
    is completed again at `--sd` standard deviations either way along its two least sure
    directions (pose and weights moved together, as the posterior couples them) and every one of
    those 8 knees squats. Prints the posterior's standard deviations, each knee's error against
    the same knee whole, and how far the 8 move the kneecap from the knee as completed.
reading: the whole knee's own kneecap poses read in the cut knee's femur frame and landmarks: how
    much of the tilt error is the reading (the posterior condylar line is read square to an
    estimated mechanical axis) and how much the kneecap sitting elsewhere.
landmarks: every whole knee's frames turned `--turn` deg about each axis across the bone: how far
    the tuberosity and the epicondyles, found as the farthest surface along a frame direction,
    move (no solve).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from partial_knee_causes import whole_to_cut  # noqa: E402

import partial_cases as pc  # noqa: E402


def _centre_vertices(bone: str, model: Any) -> np.ndarray:
    """The model's vertices whose mean is the hip centre (femur) or the ankle centre (tibia)."""
    from kneeviz.anatomy.landmarks_femur import find_femur
    from kneeviz.anatomy.mesh import SurfaceMesh

    V = model.vertices(np.zeros(model.modes_mm.shape[0]))
    if bone == "femur":
        fit = find_femur(SurfaceMesh(V, model.faces))
        T = fit.T_input_femur
        hip = T[:3, :3] @ fit.landmarks.hip_centre_mm + T[:3, 3]
        near = np.linalg.norm(V - hip, axis=1) < fit.landmarks.femoral_head_radius_mm + 4.0
        return np.flatnonzero(near)
    return np.flatnonzero(V[:, 2] < V[:, 2].min() + 12.0)


class PosteriorCompletions:
    """Wraps completion._shape_fit: the fit as usual, its posterior's extremes noted, and a
    chosen extreme returned instead when `use` names one ((bone, k), k in 0..3)."""

    def __init__(self, sd: float) -> None:
        from kneeviz.anatomy import completion

        self.C = completion
        self.original = completion._shape_fit
        self.sd = sd
        self.extremes: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.centre_sd_mm: dict[str, np.ndarray] = {}
        self.use: tuple[str, int] | None = None

    def __call__(self, mesh: Any, bone: str, T_mean: np.ndarray, n_modes: int
                 ) -> tuple[np.ndarray, np.ndarray]:
        T, b = self.original(mesh, bone, T_mean, n_modes)
        if bone not in self.extremes:
            self._extremes(mesh, bone, T_mean, T, b, n_modes)
        if self.use is not None and self.use[0] == bone:
            return self.extremes[bone][self.use[1]]
        return T, b

    def _extremes(self, mesh: Any, bone: str, T_mean: np.ndarray, T: np.ndarray,
                  b: np.ndarray, n_modes: int) -> None:
        from kneeviz.anatomy.mesh import SurfaceMesh
        from kneeviz.anatomy.shape_model import bone_shape_model

        C = self.C
        model = bone_shape_model(bone, 14)
        # the fit's own points and weights (completion._shape_fit)
        v = mesh.vertices_mm[np.unique(mesh.faces)]
        pts = v[np.random.default_rng(0).choice(len(v), min(2500, len(v)), replace=False)]
        area = float(mesh.face_areas_mm2().sum())
        weights = np.ones(len(pts))
        if bone == "tibia" and C.TIBIA_SHAFT_FACTOR != 1.0:
            weights = C.shaft_weights(pts, T_mean, bone, C.TIBIA_SHAFT_BELOW_MM,
                                      C.TIBIA_SHAFT_FACTOR)
        if bone == "femur":
            weights = C.trochlea_left_out(pts, T_mean)
        w = area / len(pts) / C.SHAPE_CORRELATION_MM ** 2 / C.SHAPE_NOISE_MM ** 2
        V = model.vertices(b)
        pp = C._plane_pairs(V, SurfaceMesh(V, model.faces).vertex_normals(), cKDTree(V), pts, T)
        J_b = np.einsum("nd,mnd->nm", pp.normal @ T[:3, :3],
                        model.modes_mm[:n_modes][:, pp.idx[pp.keep]])
        J = np.hstack([pp.J_pose, J_b])
        H = w * (J.T @ (J * weights[pp.keep][:, None]))
        H[7:, 7:] += np.eye(n_modes)
        S = np.linalg.inv(H + 1e-9 * np.eye(7 + n_modes))
        idx = _centre_vertices(bone, model)

        def moved(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            T2 = C._similarity_step(T, d[:3], float(d[3]), d[4:7], pp.centre)
            b2 = b + d[7:]
            q = model.vertices(b2)[idx].mean(axis=0)
            return T2, b2, T2[:3, :3] @ q + T2[:3, 3]

        n = 7 + n_modes
        q0 = moved(np.zeros(n))[2]
        Jq = np.column_stack([(moved(np.eye(n)[i] * 1e-4)[2] - q0) / 1e-4 for i in range(n)])
        var, E = np.linalg.eigh(Jq @ S @ Jq.T)
        self.centre_sd_mm[bone] = np.sqrt(var)
        out = []
        for k in (2, 1):
            for sign in (1.0, -1.0):
                T2, b2, _ = moved(sign * self.sd * S @ Jq.T @ E[:, k] / np.sqrt(var[k]))
                out.append((T2, np.clip(b2, -C.SHAPE_MAX_SD, C.SHAPE_MAX_SD)))
        self.extremes[bone] = out


def _cut_knee(name: str, femur_mm: float, tibia_mm: float) -> tuple[Any, Any, Any]:
    """(knee, its two pieces, the whole knee (anatomy, trajectory))."""
    k = pc.knee(name)
    return k, pc.pieces(k, pc.Cut(femur_mm, tibia_mm)), pc.whole(name)


def _load(k: Any, pieces: tuple[Any, Any]) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        return pc.load(k, pieces[0], pieces[1], False, Path(tmp))


def posterior(name: str, femur_mm: float, tibia_mm: float, sd: float) -> None:
    from kneeviz.anatomy import completion

    k, pieces, (_a_whole, tr_whole) = _cut_knee(name, femur_mm, tibia_mm)
    wrap = PosteriorCompletions(sd)
    completion._shape_fit = wrap  # type: ignore[assignment]
    try:
        down = pc._descending(tr_whole)
        nominal = pc.squat(_load(k, pieces))
        d = pc.compare(tr_whole, nominal)
        print(f"{name}, {femur_mm:g} / {tibia_mm:g} mm: error {d['tilt']:.2f} deg / "
              f"{d['shift']:.2f} mm (at {d['at']:.0f} deg)")
        for bone, s in wrap.centre_sd_mm.items():
            print(f"  {bone}: posterior sd of its {'hip' if bone == 'femur' else 'ankle'} "
                  f"centre {np.round(s, 1)} mm")
        spread_t = np.zeros(int(down.sum()))
        spread_s = np.zeros(int(down.sum()))
        for bone in ("femur", "tibia"):
            for j in range(4):
                wrap.use = (bone, j)
                tr = pc.squat(_load(k, pieces))
                dt = np.abs(np.asarray(tr[pc.MEASURES[0]]) - nominal[pc.MEASURES[0]])[down]
                ds = np.abs(np.asarray(tr[pc.MEASURES[1]]) - nominal[pc.MEASURES[1]])[down]
                spread_t, spread_s = np.maximum(spread_t, dt), np.maximum(spread_s, ds)
                e = pc.compare(tr_whole, tr)
                print(f"  {bone} extreme {j}: error {e['tilt']:.2f} deg / {e['shift']:.2f} mm; "
                      f"moves the kneecap up to {dt.max():.2f} deg / {ds.max():.2f} mm",
                      flush=True)
        print(f"  spread over the {sd:g} sd completions: {spread_t.max():.2f} deg / "
              f"{spread_s.max():.2f} mm")
    finally:
        wrap.use = None
        completion._shape_fit = wrap.original  # type: ignore[assignment]


def reading(name: str, femur_mm: float, tibia_mm: float) -> None:
    from kneeviz.mechanics.measures import lateral_tilt_deg

    k, pieces, (a_whole, tr_whole) = _cut_knee(name, femur_mm, tibia_mm)
    a_cut = _load(k, pieces)
    tr_cut = pc.squat(a_cut)
    A = whole_to_cut(a_whole.femur.vertices_mm, a_cut.femur.vertices_mm)
    P = whole_to_cut(a_whole.patella.vertices_mm, a_cut.patella.vertices_mm)
    down = pc._descending(tr_whole)
    t_whole = np.asarray(tr_whole[pc.MEASURES[0]])
    t_read = np.array([lateral_tilt_deg(A @ T @ np.linalg.inv(P), a_cut)
                       for T in tr_whole.T_femur_patella])
    t_cut = np.asarray(tr_cut[pc.MEASURES[0]])
    reading_err, moved = (t_read - t_whole)[down], (t_cut - t_read)[down]
    total = reading_err + moved
    i = int(np.argmax(np.abs(total)))
    flex = np.asarray(tr_whole["knee_flexion_deg"])[down]
    print(f"{name}, {femur_mm:g} / {tibia_mm:g} mm: worst tilt error {total[i]:+.2f} deg at "
          f"{flex[i]:.0f} deg = reading {reading_err[i]:+.2f} + kneecap elsewhere "
          f"{moved[i]:+.2f}; over the squat, reading up to {np.abs(reading_err).max():.2f} deg, "
          f"kneecap elsewhere up to {np.abs(moved).max():.2f} deg")
    rot = Rotation.from_matrix(A[:3, :3]).as_rotvec(degrees=True)
    print(f"  the femur frame, completed against whole: turned {np.round(rot, 2)} deg (x, y, z)")


def landmarks(turn_deg: float) -> None:
    from kneeviz.anatomy._geometry import components, extreme, sample
    from kneeviz.anatomy.landmarks import find_femur, find_tibia
    from kneeviz.anatomy.landmarks_tibia import in_tuberosity_band
    from kneeviz.transforms import apply, invert

    def turns(axes: tuple[np.ndarray, ...]) -> list[np.ndarray]:
        return [Rotation.from_rotvec(np.radians(turn_deg) * s * a).as_matrix()
                for a in axes for s in (1.0, -1.0)]

    x, y, z = np.eye(3)
    tub_moves, epi_moves = [], []
    for name in pc.KNEES:
        k = pc.knee(name)
        bodies = components(k.tibia)
        s = sample(bodies[0] if len(bodies) > 1 else k.tibia)
        T = find_tibia(k.tibia).T_input_tibia

        def tuberosity(R: np.ndarray, s: Any = s, T: np.ndarray = T) -> np.ndarray:
            T2 = T.copy()
            T2[:3, :3] = T[:3, :3] @ R
            local = apply(invert(T2), s.points)
            band = in_tuberosity_band(local[:, 1])
            return apply(invert(T) @ T2, extreme(local[band], x, s.areas[band]))

        t0 = tuberosity(np.eye(3))
        tub = max(float(np.linalg.norm(tuberosity(R) - t0)) for R in turns((x, z)))
        fs = sample(k.femur)
        loc = apply(invert(find_femur(k.femur).T_input_femur), fs.points)
        length = float(np.ptp(loc[:, 1]))

        def epicondyles(R: np.ndarray, loc: np.ndarray = loc, fs: Any = fs,
                        length: float = length) -> np.ndarray:
            h = loc @ (R @ y)
            near = h < h.min() + 0.11 * length
            return np.array([extreme(loc[near], sgn * (R @ z), fs.areas[near])
                             for sgn in (-1.0, 1.0)])

        e0 = epicondyles(np.eye(3))
        epi = max(float(np.linalg.norm(epicondyles(R) - e0, axis=1).max())
                  for R in turns((x, y)))
        tub_moves.append(tub)
        epi_moves.append(epi)
        print(f"{name:9s} tuberosity {tub:5.1f} mm, epicondyles {epi:4.1f} mm", flush=True)
    t, e = np.array(tub_moves), np.array(epi_moves)
    print(f"frames turned {turn_deg:g} deg: the tuberosity moves {np.median(t):.1f} mm at the "
          f"median (up to {t.max():.1f}; over 5 mm in {(t > 5).sum()} of {len(t)} knees), the "
          f"epicondyles {np.median(e):.1f} mm ({e.min():.1f}-{e.max():.1f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    for what in ("posterior", "reading"):
        p = sub.add_parser(what)
        p.add_argument("knee", choices=pc.KNEES, metavar="KNEE", help="bundled, icl or atlas:NN")
        p.add_argument("femur_mm", type=float)
        p.add_argument("tibia_mm", type=float)
        if what == "posterior":
            p.add_argument("--sd", type=float, default=2.0, help="how far out (sd)")
    p = sub.add_parser("landmarks")
    p.add_argument("--turn", type=float, default=3.0, help="the frames' turn (deg)")
    args = ap.parse_args(argv)
    if args.what == "posterior":
        posterior(args.knee, args.femur_mm, args.tibia_mm, args.sd)
    elif args.what == "reading":
        reading(args.knee, args.femur_mm, args.tibia_mm)
    else:
        landmarks(args.turn)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
