import numpy as np
import pytest

import nbrun


def test_a_sequence_is_binned_into_num_bins() -> None:
    histogram = nbrun.Histogram([0, 1, 1, 2, 2, 2], num_bins=3)

    value = histogram._nbrun_value()

    assert value == {
        "_type": "histogram",
        "values": [1.0, 2.0, 3.0],
        "bins": [0.0, 2 / 3, 4 / 3, 2.0],
    }


def test_non_finite_values_are_left_out_of_the_bins() -> None:
    histogram = nbrun.Histogram(np.array([1.0, np.nan, np.inf, 1.0]), num_bins=1)

    assert histogram.histogram == [2.0]


def test_np_histogram_is_taken_as_is() -> None:
    counts, edges = np.histogram([1, 2, 3], bins=2)

    histogram = nbrun.Histogram(np_histogram=(counts, edges))

    assert histogram.histogram == [1.0, 2.0] and histogram.bins == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"sequence": [1], "np_histogram": ([1], [0, 1])}, "exactly one of"),
        ({"sequence": [1], "num_bins": 0}, "num_bins must be 1..512"),
        ({"np_histogram": ([1, 2], [0, 1])}, "2 bin edges for 2 counts"),
        ({"sequence": ["a", "b"]}, "must hold numbers"),
        ({"sequence": [float("nan")]}, "no finite numbers"),
    ],
)
def test_bad_histogram_input_names_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.Histogram(**kwargs)  # type: ignore[arg-type]
