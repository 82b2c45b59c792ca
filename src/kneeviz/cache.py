"""Where kneeviz keeps what it can rebuild (distance grids, welded meshes), and how it trusts it.

The folder: $KNEEVIZ_CACHE_DIR, else the per-user cache folder the platform expects
(platformdirs: ~/.cache/kneeviz on Linux, ~/Library/Caches/kneeviz on macOS,
%LOCALAPPDATA%\\kneeviz\\Cache on Windows). `cache_dir()` is the one place that says where
per-user cache files go: anything else kneeviz caches goes in a sub-folder of it.

Why every entry is verified: a cache file is only ever a faster way to a result kneeviz can
compute, so a file that does not prove itself is rebuilt, never trusted. Each entry is a numpy
.npz (read with allow_pickle=False: loading never runs code) holding its arrays and a JSON header
with the entry's format version, what it was built from (a digest of the source content) and each
array's shape, dtype and SHA-256. A truncated, bit-flipped, empty, foreign or stale file fails one
of those checks; the caller's own check (`valid`) catches a well-formed entry that cannot be right
(wrong shape for its knee, all zeros). Anything in the folder that is not a regular file (a FIFO, a
device) is never opened, so it cannot hang a read.

A cache that cannot be written (read-only or missing folder, full disk) costs only time: kneeviz
runs uncached and says so once per process, on stderr.

Entries shipped with kneeviz: an entry that is the same on every machine (the default knee's
distance grid: 10-25 s of a new user's first start) is shipped in the default knee's folder
(kneeviz/default_knee in the wheel, assets/meshes in a checkout), LZMA-compressed. When the
user's cache has no verified entry of that name, the shipped one is read, verified exactly as a
cache entry is (a shipped file that does not verify is not used: the entry is built again).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kneeviz.atomic import atomic_write_bytes
from kneeviz.errors import KneevizError

FORMAT_VERSION = 2
"""Version of the entry layout (header + arrays); entries of any other version are rebuilt."""
MAX_ENTRY_BYTES = 1 << 30
"""No cache entry is larger (a distance grid is about 30 MB): a bigger file is not read."""
HEADER_KEY = "kneeviz_cache_header"

_said: set[str] = set()


def cache_dir() -> Path:
    """$KNEEVIZ_CACHE_DIR, else the platform's per-user cache folder for kneeviz."""
    env = os.environ.get("KNEEVIZ_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("kneeviz", appauthor=False))


def note_once(key: str, message: str) -> None:
    """Print `kneeviz: note: message` to stderr the first time `key` is seen in this process."""
    if key in _said:
        return
    _said.add(key)
    print(f"kneeviz: note: {message}", file=sys.stderr)


def source_digest(*parts: bytes | str) -> str:
    """SHA-256 of what an entry is built from (file bytes, content hashes, parameters)."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def _array_digest(a: NDArray[np.generic]) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _read_regular_file(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file of sane size; None if it is absent or anything
    else (a FIFO or device is opened non-blocking and refused, never read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            note_once(f"nonfile:{path}", f"{path} in the cache folder is not a file: ignored")
            return None
        if st.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def shipped_dir() -> Path:
    """The read-only folder of entries shipped with kneeviz: the default knee's folder."""
    from kneeviz.resources import default_knee_dir

    return default_knee_dir()


def load_entry(
    name: str,
    source: str,
    arrays: Mapping[str, tuple[int | None, ...]],
    valid: Callable[[dict[str, NDArray[np.generic]]], str | None] | None = None,
    folder: Path | None = None,
) -> dict[str, NDArray[np.generic]] | None:
    """The arrays of cache entry `name` if it verifies, else None (and one note if a file was
    there but did not verify: it will be rebuilt).

    `source` is the digest of what the entry must have been built from; `arrays` gives each
    expected array's shape (None for a free axis); `valid` is the caller's check of the content,
    returning the reason it is wrong or None; `folder` overrides cache_dir(). Without `folder`,
    an entry the user's cache lacks is looked for among those shipped with kneeviz
    (shipped_dir()), verified the same way."""
    path = (folder if folder is not None else cache_dir()) / name
    out = _load_verified(path, source, arrays, valid, "the cache file")
    if out is None and folder is None:
        shipped = shipped_dir() / name
        if shipped != path:
            out = _load_verified(shipped, source, arrays, valid, "the file shipped with kneeviz")
    return out


def _load_verified(
    path: Path,
    source: str,
    arrays: Mapping[str, tuple[int | None, ...]],
    valid: Callable[[dict[str, NDArray[np.generic]]], str | None] | None,
    what: str,
) -> dict[str, NDArray[np.generic]] | None:
    """The arrays of the entry file at `path` if it verifies (see load_entry)."""
    data = _read_regular_file(path)
    if data is None:
        return None
    reason = None
    out: dict[str, NDArray[np.generic]] = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = json.loads(str(z[HEADER_KEY][()])) if HEADER_KEY in z.files else None
            if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
                note_once("old-format", f"cache files in {path.parent} from another kneeviz "
                          "version are rebuilt as they are needed")
                return None
            elif header.get("source") != source:
                reason = "built from something else"
            else:
                meta = header.get("arrays", {})
                for key, shape in arrays.items():
                    a = np.asarray(z[key])
                    m = meta.get(key, {})
                    if (list(a.shape) != m.get("shape") or str(a.dtype) != m.get("dtype")
                            or _array_digest(a) != m.get("sha256")):
                        reason = f"its {key} does not match its checksum"
                        break
                    if len(shape) != a.ndim or any(
                        s is not None and s != n for s, n in zip(shape, a.shape, strict=True)
                    ):
                        reason = f"its {key} has the wrong shape {a.shape}"
                        break
                    out[key] = a
                if reason is None and valid is not None:
                    reason = valid(out)
    except (OSError, ValueError, KeyError, TypeError, EOFError, json.JSONDecodeError) as exc:
        reason = f"it is damaged ({type(exc).__name__})"
    except Exception as exc:  # zipfile.BadZipFile and other parse errors of a damaged file
        reason = f"it is damaged ({type(exc).__name__})"
    if reason is not None:
        note_once(f"bad:{path}", f"{what} {path} was not used ({reason}): rebuilding it")
        return None
    return out


def entry_bytes(source: str, arrays: Mapping[str, NDArray[np.generic]],
                compressed: bool = False) -> bytes:
    """An entry's file content: a .npz of the arrays and the header (see the module docstring);
    `compressed`: its members LZMA-compressed (np.load reads them as any .npz), for shipped
    entries (the default knee's grid: 22 MB -> about 3 MB; reading it back costs about 1 s,
    so the user's own cache keeps entries uncompressed)."""
    header = {
        "format": FORMAT_VERSION,
        "source": source,
        "arrays": {
            k: {"shape": list(np.shape(a)), "dtype": str(np.asarray(a).dtype),
                "sha256": _array_digest(np.asarray(a))}
            for k, a in arrays.items()
        },
    }
    members = {HEADER_KEY: np.array(json.dumps(header)), **arrays}
    buf = io.BytesIO()
    if not compressed:
        np.savez(buf, allow_pickle=False, **members)
        return buf.getvalue()
    import zipfile

    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_LZMA) as zf:
        for key, a in members.items():
            with zf.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(a), allow_pickle=False)
    return buf.getvalue()


def save_entry(
    name: str, source: str, arrays: Mapping[str, NDArray[np.generic]], folder: Path | None = None
) -> bool:
    """Write cache entry `name` atomically (kneeviz.atomic: temporary file, fsync, rename); False,
    with one note per process, when the cache cannot be written (kneeviz then runs uncached)."""
    folder = folder if folder is not None else cache_dir()
    data = entry_bytes(source, arrays)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / name, data, what="write the cache")
        return True
    except (OSError, KneevizError) as exc:
        why = exc.problem if isinstance(exc, KneevizError) else (exc.strerror or str(exc))
        note_once("unwritable", f"the cache folder {folder} cannot be written ({why}): running "
                  "without the cache (set KNEEVIZ_CACHE_DIR to use another folder)")
        return False


@contextlib.contextmanager
def building(name: str, folder: Path | None = None) -> Iterator[None]:
    """Held while entry `name` is built: another process about to build the same entry (a
    study's second worker on the same knee) waits here, then finds it built, instead of building
    it a second time. An advisory lock file beside the entries (POSIX flock; where there is none,
    or the folder cannot be written, nothing waits and both build, as before)."""
    folder = folder if folder is not None else cache_dir()
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
