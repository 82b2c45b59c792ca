"""Draw docs/images/layers.png: kneeviz's layers as the import-linter contract in pyproject.toml
states them (top: may import everything below; bottom: imports nothing of kneeviz).

The picture is made from the contract itself, so after a change to the layers run
`.venv/bin/python scripts/draw_layers.py` and commit the new PNG. matplotlib is installed with
pyvista's dependencies; nothing else is needed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images" / "layers.png"

WHAT = {
    "kneeviz.cli": "the `kneeviz` command: parses, dispatches, one-line errors",
    "kneeviz.commands": "simulate, render, check-mesh, app, build-default-knee ...",
    "kneeviz.app": "PyQt6, in rooms of its own: window > panels > state > support",
    "kneeviz.scene": "pyvista/VTK: actors posed by matrices, overlays, offscreen render",
    "kneeviz.trajectory_file": "the one writer of results",
    "kneeviz.scenario_file": "saved scenarios",
    "kneeviz.simulation": "simulate(anatomy, scenario) -> Trajectory",
    "kneeviz.mechanics": "contact, soft tissues, equilibrium solver, measures",
    "kneeviz.motion": "the squat, Walker coupling, recorded motions",
    "kneeviz.scenario": "Scenario: every squat and tissue parameter, declared once",
    "kneeviz.anatomy": "meshes, landmarks, frames, the default knee, partial bones",
    "kneeviz.cache": "verified per-user cache entries",
    "kneeviz.measure_table": "every per-frame value",
    "kneeviz.atomic": "atomic writes",
    "kneeviz.transforms": "4x4 T_to_from",
    "kneeviz.parameter": "what a parameter is",
    "kneeviz.file_paths": "which part of a path is wrong",
    "kneeviz.errors": "KneevizError: one line a user can act on",
}
MODEL_COLOUR, VIEW_COLOUR, BASE_COLOUR = "#dbe8f5", "#f8e3c8", "#e6e6e6"
VIEW_LAYERS = {"kneeviz.cli", "kneeviz.commands", "kneeviz.app", "kneeviz.scene"}


def contract() -> tuple[list[tuple[list[str], str]], set[str]]:
    """The layers, top first, each as (sibling modules, separator: "|" independent siblings that
    may not import each other, ":" siblings that may), and the modules forbidden Qt/VTK."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers: list[tuple[list[str], str]] = []
    pure: set[str] = set()
    for c in data["tool"]["importlinter"]["contracts"]:
        if c["type"] == "layers" and not c.get("containers"):  # not the app's rooms
            for layer in c["layers"]:
                sep = "|" if "|" in layer else ":"
                layers.append(([m.strip() for m in re.split(r"[|:]", layer)], sep))
        elif c["type"] == "forbidden":
            pure |= set(c["source_modules"])
    return layers, pure


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    layers, pure = contract()
    row_h, gap, width, boxes_w = 0.62, 0.16, 11.0, 8.2
    height = len(layers) * (row_h + gap) + 2.2
    fig, ax = plt.subplots(figsize=(width, height * 0.62), dpi=110)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    y = height - 0.9
    top = y
    ax.text(0.1, height - 0.35, "kneeviz layers (pyproject.toml, `lint-imports`): a module imports "
            "only from rows below its own", fontsize=10.5, weight="bold", va="center")
    for row, sep in layers:
        y -= row_h + gap
        n = len(row)
        box_w = (boxes_w - 0.25 * (n - 1)) / n
        for k, mod in enumerate(row):
            x = 0.1 + k * (box_w + 0.25)
            if k:
                ax.text(x - 0.125, y + row_h / 2, sep, fontsize=13, ha="center", va="center",
                        weight="bold", color="#444444")
            colour = (VIEW_COLOUR if mod in VIEW_LAYERS else
                      MODEL_COLOUR if mod in pure or mod in {"kneeviz.simulation"} else BASE_COLOUR)
            ax.add_patch(FancyBboxPatch((x, y), box_w, row_h, boxstyle="round,pad=0.02",
                                        fc=colour, ec="#555555", lw=0.8))
            ax.text(x + 0.08, y + row_h * 0.68, mod.removeprefix("kneeviz."), fontsize=9.5,
                    weight="bold", va="center")
            ax.text(x + 0.08, y + row_h * 0.28, WHAT.get(mod, ""), fontsize=7.2 if n > 1 else 8,
                    va="center", color="#333333")
    arrow_x = boxes_w + 0.5
    ax.annotate("", xy=(arrow_x, y + 0.1), xytext=(arrow_x, top),
                arrowprops={"arrowstyle": "->", "color": "#777777", "lw": 1.2})
    ax.text(arrow_x + 0.15, (y + top) / 2, "imports\npoint\ndownwards\nonly", fontsize=9,
            va="center", color="#555555")
    legend = [(VIEW_COLOUR, "Qt / VTK / pyvista allowed"),
              (MODEL_COLOUR, "model layers: Qt, VTK and pyvista forbidden (its own contract)"),
              (BASE_COLOUR, "shared helpers, no GUI")]
    for i, (colour, words) in enumerate(legend):
        xx = 0.1 + (0.0, 2.7, 7.0)[i]
        yy = y - 0.75
        ax.add_patch(FancyBboxPatch((xx, yy), 0.3, 0.3, boxstyle="round,pad=0.01",
                                    fc=colour, ec="#555555", lw=0.6))
        ax.text(xx + 0.4, yy + 0.15, words, fontsize=7.5, va="center")
    ax.text(0.1, y - 1.2, "a | b: siblings that may not import each other;  a : b: siblings "
            "that may", fontsize=7.5, va="center", color="#333333")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_name(".layers.tmp.png")
    fig.savefig(tmp, bbox_inches="tight")
    tmp.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
