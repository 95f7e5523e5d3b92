"""The mean of a few independent values with its t interval: the one way the harness states such a figure (repeats
across runs, a probe's throughput over half-second blocks, the share of a core other work took second by second)."""
from __future__ import annotations

import math
import statistics

from scipy import stats


def mean_interval(values: list[float], level: float) -> tuple[float, float, float]:
    """(mean, low, high): Student's t with n - 1 degrees of freedom; needs at least two values."""
    n, mean = len(values), statistics.fmean(values)
    half = float(stats.t.ppf(1 - (1 - level) / 2, n - 1)) * statistics.stdev(values) / math.sqrt(n)
    return mean, mean - half, mean + half
