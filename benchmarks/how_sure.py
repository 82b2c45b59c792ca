"""How sure is the picture (issue 28): the answers of docs/validation.md, "How sure", from sweeps.

Run the studies first (each resumes if stopped; a few hundred runs each, niced):

    for q in q1_coupling q2_population q3_extension sobol_pfp; do
      nice -n 10 .venv/bin/kneeviz sweep benchmarks/studies/$q.toml --out /tmp/howsure/$q.parquet
    done

then print the answers and draw the figures into docs/images/:

    nice -n 10 .venv/bin/python benchmarks/how_sure.py /tmp/howsure [q1] [q2] [q3] [sobol] [band]

q1: how far the kneecap turns with the femur (typical PFP minus healthy, the kneecap's turn over
    the femur's, in the image frame as Souza et al. 2010 measured) over the uncertainty table;
    which parameters decide it (Spearman); the runs nearest the MRI study's picture and what they
    cost elsewhere (the 10 mm lateral glide test against Senavongse et al. 2003, the retinacula's
    loads against their failure loads).
q2: the hip's effect on tilt and shift at 0-45 deg in each of the 26 population knees and the
    bundled knee; the figure how_sure_population.png.
q3: near full extension (0 and 15 deg): the effect of patella alta (Insall-Salvati 1.0 -> 1.3), a
    weak VMO (1.0 -> 0.5) and the femur's turn (healthy -> PFP), over the uncertainty table, and
    which parameters decide each.
sobol: Sobol indices of the PFP squat's tilt and shift at 15 and 30 deg; how_sure_tornado.png.
band: how the app's band edges move with the number of runs (12, 24, 48) on the PFP squat.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from kneeviz.study.design import read_design
from kneeviz.study.sensitivity import rank_correlations, sensitivity_of, tornado_png
from kneeviz.uncertainty import UNCERTAINTY

STUDIES = Path(__file__).resolve().parent / "studies"
IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
ANGLES = (0, 15, 30, 45)
NAMES = tuple(u.name for u in UNCERTAINTY)


def table(folder: Path, study: str) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    t = pq.read_table(folder / f"{study}.parquet").to_pydict()
    out: dict[str, np.ndarray] = {}
    for k, v in t.items():
        if v and isinstance(next((x for x in v if x is not None), None), float | int):
            out[k] = np.array([np.nan if x is None else x for x in v], dtype=float)
        else:
            out[k] = np.array(v, dtype=object)
    return out


def status_line(t: dict[str, np.ndarray]) -> str:
    from collections import Counter

    c = Counter(t["status"].tolist())
    return ", ".join(f"{n} {s}" for s, n in c.most_common())


def paired(t: dict[str, np.ndarray], case_a: str, case_b: str) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of case_a and case_b, matched by sample (and knee)."""
    a = {(k, s): i for i, (k, s, c) in enumerate(zip(t["knee"], t["sample"], t["case"],
                                                     strict=True)) if c == case_a}
    b = {(k, s): i for i, (k, s, c) in enumerate(zip(t["knee"], t["sample"], t["case"],
                                                     strict=True)) if c == case_b}
    keys = [k for k in a if k in b]
    return np.array([a[k] for k in keys]), np.array([b[k] for k in keys])


