"""How sure a stage's figure is: intervals from exact counts, widened for requests that are not independent.

Every interval is two-sided at `level`. A verdict is PASS only when the whole interval is on the passing side
of the objective, FAIL only when it is wholly on the failing side, and INCONCLUSIVE otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from scipy import special, stats


@dataclass(frozen=True)
class Blocks:
    """Per-scrape increments of one window: `n[i]` requests, `x[i]` of them counted (over a threshold, 5xx),
    or `x[i]` the latency sum for a mean. Blocks are the unit of dependence: a stall slows one block."""
    n: tuple[float, ...]
    x: tuple[float, ...]

    # Summed once: an interval, its clustering and its neighbours' read them a hundred times a window.
    @cached_property
    def total(self) -> float:
        return sum(self.n)

    @cached_property
    def counted(self) -> float:
        return sum(self.x)


def normal_quantile(q: float) -> float:
    """stats.norm.ppf(q), the same figure without its argument checks (scipy.special.ndtri, which it calls): the
    coverage simulations ask for it hundreds of thousands of times, and the checks cost a hundred times the figure."""
    return special.ndtri(q)


def t_quantile(q: float, df: float) -> float:
    """stats.t.ppf(q, df), the same figure without its argument checks (scipy.special.stdtrit, which it calls)."""
    return special.stdtrit(df, q)


def clopper_pearson(x: float, n: float, level: float) -> tuple[float, float]:
    """The exact binomial interval of a share x/n; x and n may be effective (non-integer) counts."""
    if n <= 0:
        return 0.0, 1.0
    alpha = 1 - level
    # scipy.special's inverse incomplete beta is stats.beta.ppf without its argument checks, 20 times faster:
    # the coverage simulations call this hundreds of thousands of times.
    low = 0.0 if x <= 0 else float(special.betaincinv(x, n - x + 1, alpha / 2))
    high = 1.0 if x >= n else float(special.betaincinv(x + 1, n - x, 1 - alpha / 2))
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


MAX_LAG1 = 0.9


def lag1(residuals, raised: bool = True) -> float:
    """Consecutive blocks' lag-1 autocorrelation, bias-corrected (it is biased low over few blocks), in [0, 0.9];
    raised by one standard error (1 / sqrt(k)) for a mean, whose AR(1) estimate alone under-covers. A share's is not
    raised: the run's clustering (slo/stats/clustering.py) measures its slower dependence over many more blocks."""
    e = [float(v) for v in residuals]
    k = len(e)
    ss = sum(v * v for v in e)
    if k < 2:
        return 0.0
    r = sum(a * b for a, b in zip(e, e[1:])) / ss if ss > 0 else 0.0
    # A negative estimate credits nothing: the raise starts from 0, else a window's chance dip below it would
    # cancel the raise (with a short window's exact widening, a mean over 10 blocks correlated 0.5 was PASSed 2.73 %
    # of the time against the promised 2.5; with this, 1.92 %).
    return min(MAX_LAG1, max(0.0, r + (1 + 4 * max(r, 0.0)) / k) + (1 / math.sqrt(k) if raised else 0.0))


def widening(r: float, k: int | None = None) -> float:
    """How much a window's variance grows when its consecutive blocks correlate at lag 1 by r (a share or a mean
    drifting from scrape to scrape): (1 + r) / (1 - r) over a long window; over k blocks exactly
    1 + 2 sum_j (1 - j / k) r^j, which stays under k (the k blocks' mean cannot vary more than one block)."""
    if k is None:
        return (1 + r) / (1 - r)
    return 1 + 2 * sum((1 - j / k) * r ** j for j in range(1, k))


def effective_blocks(k: int, r: float) -> float:
    """k blocks correlated at lag 1 by r hold about k (1 - r) / (1 + r) independent ones."""
    return k * (1 - r) / (1 + r)


@dataclass(frozen=True)
class Dependence:
    """How far a window's requests are from independent, as an interval uses it: the design effect (the largest of
    the one its scrape blocks show, widened for their lag-1 correlation; the one the run shows around it; and the one
    the SLO file declares) and Korn and Graubard's degrees-of-freedom factor (z / t with df)^2, df one less than the
    window's effective blocks (at least 2), because they estimate a variance only roughly."""
    measured: float | None   # from the window's blocks, widened for their lag-1 correlation; None with fewer than two
    declared: float
    blocks: int
    df_factor: float
    lag1: float = 0.0
    run: object | None = None  # clustering.RunClustering: measured over the window and its neighbouring stages

    @property
    def deff(self) -> float:
        return max(self.measured or 1.0, self.declared, getattr(self.run, "deff", 1.0))

    @property
    def effective_blocks(self) -> float:
        return effective_blocks(self.blocks, self.lag1)

    @property
    def divisor(self) -> float:
        """n / divisor is the effective number of independent requests."""
        return self.deff / self.df_factor

    def decided_by(self) -> str:
        """Which of the three design effects the interval used."""
        measured, run = self.measured or 1.0, getattr(self.run, "deff", 1.0)
        if self.deff <= 1.0:
            return "none"
        return "declared" if self.deff == self.declared else "run" if self.deff == run and run > measured else "window"

    def assumes(self) -> str:
        """What the interval assumes about dependence, in a sentence for the report."""
        declared = f"; at least the declared design effect {self.declared:g}" if self.declared > 1 else ""
        run = f"; at least the run's {self.run.describe()}" if self.run is not None else ""
        if self.measured is None:
            return ("assumes requests independent" + (f" but for the declared design effect {self.declared:g}"
                                                      if self.declared > 1 else "")
                    + (f" and the run's {self.run.describe()}" if self.run is not None else "")
                    + ": no per-scrape blocks to measure their dependence")
        return (f"design effect {self.measured:.2f} measured across {self.blocks} scrape blocks (lag-1 correlation "
                f"taken as {self.lag1:.2f}: {self.effective_blocks:.1f} effective blocks, t with "
                f"{max(MIN_EFFECTIVE_BLOCKS, self.effective_blocks) - 1:.1f} df){run}{declared}")


