"""Every interval the report prints keeps its promise: drawn from a known truth placed exactly on the objective,
a confident verdict either way comes no more often than the level allows (2.5 % a side at 95 %), within three
standard errors of the simulation, for independent and for clustered requests, at the fewest blocks accepted."""
import math

import numpy as np
import pytest

from slo.stats import confidence as ci, intervals
from slo.stats.confidence import Blocks
from slo.file.model import ErrorRatio, LatencyMean, LatencyQuantile, RatioSli, Throughput

LEVEL, SIDE = 0.95, 0.025
TRIALS = 2000
EDGE = 0.1  # seconds: the p99 objective's threshold, a bucket edge
P99 = LatencyQuantile(name="p99", kind="latency_quantile", quantile=0.99, threshold_ms=100)


def within_the_level(rate: float, trials: int = TRIALS) -> bool:
    return rate <= SIDE + 3 * math.sqrt(SIDE * (1 - SIDE) / trials)


def slow_counts(rng, k: int, n: int, share: float, burst: int) -> tuple[np.ndarray, np.ndarray]:
    """k scrape blocks of n requests; `share` of all requests slow, coming `burst` at a time (1: independent),
    each burst in one block: bursts are Poisson with mean k*n*share/burst a window."""
    sizes = np.full(k, float(n))
    bursts = rng.poisson(k * n * share / burst / k, size=k)
    return sizes, np.minimum(bursts * burst, n).astype(float)


def quantile_evidence(sizes, slow, declared: float = 1.0) -> intervals.Evidence:
    keys = [((), float(i)) for i in range(len(sizes))]
    return intervals.Evidence(LEVEL, window_s=len(sizes), scrape_s=1.0,
                              buckets={EDGE: float(sum(sizes) - sum(slow)), math.inf: float(sum(sizes))},
                              bucket_blocks={EDGE: {k: n - x for k, n, x in zip(keys, sizes, slow)},
                                             math.inf: dict(zip(keys, sizes))}, declared_deff=declared)


def rates(decisions: list[str]) -> tuple[float, float]:
    return decisions.count("pass") / len(decisions), decisions.count("fail") / len(decisions)


# The smallest window the scrape check accepts holds 6 scrapes, 5 blocks: shares are checked from 3.
SHARE_CASES = [
    (3, 1000, 1, 1.0), (100, 30, 1, 1.0), (3, 1000, 5, 1.0), (8, 375, 5, 1.0), (16, 188, 5, 1.0),
    (3, 1000, 15, 15.0), (16, 188, 15, 15.0),
]
SHARE_IDS = ["independent requests in 3 blocks", "independent requests in 100 blocks",
             "bursts of 5 (6 a window) in 3 blocks", "bursts of 5 (6 a window) in 8 blocks",
             "bursts of 5 (6 a window) in 16 blocks",
             "rare bursts of 15 (2 a window), their design effect declared, in 3 blocks",
             "rare bursts of 15 (2 a window), their design effect declared, in 16 blocks"]


@pytest.mark.parametrize("k, n, burst, declared", SHARE_CASES, ids=SHARE_IDS)
def test_a_quantiles_share_on_its_objective(k, n, burst, declared):
    rng = np.random.default_rng(k * 100 + burst)
    got = [intervals.quantile(P99, quantile_evidence(*slow_counts(rng, k, n, 0.01, burst), declared))["decision"]
           for _ in range(TRIALS)]
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass) and within_the_level(false_fail), (false_pass, false_fail)


@pytest.mark.parametrize("k, n, burst, declared", SHARE_CASES, ids=SHARE_IDS)
def test_the_error_ratio_on_its_objective(k, n, burst, declared):
    rng = np.random.default_rng(k * 100 + burst + 1)
    objective = ErrorRatio(name="errors", kind="error_ratio", max_ratio=0.01)
    got = []
    for _ in range(TRIALS):
        sizes, errors = slow_counts(rng, k, n, 0.01, burst)
        ev = intervals.Evidence(LEVEL, window_s=k, scrape_s=1.0, buckets={}, error_blocks=Blocks(tuple(sizes),
                                tuple(errors)), declared_deff=declared)
        got.append(intervals.error_ratio(objective, ev, {})["decision"])
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass) and within_the_level(false_fail), (false_pass, false_fail)


