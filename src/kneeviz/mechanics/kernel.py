"""Which wrench evaluation runs: the compiled kernel (numba) or the pure-numpy one.

Every equilibrium iteration evaluates the patella's net wrench and Jacobian over a few thousand
contact points and nine line elements. The numpy version (equilibrium.evaluate) is the reference;
kernel_numba does the same arithmetic in one compiled call, about ten times faster. numba is a
dependency, but this module imports it only when the first solve needs it (so `kneeviz simulate`
starts as fast as before), after pointing numba's compilation cache at kneeviz's own cache folder
(kneeviz.cache.cache_dir()/numba: never beside the installed package). Where numba cannot be
imported, or KNEEVIZ_NO_NUMBA=1 is set, the numpy version runs and gives the same numbers
(within 1e-9 N and 1e-9 mm: tests/mechanics/test_kernel.py).
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from kneeviz.anatomy.mesh import FloatArray
from kneeviz.cache import cache_dir
from kneeviz.mechanics.contact import LOG_STRAIN_CAP, MIN_LAYER_MM
from kneeviz.mechanics.line_kinds import BUNDLE, SPRING, SPRING_FLOOR
from kneeviz.mechanics.muscles import SLACK_JACOBIAN_FRACTION
from kneeviz.transforms import apply

if TYPE_CHECKING:
    from kneeviz.mechanics.equilibrium import PatellofemoralModel

NO_NUMBA_ENV = "KNEEVIZ_NO_NUMBA"
_lock = threading.Lock()
_module: ModuleType | None = None
_failed = False


def numba_cache_dir() -> Path:
    """Where numba keeps the kernel's compiled code: beside kneeviz's other caches."""
    return cache_dir() / "numba"


def _load() -> ModuleType | None:
    """The compiled kernel module, imported once (None when numba is unavailable)."""
    global _module, _failed
    if _module is not None or _failed:
        return _module
    with _lock:
        if _module is None and not _failed:
            directory = str(numba_cache_dir())
            os.environ["NUMBA_CACHE_DIR"] = directory
            try:
                if "numba" in sys.modules:  # imported earlier by someone else: re-point it
                    sys.modules["numba"].config.CACHE_DIR = directory
                from kneeviz.mechanics import kernel_numba
            except Exception:  # no numba wheel for this platform, or a broken install
                _failed = True
            else:
                _module = kernel_numba
    return _module


def enabled() -> bool:
    """True when the compiled kernel evaluates wrenches (numba importable, not switched off)."""
    if os.environ.get(NO_NUMBA_ENV, "") not in ("", "0"):
        return False
    return _load() is not None


@dataclass(frozen=True, eq=False)
class Packed:
    """A model's contact points, grid and line elements as flat arrays for the kernel."""

    points: FloatArray
    areas: FloatArray
    thickness: FloatArray
    sd: FloatArray
    rest: FloatArray
    shape: NDArray[np.int64]
    origin: FloatArray
    spacing: float
    modulus: float
    depth_scale: float
    everything: NDArray[np.int64]
    line_p: FloatArray
    line_kind: NDArray[np.int64]
    line_share: FloatArray
    line_k: FloatArray
    line_slack: FloatArray
    line_toe: FloatArray
    wrap_centre: FloatArray
    wrap_radius: float
    n_bundles: int
    n_tendons: int


_packed: weakref.WeakKeyDictionary[Any, Packed] = weakref.WeakKeyDictionary()


