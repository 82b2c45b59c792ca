"""The uncertainty table: one home for each uncertain parameter's range and source."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kneeviz.parameter import Affects
from kneeviz.scenario import PARAMETERS
from kneeviz.uncertainty import UNCERTAINTY, check_table, markdown_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def test_every_row_is_a_declared_parameter_with_a_source() -> None:
    assert len({u.name for u in UNCERTAINTY}) == len(UNCERTAINTY)
    for u in UNCERTAINTY:
        assert PARAMETERS[u.name].affects in (Affects.TISSUE, Affects.SQUAT)
        assert len(u.source) > 20
    # every tissue parameter but the clinical questions (VMO strength) is uncertain
    tissue = {n for n, p in PARAMETERS.items() if p.affects is Affects.TISSUE}
    assert tissue - {u.name for u in UNCERTAINTY} == {"vmo_strength"}


@pytest.mark.parametrize("change", [{"low": -0.5}, {"high": 9.0}, {"name": "stiffness"},
                                    {"low": 1.05, "high": 1.07}, {"distribution": "beta"}])
def test_a_row_outside_its_declaration_is_refused(change: dict[str, object]) -> None:
    row = next(u for u in UNCERTAINTY if u.name == "mpfl_stiffness_scale")
    with pytest.raises(RuntimeError):
        check_table((replace(row, **change),))  # type: ignore[arg-type]


def test_the_docs_show_the_table_as_the_code_holds_it() -> None:
    assert markdown_table() in DOCS.read_text()
