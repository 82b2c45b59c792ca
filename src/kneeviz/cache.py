"""Where kneeviz keeps what it can rebuild: distance grids, welded meshes.

$KNEEVIZ_CACHE_DIR, else ~/.cache/kneeviz. Everything there is plain numbers (numpy .npz read with
allow_pickle=False), keyed by the content it was made from, so a stale or foreign file is never
used and deleting the folder only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$KNEEVIZ_CACHE_DIR or ~/.cache/kneeviz."""
    env = os.environ.get("KNEEVIZ_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "kneeviz"
