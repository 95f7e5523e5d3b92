import math

import pytest

from slo.histogram import bounds, quantile

INF = math.inf
B = {0.001: 50, 0.005: 90, 0.01: 99, 0.1: 100, INF: 100}


@pytest.mark.parametrize("q, expected", [
    (0.5, 0.001), (0.25, 0.0005), (0.7, 0.003), (0.99, 0.01), (0.995, 0.055), (1.0, 0.1),
], ids=["at a boundary", "inside the first bucket", "inside a middle bucket", "at a threshold", "in a wide bucket",
        "the maximum"])
def test_quantile_interpolates_like_prometheus(q, expected):
    assert quantile(q, B) == pytest.approx(expected)


def test_a_quantile_in_the_inf_bucket_is_the_highest_finite_bound():
    assert quantile(0.99, {0.01: 10, INF: 100}) == 0.01


@pytest.mark.parametrize("buckets", [{}, {0.01: 0, INF: 0}, {0.01: 5}], ids=["no buckets", "no requests", "no +Inf bucket"])
def test_no_data_gives_none(buckets):
    assert quantile(0.5, buckets) is None


@pytest.mark.parametrize("q, expected", [(0.5, (0, 0.001)), (0.7, (0.001, 0.005)), (0.995, (0.01, 0.1))],
                         ids=["first bucket", "middle bucket", "wide bucket"])
def test_bounds_are_the_bucket_that_holds_the_quantile(q, expected):
    assert bounds(q, B) == expected
