"""PromQL builders for one stage window; pure functions of the metrics spec and the window length."""
from __future__ import annotations

from slo.spec import MetricsSpec


def matchers(labels: dict[str, str], extra: str = "") -> str:
    parts = [f'{k}="{v}"' for k, v in sorted(labels.items())]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}"


def window(seconds: float) -> str:
    """A range selector in whole milliseconds, so the window is exact: `[30500ms]`."""
    ms = int(round(seconds * 1000))
    if ms <= 0:
        raise ValueError(f"window must be positive, got {seconds} s")
    return f"[{ms}ms]"


def stage_queries(m: MetricsSpec, seconds: float, quantiles: list[float]) -> dict[str, str]:
    """Every query the evaluator needs for one stage, by name; all are evaluated at the window's end."""
    w = window(seconds)
    sel = matchers(m.selector)
    up = matchers(m.up_selector)
    h = m.latency_histogram
    queries = {
        "requests_by_status": f"sum by ({m.status_label}) (increase({m.requests_total}{sel}{w}))",
        "all_traffic": f"sum(increase({m.requests_total}{{{m.traffic_matchers}}}{w}))",
        "latency_sum": f"sum(increase({h}_sum{sel}{w}))",
        "latency_count": f"sum(increase({h}_count{sel}{w}))",
        "latency_buckets": f"sum by (le) (increase({h}_bucket{sel}{w}))",
        "up_min": f"min(min_over_time(up{up}{w}))",
        "up_samples": f"sum(count_over_time(up{up}{w}))",
        # The first scrape that found the target down, if any: a subquery at the scrape resolution.
        "down_at": f"min(min_over_time(timestamp(up{up} == 0)[{int(round(seconds * 1000))}ms:1s]))",
        "counter_resets": f"sum(resets({m.requests_total}{sel}{w}))",
    }
    for q in quantiles:
        queries[f"quantile_{q:g}"] = f"histogram_quantile({q:g}, sum by (le) (increase({h}_bucket{sel}{w})))"
    return queries


EDGE_PAD_S = 2.0


def edge_samples_query(m: MetricsSpec, seconds: float) -> str:
    """The request counter's raw samples from EDGE_PAD_S before the window to EDGE_PAD_S after it
    (evaluate at end + EDGE_PAD_S): interpolated at the window's edges, they count its requests
    to within a scrape, where increase() extrapolates."""
    return f"{m.requests_total}{matchers(m.selector)}{window(seconds + 2 * EDGE_PAD_S)}"


def rps_query(m: MetricsSpec, seconds: float) -> str:
    """RPS as the issue states it: sum(increase(count[w])) / w."""
    return f"sum(increase({m.latency_histogram}_count{matchers(m.selector)}{window(seconds)})) / {seconds:g}"


def mean_query(m: MetricsSpec, seconds: float) -> str:
    w, sel, h = window(seconds), matchers(m.selector), m.latency_histogram
    return f"sum(increase({h}_sum{sel}{w})) / sum(increase({h}_count{sel}{w}))"
