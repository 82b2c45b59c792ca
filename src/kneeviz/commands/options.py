"""The command-line options every command shares, made from the declarations they describe.

Squat options come from kneeviz.scenario.PARAMETERS (flag, range, unit, help), knee options from
kneeviz.anatomy.knee_spec, so no range or flag is typed twice, and `simulate`, `render` and the
app accept the same words. The knee is loaded through the one loader, and what it repaired or
assumed is printed as warnings on stderr by every command alike.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kneeviz.anatomy.knee_spec import (
    DEFAULT_NAME,
    POPULATION_SIZE,
    SULCUS_ANGLE,
    KneeSpec,
    population_name,
)
from kneeviz.errors import KneevizError
from kneeviz.scenario import PARAMETERS, PRESETS, Scenario

if TYPE_CHECKING:
    from kneeviz.anatomy.knee import Anatomy
    from kneeviz.scenario_file import ScenarioFile


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def add_squat_options(parser: Any, *, exclude: Iterable[str] = (),
                      preset_help: str = "hip-control preset (default: healthy)") -> None:
    """--preset and one option per Scenario parameter (all default None: "not given")."""
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None, help=preset_help)
    skip = set(exclude)
    for name, p in PARAMETERS.items():
        if name in skip:
            continue
        parser.add_argument(p.flag, dest=_dest(p.flag), type=float, default=None,
                            metavar=p.metavar, help=f"{p.help} ({p.range_text()})")


def add_cartilage_options(parser: Any) -> None:
    """A knee MRI's --femur-cartilage / --patella-cartilage: declared once, for every command
    that opens a knee and for check-mesh (which reports how the layer sits and its thickness)."""
    parser.add_argument("--femur-cartilage", default=None, metavar="FILE",
                        help="segmented femoral cartilage mesh (same scan as the femur): used "
                             "instead of growing cartilage on the bone; check-mesh reports its "
                             "fit to the femur and its thickness")
    parser.add_argument("--patella-cartilage", default=None, metavar="FILE",
                        help="segmented patellar cartilage mesh (same scan as the patella)")


def add_knee_options(parser: Any) -> None:
    """--femur/--patella/--tibia/--pelvis (a patient's knee), a knee MRI's --femur-cartilage /
    --patella-cartilage or --labels with --label (issue 17), and --sulcus-angle (the
    default's)."""
    parser.add_argument("--femur", metavar="F", default=None,
                        help="femur mesh (with --patella and --tibia; default: the bundled knee)")
    parser.add_argument("--patella", metavar="P", default=None, help="patella mesh (same scan)")
    parser.add_argument("--tibia", metavar="T", default=None, help="tibia mesh (same scan)")
    parser.add_argument("--pelvis", metavar="PELVIS", default=None,
                        help="pelvis mesh (optional)")
    add_cartilage_options(parser)
    parser.add_argument("--labels", default=None, metavar="SCAN",
                        help="segmentation label map (.nii, .nii.gz, .seg.nrrd) instead of mesh "
                             "files; name its labels with --label")
    parser.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                        help="a label of --labels: femur=1 patella=2 tibia=3 (required), "
                             "pelvis, femur_cartilage, patella_cartilage (optional); repeat")
    parser.add_argument("--knee", default=None, metavar="NAME",
                        help=f"a knee by name: {DEFAULT_NAME} (the bundled knee) or a population "
                             f"knee, {population_name(1)} .. {population_name(POPULATION_SIZE)} "
                             "(the LLP26 training limbs)")
    p = SULCUS_ANGLE
    parser.add_argument(p.flag, type=float, default=None, metavar=p.metavar,
                        help=f"{p.help} ({p.range_text()})")


def scenario_from_options(args: argparse.Namespace, base: Scenario | None = None,
                          **fixed: float | None) -> Scenario:
    """`base` (a scenario file's, else the healthy squat) with --preset's hip settings and every
    option given; `fixed` are values the command itself sets (given options win)."""
    preset = getattr(args, "preset", None)
    if base is None:
        scenario = Scenario.from_preset(preset or "healthy")
    else:
        scenario = base.for_preset(preset) if preset else base
    changes: dict[str, float | None] = dict(fixed)
    for name, p in PARAMETERS.items():
        value = getattr(args, _dest(p.flag), None)
        if value is not None:
            changes[name] = value
    return scenario.with_changes(**changes)


def knee_spec_from_options(args: argparse.Namespace, doc: ScenarioFile | None = None) -> KneeSpec:
    """The knee the options name; with none, the scenario file's knee, else the default knee."""
    files = [getattr(args, b, None) for b in ("femur", "patella", "tibia", "pelvis")]
    mri = {k: getattr(args, k, None) for k in ("femur_cartilage", "patella_cartilage", "labels")}
    specs = getattr(args, "label", None) or []
    sulcus = getattr(args, "sulcus_angle", None)
    named = getattr(args, "knee", None)
    if named is not None:
        spec = KneeSpec.from_name(named)
        if any(f is not None for f in files) or any(v is not None for v in mri.values()):
            raise KneevizError(f"--knee {named} names a whole knee: give it without mesh files")
    elif any(f is not None for f in files) or any(v is not None for v in mri.values()) or specs:
        from kneeviz.anatomy.labelmap import parse_label_specs

        spec = KneeSpec.from_files(*files, **mri, label_values=parse_label_specs(specs))
    elif doc is not None:
        spec = doc.knee.spec
    else:
        spec = KneeSpec()
    if sulcus is not None:
        spec = spec.with_sulcus(sulcus)
    return spec.validate()


def load_knee_from_options(args: argparse.Namespace, doc: ScenarioFile | None = None,
                           warnings: list[str] | None = None) -> Anatomy:
    """Load the knee the options name (see knee_spec_from_options); print what the loader
    repaired or assumed as `kneeviz: warning:` lines (also appended to `warnings`)."""
    from kneeviz.anatomy.loader import load_knee

    found: list[str] = []
    anatomy = load_knee(knee_spec_from_options(args, doc), found)
    for w in found:  # what was repaired or assumed: the user should know
        print(f"kneeviz: warning: {w}", file=sys.stderr)
    if warnings is not None:
        warnings.extend(found)
    return anatomy
