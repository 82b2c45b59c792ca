"""Hostile caches: a cache file truncated, bit-flipped, emptied, replaced by one of the wrong
shape or all zeros, by a folder, a FIFO or a link to /dev/zero. A cache only saves time: every
such entry must be rebuilt (the result is the one a clean build gives), never trusted, never a
traceback or a hang.

Two levels: the bundled knee's welded meshes end to end (the loader gives the same mesh as a
clean weld), and the cache's entry reader itself for every corruption (it says "rebuild")."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from hostile_core import RESULT, Case
from kneeviz import cache
from kneeviz.anatomy.build import assets_dir

SHAPES = {"vertices_mm": (None, 3), "faces": (None, 3)}


def _entry(folder: Path) -> tuple[str, str, dict[str, np.ndarray]]:
    """A valid entry written to `folder`: (name, source digest, arrays)."""
    rng = np.random.default_rng(7)
    arrays = {"vertices_mm": rng.normal(size=(200, 3)),
              "faces": rng.integers(0, 200, size=(300, 3)).astype(np.int64)}
    name, source = "entry.npz", cache.source_digest("hostile", "entry")
    assert cache.save_entry(name, source, arrays, folder=folder)
    return name, source, arrays


def _truncate(p: Path, keep: float) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: int(len(data) * keep)])


def _flip(p: Path, at: float) -> None:
    data = bytearray(p.read_bytes())
    i = min(len(data) - 1, int(len(data) * at))
    data[i] ^= 0xFF
    p.write_bytes(bytes(data))


def _replace_with(p: Path, what: str) -> None:
    p.unlink()
    if what == "folder":
        p.mkdir()
    elif what == "fifo":
        os.mkfifo(p)
    elif what == "devzero":
        p.symlink_to("/dev/zero")
    elif what == "empty":
        p.write_bytes(b"")


def _rewrite(p: Path, how: str, source: str, arrays: dict[str, np.ndarray]) -> None:
    """A well-formed entry that is still wrong: other shapes, all zeros, another source."""
    if how == "wrong-shape":
        bad = {"vertices_mm": np.zeros((10, 4)), "faces": arrays["faces"]}
        cache.save_entry(p.name, source, bad, folder=p.parent)
    elif how == "other-source":
        cache.save_entry(p.name, cache.source_digest("something else"), arrays, folder=p.parent)
    elif how == "plain-npz":  # no header: an older kneeviz's or a foreign file
        with open(p, "wb") as fh:
            np.savez(fh, **arrays)


DAMAGE = (
    [(f"truncated-{int(100 * k)}pct", lambda p, s, a, k=k: _truncate(p, k))
     for k in (0.0, 0.01, 0.1, 0.5, 0.9, 0.99)]
    + [(f"bit-flip-{int(100 * k)}pct", lambda p, s, a, k=k: _flip(p, k))
       for k in (0.0, 0.05, 0.3, 0.6, 0.95)]
    + [(f"replaced-by-{w}", lambda p, s, a, w=w: _replace_with(p, w))
       for w in ("folder", "fifo", "devzero", "empty")]
    + [(how, lambda p, s, a, how=how: _rewrite(p, how, s, a))
       for how in ("wrong-shape", "other-source", "plain-npz")]
)


def _reader_case(label: str, damage: object) -> Case:
    def run(tmp: Path) -> str:
        name, source, arrays = _entry(tmp)
        damage(tmp / name, source, arrays)  # type: ignore[operator]
        got = cache.load_entry(name, source, SHAPES, folder=tmp)
        assert got is None, "a damaged cache entry was trusted"
        # and it is rebuilt in its place, then trusted again
        if (tmp / name).is_dir():
            shutil.rmtree(tmp / name)
        elif (tmp / name).exists() or (tmp / name).is_symlink():
            (tmp / name).unlink()
        assert cache.save_entry(name, source, arrays, folder=tmp)
        again = cache.load_entry(name, source, SHAPES, folder=tmp)
        assert again is not None and all(np.array_equal(again[k], arrays[k]) for k in arrays)
        return RESULT

    return Case("cache", f"entry-{label}", run, timeout_s=20.0)


def _all_zero_case() -> Case:
    """A well-formed welded mesh of zeros: its own checksums agree, the caller's check must not."""
    def run(tmp: Path) -> str:
        return _welded_roundtrip(tmp, lambda p, s: cache.save_entry(
            p.name, s, {"vertices_mm": np.zeros((50, 3)), "faces": np.zeros((40, 3), np.int64)},
            folder=p.parent))

    return Case("cache", "welded-all-zeros", run, timeout_s=60.0)


def _welded_roundtrip(tmp: Path, damage: object) -> str:
    """Load the bundled patella with a clean cache, damage its welded entry, load again: the
    same mesh (rebuilt), and the entry verifies again afterwards."""
    from kneeviz.anatomy import build

    old = os.environ.get("KNEEVIZ_CACHE_DIR")
    os.environ["KNEEVIZ_CACHE_DIR"] = str(tmp)
    try:
        stl = assets_dir() / "patella.stl"
        clean = build._read_stl(stl)
        (entry,) = [p for p in tmp.iterdir() if p.name.startswith("welded-")]
        import hashlib

        source = cache.source_digest("welded-stl", stl.read_bytes())
        damage(entry, source)  # type: ignore[operator]
        again = build._read_stl(stl)
        assert np.array_equal(again.vertices_mm, clean.vertices_mm)
        assert np.array_equal(again.faces, clean.faces)
        assert hashlib.sha256(stl.read_bytes()).hexdigest()[:32] in entry.name
        return RESULT
    finally:
        if old is None:
            os.environ.pop("KNEEVIZ_CACHE_DIR", None)
        else:
            os.environ["KNEEVIZ_CACHE_DIR"] = old


def _welded_case(label: str, damage: object) -> Case:
    def run(tmp: Path) -> str:
        def hurt(p: Path, source: str) -> None:
            damage(p, source, {})  # type: ignore[operator]

        return _welded_roundtrip(tmp, hurt)

    return Case("cache", f"welded-{label}", run, timeout_s=60.0)


def cases() -> list[Case]:
    out = [_reader_case(label, d) for label, d in DAMAGE]
    welded = [(label, d) for label, d in DAMAGE
              if label in ("truncated-50pct", "bit-flip-60pct", "replaced-by-fifo",
                           "replaced-by-empty", "replaced-by-devzero", "plain-npz")]
    out += [_welded_case(label, d) for label, d in welded]
    out.append(_all_zero_case())
    return out
