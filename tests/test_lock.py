"""The lock file pins what pyproject.toml asks for, and every install of the Makefile uses it.

requirements/lock.txt (docs/development.md, "The lock file") is made by `make lock`. When a
dependency or an extra is added to pyproject.toml without running it, an install would take
whatever version PyPI serves that day: this test names the package instead. pytest needs
`packaging` itself, so it is always there.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"


def pins(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line.strip())
        if m:
            out[canonicalize_name(m.group(1))] = m.group(2)
    return out


def requirements(pyproject: dict) -> list[Requirement]:
    """kneeviz's dependencies and every extra's (the lock covers them all)."""
    project = pyproject["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    return [Requirement(r) for r in lines]


def unlocked(reqs: list[Requirement], locked: dict[str, str]) -> list[str]:
    """Each requirement the lock does not satisfy, in words."""
    out = []
    for r in reqs:
        if r.marker is not None and not r.marker.evaluate({"extra": ""}):
            continue
        version = locked.get(canonicalize_name(r.name))
        if version is None:
            out.append(f"{r.name} is not pinned")
        elif not r.specifier.contains(version, prereleases=True):
            out.append(f"{r.name}=={version} is outside {r.specifier}")
    return out


def test_the_lock_pins_every_requirement_within_its_range() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    problems = unlocked(requirements(pyproject), pins(LOCK.read_text(encoding="utf-8")))
    assert not problems, "; ".join(problems) + ": run `make lock` (docs/development.md)"


def test_every_install_in_the_makefile_uses_the_lock() -> None:
    lines = [line.strip() for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
             if re.search(r"\bpip install\b", line) and "--upgrade pip" not in line]
    assert len(lines) >= 6, lines  # run, test and bundle, each with pip and with uv
    for line in lines:
        assert "-c $(LOCK)" in line, line
    assert "requirements/lock.txt" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_check_can_fail() -> None:
    """A requirement missing from the lock, or pinned outside its range, is named."""
    locked = {"numpy": "1.25.0"}
    found = unlocked([Requirement("numpy>=1.26"), Requirement("dask>=2024.1")], locked)
    assert found == ["numpy==1.25.0 is outside >=1.26", "dask is not pinned"]
    assert unlocked([Requirement("numpy>=1.26")], {"numpy": "2.4.6"}) == []
