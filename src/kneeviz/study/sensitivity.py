"""Which uncertain parameters move a figure most: Sobol indices or rank correlations, and a chart.

A Sobol design (Saltelli's sampling, kneeviz.study.design) gives each parameter's first-order
index S1 (the share of the figure's variance it causes alone) and total index ST (alone and with
the others), with bootstrap confidence intervals, by SALib's estimator. A Latin-hypercube design
gives Spearman's rank correlation of the figure with each parameter (scipy): its sign says the
direction, its size how monotonically the figure follows the parameter. Either is printed as a
table and drawn as a tornado chart (the parameters as bars, largest on top), which names the figure
and the number of runs it took. Failed runs (NaN figures) cannot enter a Sobol estimate: then the
rank correlations of the runs that solved are given instead, and the text says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kneeviz.scenario import PARAMETERS

if TYPE_CHECKING:
    from kneeviz.study.design import Design


@dataclass(frozen=True)
class Sensitivity:
    """The sensitivity of one figure to each sampled parameter."""

    figure: str
    method: str
    """"sobol" (first and total order indices) or "spearman" (rank correlations)."""
    names: tuple[str, ...]
    first: np.ndarray
    """S1, or Spearman's rho."""
    total: np.ndarray
    """ST (NaN for rank correlations)."""
    first_conf: np.ndarray
    total_conf: np.ndarray
    n_runs: int
    note: str = ""

    def order(self) -> np.ndarray:
        """Parameter indices, most influential first (ST, or |rho|)."""
        key = self.total if self.method == "sobol" else np.abs(self.first)
        return np.argsort(-np.nan_to_num(key, nan=-1.0))

    def text(self) -> str:
        """A table for the terminal."""
        lines = [f"{self.figure}: {self.method} sensitivity from {self.n_runs} runs"
                 + (f" ({self.note})" if self.note else "")]
        if self.method == "sobol":
            lines.append(f"  {'parameter':40s} {'S1':>14s} {'ST':>14s}")
            for i in self.order():
                lines.append(f"  {self.names[i]:40s} {self.first[i]:6.2f} +- "
                             f"{self.first_conf[i]:4.2f} {self.total[i]:6.2f} +- "
                             f"{self.total_conf[i]:4.2f}")
        else:
            lines.append(f"  {'parameter':40s} {'rank corr.':>10s}")
            for i in self.order():
                lines.append(f"  {self.names[i]:40s} {self.first[i]:+10.2f}")
        return "\n".join(lines)


def rank_correlations(figure: str, names: tuple[str, ...], x: np.ndarray, y: np.ndarray,
                      note: str = "") -> Sensitivity:
    """Spearman's rho of `y` with each column of `x`, over the runs with a finite `y`."""
    from scipy.stats import spearmanr

    ok = np.isfinite(y)
    rho = np.full(len(names), np.nan)
    if ok.sum() >= 3:
        for k in range(len(names)):
            xk = x[ok, k]
            if np.ptp(xk) > 0 and np.ptp(y[ok]) > 0:
                rho[k] = float(spearmanr(xk, y[ok]).statistic)
    nan = np.full(len(names), np.nan)
    return Sensitivity(figure, "spearman", names, rho, nan, nan, nan, int(ok.sum()), note)


def sobol_indices(figure: str, names: tuple[str, ...], x: np.ndarray, y: np.ndarray,
                  seed: int = 1) -> Sensitivity:
    """First and total Sobol indices of `y` (in the design's Saltelli order) with SALib; the rank
    correlations instead when a run has no value (see the module docstring)."""
    if not np.all(np.isfinite(y)):
        bad = int((~np.isfinite(y)).sum())
        return rank_correlations(figure, names, x, y, note=f"{bad} of {len(y)} runs without a "
                                 "value: no Sobol estimate, rank correlations")
    from SALib.analyze import sobol

    from kneeviz.study.design import salib_problem

    r = sobol.analyze(salib_problem(names), y, calc_second_order=False, seed=seed)
    return Sensitivity(figure, "sobol", names, np.asarray(r["S1"]), np.asarray(r["ST"]),
                       np.asarray(r["S1_conf"]), np.asarray(r["ST_conf"]), len(y))


def sensitivity_of(design: Design, y: np.ndarray, figure: str) -> Sensitivity:
    """`y` (one value per sample row, in sample order) against the design's sample: Sobol
    indices for a Sobol design, rank correlations for a Latin hypercube."""
    if design.method == "sobol":
        return sobol_indices(figure, design.sampled, design.sample_values, y)
    return rank_correlations(figure, design.sampled, design.sample_values, y)


def tornado_png(results: list[Sensitivity], path: str | Path, title: str = "") -> Path:
    """Draw a tornado chart (one panel per figure) into a PNG, atomically; matplotlib's own
    renderer (Agg), no window."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from kneeviz.atomic import atomic_write_with

    n = len(results)
    n_params = max(len(r.names) for r in results)
    cols = 2 if n >= 4 else 1
    rows = -(-n // cols)
    fig = Figure(figsize=(7.5 * cols, 0.9 + rows * (0.45 + 0.32 * n_params)), dpi=100,
                 layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.subplots(rows, cols, squeeze=False)
    axes = [grid[k // cols, k % cols] for k in range(n)]
    for ax in grid.flat[n:]:
        ax.set_visible(False)
    for ax, r in zip(axes, results, strict=True):
        order = r.order()[::-1]  # the largest on top
        labels = [PARAMETERS[r.names[i]].label if r.names[i] in PARAMETERS else r.names[i]
                  for i in order]
        pos = np.arange(len(order))
        if r.method == "sobol":
            ax.barh(pos, r.total[order], xerr=r.total_conf[order], color="#9ecae1",
                    label="total (ST)", capsize=2)
            ax.barh(pos, r.first[order], height=0.45, xerr=r.first_conf[order],
                    color="#3182bd", label="first order (S1)", capsize=2)
            ax.set_xlim(0.0, max(1.0, float(np.nanmax(r.total + r.total_conf)) * 1.05))
            ax.set_xlabel("Sobol index (share of the figure's variance)")
            ax.legend(loc="lower right", fontsize=8)
        else:
            rho = np.nan_to_num(r.first[order])
            ax.barh(pos, rho, color=np.where(rho >= 0, "#de2d26", "#3182bd"))
            ax.axvline(0.0, color="0.3", linewidth=0.8)
            ax.set_xlim(-1.0, 1.0)
            ax.set_xlabel("Spearman rank correlation (+: the figure rises with the parameter)")
        ax.set_yticks(pos, labels, fontsize=8)
        ax.set_title(f"{r.figure} ({r.n_runs} runs)" + (f"\n{r.note}" if r.note else ""),
                     fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    out = Path(path)
    atomic_write_with(out, lambda tmp: fig.savefig(tmp, format="png"), what="draw the chart")
    return out
