"""Build the provisioned Grafana dashboard (stack/grafana/dashboards/slobench.json) from its panel list."""
from __future__ import annotations

import json
from pathlib import Path

from slobench import conventions as c

DASHBOARD_PATH = Path(__file__).resolve().parent / "grafana" / "dashboards" / "slobench.json"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
ENDPOINT = "/predict"

_sel = f'{c.LABEL_ENDPOINT}="{ENDPOINT}"'
LAT = c.REQUEST_LATENCY


def _quantile(q: float) -> str:
    return f"histogram_quantile({q}, sum by (le) (rate({LAT}_bucket{{{_sel}}}[$__rate_interval])))"


# (title, kind, [(legend, PromQL)], options). Grafana's $__rate_interval is at least 4 scrape intervals.
PANELS = [
    ("Request rate by endpoint and status", "timeseries",
     [("{{endpoint}} {{status}}", f"sum by ({c.LABEL_ENDPOINT}, {c.LABEL_STATUS}) (rate({c.REQUESTS_TOTAL}[$__rate_interval]))")],
     {"unit": "reqps"}),
    ("Error ratio (5xx share)", "timeseries",
     # The parentheses matter: `A or vector(0) / B` parses as `A or (vector(0) / B)`.
     [("5xx / all", f'(sum(rate({c.REQUESTS_TOTAL}{{{c.LABEL_STATUS}=~"5.."}}[$__rate_interval])) or vector(0))'
                    f" / sum(rate({c.REQUESTS_TOTAL}[$__rate_interval]))")],
     {"unit": "percentunit"}),
    (f"Latency of {ENDPOINT}: the mean against p50, p95, p99 (SLO thresholds drawn)", "timeseries",
     [("mean", f"sum(rate({LAT}_sum{{{_sel}}}[$__rate_interval])) / sum(rate({LAT}_count{{{_sel}}}[$__rate_interval]))"),
      ("p50", _quantile(0.5)), ("p95", _quantile(0.95)), ("p99", _quantile(0.99))],
     {"unit": "s", "thresholds": True}),
    (f"Latency heatmap of {ENDPOINT} (histogram buckets)", "heatmap",
     [("{{le}}", f"sum by (le) (increase({LAT}_bucket{{{_sel}}}[$__rate_interval]))")],
     {"format": "heatmap"}),
    ("API up (Prometheus scrape)", "stat", [("up", 'up{job="api"}')], {}),
    ("Predictions by class", "timeseries",
     [("class {{predicted_class}}", f"sum by ({c.LABEL_CLASS}) (rate({c.PREDICTIONS_TOTAL}[$__rate_interval]))")],
     {"unit": "reqps"}),
    ("Predicted churn probability distribution", "bargauge",
     [("{{le}}", f"sum by (le) (increase({c.PREDICTION_PROBABILITY}_bucket[$__range]))")],
     {"format": "heatmap"}),
    ("The lab's panels: RPS and mean latency", "timeseries",
     [("rps {{endpoint}}", f"rate({c.REQUESTS_TOTAL}[5m])"),
      ("mean latency", f"rate({LAT}_sum[5m]) / rate({LAT}_count[5m])")], {}),
]


def queries() -> list[str]:
    return [q for _, _, targets, _ in PANELS for _, q in targets]


def build(thresholds_s: dict[str, float]) -> dict:
    """thresholds_s: name -> seconds, drawn as lines on the latency panel (from the SLO file)."""
    panels = []
    for i, (title, kind, targets, opts) in enumerate(PANELS):
        defaults: dict = {"unit": opts.get("unit", "short")}
        if opts.get("thresholds"):
            steps = [{"color": "green", "value": None}]
            colors = ["yellow", "orange", "red", "dark-red"]
            for n, (_, v) in enumerate(sorted(thresholds_s.items(), key=lambda kv: kv[1])):
                steps.append({"color": colors[min(n, len(colors) - 1)], "value": v})
            defaults["thresholds"] = {"mode": "absolute", "steps": steps}
            defaults["custom"] = {"thresholdsStyle": {"mode": "line+area"}}
        panels.append({
            "id": i + 1, "type": kind, "title": title, "datasource": DATASOURCE,
            "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "targets": [{"refId": chr(65 + j), "datasource": DATASOURCE, "expr": q, "legendFormat": legend,
                         **({"format": "heatmap"} if opts.get("format") == "heatmap" else {})}
                        for j, (legend, q) in enumerate(targets)],
        })
    return {"uid": "slobench-api", "title": "slobench: StreamFlow churn API", "schemaVersion": 39,
            "version": 1, "editable": True, "refresh": "5s", "time": {"from": "now-15m", "to": "now"},
            "tags": ["slobench", "slo"], "panels": panels,
            "description": "Thresholds come from slo/slos.yaml; regenerate with `python -m stack dashboard`."}


def write(thresholds_s: dict[str, float], path: Path = DASHBOARD_PATH) -> Path:
    path.write_text(json.dumps(build(thresholds_s), indent=2) + "\n")
    return path
