"""A bounded, downsampled series of (x, y) points: what the live widget keeps per metric.

Points fall into buckets of ``width`` consecutive points. A closed bucket keeps four points:
its first, its minimum, its maximum and its last (the M4 shape), so spikes and the final value
survive downsampling. When ``capacity`` buckets are closed, adjacent pairs merge and the width
doubles: memory stays bounded however long the run, and the shape is kept at every scale.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

# One closed bucket is 8 doubles in this order.
_FX, _FY, _NX, _NY, _MX, _MY, _LX, _LY = range(8)
_FIELDS = 8


class SeriesBuffer:
    """Downsampled points of one metric; ``extend`` on the widget thread, ``points`` to draw."""

    def __init__(self, capacity: int = 128) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"SeriesBuffer capacity must be an even number >= 2, got {capacity}")
        self._capacity = capacity
        self._width = 1  # points per closed bucket
        self._closed = array("d")
        # Points of the bucket still filling; fewer than ``_width`` of them.
        self._open_x: list[float] = []
        self._open_y: list[float] = []
        self.count = 0  # points ever added

    @property
    def width(self) -> int:
        """Raw points per closed bucket (a power of two)."""
        return self._width

    def extend(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        """Add points in order (``xs[i]``, ``ys[i]``)."""
        if len(xs) != len(ys):
            raise ValueError(f"extend: {len(xs)} x values but {len(ys)} y values")
        self.count += len(ys)
        open_x, open_y = self._open_x, self._open_y
        open_x.extend(xs)
        open_y.extend(ys)
        start = 0
        while len(open_y) - start >= self._width:
            end = start + self._width
            self._close(open_x, open_y, start, end)
            start = end
        if start:
            del open_x[:start]
            del open_y[:start]

    def _close(self, xs: list[float], ys: list[float], start: int, end: int) -> None:
        if end - start == 1:
            x, y = xs[start], ys[start]
            self._closed.extend((x, y, x, y, x, y, x, y))
        else:
            low = min(range(start, end), key=ys.__getitem__)
            high = max(range(start, end), key=ys.__getitem__)
            self._closed.extend(
                (
                    xs[start],
                    ys[start],
                    xs[low],
                    ys[low],
                    xs[high],
                    ys[high],
                    xs[end - 1],
                    ys[end - 1],
                )
            )
        if len(self._closed) >= self._capacity * _FIELDS:
            self._closed = _merge_groups(self._closed, 2)
            self._width *= 2

    def points(self, limit: int = 200) -> list[tuple[float, float]]:
        """At most about ``limit`` points (>= 8) tracing the whole series, oldest first."""
        closed = self._closed
        if self._open_y:
            closed = closed + _open_bucket(self._open_x, self._open_y)
        buckets = len(closed) // _FIELDS
        per_bucket_limit = max(2, limit // 4)
        if buckets > per_bucket_limit:
            closed = _merge_groups(closed, -(-buckets // per_bucket_limit))
        out: list[tuple[float, float]] = []
        for i in range(0, len(closed), _FIELDS):
            for point in _bucket_points(closed, i):
                if not out or out[-1] != point:
                    out.append(point)
        return out


def _open_bucket(xs: list[float], ys: list[float]) -> array[float]:
    low = min(range(len(ys)), key=ys.__getitem__)
    high = max(range(len(ys)), key=ys.__getitem__)
    return array("d", (xs[0], ys[0], xs[low], ys[low], xs[high], ys[high], xs[-1], ys[-1]))


def _merge_groups(closed: array[float], group: int) -> array[float]:
    """Merge each run of ``group`` consecutive buckets into one (the last run may be shorter)."""
    merged = array("d")
    step = group * _FIELDS
    for start in range(0, len(closed), step):
        end = min(start + step, len(closed))
        low = min(range(start, end, _FIELDS), key=lambda i: closed[i + _NY])
        high = max(range(start, end, _FIELDS), key=lambda i: closed[i + _MY])
        last = end - _FIELDS
        merged.extend(
            (
                closed[start + _FX],
                closed[start + _FY],
                closed[low + _NX],
                closed[low + _NY],
                closed[high + _MX],
                closed[high + _MY],
                closed[last + _LX],
                closed[last + _LY],
            )
        )
    return merged


def _bucket_points(closed: array[float], i: int) -> list[tuple[float, float]]:
    first = (closed[i + _FX], closed[i + _FY])
    low = (closed[i + _NX], closed[i + _NY])
    high = (closed[i + _MX], closed[i + _MY])
    last = (closed[i + _LX], closed[i + _LY])
    # The extremes in the order they happened (x grows with time for steps).
    middle = [low, high] if low[0] <= high[0] else [high, low]
    return [first, *middle, last]
