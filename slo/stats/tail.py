"""A stage's share over a latency threshold read from the whole of its tail, not only from the requests beyond it.

A queue's latencies beyond a few service times fall off exponentially (an M/M/1 queue's from zero, M/G/1's
asymptotically), so above a stage's own upper latencies (its 70th percentile, or the threshold where that is lower)
the share over any threshold is the share over that point times exp(-rate x distance). Both factors come from many
more requests than the few over the threshold itself, which is what lets the knee's curve (slo/verdicts/knee.py) be
fitted from stages that hold none or a handful over it.

The variance is the delta method's, per request (each request's influence on the log share), summed over batches of
consecutive requests: about one batch a second, then halved in number while at least 5 remain, keeping the largest,
so that slow requests coming together (a queue's memory) widen it as they should.

Where the API records nothing (a deployment slobench did not start, any API that is not ours), the latencies are the
generator's own, each answer as it saw it (loadtests/sent.py), moved onto the server's clock by how much longer the
generator saw the answers than the server timed them (generator_offset_ms): on loopback the network, the HTTP parsing
and the generator's loop, about a constant a millisecond or two long.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from slo.stats.confidence import df_factor

BODY_QUANTILE = 0.7     # the tail is read above this quantile of the stage's latencies (or from the threshold)
MIN_TAIL = 20           # fewer requests above that point say too little of the tail's rate
MIN_BATCHES = 5
WIDEN_LEVEL = 0.95      # the variance carries its batches' t at this two-sided level
GENERATOR = "generator"  # a TailShare's source where it was read from the generator's latencies


@dataclass(frozen=True)
class TailShare:
    """log of the share over `threshold_ms`, its variance, the point the tail was read from, and the share the
    requests themselves show over the threshold."""
    log_share: float
    variance: float
    from_ms: float
    observed: float
    requests: int
    df: int                 # the batches' degrees of freedom behind the variance
    source: str | None = None   # GENERATOR where read from the generator's latencies; None: the API's recording

    def as_dict(self) -> dict:
        return {"log_share": round(self.log_share, 6), "variance": round(self.variance, 8),
                "from_ms": round(self.from_ms, 3), "observed": round(self.observed, 6), "requests": self.requests,
                "df": self.df, **({"source": self.source} if self.source else {})}


def _batched_variance(influence: np.ndarray, seconds: float) -> tuple[float, int]:
    """(the variance of the influences' sum, its degrees of freedom), from batches of consecutive requests: the largest
    over one batch a second, then half as many, ..., while at least MIN_BATCHES remain."""
    n, k, best = len(influence), max(MIN_BATCHES, int(round(seconds))), (0.0, 1)
    while k >= MIN_BATCHES:
        batch = np.minimum((np.arange(n) * k) // n, k - 1)
        sums = np.bincount(batch, weights=influence, minlength=k)
        best = max(best, (k / (k - 1) * float((sums ** 2).sum()), k - 1))
        k //= 2
    return best


def generator_offset_ms(latencies_ms: list, server_means_ms: list) -> float | None:
    """How much longer the generator saw a run's answers than the server timed them: over the stages where both
    speak, the median of the generator's mean latency less the server's (its histogram's sum over its count). The
    median, as a stage past saturation queues in the kernel before the server's clock starts, and a stage's edges
    fall a scrape apart in the two; None where no stage has both."""
    gaps = [float(np.mean(lat)) - mean for lat, mean in zip(latencies_ms, server_means_ms)
            if lat is not None and len(lat) and mean is not None]
    return float(np.median(gaps)) if gaps else None


def on_the_servers_clock(seen_ms: list, server_means_ms: list) -> list:
    """Each stage's latencies as the generator saw them (None: none) less the run's generator_offset_ms; all None
    where the offset cannot be measured."""
    offset = generator_offset_ms(seen_ms, server_means_ms)
    return [None if lat is None or not len(lat) or offset is None else np.asarray(lat) - offset for lat in seen_ms]


def share_over(latencies_ms: np.ndarray, threshold_ms: float, seconds: float, source: str | None = None
               ) -> TailShare | None:
    """The share of a stage's requests over `threshold_ms`, from its latencies in time order (a window of `seconds`;
    from `source` where not the API's recording); None where too few lie in its tail to read a rate from."""
    lat = np.asarray(latencies_ms, dtype=float)
    if len(lat) < MIN_BATCHES * 2:
        return None
    start = min(float(np.quantile(lat, BODY_QUANTILE)), threshold_ms)
    beyond = lat > start
    excess = np.where(beyond, lat - start, 0.0)
    count, total = float(beyond.sum()), float(excess.sum())
    if count < MIN_TAIL or total <= 0:
        return None
    n, distance = len(lat), threshold_ms - start
    rate = count / total                      # the exponential tail's rate (per ms): its maximum likelihood
    log_share = math.log(count / n) - rate * distance
    # Each request's influence on log(count/n) - (count/total) * distance.
    influence = beyond / count - 1.0 / n - distance * (beyond / total - count * excess / total ** 2)
    variance, df = _batched_variance(influence, seconds)
    # Widened to its batches' t: a variance from 4 to 20 batches is itself uncertain, and a fit across stages
    # weighting each by it would otherwise trust the ones that happened to look steady.
    variance /= df_factor(df + 1, WIDEN_LEVEL)
    return TailShare(log_share, variance, start, float((lat > threshold_ms).mean()), n, df, source)
