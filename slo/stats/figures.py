"""Server-side figures of one stage, computed from the raw Prometheus answers."""
from __future__ import annotations

import math



def _scalar(answer: dict | None) -> float | None:
    if not answer or not answer["result"]:
        return None
    value = float(answer["result"][0]["value"][1])
    return None if math.isnan(value) else value


def bucket_bounds(q: float, buckets: dict[float, float]) -> tuple[float, float] | None:
    """The bucket [lower, upper] that holds the q-quantile of cumulative bucket counts: the estimate's error bar."""
    items = sorted(buckets.items())
    if len(items) < 2 or items[-1][1] <= 0:
        return None
    rank = q * items[-1][1]
    prev_le = 0.0
    for le, count in items:
        if count >= rank:
            return prev_le, le
        prev_le = le
    return prev_le, math.inf


def bucket_ms(bounds: tuple[float, float] | None) -> list | None:
    """A bucket's edges in ms as the report keeps them, [low, high], high None past the last edge."""
    if bounds is None:
        return None
    low, high = bounds
    return [round(1000 * low, 3), None if math.isinf(high) else round(1000 * high, 3)]


def _by_label(answer: dict | None, label: str) -> dict[str, float]:
    if not answer:
        return {}
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in answer["result"]}


def bucket_counts(answers: dict) -> dict[float, float]:
    """The window's cumulative requests per histogram edge, in seconds (+Inf: every request)."""
    return {float(le): v for le, v in _by_label(answers.get("latency_buckets"), "le").items()}


def _edge_count(samples: list[tuple[float, float]], start: float, end: float, scrape_interval_s: float) -> float | None:
    """Requests in [start, end] from one counter's samples; None with fewer than 2 samples inside.

    Each edge is extrapolated from the nearest sample inside the window at the rate of the scrape interval
    just inside it (the neighbouring stages run at other rates, so interpolating across the edge would mix
    them in), bounded by the samples just outside, which the counter cannot pass. Past the last sample with
    none after it (a target that died), at most half a scrape interval, as far as Prometheus would go.
    """
    inside = [(t, v) for t, v in samples if start <= t <= end]
    if len(inside) < 2:
        return None
    before = [v for t, v in samples if t < start]
    after = [v for t, v in samples if t > end]
    (t0, v0), (t1, v1) = inside[0], inside[1]
    (u0, w0), (u1, w1) = inside[-2], inside[-1]
    first_rate, last_rate = (v1 - v0) / (t1 - t0), (w1 - w0) / (u1 - u0)
    if before:
        at_start = max(before[-1], v0 - first_rate * (t0 - start))
    else:
        # The series appeared after the last scrape before the window (its first request), maybe before the
        # window started: back from its first sample at its mean rate inside the window, never below zero.
        at_start = max(0.0, v0 - (w1 - v0) / (u1 - t0) * (t0 - start))
    if after:
        at_end = min(after[0], w1 + last_rate * (end - u1))
    else:
        at_end = w1 + last_rate * min(end - u1, 0.5 * scrape_interval_s)
    return at_end - at_start


def interpolated_counts(answer: dict | None, start: float, end: float, label: str,
                        scrape_interval_s: float = 1.0) -> dict[str, float]:
    """Requests per label value in [start, end] from raw counter samples; {} when they do not cover it."""
    out: dict[str, float] = {}
    for series in (answer or {}).get("result", []):
        samples, offset, prev = [], 0.0, None
        for t, v in series.get("values", []):
            v = float(v)
            if prev is not None and v < prev:  # a reset: the counter restarted from zero
                offset += prev
            prev = v
            samples.append((float(t), v + offset))
        count = _edge_count(samples, start, end, scrape_interval_s)
        if count is None:
            return {}
        key = series["metric"].get(label, "")
        out[key] = out.get(key, 0.0) + count
    return out


def _sum(answer: dict | None) -> float | None:
    """The sum of an answer's series (the team's queries may keep labels); None without data."""
    if not answer or not answer["result"]:
        return None
    values = [float(r["value"][1]) for r in answer["result"]]
    values = [v for v in values if not math.isnan(v)]
    return sum(values) if values else None


def sli_figures(entry: dict, names: list[str]) -> dict[str, dict]:
    """Per ratio or threshold objective: the share of good events (or good scrapes) in the window."""
    a = entry["answers"]
    out = {}
    for name in names:
        good, bad, total = (_sum(a.get(f"sli_{k}_{name}")) for k in ("good", "bad", "total"))
        bad_ratio, share = _sum(a.get(f"sli_bad_ratio_{name}")), _sum(a.get(f"sli_share_{name}"))
        if share is None and bad_ratio is not None:
            share = 1 - bad_ratio
        if share is None and total:
            share = good / total if good is not None else 1 - (bad or 0.0) / total
        out[name] = {"good": good, "bad": bad, "total": total,
                     "good_share": None if share is None else round(min(1.0, max(0.0, share)), 6)}
    return out


