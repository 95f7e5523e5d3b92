"""Build the provisioned Grafana dashboard (stack/grafana/dashboards/slobench.json) from its panel list."""
from __future__ import annotations

import json
from pathlib import Path

from common import contract as c

DASHBOARD_PATH = Path(__file__).resolve().parent / "grafana" / "dashboards" / "slobench.json"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
ENDPOINT = "/predict"
DEFAULT_SCOPE = {"job": "api"}  # the SLO file's metrics.up_selector: a shared Prometheus scrapes other jobs too
LAT = c.REQUEST_LATENCY


def panels(scope: dict[str, str] = DEFAULT_SCOPE) -> list[tuple]:
    """(title, kind, [(legend, PromQL)], options), every query scoped to the target's job.
    Grafana's $__rate_interval is at least 4 scrape intervals."""
    job = ",".join(f'{k}="{v}"' for k, v in sorted(scope.items()))
    sel = f'{job},{c.LABEL_ENDPOINT}="{ENDPOINT}"'

    def quantile(q: float) -> str:
        return f"histogram_quantile({q}, sum by (le) (rate({LAT}_bucket{{{sel}}}[$__rate_interval])))"

    return [
        ("Request rate by endpoint and status", "timeseries",
         [("{{endpoint}} {{status}}",
           f"sum by ({c.LABEL_ENDPOINT}, {c.LABEL_STATUS}) (rate({c.REQUESTS_TOTAL}{{{job}}}[$__rate_interval]))")],
         {"unit": "reqps"}),
        ("Error ratio (5xx share)", "timeseries",
         # The parentheses matter: `A or vector(0) / B` parses as `A or (vector(0) / B)`.
         [("5xx / all", f'(sum(rate({c.REQUESTS_TOTAL}{{{job},{c.LABEL_STATUS}=~"5.."}}[$__rate_interval])) or vector(0))'
                        f" / sum(rate({c.REQUESTS_TOTAL}{{{job}}}[$__rate_interval]))")],
         {"unit": "percentunit"}),
        (f"Latency of {ENDPOINT}: the mean against p50, p95, p99 (SLO thresholds drawn)", "timeseries",
         [("mean", f"sum(rate({LAT}_sum{{{sel}}}[$__rate_interval])) / sum(rate({LAT}_count{{{sel}}}[$__rate_interval]))"),
          ("p50", quantile(0.5)), ("p95", quantile(0.95)), ("p99", quantile(0.99))],
         {"unit": "s", "thresholds": True}),
        (f"Latency heatmap of {ENDPOINT} (histogram buckets)", "heatmap",
         [("{{le}}", f"sum by (le) (increase({LAT}_bucket{{{sel}}}[$__rate_interval]))")],
         {"format": "heatmap"}),
        ("API up (Prometheus scrape)", "stat", [("{{instance}}", f"up{{{job}}}")], {}),
        ("Predictions by class", "timeseries",
         [("class {{predicted_class}}",
           f"sum by ({c.LABEL_CLASS}) (rate({c.PREDICTIONS_TOTAL}{{{job}}}[$__rate_interval]))")],
         {"unit": "reqps"}),
        ("Predicted churn probability distribution", "bargauge",
         [("{{le}}", f"sum by (le) (increase({c.PREDICTION_PROBABILITY}_bucket{{{job}}}[$__range]))")],
         {"format": "heatmap"}),
        ("The lab's panels: RPS and mean latency", "timeseries",
         [("rps {{endpoint}}", f"rate({c.REQUESTS_TOTAL}{{{job}}}[5m])"),
          ("mean latency", f"rate({LAT}_sum{{{job}}}[5m]) / rate({LAT}_count{{{job}}}[5m])")], {}),
    ]


PANELS = panels()


def queries(scope: dict[str, str] = DEFAULT_SCOPE) -> list[str]:
    return [q for _, _, targets, _ in panels(scope) for _, q in targets]


def build(thresholds_s: dict[str, float], scope: dict[str, str] = DEFAULT_SCOPE) -> dict:
    """thresholds_s: name -> seconds, drawn as lines on the latency panel (from the SLO file)."""
    out = []
    for i, (title, kind, targets, opts) in enumerate(panels(scope)):
        defaults: dict = {"unit": opts.get("unit", "short")}
        if opts.get("thresholds"):
            steps = [{"color": "green", "value": None}]
            colors = ["yellow", "orange", "red", "dark-red"]
            for n, (_, v) in enumerate(sorted(thresholds_s.items(), key=lambda kv: kv[1])):
                steps.append({"color": colors[min(n, len(colors) - 1)], "value": v})
            defaults["thresholds"] = {"mode": "absolute", "steps": steps}
            defaults["custom"] = {"thresholdsStyle": {"mode": "line+area"}}
        out.append({
            "id": i + 1, "type": kind, "title": title, "datasource": DATASOURCE,
            "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "targets": [{"refId": chr(65 + j), "datasource": DATASOURCE, "expr": q, "legendFormat": legend,
                         **({"format": "heatmap"} if opts.get("format") == "heatmap" else {})}
                        for j, (legend, q) in enumerate(targets)],
        })
    return {"uid": "slobench-api", "title": "slobench: StreamFlow churn API", "schemaVersion": 39,
            "version": 1, "editable": True, "refresh": "5s", "time": {"from": "now-15m", "to": "now"},
            "tags": ["slobench", "slo"], "panels": out,
            "description": "Thresholds come from slo/slos.yaml; regenerate with `slobench dashboard`."}


def write(thresholds_s: dict[str, float], path: Path = DASHBOARD_PATH, scope: dict[str, str] = DEFAULT_SCOPE) -> Path:
    path.write_text(json.dumps(build(thresholds_s, scope), indent=2) + "\n")
    return path
