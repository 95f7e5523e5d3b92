"""Known truths to draw runs from, written apart from the estimators they test: slow requests that come in runs
(fixed or geometric lengths, straddling scrape blocks and windows), a share drifting from scrape to scrape, and
real single-server queues (M/M/1, M/D/1) whose stationary tail is known.

A run is several stage windows of one-second scrape blocks; every request carries its latency (or its slow flag),
in time order, as the API's recording would hold them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np


LEVEL = 0.95
EDGE = 0.1  # seconds: the judged threshold, a bucket edge
SERVICE_S = 0.012  # the lab forest's CPU a prediction, about


@dataclass
class Run:
    """Per window: each request's block index, whether it was counted (slow), and its latency where known."""
    blocks: list[np.ndarray]
    counted: list[np.ndarray]
    latency: list[np.ndarray] | None = None
    rates: list[float] | None = None   # each window's offered rate, where they differ (a ladder)
    by_blocks: bool = False   # clustering measured from the scrape blocks, as for an API that records nothing
    # Each window's clustering, by what it depends on (_neighbourhood); a run copied by dataclasses.replace starts empty.
    _clustered: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def upto(self, w: int, blocks: int) -> "Run":
        """The run as it stood `blocks` seconds into window w, its other windows whole: a look before w's end."""
        keep = self.blocks[w] < blocks

        def cut(arrays):
            return None if arrays is None else [a[keep] if i == w else a for i, a in enumerate(arrays)]
        looked = replace(self, blocks=cut(self.blocks), counted=cut(self.counted), latency=cut(self.latency))
        looked._clustered = dict(self._clustered)   # the windows away from w keep theirs
        return looked

    def window_blocks(self, w: int):
        from slo.stats.confidence import Blocks
        k = int(self.blocks[w].max()) + 1
        n = np.bincount(self.blocks[w], minlength=k).astype(float)
        x = np.bincount(self.blocks[w], weights=self.counted[w], minlength=k)
        return Blocks(tuple(n), tuple(x))

    def neighbours(self, w: int) -> range:
        from slo.stats import clustering
        return range(max(0, w - clustering.NEIGHBOURS), min(len(self.counted), w + clustering.NEIGHBOURS + 1))

    def clustering(self, w: int) -> dict:
        """Window w's clustering as the evaluator measures it (slo.stats.clustering.of_run over its neighbours), from
        the requests in time order: each counted one recorded at 200 ms, over the EDGE."""
        from types import SimpleNamespace

        from slo.stats import clustering
        # of_run measures each window over its own neighbours only, so a call over w's neighbours gives w what a call
        # over the whole run would. Each window's is kept while its neighbours are unchanged: a fresh run is measured
        # whole, once; after a Ladder grows or a step is cut at a look, only the windows near the change are measured
        # again, each over its neighbours.
        measured = self._clustered
        key = self._neighbourhood(w)
        if key not in measured:
            near = range(len(self.counted)) if not measured else self.neighbours(w)
            bare = [SimpleNamespace(mean_blocks=self.mean_blocks(i), error_blocks=None,
                                    bucket_blocks=self.bucket_blocks(i) if self.by_blocks else {}) for i in near]
            recorded = [None] * len(near) if self.by_blocks else [200.0 * self.counted[i] for i in near]
            rates = [self.rates[i] for i in near] if self.rates else None
            got = clustering.of_run(bare, recorded, [EDGE], rates=rates)
            for j in (near if len(near) == len(self.counted) else [w]):
                measured[self._neighbourhood(j)] = got[j - near.start]
        return measured[key]

    def _neighbourhood(self, w: int) -> tuple:
        """What window w's clustering depends on: its neighbours' lengths and offered rates."""
        return w, tuple((len(self.counted[i]), self.rates[i] if self.rates else None) for i in self.neighbours(w))

    def mean_blocks(self, w: int):
        from slo.stats.confidence import Blocks
        if self.latency is None:
            return None
        k = int(self.blocks[w].max()) + 1
        n = np.bincount(self.blocks[w], minlength=k).astype(float)
        return Blocks(tuple(n), tuple(np.bincount(self.blocks[w], weights=self.latency[w], minlength=k)))

    def evidence(self, w: int, with_run: bool = True, declared: float = 1.0):
        """What the evaluator hands the interval for window w: its scrape blocks at the EDGE, its mean latency's
        blocks where latencies are known, and the clustering measured around it."""
        from slo.stats import intervals
        b = self.window_blocks(w)
        extra = {"clustering": self.clustering(w)} if with_run else {}
        if self.latency is not None:
            extra["mean_blocks"] = self.mean_blocks(w)
        return intervals.Evidence(LEVEL, window_s=len(b.n), scrape_s=1.0,
                                  buckets={EDGE: b.total - b.counted, math.inf: b.total},
                                  bucket_blocks=self.bucket_blocks(w), declared_deff=declared, **extra)

    def bucket_blocks(self, w: int) -> dict:
        """Window w's histogram scrape by scrape: each one-second block's requests under the EDGE and in all."""
        b = self.window_blocks(w)
        keys = [((), float(i)) for i in range(len(b.n))]
        return {EDGE: {k: n - x for k, n, x in zip(keys, b.n, b.x)}, math.inf: dict(zip(keys, b.n))}


