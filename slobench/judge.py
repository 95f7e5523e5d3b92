"""After the load: collect from Prometheus, evaluate, check drift, write every report of the run."""
from __future__ import annotations

import time
from pathlib import Path

from slo import collect
from slo.baseline import load_report
from slo.evaluate import evaluate
from slo.promql import edge_pad_s
from slo.reports import write_all
from slo.spec import SloSpec
from loadtests import timeline


def judge(run_dir: Path, spec: SloSpec, prometheus_url: str | None, baseline: Path | None = None,
          processes: int = 1, drift_check=None, scrape_interval_s: float = 1.0) -> dict:
    """Raw answers come from Prometheus when a URL is given, else from the run's saved prometheus_raw.json."""
    if prometheus_url:
        stages = timeline.read(run_dir)["stages"]
        # The last window ends when the load stops: wait for the scrapes past its edge (its samples are read).
        last_end = max((s["end"] for s in stages), default=0)
        time.sleep(max(0.0, last_end + edge_pad_s(scrape_interval_s) + 0.5 - time.time()))
        raw = collect.collect(prometheus_url, spec, stages, scrape_interval_s=scrape_interval_s)
        collect.save(run_dir, raw)
    else:
        raw = collect.load(run_dir)
        if raw is None:
            raise collect.PrometheusError(f"{run_dir}: no {collect.RAW_FILE} and no Prometheus URL to query")
    report = evaluate(run_dir, spec, raw, load_report(baseline) if baseline else None, processes)
    if drift_check is not None:
        report["drift"] = drift_check(run_dir)
    write_all(run_dir, report)
    return report
