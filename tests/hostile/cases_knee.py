"""Hostile knees: bones that do not form one knee (OpenSim-style body frames, a tibia off to the
side or turned, bones of two sides or two sizes), knees far from the origin, and the result rule
(a run that mostly did not converge is not a result)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import trimesh

from hostile_core import REFUSED, RESULT, Case
from kneeviz.anatomy.build import anatomy_from_files, assets_dir, load_default_anatomy
from kneeviz.errors import KneevizError
from kneeviz.result_check import check_result

BONES = ("femur", "patella", "tibia")


@lru_cache(maxsize=3)
def _bone(name: str) -> trimesh.Trimesh:
    return trimesh.load(assets_dir() / f"{name}.stl", file_type="stl", process=True)


def _write(path: Path, name: str, T: np.ndarray | None = None, mirror: bool = False,
           scale: float = 1.0) -> Path:
    m = _bone(name).copy()
    v = np.asarray(m.vertices, dtype=float) * scale
    f = np.asarray(m.faces)
    if mirror:
        v[:, 2] *= -1.0
        f = f[:, ::-1]
    if T is not None:
        v = v @ T[:3, :3].T + T[:3, 3]
    trimesh.Trimesh(v, f, process=False).export(path)
    return path


def _shift(x: float = 0.0, y: float = 0.0, z: float = 0.0) -> np.ndarray:
    T = np.eye(4)
    T[:3, 3] = (x, y, z)
    return T


def _turn(deg: float, axis: tuple[float, float, float]) -> np.ndarray:
    return trimesh.transformations.rotation_matrix(np.radians(deg), axis)


@dataclass(frozen=True)
class Knee:
    name: str
    changes: dict[str, dict[str, object]]  # bone -> _write keyword arguments
    bad: str | None  # the bone whose file a refusal must name; None: a correct result
    says: str = ""  # words the refusal must contain


KNEES = (
    Knee("assembled", {}, None),
    Knee("left", {b: {"mirror": True} for b in BONES}, None),
    Knee("far-1e6", {b: {"T": _shift(1e6, -2e6, 1e6)} for b in BONES}, None),
    Knee("far-1e7", {b: {"T": _shift(7e6, -3e6, 5e6)} for b in BONES}, None),
    Knee("opensim-femur-at-hip", {"femur": {"T": _shift(y=-400.0)}}, "tibia", "one frame"),
    Knee("opensim-tibia-at-ankle", {"tibia": {"T": _shift(y=360.0)}}, "tibia", "one frame"),
    Knee("tibia-aside", {"tibia": {"T": _shift(z=150.0)}}, "tibia", "one frame"),
    Knee("tibia-turned", {"tibia": {"T": _turn(90.0, (0, 0, 1))}}, "tibia", "one frame"),
    Knee("patella-far", {"patella": {"T": _shift(x=250.0)}}, "patella", "one frame"),
    Knee("patella-left", {"patella": {"mirror": True}}, "patella", "left"),
    Knee("patella-right-on-left", {"femur": {"mirror": True}, "tibia": {"mirror": True}},
         "patella", "right"),
    Knee("tibia-left", {"tibia": {"mirror": True}}, "tibia", "left"),
    Knee("child-patella", {"patella": {"scale": 0.55}}, "patella", "cannot belong"),
    # 0.6 of an adult tibia is short enough to be taken for a knee MRI's piece, and as a piece it
    # fits no atlas bone within the fit's scale range: refused on its own, before the knees meet
    Knee("child-tibia", {"tibia": {"scale": 0.6}}, "tibia", "cannot tell which bone this is"),
    Knee("child-femur", {"femur": {"scale": 0.6}}, "femur", ""),
)


def _files(folder: Path, knee: Knee) -> dict[str, Path]:
    return {b: _write(folder / f"{knee.name}-{b}.stl", b, **knee.changes.get(b, {}))  # type: ignore[arg-type]
            for b in BONES}


def knee_case(knee: Knee) -> Case:
    def run(folder: Path) -> str:
        files = _files(folder, knee)
        try:
            anatomy = anatomy_from_files(files["femur"], files["patella"], files["tibia"])
        except KneevizError as exc:
            assert knee.bad is not None, f"a good knee was refused: {exc}"
            assert knee.says in str(exc), f"refusal does not say {knee.says!r}: {exc}"
            raise
        assert knee.bad is None, f"{knee.name} was accepted as one knee"
        # the same knee wherever it was: the tibia where it is in the assembled knee (the
        # bundled files hold the knee in one scan frame: the tibia at its reference pose)
        where = load_default_anatomy().T_femur_tibia_ref[:3, 3]
        assert np.allclose(anatomy.T_femur_tibia_ref[:3, 3], where, atol=1.0), \
            (anatomy.T_femur_tibia_ref[:3, 3], where)
        assert anatomy.side == ("left" if knee.name == "left" else "right")
        return RESULT
    names = (f"{knee.name}-{knee.bad}.stl",) if knee.bad else ()
    return Case("knee", knee.name, run, names=names, timeout_s=60.0,
                expect=(RESULT,) if knee.bad is None else (REFUSED,))


def far_simulate_case() -> Case:
    """A knee 1e7 mm from the origin solves as the knee at the origin does (re-centred)."""
    def run(folder: Path) -> str:
        from kneeviz.scenario import Scenario
        from kneeviz.simulation import simulate

        files = _files(folder, KNEES[3])
        anatomy = anatomy_from_files(files["femur"], files["patella"], files["tibia"])
        traj = simulate(anatomy, Scenario.from_preset("pfp", max_flexion_deg=30,
                                                      frame_rate_hz=5))
        assert traj.converged.mean() > 0.95, f"{int(traj.converged.sum())} of {traj.n_frames}"
        check_result(traj)
        return RESULT
    return Case("knee", "far-1e7-simulated", run, expect=(RESULT,), timeout_s=90.0)


def opensim_cli_case() -> Case:
    """`kneeviz simulate` on body-frame meshes: exit 2, one line saying not in one frame."""
    def run(folder: Path) -> str:
        files = _files(folder, KNEES[4])
        out = subprocess.run(
            [sys.executable, "-m", "kneeviz", "simulate", *[f"--{b}={p}" for b, p in
                                                           files.items()],
             "--out", str(folder / "r.json")], capture_output=True, text=True, timeout=120)
        lines = [ln for ln in out.stderr.splitlines() if not ln.startswith("kneeviz: warning")]
        assert out.returncode == 2 and len(lines) == 1, (out.returncode, out.stderr[-500:])
        assert "not in one frame" in lines[0], lines[0]
        assert not (folder / "r.json").exists()
        raise KneevizError(lines[0])
    return Case("knee", "opensim-cli", run, names=("tibia.stl",), expect=(REFUSED,),
                timeout_s=130.0)


@dataclass
class _Traj:
    converged: np.ndarray
    dislocated: np.ndarray

    def __getitem__(self, key: str) -> np.ndarray:
        if key != "dislocated":
            raise KeyError(key)
        return self.dislocated

    @property
    def meta(self) -> dict[str, object]:
        return {"knee": "hostile"}


def result_cases() -> list[Case]:
    def case(name: str, converged: list[bool], dislocated: list[bool] | None,
             is_result: bool) -> Case:
        def run(_folder: Path) -> str:
            d = np.zeros(len(converged), bool) if dislocated is None else np.array(dislocated)
            check_result(_Traj(np.array(converged, dtype=bool), d), "out.json")
            return RESULT
        return Case("result", name, run, names=("out.json",),
                    expect=(RESULT,) if is_result else (REFUSED,))

    n = 21
    return [
        case("none-converged", [False] * n, None, False),
        case("one-converged", [True] + [False] * (n - 1), None, False),
        case("40-percent", [True] * 8 + [False] * 13, None, False),
        case("9-of-21", [True] * 9 + [False] * 12, None, False),
        case("half", [True] * 11 + [False] * 10, None, True),
        case("all", [True] * n, None, True),
        case("one-frame-bad", [False], None, False),
        case("no-frames", [], None, False),
        case("dislocated-after-5", [True] * 5 + [False] * 16, [False] * 5 + [True] * 16, True),
        case("dislocated-none-converged", [False] * n, [True] * n, False),
        case("241-none", [False] * 241, None, False),
    ]


def cases() -> list[Case]:
    return ([knee_case(k) for k in KNEES] + [far_simulate_case(), opensim_cli_case()]
            + result_cases())