def packed(model: PatellofemoralModel) -> Packed:
    """The model's arrays for the kernel, built once per model."""
    p = _packed.get(model)
    if p is not None:
        return p
    ext = model.extensor
    g = model.grid
    lines_p, kind, share, k, slack, toe = [], [], [], [], [], []
    for b in ext.bundles:
        lines_p.append(b.insertion_mm)
        kind.append(BUNDLE)
        share.append(b.share)
        k.append(0.0)
        slack.append(1.0)
        toe.append(0.0)
    for springs, kd in ((ext.tendons, SPRING_FLOOR), (ext.ligaments, SPRING)):
        for s in springs:
            lines_p.append(s.patella_mm)
            kind.append(kd)
            share.append(0.0)
            k.append(s.n_per_strain)
            slack.append(s.slack_length_mm)
            toe.append(s.toe_strain)
    c = model.contact
    p = Packed(
        # copies, writeable whatever the model's arrays are: numba compiles a read-only array
        # apart, and warm_up's stand-in must call the same signature
        points=np.array(c.points_mm, dtype=float, order="C"),
        areas=np.array(c.areas_mm2, dtype=float, order="C"),
        thickness=np.array(c.thickness_mm, dtype=float, order="C"),
        sd=g._sd,  # type: ignore[attr-defined]
        rest=g._rest,  # type: ignore[attr-defined]
        shape=np.array(g.shape, dtype=np.int64),
        origin=np.ascontiguousarray(g.origin_mm, dtype=float),
        spacing=float(g.spacing_mm),
        modulus=float(model.foundation_modulus_mpa),
        depth_scale=float(model.layer_depth_scale),
        everything=np.arange(len(c.points_mm), dtype=np.int64),
        line_p=np.ascontiguousarray(np.array(lines_p, dtype=float).reshape(-1, 3)),
        line_kind=np.array(kind, dtype=np.int64),
        line_share=np.array(share, dtype=float),
        line_k=np.array(k, dtype=float),
        line_slack=np.array(slack, dtype=float),
        line_toe=np.array(toe, dtype=float),
        wrap_centre=np.ascontiguousarray(ext.wrap_centre_mm, dtype=float),
        wrap_radius=float(ext.wrap_radius_mm),
        n_bundles=len(ext.bundles),
        n_tendons=len(ext.tendons),
    )
    _packed[model] = p
    return p


def far_ends(
    model: PatellofemoralModel, T_femur_tibia: FloatArray, T_femur_pelvis: FloatArray
) -> FloatArray:
    """Each line element's far end in the femur frame for this tibia and pelvis (fixed while one
    frame's patella pose is solved), in the kernel's line order."""
    ext = model.extensor
    rows = [apply(T_femur_pelvis, b.origin_mm) if b.on_pelvis else b.origin_mm
            for b in ext.bundles]
    rows += [apply(T_femur_tibia, s.other_mm) for s in ext.tendons]
    rows += [s.anchor_mm(T_femur_tibia) for s in ext.ligaments]
    return np.ascontiguousarray(np.array(rows, dtype=float).reshape(-1, 3))


@dataclass(frozen=True, eq=False)
class KernelWrench:
    """What one kernel call returns (arrays owned by the caller)."""

    force_n: FloatArray
    moment_nmm: FloatArray
    jacobian: FloatArray
    pressures_mpa: FloatArray
    contact_force_n: FloatArray
    points_femur_mm: FloatArray
    line_points_mm: FloatArray
    line_forces_n: FloatArray
    line_stiffness: FloatArray
    line_tensions_n: FloatArray
    distances_mm: FloatArray
    """Each contact point's signed distance to the cartilage (1e3 off the grid); NaN for points
    not in the subset evaluated."""


def evaluate(
    model: PatellofemoralModel,
    T_femur_patella: FloatArray,
    far: FloatArray,
    quadriceps_force_n: float,
    contact: bool,
    subset: NDArray[np.int64] | None,
) -> KernelWrench:
    """The compiled equivalent of equilibrium.evaluate (without an external load)."""
    km = _load()
    assert km is not None
    return _evaluate_packed(km, packed(model), T_femur_patella, far, quadriceps_force_n,
                            contact, subset)


