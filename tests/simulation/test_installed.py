"""kneeviz as a user installs it: the wheel, built from this checkout, installed into a fresh
virtual environment in a temporary folder, run from another folder with no checkout on sys.path.

It must carry the default knee (kneeviz/default_knee, listed here), run `simulate`, `render` and
`check-mesh` to plausible results, keep its cache in the per-user folder, write nothing into the
current folder but the files asked for, and write nothing into its own package (proved with
site-packages made read-only: a read-only bind mount for root, whom chmod does not stop)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

import kneeviz

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KNEE_FILES = {"femur.stl", "femur_cartilage.stl", "patella.stl", "patella_cartilage.stl",
              "tibia.stl", "pelvis.stl", "landmarks.json", "NOTICE.md", "LICENSE-MPL-2.0.txt"}
RUN_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Build the wheel, make a fresh venv and install the wheel (and its dependencies) into it."""
    tmp = tmp_path_factory.mktemp("installed")
    dist, venv = tmp / "dist", tmp / "venv"
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "build", "--wheel", "-q", "-o", str(dist), str(ROOT)], check=True,
                       timeout=RUN_TIMEOUT_S)
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    else:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist),
                        str(ROOT)], check=True, timeout=RUN_TIMEOUT_S)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (wheel,) = dist.glob("kneeviz-*.whl")
    py = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    if uv:
        subprocess.run([uv, "pip", "install", "-q", "--python", str(py), str(wheel)], check=True,
                       timeout=RUN_TIMEOUT_S)
    else:
        subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                       timeout=RUN_TIMEOUT_S)
    site = Path(subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    work = tmp / "elsewhere"
    work.mkdir()
    yield {"py": py, "kneeviz": py.parent / "kneeviz", "site": site, "work": work, "tmp": tmp,
           "wheel": wheel}


def _env(home: Path) -> dict[str, str]:
    """The user's environment: no kneeviz overrides, no PYTHONPATH, a home of its own. Python's
    own bytecode goes beside the home (PYTHONPYCACHEPREFIX), so that site-packages can be
    read-only from the first run and still every write kneeviz makes would show."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KNEEVIZ_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = str(home)
    env["PYTHONPYCACHEPREFIX"] = str(home.parent / "pycache")
    return env


def _run(inst: dict[str, Path], home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(inst["kneeviz"]), *args], cwd=inst["work"], env=_env(home),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time."""
    out = {}
    for p in folder.rglob("*"):
        st = p.lstat()
        out[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return out


def _check_runs(inst: dict[str, Path], home: Path, tag: str) -> None:
    """simulate, render and check-mesh from `work`: exit 0 and plausible results."""
    sim = _run(inst, home, "simulate", "--preset", "pfp", "--out", f"pfp-{tag}.json")
    assert sim.returncode == 0, sim.stderr
    doc = json.loads((inst["work"] / f"pfp-{tag}.json").read_text())
    frames = doc["frames"]
    assert doc["kneeviz_version"] == kneeviz.__version__  # exported files' meta: one version
    assert len(frames) > 100
    converged = [f for f in frames if f.get("converged", True)]
    assert len(converged) > 0.9 * len(frames)
    flex = np.array([f["knee_flexion_deg"] for f in frames])
    assert 80.0 < flex.max() < 140.0 and flex.min() < 5.0  # a deep squat from standing
    np.testing.assert_allclose(flex, flex[::-1], atol=1e-6)  # down and up again
    assert max(f["hip_driven_rotation_deg"] for f in frames) > 3.0  # the pfp hip
    peak_bw = max(f["pfjrf_bw"] for f in converged)
    assert 1.0 < peak_bw < 12.0  # deep-squat patellofemoral loads are several body weights
    png = f"x-{tag}.png"
    ren = _run(inst, home, "render", "--flexion", "30", "--out", png)
    assert ren.returncode == 0, ren.stderr
    img = iio.imread(inst["work"] / png)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    assert float(img[..., :3].std()) > 10.0  # a picture, not a blank frame
    chk = _run(inst, home, "check-mesh", str(inst["site"] / "kneeviz" / "default_knee" /
                                             "patella.stl"))
    assert chk.returncode == 0, chk.stderr
    assert "patella" in chk.stdout


@pytest.fixture
def read_only_site(installed: dict[str, Path]) -> Iterator[Path]:
    """site-packages made read-only: chmod -R a-w, and for root (whom chmod does not stop) a
    read-only bind mount over it when the machine allows one. The snapshot comparison in the
    test holds either way."""
    site = installed["site"]
    subprocess.run(["chmod", "-R", "a-w", str(site)], check=True)
    mounted = False
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "--bind", str(site), str(site)]).returncode == 0
        if mounted:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(site)], check=False)
    try:
        yield site
    finally:
        if mounted:
            subprocess.run(["umount", str(site)], check=False)
        subprocess.run(["chmod", "-R", "u+w", str(site)], check=True)


def test_the_installed_wheel_carries_the_knee_and_runs_from_anywhere(
    installed: dict[str, Path], read_only_site: Path
) -> None:
    """One pass, with site-packages read-only from the start: the knee is in the package, the
    commands run from another folder, and nothing is written into the package."""
    inst = installed
    knee = inst["site"] / "kneeviz" / "default_knee"
    listed = sorted(p.name for p in knee.iterdir())
    print("installed default knee:", listed)
    assert set(listed) >= KNEE_FILES
    assert any(n.startswith("femoral-sdf-") for n in listed)  # its distance grid, shipped
    for shipped in ("icons/kneeviz.svg", "icons/kneeviz-256.png", "desktop/kneeviz.desktop"):
        assert (inst["site"] / "kneeviz" / shipped).is_file(), shipped
    if os.geteuid() != 0 or os.statvfs(read_only_site).f_flag & os.ST_RDONLY:
        with pytest.raises(OSError):
            (read_only_site / "kneeviz" / "probe").write_text("x")
    before = _snapshot(read_only_site)
    home = inst["tmp"] / "home"
    where = subprocess.run(
        [str(inst["py"]), "-c", "import json, sys, kneeviz, kneeviz.resources as r; "
         "print(json.dumps([kneeviz.__file__, str(r.default_knee_dir()), sys.path]))"],
        cwd=inst["work"], env=_env(home), capture_output=True, text=True, check=True)
    module_file, knee_dir, path = json.loads(where.stdout)
    assert Path(module_file).is_relative_to(inst["site"])
    assert Path(knee_dir) == knee
    assert not any(p and Path(p).resolve().is_relative_to(ROOT) for p in path)
    version = _run(inst, home, "--version")
    assert version.stdout.strip() == f"kneeviz {kneeviz.__version__}"
    assert f"kneeviz-{kneeviz.__version__}-" in inst["wheel"].name  # the wheel's version: the same

    _check_runs(inst, home, "ro")
    assert _snapshot(read_only_site) == before  # kneeviz wrote nothing into its package
    assert sorted(p.name for p in inst["work"].iterdir()) == ["pfp-ro.json", "x-ro.png"]
    cache = sorted(p.name for p in (home / ".cache" / "kneeviz").iterdir())  # the per-user cache
    assert not any(n.startswith("femoral-sdf-") for n in cache)  # the shipped grid was used
    assert any(n.startswith("welded-") for n in cache)
