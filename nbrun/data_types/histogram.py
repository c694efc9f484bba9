"""``nbrun.Histogram``: a distribution logged at a step (counts and bin edges, no file)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nbrun.data_types.media import Media
from nbrun.errors import InvalidValueError

MAX_BINS = 512


class Histogram(Media):
    """From raw values (``sequence``, binned into ``num_bins``) or a ready
    ``np_histogram=(counts, edges)`` pair, as ``numpy.histogram`` returns it."""

    def __init__(
        self,
        sequence: Sequence[Any] | Any | None = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
    ) -> None:
        if (sequence is None) == (np_histogram is None):
            raise InvalidValueError("Histogram needs exactly one of sequence= or np_histogram=")
        if not isinstance(num_bins, int) or not 1 <= num_bins <= MAX_BINS:
            raise InvalidValueError(f"Histogram num_bins must be 1..{MAX_BINS}, got {num_bins!r}")
        if np_histogram is not None:
            counts, edges = (list(map(float, part)) for part in np_histogram)
            if len(edges) != len(counts) + 1:
                raise InvalidValueError(
                    f"Histogram np_histogram: {len(edges)} bin edges for {len(counts)} counts; "
                    "expected one edge more than counts"
                )
            if len(counts) > MAX_BINS:
                raise InvalidValueError(f"Histogram has {len(counts)} bins; at most {MAX_BINS}")
        else:
            counts, edges = _bin(sequence, num_bins)
        self.histogram = counts
        self.bins = edges

    def _nbrun_value(self) -> dict[str, Any]:
        return {"_type": "histogram", "values": self.histogram, "bins": self.bins}

    def __repr__(self) -> str:
        return f"Histogram({len(self.histogram)} bins)"


def _bin(sequence: Any, num_bins: int) -> tuple[list[float], list[float]]:
    import numpy as np

    try:
        values = np.asarray(
            sequence.detach().cpu().numpy() if hasattr(sequence, "detach") else sequence,
            dtype=float,
        ).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"Histogram sequence must hold numbers: {exc}") from None
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise InvalidValueError("Histogram sequence holds no finite numbers")
    counts, edges = np.histogram(values, bins=num_bins)
    return [float(c) for c in counts], [float(e) if math.isfinite(e) else 0.0 for e in edges]
