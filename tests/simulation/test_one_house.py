"""Each fact once: every command takes the same squat and knee options from their declarations,
every command loads the knee the same way, and a caption says the same whoever draws it."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from export_fixtures import short_trajectory
from kneeviz.anatomy.knee_spec import KneeSpec
from kneeviz.cli import build_parser
from kneeviz.commands.options import knee_spec_from_options, scenario_from_options
from kneeviz.errors import KneevizError
from kneeviz.scenario import PARAMETERS, Scenario
from kneeviz.scenario_file import KneeRef, ScenarioFile


def _args(command: str, *argv: str) -> argparse.Namespace:
    return build_parser(command).parse_args([command, *argv])


@pytest.mark.parametrize("command", ["simulate", "render", "headless-demo"])
def test_every_command_offers_every_parameter(command: str) -> None:
    """The options are made from the parameter table: each flag parses, lands in the scenario,
    and is range-checked with the table's words (render and the demo set the rate with --fps)."""
    extra = ["--out", "x.json"] if command == "simulate" else (
        ["--out", "x.png"] if command == "render" else [])
    for name, p in PARAMETERS.items():
        if name == "frame_rate_hz" and command != "simulate":
            continue
        value = (p.low + p.high) / 2
        sc = scenario_from_options(_args(command, p.flag, repr(value), *extra))
        assert getattr(sc, name) == pytest.approx(value), (command, name)
        with pytest.raises(KneevizError, match=p.label.split(" (")[0]):
            scenario_from_options(_args(command, p.flag, repr(p.high + 1.0), *extra))


def test_the_knee_options_and_the_scenario_file_name_one_knee(tmp_path: Path) -> None:
    """--sulcus-angle re-cuts the bundled knee in every command (simulate ignored it before);
    a scenario file's knee is used when no files are given; files win over the file's knee."""
    spec = knee_spec_from_options(_args("simulate", "--sulcus-angle", "150", "--out", "x.json"))
    assert spec == KneeSpec(sulcus_angle_deg=150.0)
    doc = ScenarioFile(scenario=Scenario(), knee=KneeRef.default(155.0))
    assert knee_spec_from_options(_args("render", "--out", "x.png"), doc).sulcus_angle_deg == 155.0
    files = [str(tmp_path / f"{b}.stl") for b in ("f", "p", "t")]
    spec = knee_spec_from_options(_args("render", "--femur", files[0], "--patella", files[1],
                                        "--tibia", files[2], "--out", "x.png"), doc)
    assert spec.femur == files[0] and spec.sulcus_angle_deg is None
    with pytest.raises(KneevizError, match="all three"):
        knee_spec_from_options(_args("simulate", "--femur", files[0], "--out", "x.json"))
    with pytest.raises(KneevizError, match="bundled knee only"):
        knee_spec_from_options(_args("simulate", "--femur", files[0], "--patella", files[1],
                                     "--tibia", files[2], "--sulcus-angle", "150",
                                     "--out", "x.json"))


def test_the_caption_says_the_setting_whoever_draws_it() -> None:
    """The caption's hip line is the scenario's setting (8 deg for typical PFP), from a solved
    Trajectory (the command line's videos) and from the window's SquatView alike; the per-frame
    hip-driven rotation (larger at depth) is a measure with a name of its own."""
    from kneeviz.app.state.squat_view import view_from_trajectory
    from kneeviz.scene.render import TrajectoryFrames, caption_lines

    traj = short_trajectory("pfp")
    view = view_from_trajectory(traj)
    deepest = int(np.argmax(traj["knee_flexion_deg"]))

    class ViewSource:  # the app's offscreen exports draw from the SquatView
        scenario = view.scenario
        converged = view.converged

        def value(self, key: str, i: int) -> float:
            return view.value(key, i)

    a = caption_lines(TrajectoryFrames(traj), deepest, "pfp")
    b = caption_lines(ViewSource(), deepest, "pfp")
    assert a == b
    first = "".join(t for t, _c in a[0])
    assert "femoral internal rotation 8.0 deg" in first
    assert traj["hip_driven_rotation_deg"][deepest] > 8.0  # the per-frame value at depth
