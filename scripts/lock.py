"""Write requirements/lock.txt: the exact versions of every package the development environment
installs (kneeviz's dependencies and every optional extra, with everything they pull in).

`make run`, `make test` and the other make targets install with `pip install -c
requirements/lock.txt` (or `uv pip install -c ...`), so a checkout installs these versions today
and in a year. The wheel keeps its ranges (pyproject.toml): the lock is for developing kneeviz, not
a limit on its users.

How a lock is found: pip resolves kneeviz with all its extras (`pip install --dry-run
--ignore-installed --report`, nothing is installed), and every package the resolution would install
is written as NAME==VERSION. The preferred versions are given to pip as constraints:

    python scripts/lock.py              keep the current lock's pins; packages new to the project
                                        (a new extra or dependency) get the newest version that fits
    python scripts/lock.py --from-venv  pin what is installed in this interpreter's environment
                                        (a .venv the tests passed in)
    python scripts/lock.py --upgrade    no preference: the newest versions pyproject.toml allows

Run it with the environment's own Python (`make lock` uses .venv/bin/python): the lock is made for
that Python and platform, which its header names. Nothing is installed: pip reads the packages'
metadata (and builds kneeviz's own with hatchling).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"


def project() -> tuple[str, list[str]]:
    """The project's name and its extras, read from pyproject.toml (so a new extra is locked
    without editing this script)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    proj = data["project"]
    return proj["name"], sorted(proj.get("optional-dependencies", {}))


def normalise(name: str) -> str:
    """The package name as PEP 503 compares it (`PyQt6_sip` and `pyqt6-sip` are one package)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_in(text: str) -> dict[str, str]:
    """NAME==VERSION lines of a lock or of `pip freeze` (comments, editables, URLs skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line.strip())
        if m:
            out[normalise(m.group(1))] = m.group(2)
    return out


def preferred(mode: str) -> dict[str, str]:
    if mode == "upgrade":
        return {}
    if mode == "venv":
        freeze = subprocess.run([sys.executable, "-m", "pip", "freeze"], check=True,
                                capture_output=True, text=True).stdout
        return pins_in(freeze)
    return pins_in(LOCK.read_text(encoding="utf-8")) if LOCK.is_file() else {}


def resolve(name: str, extras: list[str], prefer: dict[str, str]) -> dict[str, str]:
    """What pip would install for kneeviz[every extra] into an empty environment."""
    with tempfile.TemporaryDirectory(prefix="kneeviz-lock-") as tmp:
        constraints = Path(tmp) / "prefer.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(prefer.items())),
                               encoding="utf-8")
        report = Path(tmp) / "report.json"
        target = f"{ROOT}[{','.join(extras)}]" if extras else str(ROOT)
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run",
               "--ignore-installed", "--report", str(report), "-c", str(constraints), target]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            hint = ("" if not prefer else
                    "\nthe preferred pins conflict with pyproject.toml: try --upgrade, then run "
                    "the tests in an environment installed from the new lock")
            sys.exit(f"lock: pip could not resolve {target}{hint}")
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    pins = {normalise(i["metadata"]["name"]): i["metadata"]["version"] for i in installs}
    pins.pop(normalise(name), None)
    return pins


def write(pins: dict[str, str], extras: list[str], mode: str) -> None:
    header = [
        "# kneeviz's development environment, pinned: every package `make run` / `make test`",
        "# install (the dependencies and the extras " + ", ".join(extras) + ").",
        "# Used as pip constraints: pip install -c requirements/lock.txt -e '.[test]'",
        "# Made by `make lock` (scripts/lock.py; docs/development.md says when and how) on",
        f"# Python {platform.python_version()}, {platform.system()} {platform.machine()}"
        f" ({'newest versions' if mode == 'upgrade' else 'kept pins: ' + mode}).",
        "# Do not edit by hand: change pyproject.toml and run `make lock`.",
    ]
    body = [f"{n}=={v}" for n, v in sorted(pins.items())]
    LOCK.parent.mkdir(exist_ok=True)
    tmp = LOCK.with_name(f".{LOCK.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    os.replace(tmp, LOCK)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--upgrade", action="store_true",
                       help="ignore the current pins: the newest versions pyproject.toml allows")
    group.add_argument("--from-venv", action="store_true",
                       help="pin the versions installed in this interpreter's environment")
    args = ap.parse_args()
    mode = "upgrade" if args.upgrade else "venv" if args.from_venv else "lock"
    name, extras = project()
    before = preferred("lock")
    pins = resolve(name, extras, preferred(mode))
    write(pins, extras, mode)
    added = sorted(set(pins) - set(before))
    removed = sorted(set(before) - set(pins))
    changed = sorted(n for n in set(pins) & set(before) if pins[n] != before[n])
    print(f"lock: {LOCK.relative_to(ROOT)}: {len(pins)} packages"
          + (f"; new {', '.join(f'{n}=={pins[n]}' for n in added)}" if added else "")
          + (f"; changed {', '.join(f'{n} {before[n]} -> {pins[n]}' for n in changed)}"
             if changed else "")
          + (f"; dropped {', '.join(removed)}" if removed else ""))


if __name__ == "__main__":
    main()
