"""The cache is a cache: an entry is used only if it proves itself (format, source, shape, checksum,
and the caller's own check), anything else is rebuilt with one note; a non-file in the folder is
never opened; a cache that cannot be written (missing or read-only folder, full disk) leaves
kneeviz running uncached, saying so once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kneeviz import cache
from kneeviz.anatomy import build
from kneeviz.anatomy.mesh import SurfaceMesh
from kneeviz.mechanics.contact import build_distance_grid, grid_key, load_or_build_grid

SHAPES: dict[str, tuple[int | None, ...]] = {"a": (None, 3), "b": ()}
SOURCE = cache.source_digest("test", b"built from this")


@pytest.fixture(autouse=True)
def fresh_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test its own cache folder and its own 'said once' memory."""
    monkeypatch.setattr(cache, "_said", set())
    folder = tmp_path / "cache"
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(folder))
    yield folder


def _arrays() -> dict[str, np.ndarray]:
    return {"a": np.arange(30, dtype=np.float64).reshape(10, 3) + 0.5, "b": np.array(2.5)}


def _entry(folder: Path) -> Path:
    assert cache.save_entry("t.npz", SOURCE, _arrays())
    return folder / "t.npz"


def _notes(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("kneeviz: note:")]


def test_an_entry_round_trips(fresh_notes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _entry(fresh_notes)
    z = cache.load_entry("t.npz", SOURCE, SHAPES)
    assert z is not None
    np.testing.assert_array_equal(z["a"], _arrays()["a"])
    assert float(z["b"]) == 2.5
    assert _notes(capsys) == []
    assert [p.name for p in fresh_notes.iterdir()] == ["t.npz"]  # no temp file left


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _flip_a_bit_in_the_data(p: Path) -> None:
    raw = bytearray(p.read_bytes())
    at = raw.find(np.float64(17.5).tobytes())  # a value inside array "a"
    assert at > 0
    raw[at + 3] ^= 0x10
    p.write_bytes(bytes(raw))


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _garbage(p: Path) -> None:
    p.write_bytes(b"PK\x03\x04 not really a zip")


def _old_format(p: Path) -> None:  # what kneeviz 0.1 wrote: bare arrays, no header
    np.savez(p.with_suffix(""), **_arrays())  # np.savez adds .npz


@pytest.mark.parametrize("damage", [_truncate, _flip_a_bit_in_the_data, _empty, _garbage,
                                    _old_format])
def test_a_damaged_entry_is_rebuilt_with_one_note(
    damage, fresh_notes: Path, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    damage(_entry(fresh_notes))
    assert cache.load_entry("t.npz", SOURCE, SHAPES) is None
    assert cache.load_entry("t.npz", SOURCE, SHAPES) is None
    notes = _notes(capsys)
    assert len(notes) == 1
    assert ("t.npz" in notes[0] and "rebuilding" in notes[0]) or "another kneeviz" in notes[0]


def test_a_well_formed_entry_of_the_wrong_shape_or_source_is_not_used(
    fresh_notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _entry(fresh_notes)
    assert cache.load_entry("t.npz", SOURCE, {"a": (None, 4), "b": ()}) is None
    assert cache.load_entry("t.npz", cache.source_digest("another knee"), SHAPES) is None
    assert len(_notes(capsys)) == 1  # one note per entry


def test_a_fifo_in_the_cache_is_ignored_not_opened(
    fresh_notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_notes.mkdir()
    os.mkfifo(fresh_notes / "t.npz")
    signal.alarm(10)  # a blocking open() would hang here forever
    try:
        assert cache.load_entry("t.npz", SOURCE, SHAPES) is None
        mesh_name = "welded-x.npz"
        os.mkfifo(fresh_notes / mesh_name)
        assert cache.load_entry(mesh_name, SOURCE, SHAPES) is None
    finally:
        signal.alarm(0)
    assert any("not a file" in n for n in _notes(capsys))


def test_a_missing_folder_that_cannot_be_made_runs_uncached_saying_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder's parent should be")
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(blocker / "cache"))
    assert not cache.save_entry("t.npz", SOURCE, _arrays())
    assert not cache.save_entry("u.npz", SOURCE, _arrays())
    notes = _notes(capsys)
    assert len(notes) == 1 and "cannot be written" in notes[0] and "without the cache" in notes[0]
    assert cache.load_entry("t.npz", SOURCE, SHAPES) is None  # nothing there: no note either


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder that really cannot be written: chmod for a normal user; for root (whom chmod does
    not stop) a read-only tmpfs mount."""
    d = tmp_path / "ro"
    d.mkdir()
    mounted = False
    if os.geteuid() == 0:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(d)],
                            capture_output=True).returncode == 0
        if not ok:
            pytest.skip("root without permission to mount a read-only tmpfs")
        mounted = True
    else:
        d.chmod(0o555)
    try:
        with pytest.raises(OSError):
            (d / "probe").write_text("x")
        yield d
    finally:
        if mounted:
            subprocess.run(["umount", str(d)], check=False)
        else:
            d.chmod(0o755)


def test_a_read_only_cache_folder_runs_uncached_saying_so_once(
    readonly_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(readonly_dir))
    stl = build.assets_dir() / "patella.stl"
    first = build._read_stl(stl)
    second = build._read_stl(stl)
    np.testing.assert_array_equal(first.faces, second.faces)
    notes = _notes(capsys)
    assert len(notes) == 1 and str(readonly_dir) in notes[0]
    assert list(readonly_dir.iterdir()) == []


def test_a_full_disk_while_writing_keeps_the_old_entry_and_no_temp_file(
    fresh_notes: Path,
) -> None:
    """A real write failure: the child's file-size limit (RLIMIT_FSIZE) makes the kernel refuse the
    write part-way, as a full disk does."""
    old = _entry(fresh_notes)
    before = old.read_bytes()
    big = fresh_notes / "big.npz"
    code = textwrap.dedent("""
        import resource, signal, sys
        import numpy as np
        from kneeviz import cache
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        ok1 = cache.save_entry("big.npz", "s", {"a": np.ones((1000, 3))})
        ok2 = cache.save_entry("t.npz", "s", {"a": np.ones((1000, 3))})
        sys.exit(0 if not ok1 and not ok2 else 1)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "KNEEVIZ_CACHE_DIR": str(fresh_notes)})
    assert r.returncode == 0, r.stderr
    notes = [ln for ln in r.stderr.splitlines() if ln.startswith("kneeviz: note:")]
    assert len(notes) == 1 and "cannot be written (could not write the cache: File too large)" \
        in notes[0], r.stderr
    assert not big.exists()
    assert old.read_bytes() == before  # the good entry was not touched
    assert sorted(p.name for p in fresh_notes.iterdir()) == ["t.npz"]  # no temp file


def test_the_per_user_folder_follows_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KNEEVIZ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if sys.platform.startswith("linux"):
        assert cache.cache_dir() == tmp_path / "xdg" / "kneeviz"
    else:
        assert cache.cache_dir().name.lower() in {"kneeviz", "cache"}
    monkeypatch.setenv("KNEEVIZ_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_an_all_zero_welded_mesh_with_a_good_checksum_is_rebuilt(
    fresh_notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stl = build.assets_dir() / "patella.stl"
    good = build._read_stl(stl)
    (entry,) = fresh_notes.glob("welded-*.npz")
    data = stl.read_bytes()
    source = cache.source_digest("welded-stl", data)
    cache.save_entry(entry.name, source, {"vertices_mm": np.zeros_like(good.vertices_mm),
                                          "faces": np.zeros_like(good.faces)})
    again = build._read_stl(stl)
    np.testing.assert_array_equal(again.vertices_mm, good.vertices_mm)
    assert len(_notes(capsys)) == 1


def _sheet() -> tuple[SurfaceMesh, SurfaceMesh]:
    from mechanics_knees import flat_sheet

    return flat_sheet()  # type: ignore[no-any-return]


@pytest.mark.parametrize("bad", ["zeros", "shape", "other-knee"])
def test_a_well_formed_but_wrong_distance_grid_is_rebuilt(
    bad: str, fresh_notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cart, bone = _sheet()
    good = build_distance_grid(cart, bone)
    name = f"femoral-sdf-{grid_key(cart, bone, 1.0)}.npz"
    from kneeviz.mechanics.contact import GRID_VERSION

    source = cache.source_digest(GRID_VERSION, grid_key(cart, bone, 1.0))
    values = good.values.astype(np.float32)
    origin = good.origin_mm
    if bad == "zeros":
        values = np.zeros_like(values)
    elif bad == "shape":
        values = values[: values.shape[0] // 2]
    else:  # another knee's grid, far away
        origin = origin + 200.0
    cache.save_entry(name, source, {"origin_mm": origin, "spacing_mm": np.array(1.0),
                                    "values": values})
    from kneeviz.mechanics import contact

    contact._RECENT_GRIDS.clear()
    grid = load_or_build_grid(cart, bone)
    np.testing.assert_allclose(grid.values, good.values, atol=1e-4)
    assert len(_notes(capsys)) == 1
    contact._RECENT_GRIDS.clear()
    again = load_or_build_grid(cart, bone)  # the rebuilt entry now verifies
    np.testing.assert_allclose(again.values, good.values, atol=1e-4)
    assert len(_notes(capsys)) == 0


def test_the_run_that_builds_a_distance_grid_uses_it_as_later_runs_read_it(
    fresh_notes: Path,
) -> None:
    """The first run (building the grid) and later runs (reading it from the cache) hold the very
    same numbers: before, the first kept float64 and the others read float32 back, and their
    squats differed by up to 5e-6 mm."""
    cart, bone = _sheet()
    from kneeviz.mechanics import contact

    first = load_or_build_grid(cart, bone)  # built (fresh cache folder)
    assert load_or_build_grid(cart, bone) is first  # kept in memory for the next model
    contact._RECENT_GRIDS.clear()  # as a later run (another process) finds it
    later = load_or_build_grid(cart, bone)  # read back
    np.testing.assert_array_equal(first.values, later.values)
    np.testing.assert_array_equal(first.origin_mm, later.origin_mm)
    assert first.spacing_mm == later.spacing_mm
    # and the stored grid is the built one to float32's precision
    built = build_distance_grid(cart, bone)
    np.testing.assert_allclose(first.values, built.values, rtol=1e-6, atol=1e-5)
    assert not np.array_equal(first.values, built.values)  # (the rounding is real)
