"""Min/max-preserving downsampling (M4): at most N points per series, keeping the first and last
point and each bucket's first, last, minimum and maximum, so spikes survive any zoom level."""

from __future__ import annotations

from typing import Any

import numpy as np

NDArray = Any  # numpy's own typing is not installed as a stub here


def m4_indices(y: NDArray, limit: int) -> NDArray:
    """Sorted indices of at most ``limit`` points of ``y`` (buckets of equal point counts in
    index order; NaN never counts as a minimum or maximum unless its bucket has nothing else)."""
    n = len(y)
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if n <= limit:
        return np.arange(n)
    if limit < 4:
        return np.array([0, n - 1][:limit] if limit >= 2 else [n - 1])
    buckets = limit // 4
    size = -(-n // buckets)  # ceil: every bucket but the last is full
    rows = -(-n // size)
    pad = rows * size - n
    values = np.asarray(y, dtype=np.float64)
    nan = np.isnan(values)
    low = np.where(nan, np.inf, values)
    high = np.where(nan, -np.inf, values)
    if pad:
        low = np.concatenate([low, np.full(pad, np.inf)])
        high = np.concatenate([high, np.full(pad, -np.inf)])
    base = np.arange(rows) * size
    argmin = base + low.reshape(rows, size).argmin(axis=1)
    argmax = base + high.reshape(rows, size).argmax(axis=1)
    last = np.minimum(base + size - 1, n - 1)
    picked = np.concatenate([base, argmin, argmax, last])
    return np.unique(np.minimum(picked, n - 1))


def downsample(x: NDArray, y: NDArray, limit: int) -> tuple[NDArray, NDArray, bool]:
    """``(x, y)`` reduced to at most ``limit`` points, and whether anything was dropped."""
    if len(y) <= limit:
        return x, y, False
    keep = m4_indices(y, limit)
    return x[keep], y[keep], True
