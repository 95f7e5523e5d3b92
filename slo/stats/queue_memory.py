"""A queue's memory: how much its state carries from one scrape to the next, read from the mean latency's scrape blocks
of a window and its neighbours. Independent traffic, or a fast API whose latency drifts by a few per cent, has none;
a queue near its knee swings, and its slow requests come together (slo/stats/clustering.py pools it over a window's
neighbours; slo/verdicts/kinds/latency.py widens a share's interval by it)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from slo.stats.confidence import MAX_LAG1, MIN_MEAN_BLOCKS, Blocks, lag1, mean_residuals

QUEUE_SPREAD = 0.25  # block means varying less than this (coefficient of variation) are not a queue's swings


# A queue's memory concerns a threshold only where its swings can carry requests over it: some block's mean latency
# reaches this share of the threshold. A fast API whose 2 to 5 ms mean drifts slowly says nothing of requests over
# 10 ms (at a quarter, its p50 was INCONCLUSIVE [0 %, 62.6 %] with 3.3 % over 10 ms against 50 % allowed).
QUEUE_REACH = 0.5


def queue_reaches(blocks: Blocks | None, threshold_s: float) -> bool:
    """Whether some scrape block's mean latency reached QUEUE_REACH of the threshold (True without blocks: the
    memory measured elsewhere is then kept, as before)."""
    if blocks is None or not blocks.n:
        return True
    return max((x / n for n, x in zip(blocks.n, blocks.x) if n > 0), default=0.0) >= QUEUE_REACH * threshold_s


def block_mean_spread(blocks: Blocks) -> float:
    """The coefficient of variation of a window's per-block mean latencies."""
    means = [x / n for n, x in zip(blocks.n, blocks.x) if n > 0]
    if len(means) < 2:
        return 0.0
    centre = sum(means) / len(means)
    return math.sqrt(sum((m - centre) ** 2 for m in means) / (len(means) - 1)) / centre if centre > 0 else 0.0


@dataclass(frozen=True)
class Swings:
    """What one window's mean-latency blocks give its queue's memory: their residuals around the window's own mean
    and how much the block means vary. Read once per window where a window serves several neighbourhoods."""
    residuals: list[float]
    spread: float

    @classmethod
    def of(cls, blocks: Blocks | None) -> "Swings | None":
        """None where the blocks are too few to say anything."""
        if blocks is None or len(blocks.n) < MIN_MEAN_BLOCKS or blocks.total <= 0:
            return None
        return cls(mean_residuals(blocks), block_mean_spread(blocks))


def memory(windows: list[Blocks | None]) -> float:
    """How much the queue's state carries from one scrape to the next, from the mean latency's blocks of a window and
    its neighbours (each around its own mean): their lag-1 correlation, raised by one standard error, where it is
    clearly there (at least two standard errors, 2 / sqrt(k)) and the block means swing as a queue's do (a
    coefficient of variation of at least QUEUE_SPREAD in some window); 0 otherwise, so that independent traffic, or a
    fast API whose latency drifts by a few per cent, pays nothing for it."""
    return memory_of([Swings.of(b) for b in windows])


def memory_of(windows: list[Swings | None]) -> float:
    """memory() from each window's Swings."""
    usable = [w for w in windows if w is not None]
    residuals = [e for w in usable for e in w.residuals]
    k = len(residuals)
    if k < MIN_MEAN_BLOCKS or max(w.spread for w in usable) < QUEUE_SPREAD:
        return 0.0
    r = lag1(residuals, raised=False)
    return min(MAX_LAG1, r + 1 / math.sqrt(k)) if r >= 2 / math.sqrt(k) else 0.0
