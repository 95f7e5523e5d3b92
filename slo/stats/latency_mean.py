"""A window's mean latency: its interval from per-scrape blocks of (requests, latency sum), and whether it is a mean
at all (a queue growing through the window is not a sample of a stationary one).

A latency mean is positive and right-skewed: a window that held none of the queue's long spells has a low mean and
blocks that barely vary, so an interval symmetric around it, from its own blocks alone, called PASS too often (a
stationary M/M/1 queue at 60, 80 and 94 % utilization, its mean on the objective: 5.65, 10.7 and 13.45 % of windows
of 27 s against the promised 2.5 %). The interval is drawn on the log scale, at no less than the relative spread its
neighbouring windows measured (relative_spread): 0.7, 0.8 and 0.6 % (tests/slo/stats/test_coverage.py)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

from scipy import stats

from slo.stats.confidence import (MIN_EFFECTIVE_BLOCKS, MIN_MEAN_BLOCKS, Blocks, effective_blocks, lag1,
                                  mean_residuals, normal_quantile, t_quantile, widening)


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


def block_variance(blocks: Blocks) -> tuple[float, float]:
    """(variance of the window's mean, the lag-1 correlation used) from per-scrape blocks of (requests, sum): the
    ratio estimator's variance, widened for correlated consecutive blocks (a slow period longer than a scrape)."""
    k, total = len(blocks.n), blocks.total
    e = mean_residuals(blocks)
    r = lag1(e)
    # Residuals around the window's own mean lose what the blocks share with it: under correlation their squares
    # hold k - w of the k blocks' variance (w the widening over k blocks), not k - 1. The long-window widening
    # (1 + r) / (1 - r) in its place overstated a short window's by up to ninefold (19 for 12 blocks at 0.9, against
    # 8.2): a healthy API's 1.6 ms mean, its blocks rising with other traffic, read a standard error of 120 %.
    w = widening(r, k)
    return sum(v * v for v in e) / (k - w) * k / total ** 2 * w, r


def relative_spread(windows: list[Blocks | None]) -> float | None:
    """The relative variance of a mean per request, pooled over windows (each its block_variance times its requests,
    over its mean squared): a window of n requests has a mean whose relative standard error is sqrt(this / n). None
    where no window has blocks enough."""
    return pooled_spread([spread_unit(b) for b in windows])


def spread_unit(blocks: Blocks | None) -> float | None:
    """One window's share of relative_spread; None where its blocks are too few or it timed nothing."""
    if blocks is None or len(blocks.n) < MIN_MEAN_BLOCKS or blocks.total <= 0 or blocks.counted <= 0:
        return None
    return block_variance(blocks)[0] * blocks.total / (blocks.counted / blocks.total) ** 2


def pooled_spread(units: list[float | None]) -> float | None:
    """relative_spread from each window's spread_unit."""
    units = [u for u in units if u is not None]
    return sum(units) / len(units) if units else None


# An interval reaching past a hundredfold either side of the mean bounds nothing a user would act on: a default run's
# stage at the knee, its blocks swinging with the queue (t with 2 df), read [0.008, 4,278,259 ms] around 185 ms.
MAX_LOG_SPAN = math.log(100)


@dataclass(frozen=True)
class MeanBasis:
    """What a mean's interval rests on, for its kind to word (slo/verdicts/kinds/latency.py): the scrape blocks
    (`blocks`, their lag-1 correlation `r` and t's degrees of freedom `df` where they gave a standard error), the
    histogram's variance bound (times the `declared` design effect), the neighbouring windows' relative spread; or
    why there is none (`none`: too_few_blocks, no_source, swings, with the relative standard error of a swing)."""
    blocks: int = 0
    r: float = 0.0
    df: float | None = None
    from_bound: bool = False
    declared: float = 1.0
    from_run_spread: bool = False
    zero_mean: bool = False
    none: str | None = None
    relative_se: float | None = None


class MeanInterval(NamedTuple):
    low: float
    high: float
    basis: MeanBasis
    se: float | None


def mean_interval(blocks: Blocks | None, mean: float, count: float, level: float, variance_bound: float | None,
                  declared: float = 1.0, run_spread: float | None = None) -> MeanInterval:
    """(low, high, basis, standard error) of a mean latency, on the log scale: mean x/÷ e^(crit x relative standard
    error). The standard error comes from per-scrape blocks of (sum, count), widened for their lag-1 correlation,
    with t at one less than the effective blocks' df, never below what the buckets' variance bound gives for
    independent requests times the declared design effect, nor below what `run_spread` (relative_spread over the
    window's neighbours) gives its `count` requests; a window of too few blocks gives no interval, one of fewer than
    3 effective blocks t with 2 df, one whose interval would span more than MAX_LOG_SPAN none either."""
    k = len(blocks.n) if blocks else 0
    if 2 <= k < MIN_MEAN_BLOCKS:
        return MeanInterval(mean, mean, MeanBasis(blocks=k, none="too_few_blocks"), None)
    iid_se = math.sqrt(declared * variance_bound / count) if variance_bound is not None and count > 0 else None
    block_se, r, k_eff = None, 0.0, float(k)
    if blocks and k >= MIN_MEAN_BLOCKS and blocks.total > 0:
        var, r = block_variance(blocks)
        # The effective blocks (its t's degrees of freedom) come from the correlation measured (bias-corrected), the
        # variance from the one raised: under independence the raise alone (1 / sqrt(k)) would leave a short window
        # t with 1 df. Under 3 effective blocks, t with 2 df all the same (4.3 at 95 %), as for a share: with 1 df
        # (12.7) a healthy API's 3.4 ms mean against 25 ms, its blocks drifting by a few per cent, was undecided.
        r_seen = lag1(mean_residuals(blocks), raised=False)
        block_se, k_eff = math.sqrt(var), max(MIN_EFFECTIVE_BLOCKS, effective_blocks(k, r_seen))
    ses = [s for s in (block_se, iid_se) if s is not None]
    if not ses:
        return MeanInterval(mean, mean, MeanBasis(none="no_source"), None)
    se = max(ses)
    crit = t_quantile(1 - (1 - level) / 2, k_eff - 1) if block_se is not None else \
        normal_quantile(1 - (1 - level) / 2)
    spread = run_spread is not None and mean > 0 and count > 0
    if spread:
        se = max(se, mean * math.sqrt(run_spread / count))
    basis = MeanBasis(blocks=k if block_se is not None else 0, r=r, df=k_eff - 1 if block_se is not None else None,
                      from_bound=iid_se is not None, declared=declared, from_run_spread=spread)
    if mean <= 0:
        return MeanInterval(0.0, crit * se, replace(basis, zero_mean=True), se)
    if crit * se / mean > MAX_LOG_SPAN:
        return MeanInterval(mean, mean, replace(basis, none="swings", relative_se=se / mean, df=k_eff - 1), None)
    return MeanInterval(mean * math.exp(-crit * se / mean), mean * math.exp(crit * se / mean), basis, se)


def queue_grew(blocks: Blocks | None, threshold: float, level: float) -> tuple[float, float] | None:
    """(lowest, highest) per-block mean when the window is not a stationary mean but a queue growing through it:
    every block's mean over the threshold and rising with time (Kendall's tau, one-sided at the level's alpha / 2).
    None otherwise. Such a stage's mean is what it was, over the objective in every block, not a sample of one."""
    if blocks is None or len(blocks.n) < MIN_MEAN_BLOCKS:
        return None
    means = [x / n for n, x in zip(blocks.n, blocks.x) if n > 0]
    if len(means) < MIN_MEAN_BLOCKS or min(means) <= threshold:
        return None
    trend = stats.kendalltau(range(len(means)), means, alternative="greater")
    return (min(means), max(means)) if trend.pvalue < (1 - level) / 2 else None