def df_factor(blocks: float, level: float) -> float:
    """Korn and Graubard's (z / t with blocks - 1 df)^2 (effective blocks may be fractional): 1 without two blocks
    to estimate a variance from."""
    if blocks < 2:
        return 1.0
    return float((special.ndtri(1 - (1 - level) / 2) / special.stdtrit(blocks - 1, 1 - (1 - level) / 2)) ** 2)


# A window whose blocks counted at least this many requests each, on average, shows its own lag-1 correlation; one
# that counted fewer takes the mean latency's as its least (dependence).
SHOWS_ITS_OWN = 1.0


def dependence(blocks: Blocks | None, level: float, declared: float = 1.0, run=None, memory: float = 0.0) -> Dependence:
    """The window's dependence from its blocks; `memory`, the lag-1 correlation of the same window's mean latency,
    is the least taken for its blocks where they counted fewer than SHOWS_ITS_OWN requests each: a queue's state
    carries from one scrape to the next whether or not a request crossed the threshold, so a window that held few
    slow requests is not taken as one of independent blocks. One that held more shows its own correlation, which
    the latency's overstates: a queue's whole latency swings with its length, the share over one threshold less.
    Against an M/M/1 queue whose knee is known, stages at 68 to 81 % of its saturation with 8 to 25 requests a block
    over p50's threshold read 0.70 from their own counts where the latency read 0.90, and took an effective-size
    divisor of up to 2,000 (under one request in 800); nine default runs re-judged this way from their saved answers
    were 12 to 65 % wide, seven within 25 %, where they had been 14 to 37 %, three within 25 % (every one holding
    the knee either way)."""
    if blocks is None or len(blocks.n) < 2:
        return Dependence(None, declared, len(blocks.n) if blocks else 0, 1.0, run=run)
    k = len(blocks.n)
    p = blocks.counted / blocks.total if blocks.total > 0 else 0.0
    own = lag1([x - p * n for n, x in zip(blocks.n, blocks.x)], raised=False) if 0 < p < 1 else 0.0
    r = own if blocks.counted >= SHOWS_ITS_OWN * k else max(memory, own)
    # t at the effective blocks' df, at least 2: with 1 (t = 12.7) a share of 15 in 1,050 against 50 %, its slow
    # requests all in a warm-up's first blocks, read [0, 95 %].
    return Dependence(design_effect(blocks) * widening(r), declared, k,
                      df_factor(max(MIN_EFFECTIVE_BLOCKS, effective_blocks(k, r)), level), r, run)


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


POWER = 0.8  # requests_needed decides the objective this often if the share stays where it is


def requests_needed(share: float, allowed: float, level: float, deff: float = 1.0) -> int | None:
    """About how many requests at this design effect decide the objective with 80 % power, if the true share is
    the one observed: the one-sample test of a share's sample size, (z_a sqrt(p0 q0) + z_b sqrt(p1 q1))^2 /
    (p1 - p0)^2 times the design effect. None when it sits on the limit; with none counted, MLPerf's minimum."""
    if share <= 0:
        return math.ceil(deff * zero_count_requests(allowed, level))
    gap = abs(share - allowed)
    if gap < 1e-9:
        return None
    za, zb = normal_quantile(1 - (1 - level) / 2), normal_quantile(POWER)
    root = za * math.sqrt(allowed * (1 - allowed)) + zb * math.sqrt(share * (1 - share))
    return math.ceil(deff * root * root / gap ** 2)


MIN_MEAN_BLOCKS = 5  # fewer scrape blocks cannot estimate the mean's variance and its correlation
MIN_EFFECTIVE_BLOCKS = 3  # fewer effective (independent) blocks: t with 2 df all the same


def mean_residuals(blocks: Blocks) -> list[float]:
    """Each block's latency sum less what the window's mean gives its requests; rounding's leftovers (equal
    latencies) are zero, so they cannot pass for a correlation."""
    m = blocks.counted / blocks.total
    tiny = 1e-9 * max((abs(s) for s in blocks.x), default=0.0)
    return [e if abs(e) > tiny else 0.0 for e in (s - m * n for n, s in zip(blocks.n, blocks.x))]


def every_block_over(blocks: Blocks | None, allowed: float) -> tuple[float, float] | None:
    """(lowest, highest) per-block share counted when every block with requests counted more than `allowed`; None
    otherwise, or without blocks."""
    shares = [x / n for n, x in zip(blocks.n, blocks.x) if n > 0] if blocks is not None else []
    return (min(shares), max(shares)) if shares and min(shares) > allowed else None


def poisson_interval(count: float, level: float) -> tuple[float, float]:
    """Garwood's exact interval of a Poisson count."""
    alpha = 1 - level
    low = 0.0 if count <= 0 else float(stats.chi2.ppf(alpha / 2, 2 * count)) / 2
    return low, float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
