"""A study's design: read whole, refused whole (naming row and column) before any run starts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kneeviz.errors import KneevizError
from kneeviz.study.design import draw_sample, read_design
from kneeviz.uncertainty import BY_NAME, UNCERTAINTY


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def refused(path: Path) -> str:
    with pytest.raises(KneevizError) as e:
        read_design(path)
    message = str(e.value)
    assert "\n" not in message and str(path) in message
    return message


def test_a_csv_design_is_one_run_per_row(tmp_path: Path) -> None:
    p = write(tmp_path, "d.csv", "knee,preset,vmo_strength,mpfl_stiffness_scale\n"
                                  "default,healthy,1,1\n"
                                  "atlas:03,pfp,0.5,\n"
                                  "default,,,0.8\n")
    d = read_design(p)
    assert [r.knee_name for r in d.runs] == ["default", "atlas:03", "default"]
    assert d.runs[1].scenario.preset == "pfp" and d.runs[1].scenario.vmo_strength == 0.5
    assert d.runs[1].scenario.mpfl_stiffness_scale == 1.0  # an empty cell keeps the default
    assert d.runs[2].scenario.mpfl_stiffness_scale == 0.8
    assert len({r.key for r in d.runs}) == 3
    # the key is what the result depends on: the same run in another file is the same run
    again = read_design(write(tmp_path, "e.csv", "preset,mpfl_stiffness_scale,knee\n"
                                                 "healthy,0.8,default\n"))
    assert again.runs[0].key == d.runs[2].key


def test_bad_csv_designs_are_refused_naming_row_and_column(tmp_path: Path) -> None:
    m = refused(write(tmp_path, "a.csv", "knee,stiffness\ndefault,1\n"))
    assert "row 1" in m and "'stiffness'" in m
    m = refused(write(tmp_path, "b.csv", "knee,vmo_strength\ndefault,1\ndefault,1.5\n"))
    assert "row 3, column vmo_strength" in m and "1.5" in m and "0..1" in m
    m = refused(write(tmp_path, "c.csv", "femur,patella,tibia\nno_femur.stl,p.stl,t.stl\n"))
    assert "row 2, column femur" in m and "no_femur.stl" in m
    m = refused(write(tmp_path, "d.csv", "knee\ndefault\natlas:40\n"))
    assert "row 3, column knee" in m and "atlas:40" in m
    m = refused(write(tmp_path, "e.csv", "knee,body_mass_kg\ndefault,heavy\n"))
    assert "row 2, column body_mass_kg" in m and "'heavy'" in m
    m = refused(write(tmp_path, "f.csv", "knee,preset\ndefault,sore\n"))
    assert "row 2, column preset" in m
    refused(write(tmp_path, "g.csv", ""))
    refused(write(tmp_path, "h.txt", "knee\ndefault\n"))


def test_a_toml_design_crosses_knees_cases_and_a_sample(tmp_path: Path) -> None:
    p = write(tmp_path, "d.toml", """
knees = ["default", "atlas:02"]
[fixed]
frame_rate_hz = 10
[cases]
preset = ["healthy", "pfp"]
insall_salvati_ratio = [1.0, 1.3]
[sample]
method = "lhs"
n = 5
parameters = ["mpfl_stiffness_scale", "cartilage_modulus_mpa"]
""")
    d = read_design(p)
    assert len(d.runs) == 2 * 4 * 5 and d.method == "lhs" and d.n_samples == 5
    assert d.sampled == ("mpfl_stiffness_scale", "cartilage_modulus_mpa")
    # every group of (knee, case) runs the same sample, in sample order
    first = [r for r in d.runs if r.knee_name == "atlas:02" and r.case ==
             "preset=pfp, insall_salvati_ratio=1.3"]
    assert [r.sample for r in first] == list(range(5))
    assert all(r.scenario.frame_rate_hz == 10 and r.scenario.preset == "pfp" for r in first)
    np.testing.assert_allclose([r.scenario.mpfl_stiffness_scale for r in first],
                               d.sample_values[:, 0])
    lo, hi = BY_NAME["cartilage_modulus_mpa"].low, BY_NAME["cartilage_modulus_mpa"].high
    assert all(lo <= r.scenario.cartilage_modulus_mpa <= hi for r in d.runs)
    pop = read_design(write(tmp_path, "p.toml", 'knees = "population"\n'))
    assert [r.knee_name for r in pop.runs][:2] == ["atlas:01", "atlas:02"]
    assert len(pop.runs) == 26


def test_bad_toml_designs_are_refused_naming_the_key(tmp_path: Path) -> None:
    assert "'sampel'" in refused(write(tmp_path, "a.toml", "[sampel]\nn = 4\n"))
    m = refused(write(tmp_path, "b.toml", "[cases]\nvmo_strength = [1.0, 2.0]\n"))
    assert "vmo_strength" in m and "0..1" in m
    m = refused(write(tmp_path, "c.toml", "[fixed]\nstiffness = 1\n"))
    assert "[fixed]" in m and "'stiffness'" in m
    m = refused(write(tmp_path, "d.toml", '[sample]\nmethod = "sobol"\nn = 100\n'))
    assert "power of two" in m and "128" in m
    m = refused(write(tmp_path, "e.toml", '[sample]\nn = 8\nparameters = ["preset"]\n'))
    assert "not in the uncertainty table" in m
    m = refused(write(tmp_path, "f.toml", 'knees = [{femur = "f.stl", patella = "p.stl", '
                                          'tibia = "t.stl"}]\n'))
    assert "knees item 1, column femur" in m and "f.stl" in m
    m = refused(write(tmp_path, "g.toml", "[fixed]\nbody_mass_kg = 70\n"
                                          "[sample]\nn = 4\nparameters = [\"body_mass_kg\"]\n"))
    assert "body_mass_kg" in m and "[fixed]" in m
    refused(write(tmp_path, "h.toml", "knees = [\n"))


def test_samples_follow_the_uncertainty_table() -> None:
    """A Latin hypercube of the whole table: each parameter stays in its bounds, a uniform one
    covers them evenly and a truncated normal one centres on its mean; a Sobol sample takes
    N (D + 2) points."""
    names = tuple(u.name for u in UNCERTAINTY)
    x = draw_sample("lhs", names, 400, seed=2)
    assert x.shape == (400, len(names))
    for k, name in enumerate(names):
        u = BY_NAME[name]
        assert u.low <= x[:, k].min() and x[:, k].max() <= u.high
        if u.distribution == "uniform":
            assert abs(np.median(x[:, k]) - (u.low + u.high) / 2) < 0.05 * (u.high - u.low)
        else:
            assert abs(np.median(x[:, k]) - u.mean) < 0.1 * u.sd
    assert draw_sample("sobol", names[:3], 8, seed=1).shape == (8 * 5, 3)
