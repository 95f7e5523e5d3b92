"""A machine's speed, measured the same way in every run: a fixed piece of work timed a number of times, its median
with an interval from order statistics (no assumption on the timings' shape). Runs are compared with it beside them:
the same work taking a third longer says the machine, not the code, changed."""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass

from scipy import stats

REPEATS = 41
LEVEL = 0.95


@dataclass(frozen=True)
class Canary:
    work: str
    ms: float       # the median time of one piece of work
    low: float
    high: float
    repeats: int

    def as_dict(self) -> dict:
        return {**asdict(self), "level": LEVEL, "method": "median of the timings, order-statistic interval"}


def median_interval(timings: list[float], level: float = LEVEL) -> tuple[float, float, float]:
    """(median, low, high): the ranks whose binomial(n, 1/2) tail mass is at most (1 - level) / 2 on each side."""
    ordered, n = sorted(timings), len(timings)
    lo_rank = int(stats.binom.ppf((1 - level) / 2, n, 0.5))           # 0-based: about n/2 - z sqrt(n)/2
    hi_rank = min(n - 1, n - 1 - lo_rank)
    mid = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    return mid, ordered[max(0, lo_rank - 1)], ordered[hi_rank]


def timed(work: str, piece, repeats: int = REPEATS, warm: int = 3) -> Canary:
    """`piece()` run warm times untimed, then `repeats` times timed."""
    for _ in range(warm):
        piece()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        piece()
        timings.append((time.perf_counter() - start) * 1000)
    mid, low, high = median_interval(timings)
    return Canary(work, round(mid, 6), round(low, 6), round(high, 6), repeats)


def generator_work(cpus: set[int] | None = None) -> Canary:
    """The load generator's own fixed work, on its cores: the JSON of a prediction request built and read back,
    200 times."""
    if cpus:
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, cpus)
        try:
            return generator_work()
        finally:
            os.sched_setaffinity(0, before)
    payload = {"user_id": "U000001", "features": {f"f{i}": i * 1.5 for i in range(14)}, "request_id": "0" * 32}

    def piece():
        for _ in range(200):
            json.loads(json.dumps(payload))
    return timed("200 prediction requests' JSON built and read back (pure Python)", piece)


def describe(canary: dict) -> str:
    """`one single-row forest prediction (v1): 19.7 ms [17.4, 23.1] on core(s) 0; 200 prediction requests' ...`."""
    parts = []
    for who in ("api", "generator"):
        c = canary.get(who)
        if c:
            where = f" on core(s) {','.join(map(str, c['cpus']))}" if c.get("cpus") else ""
            parts.append(f"{c['work']}: {c['ms']:.3g} ms [{c['low']:.3g}, {c['high']:.3g}]{where}")
    if canary.get("api_skipped"):
        parts.append(f"API not timed ({canary['api_skipped']})")
    return "; ".join(parts)
