"""The femoral cartilage's pressure map, computed only for the frames someone looks at.

Each contacting patellar point paints its pressure on the (up to 4) femoral cartilage vertices
within FEMUR_PAINT_MM of it; a vertex painted twice keeps the larger value. Painting every frame of
every solve took a sixth of a squat's time, yet no data file but .npz carries the map and the window
draws one frame at a time. So a squat keeps only its contacting points and their pressures, and
FemoralPressureMap paints a frame when it is indexed (`map[i]`), or all frames in one batched
nearest-neighbour query when the whole array is asked for (`np.asarray(map)`, an .npz export, a
video): the same numbers either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from kneeviz.anatomy.mesh import FloatArray

FEMUR_PAINT_MM = 1.5
"""How close a femoral vertex must be to a contacting patellar point to take its pressure."""
FEMUR_PAINT_NEIGHBOURS = 4


class FemoralPressureMap(NDArrayOperatorsMixin):
    """(frames, femoral cartilage vertices) float32 pressures (MPa), painted on demand.

    `contacts[i]` holds frame i's contacting patellar points (femur frame, mm) and their pressures
    (MPa). Indexing with a frame number paints that frame (and remembers it); anything else (a
    slice, a mask, np.asarray, arithmetic and comparisons) paints every frame at once.
    """

    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(
        self, femur_vertices_mm: FloatArray, contacts: Sequence[tuple[FloatArray, FloatArray]]
    ) -> None:
        self._vertices = np.asarray(femur_vertices_mm, dtype=float)
        self._contacts = list(contacts)
        self._tree: cKDTree | None = None
        self._rows: dict[int, NDArray[np.float32]] = {}
        self._all: NDArray[np.float32] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self._contacts), len(self._vertices))

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * self.dtype.itemsize

    def held_arrays(self) -> list[NDArray[Any]]:
        """Every array this map keeps alive (the contacts, the frames painted so far), for
        memory accounting."""
        out: list[NDArray[Any]] = [a for c in self._contacts for a in c]
        out += list(self._rows.values())
        if self._all is not None:
            out.append(self._all)
        return out

    def __len__(self) -> int:
        return len(self._contacts)

    def _query(self, points: FloatArray) -> tuple[FloatArray, NDArray[np.int64]]:
        if self._tree is None:
            self._tree = cKDTree(self._vertices)
        d, idx = self._tree.query(points, k=FEMUR_PAINT_NEIGHBOURS,
                                  distance_upper_bound=FEMUR_PAINT_MM)
        return d, idx

    def frame(self, i: int) -> NDArray[np.float32]:
        """Frame i's map (V,), painted now if it was not before."""
        n = len(self._contacts)
        if not -n <= i < n:
            raise IndexError(f"frame {i} out of range (0-{n - 1})")
        i %= n
        if self._all is not None:
            return self._all[i]
        row = self._rows.get(i)
        if row is None:
            row = np.zeros(len(self._vertices), dtype=np.float32)
            pts, p = self._contacts[i]
            if len(pts):
                d, idx = self._query(pts)
                ok = np.isfinite(d)
                pb = np.broadcast_to(p[:, None], d.shape)
                np.maximum.at(row, idx[ok], pb[ok].astype(np.float32))
            self._rows[i] = row
        return row

    def array(self) -> NDArray[np.float32]:
        """Every frame's map (frames, V), painted in one batched query."""
        if self._all is None:
            n, v = self.shape
            out = np.zeros((n, v), dtype=np.float32)
            counts = [len(c[0]) for c in self._contacts]
            if sum(counts):
                pts = np.concatenate([c[0] for c in self._contacts if len(c[0])])
                p = np.concatenate([c[1] for c in self._contacts if len(c[0])])
                frame_of = np.repeat(np.arange(n), counts)
                d, idx = self._query(pts)
                ok = np.isfinite(d)
                flat = (frame_of[:, None] * v + np.where(ok, idx, 0))[ok]
                pb = np.broadcast_to(p[:, None], d.shape)[ok].astype(np.float32)
                np.maximum.at(out.reshape(-1), flat, pb)
            self._all = out
            self._rows.clear()
        return self._all

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int | np.integer):
            return self.frame(int(key))
        return self.array()[key]

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        a = self.array()
        return a if dtype is None else a.astype(dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        args = [x.array() if isinstance(x, FemoralPressureMap) else x for x in inputs]
        return getattr(ufunc, method)(*args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return self.array().max(*args, **kwargs)