def _evaluate_packed(
    km: ModuleType,
    pk: Packed,
    T_femur_patella: FloatArray,
    far: FloatArray,
    quadriceps_force_n: float,
    contact: bool,
    subset: NDArray[np.int64] | None,
) -> KernelWrench:
    """evaluate() on packed arrays (the warm-up calls it too: the same argument types)."""
    R = np.ascontiguousarray(T_femur_patella[:3, :3], dtype=float)
    o = np.ascontiguousarray(T_femur_patella[:3, 3], dtype=float)
    n = len(pk.points)
    n_lines = len(pk.line_p)
    fm = np.empty(6)
    jac = np.empty((6, 6))
    pts = np.empty((n, 3))
    press = np.empty(n)
    force = np.empty((n, 3))
    lp = np.empty((n_lines, 3))
    lf = np.empty((n_lines, 3))
    ls = np.empty((n_lines, 3, 3))
    lt = np.empty(n_lines)
    dist = np.full(n, np.nan)
    sub = pk.everything if subset is None else np.ascontiguousarray(subset, dtype=np.int64)
    km.wrench(
        R, o, float(quadriceps_force_n),
        pk.points, pk.areas, pk.thickness, pk.sd, pk.rest, pk.shape, pk.origin, pk.spacing,
        pk.modulus, pk.depth_scale, MIN_LAYER_MM, LOG_STRAIN_CAP, sub, bool(contact),
        pk.line_p, far, pk.line_kind, pk.line_share, pk.line_k, pk.line_slack, pk.line_toe,
        SLACK_JACOBIAN_FRACTION, pk.wrap_centre, pk.wrap_radius,
        fm, jac, pts, press, force, lp, lf, ls, lt, dist,
    )
    return KernelWrench(fm[:3], fm[3:], jac, press, force, pts, lp, lf, ls, lt, dist)


def distances(model: PatellofemoralModel, T_femur_patella: FloatArray) -> FloatArray:
    """DistanceGrid.distance of every contact point at this patella pose, compiled."""
    km = _load()
    assert km is not None
    return _distances_packed(km, packed(model), T_femur_patella)


def _distances_packed(km: ModuleType, pk: Packed, T_femur_patella: FloatArray) -> FloatArray:
    """distances() on packed arrays (the warm-up calls it too)."""
    out = np.empty(len(pk.points))
    km.distances(
        np.ascontiguousarray(T_femur_patella[:3, :3], dtype=float),
        np.ascontiguousarray(T_femur_patella[:3, 3], dtype=float),
        pk.points, pk.sd, pk.shape, pk.origin, pk.spacing, out,
    )
    return out


def warm_up() -> bool:
    """Compile the kernel now (or load it from numba's cache), on a tiny stand-in knee whose
    arrays are made as a real model's are, so the compiled signatures are the ones the solves
    call. False when the numpy version runs instead (nothing to compile).

    Why: the first compile takes 5-15 s, and the app's solve worker runs at the lowest CPU
    priority, where on a busy machine the compile of the first solve took 40 s. The worker
    calls this as it starts, at normal priority, while the window is still being built."""
    if not enabled():
        return False
    km = _load()
    assert km is not None
    from kneeviz.mechanics.contact import DistanceGrid

    grid = DistanceGrid(np.zeros(3), 1.0, np.ones((2, 2, 2, 5)))
    pk = Packed(
        points=np.full((1, 3), 0.5), areas=np.ones(1), thickness=np.ones(1),
        sd=grid._sd, rest=grid._rest,  # type: ignore[attr-defined]
        shape=np.array(grid.shape, dtype=np.int64),
        origin=np.ascontiguousarray(grid.origin_mm, dtype=float), spacing=1.0, modulus=1.0,
        depth_scale=1.0,
        everything=np.arange(1, dtype=np.int64),
        line_p=np.zeros((1, 3)), line_kind=np.array([SPRING], dtype=np.int64),
        line_share=np.zeros(1), line_k=np.ones(1), line_slack=np.ones(1),
        line_toe=np.full(1, 0.1), wrap_centre=np.zeros(3), wrap_radius=1.0,
        n_bundles=0, n_tendons=0)
    far = np.ascontiguousarray(np.array([[10.0, 0.0, 0.0]]))
    try:  # compiled before it runs: what the stand-in's numbers do afterwards does not matter
        _evaluate_packed(km, pk, np.eye(4), far, 1.0, True, None)
        _distances_packed(km, pk, np.eye(4))
    except ArithmeticError:
        pass
    return True