def _split(flags: np.ndarray, block_of: np.ndarray, windows: int, blocks: int, latency=None) -> Run:
    window_of = block_of // blocks
    return Run([block_of[window_of == w] - w * blocks for w in range(windows)],
               [flags[window_of == w].astype(float) for w in range(windows)],
               None if latency is None else [latency[window_of == w] for w in range(windows)])


def _poisson_blocks(rng, rate: float, windows: int, blocks: int) -> np.ndarray:
    """Each request's block index, blocks of Poisson(rate) requests."""
    return np.repeat(np.arange(windows * blocks), rng.poisson(rate, windows * blocks))


def runs_of_slow(rng, share: float, length: float, geometric: bool, rate: float, windows: int = 6,
                 blocks: int = 27) -> Run:
    """Slow requests in runs of consecutive requests: runs start as a Poisson process over the requests, `length`
    long (fixed, or geometric with that mean), `share` of all requests slow in the long run (overlaps aside)."""
    block_of = _poisson_blocks(rng, rate, windows, blocks)
    total = len(block_of)
    starts = np.flatnonzero(rng.random(total) < share / length)
    lengths = rng.geometric(1 / length, len(starts)) if geometric else np.full(len(starts), int(length))
    flags = np.zeros(total + int(lengths.max(initial=0)) + 1)
    np.add.at(flags, starts, 1)
    np.add.at(flags, starts + lengths, -1)
    return _split(np.cumsum(flags)[:total] > 0, block_of, windows, blocks)


def drifting(rng, share: float, rho: float, rate: float, windows: int = 6, blocks: int = 27,
             spread: float = 0.5) -> Run:
    """Each scrape block's share drifts as an AR(1) with lag-1 correlation rho on the log scale, around `share`
    (the lognormal's mean is exactly `share`); requests independent within a block."""
    k = windows * blocks
    u = np.empty(k)
    u[0] = rng.normal()
    noise = rng.normal(size=k)
    for i in range(1, k):
        u[i] = rho * u[i - 1] + math.sqrt(1 - rho * rho) * noise[i]
    p = np.minimum(1.0, share * np.exp(spread * u - spread * spread / 2))
    block_of = _poisson_blocks(rng, rate, windows, blocks)
    return _split(rng.random(len(block_of)) < p[block_of], block_of, windows, blocks)