def q1(folder: Path) -> None:
    t = table(folder, "q1_coupling")
    print(f"Q1: {len(t['status'])} runs ({status_line(t)})")
    h, p = paired(t, "preset=healthy", "preset=pfp")
    x = np.column_stack([t[n][h] for n in NAMES])
    coupling = {}
    for a in ANGLES:
        dF = t[f"femur_rotation_world_deg_at{a}"][p] - t[f"femur_rotation_world_deg_at{a}"][h]
        dP = t[f"patella_rotation_world_deg_at{a}"][p] - t[f"patella_rotation_world_deg_at{a}"][h]
        coupling[a] = dP / dF
        c = coupling[a][np.isfinite(coupling[a])]
        print(f"  at {a:2d} deg: femur turns {np.nanmedian(dF):.1f} deg more; kneecap's turn "
              f"{100 * np.median(c):.0f} % of it (5-95 %: {100 * np.percentile(c, 5):.0f}-"
              f"{100 * np.percentile(c, 95):.0f} %, min {100 * c.min():.0f} %, max "
              f"{100 * c.max():.0f} %; {c.size} pairs)")
        s = rank_correlations(f"coupling at {a} deg", NAMES, x, coupling[a])
        top = s.order()[:3]
        print("    decided by: " + ", ".join(f"{NAMES[i]} {s.first[i]:+.2f}" for i in top))
    mean_c = np.nanmean(np.column_stack([coupling[a] for a in ANGLES]), axis=1)
    s = rank_correlations("mean coupling 0-45 deg", NAMES, x, mean_c)
    print("  mean coupling over 0-45 deg, rank correlations:")
    for i in s.order():
        print(f"    {NAMES[i]:40s} {s.first[i]:+.2f}")
    order = np.argsort(mean_c)
    print("  the five runs with the least coupling (mean 0-45 deg) and their settings:")
    for j in order[:5]:
        print(f"    {100 * mean_c[j]:.0f} %: " + ", ".join(
            f"{n}={x[j, k]:.3g}" for k, n in enumerate(NAMES)))
    _costs(t, h, p, x, order[:3], mean_c)


def _costs(t: dict[str, np.ndarray], h: np.ndarray, p: np.ndarray, x: np.ndarray,
           picks: np.ndarray, mean_c: np.ndarray) -> None:
    """What the least-coupled settings cost elsewhere, beside the default tissues: the 10 mm
    lateral glide, the PFP squat's peak retinacular loads, and the healthy squat's own tracking."""
    from kneeviz.anatomy.knee_spec import KneeSpec
    from kneeviz.anatomy.loader import load_knee
    from kneeviz.mechanics.muscles import FAILURE_LOAD_N
    from kneeviz.mechanics.stability import glides_at
    from kneeviz.scenario import Scenario
    from kneeviz.simulation import model_for, simulate

    knee = load_knee(KneeSpec())
    settings = [("default tissues", Scenario())]
    for j in picks:
        settings.append((f"coupling {100 * mean_c[j]:.0f} %", Scenario().with_changes(
            **dict(zip(NAMES, map(float, x[j]), strict=True)))))
    print("  cost elsewhere: the 10 mm lateral glide (Senavongse 2003: 125 N at 0 deg, 74 N at "
          "20 deg), the PFP squat's peak retinacular loads (failure: MPFL "
          f"{FAILURE_LOAD_N['MPFL']:.0f} N, lateral patellofemoral ligament "
          f"{FAILURE_LOAD_N['LPFL']:.0f} N, iliotibial-patellar band "
          f"{FAILURE_LOAD_N['IPB']:.0f} N) and the HEALTHY squat's tilt / shift at 0 and 15 deg")
    for label, s in settings:
        g = glides_at(knee, model_for(knee, s), (0.0, 20.0))
        pfp = simulate(knee, s.for_preset("pfp").with_changes(frame_rate_hz=20.0))
        healthy = simulate(knee, s.with_changes(frame_rate_hz=20.0))
        bottom = int(np.argmax(pfp["knee_flexion_deg"])) + 1
        mpfl = float(np.max(pfp["mpfl_tension_n"][:bottom]))
        lat = float(np.max(pfp["lateral_retinaculum_tension_n"][:bottom]))
        from kneeviz.study.summary import summarise

        hs = summarise(healthy.values, healthy.converged)
        print(f"    {label:16s} glide {g[0.0].force_n:3.0f} N at 0 deg, {g[20.0].force_n:3.0f} N "
              f"at 20 deg; PFP squat: MPFL up to {mpfl:3.0f} N, lateral retinaculum "
              f"{lat:3.0f} N; healthy: tilt {hs['patella_lateral_tilt_deg_at0']:+.1f} / "
              f"{hs['patella_lateral_tilt_deg_at15']:+.1f} deg, shift "
              f"{hs['patella_lateral_shift_mm_at0']:+.1f} / "
              f"{hs['patella_lateral_shift_mm_at15']:+.1f} mm")