def replica_figures(entry: dict, window_s: float) -> dict[str, dict]:
    """Per API instance (replica): req/s, p99, 5xx, lowest up and when it was found down, in this window."""
    a = entry["answers"]
    out: dict[str, dict] = {}
    for key, field in (("by_instance_requests", "requests"), ("by_instance_5xx", "errors_5xx"),
                       ("by_instance_p99", "p99_s"), ("by_instance_up_min", "up_min"),
                       ("by_instance_down_at", "down_at")):
        for instance, value in _by_label(a.get(key), "instance").items():
            if not math.isnan(value):
                out.setdefault(instance, {})[field] = value
    start = entry["time"] - window_s
    for instance, r in out.items():
        requests = r.pop("requests", 0.0)
        r["rps"] = round(requests / window_s, 2) if window_s > 0 else None
        r["requests"] = round(requests, 1)
        r["errors_5xx"] = round(r.get("errors_5xx", 0.0), 1)
        p99 = r.pop("p99_s", None)
        r["p99_ms"] = round(1000 * p99, 3) if p99 is not None else None
        down = r.get("down_at")
        r["down_at"] = down if down is not None and start <= down <= entry["time"] else None
        r.setdefault("up_min", None)
    return out


def distribution(buckets: dict[float, float]) -> list[list[float]]:
    """[latency ms, share of requests at or below it] at every finite bucket boundary of the stage's histogram
    increase: the server side of the tail picture ([] without requests)."""
    total = buckets.get(math.inf)
    if not total or total <= 0:
        return []
    return [[round(1000 * le, 3), round(min(1.0, count / total), 6)]
            for le, count in sorted(buckets.items()) if not math.isinf(le)]


def server_figures(entry: dict, status_label: str, quantiles: list[float], scrape_interval_s: float = 1.0) -> dict:
    """RPS, mean, quantiles with their bucket bounds, error ratios, availability, data completeness."""
    a = entry["answers"]
    w = entry["window_s"]
    by_status = _by_label(a.get("requests_by_status"), status_label)
    total = sum(by_status.values())
    count = _scalar(a.get("latency_count")) or 0.0
    lat_sum = _scalar(a.get("latency_sum"))
    buckets = bucket_counts(a)
    edges = interpolated_counts(a.get("requests_samples"), entry["time"] - w, entry["time"], status_label,
                                scrape_interval_s)
    down_at = _scalar(a.get("down_at"))
    if down_at is not None and not entry["time"] - w <= down_at <= entry["time"]:
        down_at = None  # a down sample from before the window, still in Prometheus's lookback: not this stage's
    out: dict = {
        "window_s": w,
        "requests": round(total, 1),
        "rps": round(count / w, 2) if w > 0 else None,
        "rps_all_traffic": round((_scalar(a.get("all_traffic")) or 0) / w, 2) if w > 0 else None,
        "errors_5xx": round(sum(v for s, v in by_status.items() if s.startswith("5")), 1),
        "errors_4xx": round(sum(v for s, v in by_status.items() if s.startswith("4")), 1),
        "status_200": round(by_status.get("200", 0.0), 1),
        "mean_ms": round(1000 * lat_sum / count, 3) if count > 0 and lat_sum is not None else None,
        "up_min": _scalar(a.get("up_min")),
        # The share of the target's instances up at its lowest (1 instance: its lowest up).
        "up_share_min": _scalar(a.get("up_share_min")) if a.get("up_share_min") is not None else _scalar(a.get("up_min")),
        "down_at": down_at,
        "up_samples": _scalar(a.get("up_samples")),
        "counter_resets": _scalar(a.get("counter_resets")) or 0.0,
        "api_loop_lag_p99_ms": (round(1000 * v, 3) if (v := _scalar(a.get("api_loop_lag_p99"))) is not None
                                else None),
        "requests_interpolated": round(sum(edges.values()), 1) if edges else None,
        "status_200_interpolated": round(edges.get("200", 0.0), 1) if edges else None,
        "quantiles": {},
    }
    out["error_ratio"] = round(out["errors_5xx"] / total, 6) if total > 0 else None
    out["distribution"] = distribution(buckets)
    out["ratio_4xx"] = round(out["errors_4xx"] / total, 6) if total > 0 else None
    for q in quantiles:
        # The quantile itself is Prometheus's histogram_quantile; the buckets only give its error bar.
        value = _scalar(a.get(f"quantile_{q:g}"))
        b = bucket_bounds(q, buckets) if count > 0 else None
        out["quantiles"][f"{q:g}"] = {
            "ms": round(1000 * value, 3) if value is not None else None,
            "bucket_ms": bucket_ms(b),
        }
    expected = w / scrape_interval_s
    notes = []
    if out["up_samples"] is not None and out["up_samples"] < 0.8 * expected:
        notes.append(f"only {out['up_samples']:.0f} of ~{expected:.0f} scrapes in the window: figures are incomplete")
    if out["counter_resets"]:
        notes.append("a counter reset inside the window (the API restarted): increase() compensates, "
                     "but requests between the last scrape and the restart are lost")
    out["notes"] = notes
    out["complete"] = not notes
    return out


def quantile_entry(quantiles: dict, q: float) -> dict:
    """Quantile q's entry in server_figures's `quantiles` ({ms, bucket_ms}), found by the key written there; {} where
    the window has none."""
    return quantiles.get(f"{q:g}") or {}


def quantile_ms(quantiles: dict, q: float) -> float | None:
    """Prometheus's estimate of quantile q over the window, in ms; None where it has none."""
    return quantile_entry(quantiles, q).get("ms")


def availability(server: dict) -> float | None:
    """The stage's availability, read the same way by its objective and by a baseline comparison: the lowest share
    of the target's replicas up at any scrape of the window (with one instance, its lowest `up`)."""
    return server.get("up_share_min", server.get("up_min"))


def users_p99(client: dict) -> float | None:
    """The users' p99 in ms, read the same way by the client-server gap and by a baseline comparison: from the
    generators' merged HDR histograms where they recorded one, else Locust's own."""
    return client.get("hdr_p99_ms", client.get("p99_ms"))
