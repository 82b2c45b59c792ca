"""A study's design: which knees, which squats, which tissue settings, as a list of runs.

Two ways to write one, both refused whole before any run starts when anything in them is wrong
(an unknown column or key, a value outside its declared range, a missing knee file, an unknown
knee), with one line naming the file, the row or key, and the column:

- a CSV table, one run per row: a `knee` column ("default", "atlas:07") or the mesh files of a
  patient's knee (`femur`, `patella`, `tibia`, optional `pelvis`, paths relative to the design
  file), a `preset` column, and any scenario parameter (kneeviz.scenario: the hip, the squat, the
  tissue model); an empty cell keeps the default.

- a TOML file: knees crossed with cases crossed with a sample,

      knees = ["default", "atlas:01"]      # or "population" for atlas:01 .. atlas:26, or
                                          # {femur = "f.stl", patella = "p.stl", tibia = "t.stl"}
      [fixed]                             # scenario parameters of every run
      frame_rate_hz = 20
      [cases]                             # every combination of these values
      preset = ["healthy", "pfp"]
      [sample]                            # a sample of the uncertainty table (SALib)
      method = "lhs"                      # or "sobol" (Saltelli's scheme, first and total order)
      n = 128                             # runs (lhs) or base samples N (sobol: N (D + 2) runs)
      seed = 1
      parameters = ["mpfl_stiffness_scale", "cartilage_modulus_mpa"]   # default: the whole table

Each run is identified by a hash of everything its result depends on (the knee: its name or its
files' contents; every scenario parameter; the kneeviz version), so a study resumes where it
stopped and a rerun of a finished design solves nothing (kneeviz.study.store).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kneeviz import __version__
from kneeviz.anatomy.knee_spec import (
    BONES,
    DEFAULT_NAME,
    REQUIRED_BONES,
    KneeSpec,
)
from kneeviz.errors import KneevizError
from kneeviz.scenario import PARAMETERS, PRESETS, Scenario
from kneeviz.uncertainty import BY_NAME, NORMAL, UNCERTAINTY

POPULATION = "population"
"""In a TOML design's knees: all 26 population knees."""
METHODS = ("lhs", "sobol")
MAX_RUNS = 200_000
"""A design bigger than this is refused (a typo in n, not a study)."""
MAX_DESIGN_BYTES = 20_000_000