def q2(folder: Path) -> None:
    t = table(folder, "q2_population")
    print(f"Q2: {len(t['status'])} runs ({status_line(t)})")
    h, p = paired(t, "preset=healthy", "preset=pfp")
    knees = t["knee"][h]
    pop = np.array([k.startswith("atlas:") for k in knees])
    diffs: dict[str, dict[int, np.ndarray]] = {}
    for key, unit in (("patella_lateral_tilt_deg", "deg"), ("patella_lateral_shift_mm", "mm")):
        diffs[key] = {}
        for a in ANGLES:
            d = t[f"{key}_at{a}"][p] - t[f"{key}_at{a}"][h]
            diffs[key][a] = d
            dp = d[pop]
            ok = dp[np.isfinite(dp)]
            bundled = d[~pop][0] if (~pop).any() else np.nan
            print(f"  {key} at {a:2d} deg: median {np.median(ok):+.1f} {unit}, range "
                  f"{ok.min():+.1f} to {ok.max():+.1f}; outward in {int((ok > 0).sum())} of "
                  f"{ok.size} knees ({int(pop.sum()) - ok.size} without a value); bundled knee "
                  f"{bundled:+.1f}")
    bad = [f"{k}: {s} ({r})" for k, s, r in zip(t["knee"], t["status"], t["reason"],
                                                 strict=True) if s != "solved"]
    for line in bad:
        print("   not solved: " + line)
    _population_figure(knees, pop, diffs)


