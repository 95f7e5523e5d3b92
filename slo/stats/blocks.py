"""Per-scrape blocks of a stage window from the counters' raw samples: exact request counts between scrapes.

Each block is one series' increase between two consecutive scrapes inside the window; a decrease is a
counter reset (the process restarted), so the block counts from zero.
"""
from __future__ import annotations

import math

import numpy as np

from slo.stats.confidence import Blocks
from slo.stats.figures import bucket_bounds, bucket_ms

Key = tuple[tuple[tuple[str, str], ...], float]   # (the series' other labels, the later scrape's timestamp)


def increments(answer: dict | None, start: float, end: float, by: str | None = None) -> dict[str, dict[Key, float]]:
    """{value of label `by` (or ""): {(other labels, t): increase since the previous scrape}} for every pair of
    consecutive samples inside [start, end]."""
    out: dict[str, dict[Key, float]] = {}
    for series in (answer or {}).get("result", []):
        labels = series.get("metric", {})
        value = labels.get(by, "") if by else ""
        group = tuple(sorted((k, v) for k, v in labels.items() if k != by and k != "__name__"))
        inside = [(float(t), float(v)) for t, v in series.get("values", []) if start <= float(t) <= end]
        bucket = out.setdefault(value, {})
        for (_, v0), (t1, v1) in zip(inside, inside[1:]):
            key = (group, t1)
            bucket[key] = bucket.get(key, 0.0) + (v1 - v0 if v1 >= v0 else v1)
    return out


def _le(value: str) -> float:
    return math.inf if value == "+Inf" else float(value)


def bucket_increments(answer: dict | None, start: float, end: float) -> dict[float, dict[Key, float]]:
    """The histogram's per-scrape increments by bucket edge (seconds; +Inf is every request)."""
    return {_le(le): blocks for le, blocks in increments(answer, start, end, "le").items()}


def edges_around(edges, threshold: float) -> tuple[float, float, float | None]:
    """(lower, upper, exact): the bucket edges that bracket a threshold in seconds (both the edge itself when it is
    one; 0 and +Inf where no edge lies below or above)."""
    finite = sorted(e for e in edges if not math.isinf(e))
    exact = next((e for e in finite if math.isclose(e, threshold, rel_tol=1e-9)), None)
    if exact is not None:
        return exact, exact, exact
    return (max((e for e in finite if e < threshold), default=0.0),
            min((e for e in finite if e > threshold), default=math.inf), None)


def over(buckets: dict[float, dict[Key, float]], edge: float) -> Blocks | None:
    """Blocks of (requests, requests slower than `edge`), from the +Inf bucket and the bucket at `edge`."""
    total, at = buckets.get(math.inf), buckets.get(edge)
    if not total or at is None:
        return None
    keys = sorted(total)
    return Blocks(tuple(total[k] for k in keys), tuple(max(0.0, total[k] - at.get(k, 0.0)) for k in keys))


def of_statuses(answer: dict | None, start: float, end: float, status_label: str, counted=lambda s: s.startswith("5")) -> Blocks | None:
    """Blocks of (requests, requests whose status is counted), all statuses of a scrape summed."""
    by_status = increments(answer, start, end, status_label)
    keys = sorted({k for blocks in by_status.values() for k in blocks})
    if not keys:
        return None
    n = tuple(sum(b.get(k, 0.0) for b in by_status.values()) for k in keys)
    x = tuple(sum(b.get(k, 0.0) for s, b in by_status.items() if counted(s)) for k in keys)
    return Blocks(n, x)


def of_sums(sum_answer: dict | None, buckets: dict[float, dict[Key, float]], start: float, end: float) -> Blocks | None:
    """Blocks of (requests, latency sum in seconds) for a mean, the requests from the +Inf bucket."""
    sums = increments(sum_answer, start, end).get("", {})
    total = buckets.get(math.inf) or {}
    keys = sorted(set(sums) & set(total))
    if not keys:
        return None
    return Blocks(tuple(total[k] for k in keys), tuple(sums[k] for k in keys))


def _quantile(q: float, cumulative: list[tuple[float, float]]) -> float | None:
    """Prometheus's histogram_quantile over one scrape's cumulative bucket increments (seconds)."""
    buckets = dict(cumulative)
    return _interpolated(q, buckets, bucket_bounds(q, buckets))


def _interpolated(q: float, buckets: dict[float, float], bounds: tuple[float, float] | None) -> float | None:
    """The q-quantile interpolated linearly inside `bounds`, the bucket that holds its rank (figures.bucket_bounds):
    its lower edge where that bucket is past the last edge, as Prometheus gives it."""
    if bounds is None:
        return None
    low, high = bounds
    if math.isinf(high):
        return low
    rank, below, count = q * buckets[max(buckets)], buckets.get(low, 0.0), buckets[high]
    return low + (high - low) * (rank - below) / (count - below) if count > below else high


# The key beside a per-scrape quantile's (p99_ms -> p99_bucket_ms) that holds, for each scrape, the edges of the bucket
# its interpolated value lies in ([low, high] ms, high None past the last edge): where the true quantile lies.
BUCKET_SUFFIX = "_bucket_ms"


def per_scrape(buckets: dict[float, dict[Key, float]], sums: Blocks | None, quantiles: list[float]) -> dict[str, list]:
    """One value per scrape (and instance): the mean and each quantile of the requests between two scrapes, in ms,
    each quantile with its bucket's edges; non-overlapping, so a rank test can compare two runs' scrapes."""
    total = buckets.get(math.inf) or {}
    keys = [k for k in sorted(total) if total[k] > 0]
    edges = sorted(buckets)
    out: dict[str, list] = {f"p{q * 100:g}{suffix}": [] for q in quantiles for suffix in ("_ms", BUCKET_SUFFIX)}
    for k in keys:
        cumulative = {le: buckets[le].get(k, 0.0) for le in edges}
        for q in quantiles:
            bounds = bucket_bounds(q, cumulative)   # one search for the bucket: the value lies in it
            v = _interpolated(q, cumulative, bounds)
            if v is not None:
                out[f"p{q * 100:g}_ms"].append(round(1000 * v, 3))
                out[f"p{q * 100:g}{BUCKET_SUFFIX}"].append(bucket_ms(bounds))
    if sums is not None:
        out["mean_ms"] = [round(1000 * s / n, 3) for n, s in zip(sums.n, sums.x) if n > 0]
    return out


# Where a window's per-scrape quantiles were read from (server.per_scrape.quantiles_from): exact from the API's
# recording (recorded_per_block), or interpolated in the histogram's buckets (per_scrape).
FROM_RECORDING, FROM_HISTOGRAM = "recording", "histogram"


def recorded_per_block(latencies_ms, blocks: int, quantiles: list[float]) -> dict[str, list]:
    """Each quantile of the recorded latencies (ms, in time order) in `blocks` runs of consecutive requests of equal
    size, as many as the window's scrapes: exact where per_scrape interpolates inside a bucket. Interpolated, a
    change inside one bucket reads smaller than it is (a scrape's p99 of about 50 requests is its top bucket's
    middle wherever in the bucket its slowest request lies); an order statistic scales with the latencies, so a
    true +10 % reads +10 %. {} with fewer requests than blocks."""
    lat = np.asarray(latencies_ms if latencies_ms is not None else [], dtype=float)
    if blocks < 1 or len(lat) < blocks:
        return {}
    parts = np.array_split(lat, blocks)
    return {f"p{q * 100:g}_ms": [round(float(np.quantile(part, q)), 3) for part in parts] for q in quantiles}
