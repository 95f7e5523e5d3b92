"""One judged run against the known-distribution API: real uvicorn, real Prometheus (1 s scrapes), real Locust."""
from __future__ import annotations

import sys
from pathlib import Path

from loadtests.profile import load_profile
from loadtests.run import run_headless
from tests.slos import LINEAR_SLO
from slo.file.model import SloSpec
from slo.verdicts.report import Report
from slo.file.load import load_slo
from slobench.judge import judge
from stack import prometheus_server
from stack.procs import free_port, http_get, spawn, stop_pid, wait_until
from tests import needs


def judged_run(tmp: Path, profile_yaml: str, app_args: tuple = (), spec: SloSpec | None = None,
               baseline: Path | None = None) -> tuple[Report, Path]:
    """(report, run folder), judged against a baseline run folder when given; every process it starts is stopped
    before it returns."""
    run_dir = tmp / "run"
    run_dir.mkdir(parents=True)
    (tmp / "known.yaml").write_text(profile_yaml)
    api_port, prom_port = free_port(), free_port()
    api = spawn([sys.executable, "-m", "tests.slo.known_app", str(api_port), str(run_dir / "predictions.db"),
                 *map(str, app_args)], tmp / "api.log")
    prom = None
    try:
        url = f"http://127.0.0.1:{api_port}"
        wait_until(lambda: http_get(url + "/health")[0] == 200, 60, "known API", api, tmp / "api.log")
        (tmp / "prometheus.yml").write_text(prometheus_server.render_config(f"127.0.0.1:{api_port}", 1))
        prom = prometheus_server.start(needs.binary("prometheus"), tmp / "prometheus.yml", tmp / "tsdb", prom_port,
                                tmp / "prometheus.log")
        prom_url = f"http://127.0.0.1:{prom_port}"
        wait_until(lambda: prometheus_server.target_up(prom_url), 30, "Prometheus scraping the known API")
        run_headless(tmp / "known.yaml", load_profile(str(tmp / "known.yaml")), url, run_dir, on_line=lambda *_: None)
        report = judge(run_dir, spec or load_slo(LINEAR_SLO), prom_url, baseline)
    finally:
        stop_pid(api.pid)  # flushes the recorder
        if prom is not None:
            stop_pid(prom.pid)
    return report, run_dir
