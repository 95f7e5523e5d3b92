"""How sure a stage's figure is: intervals from exact counts, widened for requests that are not independent.

Every interval is two-sided at `level`. A verdict is PASS only when the whole interval is on the passing side
of the objective, FAIL only when it is wholly on the failing side, and INCONCLUSIVE otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class Blocks:
    """Per-scrape increments of one window: `n[i]` requests, `x[i]` of them counted (over a threshold, 5xx),
    or `x[i]` the latency sum for a mean. Blocks are the unit of dependence: a stall slows one block."""
    n: tuple[float, ...]
    x: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.n)

    @property
    def counted(self) -> float:
        return sum(self.x)


def clopper_pearson(x: float, n: float, level: float) -> tuple[float, float]:
    """The exact binomial interval of a share x/n; x and n may be effective (non-integer) counts."""
    if n <= 0:
        return 0.0, 1.0
    alpha = 1 - level
    low = 0.0 if x <= 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    high = 1.0 if x >= n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
    return low, high


def design_effect(blocks: Blocks) -> float:
    """Variance of the share across blocks over the variance independent requests would give (>= 1).

    The ratio estimator's cluster variance k/(k-1) * sum((x_i - p n_i)^2) / N^2 against p(1-p)/N; requests
    slowed together (a burst, a GC pause) make blocks differ more than independent requests would."""
    k, total = len(blocks.n), blocks.total
    if k < 2 or total <= 0:
        return 1.0
    p = blocks.counted / total
    if p <= 0 or p >= 1:
        return 1.0
    cluster = k / (k - 1) * sum((x - p * n) ** 2 for n, x in zip(blocks.n, blocks.x)) / total ** 2
    return max(1.0, cluster / (p * (1 - p) / total))


def share_interval(x: float, n: float, level: float, deff: float = 1.0) -> tuple[float, float]:
    """Clopper-Pearson at the effective sample size n/deff (Korn and Graubard's adjustment)."""
    return clopper_pearson(x / deff, n / deff, level)


def decide(low: float, high: float, limit: float, higher_is_worse: bool = True) -> str:
    """pass, fail or inconclusive: where the whole interval lies against the objective's limit."""
    if higher_is_worse:
        return "pass" if high <= limit else "fail" if low > limit else "inconclusive"
    return "pass" if low >= limit else "fail" if high < limit else "inconclusive"


def zero_count_requests(allowed_share: float, level: float) -> int:
    """The fewest requests that prove a share below `allowed_share` when none is counted (MLPerf's minimum):
    the Clopper-Pearson upper bound of 0 of n is 1 - (alpha/2)^(1/n)."""
    return math.ceil(math.log((1 - level) / 2) / math.log(1 - allowed_share))


def requests_needed(share: float, allowed: float, level: float, deff: float = 1.0) -> int | None:
    """About how many requests at this observed share and design effect would decide the objective;
    None when the share sits on the limit (no length decides it)."""
    if share <= 0:
        return math.ceil(deff * zero_count_requests(allowed, level))
    gap = abs(share - allowed)
    if gap < 1e-9:
        return None
    z = stats.norm.ppf(1 - (1 - level) / 2)
    return math.ceil(deff * z * z * share * (1 - share) / gap ** 2)


def mean_interval(blocks: Blocks | None, mean: float, count: float, level: float,
                  variance_bound: float | None) -> tuple[float, float, str, float | None]:
    """(low, high, method, standard error) of a mean latency. The standard error comes from per-scrape blocks
    of (sum, count) (a ratio estimator, t with k-1 degrees of freedom), never below what the buckets' variance
    bound gives for independent requests."""
    iid_se = math.sqrt(variance_bound / count) if variance_bound is not None and count > 0 else None
    block_se, k = None, len(blocks.n) if blocks else 0
    if blocks and k >= 2 and blocks.total > 0:
        m = blocks.counted / blocks.total
        block_se = math.sqrt(k / (k - 1) * sum((s - m * n) ** 2 for n, s in zip(blocks.n, blocks.x))) / blocks.total
    ses = [s for s in (block_se, iid_se) if s is not None]
    if not ses:
        return mean, mean, "no interval: neither per-scrape blocks nor a bounded histogram", None
    se = max(ses)
    crit = stats.t.ppf(1 - (1 - level) / 2, k - 1) if block_se is not None else stats.norm.ppf(1 - (1 - level) / 2)
    parts = ([f"per-scrape blocks ({k}, t with {k - 1} df)"] if block_se is not None else []) + \
        (["the histogram's variance bound"] if iid_se is not None else [])
    method = "mean ± critical value × standard error; the larger standard error of " + " and ".join(parts)
    return max(0.0, mean - crit * se), mean + crit * se, method, se


def histogram_variance_bound(buckets: dict[float, float], mean: float) -> float | None:
    """An upper bound of the per-request variance (s²) from cumulative buckets: every request at its bucket's
    upper edge bounds E[X²]; None when requests fall in the +Inf bucket (no edge bounds them)."""
    items = sorted(buckets.items())
    if not items or items[-1][1] <= 0:
        return None
    total, prev, second = items[-1][1], 0.0, 0.0
    for le, cum in items:
        inside, prev = max(0.0, cum - prev), cum
        if inside <= 0:
            continue
        if math.isinf(le):
            return None
        second += inside * le * le
    return max(0.0, second / total - mean * mean)


def poisson_interval(count: float, level: float) -> tuple[float, float]:
    """Garwood's exact interval of a Poisson count."""
    alpha = 1 - level
    low = 0.0 if count <= 0 else float(stats.chi2.ppf(alpha / 2, 2 * count)) / 2
    return low, float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
