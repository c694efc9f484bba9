"""The per-metric downsampled series: bounded, and keeping the shape a chart needs."""

from __future__ import annotations

import math

import pytest

from nbrun.jupyter.ring_buffer import SeriesBuffer


def fill(buffer: SeriesBuffer, ys: list[float], chunk: int = 37) -> None:
    for start in range(0, len(ys), chunk):
        part = ys[start : start + chunk]
        buffer.extend([float(start + i) for i in range(len(part))], part)


def test_a_short_series_keeps_every_point() -> None:
    buffer = SeriesBuffer(capacity=64)
    fill(buffer, [3.0, 1.0, 2.0])
    assert buffer.points() == [(0.0, 3.0), (1.0, 1.0), (2.0, 2.0)]


def test_memory_stays_bounded_however_many_points_arrive() -> None:
    buffer = SeriesBuffer(capacity=16)
    fill(buffer, [math.sin(i / 50) for i in range(200_000)])
    assert buffer.count == 200_000
    assert len(buffer.points(limit=10_000)) <= 4 * 16 + 4
    assert buffer.width >= 200_000 // 16


def test_first_last_min_and_max_survive_downsampling() -> None:
    ys = [math.sin(i / 100) for i in range(100_000)]
    ys[31_337] = 50.0  # a spike
    ys[77_777] = -50.0
    buffer = SeriesBuffer(capacity=32)
    fill(buffer, ys)
    points = buffer.points(limit=40)
    assert points[0] == (0.0, ys[0])
    assert points[-1] == (99_999.0, ys[-1])
    assert (31_337.0, 50.0) in points
    assert (77_777.0, -50.0) in points


def test_points_respect_the_limit_and_stay_in_x_order() -> None:
    buffer = SeriesBuffer(capacity=128)
    fill(buffer, [float(i % 13) for i in range(10_000)])
    points = buffer.points(limit=60)
    assert len(points) <= 60
    xs = [x for x, _ in points]
    assert xs == sorted(xs)


def test_points_include_the_bucket_still_filling() -> None:
    buffer = SeriesBuffer(capacity=4)
    fill(buffer, [float(i) for i in range(11)], chunk=1)
    assert buffer.points()[-1] == (10.0, 10.0)


def test_bad_arguments_are_refused_with_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="capacity must be an even number"):
        SeriesBuffer(capacity=3)
    with pytest.raises(ValueError, match="2 x values but 1 y values"):
        SeriesBuffer().extend([1.0, 2.0], [1.0])
