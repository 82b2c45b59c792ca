"""`kneeviz sweep`: one table locally and on a Dask cluster, a killed worker, Ctrl-C, resume.

The squats are short (to 60 deg and back in 2 s at 10 frames a second) so a study of tens of runs
takes seconds; the mechanics are the real ones.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")
pytest.importorskip("SALib")

from kneeviz.study.design import read_design  # noqa: E402
from kneeviz.study.runner import run_study  # noqa: E402
from kneeviz.study.store import HOW_IT_RAN, RunStore  # noqa: E402

pytestmark = [pytest.mark.usefixtures("shared_grid_cache"), pytest.mark.slow]

SHORT = """
knees = ["default"]
[fixed]
frame_rate_hz = 10
max_flexion_deg = 60
descent_s = 1
ascent_s = 1
[cases]
preset = ["healthy", "pfp"]
[sample]
method = "lhs"
n = {n}
seed = 7
parameters = ["mpfl_stiffness_scale", "cartilage_modulus_mpa", "insall_salvati_ratio"]
"""


def design_file(tmp_path: Path, n: int) -> Path:
    p = tmp_path / "design.toml"
    p.write_text(SHORT.format(n=n))
    return p


def what_it_gave(table):  # type: ignore[no-untyped-def]
    """The table without the columns that say how runs were solved (time, process)."""
    return table.drop_columns(list(HOW_IT_RAN))


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    """A dask.distributed LocalCluster of 2 single-threaded worker processes."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as c:
        yield c


def test_local_and_dask_give_identical_tables(tmp_path: Path, cluster) -> None:  # type: ignore[no-untyped-def]
    design = read_design(design_file(tmp_path, 3))
    local = run_study(design, tmp_path / "local.parquet", workers=2, stream=None)
    dask = run_study(design, tmp_path / "dask.parquet", scheduler=cluster.scheduler_address,
                     stream=None)
    assert local.solved_now == dask.solved_now == 6
    assert set(local.table.column("status").to_pylist()) == {"solved"}
    assert what_it_gave(local.table).equals(what_it_gave(dask.table))
    workers = set(dask.table.column("worker").to_pylist())
    assert len(workers) == 2  # both Dask workers solved runs
    # the figures are real squats: the hip's turn moves the kneecap outward at 30 deg
    tilt = local.table.column("patella_lateral_shift_mm_at30").to_pylist()
    healthy, pfp = tilt[:3], tilt[3:]
    assert all(p > h for h, p in zip(healthy, pfp, strict=True))


def test_a_killed_dask_worker_loses_nothing_and_the_sweep_completes(tmp_path: Path,
                                                                     cluster) -> None:  # type: ignore[no-untyped-def]
    from distributed import Client

    design = read_design(design_file(tmp_path, 12))
    out = tmp_path / "killed.parquet"
    store = RunStore(out)
    with Client(cluster) as client:
        pids = client.run(os.getpid)
    result: dict[str, object] = {}

    def sweep() -> None:
        result["study"] = run_study(design, out, scheduler=cluster.scheduler_address,
                                    stream=None)

    thread = threading.Thread(target=sweep)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(store.finished()) < 3:
        time.sleep(0.05)
    kept_before = store.finished()
    assert 3 <= len(kept_before) < len(design.runs), "the sweep was not under way"
    os.kill(next(iter(pids.values())), signal.SIGKILL)  # one worker, mid-sweep
    thread.join(timeout=240)
    assert not thread.is_alive()
    table = result["study"].table  # type: ignore[attr-defined]
    assert table.num_rows == len(design.runs)
    assert set(table.column("status").to_pylist()) == {"solved"}
    assert kept_before <= store.finished()  # nothing finished was lost


def test_ctrl_c_keeps_what_finished_and_a_rerun_resumes(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    design = design_file(tmp_path, 20)
    out = tmp_path / "r.parquet"
    command = [sys.executable, "-m", "kneeviz", "sweep", str(design), "--out", str(out),
               "--workers", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)
    store = RunStore(out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(store.finished()) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal sends it: to the whole group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "kneeviz: interrupted:" in err
    table = pq.read_table(out)  # readable, with what finished
    status = table.column("status").to_pylist()
    finished = sum(s == "solved" for s in status)
    assert 3 <= finished < 40 and set(status) == {"solved", "not run"}

    again = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"{40 - finished} solved now, {finished} found done" in again.stdout
    assert set(pq.read_table(out).column("status").to_pylist()) == {"solved"}

    before = out.stat().st_mtime_ns
    third = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert third.returncode == 0 and "nothing new" in third.stdout
    assert "to solve" not in third.stderr
    assert out.stat().st_mtime_ns == before


def test_the_command_writes_csv_frames_and_a_tornado_chart(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`kneeviz sweep` end to end in this process: a CSV table, the per-frame table and the
    sensitivity printed and drawn, with the number of runs it took."""
    import pyarrow.csv as pcsv

    from kneeviz.cli import main

    design = design_file(tmp_path, 4)
    out = tmp_path / "r.csv"
    chart = tmp_path / "tornado.png"
    rc = main(["sweep", str(design), "--out", str(out), "--per-frame", "--workers", "1",
               "--tornado", str(chart), "--figure", "patella_lateral_tilt_deg_at30"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    table = pcsv.read_csv(out)
    assert table.num_rows == 8 and set(table.column("status").to_pylist()) == {"solved"}
    frames = pcsv.read_csv(tmp_path / "r.frames.csv")
    assert frames.num_rows == 8 * 21
    assert set(frames.column("run").to_pylist()) == set(table.column("run").to_pylist())
    assert "spearman sensitivity from 4 runs" in printed
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