def _population_figure(knees: np.ndarray, pop: np.ndarray,
                       diffs: dict[str, dict[int, np.ndarray]]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from kneeviz.atomic import atomic_write_with

    fig = Figure(figsize=(8.0, 3.6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    rng = np.random.default_rng(0)
    n = int(np.isfinite(diffs["patella_lateral_tilt_deg"][ANGLES[0]][pop]).sum())
    for ax, (key, title) in zip(axes, (("patella_lateral_tilt_deg", "Kneecap tilt (deg)"),
                                       ("patella_lateral_shift_mm", "Kneecap shift (mm)")),
                                strict=True):
        for k, a in enumerate(ANGLES):
            d = diffs[key][a]
            jitter = rng.uniform(-0.18, 0.18, int(pop.sum()))
            ax.scatter(k + jitter, d[pop], s=14, color="#3182bd", alpha=0.75,
                       label="population knee" if k == 0 else None)
            ax.plot([k - 0.3, k + 0.3], [np.nanmedian(d[pop])] * 2, color="0.2", linewidth=2,
                    label="median" if k == 0 else None)
            if (~pop).any():
                ax.scatter([k], d[~pop][:1], marker="D", s=40, color="#de2d26", zorder=3,
                           label="bundled knee" if k == 0 else None)
        ax.axhline(0.0, color="0.5", linewidth=0.8)
        ax.set_xticks(range(len(ANGLES)), [f"{a} deg" for a in ANGLES])
        ax.set_xlabel("knee flexion")
        ax.set_title(f"{title}: typical PFP minus healthy\n(+ outward)", fontsize=9)
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"The hip's effect in {n} population knees (LLP26 training limbs) and the "
                 "bundled knee", fontsize=9)
    IMAGES.mkdir(parents=True, exist_ok=True)
    out = IMAGES / "how_sure_population.png"
    atomic_write_with(out, lambda tmp: fig.savefig(tmp, format="png"), what="draw the figure")
    print(f"  figure -> {out}")


def q3(folder: Path) -> None:
    t = table(folder, "q3_extension")
    print(f"Q3: {len(t['status'])} runs ({status_line(t)})")
    design = read_design(STUDIES / "q3_extension.toml")
    names = design.sampled
    base = "insall_salvati_ratio=1, vmo_strength=1, preset="
    effects = {
        "patella alta (Insall-Salvati 1.0 -> 1.3)": (
            base + "healthy", "insall_salvati_ratio=1.3, vmo_strength=1, preset=healthy"),
        "weak VMO (strength 1.0 -> 0.5)": (
            base + "healthy", "insall_salvati_ratio=1, vmo_strength=0.5, preset=healthy"),
        "the femur's turn (healthy -> typical PFP)": (base + "healthy", base + "pfp"),
        "all three together": (base + "healthy",
                               "insall_salvati_ratio=1.3, vmo_strength=0.5, preset=pfp"),
    }
    for label, (a_case, b_case) in effects.items():
        a, b = paired(t, a_case, b_case)
        x = np.column_stack([t[n][a] for n in names])
        print(f"  {label} ({len(a)} pairs):")
        for key, unit in (("patella_lateral_shift_mm", "mm"), ("patella_lateral_tilt_deg", "deg"),
                          ("bisect_offset_pct", "%")):
            for ang in (0, 15):
                d = t[f"{key}_at{ang}"][b] - t[f"{key}_at{ang}"][a]
                ok = d[np.isfinite(d)]
                s = rank_correlations(key, names, x, d)
                top = ", ".join(f"{names[i]} {s.first[i]:+.2f}" for i in s.order()[:2])
                print(f"    {key} at {ang:2d} deg: {np.median(ok):+.1f} {unit} (5-95 %: "
                      f"{np.percentile(ok, 5):+.1f} to {np.percentile(ok, 95):+.1f}; "
                      f"{ok.size} runs); decided by {top}")


def sobol(folder: Path) -> None:
    t = table(folder, "sobol_pfp")
    design = read_design(STUDIES / "sobol_pfp.toml")
    print(f"Sobol: {len(t['status'])} runs ({status_line(t)})")
    results = []
    from kneeviz.measure_table import by_key

    for key in ("patella_lateral_tilt_deg", "patella_lateral_shift_mm"):
        for ang in (15, 30):
            column = f"{key}_at{ang}"
            words = by_key()[key].short
            s = sensitivity_of(design, t[column], f"{words} at {ang} deg, typical PFP")
            print(s.text())
            results.append(s)
    out = tornado_png(results, IMAGES / "how_sure_tornado.png",
                      title="Which uncertain tissue property moves the PFP squat's kneecap")
    print(f"  tornado chart -> {out}")


def band() -> None:
    from kneeviz.anatomy.knee_spec import KneeSpec
    from kneeviz.anatomy.loader import load_knee
    from kneeviz.scenario import Scenario
    from kneeviz.study.band import compute_band

    knee = load_knee(KneeSpec())
    pfp = Scenario.from_preset("pfp")
    import os

    for n in (12, 24, 48):
        t0 = time.perf_counter()
        b = compute_band(knee, pfp, n_runs=n)
        flex = b.knee_flexion_deg[: int(np.argmax(b.knee_flexion_deg)) + 1]
        cols = [int(np.argmin(np.abs(flex - a))) for a in (0, 15, 30, 45)]
        tilt = b.values["patella_lateral_tilt_deg"][:, cols]
        shift = b.values["patella_lateral_shift_mm"][:, cols]
        print(f"  band of {n:2d} runs ({time.perf_counter() - t0:.0f} s, load "
              f"{os.getloadavg()[0]:.1f}): tilt 5-95 % at 0/15/30/45 deg "
              + " ".join(f"{lo:.1f}..{hi:.1f}" for lo, hi in zip(tilt[0], tilt[2], strict=True))
              + "; shift " + " ".join(f"{lo:.1f}..{hi:.1f}"
                                      for lo, hi in zip(shift[0], shift[2], strict=True)))


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/howsure")
    which = sys.argv[2:] or ["q1", "q2", "q3", "sobol", "band"]
    for w in which:
        {"q1": lambda: q1(folder), "q2": lambda: q2(folder), "q3": lambda: q3(folder),
         "sobol": lambda: sobol(folder), "band": band}[w]()


if __name__ == "__main__":
    main()