def test_rare_bursts_left_undeclared_are_what_the_declared_design_effect_is_for():
    """Slow requests 15 at a time, 2 bursts a window on average: e^-2 = 13.5 % of windows hold none and show no
    variance to widen by, so they pass with confidence; no degrees-of-freedom correction can see it."""
    rng = np.random.default_rng(5)
    got = [intervals.quantile(P99, quantile_evidence(*slow_counts(rng, 16, 188, 0.01, 15)))["decision"]
           for _ in range(TRIALS)]
    assert rates(got)[0] > 0.10


def mean_blocks(rng, k: int, rho: float, rate: float = 40, mu: float = 0.030) -> Blocks:
    """k blocks of Poisson(rate) requests whose block means follow an AR(1) with lag-1 correlation rho around
    mu (a slow period lasting longer than a scrape); latencies gamma-distributed around each block's mean."""
    u = np.empty(k)
    u[0] = rng.normal()
    for i in range(1, k):
        u[i] = rho * u[i - 1] + math.sqrt(1 - rho * rho) * rng.normal()
    n = rng.poisson(rate, k).astype(float)
    sums = [rng.gamma(4, (mu + 0.004 * e) / 4, int(c)).sum() for c, e in zip(n, u)]
    return Blocks(tuple(n), tuple(sums))


@pytest.mark.parametrize("k, rho", [(ci.MIN_MEAN_BLOCKS, 0.0), (27, 0.0), (ci.MIN_MEAN_BLOCKS, 0.5), (27, 0.5)],
                         ids=["independent blocks, the fewest accepted", "independent blocks, a default stage's 27",
                              "blocks correlated 0.5 at lag 1, the fewest accepted",
                              "blocks correlated 0.5 at lag 1, 27 of them"])
def test_the_mean_on_its_objective(k, rho):
    rng = np.random.default_rng(k + int(10 * rho))
    objective = LatencyMean(name="mean", kind="latency_mean", threshold_ms=30)
    got = []
    for _ in range(TRIALS):
        b = mean_blocks(rng, k, rho)
        ev = intervals.Evidence(LEVEL, window_s=k, scrape_s=1.0, buckets={math.inf: b.total}, mean_blocks=b)
        got.append(intervals.mean(objective, ev, 1000 * b.counted / b.total)["decision"])
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass) and within_the_level(false_fail), (false_pass, false_fail)


def test_a_window_too_short_to_estimate_the_means_variance_gives_no_interval():
    b = mean_blocks(np.random.default_rng(1), ci.MIN_MEAN_BLOCKS - 1, 0.0)
    low, high, method, se = ci.mean_interval(b, b.counted / b.total, b.total, LEVEL, None)
    assert se is None and low == high and f"needs {ci.MIN_MEAN_BLOCKS}" in method


@pytest.mark.parametrize("burst, declared", [(1, 1.0), (10, 10.0)],
                         ids=["independent events", "events bad 10 at a time, their design effect declared"])
def test_a_ratio_sli_on_its_target(burst, declared):
    rng = np.random.default_rng(burst)
    objective = RatioSli(name="good", kind="ratio", target=0.99, good_query="sum(increase(x[{{window}}]))",
                         total_query="sum(increase(y[{{window}}]))")
    ev = intervals.Evidence(LEVEL, window_s=30, scrape_s=1.0, buckets={}, declared_deff=declared)
    got = []
    for _ in range(TRIALS):
        bad = burst * rng.poisson(3000 * 0.01 / burst)
        got.append(intervals.sli(objective, ev, {"good_share": 1 - bad / 3000, "total": 3000})["decision"])
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass) and within_the_level(false_fail), (false_pass, false_fail)


def test_throughput_against_a_poisson_schedule_on_its_floor():
    """Arrivals not counted: the achieved count is Poisson around min_share x the nominal offered count."""
    rng = np.random.default_rng(2)
    objective = Throughput(name="throughput", kind="throughput", min_share=0.95)
    ev = intervals.Evidence(LEVEL, window_s=30, scrape_s=1.0, buckets={}, poisson_arrivals=True)
    got = []
    for _ in range(TRIALS):
        achieved = rng.poisson(0.95 * 40 * 30) / 30
        got.append(intervals.throughput(objective, ev, achieved, 40.0, achieved / 40)["decision"])
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass) and within_the_level(false_fail), (false_pass, false_fail)