@dataclass(frozen=True)
class Run:
    """One squat of a study: its knee, its scenario (every parameter) and where it came from."""

    index: int
    """Its place in the design (the order a sensitivity analysis reads the results in)."""
    knee: KneeSpec
    knee_name: str
    """The knee as the design names it ("default", "atlas:07", or the femur file's stem)."""
    knee_identity: str
    """What the knee is made of, for the run's key: its name, or its files' SHA-256."""
    scenario: Scenario
    sample: int = -1
    """The row of the design's sample it takes its tissue values from (-1: no sample)."""
    case: str = ""
    """The design's case ("preset=pfp, vmo_strength=0.5"; "" for a CSV row or no cases)."""

    @property
    def key(self) -> str:
        """A hash of everything the result depends on: the run's name on disk."""
        payload = json.dumps({"kneeviz": __version__, "knee": self.knee_identity,
                              "scenario": self.scenario.to_dict()}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def inputs(self) -> dict[str, Any]:
        """The run's inputs as table columns (plain types)."""
        return {"run": self.key, "index": self.index, "knee": self.knee_name,
                "case": self.case, "sample": self.sample, **self.scenario.to_dict()}


@dataclass(frozen=True)
class Design:
    """The runs of a study, and the sample's parameters (for its sensitivity analysis)."""

    runs: tuple[Run, ...]
    source: str
    method: str = ""
    """"lhs", "sobol" or "" (no sample)."""
    sampled: tuple[str, ...] = ()
    """The uncertainty table's parameters the sample varies, in its column order."""
    n_samples: int = 0
    sample_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    """(n_samples, len(sampled)): the sample itself."""

    def knees(self) -> list[KneeSpec]:
        """The distinct knees, in design order."""
        seen: dict[str, KneeSpec] = {}
        for r in self.runs:
            seen.setdefault(r.knee_identity, r.knee)
        return list(seen.values())


def salib_problem(names: tuple[str, ...]) -> dict[str, Any]:
    """The SALib problem of these uncertainty-table parameters: bounds and distributions."""
    bounds: list[list[float]] = []
    dists: list[str] = []
    for n in names:
        u = BY_NAME[n]
        if u.distribution == NORMAL:
            bounds.append([u.low, u.high, u.mean, u.sd])
            dists.append("truncnorm")
        else:
            bounds.append([u.low, u.high])
            dists.append("unif")
    return {"num_vars": len(names), "names": list(names), "bounds": bounds, "dists": dists}


def draw_sample(method: str, names: tuple[str, ...], n: int, seed: int) -> np.ndarray:
    """A sample of the uncertainty table's `names`: (runs, len(names)). "lhs": n Latin-hypercube
    points; "sobol": Saltelli's scheme for first and total order indices, n (D + 2) points."""
    from SALib.sample import latin
    from SALib.sample import sobol as saltelli

    problem = salib_problem(names)
    if method == "lhs":
        x = latin.sample(problem, n, seed=seed)
    else:
        x = saltelli.sample(problem, n, calc_second_order=False, seed=seed)
    # a truncated normal's inverse CDF can land a rounding error outside its bounds
    lo = np.array([BY_NAME[k].low for k in names])
    hi = np.array([BY_NAME[k].high for k in names])
    return np.clip(np.asarray(x, dtype=float), lo, hi)


# -- reading ------------------------------------------------------------------------------------
def read_design(path: str | Path) -> Design:
    """The design in `path` (.toml or .csv), checked whole (see the module docstring)."""
    from kneeviz.safe_read import read_bounded

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise KneevizError("a design is a .toml or .csv file", p)
    try:
        text = read_bounded(p, MAX_DESIGN_BYTES, "design").decode("utf-8")
    except UnicodeDecodeError:
        raise KneevizError("is not a text file (UTF-8)", p) from None
    return _read_toml(text, p) if suffix == ".toml" else _read_csv(text, p)


def _scenario(values: dict[str, Any], where: str, p: Path) -> Scenario:
    """A scenario from a preset and parameter values, each checked against its declaration."""
    preset = values.pop("preset", None)
    if preset is not None and preset not in PRESETS:
        raise KneevizError(f"{where}, column preset: {preset!r} is not one of "
                           f"{', '.join(PRESETS)}", p)
    changes: dict[str, float] = {}
    for name, value in values.items():
        try:
            changes[name] = PARAMETERS[name].check(value)
        except KneevizError as exc:
            raise KneevizError(f"{where}, column {name}: {exc}", p) from None
    return Scenario.from_preset(preset or "healthy", **changes)


def _unknown(names: list[str], known: list[str], where: str, p: Path) -> None:
    bad = [n for n in names if n not in known]
    if bad:
        raise KneevizError(f"{where}: unknown column {bad[0]!r}: a design's columns are knee, "
                           f"the mesh files ({', '.join(BONES)}), preset and the scenario "
                           f"parameters ({', '.join(PARAMETERS)})", p)


def _knee_from_files(files: dict[str, str], where: str, p: Path) -> tuple[KneeSpec, str, str]:
    """(spec, name, identity) of a patient's knee given by files relative to the design."""
    missing = [b for b in REQUIRED_BONES if not files.get(b)]
    if missing:
        raise KneevizError(f"{where}, column {missing[0]}: a patient's knee needs "
                           f"{', '.join(REQUIRED_BONES)} mesh files", p)
    from kneeviz.scenario_file import file_sha256

    resolved: dict[str, str] = {}
    digests: dict[str, str] = {}
    for bone, name in files.items():
        if not name:
            continue
        f = Path(name).expanduser()
        f = f if f.is_absolute() else (p.parent / f)
        if not f.is_file():
            raise KneevizError(f"{where}, column {bone}: no such mesh file {str(f)!r}", p)
        try:
            digests[bone] = file_sha256(f)
        except KneevizError as exc:
            raise KneevizError(f"{where}, column {bone}: {exc}", p) from None
        resolved[bone] = str(f.resolve())
    spec = KneeSpec.from_files(resolved.get("femur"), resolved.get("patella"),
                               resolved.get("tibia"), resolved.get("pelvis"))
    identity = json.dumps(digests, sort_keys=True)
    return spec, Path(resolved["femur"]).stem, identity


def _named_knee(name: Any, where: str, p: Path) -> tuple[KneeSpec, str, str]:
    if not isinstance(name, str):
        raise KneevizError(f"{where}, column knee: a knee is named by a word ({DEFAULT_NAME!r}, "
                           f"'atlas:07'), got {name!r}", p)
    try:
        spec = KneeSpec.from_name(name.strip())
    except KneevizError as exc:
        raise KneevizError(f"{where}, column knee: {exc}", p) from None
    return spec, spec.name, spec.name


def _read_csv(text: str, p: Path) -> Design:
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise KneevizError("the design is empty: give a header row and one row per run", p)
    header = [h.strip() for h in rows[0]]
    known = ["knee", *BONES, "preset", *PARAMETERS]
    _unknown(header, known, "row 1 (the header)", p)
    dupes = [h for h in header if header.count(h) > 1]
    if dupes:
        raise KneevizError(f"row 1 (the header): column {dupes[0]!r} appears twice", p)
    if "knee" in header and any(b in header for b in BONES):
        raise KneevizError("row 1 (the header): give either a knee column or mesh file "
                           "columns, not both", p)
    if len(rows) - 1 > MAX_RUNS:
        raise KneevizError(f"the design has {len(rows) - 1} runs, more than {MAX_RUNS}", p)
    runs: list[Run] = []
    for r, row in enumerate(rows[1:], start=2):
        where = f"row {r}"
        if len(row) > len(header):
            raise KneevizError(f"{where}: {len(row)} cells under a header of {len(header)}", p)
        cells = {h: c.strip() for h, c in zip(header, row, strict=False) if c.strip() != ""}
        if any(b in cells for b in BONES):
            spec, name, identity = _knee_from_files(
                {b: cells.pop(b) for b in BONES if b in cells}, where, p)
        else:
            spec, name, identity = _named_knee(cells.pop("knee", DEFAULT_NAME), where, p)
        values: dict[str, Any] = {}
        for key, cell in cells.items():
            if key == "preset":
                values[key] = cell
                continue
            try:
                values[key] = float(cell)
            except ValueError:
                raise KneevizError(f"{where}, column {key}: {cell!r} is not a number", p) from None
        runs.append(Run(len(runs), spec, name, identity, _scenario(values, where, p)))
    if not runs:
        raise KneevizError("the design has a header but no runs", p)
    return Design(tuple(runs), str(p))


TOML_KEYS = ("knees", "fixed", "cases", "sample")
SAMPLE_KEYS = ("method", "n", "seed", "parameters")


def _read_toml(text: str, p: Path) -> Design:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KneevizError(f"is not valid TOML ({exc})", p) from None
    bad = [k for k in data if k not in TOML_KEYS]
    if bad:
        raise KneevizError(f"unknown key {bad[0]!r}: a TOML design has {', '.join(TOML_KEYS)}", p)
    knees = _toml_knees(data.get("knees", [DEFAULT_NAME]), p)
    fixed = data.get("fixed", {})
    cases = data.get("cases", {})
    for table, content in (("fixed", fixed), ("cases", cases)):
        if not isinstance(content, dict):
            raise KneevizError(f"[{table}] must be a table of scenario parameters", p)
        _unknown(list(content), ["preset", *PARAMETERS], f"[{table}]", p)
    both = sorted(set(fixed) & set(cases))
    if both:
        raise KneevizError(f"[cases] {both[0]}: it is also in [fixed]; give it in one", p)
    case_names = list(cases)
    case_values: list[list[Any]] = []
    for name in case_names:
        listed = cases[name]
        if not isinstance(listed, list) or not listed:
            raise KneevizError(f"[cases] {name}: give a list of values, e.g. {name} = [a, b]", p)
        case_values.append(listed)
    sample = data.get("sample")
    method, x = "", np.zeros((1, 0))
    names: tuple[str, ...] = ()
    if sample is not None:
        method, names, x = _toml_sample(sample, fixed, cases, p)
    combos = list(itertools.product(*case_values)) if case_names else [()]
    total = len(knees) * len(combos) * len(x)
    if total > MAX_RUNS:
        raise KneevizError(f"the design has {total} runs, more than {MAX_RUNS}", p)
    runs: list[Run] = []
    for (spec, knee_name, identity), combo in itertools.product(knees, combos):
        case = ", ".join(f"{k}={v:g}" if isinstance(v, float | int) else f"{k}={v}"
                         for k, v in zip(case_names, combo, strict=True))
        for s in range(len(x)):
            values: dict[str, Any] = dict(fixed)
            values.update(zip(case_names, combo, strict=True))
            where = f"[cases] {case}" if case else "[fixed]"
            scenario = _scenario(values, where, p)
            if names:
                scenario = scenario.with_changes(**dict(zip(names, map(float, x[s]),
                                                            strict=True)))
            runs.append(Run(len(runs), spec, knee_name, identity, scenario,
                            sample=s if names else -1, case=case))
    return Design(tuple(runs), str(p), method, names, len(x) if names else 0,
                  x if names else np.zeros((0, 0)))


def _toml_knees(value: Any, p: Path) -> list[tuple[KneeSpec, str, str]]:
    items = value if isinstance(value, list) else [value]
    out: list[tuple[KneeSpec, str, str]] = []
    for i, item in enumerate(items, start=1):
        where = f"knees item {i}"
        if item == POPULATION:
            from kneeviz.anatomy.population import population_names

            out += [_named_knee(n, where, p) for n in population_names()]
        elif isinstance(item, dict):
            bad = [k for k in item if k not in BONES]
            if bad:
                raise KneevizError(f"{where}: unknown key {bad[0]!r}: a knee's files are "
                                   f"{', '.join(BONES)}", p)
            if not all(isinstance(v, str) for v in item.values()):
                raise KneevizError(f"{where}: mesh files are given as paths (text)", p)
            out.append(_knee_from_files(dict(item), where, p))
        else:
            out.append(_named_knee(item, where, p))
    if not out:
        raise KneevizError("knees: the list is empty: name at least one knee", p)
    return out


def _toml_sample(sample: Any, fixed: dict[str, Any], cases: dict[str, Any], p: Path
                 ) -> tuple[str, tuple[str, ...], np.ndarray]:
    if not isinstance(sample, dict):
        raise KneevizError("[sample] must be a table (method, n, seed, parameters)", p)
    bad = [k for k in sample if k not in SAMPLE_KEYS]
    if bad:
        raise KneevizError(f"[sample] {bad[0]}: unknown key; [sample] has "
                           f"{', '.join(SAMPLE_KEYS)}", p)
    method = sample.get("method", "lhs")
    if method not in METHODS:
        raise KneevizError(f"[sample] method: {method!r} is not one of {', '.join(METHODS)}", p)
    n = sample.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise KneevizError(f"[sample] n: give a whole number of samples of at least 2, got "
                           f"{n!r}", p)
    if method == "sobol" and n & (n - 1):
        raise KneevizError(f"[sample] n: Sobol sampling needs a power of two, got {n} (try "
                           f"{2 ** round(math.log2(n))})", p)
    seed = sample.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise KneevizError(f"[sample] seed: give a whole number, got {seed!r}", p)
    names_raw = sample.get("parameters", [u.name for u in UNCERTAINTY])
    if not isinstance(names_raw, list) or not names_raw:
        raise KneevizError("[sample] parameters: give a list of the uncertainty table's "
                           "parameters", p)
    for name in names_raw:
        if name not in BY_NAME:
            raise KneevizError(f"[sample] parameters: {name!r} is not in the uncertainty table "
                               f"({', '.join(BY_NAME)})", p)
        if name in fixed or name in cases:
            raise KneevizError(f"[sample] parameters: {name!r} is also set in "
                               f"[{'fixed' if name in fixed else 'cases'}]; give it in one", p)
    if len(set(names_raw)) != len(names_raw):
        raise KneevizError("[sample] parameters: a parameter is named twice", p)
    names = tuple(str(n) for n in names_raw)
    if method == "sobol" and n * (len(names) + 2) > MAX_RUNS:
        raise KneevizError(f"[sample] n: {n} x ({len(names)} + 2) runs is more than {MAX_RUNS}",
                           p)
    if n > MAX_RUNS:
        raise KneevizError(f"[sample] n: {n} is more than {MAX_RUNS} runs", p)
    return method, names, draw_sample(method, names, n, seed)
