"""Quantiles from cumulative bucket counts, as Prometheus's histogram_quantile computes them, with bounds."""
from __future__ import annotations

import math


def _sorted(buckets: dict[float, float]) -> list[tuple[float, float]]:
    return sorted(buckets.items())


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """Linear interpolation inside the bucket holding rank q*N (Prometheus's algorithm)."""
    items = _sorted(buckets)
    if len(items) < 2 or not math.isinf(items[-1][0]):
        return None
    total = items[-1][1]
    if total <= 0:
        return None
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for i, (le, count) in enumerate(items):
        if count >= rank:
            if math.isinf(le):
                return items[-2][0]  # in the +Inf bucket: the highest finite bound
            if i == 0 and le <= 0:
                return le
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return items[-2][0]


def bounds(q: float, buckets: dict[float, float]) -> tuple[float, float] | None:
    """The bucket [lower, upper] that holds the q-quantile: the estimate's error bar."""
    items = _sorted(buckets)
    if len(items) < 2 or items[-1][1] <= 0:
        return None
    rank = q * items[-1][1]
    prev_le = 0.0
    for le, count in items:
        if count >= rank:
            return prev_le, le
        prev_le = le
    return prev_le, math.inf
