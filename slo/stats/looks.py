"""Looking at a stage before its end without raising the false-verdict rate: Pocock's group-sequential boundary.

A stage planned with looks is judged at each of them, at shares t_1 < ... < t_K = 1 of its longest length, and ends
at the first look where it is decided. Deciding at the SLO file's level at every look would let a stage sitting on
its objective cross falsely at some look more often than the level allows (for a normal statistic, 4.9 % a side
at three looks from half the length, instead of 2.5 %). Each look therefore judges at one stricter level, the same at every look: the level at which a
statistic that accumulates like Brownian motion (a share or a mean over a growing window: the estimate at look i
and at look j correlate as sqrt(t_i / t_j)) crosses at any look with the file's own probability,
1 - confidence_level over both sides. Verdicts are only ever stated at that level, whichever look decided, so the
stopping rule cannot bias them. Clustered data widens every interval as it does without looks; the simulation
tests in tests/slo/stats/test_looks.py hold the promise with slow requests in runs and real queues.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize, special, stats


@lru_cache(maxsize=64)
def pocock_level(shares: tuple[float, ...], level: float) -> float:
    """The two-sided level each look judges at, so that a stage on its objective crosses at some look falsely with
    probability 1 - level (both sides together)."""
    if len(shares) == 1:
        return level
    t = np.array(shares)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    # A fixed seed: the multivariate normal's integration is quasi-random; the same plan must give the same level.
    normal = stats.multivariate_normal(mean=np.zeros(len(t)), cov=cov, seed=np.random.default_rng(0))

    def excess(c: float) -> float:
        inside = normal.cdf(np.full(len(t), c), lower_limit=np.full(len(t), -c))
        return (1 - inside) - (1 - level)

    z = optimize.brentq(excess, float(special.ndtri(1 - (1 - level) / 2)), 6.0, xtol=1e-6)
    return round(1 - 2 * float(stats.norm.sf(z)), 6)


@dataclass(frozen=True)
class Looks:
    """A stage's planned looks: each one's share of the stage's longest measured length (rising, the last 1), and
    the SLO file's level they keep together."""
    shares: tuple[float, ...]
    level: float

    def __post_init__(self):
        if not self.shares or any(b <= a for a, b in zip(self.shares, self.shares[1:])) or self.shares[0] <= 0 or \
                not math.isclose(self.shares[-1], 1.0):
            raise ValueError(f"looks: shares must rise from above 0 to 1, not {list(self.shares)}")

    @classmethod
    def spread(cls, count: int, first: float, level: float) -> Looks:
        """`count` looks evenly spaced from `first` (the share of the longest length a first decision needs) to the
        end; one look (the stage's end) where the first share leaves no room for more."""
        if count <= 1 or first >= 0.95:
            return cls((1.0,), level)
        return cls(tuple(round(first + (1 - first) * i / (count - 1), 6) for i in range(count)), level)

    @property
    def per_look_level(self) -> float:
        return pocock_level(self.shares, self.level)

    def times(self, start: float, seconds: float) -> list[float]:
        """Each look's moment, for a measured window from `start` at most `seconds` long."""
        return [start + share * seconds for share in self.shares]
