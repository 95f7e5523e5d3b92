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


@dataclass(frozen=True)
class Dependence:
    """How far a window's requests are from independent, as an interval uses it: the design effect (the larger of
    the one its scrape blocks show and the one the SLO file declares) and Korn and Graubard's degrees-of-freedom
    factor (z / t with k-1 df)^2, because k blocks estimate a variance only roughly."""
    measured: float | None   # from the window's blocks; None with fewer than two
    declared: float
    blocks: int
    df_factor: float

    @property
    def deff(self) -> float:
        return max(self.measured or 1.0, self.declared)

    @property
    def divisor(self) -> float:
        """n / divisor is the effective number of independent requests."""
        return self.deff / self.df_factor

    def assumes(self) -> str:
        """What the interval assumes about dependence, in a sentence for the report."""
        declared = f"; at least the declared design effect {self.declared:g}" if self.declared > 1 else ""
        if self.measured is None:
            return ("assumes requests independent" + (f" but for the declared design effect {self.declared:g}"
                                                      if self.declared > 1 else "")
                    + ": no per-scrape blocks to measure their dependence")
        return (f"design effect {self.measured:.2f} measured across {self.blocks} scrape blocks (t with "
                f"{self.blocks - 1} df){declared}; bursts rarer than the window shows are covered only by a "
                "declared design effect")


def df_factor(blocks: int, level: float) -> float:
    """Korn and Graubard's (z / t with blocks - 1 df)^2: 1 without two blocks to estimate a variance from."""
    if blocks < 2:
        return 1.0
    return float((stats.norm.ppf(1 - (1 - level) / 2) / stats.t.ppf(1 - (1 - level) / 2, blocks - 1)) ** 2)


def dependence(blocks: Blocks | None, level: float, declared: float = 1.0) -> Dependence:
    if blocks is None or len(blocks.n) < 2:
        return Dependence(None, declared, len(blocks.n) if blocks else 0, 1.0)
    return Dependence(design_effect(blocks), declared, len(blocks.n), df_factor(len(blocks.n), level))


def share_interval(x: float, n: float, level: float, dep: Dependence | None = None) -> tuple[float, float]:
    """Clopper-Pearson at the effective sample size n / divisor (Korn and Graubard's adjustment)."""
    d = dep.divisor if dep else 1.0
    return clopper_pearson(x / d, n / d, level)


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
    """About how many requests at this observed share and design effect would decide the objective, if the share
    stayed where it is: half of such runs would decide (a 50 %-power figure); None when it sits on the limit."""
    if share <= 0:
        return math.ceil(deff * zero_count_requests(allowed, level))
    gap = abs(share - allowed)
    if gap < 1e-9:
        return None
    z = stats.norm.ppf(1 - (1 - level) / 2)
    return math.ceil(deff * z * z * share * (1 - share) / gap ** 2)


MIN_MEAN_BLOCKS = 5  # fewer scrape blocks cannot estimate the mean's variance and its correlation


def block_variance(blocks: Blocks) -> tuple[float, float]:
    """(variance of the window's mean, the lag-1 correlation used) from per-scrape blocks of (requests, sum).

    The ratio estimator's variance, widened for correlated consecutive blocks (a slow period longer than a scrape)
    by (1 + r) / (1 - r), r the residuals' lag-1 autocorrelation, bias-corrected and raised by one standard error
    (1 / sqrt(k)): measured r is biased low over few blocks, and an AR(1) estimate alone under-covers."""
    k, total = len(blocks.n), blocks.total
    m = blocks.counted / total
    e = [s - m * n for n, s in zip(blocks.n, blocks.x)]
    ss = sum(v * v for v in e)
    var = k / (k - 1) * ss / total ** 2
    r = sum(a * b for a, b in zip(e, e[1:])) / ss if ss > 0 else 0.0
    r = min(0.9, max(0.0, r + (1 + 4 * max(r, 0.0)) / k + 1 / math.sqrt(k)))
    return var * (1 + r) / (1 - r), r


def mean_interval(blocks: Blocks | None, mean: float, count: float, level: float,
                  variance_bound: float | None, declared: float = 1.0) -> tuple[float, float, str, float | None]:
    """(low, high, method, standard error) of a mean latency. The standard error comes from per-scrape blocks of
    (sum, count) (correlation-aware, t with k-1 df), never below what the buckets' variance bound gives for
    independent requests times the declared design effect; a window of too few blocks gives no interval."""
    k = len(blocks.n) if blocks else 0
    if 2 <= k < MIN_MEAN_BLOCKS:
        return mean, mean, (f"no interval: {k} scrape blocks cannot estimate the mean's variance; it needs "
                            f"{MIN_MEAN_BLOCKS} (lengthen the stage or scrape more often)"), None
    iid_se = math.sqrt(declared * variance_bound / count) if variance_bound is not None and count > 0 else None
    block_se, r = None, 0.0
    if blocks and k >= MIN_MEAN_BLOCKS and blocks.total > 0:
        var, r = block_variance(blocks)
        block_se = math.sqrt(var)
    ses = [s for s in (block_se, iid_se) if s is not None]
    if not ses:
        return mean, mean, "no interval: neither per-scrape blocks nor a bounded histogram", None
    se = max(ses)
    crit = stats.t.ppf(1 - (1 - level) / 2, k - 1) if block_se is not None else stats.norm.ppf(1 - (1 - level) / 2)
    parts = ([f"per-scrape blocks ({k}, lag-1 correlation taken as {r:.2f}, t with {k - 1} df)"]
             if block_se is not None else []) + \
        (["the histogram's variance bound" + (f" x the declared design effect {declared:g}" if declared > 1 else "")]
         if iid_se is not None else [])
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
