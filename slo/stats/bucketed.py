"""A change in a latency quantile read from histogram buckets, bounded by them.

A quantile interpolated inside its bucket (Prometheus's histogram_quantile) places the true one anywhere between the
bucket's edges, and a change that stays inside one bucket reads other than it is. Against a 10 % limit, a true +10 %
on tight latencies (20 ms, 12 % spread; 26 scrapes of 50 requests a side) was called regressed 74 % of the time for
p95 and no regression 34 % of the time for p99; on wide ones (60 ms, 30 %) 7 % and 24 % (10,000 draws each,
tests/slo/stats/test_bucketed.py; 2.5 % a side promised). The buckets bound what the readings cannot: the interval's
low end is the one the fastest readings the current side's buckets allow give against the slowest of the baseline's,
its high end the reverse. Wherever in its bucket each true quantile lies, the interval then holds the change: none of
those draws was called either way. The price is power: a change smaller than a bucket cannot be told (+50 % was
called regressed 1 % and 0 % of the time there, a doubling always), and the advice says to add bucket edges.
"""
from __future__ import annotations

from typing import Callable

# Per point (a scrape's quantile): the edges of its bucket in ms, [low, high]; high None past the last edge. An exact
# point (from the API's recording) lies at itself: [v, v].
Bucket = tuple[float, float | None]
Judge = Callable[[list[float], list[float]], dict]


def slowest(buckets: list[Bucket]) -> list[float] | None:
    """Each point at its bucket's upper edge; None where one lies past the last edge (no bound above)."""
    return None if any(high is None for _, high in buckets) else [high for _, high in buckets]


def fastest(buckets: list[Bucket]) -> list[float] | None:
    """Each point at its bucket's lower edge; None where one lies in the first bucket (no bound above 0)."""
    return None if any(low <= 0 for low, _ in buckets) else [low for low, _ in buckets]


def within_buckets(judge: Judge, old: list[Bucket], new: list[Bucket], interpolated: dict) -> dict:
    """`interpolated` (judge's answer on the interpolated readings) with its interval widened to what the buckets
    allow: the low end judged on the current side's fastest readings against the baseline's slowest, the high end on
    the reverse (an end past the histogram's edges is unbounded: None). The shift stays the interpolated one, with
    the larger p-value of the two ends' tests (the one that agrees with the bounded interval); `bucket_bounds` keeps
    what the verdict's advice needs (slo/verdicts/change_call.py): the interpolated interval, whether an end was
    bounded on one side only, the buckets the points lay in."""
    low_case = _judged(judge, slowest(old), fastest(new))
    high_case = _judged(judge, fastest(old), slowest(new))
    low = low_case["relative"]["low"] if low_case else -1.0
    high = high_case["relative"]["high"] if high_case else None
    p_value = max(case["p_value"] if case else 1.0 for case in (low_case, high_case))
    return {**interpolated, "p_value": p_value,
            "relative": {"shift": interpolated["relative"]["shift"], "low": low, "high": high},
            "bucket_bounds": {"interpolated": interpolated["relative"], "one_side_only": not (low_case and high_case),
                              "buckets": old + new},
            "method": interpolated["method"] + "; bounded by the histogram's buckets (each end judged on the readings "
                      "at the buckets' edges that favour it)"}


def _judged(judge: Judge, old: list[float] | None, new: list[float] | None) -> dict | None:
    """judge's answer on the readings at the buckets' edges; None where an edge is missing or it gives no interval."""
    if old is None or new is None:
        return None
    got = judge(old, new)
    return got if (got.get("relative") or {}).get("low") is not None else None

