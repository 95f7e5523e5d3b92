"""What one stage window gives the objectives' intervals (Evidence): the histogram's counts over the window and its
per-scrape blocks, and how slow requests cluster around it; with the counts over a latency edge and the requests an
undecided share needs. Each kind of objective draws its own interval from them, words it and decides
(slo/verdicts/kinds/)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from slo.stats import blocks, confidence
from slo.stats.confidence import Blocks
from slo.stats.figures import bucket_counts


@dataclass(frozen=True)
class Evidence:
    """What one stage window gives the intervals: counts over the window, and per-scrape blocks when the
    counters' raw samples were collected."""
    level: float
    window_s: float
    scrape_s: float
    buckets: dict[float, float]                      # cumulative requests per edge (seconds), increase()
    bucket_blocks: dict[float, dict] = field(default_factory=dict)
    error_blocks: Blocks | None = None
    mean_blocks: Blocks | None = None
    poisson_arrivals: bool = False
    declared_deff: float = 1.0                       # the SLO file's design_effect
    # Measured around the window (slo/stats/clustering.of_run): design effects by latency threshold in seconds and
    # "errors", and "memory", the mean latency's lag-1 correlation; "mean_spread", its relative spread.
    clustering: dict = field(default_factory=dict)


def with_level(ev: Evidence, level: float) -> Evidence:
    """The same evidence judged at another level (the family policy asks each test at its own)."""
    return replace(ev, level=level)


def evidence_of(entry: dict, status_label: str, level: float, scrape_s: float, start: float, end: float,
                poisson_arrivals: bool = False, declared_deff: float = 1.0) -> Evidence:
    a = entry["answers"]
    buckets = bucket_counts(a)
    by_edge = blocks.bucket_increments(a.get("latency_bucket_samples"), start, end)
    return Evidence(level, entry["window_s"], scrape_s, buckets, by_edge,
                    blocks.of_statuses(a.get("requests_samples"), start, end, status_label),
                    blocks.of_sums(a.get("latency_sum_samples"), by_edge, start, end), poisson_arrivals,
                    declared_deff)


def add_needed(out: dict, share: float, allowed: float, level: float, divisor: float, rate: float | None,
               n: float | None = None, half: float | None = None) -> None:
    """requests_needed and the stage duration that means, for an inconclusive share objective: the count that
    decides it with 80 % power at the interval's effective-size divisor (design effect over the df factor), never
    fewer than the interval actually printed implies (it narrows as one over the square root of the requests:
    n x (its half-width / the gap to the limit)^2), so the advice never asks for fewer requests than it had; and
    beside it MLPerf's optimistic minimum, the count that would decide it were none counted."""
    need = confidence.requests_needed(share, allowed, level, divisor)
    out["requests_minimum"] = math.ceil(divisor * confidence.zero_count_requests(allowed, level))
    gap = abs(share - allowed)
    if need is not None and share > 0 and gap > 0 and n and half is not None:  # none counted: 368 is exact
        need = max(need, math.ceil(n * (half / gap) ** 2))
    out["requests_needed"] = need
    out["seconds_needed"] = round(need / rate, 1) if need and rate else None


def counts_over(ev: Evidence, edge: float) -> tuple[float, float, Blocks | None]:
    """(requests, requests slower than edge, blocks) from the raw samples, else from the window's increase.
    Edge 0 counts every request, +Inf none."""
    b = blocks.over(ev.bucket_blocks, edge) if 0 < edge < math.inf else \
        blocks.over(ev.bucket_blocks, math.inf)
    if b is not None:
        counted = b.n if edge <= 0 else (0.0,) * len(b.n) if math.isinf(edge) else b.x
        b = Blocks(b.n, counted)
        return b.total, b.counted, b
    n = round(ev.buckets.get(math.inf, 0.0))
    at = 0.0 if edge <= 0 else n if math.isinf(edge) else round(ev.buckets.get(edge, 0.0))
    return n, max(0, n - at), None


