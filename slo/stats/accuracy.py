"""How exact the numbers are: histogram estimates against the recorded latencies, and counts reconciled."""
from __future__ import annotations

import numpy as np


def quantile_accuracy(server: dict, latencies_ms: np.ndarray | None, thresholds: dict[str, tuple[float, float]],
                      boundaries_ms: list[float]) -> dict:
    """Estimate against exact quantile, per quantile; bucket recommendations where a verdict could flip."""
    if latencies_ms is None or len(latencies_ms) == 0:
        return {"rows": 0, "quantiles": {}, "recommendations": [],
                "note": "no recorded latencies for this window: exact quantiles unavailable"}
    out = {"rows": int(len(latencies_ms)), "quantiles": {}, "recommendations": [],
           "note": "exact quantiles are over recorded successful predictions; the histogram counts every status"}
    for key, est in server["quantiles"].items():
        exact = float(np.percentile(latencies_ms, float(key) * 100))
        bucket = est.get("bucket_ms")
        inside = bool(bucket and bucket[0] <= exact <= (bucket[1] if bucket[1] is not None else np.inf))
        out["quantiles"][key] = {"estimate_ms": est.get("ms"), "exact_ms": round(exact, 3), "bucket_ms": bucket,
                                 "error_ms": round(est["ms"] - exact, 3) if est.get("ms") is not None else None,
                                 "within_bucket": inside}
    for name, (q, threshold) in thresholds.items():
        acc = out["quantiles"].get(f"{q:g}")
        if not acc or acc["estimate_ms"] is None:
            continue
        flips = (acc["estimate_ms"] <= threshold) != (acc["exact_ms"] <= threshold)
        if flips or not acc["within_bucket"] or threshold not in boundaries_ms:
            suggested = sorted({round(threshold, 3), round(threshold * 0.8, 3), round(acc["exact_ms"], 1)}
                               - set(boundaries_ms))
            why = ("the estimate and the exact value fall on different sides of the threshold" if flips else
                   "the exact value lies outside the reported bucket" if not acc["within_bucket"] else
                   f"the {threshold:g} ms threshold is not a bucket boundary")
            out["recommendations"].append({"objective": name, "why": why, "add_boundaries_ms": suggested})
    return out


def reconcile(client: dict | None, server: dict, recorded_rows: int | None, tolerance: float, min_samples: int,
              window_s: float = 0.0, scrape_interval_s: float = 1.0) -> dict:
    """Locust against the recorded rows (both exact, per request: the strict check that nothing was lost
    or counted twice), and Prometheus against both (exact only to a scrape: half a scrape interval of
    traffic is allowed besides the tolerance). client is None when the run kept no client log."""
    client = client or {}
    locust = client["requests"] - client.get("no_response", 0) if "requests" in client else None
    locust_200 = client.get("status_200") if "requests" in client else None
    # Counts interpolated at the window's edges are exact to a scrape; increase() extrapolates: prefer them.
    exact = server.get("requests_interpolated") is not None
    prometheus = server["requests_interpolated"] if exact else (server.get("requests") or 0.0)
    ok_200 = server.get("status_200_interpolated") if exact else server.get("status_200")
    resolution = 0.5 * scrape_interval_s / window_s if window_s > 0 else 0.0
    allowed = {"locust_vs_recorded": tolerance, "locust_vs_prometheus": max(tolerance, resolution),
               "prometheus_200_vs_recorded": max(tolerance, resolution)}
    gaps = {"locust_vs_prometheus": _gap(locust, prometheus)}
    if recorded_rows is not None:
        gaps["locust_vs_recorded"] = _gap(locust_200, recorded_rows)
        gaps["prometheus_200_vs_recorded"] = _gap(ok_200, recorded_rows)
    judged = max(locust or 0, prometheus) >= min_samples
    flagged = [k for k, g in gaps.items() if judged and g is not None and abs(g) > allowed[k]]
    return {"locust_answered": locust, "locust_200": locust_200, "locust_no_response": client.get("no_response", 0),
            "prometheus": prometheus, "prometheus_200": ok_200, "recorded": recorded_rows, "gaps": gaps,
            "allowed": {k: round(v, 4) for k, v in allowed.items()}, "tolerance": tolerance,
            "flagged": flagged, "ok": not flagged}


def _gap(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or max(a, b) == 0:
        return None
    return round((b - a) / max(a, b), 4)
