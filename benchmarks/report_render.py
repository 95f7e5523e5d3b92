"""The report of a long run: how long the HTML takes to draw up and how big it is, for an hour at a 1 s scrape."""
from __future__ import annotations

import math
import random
import time

from slo.reports.page import plotly_js
from slo.reports.html import render
from slo.file.load import load_slo
from slo.verdicts.report import SCHEMA_VERSION, Report

HOUR = 3600


def _long_report(seconds: int = HOUR, stages: int = 6) -> Report:
    """A report shaped like a real one: six stages, an hour of server and client seconds, every curve filled."""
    rng = random.Random(1)
    spec = load_slo()
    t = [float(i) for i in range(seconds)]
    wave = lambda base: [round(base * (1 + 0.3 * math.sin(i / 30) + 0.1 * rng.random()), 3) for i in t]  # noqa: E731
    stage_s = seconds / stages
    stage_list = []
    for i in range(stages):
        q = {f"{k:g}": {"ms": 2.0 * (i + 1) * m, "bucket_ms": [1.0, 100.0]} for k, m in ((0.5, 1), (0.95, 4), (0.99, 9))}
        stage_list.append({
            "name": f"s{i + 1}", "index": i, "users": 100 * (i + 1), "offered_rps": 1000.0 * (i + 1), "began": i * stage_s,
            "window": {"start": i * stage_s + 5, "end": (i + 1) * stage_s, "seconds": stage_s - 5}, "gated": i < 4,
            "completed": True, "status": "pass",
            "server": {"rps_all_traffic": 990.0 * (i + 1), "mean_ms": 3.0 * (i + 1), "quantiles": q, "notes": [],
                       "distribution": [[le, min(1.0, le / 40)] for le in (0.5, 1, 2, 5, 10, 20, 40, 80)]},
            "client": {"percentiles": [[100 * (1 - 10 ** (-k / 10)), 1.0 + k] for k in range(51)], "workers": {}},
            "gap": {"p99_gap_ms": 1.0, "cause": "small"}, "objectives": [],
            "accuracy": {}, "reconciliation": {}})
    return Report.model_validate({
            "schema_version": SCHEMA_VERSION, "service": spec.service,
            "run": {"id": "bench", "profile": "bench", "started": 0.0, "stopped": float(seconds)},
            "slo": spec.model_dump(mode="json"), "stages": stage_list, "sentences": [], "baseline": None,
            "capacity": {"interval_rps": [3960.0, 4950.0], "decided_by": ["bracket", "bracket"],
                         "bracket_rps": [3960.0, 4950.0], "rates": "offered", "closed": True, "width": 0.25,
                         "highest_passing_stage": "s4", "highest_passing_rps": 3960.0, "first_failing_stage": "s5",
                         "broken": []},
            "verdict": {"status": "pass", "exit_code": 0, "reason": "bench"}, "replicas": None, "drift": None,
            "manifest": None,
            "series": {"server": {"t": t, "step_s": 1.0, **{k: wave(v) for k, v in (
                           ("rps_all_traffic", 3000), ("rps", 2500), ("errors_5xx_per_s", 1), ("mean_ms", 5),
                           ("p50_ms", 4), ("p95_ms", 20), ("p99_ms", 60))}},
                       "client": {"t": t, "requests": wave(3000), "failures": wave(1), "users": wave(300),
                                  "p50_ms": wave(5), "p95_ms": wave(25), "p99_ms": wave(70),
                                  "cpu_cores": {"gen-1": wave(0.5), "gen-2": wave(0.5)}}}})


def measure(seconds: int = HOUR) -> dict:
    report = _long_report(seconds)
    start = time.perf_counter()
    page = render(report)
    took = time.perf_counter() - start
    return {"seconds_of_run": seconds, "render_s": took, "html_mb": len(page.encode()) / 2**20,
            "plotly_mb": len(plotly_js().encode()) / 2**20,
            "json_mb": len(report.text().encode()) / 2**20}
