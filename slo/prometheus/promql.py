"""PromQL builders for one stage window; pure functions of the metrics spec and the window length."""
from __future__ import annotations

import re

from common.contract import (EVENT_LOOP_LAG, PREDICTION_BATCH_SIZE, PREDICTION_COMPUTE, PREDICTION_WAIT,
                             REQUESTS_IN_FLIGHT)
from common.prometheus_api import matchers
from slo.file.model import MetricsSpec


def window(seconds: float) -> str:
    """A range selector in whole milliseconds, so the window is exact: `[30500ms]`."""
    ms = int(round(seconds * 1000))
    if ms <= 0:
        raise ValueError(f"window must be positive, got {seconds} s")
    return f"[{ms}ms]"


def target_scope(m: MetricsSpec, instances: list[str] | None = None) -> dict[str, str]:
    """The labels that name the judged target in a shared Prometheus: the up_selector's (its job), and its
    instances when the harness knows them (an API it started). Every query carries them."""
    scope = dict(m.up_selector)
    if instances:
        scope["instance"] = instances[0] if len(instances) == 1 else None  # several: a regex matcher below
    return scope


def scoped(labels: dict[str, str], scope: dict[str, str], instances: list[str] | None = None, extra: str = "") -> str:
    """Matchers of `labels` narrowed to the target's scope; several instances become one regex matcher."""
    plain = {k: v for k, v in {**labels, **scope}.items() if v is not None}
    extras = [extra] if extra else []
    if instances and len(instances) > 1:
        # A PromQL string escapes backslashes itself: the regex's `\.` is written `\\.`.
        extras.append('instance=~"' + "|".join(re.escape(i).replace("\\", "\\\\") for i in instances) + '"')
    return matchers(plain, ",".join(extras))


def answered_query(m: MetricsSpec, instances: list[str] | None = None) -> str:
    """Every request the target has answered so far (its counter, summed over endpoints and statuses)."""
    return f"sum({m.requests_total}{scoped({}, target_scope(m, instances), instances, m.traffic_matchers)})"


def stage_queries(m: MetricsSpec, seconds: float, quantiles: list[float], start: float,
                  scrape_interval_s: float = 1.0, instances: list[str] | None = None) -> dict[str, str]:
    """Every query the evaluator needs for one stage, by name; all are evaluated at the window's end
    (start, in Unix seconds, bounds the "found down at" timestamps to the window). Every query is scoped
    to the target (target_scope), so other jobs in a shared Prometheus change nothing."""
    w = window(seconds)
    scope = target_scope(m, instances)
    sel = scoped(m.selector, scope, instances)
    up = scoped({}, scope, instances)
    traffic = scoped({}, scope, instances, m.traffic_matchers)
    h = m.latency_histogram
    queries = {
        "requests_by_status": f"sum by ({m.status_label}) (increase({m.requests_total}{sel}{w}))",
        "all_traffic": f"sum(increase({m.requests_total}{traffic}{w}))",
        "latency_sum": f"sum(increase({h}_sum{sel}{w}))",
        "latency_count": f"sum(increase({h}_count{sel}{w}))",
        "latency_buckets": f"sum by (le) (increase({h}_bucket{sel}{w}))",
        "up_min": f"min(min_over_time(up{up}{w}))",
        "up_samples": f"sum(count_over_time(up{up}{w}))",
        # The first scrape inside the window that found the target down, if any, by the sample's own timestamp
        # (a subquery at the scrape resolution). At the window's first steps the lookback still sees samples
        # from before it: an earlier outage must not count, so timestamps before the start are filtered out.
        "down_at": (f"min(min_over_time(((timestamp(up{up}) and up{up} == 0) >= {start:.3f})"
                    f"[{int(round(seconds * 1000))}ms:{int(round(scrape_interval_s * 1000))}ms]))"),
        "counter_resets": f"sum(resets({m.requests_total}{sel}{w}))",
        # Per instance (API replicas): what each served, its tail, its errors, when it went down.
        "by_instance_requests": f"sum by (instance) (increase({m.requests_total}{sel}{w}))",
        "by_instance_5xx": f"sum by (instance) (increase({m.requests_total}{scoped(m.selector, scope, instances, m.status_label + '=~' + chr(34) + '5..' + chr(34))}{w}))",
        "by_instance_p99": f"histogram_quantile(0.99, sum by (instance, le) (increase({h}_bucket{sel}{w})))",
        "by_instance_up_min": f"min by (instance) (min_over_time(up{up}{w}))",
        "by_instance_down_at": (f"min by (instance) (min_over_time(((timestamp(up{up}) and up{up} == 0) >= {start:.3f})"
                                f"[{int(round(seconds * 1000))}ms:{int(round(scrape_interval_s * 1000))}ms]))"),
        # The share of the target's instances up, at its lowest in the window (availability with replicas).
        "up_share_min": (f"min_over_time((sum(up{up}) / count(up{up}))"
                         f"[{int(round(seconds * 1000))}ms:{int(round(scrape_interval_s * 1000))}ms])"),
    }
    for q in quantiles:
        queries[f"quantile_{q:g}"] = f"histogram_quantile({q:g}, sum by (le) (increase({h}_bucket{sel}{w})))"
    # The API's own event-loop lag (ours exports it; another target may not): part of the client/server gap.
    queries["api_loop_lag_p99"] = f"histogram_quantile(0.99, sum by (le) (increase({EVENT_LOOP_LAG}_bucket{up}{w})))"
    queries.update(serving_queries(up, w, scrape_interval_s))
    return queries