class Queue:
    """A single-server FIFO queue with Poisson arrivals, run on and on: each call continues where the last ended, so
    successive runs are successive stretches of one stationary trajectory (begun 50 relaxation times before the
    first). Lindley's recursion in closed form: W_n = C_n - min_{k<=n} C_k, C the cumulative sum of (service -
    interarrival), started from the waiting time carried over."""

    def __init__(self, rng, utilization: float, service_s: float, deterministic: bool):
        self.rng, self.rate, self.service_s, self.deterministic = rng, utilization / service_s, service_s, deterministic
        self.backlog = 0.0  # the work left in the system when the last stretch ended
        self.latencies(50 * service_s / (1 - math.sqrt(utilization)) ** 2)

    def latencies(self, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """(arrival times from 0, sojourn times) over the next `seconds`."""
        count = self.rng.poisson(self.rate * seconds)
        arrivals = np.sort(self.rng.random(count)) * seconds
        service = np.full(count, self.service_s) if self.deterministic else self.rng.exponential(self.service_s, count)
        if count == 0:
            self.backlog = max(0.0, self.backlog - seconds)
            return arrivals, service
        steps = np.concatenate([[max(0.0, self.backlog - arrivals[0])], service[:-1] - np.diff(arrivals)])
        c = np.cumsum(steps)
        wait = c - np.minimum.accumulate(np.minimum(c, 0.0))
        self.backlog = max(0.0, wait[-1] + service[-1] - (seconds - arrivals[-1]))
        return arrivals, wait + service


def queue_run(queue: Queue, threshold: float, windows: int = 6, blocks: int = 27) -> Run:
    """The queue's next `windows` windows of `blocks` seconds; counted: sojourn over `threshold`."""
    t, sojourn = queue.latencies(windows * blocks)
    return _split(sojourn > threshold, np.minimum((t // 1).astype(int), windows * blocks - 1), windows, blocks,
                  sojourn)


def stationary_tail(utilization: float, service_s: float, share: float, deterministic: bool) -> float:
    """The sojourn time exceeded by `share` of requests in the stationary queue: exact for M/M/1 (exponential with
    rate mu - lambda), from one long seeded simulation for M/D/1."""
    if not deterministic:
        return math.log(1 / share) / ((1 - utilization) / service_s)
    _, sojourn = Queue(np.random.default_rng(12345), utilization, service_s, True).latencies(2e6 * service_s)
    return float(np.quantile(sojourn, 1 - share))


DEFAULT_LADDER = (30, 36, 40, 44, 49, 54, 60, 110)


class Ladder:
    """A run against an M/M/1 target whose p95 (or p50) knee lies at `knee_rps`, one stage at a time: each stage's
    rate offered to one queue (each starting from the queue the last one left), its first `settle_s` dropped, then a
    window of one-second blocks. The threshold is placed so that the stationary queue crosses 5 % (50 %) over it
    exactly at the knee: P(T > t) = exp(-(mu - lambda) t). With `in_flight` (the open model's max_concurrency),
    a stage leaves at most that many requests' work queued: the generator drops arrivals that find that many in
    flight (loadtests/open_model.py), which bounds the queue a stage past saturation hands on."""

    def __init__(self, rng, knee_rps: float, first_rps: float, service_s: float = SERVICE_S, p50: bool = False,
                 in_flight: int | None = None):
        self.threshold = math.log(2 if p50 else 20) / (1 / service_s - knee_rps)   # p50's knee where p95's would be
        self.queue = Queue(rng, first_rps * service_s, service_s, False)
        self.run = Run([], [], [], [])
        self.in_flight = in_flight

    def stage(self, rate: float, window_s: float, settle_s: float = 3, idle_s: float = 0.0) -> None:
        """One more window at `rate`, after `idle_s` with no load (a refinement step's judging drains the queue)."""
        self.queue.backlog = max(0.0, self.queue.backlog - idle_s)
        self.queue.rate = rate
        self.queue.latencies(settle_s)
        t, sojourn = self.queue.latencies(window_s)
        if self.in_flight is not None:
            self.queue.backlog = min(self.queue.backlog, self.in_flight * self.queue.service_s)
        self.run.blocks.append(np.minimum((t // 1).astype(int), int(window_s) - 1))
        self.run.counted.append((sojourn > self.threshold).astype(float))
        self.run.latency.append(sojourn)
        self.run.rates.append(rate)


def ladder(rng, knee_rps: float, rates=DEFAULT_LADDER, service_s: float = SERVICE_S, settle_s: float = 3,
           window_s: int = 27) -> tuple[Run, float]:
    """A default-like run (Ladder) through `rates`; returns the run (a window a stage) and the p95 threshold."""
    run = Ladder(rng, knee_rps, rates[0], service_s)
    for rate in rates:
        run.stage(rate, window_s, settle_s)
    return run.run, run.threshold
