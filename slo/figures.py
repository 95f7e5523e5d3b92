"""Server-side figures of one stage, computed from the raw Prometheus answers."""
from __future__ import annotations

import math

from slo import histogram


def _scalar(answer: dict | None) -> float | None:
    if not answer or not answer["result"]:
        return None
    value = float(answer["result"][0]["value"][1])
    return None if math.isnan(value) else value


def _by_label(answer: dict | None, label: str) -> dict[str, float]:
    if not answer:
        return {}
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in answer["result"]}


def server_figures(entry: dict, status_label: str, quantiles: list[float], scrape_interval_s: float = 1.0) -> dict:
    """RPS, mean, quantiles with their bucket bounds, error ratios, availability, data completeness."""
    a = entry["answers"]
    w = entry["window_s"]
    by_status = _by_label(a.get("requests_by_status"), status_label)
    total = sum(by_status.values())
    count = _scalar(a.get("latency_count")) or 0.0
    lat_sum = _scalar(a.get("latency_sum"))
    buckets = {float(le): v for le, v in _by_label(a.get("latency_buckets"), "le").items()}
    out: dict = {
        "window_s": w,
        "requests": round(total, 1),
        "rps": round(count / w, 2) if w > 0 else None,
        "rps_all_traffic": round((_scalar(a.get("all_traffic")) or 0) / w, 2) if w > 0 else None,
        "errors_5xx": round(sum(v for s, v in by_status.items() if s.startswith("5")), 1),
        "errors_4xx": round(sum(v for s, v in by_status.items() if s.startswith("4")), 1),
        "mean_ms": round(1000 * lat_sum / count, 3) if count > 0 and lat_sum is not None else None,
        "up_min": _scalar(a.get("up_min")),
        "up_samples": _scalar(a.get("up_samples")),
        "counter_resets": _scalar(a.get("counter_resets")) or 0.0,
        "quantiles": {},
    }
    out["error_ratio"] = round(out["errors_5xx"] / total, 6) if total > 0 else None
    out["ratio_4xx"] = round(out["errors_4xx"] / total, 6) if total > 0 else None
    for q in quantiles:
        promql = _scalar(a.get(f"quantile_{q:g}"))
        value = promql if promql is not None else histogram.quantile(q, buckets) if count > 0 else None
        b = histogram.bounds(q, buckets) if count > 0 else None
        out["quantiles"][f"{q:g}"] = {
            "ms": round(1000 * value, 3) if value is not None else None,
            "bucket_ms": [round(1000 * b[0], 3), None if math.isinf(b[1]) else round(1000 * b[1], 3)] if b else None,
            "source": "promql" if promql is not None else "buckets",
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