def serving_queries(up: str, w: str, scrape_interval_s: float) -> dict[str, str]:
    """Queue and compute apart (our API exports them; another target may not): each request's wait before its
    prediction, each predict call's time, requests per call, and the most requests in flight at a scrape."""
    out = {}
    for name, metric in (("wait", PREDICTION_WAIT), ("compute", PREDICTION_COMPUTE), ("batch", PREDICTION_BATCH_SIZE)):
        out[f"{name}_sum"] = f"sum(increase({metric}_sum{up}{w}))"
        out[f"{name}_count"] = f"sum(increase({metric}_count{up}{w}))"
    for q in (0.5, 0.95, 0.99):
        out[f"wait_p{q * 100:g}"] = f"histogram_quantile({q:g}, sum by (le) (increase({PREDICTION_WAIT}_bucket{up}{w})))"
    step = f"{int(round(scrape_interval_s * 1000))}ms"
    out["in_flight_max"] = f"max_over_time(sum({REQUESTS_IN_FLIGHT}{up})[{w[1:-1]}:{step}])"
    return out


def sli_queries(objectives: list, seconds: float, scrape_interval_s: float = 1.0) -> dict[str, str]:
    """The team's own SLIs (ratio, threshold objectives) over one stage window, as each objective builds them
    (stage_queries)."""
    range_, step, out = window(seconds)[1:-1], f"{int(round(scrape_interval_s * 1000))}ms", {}
    for o in objectives:
        out.update(o.stage_queries(range_, seconds, step))
    return out


def edge_pad_s(scrape_interval_s: float) -> float:
    """How far past each edge of a window the raw samples are read: two scrapes, so one lies beyond it."""
    return 2.0 * scrape_interval_s


def edge_samples_query(m: MetricsSpec, seconds: float, scrape_interval_s: float = 1.0,
                       instances: list[str] | None = None, metric: str | None = None) -> str:
    """A counter's raw samples (the request counter by default) from a pad before the window to a pad after it
    (evaluate at end + pad): interpolated at the window's edges, they count its requests to within a scrape,
    where increase() extrapolates; differenced between scrapes, they are the window's per-scrape blocks."""
    sel = scoped(m.selector, target_scope(m, instances), instances)
    return f"{metric or m.requests_total}{sel}{window(seconds + 2 * edge_pad_s(scrape_interval_s))}"


# Raw samples read at the window's end + pad, by answer name: the counters whose per-scrape blocks give the
# confidence of each verdict (requests by status, the histogram's buckets, its sum).
def sample_queries(m: MetricsSpec, seconds: float, scrape_interval_s: float = 1.0,
                   instances: list[str] | None = None) -> dict[str, str]:
    h = m.latency_histogram
    return {name: edge_samples_query(m, seconds, scrape_interval_s, instances, metric)
            for name, metric in (("requests_samples", m.requests_total), ("latency_bucket_samples", f"{h}_bucket"),
                                 ("latency_sum_samples", f"{h}_sum"))}


def series_rate_window_s(scrape_interval_s: float) -> float:
    """The rate window of the over-time charts: three scrapes, so a late scrape never leaves one sample in it."""
    return 3.0 * scrape_interval_s


def series_queries(m: MetricsSpec, scrape_interval_s: float, quantiles: list[float],
                   instances: list[str] | None = None) -> dict[str, str]:
    """The over-time queries of the report, run as range queries at the scrape resolution over the whole run:
    achieved req/s (all traffic), the judged endpoint's rate, mean and quantiles, its 5xx per second, and what one
    prediction cost (the mean predict call, where the target exports it: a slow spell of the machine shows there)."""
    w = window(series_rate_window_s(scrape_interval_s))
    scope = target_scope(m, instances)
    sel = scoped(m.selector, scope, instances)
    traffic = scoped({}, scope, instances, m.traffic_matchers)
    errors = scoped(m.selector, scope, instances, m.status_label + '=~"5.."')
    h = m.latency_histogram
    out = {"rps_all_traffic": f"sum(rate({m.requests_total}{traffic}{w}))",
           "rps": f"sum(rate({m.requests_total}{sel}{w}))",
           "errors_5xx_per_s": f"sum(rate({m.requests_total}{errors}{w})) or vector(0)",
           "mean_ms": f"1000 * sum(rate({h}_sum{sel}{w})) / sum(rate({h}_count{sel}{w}))"}
    target = scoped({}, scope, instances)
    out["compute_ms"] = (f"1000 * sum(rate({PREDICTION_COMPUTE}_sum{target}{w})) / "
                         f"sum(rate({PREDICTION_COMPUTE}_count{target}{w}))")
    for q in quantiles:
        out[f"p{q * 100:g}_ms"] = f"1000 * histogram_quantile({q:g}, sum by (le) (rate({h}_bucket{sel}{w})))"
    return out
