"""The M4 downsampler on its own."""

from __future__ import annotations

import time

import numpy as np

from nbrun.server.downsample import downsample, m4_indices


def test_short_series_are_kept_whole() -> None:
    x, y = np.arange(10), np.arange(10.0)
    _, got_y, sampled = downsample(x, y, 10)
    assert not sampled and list(got_y) == list(y)


def test_every_bucket_keeps_its_extremes_and_the_ends() -> None:
    y = np.sin(np.linspace(0, 40, 100_001))
    y[777] = 9.0
    y[50_000] = -9.0
    keep = m4_indices(y, 400)
    assert len(keep) <= 400 and keep[0] == 0 and keep[-1] == len(y) - 1
    assert 777 in keep and 50_000 in keep
    assert list(keep) == sorted(set(keep))


def test_nan_never_hides_a_real_extreme() -> None:
    y = np.full(1000, np.nan)
    y[500] = 3.0
    assert 500 in m4_indices(y, 8)


def test_tiny_limits_keep_the_ends() -> None:
    y = np.arange(100.0)
    assert list(m4_indices(y, 2)) == [0, 99]
    assert list(m4_indices(y, 1)) == [99]


def test_a_million_points_take_a_few_milliseconds() -> None:
    y = np.random.default_rng(1).normal(size=1_000_000)
    start = time.perf_counter()
    downsample(np.arange(len(y)), y, 2000)
    assert time.perf_counter() - start < 0.5  # typically ~10 ms; loose for slow CI machines
